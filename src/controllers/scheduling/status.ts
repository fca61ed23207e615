/**
 * Pure parts of the RSP controller: which FederatedTypeConfigs are schedulable, and what the RSP
 * status says. Upstream leaves the status empty; ours says what was computed and why, in a
 * `Scheduled` condition (reasons below) and one line per cluster.
 */
import type { FederatedTypeConfig } from '../../api/core.js';
import type { ReplicaSchedulingPreference } from '../../api/scheduling.js';
import type { ResourceRef } from '../../kube/resource.js';
import type { CurrentReplicaState } from '../../scheduling/current.js';
import type { ClusterReason, ReplicaPlan, UnplacedCause } from '../../scheduling/planner.js';
import { typeResources } from '../../federation/typeconfig.js';

/** A type whose replicas an RSP can schedule (apps Deployment or ReplicaSet, as upstream). */
export interface SchedulableTarget {
  /** `FederatedDeployment`: what `spec.targetKind` names. */
  federatedKind: string;
  targetRef: ResourceRef;
  federatedRef: ResourceRef;
}

const SCHEDULABLE_KINDS = new Set(['Deployment', 'ReplicaSet']);

export function schedulableTargetOf(ftc: FederatedTypeConfig): SchedulableTarget | undefined {
  const t = ftc.spec?.targetType;
  const f = ftc.spec?.federatedType;
  if (!t || !f || t.group !== 'apps' || !SCHEDULABLE_KINDS.has(t.kind)) return undefined;
  const types = typeResources(ftc);
  return { federatedKind: types.federatedKind, targetRef: types.target, federatedRef: types.federated };
}

/** Why an RSP could not be applied at all. */
export type RspProblem =
  | { reason: 'InvalidPreference'; problems: Array<{ field: string; message: string }> }
  | { reason: 'TargetTypeNotEnabled'; message: string }
  | { reason: 'TargetNotFound'; message: string }
  | { reason: 'InvalidClusterSelector'; message: string }
  | { reason: 'InvalidTargetOverrides'; message: string }
  | { reason: 'NoClusters'; message: string };

/** `Scheduled` condition reasons: the problems above, or the plan's outcome. */
export type ScheduledReason = RspProblem['reason'] | 'Scheduled' | 'PartiallyScheduled';

export interface RspCondition {
  type: 'Scheduled';
  status: 'True' | 'False';
  reason: ScheduledReason;
  message: string;
  lastTransitionTime: string;
}

export interface RspClusterStatus {
  name: string;
  /** What the federated object now asks of the cluster. */
  replicas: number;
  /** Ready replicas running there when this was computed (absent: none). */
  currentReplicas?: number;
  /** Replicas the cluster can run, where pods that cannot be scheduled show a limit. */
  estimatedCapacity?: number;
  /** Why the cluster got this number, when it is not simply its weighted share. */
  reasons?: string[];
}

export interface RspStatus {
  observedGeneration: number;
  conditions: RspCondition[];
  /** Σ replicas written (over capacity included). */
  scheduledReplicas?: number;
  clusters?: RspClusterStatus[];
}

const CAUSES: Record<UnplacedCause, string> = {
  NoClusters: 'no cluster is available',
  NoPreferences: 'no available cluster has an entry in spec.clusters and there is no "*" entry',
  ZeroWeights: 'every cluster with a preference has weight 0, so only minReplicas count',
  MaxReplicas: 'every cluster with a weight is at its maxReplicas',
  Capacity: 'every cluster with a weight is at its capacity (pods cannot be scheduled)',
};

function describeReason(r: ClusterReason): string {
  switch (r.reason) {
    case 'NoPreference':
      return 'NoPreference: neither its own entry nor "*" in spec.clusters';
    case 'ZeroWeight':
      return 'ZeroWeight: weight 0 gets minReplicas only';
    case 'MinReplicasNotMet':
      return `MinReplicasNotMet: minReplicas ${r.minReplicas} could not be met`;
    case 'CappedByMaxReplicas':
      return `CappedByMaxReplicas: maxReplicas ${r.maxReplicas}`;
    case 'CappedByCapacity':
      return `CappedByCapacity: room for ${r.capacity}, ${r.overflow} more asked in case they fit`;
    case 'KeptCurrentReplicas':
      return `KeptCurrentReplicas: ${r.kept} of the ${r.current} running kept in place (rebalance is false)`;
  }
}

export function rspStatusOf(
  input:
    | { rsp: ReplicaSchedulingPreference; problem: RspProblem; now: Date }
    | { rsp: ReplicaSchedulingPreference; plan: ReplicaPlan; current: CurrentReplicaState; now: Date },
): RspStatus {
  const { rsp, now } = input;
  const previous = (rsp.status as Partial<RspStatus> | undefined)?.conditions?.find(
    (c) => c.type === 'Scheduled',
  );
  const condition = (status: 'True' | 'False', reason: ScheduledReason, message: string): RspCondition => ({
    type: 'Scheduled',
    status,
    reason,
    message,
    lastTransitionTime:
      previous && previous.status === status && previous.reason === reason
        ? previous.lastTransitionTime
        : now.toISOString().replace(/\.\d+Z$/, 'Z'),
  });
  const observedGeneration = rsp.metadata.generation ?? 0;
  if ('problem' in input) {
    const p = input.problem;
    const message =
      p.reason === 'InvalidPreference'
        ? p.problems.map((x) => `${x.field}: ${x.message}`).join('; ')
        : p.message;
    return { observedGeneration, conditions: [condition('False', p.reason, message)] };
  }
  const { plan, current } = input;
  const clusters: RspClusterStatus[] = plan.clusters.map((c) => {
    const s: RspClusterStatus = { name: c.cluster, replicas: c.replicas };
    const running = current.currentReplicas.get(c.cluster);
    if (running !== undefined) s.currentReplicas = running;
    const capacity = current.estimatedCapacity.get(c.cluster);
    if (capacity !== undefined) s.estimatedCapacity = capacity;
    if (c.reasons.length > 0) s.reasons = c.reasons.map(describeReason);
    return s;
  });
  const scheduled = clusters.reduce((sum, c) => sum + c.replicas, 0);
  const split = clusters.map((c) => `${c.name}=${c.replicas}`).join(', ');
  const cond =
    plan.outcome.kind === 'complete'
      ? condition('True', 'Scheduled', `${rsp.spec.totalReplicas} replicas: ${split}`)
      : condition(
          'True',
          'PartiallyScheduled',
          `${plan.outcome.unplaced} of ${rsp.spec.totalReplicas} replicas could not be placed: ${plan.outcome.causes
            .map((c) => CAUSES[c])
            .join('; ')} (placed: ${split})`,
        );
  return { observedGeneration, conditions: [cond], scheduledReplicas: scheduled, clusters };
}

/** Whether `next` says something `previous` does not (transition times aside). */
export function rspStatusChanged(previous: unknown, next: RspStatus): boolean {
  const strip = (s: unknown) =>
    JSON.stringify(s, (k, v: unknown) => (k === 'lastTransitionTime' ? undefined : v));
  return strip(previous ?? {}) !== strip(next);
}
