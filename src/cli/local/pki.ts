/**
 * Per-cluster PKI made with the openssl CLI (Node's crypto cannot issue X.509 certificates):
 * a CA, the API server's serving certificate, an admin client certificate in `system:masters`,
 * and the service-account signing key pair. Each cluster has its own CA, like separate real clusters.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ClusterPki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  saKey: string;
  saPub: string;
}

export function pkiPaths(pkiDir: string): ClusterPki {
  const p = (f: string) => path.join(pkiDir, f);
  return {
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    serverCert: p('apiserver.crt'),
    serverKey: p('apiserver.key'),
    adminCert: p('admin.crt'),
    adminKey: p('admin.key'),
    saKey: p('sa.key'),
    saPub: p('sa.pub'),
  };
}

const SERVER_SANS = [
  'IP:127.0.0.1',
  'DNS:localhost',
  'IP:10.96.0.1',
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
];

async function openssl(args: string[], what: string): Promise<void> {
  try {
    await run('openssl', args, { timeout: 30_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error(
        "openssl is not installed: it is needed to make the local clusters' certificates (apt-get install openssl)",
      );
    }
    throw new Error(`openssl failed to create ${what}: ${(e.stderr ?? e.message).trim()}`);
  }
}

/** Creates the PKI of one cluster in `pkiDir` (EC P-256 keys: fast to generate, accepted everywhere). */
export async function createClusterPki(pkiDir: string, clusterName: string): Promise<ClusterPki> {
  await mkdir(pkiDir, { recursive: true, mode: 0o700 });
  const f = pkiPaths(pkiDir);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    [
      'req',
      '-x509',
      ...ec,
      '-days',
      '3650',
      '-subj',
      `/CN=kubefed-local-${clusterName}-ca`,
      '-keyout',
      f.caKey,
      '-out',
      f.caCert,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
    ],
    `the ${clusterName} CA`,
  );
  const serverExt = path.join(pkiDir, 'server.ext');
  const clientExt = path.join(pkiDir, 'client.ext');
  await writeFile(
    serverExt,
    `subjectAltName=${SERVER_SANS.join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n`,
  );
  await writeFile(
    clientExt,
    'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n',
  );
  const issue = async (subj: string, key: string, cert: string, ext: string, what: string) => {
    const csr = `${cert}.csr`;
    await openssl(['req', ...ec, '-subj', subj, '-keyout', key, '-out', csr], what);
    await openssl(
      [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        f.caCert,
        '-CAkey',
        f.caKey,
        // A random serial, not -CAcreateserial: certificates are issued in parallel, and a shared
        // ca.srl file raced ("unable to load number from ca.srl").
        '-set_serial',
        `0x${randomBytes(16).toString('hex')}`,
        '-days',
        '3650',
        '-extfile',
        ext,
        '-out',
        cert,
      ],
      what,
    );
  };
  await Promise.all([
    issue(
      '/CN=kube-apiserver',
      f.serverKey,
      f.serverCert,
      serverExt,
      `the ${clusterName} API server certificate`,
    ),
    issue(
      '/O=system:masters/CN=kubefed-local-admin',
      f.adminKey,
      f.adminCert,
      clientExt,
      `the ${clusterName} admin certificate`,
    ),
    (async () => {
      await openssl(
        ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f.saKey],
        `the ${clusterName} service-account key`,
      );
      await openssl(
        ['ec', '-in', f.saKey, '-pubout', '-out', f.saPub],
        `the ${clusterName} service-account public key`,
      );
    })(),
  ]);
  return f;
}
