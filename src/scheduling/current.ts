/**
 * The current replica state the planner takes into account: per member cluster, how many replicas
 * run there, and whether the cluster has shown it cannot run more. Pure: the RSP controller reads
 * the member Deployments/ReplicaSets (informer cache) and lists their pods, then calls
 * `currentReplicaState`.
 *
 * Rules, as upstream KubeFed v0.10 (`pkg/schedulingtypes/replicascheduler.go`,
 * `pkg/controller/util/podanalyzer`):
 * - A cluster without the member object is left out (no current count, no capacity).
 * - `spec.replicas` (absent = 0) equal to `status.readyReplicas` (absent = 0): current = that.
 * - Otherwise the pods matching `spec.selector.matchLabels` are analysed: current = the pods in
 *   phase Running that have a condition of type Ready — its status is not looked at, as upstream;
 *   a pod not Running whose PodScheduled condition is False with reason Unschedulable for more than
 *   60 s (strictly) counts as unschedulable; if any are, capacity = spec.replicas − unschedulable.
 *
 * Differences from upstream, deliberate:
 * - Upstream reads `status.readyreplicas` (lower-case r, a typo), which never exists, so it always
 *   analyses pods unless spec.replicas is 0. We read `status.readyReplicas` as intended. The result
 *   differs only while a rollout is in progress (surge or old pods then count, or not).
 * - The capacity is not allowed below 0 (upstream could compute a negative capacity when old
 *   ReplicaSets' pods are among the unschedulable ones, and then plan negative replicas).
 * - Unschedulable pods younger than 60 s ask for a recheck in 10 s (`recheckAfterMs`), so that
 *   they are counted once they are old enough; upstream waits for the next event instead.
 * - A condition without a (parseable) lastTransitionTime counts as old, as Go's zero time does.
 */

/**
 * How long a pod must have been unschedulable before it lowers the capacity estimate (upstream's
 * fixed 60 s; the functions below take another value for tests).
 */
export const UNSCHEDULABLE_THRESHOLD_MS = 60_000;
/** When to look again while some pods are unschedulable but younger than the threshold (or sooner
 * when the threshold itself is shorter). */
export const UNSCHEDULABLE_RECHECK_MS = 10_000;
/** When to look again while the scheduler has not yet decided on some pods (ours, not upstream's). */
export const AWAITING_SCHEDULING_RECHECK_MS = 2_000;

export interface PodAnalysis {
  /** Pods looked at. */
  total: number;
  /** Pods in phase Running with a Ready-type condition. */
  runningAndReady: number;
  /** Pods unschedulable for longer than the threshold (UNSCHEDULABLE_THRESHOLD_MS). */
  unschedulable: number;
  /** Pods unschedulable, but not yet for that long. */
  recentlyUnschedulable: number;
  /**
   * Pods not Running that the scheduler has not decided on yet (no PodScheduled condition): they
   * may turn out unschedulable without any change to the Deployment/ReplicaSet that would tell us.
   */
  awaitingScheduling: number;
}

export type MemberReplicaState =
  /** No member object in that cluster. */
  | { kind: 'absent' }
  /** spec.replicas == status.readyReplicas: the object's own count is taken. */
  | { kind: 'settled'; replicas: number; current: number }
  /** The pods had to be analysed but were not supplied: list them and call again. */
  | { kind: 'podsRequired'; replicas: number }
  /** Counted from the pods; capacity is set when some pods are unschedulable. */
  | { kind: 'analyzed'; replicas: number; current: number; capacity: number | undefined; pods: PodAnalysis };

export interface MemberObservation {
  /** The member Deployment/ReplicaSet as JSON, or undefined where it does not exist. */
  object: unknown;
  /** Its pods (listed by `memberPodSelector`); needed only where `podsNeeded(object)`. */
  pods?: readonly unknown[] | undefined;
}

export interface CurrentReplicaState {
  /** Replicas running per cluster (planner input `currentReplicas`). */
  currentReplicas: Map<string, number>;
  /** Capacity per cluster where pods could not be scheduled (planner input `estimatedCapacity`). */
  estimatedCapacity: Map<string, number>;
  /** Set when some pods are unschedulable but too young to count yet: reconcile again then. */
  recheckAfterMs: number | undefined;
  /** Clusters whose pods must be listed for the state to be complete (left out of the maps). */
  podsRequired: string[];
  /** The state per cluster, in the order given. */
  members: Map<string, MemberReplicaState>;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const field = (obj: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>((v, key) => (isRecord(v) ? v[key] : undefined), obj);

/** An integer field, else 0 (absent, as upstream; ill-typed, which the API server never returns). */
const count = (obj: unknown, ...path: string[]): number => {
  const v = field(obj, ...path);
  return typeof v === 'number' && Number.isInteger(v) ? v : 0;
};

/** Whether the member's pods must be analysed: spec.replicas differs from status.readyReplicas. */
export function podsNeeded(member: unknown): boolean {
  return count(member, 'spec', 'replicas') !== count(member, 'status', 'readyReplicas');
}

/**
 * The labels to list the member's pods by (`spec.selector.matchLabels`), or undefined when the
 * object has none (upstream then fails the reconcile with "missing selector on object").
 */
export function memberPodSelector(member: unknown): Record<string, string> | undefined {
  const labels = field(member, 'spec', 'selector', 'matchLabels');
  if (!isRecord(labels)) return undefined;
  const entries = Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === 'string');
  return Object.fromEntries(entries);
}

/** Counts running-and-ready and unschedulable pods, as upstream's podanalyzer. */
export function analyzePods(
  pods: readonly unknown[],
  now: Date,
  thresholdMs: number = UNSCHEDULABLE_THRESHOLD_MS,
): PodAnalysis {
  const result: PodAnalysis = {
    total: 0,
    runningAndReady: 0,
    unschedulable: 0,
    recentlyUnschedulable: 0,
    awaitingScheduling: 0,
  };
  for (const pod of pods) {
    result.total++;
    const conditions = field(pod, 'status', 'conditions');
    const list = Array.isArray(conditions) ? conditions.filter(isRecord) : [];
    if (field(pod, 'status', 'phase') === 'Running') {
      if (list.some((c) => c.type === 'Ready')) result.runningAndReady++;
      continue;
    }
    const unschedulable = list.find(
      (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
    );
    if (!unschedulable) {
      if (!list.some((c) => c.type === 'PodScheduled')) result.awaitingScheduling++;
      continue;
    }
    if (unschedulableSince(unschedulable) + thresholdMs < now.getTime()) {
      result.unschedulable++;
    } else {
      result.recentlyUnschedulable++;
    }
  }
  return result;
}

/** Milliseconds since the epoch; a missing or unparseable time is "long ago" (Go's zero time). */
function unschedulableSince(condition: Record<string, unknown>): number {
  const t = typeof condition.lastTransitionTime === 'string' ? Date.parse(condition.lastTransitionTime) : NaN;
  return Number.isNaN(t) ? -Infinity : t;
}

/** The state of one member cluster; `pods` is only read when `podsNeeded(member)`. */
export function memberReplicaState(
  member: unknown,
  pods: readonly unknown[] | undefined,
  now: Date,
  thresholdMs: number = UNSCHEDULABLE_THRESHOLD_MS,
): MemberReplicaState {
  if (member === undefined || member === null) return { kind: 'absent' };
  const replicas = count(member, 'spec', 'replicas');
  if (!podsNeeded(member)) return { kind: 'settled', replicas, current: replicas };
  if (pods === undefined) return { kind: 'podsRequired', replicas };
  const analysis = analyzePods(pods, now, thresholdMs);
  return {
    kind: 'analyzed',
    replicas,
    current: analysis.runningAndReady,
    capacity: analysis.unschedulable > 0 ? Math.max(0, replicas - analysis.unschedulable) : undefined,
    pods: analysis,
  };
}

/** The planner's `currentReplicas` and `estimatedCapacity` over the member clusters. */
export function currentReplicaState(
  members: ReadonlyMap<string, MemberObservation>,
  now: Date,
  thresholdMs: number = UNSCHEDULABLE_THRESHOLD_MS,
): CurrentReplicaState {
  const state: CurrentReplicaState = {
    currentReplicas: new Map(),
    estimatedCapacity: new Map(),
    recheckAfterMs: undefined,
    podsRequired: [],
    members: new Map(),
  };
  for (const [cluster, observed] of members) {
    const member = memberReplicaState(observed.object, observed.pods, now, thresholdMs);
    state.members.set(cluster, member);
    switch (member.kind) {
      case 'absent':
        break;
      case 'podsRequired':
        state.podsRequired.push(cluster);
        break;
      case 'settled':
        state.currentReplicas.set(cluster, member.current);
        break;
      case 'analyzed':
        state.currentReplicas.set(cluster, member.current);
        if (member.capacity !== undefined) state.estimatedCapacity.set(cluster, member.capacity);
        if (member.pods.recentlyUnschedulable > 0)
          state.recheckAfterMs = Math.min(
            state.recheckAfterMs ?? Infinity,
            UNSCHEDULABLE_RECHECK_MS,
            thresholdMs,
          );
        if (member.pods.awaitingScheduling > 0)
          state.recheckAfterMs = Math.min(state.recheckAfterMs ?? Infinity, AWAITING_SCHEDULING_RECHECK_MS);
        break;
    }
  }
  return state;
}
