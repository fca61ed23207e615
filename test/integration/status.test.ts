/**
 * Status collection end to end: the real kubefed-controller-manager process, cluster1..3 joined,
 * the `deployments.apps` FederatedTypeConfig with `statusCollection: Enabled` and a
 * FederatedDeploymentStatus type of this run. A FederatedDeployment over cluster2 and cluster3
 * (kwok nodes run its pods): its FederatedDeploymentStatus and `status.aggregate` follow the
 * members' real counts, a member scaled by hand shows up at once and is then put back, `kubefedctl
 * status` prints the members' numbers, and an idle control plane writes nothing.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { FederatedServiceStatusDefinition, type FederatedTypeConfig } from '../../src/api/core.js';
import { crdManifest } from '../../src/api/crd.js';
import type { FederatedObject } from '../../src/api/types.js';
import type { Aggregate } from '../../src/federation/aggregate.js';
import type { ClusterClient } from '../../src/kube/client.js';
import { Informer } from '../../src/kube/informer.js';
import type { KubeObject } from '../../src/kube/resource.js';
import { apply, getObject, TestControlPlane, waitFor, type TargetType } from '../support/control-plane.js';
import { clusterClient, kubectl, REPO_ROOT } from '../support/local.js';

const DEPLOYMENTS: TargetType = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  pluralName: 'deployments',
  scope: 'Namespaced',
};
/** Without leader election, whose Lease renewals would be the only (and expected) idle writes. */
const cp = new TestControlPlane({
  prefix: 'kf-status',
  types: [DEPLOYMENTS],
  managerArgs: ['--no-leader-elect'],
});
const FDEPLOY = cp.resource('deployments');
const STATUS_KIND = 'FederatedDeploymentStatus';
const STATUS_PLURAL = 'federateddeploymentstatuses';
const STATUS_RESOURCE = `${STATUS_PLURAL}.${cp.group}`;

type WithAggregate = FederatedObject & { status?: { aggregate?: Aggregate } };
type Deployment = KubeObject & {
  spec: { replicas: number };
  status?: { readyReplicas?: number; updatedReplicas?: number; availableReplicas?: number };
};
type StatusObject = KubeObject & {
  clusterStatus?: { clusterName: string; status: Record<string, unknown> }[];
};

/**
 * The status.aggregate schema this feature adds to every federated CRD, with its READY column:
 * applied to this run's FederatedDeployment CRD when the generated CRD does not carry it yet.
 */
const COUNT = { type: 'integer', format: 'int32', minimum: 0 };
const AGGREGATE_SCHEMA = {
  type: 'object',
  required: ['ready', 'clusters'],
  properties: {
    ready: { type: 'string' },
    desiredReplicas: COUNT,
    readyReplicas: COUNT,
    updatedReplicas: COUNT,
    availableReplicas: COUNT,
    clusters: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'exists', 'healthy'],
        properties: {
          name: { type: 'string' },
          exists: { type: 'boolean' },
          healthy: { type: 'boolean' },
          desiredReplicas: COUNT,
          readyReplicas: COUNT,
          updatedReplicas: COUNT,
          availableReplicas: COUNT,
        },
      },
    },
  },
};

async function ensureAggregateField(): Promise<void> {
  const crdName = `federateddeployments.${cp.group}`;
  const crd = JSON.parse(await kubectl('cluster1', ['get', 'crd', crdName, '-o', 'json'])) as {
    spec: {
      versions: {
        schema: { openAPIV3Schema: { properties: { status: { properties: Record<string, unknown> } } } };
        additionalPrinterColumns?: { name: string }[];
      }[];
    };
  };
  const version = crd.spec.versions[0]!;
  const patch: unknown[] = [];
  if (!version.schema.openAPIV3Schema.properties.status.properties.aggregate)
    patch.push({
      op: 'add',
      path: '/spec/versions/0/schema/openAPIV3Schema/properties/status/properties/aggregate',
      value: AGGREGATE_SCHEMA,
    });
  if (!(version.additionalPrinterColumns ?? []).some((c) => c.name === 'Ready'))
    patch.push({
      op: 'add',
      path: '/spec/versions/0/additionalPrinterColumns/-',
      value: { name: 'Ready', type: 'string', jsonPath: '.status.aggregate.ready' },
    });
  if (patch.length)
    await kubectl('cluster1', ['patch', 'crd', crdName, '--type=json', '-p', JSON.stringify(patch)]);
}

/** This run's FederatedDeploymentStatus CRD, shaped like upstream's FederatedServiceStatus. */
async function installStatusCrd(): Promise<void> {
  const crd = crdManifest({
    ...FederatedServiceStatusDefinition,
    group: cp.group,
    version: 'v1beta1',
    kind: STATUS_KIND,
    plural: STATUS_PLURAL,
    singular: STATUS_KIND.toLowerCase(),
    description: 'Deployment status collected from each member.',
  });
  await apply('cluster1', crd);
  await kubectl('cluster1', [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    `crd/${STATUS_RESOURCE}`,
  ]);
}

async function enableStatusCollection(): Promise<void> {
  await kubectl('cluster1', [
    '-n',
    cp.kfns,
    'patch',
    'federatedtypeconfig',
    'deployments.apps',
    '--type=merge',
    '-p',
    JSON.stringify({
      spec: {
        statusCollection: 'Enabled',
        statusType: {
          group: cp.group,
          version: 'v1beta1',
          kind: STATUS_KIND,
          pluralName: STATUS_PLURAL,
          scope: 'Namespaced',
        },
      },
    }),
  ]);
}

function fedDeployment(ns: string, name: string, replicas: number, cluster3Replicas: number) {
  return {
    apiVersion: `${cp.group}/v1beta1`,
    kind: 'FederatedDeployment',
    metadata: { name, namespace: ns },
    spec: {
      template: {
        metadata: { labels: { app: name } },
        spec: {
          replicas,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] },
          },
        },
      },
      placement: { clusters: [{ name: 'cluster2' }, { name: 'cluster3' }] },
      overrides: [
        { clusterName: 'cluster3', clusterOverrides: [{ path: '/spec/replicas', value: cluster3Replicas }] },
      ],
    },
  };
}

const memberDeployment = (cluster: string, ns: string, name: string) =>
  getObject<Deployment>(cluster, ['-n', ns, 'deployment', name]);

/** The member's own counts, in the aggregate's shape. */
async function memberCounts(cluster: string, ns: string, name: string) {
  const d = await memberDeployment(cluster, ns, name);
  return {
    name: cluster,
    exists: !!d,
    desiredReplicas: d?.spec.replicas ?? 0,
    readyReplicas: d?.status?.readyReplicas ?? 0,
    updatedReplicas: d?.status?.updatedReplicas ?? 0,
    availableReplicas: d?.status?.availableReplicas ?? 0,
  };
}

/**
 * Waits until cluster2 and cluster3 run all their replicas, status.aggregate says exactly that, and
 * propagation says it is done (Propagation True, no cluster with a status): the aggregate and the
 * Propagation condition are written by two controllers, each when it gets there.
 */
async function waitForSettled(
  ns: string,
  name: string,
  want: Record<string, number>,
): Promise<WithAggregate> {
  return waitFor(
    `${ns}/${name}: members Ready with ${JSON.stringify(want)} and status.aggregate equal to their counts`,
    async () => {
      const f = await getObject<WithAggregate>('cluster1', ['-n', ns, FDEPLOY, name]);
      const members = await Promise.all(['cluster2', 'cluster3'].map((c) => memberCounts(c, ns, name)));
      const membersReady = members.every(
        (m) =>
          m.desiredReplicas === want[m.name] &&
          m.readyReplicas === want[m.name] &&
          m.availableReplicas === want[m.name],
      );
      const agg = f?.status?.aggregate;
      const seen = (agg?.clusters ?? []).map(({ healthy: _h, ...c }) => c);
      const propagation = f?.status?.conditions?.find((c) => c.type === 'Propagation');
      const propagated =
        propagation?.status === 'True' && (f?.status?.clusters ?? []).every((c) => c.status === undefined);
      return [
        membersReady && isDeepStrictEqual(seen, members) && agg?.ready === '2/2' && propagated,
        f!,
        `members ${JSON.stringify(members)}; aggregate ${JSON.stringify(agg)}; propagation ${JSON.stringify(propagation)} ${JSON.stringify(f?.status?.clusters)}`,
      ];
    },
    120_000,
  );
}

const WRITE_VERBS = new Set(['post', 'put', 'patch', 'delete']);

/** The manager's write requests so far, by `cluster/verb`. */
async function writeCounts(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await cp.metrics()).split('\n')) {
    const m = /^rest_client_requests_total\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = Object.fromEntries(
      [...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]),
    );
    if (!WRITE_VERBS.has(labels.verb ?? '')) continue;
    const key = `${labels.cluster}/${labels.verb}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
  }
  return out;
}

const statusFlags = ['--host-cluster-context', 'cluster1', '--kubefed-namespace', cp.kfns];

/** The table rows of `kubefedctl status` by first cell, split on column gaps. */
function tableRows(out: string): Map<string, string[]> {
  return new Map(
    out
      .trim()
      .split('\n')
      .slice(2)
      .map((line) => line.split(/\s{2,}/))
      .map((cells) => [cells[0]!, cells]),
  );
}

let ns = '';
const NAME = 'web';
let host: ClusterClient;

beforeAll(async () => {
  await cp.setup();
  await installStatusCrd();
  await ensureAggregateField();
  await enableStatusCollection();
  ns = await cp.federatedNamespace(['cluster2', 'cluster3'], 'status');
  host = await clusterClient('cluster1');
});

afterAll(async () => {
  await host?.close();
  await cp.teardown();
  await kubectl('cluster1', ['delete', 'crd', STATUS_RESOURCE, '--ignore-not-found', '--wait=false']).catch(
    () => undefined,
  );
}, 300_000);

describe('status collection', () => {
  it('runs a status controller for a type with statusCollection Enabled and says so in its FTC', async () => {
    await waitFor('FTC deployments.apps statusController Running', async () => {
      const f = await getObject<FederatedTypeConfig>('cluster1', [
        '-n',
        cp.kfns,
        'federatedtypeconfig',
        'deployments.apps',
      ]);
      return [
        f?.status?.statusController === 'Running' &&
          f.status.propagationController === 'Running' &&
          f.status.observedGeneration === f.metadata.generation,
        f,
        JSON.stringify(f?.status),
      ];
    });
  });

  it("brings the status object and status.aggregate to the kwok pods' real ready counts", async () => {
    await apply('cluster1', fedDeployment(ns, NAME, 2, 3));
    const f = await waitForSettled(ns, NAME, { cluster2: 2, cluster3: 3 });
    const agg = f.status!.aggregate!;
    expect(agg).toMatchObject({
      ready: '2/2',
      desiredReplicas: 5,
      readyReplicas: 5,
      updatedReplicas: 5,
      availableReplicas: 5,
    });
    expect(agg.clusters.map((c) => [c.name, c.healthy])).toEqual([
      ['cluster2', true],
      ['cluster3', true],
    ]);
    // kubectl shows it in the READY column.
    const table = await kubectl('cluster1', ['-n', ns, 'get', FDEPLOY, NAME]);
    expect(table.split('\n')[0]).toMatch(/READY/);
    expect(table.split('\n')[1]).toMatch(/\s2\/2(\s|$)/);

    const statusObject = await waitFor(`${STATUS_KIND} ${ns}/${NAME} with the members' status`, async () => {
      const s = await getObject<StatusObject>('cluster1', ['-n', ns, STATUS_RESOURCE, NAME]);
      const byCluster = new Map((s?.clusterStatus ?? []).map((c) => [c.clusterName, c.status]));
      const ok = (c: string, n: number) => byCluster.get(c)?.readyReplicas === n;
      return [ok('cluster2', 2) && ok('cluster3', 3), s!, JSON.stringify(s?.clusterStatus)];
    });
    // Every Ready cluster, sorted; cluster1 is joined but not placed, so it has no copy.
    expect(statusObject.clusterStatus!.map((c) => c.clusterName)).toEqual([
      'cluster1',
      'cluster2',
      'cluster3',
    ]);
    expect(statusObject.clusterStatus![0]!.status).toEqual({});
    for (const c of ['cluster2', 'cluster3']) {
      const member = await memberDeployment(c, ns, NAME);
      expect(statusObject.clusterStatus!.find((x) => x.clusterName === c)!.status).toEqual(member!.status);
    }
    expect(statusObject.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'FederatedDeployment', name: NAME, uid: f.metadata.uid }),
    ]);
  });

  it('puts back a status object deleted by hand', async () => {
    const before = await getObject<StatusObject>('cluster1', ['-n', ns, STATUS_RESOURCE, NAME]);
    await kubectl('cluster1', ['-n', ns, 'delete', STATUS_RESOURCE, NAME]);
    const after = await waitFor(`${STATUS_KIND} ${ns}/${NAME} recreated`, async () => {
      const s = await getObject<StatusObject>('cluster1', ['-n', ns, STATUS_RESOURCE, NAME]);
      return [!!s && s.metadata.uid !== before!.metadata.uid, s!, s?.metadata.uid ?? 'absent'];
    });
    expect(after.clusterStatus).toEqual(before!.clusterStatus);
  });

  it("shows a member scaled by hand within seconds, then propagation's correction", async () => {
    // Every version of the federated object, as a watch delivers them.
    const seen: { at: number; agg: Aggregate | undefined }[] = [];
    const informer = new Informer<WithAggregate>({
      client: host,
      resource: { group: cp.group, version: 'v1beta1', resource: 'federateddeployments', namespaced: true },
      namespace: ns,
    });
    const record = (o: WithAggregate) => {
      if (o.metadata.name === NAME) seen.push({ at: Date.now(), agg: o.status?.aggregate });
    };
    informer.addHandlers({ onAdd: record, onUpdate: (_a, b) => record(b) });
    informer.start();
    try {
      await informer.waitForSync(30_000);
      const scaledAt = Date.now();
      await kubectl('cluster2', ['-n', ns, 'scale', 'deployment', NAME, '--replicas=4']);
      const shown = await waitFor(
        'status.aggregate showing cluster2 scaled to 4',
        () => {
          const hit = seen.find(
            (s) =>
              s.at >= scaledAt && s.agg?.clusters.find((c) => c.name === 'cluster2')?.desiredReplicas === 4,
          );
          return Promise.resolve<[boolean, (typeof seen)[number], string]>([
            !!hit,
            hit!,
            JSON.stringify(seen.at(-1)?.agg?.clusters),
          ]);
        },
        20_000,
      );
      expect(shown.at - scaledAt).toBeLessThan(5_000);
      expect(shown.agg!.desiredReplicas).toBe(7);
      expect(shown.agg!.ready).toBe('1/2'); // 4 desired, 2 ready: not healthy until propagation puts it back
      // Propagation restores 2 replicas in cluster2; the aggregate follows.
      await waitForSettled(ns, NAME, { cluster2: 2, cluster3: 3 });
      expect((await memberDeployment('cluster2', ns, NAME))!.spec.replicas).toBe(2);
    } finally {
      await informer.stop();
    }
  });

  it("kubefedctl status prints the per-cluster table with the members' numbers", async () => {
    const r = await cp.kubefedctl('status', 'deployments.apps', NAME, '-n', ns, ...statusFlags);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`FederatedDeployment ${ns}/${NAME}: Propagation=True`);
    expect(lines[1]!.split(/\s{2,}/)).toEqual([
      'CLUSTER',
      'PROPAGATION',
      'READY',
      'UPDATED',
      'AVAILABLE',
      'LAST ERROR',
    ]);
    const rows = tableRows(r.stdout);
    for (const c of ['cluster2', 'cluster3']) {
      const m = await memberCounts(c, ns, NAME);
      expect(rows.get(c)).toEqual([
        c,
        'OK',
        `${m.readyReplicas}/${m.desiredReplicas}`,
        String(m.updatedReplicas),
        String(m.availableReplicas),
      ]);
    }
    expect(rows.get('TOTAL')).toEqual(['TOTAL', '5/5', '5', '5']);
    expect([...rows.keys()]).toEqual(['cluster2', 'cluster3', 'TOTAL']);

    // The federated type's own name works too, and -o json gives the same numbers.
    const j = await cp.kubefedctl(
      'status',
      `federateddeployments.${cp.group}`,
      NAME,
      '-n',
      ns,
      '-o',
      'json',
      ...statusFlags,
    );
    expect(j.code).toBe(0);
    const report = JSON.parse(j.stdout) as {
      propagated: string;
      totals: Record<string, number>;
      clusters: { cluster: string; readyReplicas: number }[];
    };
    expect(report.propagated).toBe('True');
    expect(report.totals).toEqual({
      desiredReplicas: 5,
      readyReplicas: 5,
      updatedReplicas: 5,
      availableReplicas: 5,
    });
    expect(report.clusters.map((c) => [c.cluster, c.readyReplicas])).toEqual([
      ['cluster2', 2],
      ['cluster3', 3],
    ]);
  });

  it('kubefedctl status names the missing object and the type it looked for', async () => {
    const r = await cp.kubefedctl('status', 'deployments.apps', 'nope', '-n', ns, ...statusFlags);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`FederatedDeployment "${ns}/nope" not found in host cluster "cluster1"`);
  });

  it('kubefedctl status -w prints the table again when the numbers change, until interrupted', async () => {
    const child = spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, 'dist', 'cli', 'kubefedctl', 'main.js'),
        'status',
        'deployments.apps',
        NAME,
        '-n',
        ns,
        '-w',
        ...statusFlags,
        '--kubeconfig',
        inject('kubeconfig'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the first table', () => Promise.resolve([out.includes('TOTAL'), out, out]), 30_000);
      await apply('cluster1', fedDeployment(ns, NAME, 3, 3));
      await waitFor(
        'a table with 6/6 in total',
        () => {
          const tables = out.split(/\n\n/);
          const last = tables.at(-1) ?? '';
          return Promise.resolve([
            tables.length >= 2 && tableRows(last).get('TOTAL')?.[1] === '6/6',
            out,
            out,
          ]);
        },
        120_000,
      );
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    await waitForSettled(ns, NAME, { cluster2: 3, cluster3: 3 });
  });

  it('writes nothing while nothing changes (60 s idle)', async () => {
    await waitForSettled(ns, NAME, { cluster2: 3, cluster3: 3 });
    await waitFor(`${STATUS_KIND} ${ns}/${NAME} current`, async () => {
      const s = await getObject<StatusObject>('cluster1', ['-n', ns, STATUS_RESOURCE, NAME]);
      const ready = (s?.clusterStatus ?? []).map((c) => c.status.readyReplicas ?? 0);
      return [JSON.stringify(ready) === JSON.stringify([0, 3, 3]), s, JSON.stringify(ready)];
    });
    // Trailing member status updates (rollout conditions) are changes, legitimately written: let them end.
    let before = await writeCounts();
    await waitFor(
      'no manager writes for 5 s',
      async () => {
        await new Promise((r) => setTimeout(r, 5_000));
        const now = await writeCounts();
        const quiet = isDeepStrictEqual(now, before);
        before = now;
        return [quiet, now, JSON.stringify([...now])];
      },
      90_000,
    );
    const rvBefore = (await getObject<KubeObject>('cluster1', ['-n', ns, FDEPLOY, NAME]))!.metadata
      .resourceVersion;
    await new Promise((r) => setTimeout(r, 60_000));
    const after = await writeCounts();
    const delta: Record<string, number> = {};
    for (const [k, v] of after) if (v !== (before.get(k) ?? 0)) delta[k] = v - (before.get(k) ?? 0);
    expect(delta).toEqual({});
    const rvAfter = (await getObject<KubeObject>('cluster1', ['-n', ns, FDEPLOY, NAME]))!.metadata
      .resourceVersion;
    expect(rvAfter).toBe(rvBefore);
  });

  it("with RawResourceStatusCollection Enabled, mirrors each member copy's status in status.clusters[].remoteStatus", async () => {
    const setRawStatus = (raw: 'Enabled' | 'Disabled') =>
      kubectl('cluster1', [
        '-n',
        cp.kfns,
        'patch',
        'kubefedconfig',
        'kubefed',
        '--type=merge',
        '-p',
        JSON.stringify({
          spec: {
            featureGates: [
              { name: 'PushReconciler', configuration: 'Enabled' },
              { name: 'RawResourceStatusCollection', configuration: raw },
              { name: 'SchedulerPreferences', configuration: 'Enabled' },
            ],
          },
        }),
      ]);
    type Entry = { name: string; status?: string; remoteStatus?: Record<string, unknown> };
    const entries = async () =>
      ((await getObject<FederatedObject>('cluster1', ['-n', ns, FDEPLOY, NAME]))?.status?.clusters ??
        []) as Entry[];
    await waitForSettled(ns, NAME, { cluster2: 3, cluster3: 3 });
    expect((await entries()).filter((e) => e.remoteStatus !== undefined)).toEqual([]);
    // Turning the gate on needs no restart: every object is looked at again.
    await setRawStatus('Enabled');
    try {
      await waitFor('status.clusters[].remoteStatus equal to each member Deployment status', async () => {
        const members = await Promise.all(['cluster2', 'cluster3'].map((c) => memberDeployment(c, ns, NAME)));
        const list = await entries();
        const same = ['cluster2', 'cluster3'].every(
          (c, i) =>
            members[i]?.status !== undefined &&
            isDeepStrictEqual(list.find((e) => e.name === c)?.remoteStatus, members[i].status),
        );
        return [same, list, JSON.stringify(list)];
      });
      const f = await getObject<FederatedObject>('cluster1', ['-n', ns, FDEPLOY, NAME]);
      const condition = (f?.status?.conditions ?? []).find((c) => c.type === 'Propagation');
      expect(condition?.status).toBe('True');
      expect((await entries()).every((e) => e.remoteStatus?.readyReplicas === 3)).toBe(true);
    } finally {
      await setRawStatus('Disabled');
    }
    await waitFor('remoteStatus gone once the gate is off', async () => {
      const list = await entries();
      return [
        list.length === 2 && list.every((e) => e.remoteStatus === undefined),
        list,
        JSON.stringify(list),
      ];
    });
  });

  it('stops the status controller when statusCollection is Disabled, and says so in the FTC', async () => {
    await kubectl('cluster1', [
      '-n',
      cp.kfns,
      'patch',
      'federatedtypeconfig',
      'deployments.apps',
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { statusCollection: 'Disabled' } }),
    ]);
    await waitFor('FTC deployments.apps statusController NotRunning', async () => {
      const f = await getObject<FederatedTypeConfig>('cluster1', [
        '-n',
        cp.kfns,
        'federatedtypeconfig',
        'deployments.apps',
      ]);
      return [
        f?.status?.statusController === 'NotRunning' &&
          f.status.propagationController === 'Running' &&
          f.status.observedGeneration === f.metadata.generation,
        f,
        JSON.stringify(f?.status),
      ];
    });
    // No collector: a member change no longer reaches status.aggregate (propagation still runs).
    const desiredSeen: number[] = [];
    const informer = new Informer<WithAggregate>({
      client: host,
      resource: { group: cp.group, version: 'v1beta1', resource: 'federateddeployments', namespaced: true },
      namespace: ns,
    });
    const record = (o: WithAggregate) => {
      const c = o.status?.aggregate?.clusters.find((x) => x.name === 'cluster2');
      if (o.metadata.name === NAME && c) desiredSeen.push(c.desiredReplicas ?? -1);
    };
    informer.addHandlers({ onAdd: record, onUpdate: (_a, b) => record(b) });
    informer.start();
    try {
      await informer.waitForSync(30_000);
      await kubectl('cluster2', ['-n', ns, 'scale', 'deployment', NAME, '--replicas=5']);
      await waitFor('propagation putting cluster2 back to 3 replicas', async () => {
        const d = await memberDeployment('cluster2', ns, NAME);
        return [d?.spec.replicas === 3 && (d.metadata.generation ?? 0) > 1, d, String(d?.spec.replicas)];
      });
      await new Promise((r) => setTimeout(r, 3_000));
    } finally {
      await informer.stop();
    }
    expect(desiredSeen).not.toContain(5);
    expect(desiredSeen.at(-1)).toBe(3);
  });
});
