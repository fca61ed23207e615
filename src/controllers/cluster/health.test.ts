import { describe, expect, it } from 'vitest';
import {
  conditionsFor,
  isReady,
  nextStatus,
  nextStreak,
  topologyOf,
  type ClusterStatus,
  type ProbeOutcome,
  type ProbeStreak,
} from './health.js';

const T = { failureThreshold: 3, successThreshold: 1 };
const healthy: ProbeOutcome = {
  kind: 'healthy',
  kubernetesVersion: 'v1.34.12',
  zones: ['a', 'b'],
  region: 'r',
};
const down: ProbeOutcome = { kind: 'unreachable', error: 'connect ECONNREFUSED' };

/** Runs probes in order, returning the stored status after each and whether it was written. */
function run(outcomes: ProbeOutcome[], thresholds = T, initial?: ClusterStatus) {
  let stored = initial;
  let streak: ProbeStreak | undefined;
  const writes: boolean[] = [];
  outcomes.forEach((o, i) => {
    streak = nextStreak(streak, o);
    const next = nextStatus(stored, o, streak, thresholds, `2026-01-01T00:00:0${i}Z`);
    writes.push(next !== undefined);
    if (next) stored = next;
  });
  return { stored, writes };
}

describe('cluster health', () => {
  it('sets upstream conditions for each probe outcome', () => {
    const now = '2026-01-01T00:00:00Z';
    expect(conditionsFor(healthy, now)).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'ClusterReady',
        message: '/healthz responded with ok',
        lastProbeTime: now,
      },
    ]);
    expect(conditionsFor({ kind: 'notOk', body: 'x' }, now).map((c) => [c.type, c.status, c.reason])).toEqual(
      [
        ['Ready', 'False', 'ClusterNotReady'],
        ['Offline', 'False', 'ClusterReachable'],
      ],
    );
    // The answer says why: e.g. a bad or expired token.
    expect(conditionsFor({ kind: 'notOk', body: 'Unauthorized\n' }, now)[0]!.message).toBe(
      '/healthz responded without ok: Unauthorized',
    );
    expect(conditionsFor({ kind: 'notOk', body: '' }, now)[0]!.message).toBe('/healthz responded without ok');
    expect(conditionsFor(down, now)).toEqual([
      {
        type: 'Offline',
        status: 'True',
        reason: 'ClusterNotReachable',
        message: 'cluster is not reachable: connect ECONNREFUSED',
        lastProbeTime: now,
      },
    ]);
    expect(conditionsFor({ kind: 'malformed', error: 'secret x has no data.token' }, now)[0]).toMatchObject({
      type: 'ConfigMalformed',
      status: 'True',
      reason: 'ClusterConfigMalformed',
    });
  });

  it('takes the first probe at once and fills version, zones and region when healthy', () => {
    const { stored, writes } = run([healthy]);
    expect(writes).toEqual([true]);
    expect(isReady(stored)).toBe(true);
    expect(stored).toMatchObject({ kubernetesVersion: 'v1.34.12', zones: ['a', 'b'], region: 'r' });
    expect(stored!.conditions![0]!.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
  });

  it('writes nothing while nothing changes (an idle federation makes no writes)', () => {
    expect(run([healthy, healthy, healthy, healthy]).writes).toEqual([true, false, false, false]);
    expect(run([down, down, down]).writes).toEqual([true, false, false]);
  });

  it('marks a healthy cluster unhealthy only after failureThreshold consecutive failures', () => {
    const { stored, writes } = run([healthy, down, down, down]);
    expect(writes).toEqual([true, false, false, true]);
    expect(stored!.conditions!.map((c) => [c.type, c.status])).toEqual([['Offline', 'True']]);
    expect(stored!.kubernetesVersion).toBe('v1.34.12'); // last known, kept
  });

  it('resets the failure count on a passing probe', () => {
    expect(run([healthy, down, down, healthy, down, down]).writes).toEqual([
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('marks an unhealthy cluster ready after successThreshold consecutive passes', () => {
    expect(run([down, healthy], T).writes).toEqual([true, true]);
    expect(
      run([down, healthy, down, healthy, healthy], { failureThreshold: 1, successThreshold: 2 }).writes,
    ).toEqual([true, false, false, false, true]);
  });

  it('keeps lastTransitionTime while the status stays, and moves it on a flip', () => {
    const { stored } = run([healthy, { ...healthy, zones: ['a', 'b', 'c'] }]);
    expect(stored!.zones).toEqual(['a', 'b', 'c']);
    expect(stored!.conditions![0]!.lastTransitionTime).toBe('2026-01-01T00:00:00Z');
    const flipped = run([healthy, down, down, down]).stored!;
    expect(flipped.conditions![0]!.lastTransitionTime).toBe('2026-01-01T00:00:03Z');
  });

  it('reports reachable-but-not-ok as Ready=False plus Offline=False', () => {
    const { stored } = run([{ kind: 'notOk', body: 'etcd failed' }]);
    expect(isReady(stored)).toBe(false);
    expect(stored!.conditions!.map((c) => c.type)).toEqual(['Ready', 'Offline']);
  });
});

describe('topologyOf', () => {
  it('collects sorted zones and the most common region from node labels', () => {
    const node = (zone?: string, region?: string) => ({
      metadata: {
        labels: {
          ...(zone ? { 'topology.kubernetes.io/zone': zone } : {}),
          ...(region ? { 'topology.kubernetes.io/region': region } : {}),
        },
      },
    });
    expect(topologyOf([node('z-b', 'r1'), node('z-a', 'r1'), node('z-a', 'r2'), node()])).toEqual({
      zones: ['z-a', 'z-b'],
      region: 'r1',
    });
    expect(
      topologyOf([{ metadata: { labels: { 'failure-domain.beta.kubernetes.io/zone': 'old' } } }]),
    ).toEqual({ zones: ['old'] });
    expect(topologyOf([])).toEqual({ zones: [] });
  });
});
