import { describe, expect, it } from 'vitest';
import type { FederatedTypeConfig, KubeFedCluster } from '../api/core.js';
import type { ReplicaSchedulingPreference } from '../api/scheduling.js';
import type { FederatedObject } from '../api/types.js';
import type { ObjectSummary } from './model.js';
import {
  clusterMessages,
  clusterStateOf,
  clusterView,
  filterObjects,
  isSecretType,
  objectSummary,
  redactSecretObject,
  redactSecretOverrides,
  REDACTED,
  rspView,
  typeView,
  worstState,
} from './view.js';

const T = '2026-01-01T00:00:00Z';

function cluster(
  name: string,
  conditions: { type: string; status: string; reason?: string; message?: string }[],
) {
  return {
    metadata: { name, namespace: 'kube-federation-system' },
    spec: { apiEndpoint: `https://${name}:6443`, secretRef: { name: `${name}-secret` } },
    status: {
      conditions: conditions.map((c) => ({ ...c, lastProbeTime: T, lastTransitionTime: T })),
      kubernetesVersion: 'v1.35.0',
      region: 'eu',
      zones: ['eu-1', 'eu-2'],
    },
  } as KubeFedCluster;
}

function federated(
  name: string,
  status: FederatedObject['status'],
  opts: { generation?: number; placed?: string[] } = {},
): FederatedObject {
  return {
    metadata: { name, namespace: 'demo', generation: opts.generation ?? 1, uid: 'u1' },
    spec: {
      template: {},
      placement: { clusters: (opts.placed ?? []).map((n) => ({ name: n })) },
    },
    ...(status ? { status } : {}),
  };
}

const propagation = (status: 'True' | 'False', reason?: string, message?: string) => ({
  type: 'Propagation' as const,
  status,
  ...(reason ? { reason } : {}),
  ...(message ? { message } : {}),
});

describe('clusterStateOf', () => {
  it.each([
    [[{ type: 'Ready', status: 'True' }], 'Ready'],
    [
      [
        { type: 'Ready', status: 'False' },
        { type: 'Offline', status: 'False' },
      ],
      'NotReady',
    ],
    [[{ type: 'Offline', status: 'True' }], 'Offline'],
    [[{ type: 'ConfigMalformed', status: 'True' }], 'ConfigMalformed'],
    [[], 'Unknown'],
  ])('reads %j as %s', (conditions, state) => {
    expect(clusterStateOf(cluster('c', conditions)).state).toBe(state);
  });
});

describe('clusterView', () => {
  it('shows health, version, topology and object counts, never the credentials Secret', () => {
    const objects = [
      { cells: [{ cluster: 'c2', state: 'propagated' }] },
      { cells: [{ cluster: 'c2', state: 'error' }] },
      { cells: [{ cluster: 'c3', state: 'pending' }] },
    ] as ObjectSummary[];
    const view = clusterView(
      cluster('c2', [{ type: 'Offline', status: 'True', reason: 'ClusterNotReachable', message: 'timeout' }]),
      objects,
    );
    expect(view).toEqual({
      name: 'c2',
      state: 'Offline',
      reason: 'ClusterNotReachable',
      message: 'timeout',
      apiEndpoint: 'https://c2:6443',
      kubernetesVersion: 'v1.35.0',
      region: 'eu',
      zones: ['eu-1', 'eu-2'],
      lastProbeTime: T,
      lastTransitionTime: T,
      objects: { propagated: 1, pending: 0, error: 1 },
    });
    expect(JSON.stringify(view)).not.toContain('secret');
  });
});

describe('typeView', () => {
  it('shows the target type and whether its controllers run', () => {
    const ftc = {
      metadata: { name: 'deployments.apps' },
      spec: {
        targetType: {
          group: 'apps',
          version: 'v1',
          kind: 'Deployment',
          pluralName: 'deployments',
          scope: 'Namespaced',
        },
        federatedType: {
          group: 'types.kubefed.io',
          version: 'v1beta1',
          kind: 'FederatedDeployment',
          pluralName: 'federateddeployments',
          scope: 'Namespaced',
        },
        propagation: 'Enabled',
        statusCollection: 'Enabled',
      },
      status: { propagationController: 'Running', statusController: 'NotRunning' },
    } as FederatedTypeConfig;
    expect(typeView(ftc, 3)).toEqual({
      name: 'deployments.apps',
      target: { group: 'apps', version: 'v1', kind: 'Deployment', namespaced: true },
      federatedKind: 'FederatedDeployment',
      propagation: 'Enabled',
      statusCollection: 'Enabled',
      propagationController: 'Running',
      statusController: 'NotRunning',
      objects: 3,
    });
  });
});

describe('clusterMessages', () => {
  it('splits the Propagation message per cluster, keeping "; " inside a message', () => {
    const m = clusterMessages(
      'c2: ApplyOverridesFailed: path /spec/x: missing parent; see docs; c3: ClusterNotReady',
      ['c2', 'c3'],
    );
    expect(Object.fromEntries(m)).toEqual({ c2: 'path /spec/x: missing parent; see docs', c3: '' });
  });

  it('ignores a message that names no cluster', () => {
    expect(clusterMessages('namespace not federated', ['c2']).size).toBe(0);
    expect(clusterMessages(undefined, ['c2']).size).toBe(0);
  });
});

describe('objectSummary: matrix cells', () => {
  it('is pending in every placed cluster before any status is written', () => {
    const s = objectSummary(
      'deployments.apps',
      'FederatedDeployment',
      federated('web', undefined, { placed: ['c3', 'c2'] }),
    );
    expect(s.state).toBe('pending');
    expect(s.cells).toEqual([
      { cluster: 'c2', state: 'pending', reason: 'NotPropagatedYet' },
      { cluster: 'c3', state: 'pending', reason: 'NotPropagatedYet' },
    ]);
  });

  it('is propagated where the status says so, and an error with its reason and message elsewhere', () => {
    const s = objectSummary(
      'deployments.apps',
      'FederatedDeployment',
      federated('web', {
        observedGeneration: 1,
        conditions: [propagation('False', 'CheckClusters', 'c3: ApplyOverridesFailed: /spec/nope: missing')],
        clusters: [{ name: 'c2' }, { name: 'c3', status: 'ApplyOverridesFailed' }],
      }),
    );
    expect(s.cells).toEqual([
      { cluster: 'c2', state: 'propagated' },
      { cluster: 'c3', state: 'error', reason: 'ApplyOverridesFailed', message: '/spec/nope: missing' },
    ]);
    expect(s.state).toBe('error');
    expect(s.propagation).toEqual({
      status: 'False',
      reason: 'CheckClusters',
      message: 'c3: ApplyOverridesFailed: /spec/nope: missing',
    });
  });

  it('is pending while waiting for removal or while a new generation is not observed', () => {
    const waiting = objectSummary(
      't',
      'K',
      federated('a', { observedGeneration: 1, clusters: [{ name: 'c2', status: 'WaitingForRemoval' }] }),
    );
    expect(waiting.cells[0]).toEqual({ cluster: 'c2', state: 'pending', reason: 'WaitingForRemoval' });
    const stale = objectSummary(
      't',
      'K',
      federated('a', { observedGeneration: 1, clusters: [{ name: 'c2' }] }, { generation: 2 }),
    );
    expect(stale.cells[0]).toEqual({ cluster: 'c2', state: 'pending', reason: 'NewGenerationNotObserved' });
  });

  it('with status collection, is pending until the replicas are ready, then propagated with the count', () => {
    const status = (ready: number, healthy: boolean) => ({
      observedGeneration: 1,
      conditions: [propagation('True')],
      clusters: [{ name: 'c2' }],
      aggregate: {
        ready: healthy ? '1/1' : '0/1',
        clusters: [{ name: 'c2', exists: true, healthy, desiredReplicas: 2, readyReplicas: ready }],
      },
    });
    const rolling = objectSummary('t', 'K', federated('web', status(1, false)));
    expect(rolling.cells[0]).toEqual({ cluster: 'c2', state: 'pending', reason: '1/2 ready' });
    expect(rolling.ready).toBe('0/1');
    const done = objectSummary('t', 'K', federated('web', status(2, true)));
    expect(done.cells[0]).toEqual({ cluster: 'c2', state: 'propagated', reason: '2/2 ready' });
    expect(done.state).toBe('propagated');
  });

  it('is an error without cells when the Propagation condition failed as a whole', () => {
    const s = objectSummary(
      't',
      'K',
      federated('a', {
        conditions: [propagation('False', 'NamespaceNotFederated', 'no FederatedNamespace')],
      }),
    );
    expect(s.cells).toEqual([]);
    expect(s.state).toBe('error');
  });

  it('ranks error over pending over propagated', () => {
    expect(worstState(['propagated', 'pending'])).toBe('pending');
    expect(worstState(['pending', 'error', 'propagated'])).toBe('error');
    expect(worstState([])).toBe('propagated');
  });
});

describe('filterObjects', () => {
  const o = (
    type: string,
    namespace: string,
    name: string,
    state: ObjectSummary['state'],
  ): ObjectSummary => ({
    type,
    kind: 'K',
    namespace,
    name,
    state,
    cells: [],
  });
  const all = [
    o('deployments.apps', 'demo', 'web', 'propagated'),
    o('configmaps', 'demo', 'web-config', 'error'),
    o('deployments.apps', 'other', 'api', 'pending'),
  ];
  it.each([
    [{}, ['web', 'web-config', 'api']],
    [{ namespace: 'demo' }, ['web', 'web-config']],
    [{ type: 'deployments.apps' }, ['web', 'api']],
    [{ state: 'error' as const }, ['web-config']],
    [{ text: 'CONFIG' }, ['web-config']],
    [{ namespace: 'demo', type: 'deployments.apps', state: 'propagated' as const }, ['web']],
  ])('filters by %j', (filter, names) => {
    expect(filterObjects(all, filter).map((x) => x.name)).toEqual(names);
  });
});

describe('Secrets', () => {
  it('recognises core Secrets only', () => {
    expect(isSecretType({ kind: 'Secret' })).toBe(true);
    expect(isSecretType({ group: 'example.com', kind: 'Secret' })).toBe(false);
    expect(isSecretType({ kind: 'ConfigMap' })).toBe(false);
  });

  it('redacts data and stringData values, keeping the keys', () => {
    expect(
      redactSecretObject({ metadata: { name: 's' }, data: { a: 'c2VjcmV0' }, stringData: { b: 'x' } }),
    ).toEqual({
      metadata: { name: 's' },
      data: { a: REDACTED },
      stringData: { b: REDACTED },
    });
  });

  it('redacts override values under /data and /stringData only', () => {
    expect(
      redactSecretOverrides([
        {
          clusterName: 'c2',
          clusterOverrides: [
            { path: '/data/password', value: 'c2VjcmV0' },
            { path: '/stringData', value: { a: 'x' } },
            { path: '/metadata/labels/x', value: 'y' },
            { op: 'remove', path: '/data/old' },
          ],
        },
      ]),
    ).toEqual([
      {
        clusterName: 'c2',
        clusterOverrides: [
          { path: '/data/password', value: REDACTED },
          { path: '/stringData', value: REDACTED },
          { path: '/metadata/labels/x', value: 'y' },
          { op: 'remove', path: '/data/old' },
        ],
      },
    ]);
  });
});

describe('rspView', () => {
  const rsp = {
    metadata: { name: 'web', namespace: 'demo' },
    spec: {
      targetKind: 'FederatedDeployment',
      totalReplicas: 6,
      clusters: { c2: { weight: 2 }, c3: { weight: 1 } },
    },
    status: {
      conditions: [{ type: 'Scheduled', status: 'True', reason: 'Scheduled', message: '6 replicas' }],
      clusters: [
        { name: 'c2', replicas: 4, currentReplicas: 1 },
        { name: 'c3', replicas: 2, reasons: ['CappedByCapacity: room for 1'] },
      ],
    },
  } as unknown as ReplicaSchedulingPreference;

  it('shows the split with ready replicas from the aggregate status when collected', () => {
    const fed = federated('web', {
      aggregate: { ready: '1/2', clusters: [{ name: 'c2', exists: true, healthy: true, readyReplicas: 4 }] },
    });
    expect(rspView(rsp, fed)).toEqual({
      name: 'web',
      totalReplicas: 6,
      rebalance: false,
      preferences: { c2: { weight: 2 }, c3: { weight: 1 } },
      condition: { status: 'True', reason: 'Scheduled', message: '6 replicas' },
      clusters: [
        { name: 'c2', replicas: 4, readyReplicas: 4, reasons: [] },
        { name: 'c3', replicas: 2, reasons: ['CappedByCapacity: room for 1'] },
      ],
    });
  });

  it("falls back to the RSP status's current replicas", () => {
    expect(rspView(rsp, undefined).clusters[0]).toEqual({
      name: 'c2',
      replicas: 4,
      readyReplicas: 1,
      reasons: [],
    });
  });
});
