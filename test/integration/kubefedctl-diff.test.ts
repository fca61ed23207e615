/**
 * `kubefedctl diff` and `kubefedctl plan` end to end: the real kubefed-controller-manager, cluster1..3
 * joined, FederatedConfigMaps and a FederatedJob propagated into a namespace placed on cluster2 and
 * cluster3. Each diff is judged by the members' server-side dry runs, and the API servers' own
 * request counters show that the diffs wrote nothing anywhere.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ObjectDiff } from '../../src/federation/diff.js';
import {
  apply,
  getObject,
  MEMBERS,
  CONFIGMAPS,
  TestControlPlane,
  waitFor,
  type TargetType,
} from '../support/control-plane.js';
import { kubectl } from '../support/local.js';

const JOBS: TargetType = {
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  pluralName: 'jobs',
  scope: 'Namespaced',
};
/** Without leader election, whose Lease renewals would be writes of the control plane while idle. */
const cp = new TestControlPlane({
  prefix: 'kf-diff',
  types: [CONFIGMAPS, JOBS],
  managerArgs: ['--no-leader-elect'],
});
const FCM = cp.resource('configmaps');
const FJOB = cp.resource('jobs');
const hostFlags = () => ['--host-cluster-context', 'cluster1', '--kubefed-namespace', cp.kfns];

let ns = '';
let dir = '';

const federatedConfigMap = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: `${cp.group}/v1beta1`,
  kind: 'FederatedConfigMap',
  metadata: { name, namespace: ns },
  spec: { template: { data: { greeting: 'hello' } }, ...spec },
});

const JOB_TEMPLATE = (image: string) => ({
  metadata: { labels: { app: 'batch' } },
  spec: {
    suspend: true,
    template: {
      spec: { restartPolicy: 'Never', containers: [{ name: 'main', image, command: ['true'] }] },
    },
  },
});

const federatedJob = (image: string) => ({
  apiVersion: `${cp.group}/v1beta1`,
  kind: 'FederatedJob',
  metadata: { name: 'batch', namespace: ns },
  spec: { template: JOB_TEMPLATE(image), placement: { clusters: [{ name: 'cluster2' }] } },
});

const onCluster2 = { placement: { clusters: [{ name: 'cluster2' }] } };
const onBoth = { placement: { clusters: [{ name: 'cluster2' }, { name: 'cluster3' }] } };

/** Writes `objects` as one YAML file (JSON documents) and returns its path. */
function manifest(name: string, ...objects: unknown[]): string {
  const file = path.join(dir, `${name}.yaml`);
  writeFileSync(file, objects.map((o) => JSON.stringify(o)).join('\n---\n'));
  return file;
}

async function diffJson(...args: string[]): Promise<{ code: number; objects: ObjectDiff[]; stderr: string }> {
  const r = await cp.kubefedctl('diff', ...args, '-o', 'json', ...hostFlags());
  return {
    code: r.code,
    stderr: r.stderr,
    objects: r.stdout ? (JSON.parse(r.stdout) as { objects: ObjectDiff[] }).objects : [],
  };
}

const actions = (o: ObjectDiff | undefined) => o?.clusters.map((c) => `${c.cluster}:${c.action}`);

/** API server write requests (POST/PUT/PATCH/DELETE) to `resources`, by verb, resource and dry run. */
async function writeCounts(context: string, resources: ReadonlySet<string>): Promise<Map<string, number>> {
  const text = await kubectl(context, ['get', '--raw', '/metrics']);
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!] as const),
    );
    if (!['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY', 'DELETECOLLECTION'].includes(labels.verb ?? ''))
      continue;
    if (!resources.has(labels.resource ?? '')) continue;
    const key = `${labels.dry_run ? 'dry-run ' : ''}${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

/** The real (not dry-run) writes of `counts`, by key. */
const realWrites = (counts: Map<string, number>) =>
  Object.fromEntries([...counts].filter(([k]) => !k.startsWith('dry-run ')).sort());
/**
 * Write counts of every cluster once nothing writes any more (two scrapes 2 s apart agree): the
 * control plane's last status and PropagatedVersion writes, and kube-controller-manager's
 * kube-root-ca.crt ConfigMaps in new namespaces, may land after the statuses the setup waited for.
 */
async function settledWriteCounts(resources: ReadonlySet<string>): Promise<Map<string, number>[]> {
  let last = await Promise.all(MEMBERS.map((c) => writeCounts(c, resources)));
  return waitFor('the clusters to stop writing', async () => {
    await new Promise((r) => setTimeout(r, 2_000));
    const now = await Promise.all(MEMBERS.map((c) => writeCounts(c, resources)));
    const same = JSON.stringify(now.map(realWrites)) === JSON.stringify(last.map(realWrites));
    last = now;
    return [same, now, JSON.stringify(now.map(realWrites))];
  });
}

const dryRuns = (counts: Map<string, number>) =>
  [...counts].filter(([k]) => k.startsWith('dry-run ')).reduce((n, [, v]) => n + v, 0);

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'kubefedctl-diff-'));
  await cp.setup();
  ns = await cp.federatedNamespace(['cluster2', 'cluster3'], 'diff');
  await apply('cluster1', federatedConfigMap('moves', onCluster2));
  await apply('cluster1', federatedConfigMap('greets', onBoth));
  await apply('cluster1', federatedConfigMap('drifts', onBoth));
  await apply('cluster1', federatedJob('busybox:1.36'));
  for (const name of ['greets', 'drifts'])
    await cp.waitForStatus(FCM, ns, name, ['cluster2:', 'cluster3:'], 'True');
  await cp.waitForStatus(FCM, ns, 'moves', ['cluster2:'], 'True');
  await cp.waitForStatus(FJOB, ns, 'batch', ['cluster2:'], 'True');
}, 300_000);

afterAll(async () => {
  await cp.teardown();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('kubefedctl diff', () => {
  it('a placement change shows one delete and one create', async () => {
    const file = manifest(
      'moves',
      federatedConfigMap('moves', { placement: { clusters: [{ name: 'cluster3' }] } }),
    );
    const copy = await getObject('cluster2', ['-n', ns, 'configmap', 'moves']);
    const r = await diffJson('-f', file);
    expect(r.code, r.stderr).toBe(1);
    expect(actions(r.objects[0])).toEqual(['cluster2:delete', 'cluster3:create']);
    // The dry-run deletion left the copy as it was.
    const after = await getObject('cluster2', ['-n', ns, 'configmap', 'moves']);
    expect([after?.metadata.uid, after?.metadata.resourceVersion]).toEqual([
      copy?.metadata.uid,
      copy?.metadata.resourceVersion,
    ]);
    const create = r.objects[0]!.clusters[1]!;
    expect(create.diff).toContain(`+++ planned/cluster3/configmaps/${ns}/moves`);
    expect(create.diff).toContain('+  greeting: hello');
    // The text form: per cluster its action and diff, then the summary line.
    const text = await cp.kubefedctl('diff', '-f', file, ...hostFlags());
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`FederatedConfigMap ${ns}/moves: cluster2: delete, cluster3: create`);
    expect(text.stdout).not.toContain('\u001b['); // no colour off a terminal
  });

  it('an override change shows a diff only in its cluster', async () => {
    const file = manifest(
      'greets',
      federatedConfigMap('greets', {
        ...onBoth,
        overrides: [
          { clusterName: 'cluster3', clusterOverrides: [{ path: '/data/greeting', value: 'hola' }] },
        ],
      }),
    );
    const r = await diffJson('-f', file);
    expect(r.code, r.stderr).toBe(1);
    expect(actions(r.objects[0])).toEqual(['cluster2:unchanged', 'cluster3:update']);
    expect(r.objects[0]!.clusters[1]!.diff).toContain('-  greeting: hello\n+  greeting: hola');
    expect(r.objects[0]!.clusters[0]!.diff).toBeUndefined();
  });

  it("an immutable-field change shows error with the member API server's message", async () => {
    const r = await diffJson('-f', manifest('batch', federatedJob('busybox:1.37')));
    expect(r.code, r.stderr).toBe(2);
    expect(r.objects[0]!.clusters).toEqual([
      expect.objectContaining({ cluster: 'cluster2', action: 'error', reason: 'UpdateFailed' }),
    ]);
    expect(r.objects[0]!.clusters[0]!.message).toMatch(/field is immutable/);
  });

  it('a bad override shows ApplyOverridesFailed in its cluster', async () => {
    const file = manifest(
      'bad',
      federatedConfigMap('greets', {
        ...onBoth,
        overrides: [
          { clusterName: 'cluster3', clusterOverrides: [{ path: '/data/nothing/here', value: 'x' }] },
        ],
      }),
    );
    const r = await diffJson('-f', file);
    expect(r.code, r.stderr).toBe(2);
    expect(actions(r.objects[0])).toEqual(['cluster2:unchanged', 'cluster3:error']);
    expect(r.objects[0]!.clusters[1]).toMatchObject({ reason: 'ApplyOverridesFailed' });
    expect(r.objects[0]!.clusters[1]!.message).toContain('/data/nothing/here');
  });

  it('--federate diffs a plain object as federate --filename wraps it; nothing is created', async () => {
    const file = manifest('plain', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'plain', namespace: ns },
      data: { k: 'v' },
    });
    const refused = await cp.kubefedctl('diff', '-f', file, ...hostFlags());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('pass --federate');
    const r = await diffJson('--federate', '-f', file);
    expect(r.code, r.stderr).toBe(1);
    // Placement "all clusters", limited by the namespace's FederatedNamespace to cluster2 and cluster3.
    expect(actions(r.objects[0])).toEqual(['cluster2:create', 'cluster3:create']);
    expect(await getObject('cluster2', ['-n', ns, 'configmap', 'plain'])).toBeUndefined();
    expect(await getObject('cluster1', ['-n', ns, FCM, 'plain'])).toBeUndefined();
  });

  it('contents of a namespace the same files federate: create, shown as rendered until the namespace exists', async () => {
    const fresh = `${ns}-new`;
    cp.testNamespaces.push(fresh);
    await kubectl('cluster1', ['create', 'namespace', fresh]);
    const file = manifest(
      'fresh',
      {
        apiVersion: `${cp.group}/v1beta1`,
        kind: 'FederatedNamespace',
        metadata: { name: fresh, namespace: fresh },
        spec: onBoth,
      },
      {
        ...federatedConfigMap('inside', { placement: { clusterSelector: {} } }),
        metadata: { name: 'inside', namespace: fresh },
      },
    );
    const r = await diffJson('-f', file);
    expect(r.code, r.stderr).toBe(1);
    expect(r.objects.map(actions)).toEqual([
      ['cluster2:create', 'cluster3:create'],
      ['cluster2:create', 'cluster3:create'],
    ]);
    const inside = r.objects[1]!.clusters[0]!;
    expect(inside.message).toContain(`namespace ${fresh} is not in the cluster yet`);
    expect(inside.diff).toContain('+  greeting: hello');
    expect(await getObject('cluster2', ['namespace', fresh])).toBeUndefined();
  });

  it('TYPE NAME of a propagated object: unchanged in every cluster, exit 0', async () => {
    const r = await diffJson('configmaps', 'greets', '-n', ns);
    expect(r.code, r.stderr).toBe(0);
    expect(actions(r.objects[0])).toEqual(['cluster2:unchanged', 'cluster3:unchanged']);
    const missing = await cp.kubefedctl('diff', 'configmaps', 'nope', '-n', ns, ...hostFlags());
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`FederatedConfigMap "${ns}/nope" not found`);
  });
});

describe('kubefedctl plan', () => {
  it('tables every federated object of the namespace against each cluster', async () => {
    const r = await cp.kubefedctl('plan', '-n', ns, '--exit-code', ...hostFlags());
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^OBJECT\s+CLUSTER2\s+CLUSTER3$/);
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^FederatedConfigMap/${ns}/moves\\s+unchanged\\s+-$`)),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^FederatedJob/${ns}/batch\\s+unchanged\\s+-$`)),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^FederatedNamespace/${ns}/${ns}\\s+unchanged\\s+unchanged$`)),
    );
    expect(lines.at(-1)).toBe('5 objects: 0 to create, 0 to update, 0 to delete, 0 errors, 8 unchanged');
  });

  it('plans a file set for CI: --exit-code 1 for changes, 2 when something would fail', async () => {
    const moves = manifest(
      'plan-moves',
      federatedConfigMap('moves', { placement: { clusters: [{ name: 'cluster3' }] } }),
    );
    const changes = await cp.kubefedctl('plan', '-f', moves, '--exit-code', ...hostFlags());
    expect(changes.code, changes.stderr).toBe(1);
    expect(changes.stdout).toMatch(new RegExp(`FederatedConfigMap/${ns}/moves\\s+delete\\s+create`));
    const withoutFlag = await cp.kubefedctl('plan', '-f', moves, ...hostFlags());
    expect(withoutFlag.code).toBe(0);
    const both = manifest('plan-both', federatedConfigMap('moves', onCluster2), federatedJob('busybox:1.37'));
    const failing = await cp.kubefedctl('plan', '-f', both, '--exit-code', ...hostFlags());
    expect(failing.code, failing.stderr).toBe(2);
    expect(failing.stdout).toContain(`FederatedJob ${ns}/batch:\n  cluster2: UpdateFailed:`);
  });
});

describe('no writes', () => {
  it('the diffs write nothing to host or members (API server request counters), the members dry-run', async () => {
    const resources = new Set([
      'configmaps',
      'jobs',
      'namespaces',
      'federatedconfigmaps',
      'federatedjobs',
      'federatednamespaces',
      'propagatedversions',
      'kubefedclusters',
    ]);
    const before = await settledWriteCounts(resources);
    const files = [
      manifest('w1', federatedConfigMap('moves', { placement: { clusters: [{ name: 'cluster3' }] } })),
      manifest(
        'w2',
        federatedConfigMap('greets', {
          ...onBoth,
          overrides: [
            { clusterName: 'cluster3', clusterOverrides: [{ path: '/data/greeting', value: 'hola' }] },
          ],
        }),
      ),
      manifest('w3', federatedJob('busybox:1.37')),
    ];
    for (const f of files) expect((await diffJson('-f', f)).code).toBeGreaterThan(0);
    expect((await cp.kubefedctl('plan', '-n', ns, ...hostFlags())).code).toBe(0);
    const after = await Promise.all(MEMBERS.map((c) => writeCounts(c, resources)));
    expect(after.map(realWrites)).toEqual(before.map(realWrites));
    // The dry runs did reach the API servers: the host for the files' federated objects, cluster2
    // for the deletion, the update and the Job, cluster3 for the create and the update.
    for (const i of [0, 1, 2]) expect(dryRuns(after[i]!)).toBeGreaterThan(dryRuns(before[i]!));
  });
});

describe('kubefedctl diff --live', () => {
  it('shows a member copy edited out of band as drifted, before the sync controller reverts it', async () => {
    await cp.killManager();
    try {
      await kubectl('cluster2', [
        '-n',
        ns,
        'patch',
        'configmap',
        'drifts',
        '--type=merge',
        '-p',
        '{"data":{"greeting":"edited"}}',
      ]);
      const r = await diffJson('--live', 'configmaps', 'drifts', '-n', ns);
      expect(r.code, r.stderr).toBe(1);
      expect(actions(r.objects[0])).toEqual(['cluster2:drifted', 'cluster3:unchanged']);
      const drifted = r.objects[0]!.clusters[0]!;
      expect(drifted.reason).toBe('Changed');
      expect(drifted.diff).toContain(`--- propagated/cluster2/configmaps/${ns}/drifts`);
      expect(drifted.diff).toContain('-  greeting: hello\n+  greeting: edited');
    } finally {
      cp.restartManager();
    }
    await waitFor('the sync controller to revert the drifted copy', async () => {
      const cm = await getObject<{ data?: Record<string, string> }>('cluster2', [
        '-n',
        ns,
        'configmap',
        'drifts',
      ]);
      return [cm?.data?.greeting === 'hello', cm, JSON.stringify(cm?.data)];
    });
    const after = await diffJson('--live', 'configmaps', 'drifts', '-n', ns);
    expect(after.code, after.stderr).toBe(0);
    expect(actions(after.objects[0])).toEqual(['cluster2:unchanged', 'cluster3:unchanged']);
  });
});
