import { describe, expect, it } from 'vitest';
import {
  analyzePods,
  currentReplicaState,
  memberPodSelector,
  memberReplicaState,
  podsNeeded,
  UNSCHEDULABLE_RECHECK_MS,
  AWAITING_SCHEDULING_RECHECK_MS,
  type MemberObservation,
} from './current.js';

const now = new Date('2026-05-01T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

function deployment(replicas: number | undefined, readyReplicas?: number) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns' },
    spec: { ...(replicas === undefined ? {} : { replicas }), selector: { matchLabels: { app: 'web' } } },
    status: readyReplicas === undefined ? {} : { readyReplicas },
  };
}

const running = (readyStatus: 'True' | 'False' = 'True') => ({
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: readyStatus }] },
});
const runningWithoutReady = {
  status: { phase: 'Running', conditions: [{ type: 'Initialized', status: 'True' }] },
};
const unschedulable = (secondsAgo: number | undefined) => ({
  status: {
    phase: 'Pending',
    conditions: [
      {
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        ...(secondsAgo === undefined ? {} : { lastTransitionTime: ago(secondsAgo) }),
      },
    ],
  },
});
const pending = { status: { phase: 'Pending', conditions: [] } };

describe('analyzePods', () => {
  // upstream pod_helper_test.go TestAnalyze
  it('counts running-and-ready and long-unschedulable pods as upstream', () => {
    const r = running();
    const u = unschedulable(600);
    expect(analyzePods([r, r, r, u, u], now)).toEqual({
      total: 5,
      runningAndReady: 3,
      unschedulable: 2,
      recentlyUnschedulable: 0,
      awaitingScheduling: 0,
    });
    expect(analyzePods([pending], now)).toEqual({
      total: 1,
      runningAndReady: 0,
      unschedulable: 0,
      recentlyUnschedulable: 0,
      awaitingScheduling: 1,
    });
  });

  it('counts a Running pod with any Ready condition, whatever its status (upstream)', () => {
    expect(analyzePods([running('False'), runningWithoutReady], now).runningAndReady).toBe(1);
  });

  it('counts a pod as unschedulable only after more than 60 s', () => {
    const result = analyzePods([unschedulable(60), unschedulable(61), unschedulable(5)], now);
    expect(result).toMatchObject({ unschedulable: 1, recentlyUnschedulable: 2 });
  });

  it('takes another threshold when given one', () => {
    expect(analyzePods([unschedulable(6), unschedulable(4)], now, 5_000)).toMatchObject({
      unschedulable: 1,
      recentlyUnschedulable: 1,
    });
  });

  it('treats a missing or unreadable lastTransitionTime as long ago', () => {
    const garbled = unschedulable(0);
    (garbled.status.conditions[0] as { lastTransitionTime?: string }).lastTransitionTime = 'yesterday';
    expect(analyzePods([unschedulable(undefined), garbled], now).unschedulable).toBe(2);
  });

  it.each([
    [
      'scheduled=False for another reason',
      { type: 'PodScheduled', status: 'False', reason: 'SchedulerError' },
    ],
    ['scheduled=True', { type: 'PodScheduled', status: 'True', reason: 'Unschedulable' }],
  ])('ignores %s', (_name, condition) => {
    const pod = {
      status: { phase: 'Pending', conditions: [{ ...condition, lastTransitionTime: ago(600) }] },
    };
    expect(analyzePods([pod], now)).toMatchObject({ unschedulable: 0, recentlyUnschedulable: 0 });
  });

  it('ignores unschedulable conditions on Running pods and copes with odd pods', () => {
    const odd = [
      { status: { phase: 'Running', conditions: unschedulable(600).status.conditions } },
      {},
      null,
      { status: { conditions: 'x' } },
    ];
    expect(analyzePods(odd, now)).toEqual({
      total: 4,
      runningAndReady: 0,
      unschedulable: 0,
      recentlyUnschedulable: 0,
      awaitingScheduling: 3,
    });
  });
});

describe('memberReplicaState', () => {
  it('is absent without a member object', () => {
    expect(memberReplicaState(undefined, undefined, now)).toEqual({ kind: 'absent' });
  });

  it('takes readyReplicas when it equals spec.replicas, without pods', () => {
    expect(podsNeeded(deployment(3, 3))).toBe(false);
    expect(memberReplicaState(deployment(3, 3), undefined, now)).toEqual({
      kind: 'settled',
      replicas: 3,
      current: 3,
    });
  });

  it('takes absent fields as 0 (a Deployment scaled to 0 has no readyReplicas)', () => {
    expect(memberReplicaState(deployment(0), undefined, now)).toEqual({
      kind: 'settled',
      replicas: 0,
      current: 0,
    });
    expect(memberReplicaState(deployment(undefined), undefined, now)).toEqual({
      kind: 'settled',
      replicas: 0,
      current: 0,
    });
  });

  it('asks for the pods when ready differs from desired', () => {
    expect(podsNeeded(deployment(3, 1))).toBe(true);
    expect(memberReplicaState(deployment(3, 1), undefined, now)).toEqual({
      kind: 'podsRequired',
      replicas: 3,
    });
  });

  it('counts the pods and lowers capacity by the long-unschedulable ones', () => {
    const state = memberReplicaState(
      deployment(5, 2),
      [running(), running(), unschedulable(120), unschedulable(90), unschedulable(10)],
      now,
    );
    expect(state).toEqual({
      kind: 'analyzed',
      replicas: 5,
      current: 2,
      capacity: 3,
      pods: {
        total: 5,
        runningAndReady: 2,
        unschedulable: 2,
        recentlyUnschedulable: 1,
        awaitingScheduling: 0,
      },
    });
  });

  it('leaves the capacity unset when no pod is unschedulable for long', () => {
    const state = memberReplicaState(deployment(3, 1), [running(), pending, unschedulable(30)], now);
    expect(state).toMatchObject({ kind: 'analyzed', current: 1, capacity: undefined });
  });

  it('never estimates a capacity below 0', () => {
    const state = memberReplicaState(deployment(1, 0), [unschedulable(120), unschedulable(120)], now);
    expect(state).toMatchObject({ kind: 'analyzed', capacity: 0 });
  });
});

describe('memberPodSelector', () => {
  it('returns spec.selector.matchLabels', () => {
    expect(memberPodSelector(deployment(1))).toEqual({ app: 'web' });
  });

  it('is undefined without matchLabels', () => {
    expect(memberPodSelector({ spec: { selector: { matchExpressions: [] } } })).toBeUndefined();
    expect(memberPodSelector({})).toBeUndefined();
  });
});

describe('currentReplicaState', () => {
  const members = (entries: Record<string, MemberObservation>) => new Map(Object.entries(entries));

  it('builds the planner inputs over the member clusters', () => {
    const state = currentReplicaState(
      members({
        cluster1: { object: deployment(4, 4) },
        cluster2: { object: deployment(6, 2), pods: [running(), running(), unschedulable(300)] },
        cluster3: { object: undefined },
      }),
      now,
    );
    expect(state.currentReplicas).toEqual(
      new Map([
        ['cluster1', 4],
        ['cluster2', 2],
      ]),
    );
    expect(state.estimatedCapacity).toEqual(new Map([['cluster2', 5]]));
    expect(state.recheckAfterMs).toBeUndefined();
    expect(state.podsRequired).toEqual([]);
    expect(state.members.get('cluster3')).toEqual({ kind: 'absent' });
  });

  it('asks for a recheck in 10 s while unschedulable pods are too young to count', () => {
    const state = currentReplicaState(
      members({ cluster1: { object: deployment(2, 1), pods: [running(), unschedulable(20)] } }),
      now,
    );
    expect(state.recheckAfterMs).toBe(UNSCHEDULABLE_RECHECK_MS);
    expect(UNSCHEDULABLE_RECHECK_MS).toBe(10_000);
    expect(state.estimatedCapacity.size).toBe(0);
  });

  it('passes the threshold on to the pod analysis', () => {
    const state = currentReplicaState(
      members({ cluster1: { object: deployment(2, 1), pods: [running(), unschedulable(20)] } }),
      now,
      10_000,
    );
    expect(state.estimatedCapacity).toEqual(new Map([['cluster1', 1]]));
    expect(state.recheckAfterMs).toBeUndefined();
    const young = currentReplicaState(
      members({ cluster1: { object: deployment(2, 1), pods: [running(), unschedulable(1)] } }),
      now,
      3_000,
    );
    expect(young.recheckAfterMs).toBe(3_000);
  });

  it('asks for a recheck in 2 s while the scheduler has not decided on some pods yet', () => {
    // Pods recreated in a full cluster are Pending without a PodScheduled condition at first; when the
    // scheduler marks them Unschedulable, nothing in the Deployment changes to tell us.
    const state = currentReplicaState(
      members({ cluster1: { object: deployment(2, 1), pods: [running(), pending] } }),
      now,
    );
    expect(state.recheckAfterMs).toBe(AWAITING_SCHEDULING_RECHECK_MS);
    const scheduled = {
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] },
    };
    expect(
      currentReplicaState(
        members({ cluster1: { object: deployment(2, 1), pods: [running(), scheduled] } }),
        now,
      ).recheckAfterMs,
    ).toBeUndefined();
  });

  it('lists clusters whose pods are missing and leaves them out of the counts', () => {
    const state = currentReplicaState(members({ cluster1: { object: deployment(2, 1) } }), now);
    expect(state.podsRequired).toEqual(['cluster1']);
    expect(state.currentReplicas.size).toBe(0);
  });
});
