import { describe, expect, it } from 'vitest';
import {
  CLUSTERS,
  EXPECTED_REPLICAS,
  nextSteps,
  propagationOf,
  renderTable,
  replicaSchedulingPreference,
  sampleObjects,
  statusRows,
} from './demo.js';
import { planReplicas } from '../../scheduling/planner.js';

type Fed = Parameters<typeof propagationOf>[0];
const placedEverywhere = (statuses: Record<string, string | undefined> = {}): Fed => ({
  spec: { placement: { clusters: CLUSTERS.map((name) => ({ name })) } },
  status: {
    conditions: [{ type: 'Propagation', status: 'True' }],
    clusters: CLUSTERS.map((name) => (statuses[name] ? { name, status: statuses[name] } : { name })),
  },
});
const deployment: Fed = {
  spec: { placement: { clusters: [{ name: 'cluster2' }, { name: 'cluster3' }] } },
  status: {
    conditions: [{ type: 'Propagation', status: 'True' }],
    clusters: [{ name: 'cluster2' }, { name: 'cluster3' }],
  },
};

function allGood() {
  const federated = new Map<string, Fed>([
    ['Namespace', placedEverywhere()],
    ['ConfigMap', placedEverywhere()],
    ['Deployment', deployment],
    ['Service', placedEverywhere()],
  ]);
  const members = new Map<string, { exists: boolean; ready?: number; replicas?: number }>();
  for (const c of CLUSTERS)
    for (const k of ['Namespace', 'ConfigMap', 'Service']) members.set(`${c}/${k}`, { exists: true });
  members.set('cluster1/Deployment', { exists: false });
  members.set('cluster2/Deployment', { exists: true, ready: 4, replicas: 4 });
  members.set('cluster3/Deployment', { exists: true, ready: 2, replicas: 2 });
  return { federated, members };
}

describe('demo sample app', () => {
  it('federates a namespace, a ConfigMap, a Deployment with a cluster3 override and a Service', () => {
    const objs = sampleObjects();
    expect(objs.map((o) => `${o.kind}/${o.name}`)).toEqual([
      'Namespace/demo',
      'ConfigMap/web-config',
      'Deployment/web',
      'Service/web',
    ]);
    for (const o of objs) {
      expect(o.manifest).toMatchObject({
        apiVersion: 'types.kubefed.io/v1beta1',
        kind: `Federated${o.kind}`,
        metadata: { name: o.name, namespace: 'demo' },
      });
    }
    const dep = objs.find((o) => o.kind === 'Deployment')!;
    expect(dep.createOnly).toBe(true);
    expect(dep.manifest).toMatchObject({
      spec: { overrides: [{ clusterName: 'cluster3', clusterOverrides: [{ value: 'nginx:1.27-alpine' }] }] },
    });
    expect((dep.manifest.spec as Record<string, unknown>).placement).toBeUndefined();
  });

  it('expects the split the RSP planner computes for its preference', () => {
    const rsp = replicaSchedulingPreference() as {
      spec: { totalReplicas: number; clusters: Record<string, { weight: number }> };
    };
    const plan = planReplicas({
      totalReplicas: rsp.spec.totalReplicas,
      preferences: rsp.spec.clusters,
      availableClusters: [...CLUSTERS],
      key: 'demo/web',
      rebalance: true,
    });
    expect(Object.fromEntries([...plan.replicas].filter(([, n]) => n > 0))).toEqual(EXPECTED_REPLICAS);
  });
});

describe('demo status', () => {
  it('is done when everything is propagated and the RSP split is ready, one block per cluster', () => {
    const { federated, members } = allGood();
    const s = statusRows(federated, members);
    expect(s.pending).toEqual([]);
    expect(s.done).toBe(true);
    expect(s.rows.map((r) => `${r.cluster} ${r.object} ${r.propagation} ${r.ready}`)).toEqual([
      'cluster1 Namespace/demo Propagated yes',
      'cluster1 ConfigMap/web-config Propagated yes',
      'cluster1 Deployment/web not placed -',
      'cluster1 Service/web Propagated yes',
      'cluster2 Namespace/demo Propagated yes',
      'cluster2 ConfigMap/web-config Propagated yes',
      'cluster2 Deployment/web Propagated 4/4',
      'cluster2 Service/web Propagated yes',
      'cluster3 Namespace/demo Propagated yes',
      'cluster3 ConfigMap/web-config Propagated yes',
      'cluster3 Deployment/web Propagated 2/2',
      'cluster3 Service/web Propagated yes',
    ]);
  });

  it('is pending while pods are not ready, a cluster reports an error or propagation is not True', () => {
    const { federated, members } = allGood();
    members.set('cluster3/Deployment', { exists: true, ready: 1, replicas: 2 });
    federated.set('Service', placedEverywhere({ cluster2: 'CreationFailed' }));
    federated.set('ConfigMap', {
      ...placedEverywhere(),
      status: { conditions: [{ type: 'Propagation', status: 'False', reason: 'CheckClusters' }] },
    });
    const s = statusRows(federated, members);
    expect(s.done).toBe(false);
    expect(s.pending).toEqual(
      expect.arrayContaining([
        'cluster3: Deployment web 1/2 ready',
        'cluster2: Service web CreationFailed',
        'FederatedConfigMap web-config: Propagation False (CheckClusters)',
        'cluster1: ConfigMap web-config pending',
      ]),
    );
    expect(s.rows.find((r) => r.cluster === 'cluster2' && r.object === 'Service/web')?.propagation).toBe(
      'CreationFailed',
    );
  });

  it('is pending when the Deployment lands in an unplanned cluster or an object is missing', () => {
    const { federated, members } = allGood();
    federated.set('Deployment', placedEverywhere());
    members.set('cluster1/Deployment', { exists: true, ready: 6, replicas: 6 });
    members.set('cluster2/Namespace', { exists: false });
    const s = statusRows(federated, members);
    expect(s.pending).toEqual(
      expect.arrayContaining(['cluster1: Deployment web placed', 'cluster2: Namespace demo missing']),
    );
    expect(propagationOf(undefined, 'cluster1')).toBe('pending');
  });

  it('renders an aligned table and names the state dir in the next steps only when not the default', () => {
    expect(
      renderTable([
        { cluster: 'cluster2', object: 'Deployment/web', propagation: 'Propagated', ready: '4/4' },
      ]),
    ).toBe('CLUSTER   OBJECT          PROPAGATION  READY\ncluster2  Deployment/web  Propagated   4/4');
    expect(nextSteps('')).toContain('Stop everything: npm run local -- down\n'.trimEnd());
    expect(nextSteps(' --dir /x')).toContain('npm run local -- down --dir /x');
    expect(nextSteps('')).toContain('get clusters');
  });
});
