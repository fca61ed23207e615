/**
 * kubefedctl federate on the real local host (cluster1), through the built binary. The federated
 * CRDs of the default types come from installCrds(); the FederatedTypeConfigs live in a KubeFed
 * namespace of this file's own, so no control plane acts on what the tests create.
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { pollUntil } from '../../src/poll.js';
import { installCrds, kubectl, REPO_ROOT, run, uniqueName, type RunResult } from '../support/local.js';

const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'kubefedctl', 'main.js');
const KUBEFED_NS = uniqueName('kff');
const APP_NS = uniqueName('kff-app');
const FTCS = ['configmaps', 'secrets', 'services', 'serviceaccounts', 'deployments.apps', 'namespaces'];
const ENABLE_GROUP = `t${Math.random().toString(36).slice(2, 8)}.kubefed.io`;

/** kubefedctl against the local clusters, with this file's KubeFed namespace. */
function kubefedctl(args: readonly string[]): Promise<RunResult> {
  return run(
    process.execPath,
    [
      CLI,
      ...args,
      '--kubeconfig',
      inject('kubeconfig'),
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      KUBEFED_NS,
    ],
    { timeoutMs: 120_000 },
  );
}

function kubectlResult(args: readonly string[], input?: string): Promise<RunResult> {
  return run(inject('kubectl'), ['--kubeconfig', inject('kubeconfig'), '--context', 'cluster1', ...args], {
    ...(input === undefined ? {} : { input }),
  });
}

interface Federated {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: { template: Record<string, unknown>; placement: unknown };
}

async function getFederated(resource: string, name: string, namespace = APP_NS): Promise<Federated> {
  return JSON.parse(
    await kubectl('cluster1', ['-n', namespace, 'get', resource, name, '-o', 'json']),
  ) as Federated;
}

async function exists(args: readonly string[]): Promise<boolean> {
  return (await kubectl('cluster1', ['get', ...args, '--ignore-not-found', '-o', 'name'])).trim() !== '';
}

beforeAll(async () => {
  await installCrds();
  await kubectl('cluster1', ['create', 'namespace', KUBEFED_NS]);
  await kubectl('cluster1', ['create', 'namespace', APP_NS]);
  const all = readFileSync(path.join(REPO_ROOT, 'config', 'default-federatedtypeconfigs.yaml'), 'utf8');
  const wanted = parseAllDocuments(all)
    .map((d) => d.toJS() as { metadata: { name: string; namespace: string } })
    .filter((ftc) => FTCS.includes(ftc.metadata.name))
    .map((ftc) => ({ ...ftc, metadata: { ...ftc.metadata, namespace: KUBEFED_NS } }));
  expect(wanted).toHaveLength(FTCS.length);
  await kubectl('cluster1', ['apply', '-f', '-'], wanted.map((o) => `---\n${stringify(o)}`).join(''));
});

afterAll(async () => {
  for (const ns of [APP_NS, KUBEFED_NS]) {
    await kubectl('cluster1', ['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']).catch(
      () => '',
    );
  }
  await kubectl('cluster1', [
    'delete',
    'crd',
    `federatedlimitranges.${ENABLE_GROUP}`,
    '--ignore-not-found',
    '--wait=false',
  ]).catch(() => '');
});

describe('federate TYPE NAME', () => {
  beforeAll(async () => {
    await kubectl(
      'cluster1',
      ['apply', '-n', APP_NS, '-f', '-'],
      `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {app: web}
  annotations: {team: blue}
data: {color: red}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: printed}
data: {a: b}
`,
    );
  });

  it('creates a FederatedConfigMap whose template is the ConfigMap without server fields, placed on all clusters', async () => {
    const r = await kubefedctl(['federate', 'configmaps', 'settings', '-n', APP_NS]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`federatedconfigmap.types.kubefed.io/settings created in namespace ${APP_NS}\n`);
    const fed = await getFederated('federatedconfigmaps.types.kubefed.io', 'settings');
    expect(fed.spec.placement).toEqual({ clusterSelector: { matchLabels: {} } });
    // kubectl apply's last-applied annotation is dropped; the user's labels and annotations stay.
    expect(fed.spec.template).toEqual({
      metadata: { labels: { app: 'web' }, annotations: { team: 'blue' } },
      data: { color: 'red' },
    });
  });

  it('says the object is already federated and exits 0 when run again', async () => {
    const r = await kubefedctl(['federate', 'configmap', 'settings', '-n', APP_NS]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('already exists');
    expect(r.stdout).toContain('--overwrite');
  });

  it('replaces the spec with --overwrite', async () => {
    await kubectl('cluster1', [
      '-n',
      APP_NS,
      'patch',
      'configmap',
      'settings',
      '--type=merge',
      '-p',
      '{"data":{"color":"green"}}',
    ]);
    const r = await kubefedctl(['federate', 'configmaps', 'settings', '-n', APP_NS, '--overwrite']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`federatedconfigmap.types.kubefed.io/settings updated in namespace ${APP_NS}\n`);
    const fed = await getFederated('federatedconfigmaps.types.kubefed.io', 'settings');
    expect(fed.spec.template.data).toEqual({ color: 'green' });
  });

  it('prints with -o yaml, creating nothing, and the output applies with kubectl', async () => {
    const r = await kubefedctl(['federate', 'configmaps', 'printed', '-n', APP_NS, '-o', 'yaml']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^---\napiVersion: types\.kubefed\.io\/v1beta1\nkind: FederatedConfigMap\n/);
    expect(await exists(['-n', APP_NS, 'federatedconfigmaps.types.kubefed.io', 'printed'])).toBe(false);
    await kubectl('cluster1', ['apply', '-f', '-'], r.stdout);
    const fed = await getFederated('federatedconfigmaps.types.kubefed.io', 'printed');
    expect(fed.spec.template).toEqual({ data: { a: 'b' } });
  });

  it('fails naming the object and namespace when it does not exist', async () => {
    const r = await kubefedctl(['federate', 'configmaps', 'missing', '-n', APP_NS]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `kubefedctl: ConfigMap "missing" not found in namespace "${APP_NS}" on host cluster "cluster1"; check the name and -n/--namespace\n`,
    );
  });

  it('asks for --enable-type when the type has no FederatedTypeConfig, and enables it with the flag', async () => {
    await kubectl(
      'cluster1',
      ['-n', APP_NS, 'create', '-f', '-'],
      `apiVersion: v1
kind: LimitRange
metadata: {name: limits}
spec: {limits: [{type: Container, max: {cpu: "2"}}]}
`,
    );
    const refused = await kubefedctl(['federate', 'limitranges', 'limits', '-n', APP_NS]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/LimitRange is not enabled for federation .*; pass --enable-type/);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);

    const r = await kubefedctl([
      'federate',
      'limitranges',
      'limits',
      '-n',
      APP_NS,
      '--enable-type',
      '--federated-group',
      ENABLE_GROUP,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      `customresourcedefinition.apiextensions.k8s.io/federatedlimitranges.${ENABLE_GROUP} created\n` +
        `federatedtypeconfig.core.kubefed.io/limitranges created in namespace ${KUBEFED_NS}\n` +
        `federatedlimitrange.${ENABLE_GROUP}/limits created in namespace ${APP_NS}\n`,
    );
    const fed = await getFederated(`federatedlimitranges.${ENABLE_GROUP}`, 'limits');
    expect(fed.spec.template).toMatchObject({ spec: { limits: [{ type: 'Container', max: { cpu: '2' } }] } });
  });
  it('federate --filename - (stdin) finds a kind that is not a default type through its FederatedTypeConfig', async () => {
    const manifest = `apiVersion: v1\nkind: LimitRange\nmetadata: {name: from-file, namespace: ${APP_NS}}\nspec: {limits: []}\n`;
    const r = await run(
      process.execPath,
      [
        CLI,
        'federate',
        '-f',
        '-',
        '--kubeconfig',
        inject('kubeconfig'),
        '--host-cluster-context',
        'cluster1',
        '--kubefed-namespace',
        KUBEFED_NS,
      ],
      { input: manifest },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`apiVersion: ${ENABLE_GROUP}/v1beta1\nkind: FederatedLimitRange\n`);
  });
});

describe('federate namespace NS --contents', () => {
  const ns = uniqueName('kff-contents');
  beforeAll(async () => {
    await kubectl('cluster1', ['create', 'namespace', ns]);
    await kubectl('cluster1', ['-n', ns, 'create', 'configmap', 'cm', '--from-literal=a=b']);
    await kubectl('cluster1', ['-n', ns, 'create', 'secret', 'generic', 'creds', '--from-literal=x=y']);
    await kubectl('cluster1', ['-n', ns, 'create', 'service', 'clusterip', 'svc', '--tcp=80:8080']);
    await kubectl('cluster1', ['-n', ns, 'create', 'serviceaccount', 'app']);
    await kubectl('cluster1', ['-n', ns, 'create', 'deployment', 'web', '--image=nginx']);
    // The cluster creates these shortly after the namespace; the summary counts them as skipped.
    await pollUntil(
      `the default ServiceAccount and kube-root-ca.crt in ${ns}`,
      async () => {
        const names = await kubectl('cluster1', [
          '-n',
          ns,
          'get',
          'serviceaccounts,configmaps',
          '-o',
          'name',
        ]);
        const done = names.includes('serviceaccount/default') && names.includes('configmap/kube-root-ca.crt');
        return done ? { done: true, value: undefined } : { done: false, seen: names.trim() };
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });
  afterAll(async () => {
    await kubectl('cluster1', ['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']).catch(
      () => '',
    );
  });

  it('federates the namespace and its objects, skipping secrets, cluster-generated and owned objects', async () => {
    const r = await kubefedctl(['federate', 'namespace', ns, '--contents', '--skip-api-resources=secrets']);
    expect(r.code, r.stderr).toBe(0);
    const created = r.stdout
      .split('\n')
      .filter((l) => l.endsWith(`created in namespace ${ns}`))
      .map((l) => l.split(' ')[0])
      .sort();
    expect(created).toEqual(
      [
        'federatedconfigmap.types.kubefed.io/cm',
        `federatednamespace.types.kubefed.io/${ns}`,
        'federatedservice.types.kubefed.io/svc',
        'federatedserviceaccount.types.kubefed.io/app',
        'federateddeployment.types.kubefed.io/web',
      ].sort(),
    );
    expect(r.stdout).toMatch(
      new RegExp(
        `namespace ${ns}: federated 5, skipped \\d+ \\(.*2 generated by the cluster.*\\), failed 0\\n`,
      ),
    );
    expect(r.stdout).toContain('skipped types: secrets (named by --skip-api-resources)');
    expect(await exists(['-n', ns, 'federatedsecrets.types.kubefed.io'])).toBe(false);
    expect(await exists(['-n', ns, 'federatedserviceaccounts.types.kubefed.io', 'default'])).toBe(false);
    expect(await exists(['-n', ns, 'federatedconfigmaps.types.kubefed.io', 'kube-root-ca.crt'])).toBe(false);
    const svc = await getFederated('federatedservices.types.kubefed.io', 'svc', ns);
    expect(svc.spec.template.spec).not.toHaveProperty('clusterIP');
    const fns = await getFederated('federatednamespaces.types.kubefed.io', ns, ns);
    expect(fns.spec.template).not.toHaveProperty('spec.finalizers');
  });
});

describe('federate --filename', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kff-'));
  const manifest = path.join(dir, 'resource.yaml');
  beforeAll(() => {
    writeFileSync(
      manifest,
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: file-web
  namespace: ${APP_NS}
  labels: {app: file-web}
spec:
  replicas: 1
  selector: {matchLabels: {app: file-web}}
  template:
    metadata: {labels: {app: file-web}}
    spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: file-cm
  namespace: ${APP_NS}
data: {k: v}
`,
    );
  });

  it('prints two federated objects without any cluster, and kubectl apply creates them', async () => {
    const r = await run(process.execPath, [
      CLI,
      'federate',
      `--filename=${manifest}`,
      '--kubeconfig',
      '/nonexistent',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Federated);
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      'FederatedDeployment/file-web',
      'FederatedConfigMap/file-cm',
    ]);
    const applied = await kubectlResult(['apply', '-f', '-'], r.stdout);
    expect(applied.code, applied.stderr).toBe(0);
    const fed = await getFederated('federateddeployments.types.kubefed.io', 'file-web');
    expect(fed.spec.template).toMatchObject({
      metadata: { labels: { app: 'file-web' } },
      spec: { replicas: 1 },
    });
    expect(await exists(['-n', APP_NS, 'federatedconfigmaps.types.kubefed.io', 'file-cm'])).toBe(true);
  });

  it('fails on malformed YAML naming the file and line', async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [oops\n  namespace: x\n');
    const r = await run(process.execPath, [CLI, 'federate', '-f', bad, '--kubeconfig', '/nonexistent']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^kubefedctl: ${bad.replace(/[.]/g, '\\.')}: line \\d+, column \\d+: malformed YAML: .+\\n$`,
      ),
    );
  });
});
