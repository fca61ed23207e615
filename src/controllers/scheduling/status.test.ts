import { describe, expect, it } from 'vitest';
import type { FederatedTypeConfig } from '../../api/core.js';
import type { ReplicaSchedulingPreference } from '../../api/scheduling.js';
import { currentReplicaState } from '../../scheduling/current.js';
import { planReplicas } from '../../scheduling/planner.js';
import { rspStatusChanged, rspStatusOf, schedulableTargetOf } from './status.js';

function ftc(group: string | undefined, kind: string): FederatedTypeConfig {
  return {
    apiVersion: 'core.kubefed.io/v1beta1',
    kind: 'FederatedTypeConfig',
    metadata: { name: 'x', namespace: 'kube-federation-system' },
    spec: {
      targetType: {
        ...(group ? { group } : {}),
        version: 'v1',
        kind,
        pluralName: `${kind.toLowerCase()}s`,
        scope: 'Namespaced',
      },
      propagation: 'Enabled',
      federatedType: {
        group: 'types.kubefed.io',
        version: 'v1beta1',
        kind: `Federated${kind}`,
        pluralName: `federated${kind.toLowerCase()}s`,
        scope: 'Namespaced',
      },
    },
  };
}

const rsp = (status?: unknown): ReplicaSchedulingPreference =>
  ({
    apiVersion: 'scheduling.kubefed.io/v1alpha1',
    kind: 'ReplicaSchedulingPreference',
    metadata: { name: 'web', namespace: 'ns', generation: 3 },
    spec: {
      targetKind: 'FederatedDeployment',
      totalReplicas: 10,
      clusters: { A: { minReplicas: 2, maxReplicas: 4, weight: 2 }, B: { minReplicas: 3, weight: 1 } },
    },
    ...(status ? { status } : {}),
  }) as ReplicaSchedulingPreference;

describe('schedulableTargetOf', () => {
  it('accepts apps Deployments and ReplicaSets only, as upstream', () => {
    expect(schedulableTargetOf(ftc('apps', 'Deployment'))).toEqual({
      federatedKind: 'FederatedDeployment',
      targetRef: { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true },
      federatedRef: {
        group: 'types.kubefed.io',
        version: 'v1beta1',
        resource: 'federateddeployments',
        namespaced: true,
      },
    });
    expect(schedulableTargetOf(ftc('apps', 'ReplicaSet'))?.federatedKind).toBe('FederatedReplicaSet');
    expect(schedulableTargetOf(ftc('apps', 'StatefulSet'))).toBeUndefined();
    expect(schedulableTargetOf(ftc(undefined, 'ConfigMap'))).toBeUndefined();
    expect(schedulableTargetOf(ftc('example.io', 'Deployment'))).toBeUndefined();
  });
});

describe('rspStatusOf', () => {
  const now = new Date('2026-11-25T10:00:00.123Z');

  it("states the guide's split with the reasons per cluster", () => {
    const plan = planReplicas({
      key: 'ns/web',
      totalReplicas: 10,
      preferences: rsp().spec.clusters,
      availableClusters: ['A', 'B', 'C'],
    });
    const status = rspStatusOf({ rsp: rsp(), plan, current: currentReplicaState(new Map(), now), now });
    expect(status.observedGeneration).toBe(3);
    expect(status.conditions).toEqual([
      {
        type: 'Scheduled',
        status: 'True',
        reason: 'Scheduled',
        message: '10 replicas: A=4, B=6, C=0',
        lastTransitionTime: '2026-11-25T10:00:00Z',
      },
    ]);
    expect(status.scheduledReplicas).toBe(10);
    const byName = Object.fromEntries(status.clusters!.map((c) => [c.name, c]));
    expect(byName.A).toEqual({ name: 'A', replicas: 4, reasons: ['CappedByMaxReplicas: maxReplicas 4'] });
    expect(byName.B).toEqual({ name: 'B', replicas: 6 });
    expect(byName.C!.reasons![0]).toMatch(/^NoPreference/);
  });

  it('says how many replicas could not be placed and why', () => {
    const spec = { ...rsp().spec, clusters: { A: { maxReplicas: 3, weight: 1 } } };
    const r = { ...rsp(), spec };
    const plan = planReplicas({
      key: 'ns/web',
      totalReplicas: 10,
      preferences: spec.clusters,
      availableClusters: ['A'],
    });
    const c = rspStatusOf({ rsp: r, plan, current: currentReplicaState(new Map(), now), now }).conditions[0]!;
    expect(c.reason).toBe('PartiallyScheduled');
    expect(c.message).toContain('7 of 10 replicas could not be placed');
    expect(c.message).toContain('maxReplicas');
  });

  it('reports a problem as Scheduled=False, naming the fields', () => {
    const status = rspStatusOf({
      rsp: rsp(),
      problem: {
        reason: 'InvalidPreference',
        problems: [{ field: 'spec.clusters[A].minReplicas', message: 'must not exceed maxReplicas (4)' }],
      },
      now,
    });
    expect(status.conditions[0]).toMatchObject({
      status: 'False',
      reason: 'InvalidPreference',
      message: 'spec.clusters[A].minReplicas: must not exceed maxReplicas (4)',
    });
    expect(status.clusters).toBeUndefined();
  });

  it('keeps the transition time while status and reason stay, and changes it when they change', () => {
    const first = rspStatusOf({ rsp: rsp(), problem: { reason: 'NoClusters', message: 'none' }, now });
    const later = new Date('2026-11-25T11:00:00Z');
    const same = rspStatusOf({
      rsp: rsp(first),
      problem: { reason: 'NoClusters', message: 'still none' },
      now: later,
    });
    expect(same.conditions[0]!.lastTransitionTime).toBe('2026-11-25T10:00:00Z');
    const other = rspStatusOf({
      rsp: rsp(first),
      problem: { reason: 'TargetNotFound', message: 'gone' },
      now: later,
    });
    expect(other.conditions[0]!.lastTransitionTime).toBe('2026-11-25T11:00:00Z');
  });
});

describe('rspStatusChanged', () => {
  it('ignores transition times only', () => {
    const now = new Date('2026-11-25T10:00:00Z');
    const a = rspStatusOf({ rsp: rsp(), problem: { reason: 'NoClusters', message: 'none' }, now });
    const b = { ...a, conditions: [{ ...a.conditions[0]!, lastTransitionTime: '2030-01-01T00:00:00Z' }] };
    expect(rspStatusChanged(a, b)).toBe(false);
    expect(rspStatusChanged(undefined, a)).toBe(true);
    expect(rspStatusChanged(a, { ...a, observedGeneration: 4 })).toBe(true);
  });
});
