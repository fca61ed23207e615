/**
 * For tests of the admission webhook: a CA and a serving certificate for 127.0.0.1 (openssl CLI),
 * and the real `kubefed-webhook` as a local process. No vitest import: unit tests use it too.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pollUntil } from '../../src/poll.js';

const WEBHOOK = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'dist',
  'cli',
  'webhook.js',
);

export interface ServingCert {
  /** Paths of the CA certificate, the serving certificate and its key (tls.crt/tls.key in `dir`). */
  ca: string;
  cert: string;
  key: string;
  /** The CA certificate, PEM: the caBundle of webhook configurations. */
  caPem: string;
}

/** A CA named `cn` and a serving certificate for IP 127.0.0.1 signed by it, in `dir`. */
export function makeServingCert(dir: string, cn: string): ServingCert {
  mkdirSync(dir, { recursive: true });
  const f = (n: string) => path.join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', `/CN=${cn}`);
  ssl('req', ...ec, '-keyout', f('tls.key'), '-out', f('tls.csr'), '-subj', '/CN=127.0.0.1');
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  ssl(
    'x509',
    '-req',
    '-in',
    f('tls.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('tls.crt'),
    '-days',
    '1',
    '-extfile',
    f('ext.cnf'),
  );
  return { ca: f('ca.crt'), cert: f('tls.crt'), key: f('tls.key'), caPem: readFileSync(f('ca.crt'), 'utf8') };
}

export interface LocalWebhook {
  child: ChildProcess;
  port: number;
  /** Its log (stderr) so far. */
  log(): string;
  /** SIGTERM, and wait for it to exit. */
  stop(): Promise<void>;
}

/**
 * Starts dist/cli/webhook.js (or `script`: the benchmark runs from another build directory) on a
 * free port (--secure-port 0) and reads the port from its log.
 */
export async function startLocalWebhook(
  certDir: string,
  extraArgs: string[] = [],
  script = WEBHOOK,
): Promise<LocalWebhook> {
  const child = spawn(process.execPath, [script, '--secure-port', '0', '--cert-dir', certDir, ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (c: Buffer) => (log += c.toString()));
  const port = await pollUntil(
    'kubefed-webhook to log the address it listens on',
    () => {
      if (child.exitCode !== null) throw new Error(`kubefed-webhook exited ${child.exitCode}:\n${log}`);
      const m = /"address":"127\.0\.0\.1:(\d+)"/.exec(log);
      return m ? { done: true, value: Number(m[1]) } : { done: false, seen: log };
    },
    { timeoutMs: 15_000, intervalMs: 100 },
  );
  return {
    child,
    port,
    log: () => log,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
