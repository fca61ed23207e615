/**
 * kubefedctl join / unjoin / get clusters on the real local clusters (cluster1 = host), run through
 * the built binary so flags, output and exit codes are what a user sees. Every describe uses its own
 * KubeFed namespace and removes what it created.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { ClusterClient } from '../../src/kube/client.js';
import { kubectl, REPO_ROOT, run, uniqueName, type RunResult } from '../support/local.js';

const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'kubefedctl', 'main.js');

function kubefedctl(args: readonly string[], kubeconfig = inject('kubeconfig')): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args, '--kubeconfig', kubeconfig], { timeoutMs: 150_000 });
}

/** kubectl that may fail: `auth can-i` answers "no" with exit code 1. */
async function canI(context: string, args: readonly string[]): Promise<string> {
  const r = await run(inject('kubectl'), [
    '--kubeconfig',
    inject('kubeconfig'),
    '--context',
    context,
    'auth',
    'can-i',
    ...args,
  ]);
  return r.stdout.trim();
}

async function names(context: string, args: readonly string[]): Promise<string[]> {
  const out = await kubectl(context, ['get', ...args, '-o', 'name', '--ignore-not-found']);
  return out.split('\n').filter(Boolean).sort();
}

/**
 * What join may touch in one cluster: the KubeFed namespace and what it holds, and cluster-scoped
 * RBAC whose name mentions the membership (`needle`); KubeFedClusters where the CRD exists.
 */
async function snapshot(context: string, namespace: string, needle: string): Promise<string[]> {
  const namespaced = ['serviceaccounts', 'secrets', 'roles', 'rolebindings', 'configmaps'];
  if (context === 'cluster1') namespaced.push('kubefedclusters.core.kubefed.io');
  const [nss, inNs, rbac] = await Promise.all([
    names(context, ['namespaces']),
    names(context, ['-n', namespace, namespaced.join(',')]),
    names(context, ['clusterroles,clusterrolebindings']),
  ]);
  return [
    ...nss.filter((n) => n === `namespace/${namespace}`),
    ...inNs,
    ...rbac.filter((n) => n.includes(needle)),
  ];
}

async function snapshotBoth(namespace: string, needle: string) {
  return {
    cluster1: await snapshot('cluster1', namespace, needle),
    cluster2: await snapshot('cluster2', namespace, needle),
    cluster3: await snapshot('cluster3', namespace, needle),
  };
}

async function getJson<T>(context: string, args: readonly string[]): Promise<T> {
  return JSON.parse(await kubectl(context, ['get', ...args, '-o', 'json'])) as T;
}

interface Obj {
  metadata: {
    name: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [k: string]: unknown;
}

/** Best-effort cleanup: unjoin with --force, then delete the namespace in every cluster. */
async function cleanup(namespace: string, joins: { cluster: string; extra?: string[] }[]) {
  for (const j of joins) {
    await kubefedctl([
      'unjoin',
      j.cluster,
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      namespace,
      '--force',
      ...(j.extra ?? []),
    ]);
  }
  for (const ctx of ['cluster1', 'cluster2', 'cluster3']) {
    await kubectl(ctx, ['delete', 'namespace', namespace, '--ignore-not-found', '--wait=false']).catch(
      () => '',
    );
  }
}

beforeAll(async () => {
  await kubectl('cluster1', [
    'apply',
    '--server-side',
    '--force-conflicts',
    '-f',
    path.join(REPO_ROOT, 'charts', 'kubefed', 'crds'),
  ]);
});

describe('join cluster2 to host cluster1 (Cluster scope)', () => {
  const ns = uniqueName('kf');
  const sa = 'cluster2-cluster1';
  const role = `kubefed-controller-manager:${sa}`;
  let before: Awaited<ReturnType<typeof snapshotBoth>>;
  let secretName: string;

  beforeAll(async () => {
    before = await snapshotBoth(ns, sa);
  });
  afterAll(() => cleanup(ns, [{ cluster: 'cluster2' }]));

  it('creates the ServiceAccount, token Secret and RBAC in cluster2 and the Secret and KubeFedCluster in cluster1', async () => {
    const r = await kubefedctl([
      'join',
      'cluster2',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(r.stderr).toContain(`the KubeFed namespace "${ns}" did not exist in host cluster cluster1`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`serviceaccount/${sa} created in cluster2`);
    expect(r.stdout).toContain(`clusterrolebinding.rbac.authorization.k8s.io/${role} created in cluster2`);
    expect(r.stdout).toContain('kubefedcluster.core.kubefed.io/cluster2 created in cluster1');

    const labels = { 'kubefed.io/joined-by': 'kubefedctl', 'kubefed.io/cluster': 'cluster2' };
    const account = await getJson<Obj>('cluster2', ['-n', ns, 'serviceaccount', sa]);
    expect(account.metadata.labels).toMatchObject(labels);
    expect(account.metadata.annotations).toMatchObject({ 'kubernetes.io/enforce-mountable-secrets': 'true' });
    expect(account.automountServiceAccountToken).toBe(false);
    const token = await getJson<Obj>('cluster2', ['-n', ns, 'secret', sa]);
    expect(token.type).toBe('kubernetes.io/service-account-token');
    expect(Object.keys(token.data as object).sort()).toEqual(['ca.crt', 'namespace', 'token']);
    const clusterRole = await getJson<Obj>('cluster2', ['clusterrole', role]);
    expect(clusterRole.metadata.labels).toMatchObject(labels);
    const binding = await getJson<Obj>('cluster2', ['clusterrolebinding', role]);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: sa, namespace: ns }]);

    const kfc = await getJson<
      Obj & { spec: { apiEndpoint: string; caBundle: string; secretRef: { name: string } } }
    >('cluster1', ['-n', ns, 'kubefedcluster', 'cluster2']);
    secretName = kfc.spec.secretRef.name;
    expect(secretName).toMatch(/^cluster2-[a-z0-9]{5}$/);
    expect(kfc.metadata.labels).toMatchObject(labels);
    const hostSecret = await getJson<Obj & { data: { token: string } }>('cluster1', [
      '-n',
      ns,
      'secret',
      secretName,
    ]);
    expect(hostSecret.data.token).toBe((token.data as { token: string }).token);
    expect(r.stdout).not.toContain(hostSecret.data.token);

    // The KubeFedCluster is enough to reach cluster2 as the control plane would.
    const client = new ClusterClient({
      name: 'cluster2-as-kubefedcluster',
      server: kfc.spec.apiEndpoint,
      caData: Buffer.from(kfc.spec.caBundle, 'base64'),
      token: Buffer.from(hostSecret.data.token, 'base64').toString('utf8'),
    });
    try {
      const version = await client.request<{ gitVersion: string }>({ method: 'GET', path: '/version' });
      expect(version.gitVersion).toMatch(/^v1\./);
      const who = await client.request<{ status: { userInfo: { username: string } } }>({
        method: 'POST',
        path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      });
      expect(who.status.userInfo.username).toBe(`system:serviceaccount:${ns}:${sa}`);
    } finally {
      await client.close();
    }
  });

  it('grants Cluster scope: deployments in any namespace, health and version', async () => {
    const as = `--as=system:serviceaccount:${ns}:${sa}`;
    expect(await canI('cluster2', ['create', 'deployments', '--all-namespaces', as])).toBe('yes');
    expect(await canI('cluster2', ['create', 'deployments', '-n', 'default', as])).toBe('yes');
    expect(await canI('cluster2', ['get', '/healthz', as])).toBe('yes');
  });

  it('refuses to join again, naming the existing objects and --error-on-existing=false', async () => {
    const r = await kubefedctl([
      'join',
      'cluster2',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('kubefedcluster.core.kubefed.io/cluster2 in cluster1');
    expect(r.stderr).toContain(`serviceaccount/${sa} in cluster2`);
    expect(r.stderr).toContain('--error-on-existing=false');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('with --error-on-existing=false, joins again changing nothing and keeping the Secret', async () => {
    const kfcBefore = await getJson<Obj>('cluster1', ['-n', ns, 'kubefedcluster', 'cluster2']);
    const secretsBefore = await names('cluster1', ['-n', ns, 'secrets']);
    const r = await kubefedctl([
      'join',
      'cluster2',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
      '--error-on-existing=false',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`secret/${secretName} unchanged in cluster1`);
    expect(
      r.stdout
        .trim()
        .split('\n')
        .every((l) => l.includes(' unchanged in ')),
    ).toBe(true);
    const kfcAfter = await getJson<Obj>('cluster1', ['-n', ns, 'kubefedcluster', 'cluster2']);
    expect(kfcAfter.metadata.resourceVersion).toBe(kfcBefore.metadata.resourceVersion);
    expect(await names('cluster1', ['-n', ns, 'secrets'])).toEqual(secretsBefore);
  });

  it('get clusters shows the cluster, and READY, REGION and ZONES from its status', async () => {
    const fresh = await kubefedctl([
      'get',
      'clusters',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout.split('\n')[0]!.split(/\s+/)).toEqual(['NAME', 'READY', 'AGE', 'REGION', 'ZONES']);
    expect(fresh.stdout.split('\n')[1]).toMatch(/^cluster2\s+\d+s$/);

    const status = {
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            lastProbeTime: new Date().toISOString(),
            lastTransitionTime: new Date().toISOString(),
            reason: 'ClusterReady',
            message: '/healthz responded with ok',
          },
        ],
        region: 'region-cluster2',
        zones: ['region-cluster2-a', 'region-cluster2-b'],
        kubernetesVersion: 'v1.34.0',
      },
    };
    await kubectl('cluster1', [
      '-n',
      ns,
      'patch',
      'kubefedcluster',
      'cluster2',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(status),
    ]);
    const table = await kubefedctl([
      'get',
      'clusters',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(table.stdout.split('\n')[1]).toMatch(
      /^cluster2\s+True\s+\d+s\s+region-cluster2\s+region-cluster2-a,region-cluster2-b$/,
    );
    const wide = await kubefedctl([
      'get',
      'clusters',
      '-o',
      'wide',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(wide.stdout.split('\n')[0]).toMatch(/KUBERNETES-VERSION\s+ENDPOINT\s+MESSAGE$/);
    expect(wide.stdout.split('\n')[1]).toMatch(
      /v1\.34\.0\s+https:\/\/127\.0\.0\.1:\d+\s+\/healthz responded with ok$/,
    );

    const offline = {
      status: {
        conditions: [
          {
            type: 'Offline',
            status: 'True',
            lastProbeTime: new Date().toISOString(),
            reason: 'ClusterNotReachable',
            message: 'cluster is not reachable',
          },
        ],
      },
    };
    await kubectl('cluster1', [
      '-n',
      ns,
      'patch',
      'kubefedcluster',
      'cluster2',
      '--subresource=status',
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'replace', path: '/status/conditions', value: offline.status.conditions }]),
    ]);
    const down = await kubefedctl([
      'get',
      'clusters',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(down.stdout.split('\n')[1]).toMatch(/^cluster2\s+Offline\s/);

    const asYaml = await kubefedctl([
      'get',
      'clusters',
      'cluster2',
      '-o',
      'yaml',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect((parse(asYaml.stdout) as Obj).metadata.name).toBe('cluster2');
    const missing = await kubefedctl([
      'get',
      'clusters',
      'nope',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('KubeFedCluster "nope" not found');
  });

  it('unjoin removes everything join created, in both clusters', async () => {
    const r = await kubefedctl([
      'unjoin',
      'cluster2',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`serviceaccount/${sa} deleted from cluster2`);
    expect(r.stdout).toContain(`secret/${secretName} deleted from cluster1`);
    expect(r.stdout).toContain('kubefedcluster.core.kubefed.io/cluster2 deleted from cluster1');
    expect(await snapshotBoth(ns, sa)).toEqual(before);
  });
});

describe('join cluster3 with a Namespaced control plane (scope from the KubeFedConfig)', () => {
  const ns = uniqueName('kf');
  const sa = 'cluster3-cluster1';
  let before: Awaited<ReturnType<typeof snapshotBoth>>;

  beforeAll(async () => {
    await kubectl('cluster1', ['create', 'namespace', ns]);
    await kubectl(
      'cluster1',
      ['apply', '-f', '-'],
      stringify({
        apiVersion: 'core.kubefed.io/v1beta1',
        kind: 'KubeFedConfig',
        metadata: { name: 'kubefed', namespace: ns },
        spec: { scope: 'Namespaced' },
      }),
    );
    before = await snapshotBoth(ns, sa);
  });
  afterAll(async () => {
    await cleanup(ns, [{ cluster: 'cluster3' }]);
  });

  it('grants all in the KubeFed namespace only, plus listing nodes and /healthz', async () => {
    const r = await kubefedctl([
      'join',
      'cluster3',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `role.rbac.authorization.k8s.io/kubefed-controller-manager:${sa} created in cluster3`,
    );
    expect(r.stdout).toContain(
      `clusterrole.rbac.authorization.k8s.io/kubefed-controller-manager:${ns}:healthcheck-${sa} created in cluster3`,
    );
    expect(r.stdout).not.toContain(`clusterrole.rbac.authorization.k8s.io/kubefed-controller-manager:${sa} `);
    const as = `--as=system:serviceaccount:${ns}:${sa}`;
    expect(await canI('cluster3', ['create', 'deployments', '-n', ns, as])).toBe('yes');
    expect(await canI('cluster3', ['create', 'deployments', '-n', 'default', as])).toBe('no');
    expect(await canI('cluster3', ['list', 'nodes', as])).toBe('yes');
    expect(await canI('cluster3', ['delete', 'nodes', as])).toBe('no');
    expect(await canI('cluster3', ['get', '/healthz', as])).toBe('yes');
  });

  it('unjoin removes the Role, RoleBinding and health-check ClusterRole, and keeps the host namespace it did not create', async () => {
    const r = await kubefedctl([
      'unjoin',
      'cluster3',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `rolebinding.rbac.authorization.k8s.io/kubefed-controller-manager:${sa} deleted from cluster3`,
    );
    expect(await snapshotBoth(ns, sa)).toEqual(before);
  });
});

describe('join the host cluster itself', () => {
  const ns = uniqueName('kf');
  afterAll(() => cleanup(ns, [{ cluster: 'cluster1' }]));

  it('joins cluster1 to itself, and unjoin keeps the host KubeFed namespace', async () => {
    const r = await kubefedctl([
      'join',
      'cluster1',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('serviceaccount/cluster1-cluster1 created in cluster1');
    expect(r.stdout.match(/^namespace\//gm)).toHaveLength(1);
    expect(await names('cluster1', ['-n', ns, 'kubefedclusters.core.kubefed.io'])).toEqual([
      'kubefedcluster.core.kubefed.io/cluster1',
    ]);
    const u = await kubefedctl([
      'unjoin',
      'cluster1',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(u.code).toBe(0);
    expect(u.stderr).toContain(
      `namespace/${ns} kept in cluster1: it is the host cluster's KubeFed namespace`,
    );
    expect(await names('cluster1', ['namespace', ns])).toEqual([`namespace/${ns}`]);
    expect(
      await names('cluster1', ['-n', ns, 'serviceaccounts,secrets,kubefedclusters.core.kubefed.io']),
    ).toEqual(['serviceaccount/default']);
    expect(await names('cluster1', ['clusterroles'])).not.toContain(
      'clusterrole.rbac.authorization.k8s.io/kubefed-controller-manager:cluster1-cluster1',
    );
  });
});

describe('join that must not write', () => {
  const ns = uniqueName('kf');
  let before: Awaited<ReturnType<typeof snapshotBoth>>;
  beforeAll(async () => {
    before = await snapshotBoth(ns, 'cluster2-cluster1');
  });
  afterAll(() => cleanup(ns, []));

  it('--dry-run -o yaml prints every object for both clusters and creates nothing', async () => {
    const r = await kubefedctl([
      'join',
      'cluster2',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
      '--dry-run',
      '-o',
      'yaml',
    ]);
    expect(r.code).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj & { kind: string });
    expect(docs.map((d) => `${d.kind}/${d.metadata.name ?? ''}`)).toEqual([
      `Namespace/${ns}`,
      'ServiceAccount/cluster2-cluster1',
      'Secret/cluster2-cluster1',
      'ClusterRole/kubefed-controller-manager:cluster2-cluster1',
      'ClusterRoleBinding/kubefed-controller-manager:cluster2-cluster1',
      `Namespace/${ns}`,
      'Secret/',
      'KubeFedCluster/cluster2',
    ]);
    expect(r.stdout).toContain('# in cluster2 (member)');
    expect(r.stdout).toContain('# in cluster1 (host)');
    expect(await snapshotBoth(ns, 'cluster2-cluster1')).toEqual(before);
  });

  it('a missing --cluster-context fails naming it and the available contexts, and creates nothing', async () => {
    const r = await kubefedctl([
      'join',
      'cluster2',
      '--cluster-context',
      'nope',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^kubefedctl: context "nope" \(--cluster-context\) not found in .*; available contexts: cluster1, cluster2, cluster3$/,
      ),
    ]);
    expect(r.stdout).toBe('');
    expect(await snapshotBoth(ns, 'cluster2-cluster1')).toEqual(before);
  });

  it('a host without the KubeFed CRDs fails with an install hint', async () => {
    const r = await kubefedctl([
      'join',
      'cluster3',
      '--host-cluster-context',
      'cluster2',
      '--kubefed-namespace',
      ns,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /KubeFed CRDs are not installed in host cluster "cluster2".*helm install kubefed/,
    );
    expect(await snapshot('cluster3', ns, 'cluster3-cluster2')).toEqual([]);
  });

  it('a bad --error-on-existing value or --scope is refused before anything happens', async () => {
    const bad = await kubefedctl(['join', 'cluster2', '--error-on-existing=maybe']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--error-on-existing takes true or false, not "maybe"');
    const scope = await kubefedctl([
      'join',
      'cluster2',
      '--scope',
      'Everything',
      '--host-cluster-context',
      'cluster1',
    ]);
    expect(scope.code).toBe(1);
    expect(scope.stderr).toContain('--scope must be Cluster or Namespaced');
  });
});

describe('an unreachable member', () => {
  const ns = uniqueName('kf');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kubefedctl-join-'));
  const broken = path.join(dir, 'kubeconfig');
  afterAll(() => cleanup(ns, [{ cluster: 'cluster2' }]));

  beforeAll(() => {
    // cluster2's credentials, but a port where no API server listens.
    const kc = parse(readFileSync(inject('kubeconfig'), 'utf8')) as {
      clusters: { name: string; cluster: Record<string, unknown> }[];
      contexts: { name: string; context: Record<string, unknown> }[];
    };
    const c2 = kc.clusters.find((c) => c.name === 'cluster2')!;
    kc.clusters.push({ name: 'gone', cluster: { ...c2.cluster, server: 'https://127.0.0.1:1' } });
    kc.contexts.push({ name: 'gone', context: { cluster: 'gone', user: 'kubefed-local-admin@cluster2' } });
    writeFileSync(broken, stringify(kc));
  });

  it('join fails naming the cluster and the cause', async () => {
    const r = await kubefedctl(
      [
        'join',
        'cluster2',
        '--cluster-context',
        'gone',
        '--host-cluster-context',
        'cluster1',
        '--kubefed-namespace',
        ns,
      ],
      broken,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /cannot reach cluster "cluster2" \(context "gone", https:\/\/127\.0\.0\.1:1\): .*ECONNREFUSED/,
    );
    expect(await names('cluster1', ['namespace', ns])).toEqual([]);
  });

  it('unjoin refuses without --force; with --force it removes the host side and lists what was left behind', async () => {
    const join = await kubefedctl([
      'join',
      'cluster2',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(join.code).toBe(0);
    const unforced = await kubefedctl(
      [
        'unjoin',
        'cluster2',
        '--cluster-context',
        'gone',
        '--host-cluster-context',
        'cluster1',
        '--kubefed-namespace',
        ns,
      ],
      broken,
    );
    expect(unforced.code).toBe(1);
    expect(unforced.stderr).toMatch(/cannot reach cluster "cluster2".*pass --force/);
    expect(await names('cluster1', ['-n', ns, 'kubefedclusters.core.kubefed.io'])).toHaveLength(1);

    const forced = await kubefedctl(
      [
        'unjoin',
        'cluster2',
        '--cluster-context',
        'gone',
        '--host-cluster-context',
        'cluster1',
        '--kubefed-namespace',
        ns,
        '--force',
      ],
      broken,
    );
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('kubefedcluster.core.kubefed.io/cluster2 deleted from cluster1');
    expect(forced.stderr).toMatch(/left behind there: .*serviceaccount\/cluster2-cluster1/);
    expect(await names('cluster1', ['namespace', ns])).toEqual([]);
    // What was left in cluster2 is still there, and a normal unjoin cleans it up.
    expect(await names('cluster2', ['-n', ns, 'serviceaccount', 'cluster2-cluster1'])).toHaveLength(1);
    const rest = await kubefedctl([
      'unjoin',
      'cluster2',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(rest.code).toBe(0);
    expect(await snapshot('cluster2', ns, 'cluster2-cluster1')).toEqual([]);
  });
});
