/**
 * ReplicaSchedulingPreference end to end: the real kubefed-controller-manager, cluster1..3 joined,
 * kwok nodes running the pods. The guide's preference gives upstream's split with Ready pods;
 * with rebalance, replicas leave a cluster whose pods cannot be scheduled and come back when they
 * can; replicas leave a member whose API server stops and come back when it returns.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FederatedObject } from '../../src/api/types.js';
import type { KubeObject } from '../../src/kube/resource.js';
import { apply, getObject, TestControlPlane, waitFor, type TargetType } from '../support/control-plane.js';
import { kubectl, kubefedLocal } from '../support/local.js';

const DEPLOYMENTS: TargetType = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  pluralName: 'deployments',
  scope: 'Namespaced',
};
const cp = new TestControlPlane({
  prefix: 'kf-rsp',
  types: [DEPLOYMENTS],
  // Upstream waits 60 s before counting unschedulable pods against a cluster; 3 s keeps the test short.
  managerArgs: ['--unschedulable-threshold', '3s'],
});
const FDEPLOY = () => cp.resource('deployments');

interface Workload extends KubeObject {
  spec: { replicas?: number };
  status?: { readyReplicas?: number };
}

interface RspStatus {
  conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
  clusters?: Array<{ name: string; replicas: number; reasons?: string[] }>;
}

function fedDeployment(ns: string, name: string) {
  return {
    apiVersion: `${cp.group}/v1beta1`,
    kind: 'FederatedDeployment',
    metadata: { name, namespace: ns },
    spec: {
      template: {
        metadata: { labels: { app: name } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] },
          },
        },
      },
      placement: { clusterSelector: {} },
    },
  };
}

function rsp(ns: string, name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: 'scheduling.kubefed.io/v1alpha1',
    kind: 'ReplicaSchedulingPreference',
    metadata: { name, namespace: ns },
    spec: { targetKind: 'FederatedDeployment', ...spec },
  };
}

/** Replicas per cluster the federated object asks for: its `/spec/replicas` overrides. */
function overriddenReplicas(f: FederatedObject | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of f?.spec?.overrides ?? [])
    for (const co of o.clusterOverrides ?? [])
      if (co.path === '/spec/replicas') out[o.clusterName ?? ''] = co.value as number;
  return out;
}

/** Waits until each member runs `expected[cluster]` Ready replicas of the Deployment. */
async function readySplit(ns: string, name: string, expected: Record<string, number>, timeoutMs = 60_000) {
  return waitFor(
    `Ready replicas of ${ns}/${name} = ${JSON.stringify(expected)}`,
    async () => {
      const seen: Record<string, string> = {};
      let ok = true;
      for (const [cluster, n] of Object.entries(expected)) {
        const d = await getObject<Workload>(cluster, ['-n', ns, 'deployment', name]);
        seen[cluster] = `${d?.spec.replicas ?? '-'}/${d?.status?.readyReplicas ?? 0}`;
        if ((d?.spec.replicas ?? 0) !== n || (d?.status?.readyReplicas ?? 0) !== n) ok = false;
      }
      return [ok, seen, JSON.stringify(seen)];
    },
    timeoutMs,
  );
}

async function federated(ns: string, name: string) {
  return getObject<FederatedObject>('cluster1', ['-n', ns, FDEPLOY(), name]);
}

async function nodes(cluster: string): Promise<string[]> {
  return (await kubectl(cluster, ['get', 'nodes', '-o', 'name'])).trim().split('\n').filter(Boolean);
}

beforeAll(() => cp.setup());
afterAll(() => cp.teardown());

describe('ReplicaSchedulingPreference', () => {
  it("splits the guide's preference as upstream does (A: min 2 max 4 weight 2, B: min 3 weight 1, total 10 => 4/6), with Ready pods", async () => {
    const ns = await cp.federatedNamespace(['cluster2', 'cluster3'], 'rsp');
    await apply('cluster1', fedDeployment(ns, 'guide'));
    await apply(
      'cluster1',
      rsp(ns, 'guide', {
        totalReplicas: 10,
        clusters: {
          cluster2: { minReplicas: 2, maxReplicas: 4, weight: 2 },
          cluster3: { minReplicas: 3, weight: 1 },
        },
      }),
    );

    const f = await waitFor('the split written into the FederatedDeployment', async () => {
      const f = await federated(ns, 'guide');
      const r = overriddenReplicas(f);
      return [r.cluster2 === 4 && r.cluster3 === 6, f!, JSON.stringify(f?.spec)];
    });
    // cluster1 has no preference (no entry, no "*"): it is left out of the placement, as upstream.
    expect(f.spec?.placement?.clusters?.map((c) => c.name)).toEqual(['cluster2', 'cluster3']);
    expect(overriddenReplicas(f)).toEqual({ cluster2: 4, cluster3: 6 });
    await readySplit(ns, 'guide', { cluster2: 4, cluster3: 6 });

    const status = await waitFor('the RSP status', async () => {
      const r = await getObject<KubeObject & { status?: RspStatus }>('cluster1', ['-n', ns, 'rsp', 'guide']);
      const c = r?.status?.conditions?.find((x) => x.type === 'Scheduled');
      return [c?.reason === 'Scheduled', r!.status!, JSON.stringify(r?.status)];
    });
    const byName = Object.fromEntries((status.clusters ?? []).map((c) => [c.name, c]));
    expect(byName.cluster2?.replicas).toBe(4);
    // At first maxReplicas caps it; once its pods run, rebalance=false keeps them: either says why.
    expect(byName.cluster2?.reasons?.join()).toMatch(/CappedByMaxReplicas|KeptCurrentReplicas/);
    expect(byName.cluster1?.reasons?.join()).toContain('NoPreference');
  });

  it('says why a preference cannot be applied, and schedules once it can', async () => {
    const ns = await cp.federatedNamespace(['cluster2', 'cluster3'], 'rsp');
    await apply(
      'cluster1',
      rsp(ns, 'later', { totalReplicas: 4, clusters: { cluster2: { weight: 1 }, cluster3: { weight: 1 } } }),
    );
    await waitFor('TargetNotFound in the RSP status', async () => {
      const r = await getObject<KubeObject & { status?: RspStatus }>('cluster1', ['-n', ns, 'rsp', 'later']);
      const c = r?.status?.conditions?.[0];
      return [c?.status === 'False' && c.reason === 'TargetNotFound', c, JSON.stringify(r?.status)];
    });
    const events = await kubectl('cluster1', [
      '-n',
      ns,
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=later,reason=TargetNotFound',
      '-o',
      'name',
    ]);
    expect(events.trim()).not.toBe('');

    await apply('cluster1', fedDeployment(ns, 'later'));
    await readySplit(ns, 'later', { cluster2: 2, cluster3: 2 });
  });

  it('with rebalance, moves replicas away from a cluster whose pods cannot be scheduled, and back when they can', async () => {
    const ns = await cp.federatedNamespace(['cluster2', 'cluster3'], 'rsp');
    await apply('cluster1', fedDeployment(ns, 'moving'));
    await apply(
      'cluster1',
      rsp(ns, 'moving', {
        totalReplicas: 6,
        rebalance: true,
        clusters: { cluster2: { weight: 1 }, cluster3: { weight: 1 } },
      }),
    );
    await readySplit(ns, 'moving', { cluster2: 3, cluster3: 3 });

    const cluster3Nodes = await nodes('cluster3');
    try {
      // No room in cluster3 any more: its pods, recreated, stay Pending (Unschedulable).
      await kubectl('cluster3', ['cordon', ...cluster3Nodes]);
      await kubectl('cluster3', ['-n', ns, 'delete', 'pods', '-l', 'app=moving', '--wait=false']);
      const moved = await waitFor(
        'all 6 replicas Ready in cluster2',
        async () => {
          const d = await getObject<Workload>('cluster2', ['-n', ns, 'deployment', 'moving']);
          return [d?.status?.readyReplicas === 6, d, `${d?.spec.replicas}/${d?.status?.readyReplicas}`];
        },
        90_000,
      );
      expect(moved?.spec.replicas).toBe(6);
      await waitFor('the RSP status to say cluster3 is at capacity', async () => {
        const r = await getObject<KubeObject & { status?: RspStatus }>('cluster1', [
          '-n',
          ns,
          'rsp',
          'moving',
        ]);
        const c3 = r?.status?.clusters?.find((c) => c.name === 'cluster3');
        return [
          c3?.reasons?.some((x) => x.startsWith('CappedByCapacity')) === true,
          c3,
          JSON.stringify(r?.status),
        ];
      });
    } finally {
      await kubectl('cluster3', ['uncordon', ...cluster3Nodes]);
    }
    // Capacity is back: the pending pods run and the split returns to the preference.
    await readySplit(ns, 'moving', { cluster2: 3, cluster3: 3 }, 90_000);
  });

  it('with rebalance, moves replicas off a member whose API server stops, and back when it returns', async () => {
    const ns = await cp.federatedNamespace(['cluster2', 'cluster3'], 'rsp');
    await apply('cluster1', fedDeployment(ns, 'failover'));
    await apply(
      'cluster1',
      // rebalance: without it, replicas running in cluster2 may stay there when cluster3 returns (as upstream).
      rsp(ns, 'failover', {
        totalReplicas: 4,
        rebalance: true,
        clusters: { cluster2: { weight: 1 }, cluster3: { weight: 1 } },
      }),
    );
    await readySplit(ns, 'failover', { cluster2: 2, cluster3: 2 });

    const dir = inject('localDir');
    expect((await kubefedLocal(['stop', 'cluster3/kube-apiserver', '--dir', dir])).code).toBe(0);
    try {
      await readySplit(ns, 'failover', { cluster2: 4 }, 90_000);
      const f = await federated(ns, 'failover');
      expect(f?.spec?.placement?.clusters?.map((c) => c.name)).toEqual(['cluster2']);
    } finally {
      const started = await kubefedLocal(['start', 'cluster3/kube-apiserver', '--dir', dir], {
        timeoutMs: 120_000,
      });
      expect(started.code, started.stderr).toBe(0);
    }
    await readySplit(ns, 'failover', { cluster2: 2, cluster3: 2 }, 90_000);
  });
});
