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
import { pollUntil } from '../../src/poll.js';
import {
  kubectl,
  kubefedLocal,
  privateTopology,
  REPO_ROOT,
  run,
  uniqueName,
  type RunResult,
} from '../support/local.js';

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

/** kubectl against some clusters: the shared ones by default, a private topology's where given. */
type Kubectl = (context: string, args: readonly string[], input?: string) => Promise<string>;

async function names(context: string, args: readonly string[], kc: Kubectl = kubectl): Promise<string[]> {
  const out = await kc(context, ['get', ...args, '-o', 'name', '--ignore-not-found']);
  return out.split('\n').filter(Boolean).sort();
}

/**
 * What join may touch in one cluster: the KubeFed namespace and what it holds, and cluster-scoped
 * RBAC whose name mentions the membership (`needle`); KubeFedClusters where the CRD exists.
 */
async function snapshot(
  context: string,
  namespace: string,
  needle: string,
  kc: Kubectl = kubectl,
): Promise<string[]> {
  const namespaced = ['serviceaccounts', 'secrets', 'roles', 'rolebindings', 'configmaps'];
  if (context === 'cluster1') namespaced.push('kubefedclusters.core.kubefed.io');
  const [nss, inNs, rbac] = await Promise.all([
    names(context, ['namespaces'], kc),
    names(context, ['-n', namespace, namespaced.join(',')], kc),
    names(context, ['clusterroles,clusterrolebindings'], kc),
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

/** `kind/name` -> resourceVersion of the given objects: equal before and after means nothing was written. */
async function versions(context: string, args: readonly string[]): Promise<Record<string, string>> {
  const out = await kubectl(context, [
    'get',
    ...args,
    '-o',
    'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}',
  ]);
  return Object.fromEntries(
    out
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('=') as [string, string]),
  );
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
  /** resourceVersions of every object the join wrote, in both clusters. */
  const written = async () => ({
    cluster2: await versions('cluster2', [
      `namespace/${ns}`,
      `-n=${ns}`,
      `serviceaccount/${sa}`,
      `secret/${sa}`,
      `clusterrole/${role}`,
      `clusterrolebinding/${role}`,
    ]),
    cluster1: await versions('cluster1', [
      `namespace/${ns}`,
      `-n=${ns}`,
      `secret/${secretName}`,
      'kubefedcluster/cluster2',
    ]),
  });

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
    // Member identity and RBAC first, then the host side: one line per object, in the order written.
    expect(r.stdout.split('\n')).toEqual([
      `namespace/${ns} created in cluster2`,
      `serviceaccount/${sa} created in cluster2`,
      `secret/${sa} created in cluster2`,
      `clusterrole.rbac.authorization.k8s.io/${role} created in cluster2`,
      `clusterrolebinding.rbac.authorization.k8s.io/${role} created in cluster2`,
      `namespace/${ns} created in cluster1`,
      `secret/${secretName} created in cluster1`,
      'kubefedcluster.core.kubefed.io/cluster2 created in cluster1',
      '',
    ]);

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

  it('refuses to join again, naming the existing objects and --error-on-existing=false, and writes nothing', async () => {
    const was = await written();
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
    expect(r.stderr).toMatch(/ and 3 more exist; /);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await written()).toEqual(was);
  });

  it('with --error-on-existing=false, joins again changing nothing and keeping the Secret', async () => {
    const was = await written();
    expect(Object.keys(was.cluster2)).toHaveLength(5);
    expect(Object.keys(was.cluster1)).toHaveLength(3);
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
    expect(r.stdout.trim().split('\n')).toHaveLength(6);
    // Not one write in either cluster: every resourceVersion is what it was.
    expect(await written()).toEqual(was);
    expect(await names('cluster1', ['-n', ns, 'secrets'])).toEqual(secretsBefore);
  });

  it('a dry run after the join predicts that nothing changes, and writes nothing', async () => {
    const was = await written();
    const r = await kubefedctl([
      'join',
      'cluster2',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
      '--error-on-existing=false',
      '--dry-run',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      `serviceaccount/${sa} unchanged in cluster2 (dry run)`,
      `secret/${sa} unchanged in cluster2 (dry run)`,
      `clusterrole.rbac.authorization.k8s.io/${role} unchanged in cluster2 (dry run)`,
      `clusterrolebinding.rbac.authorization.k8s.io/${role} unchanged in cluster2 (dry run)`,
      `secret/${secretName} unchanged in cluster1 (dry run)`,
      'kubefedcluster.core.kubefed.io/cluster2 unchanged in cluster1 (dry run)',
      '',
    ]);
    expect(await written()).toEqual(was);
  });

  it('with --error-on-existing=false, repairs drift: an edited ClusterRole, a binding to another role, a deleted host Secret', async () => {
    const rulesBefore = (await getJson<Obj>('cluster2', ['clusterrole', role])).rules;
    const tokenBefore = (await getJson<Obj>('cluster1', ['-n', ns, 'secret', secretName])).data;
    // By hand: narrow the ClusterRole, bind the ServiceAccount to `view` instead (roleRef is
    // immutable: delete and re-create), and delete the host's credential Secret.
    await kubectl('cluster2', [
      'patch',
      'clusterrole',
      role,
      '--type=merge',
      '-p',
      JSON.stringify({ rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }] }),
    ]);
    await kubectl('cluster2', ['delete', 'clusterrolebinding', role]);
    await kubectl('cluster2', [
      'create',
      'clusterrolebinding',
      role,
      '--clusterrole=view',
      `--serviceaccount=${ns}:${sa}`,
    ]);
    await kubectl('cluster1', ['-n', ns, 'delete', 'secret', secretName]);
    const kfcBefore = await getJson<Obj>('cluster1', ['-n', ns, 'kubefedcluster', 'cluster2']);

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
    expect(r.stdout.split('\n')).toEqual([
      `serviceaccount/${sa} unchanged in cluster2`,
      `secret/${sa} unchanged in cluster2`,
      `clusterrole.rbac.authorization.k8s.io/${role} configured in cluster2`,
      `clusterrolebinding.rbac.authorization.k8s.io/${role} configured in cluster2`,
      `secret/${secretName} created in cluster1`,
      'kubefedcluster.core.kubefed.io/cluster2 unchanged in cluster1',
      '',
    ]);
    expect((await getJson<Obj>('cluster2', ['clusterrole', role])).rules).toEqual(rulesBefore);
    const binding = await getJson<Obj>('cluster2', ['clusterrolebinding', role]);
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: role,
    });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: sa, namespace: ns }]);
    // The Secret is back under the name the KubeFedCluster references, with the same token.
    expect((await getJson<Obj>('cluster1', ['-n', ns, 'secret', secretName])).data).toEqual(tokenBefore);
    const kfcAfter = await getJson<Obj>('cluster1', ['-n', ns, 'kubefedcluster', 'cluster2']);
    expect(kfcAfter.metadata.resourceVersion).toBe(kfcBefore.metadata.resourceVersion);
    const as = `--as=system:serviceaccount:${ns}:${sa}`;
    expect(await canI('cluster2', ['create', 'deployments', '-n', 'default', as])).toBe('yes');
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

describe('unjoin of a member whose KubeFed namespace holds objects join did not create', () => {
  const ns = uniqueName('kf');
  const sa = 'cluster3-cluster1';
  afterAll(() => cleanup(ns, [{ cluster: 'cluster3' }]));

  it('removes what join created but keeps the namespace, naming what it holds (not its defaults or events)', async () => {
    const join = await kubefedctl([
      'join',
      'cluster3',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(join.code).toBe(0);
    // Someone else's objects in the member's KubeFed namespace, and an Event (a record, not state).
    await kubectl('cluster3', ['-n', ns, 'create', 'configmap', 'app', '--from-literal=k=v']);
    await kubectl(
      'cluster3',
      ['apply', '-f', '-'],
      stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: 'lock', namespace: ns },
            spec: { holderIdentity: 'someone' },
          },
          {
            apiVersion: 'v1',
            kind: 'Event',
            metadata: { name: 'app.1', namespace: ns },
            involvedObject: { apiVersion: 'v1', kind: 'ConfigMap', name: 'app', namespace: ns },
            reason: 'Test',
            message: 'an event',
            type: 'Normal',
          },
        ],
      }),
    );

    const r = await kubefedctl([
      'unjoin',
      'cluster3',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `namespace/${ns} kept in cluster3: it still holds other objects: configmaps/app, leases.coordination.k8s.io/lock\n`,
    );
    expect(r.stdout).toContain(`serviceaccount/${sa} deleted from cluster3`);
    expect(r.stdout).not.toContain(`namespace/${ns} deleted from cluster3`);
    // The host side is gone (join created the host namespace, so it went too); the member keeps its namespace.
    expect(r.stdout).toContain(`namespace/${ns} deleted from cluster1`);
    expect(await snapshot('cluster1', ns, sa)).toEqual([]);
    expect(await snapshot('cluster3', ns, sa)).toEqual([
      `namespace/${ns}`,
      'configmap/app',
      'configmap/kube-root-ca.crt',
      'serviceaccount/default',
    ]);
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

  it('-o json with --scope Namespaced prints the Namespaced objects of both clusters and creates nothing', async () => {
    const r = await kubefedctl([
      'join',
      'cluster2',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
      '--scope',
      'Namespaced',
      '-o',
      'json',
    ]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<'member' | 'host', { cluster: string; objects: Obj[] }>;
    expect(doc.member.cluster).toBe('cluster2');
    expect(doc.host.cluster).toBe('cluster1');
    expect(doc.member.objects.map((o) => o.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'Secret',
      'Role',
      'RoleBinding',
      'ClusterRole',
      'ClusterRoleBinding',
    ]);
    expect(doc.host.objects.map((o) => o.kind)).toEqual(['Namespace', 'Secret', 'KubeFedCluster']);
    expect(JSON.stringify(doc.host.objects[1])).toContain('<token of secret');
    expect(await snapshotBoth(ns, 'cluster2-cluster1')).toEqual(before);
  });

  it('unjoin of a cluster that is not joined fails clearly and deletes nothing', async () => {
    const r = await kubefedctl([
      'unjoin',
      'cluster2',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      `kubefedctl: cluster "cluster2" is not joined: no KubeFedCluster ${ns}/cluster2 in host cluster cluster1 and none of join's objects in cluster2 (check --kubefed-namespace and --host-cluster-name)`,
    ]);
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

/**
 * Failures midway, on a private host + one member (the shared clusters are left alone): a step the
 * host identity may not perform, and a member whose token controller is stopped. Each run rolls back
 * exactly what it created.
 */
describe('a join that fails midway (private topology)', () => {
  let topology: Awaited<ReturnType<typeof privateTopology>> | undefined;
  let dir: string;
  let kubeconfig: string;
  let kubectlBin: string;
  const pk: Kubectl = async (context, args, input) => {
    const r = await run(kubectlBin, ['--kubeconfig', kubeconfig, '--context', context, ...args], {
      ...(input === undefined ? {} : { input }),
    });
    if (r.code !== 0) throw new Error(`kubectl --context ${context} ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  const both = async (ns: string) => ({
    cluster1: await snapshot('cluster1', ns, 'cluster2-cluster1', pk),
    cluster2: await snapshot('cluster2', ns, 'cluster2-cluster1', pk),
  });

  beforeAll(async () => {
    topology = await privateTopology('join-faults', [], { members: 1 });
    dir = topology.dir;
    kubeconfig = topology.state.topology.kubeconfig;
    kubectlBin = path.join(topology.state.binDir, 'kubectl');
    const crds = path.join(REPO_ROOT, 'charts', 'kubefed', 'crds');
    await pk('cluster1', ['apply', '--server-side', '-f', crds]);
    await pk('cluster1', ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  });
  afterAll(async () => {
    await topology?.stop();
  });

  it('when the host refuses the KubeFedCluster, deletes what this run created (not what existed) and says so', async () => {
    const ns = uniqueName('kf');
    // The KubeFed namespace exists on both sides; the host identity may write Secrets there, and
    // read (but not create) KubeFedClusters.
    await pk('cluster1', ['create', 'namespace', ns]);
    await pk('cluster2', ['create', 'namespace', ns]);
    await pk('cluster1', ['-n', ns, 'create', 'serviceaccount', 'joiner']);
    await pk('cluster1', [
      '-n',
      ns,
      'create',
      'role',
      'joiner-secrets',
      '--verb=get,create,update,delete',
      '--resource=secrets',
    ]);
    await pk('cluster1', [
      '-n',
      ns,
      'create',
      'role',
      'joiner-read',
      '--verb=get',
      '--resource=namespaces,kubefedclusters.core.kubefed.io,kubefedconfigs.core.kubefed.io',
    ]);
    for (const role of ['joiner-secrets', 'joiner-read']) {
      await pk('cluster1', [
        '-n',
        ns,
        'create',
        'rolebinding',
        role,
        `--role=${role}`,
        `--serviceaccount=${ns}:joiner`,
      ]);
    }
    const token = (await pk('cluster1', ['-n', ns, 'create', 'token', 'joiner', '--duration=1h'])).trim();
    const limited = path.join(dir, 'joiner.kubeconfig'); // removed with the topology
    const kc = parse(readFileSync(kubeconfig, 'utf8')) as {
      contexts: { name: string; context: { cluster: string; user: string } }[];
      users: { name: string; user: Record<string, unknown> }[];
    };
    const host = kc.contexts.find((c) => c.name === 'cluster1')!;
    kc.users.push({ name: 'joiner', user: { token } });
    kc.contexts.push({ name: 'joiner', context: { cluster: host.context.cluster, user: 'joiner' } });
    writeFileSync(limited, stringify(kc));
    const before = await both(ns);

    const r = await kubefedctl(
      [
        'join',
        'cluster2',
        '--host-cluster-context',
        'joiner',
        '--host-cluster-name',
        'cluster1',
        '--kubefed-namespace',
        ns,
      ],
      limited,
    );
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^kubefedctl: join of cluster "cluster2" failed: kubefedclusters.core.kubefed.io is forbidden: User "system:serviceaccount:${ns}:joiner" cannot create .*; rolled back 5 objects this run created$`,
        ),
      ),
    ]);
    const lines = r.stdout.trim().split('\n');
    const hostSecret = /^secret\/(cluster2-[a-z0-9]{5}) created in cluster1$/.exec(lines[4]!)?.[1];
    expect(hostSecret).toBeDefined();
    const role = 'kubefed-controller-manager:cluster2-cluster1';
    expect(lines).toEqual([
      'serviceaccount/cluster2-cluster1 created in cluster2',
      'secret/cluster2-cluster1 created in cluster2',
      `clusterrole.rbac.authorization.k8s.io/${role} created in cluster2`,
      `clusterrolebinding.rbac.authorization.k8s.io/${role} created in cluster2`,
      `secret/${hostSecret} created in cluster1`,
      // Newest first; the namespaces existed before the run, so they stay.
      `secret/${hostSecret} deleted from cluster1 (rollback)`,
      `clusterrolebinding.rbac.authorization.k8s.io/${role} deleted from cluster2 (rollback)`,
      `clusterrole.rbac.authorization.k8s.io/${role} deleted from cluster2 (rollback)`,
      'secret/cluster2-cluster1 deleted from cluster2 (rollback)',
      'serviceaccount/cluster2-cluster1 deleted from cluster2 (rollback)',
    ]);
    expect(await both(ns)).toEqual(before);
  });

  it('when the member never fills the token Secret, fails naming the token controller and rolls back; joins once it is back', async () => {
    const ns = uniqueName('kf');
    const stopped = await kubefedLocal(['stop', 'cluster2/kube-controller-manager', '--dir', dir]);
    expect(stopped.code, stopped.stderr).toBe(0);
    const before = await both(ns);
    const join = () =>
      kubefedctl(
        [
          'join',
          'cluster2',
          '--host-cluster-context',
          'cluster1',
          '--kubefed-namespace',
          ns,
          '--token-timeout',
          '3s',
        ],
        kubeconfig,
      );

    const started = performance.now();
    const r = await join();
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      `kubefedctl: join of cluster "cluster2" failed: timed out after 3s waiting for the token of secret ${ns}/cluster2-cluster1 in cluster2; last seen: data has no keys: is the member's kube-controller-manager running its token controller (--service-account-private-key-file)?; rolled back 3 objects this run created`,
    ]);
    expect(r.stdout.trim().split('\n')).toEqual([
      `namespace/${ns} created in cluster2`,
      'serviceaccount/cluster2-cluster1 created in cluster2',
      'secret/cluster2-cluster1 created in cluster2',
      'secret/cluster2-cluster1 deleted from cluster2 (rollback)',
      'serviceaccount/cluster2-cluster1 deleted from cluster2 (rollback)',
      `namespace/${ns} deleted from cluster2 (rollback)`,
    ]);
    // Nothing in the host; in the member only the namespace, terminating (its controller is stopped too).
    expect(await snapshot('cluster1', ns, 'cluster2-cluster1', pk)).toEqual(before.cluster1);
    expect(await snapshot('cluster2', ns, 'cluster2-cluster1', pk)).toEqual([`namespace/${ns}`]);
    expect(
      await pk('cluster2', ['get', 'namespace', ns, '-o', 'jsonpath={.metadata.deletionTimestamp}']),
    ).not.toBe('');

    // Joining again while the namespace terminates fails before writing anything.
    const again = await join();
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      `namespace "${ns}" in cluster2 is being deleted (an unjoin?); wait until it is gone, then join again`,
    );
    expect(again.stdout).toBe('');

    const restarted = await kubefedLocal(['start', 'cluster2/kube-controller-manager', '--dir', dir]);
    expect(restarted.code, restarted.stderr).toBe(0);
    await pollUntil(
      `namespace ${ns} in cluster2 to be gone`,
      async () =>
        (await names('cluster2', ['namespace', ns], pk)).length === 0
          ? { done: true, value: undefined }
          : { done: false, seen: 'still there' },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    const ok = await join();
    expect(ok.stderr).toContain(`did not exist in host cluster cluster1; join created it`);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('kubefedcluster.core.kubefed.io/cluster2 created in cluster1');
    expect(await snapshot('cluster2', ns, 'cluster2-cluster1', pk)).toContain('secret/cluster2-cluster1');
  });
});
