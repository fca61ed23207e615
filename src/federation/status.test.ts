import { describe, expect, it } from 'vitest';
import {
  clusterMessageParts,
  computeStatus,
  isRetryable,
  MESSAGE_CLUSTER_LIMIT,
  PROPAGATION_STATUSES,
  statusChanged,
  type ClusterOutcome,
  type FederatedStatus,
  type PropagationStatus,
  type StatusInput,
} from './status.js';

const T0 = '2026-01-01T00:00:00Z';
const T1 = '2026-01-01T00:01:00Z';
const ok: ClusterOutcome = { status: '' };

function compute(
  outcomes: Record<string, ClusterOutcome>,
  extra: Partial<StatusInput> = {},
): FederatedStatus {
  return computeStatus({ previous: undefined, generation: 2, clusterOutcomes: outcomes, now: T0, ...extra });
}

describe('isRetryable', () => {
  const retryable: PropagationStatus[] = [
    'CreationFailed',
    'UpdateFailed',
    'DeletionFailed',
    'LabelRemovalFailed',
    'RetrievalFailed',
    'ClientRetrievalFailed',
    'CreationTimedOut',
    'UpdateTimedOut',
    'DeletionTimedOut',
    'LabelRemovalTimedOut',
  ];
  it.each(PROPAGATION_STATUSES.map((s) => [s, retryable.includes(s)] as const))(
    '%j ⇒ %s',
    (status, expected) => {
      expect(isRetryable(status)).toBe(expected);
    },
  );

  it('knows the twenty upstream statuses and four of its own (a write still running)', () => {
    expect(PROPAGATION_STATUSES).toHaveLength(24);
    expect(PROPAGATION_STATUSES.filter((s) => s.endsWith('InProgress'))).toHaveLength(4);
  });
});

describe('computeStatus', () => {
  it('is True with one empty-status entry per cluster, sorted, on success', () => {
    expect(compute({ cluster2: ok, cluster1: ok })).toEqual({
      observedGeneration: 2,
      conditions: [{ type: 'Propagation', status: 'True', lastUpdateTime: T0, lastTransitionTime: T0 }],
      clusters: [{ name: 'cluster1' }, { name: 'cluster2' }],
    });
  });

  it('accepts a Map of outcomes', () => {
    expect(compute({}, { clusterOutcomes: new Map([['c1', ok]]) }).clusters).toEqual([{ name: 'c1' }]);
  });

  it('is False/CheckClusters when a cluster is not ok, with the member messages in the condition', () => {
    const s = compute({
      cluster3: {
        status: 'UpdateFailed',
        message: 'Job.batch "x" is invalid: spec.template: field is immutable',
      },
      cluster1: ok,
      cluster2: { status: 'ClusterNotReady' },
    });
    expect(s.clusters).toEqual([
      { name: 'cluster1' },
      { name: 'cluster2', status: 'ClusterNotReady' },
      { name: 'cluster3', status: 'UpdateFailed' },
    ]);
    expect(s.conditions).toEqual([
      {
        type: 'Propagation',
        status: 'False',
        reason: 'CheckClusters',
        message:
          'cluster2: ClusterNotReady; cluster3: UpdateFailed: Job.batch "x" is invalid: spec.template: field is immutable',
        lastUpdateTime: T0,
        lastTransitionTime: T0,
      },
    ]);
  });

  it.each<
    [string, Partial<StatusInput>, Record<string, ClusterOutcome>, string | undefined, string | undefined]
  >([
    ['success with no clusters', {}, {}, undefined, undefined],
    [
      'ComputePlacementFailed wins, with its message',
      { aggregateReason: 'ComputePlacementFailed', aggregateMessage: 'bad selector' },
      { c1: { status: 'CreationFailed' } },
      'ComputePlacementFailed',
      'bad selector',
    ],
    [
      'ClusterRetrievalFailed wins',
      { aggregateReason: 'ClusterRetrievalFailed' },
      {},
      'ClusterRetrievalFailed',
      undefined,
    ],
    [
      'NamespaceNotFederated when nothing else is wrong',
      { aggregateReason: 'NamespaceNotFederated', aggregateMessage: 'namespace apps is not federated' },
      {},
      'NamespaceNotFederated',
      'namespace apps is not federated',
    ],
    [
      'NamespaceNotFederated yields to CheckClusters while copies are removed',
      { aggregateReason: 'NamespaceNotFederated' },
      { c1: { status: 'WaitingForRemoval' } },
      'CheckClusters',
      'c1: WaitingForRemoval',
    ],
    [
      'raw status collection: a cluster without remoteStatus is checked',
      { collectRemoteStatus: true },
      { c1: { status: '', remoteStatus: { ready: 1 } }, c2: ok },
      'CheckClusters',
      'c2: RemoteStatusMissing',
    ],
    [
      'raw status collection: all remote statuses present',
      { collectRemoteStatus: true },
      { c1: { status: '', remoteStatus: {} } },
      undefined,
      undefined,
    ],
  ])('reason: %s', (_name, extra, outcomes, reason, message) => {
    const c = compute(outcomes, extra).conditions![0]!;
    expect(c.reason).toEqual(reason);
    expect(c.message).toEqual(message);
    expect(c.status).toBe(reason === undefined ? 'True' : 'False');
  });

  it('records remoteStatus in the cluster entries', () => {
    expect(compute({ c1: { status: '', remoteStatus: { replicas: 2 } } }).clusters).toEqual([
      { name: 'c1', remoteStatus: { replicas: 2 } },
    ]);
  });

  it('limits the clusters detailed in the message', () => {
    const outcomes = Object.fromEntries(
      Array.from({ length: MESSAGE_CLUSTER_LIMIT + 2 }, (_, i) => [
        `c${String(i).padStart(2, '0')}`,
        { status: 'CreationFailed' as const },
      ]),
    );
    const message = compute(outcomes).conditions![0]!.message!;
    expect(message.split('; ')).toHaveLength(MESSAGE_CLUSTER_LIMIT + 1);
    expect(message.endsWith('; and 2 more clusters (see status.clusters)')).toBe(true);
    const one = Object.fromEntries(Object.entries(outcomes).slice(0, MESSAGE_CLUSTER_LIMIT + 1));
    expect(compute(one).conditions![0]!.message!.endsWith('and 1 more cluster (see status.clusters)')).toBe(
      true,
    );
  });

  describe('timestamps', () => {
    const prevOk = compute({ c1: ok });
    const prevFailed = compute({ c1: { status: 'CreationFailed', message: 'boom' } });

    it.each<[string, FederatedStatus, Record<string, ClusterOutcome>, Partial<StatusInput>, string, string]>([
      ['unchanged ⇒ both kept', prevOk, { c1: ok }, {}, T0, T0],
      ['resources updated ⇒ lastUpdateTime only', prevOk, { c1: ok }, { resourcesUpdated: true }, T1, T0],
      ['clusters changed, same condition ⇒ lastUpdateTime only', prevOk, { c1: ok, c2: ok }, {}, T1, T0],
      ['status flips ⇒ both', prevOk, { c1: { status: 'CreationFailed' } }, {}, T1, T1],
      ['recovered ⇒ both', prevFailed, { c1: ok }, {}, T1, T1],
      [
        'same reason, other failing status ⇒ lastUpdateTime only',
        prevFailed,
        { c1: { status: 'UpdateFailed', message: 'boom' } },
        {},
        T1,
        T0,
      ],
      [
        'same reason, new message ⇒ lastUpdateTime only',
        prevFailed,
        { c1: { status: 'CreationFailed', message: 'bang' } },
        {},
        T1,
        T0,
      ],
      ['reason changes ⇒ both', prevFailed, {}, { aggregateReason: 'ComputePlacementFailed' }, T1, T1],
    ])('%s', (_name, previous, outcomes, extra, updated, transitioned) => {
      const c = computeStatus({ previous, generation: 2, clusterOutcomes: outcomes, now: T1, ...extra })
        .conditions![0]!;
      expect(c.lastUpdateTime).toBe(updated);
      expect(c.lastTransitionTime).toBe(transitioned);
    });

    it('treats a previous unordered cluster list as the same set', () => {
      const previous: FederatedStatus = {
        ...compute({ a: ok, b: { status: 'ClusterNotReady' } }),
        clusters: [
          { name: 'b', status: 'ClusterNotReady' },
          { name: 'a', status: '' },
        ],
      };
      const c = computeStatus({
        previous,
        generation: 2,
        clusterOutcomes: { a: ok, b: { status: 'ClusterNotReady' } },
        now: T1,
      }).conditions![0]!;
      expect(c.lastUpdateTime).toBe(T0);
    });
  });

  it('sets observedGeneration and keeps other condition types', () => {
    const previous: FederatedStatus = {
      observedGeneration: 1,
      conditions: [{ type: 'Other' as 'Propagation', status: 'True' }],
    };
    const s = computeStatus({ previous, generation: 5, clusterOutcomes: {}, now: T0 });
    expect(s.observedGeneration).toBe(5);
    expect(s.conditions!.map((c) => c.type)).toEqual(['Other', 'Propagation']);
  });
});

describe('statusChanged', () => {
  const base = compute({ c1: ok, c2: { status: 'ClusterNotReady' } });
  it.each<[string, FederatedStatus | undefined, FederatedStatus | undefined, boolean]>([
    ['identical', base, base, false],
    [
      'only timestamps differ',
      base,
      computeStatus({
        previous: undefined,
        generation: 2,
        clusterOutcomes: { c1: ok, c2: { status: 'ClusterNotReady' } },
        now: T1,
      }),
      false,
    ],
    ['cluster order differs', base, { ...base, clusters: [...base.clusters!].reverse() }, false],
    [
      "'' versus absent cluster status",
      base,
      {
        ...base,
        clusters: [
          { name: 'c1', status: '' },
          { name: 'c2', status: 'ClusterNotReady' },
        ],
      },
      false,
    ],
    ['observedGeneration differs', base, { ...base, observedGeneration: 3 }, true],
    ['a cluster status differs', base, compute({ c1: ok, c2: { status: 'CreationFailed' } }), true],
    ['a cluster added', base, compute({ c1: ok, c2: { status: 'ClusterNotReady' }, c3: ok }), true],
    ['the message differs', base, compute({ c1: ok, c2: { status: 'ClusterNotReady', message: 'x' } }), true],
    [
      'remoteStatus differs',
      compute({ c1: { status: '', remoteStatus: { a: 1 } } }),
      compute({ c1: { status: '', remoteStatus: { a: 2 } } }),
      true,
    ],
    [
      'remoteStatus key order does not matter',
      compute({ c1: { status: '', remoteStatus: { a: 1, b: 2 } } }),
      compute({ c1: { status: '', remoteStatus: { b: 2, a: 1 } } }),
      false,
    ],
    [
      'remoteStatus on one side only',
      compute({ c1: { status: '', remoteStatus: { a: 1 } } }),
      compute({ c1: { status: '' } }),
      true,
    ],
    ['a cluster renamed', compute({ c1: ok, c2: ok }), compute({ c1: ok, c3: ok }), true],
    ['no status before', undefined, base, true],
    ['both absent', undefined, undefined, false],
  ])('%s ⇒ %s', (_name, a, b, changed) => {
    expect(statusChanged(a, b)).toBe(changed);
    expect(statusChanged(b, a)).toBe(changed);
  });
});

describe('clusterMessageParts', () => {
  it("splits the Propagation message into each cluster's part", () => {
    const m = clusterMessageParts(
      'cluster2: CreationFailed: admission webhook "x" denied: no; maybe later; cluster3: ClusterNotReady',
      ['cluster2', 'cluster3'],
    );
    expect(m.get('cluster2')).toBe('CreationFailed: admission webhook "x" denied: no; maybe later');
    expect(m.get('cluster3')).toBe('ClusterNotReady');
  });

  it('drops the "and N more clusters" tail and ignores clusters not mentioned', () => {
    const m = clusterMessageParts('a: UpdateFailed: immutable; and 3 more clusters (see status.clusters)', [
      'a',
      'b',
    ]);
    expect([...m]).toEqual([['a', 'UpdateFailed: immutable']]);
  });

  it('is empty without a message', () => {
    expect(clusterMessageParts(undefined, ['a']).size).toBe(0);
  });
});
