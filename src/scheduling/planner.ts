/**
 * The replica planner of a ReplicaSchedulingPreference (RSP): how many of `totalReplicas` each
 * cluster gets. Pure; a reimplementation of upstream KubeFed's
 * `pkg/controller/util/planner/planner.go` (v0.10) with the same results, plus the reasons the
 * RSP status needs.
 *
 * Usage (the RSP controller):
 * ```ts
 * const state = currentReplicaState(members, new Date());          // ./current.ts
 * const plan = planReplicas({
 *   key: 'default/web',                                            // "namespace/name"
 *   totalReplicas: rsp.spec.totalReplicas,
 *   rebalance: rsp.spec.rebalance,
 *   preferences: rsp.spec.clusters,
 *   availableClusters: ['cluster1', 'cluster2'],
 *   currentReplicas: state.currentReplicas,
 *   estimatedCapacity: state.estimatedCapacity,
 * });
 * plan.replicas;   // Map { 'cluster1' => 6, 'cluster2' => 4 }, sorted by cluster name
 * plan.outcome;    // { kind: 'complete' } or { kind: 'incomplete', unplaced, causes }
 * planReplicaWriteback(federatedObject.spec, plan.replicas);       // ./writeback.ts
 * ```
 *
 * The algorithm, as upstream:
 * 1. Each available cluster takes its own entry of `preferences`, else the `*` entry, else none
 *    (it gets 0 replicas and takes no part). No or empty `preferences` means `{"*": {weight: 1}}`.
 * 2. Clusters are ordered by weight (descending), ties by the 32-bit FNV-1 hash of
 *    `clusterName + key` (ascending), so that single replicas do not always land on the same
 *    cluster across objects.
 * 3. In that order each cluster gets its minReplicas, as far as replicas remain and its estimated
 *    capacity allows.
 * 4. With rebalance=false, a cluster that currently runs more replicas than it got so far keeps
 *    them ("preallocation"), up to maxReplicas, capacity and the replicas that remain.
 * 5. Repeatedly, the remaining replicas are split by weight (each share rounded up, handed out in
 *    order until none remain); a share first uses up the cluster's preallocation; a cluster is
 *    capped at maxReplicas and at its capacity (what exceeds capacity is recorded as overflow) and
 *    then takes no further part. This stops when nothing remains or nothing changed.
 * 6. Result per cluster = planned + overflow. With rebalance=false each overflow is cut to the
 *    number of replicas left unplaced.
 *
 * Deviations from upstream, all outside what upstream can distinguish in practice:
 * - A cluster named twice in `availableClusters` is planned once (upstream would plan it twice).
 * - Equal weight and equal hash (a 32-bit collision) is ordered by cluster name; upstream's
 *   unstable sort left that order to chance.
 * - The weight split is computed exactly (BigInt); upstream's int64 arithmetic could overflow for
 *   weights near 2^63.
 */
import type { ReplicaSchedulingPreference } from '../api/scheduling.js';

/** One entry of `spec.clusters`: `{minReplicas?, maxReplicas?, weight?}`. */
export type ClusterPreferences = NonNullable<ReplicaSchedulingPreference['spec']['clusters']>[string];

/** The `spec.clusters` key that covers every cluster without its own entry. */
export const WILDCARD_CLUSTER = '*';

/** Used when `spec.clusters` is absent or empty, as upstream does before planning. */
export const DEFAULT_PREFERENCES: Readonly<Record<string, ClusterPreferences>> = Object.freeze({
  [WILDCARD_CLUSTER]: Object.freeze({ weight: 1 }),
});

export interface PlanInput {
  /** `namespace/name` of the RSP (and of the federated object); salts the tie-break hash. */
  key: string;
  totalReplicas: number;
  /** Default false: running replicas stay where they are as long as the preferences allow. */
  rebalance?: boolean | undefined;
  /** `spec.clusters`; absent or empty means `{"*": {weight: 1}}`. */
  preferences?: Readonly<Record<string, ClusterPreferences>> | undefined;
  /** The clusters to plan for (Ready, and selected when intersectWithClusterSelector is set). */
  availableClusters: readonly string[];
  /** Replicas currently running per cluster; clusters without an entry are taken as none. */
  currentReplicas?: ReadonlyMap<string, number> | undefined;
  /** How many replicas a cluster can run, where that is known to be limited (>= 0). */
  estimatedCapacity?: ReadonlyMap<string, number> | undefined;
}

/** Where a cluster's preferences came from. */
export type PreferenceSource =
  | { source: 'cluster'; minReplicas: number; maxReplicas: number | undefined; weight: number }
  | { source: 'wildcard'; minReplicas: number; maxReplicas: number | undefined; weight: number }
  | { source: 'none' };

/** Why a cluster got the number it got, where that is not simply its weighted share. */
export type ClusterReason =
  /** Neither its own entry nor `*` in spec.clusters: the cluster gets 0 replicas. */
  | { reason: 'NoPreference' }
  /** Weight 0: the cluster gets its minReplicas (and, without rebalance, keeps what runs). */
  | { reason: 'ZeroWeight' }
  /** Fewer than minReplicas: totalReplicas or the cluster's capacity ran out first. */
  | { reason: 'MinReplicasNotMet'; minReplicas: number }
  /** maxReplicas stopped the cluster from taking its full share. */
  | { reason: 'CappedByMaxReplicas'; maxReplicas: number }
  /** The estimated capacity stopped the cluster; `overflow` extra replicas are still asked for. */
  | { reason: 'CappedByCapacity'; capacity: number; overflow: number }
  /** rebalance=false: `kept` of the replicas running there were kept in place. */
  | { reason: 'KeptCurrentReplicas'; current: number; kept: number };

export interface ClusterPlan {
  cluster: string;
  preference: PreferenceSource;
  /** Position in the scheduling order (0 = served first); undefined without a preference. */
  rank: number | undefined;
  /** Replicas the planner placed here. */
  planned: number;
  /** Extra replicas asked of a cluster over its capacity (they may yet get scheduled). */
  overflow: number;
  /** What the cluster is told to run: planned + overflow. */
  replicas: number;
  reasons: ClusterReason[];
}

/** Why replicas were left unplaced. */
export type UnplacedCause =
  /** No cluster is available. */
  | 'NoClusters'
  /** No available cluster has an entry in spec.clusters, and there is no `*` entry. */
  | 'NoPreferences'
  /** No cluster with a preference has a weight above 0, so only minimums (and kept replicas) count. */
  | 'ZeroWeights'
  /** Every cluster with a weight is at its maxReplicas. */
  | 'MaxReplicas'
  /** Every cluster with a weight is at its estimated capacity. */
  | 'Capacity';

export type PlanOutcome =
  | { kind: 'complete' }
  /** `unplaced` = totalReplicas − Σ planned > 0; `causes` is never empty. */
  | { kind: 'incomplete'; unplaced: number; causes: UnplacedCause[] };

export interface ReplicaPlan {
  /** Replicas per available cluster (planned + overflow), every one, sorted by cluster name. */
  replicas: Map<string, number>;
  /** The details per cluster, sorted by cluster name. */
  clusters: ClusterPlan[];
  /** Σ planned over all clusters (overflow not included). */
  placed: number;
  outcome: PlanOutcome;
}

interface Candidate {
  cluster: string;
  hash: number;
  minReplicas: number;
  maxReplicas: number | undefined;
  weight: number;
  capacity: number | undefined;
}

/** What the three planning steps leave behind, per cluster name. */
interface PlanningState {
  remaining: number;
  plan: Map<string, number>;
  overflow: Map<string, number>;
  preallocated: Map<string, number>;
  kept: Map<string, number>;
  minCut: Set<string>;
  cappedByMax: Set<string>;
  cappedByCapacity: Set<string>;
}

/**
 * Distributes `input.totalReplicas` over `input.availableClusters`; see the file comment.
 * Numbers must be integers (the CRD schema guarantees it for an RSP; check a spec that did not
 * come from the API server with `validateReplicaSchedulingPreference` first), else RangeError.
 */
export function planReplicas(input: PlanInput): ReplicaPlan {
  const clusters = [...new Set(input.availableClusters)];
  const preferences = effectivePreferences(input.preferences);
  assertIntegers(input, preferences);
  const sources = new Map(clusters.map((c) => [c, preferenceFor(preferences, c)]));
  const order = schedulingOrder(clusters, sources, input);

  const state: PlanningState = {
    remaining: input.totalReplicas,
    plan: new Map(clusters.map((c) => [c, 0])),
    overflow: new Map(),
    preallocated: new Map(),
    kept: new Map(),
    minCut: new Set(),
    cappedByMax: new Set(),
    cappedByCapacity: new Set(),
  };
  assignMinimums(order, state);
  if (!input.rebalance) preallocateCurrent(order, state, input.currentReplicas);
  distributeByWeight(order, state);
  const overflow = input.rebalance ? state.overflow : trimOverflow(state.overflow, state.remaining);

  return summarize(clusters, sources, order, state, overflow, input);
}

/** Upstream's "TODO: Move this to API defaulting logic": no entries means `*` with weight 1. */
export function effectivePreferences(
  preferences: Readonly<Record<string, ClusterPreferences>> | undefined,
): Readonly<Record<string, ClusterPreferences>> {
  return preferences && Object.keys(preferences).length > 0 ? preferences : DEFAULT_PREFERENCES;
}

function preferenceFor(
  preferences: Readonly<Record<string, ClusterPreferences>>,
  cluster: string,
): PreferenceSource {
  const own = Object.hasOwn(preferences, cluster) ? preferences[cluster] : undefined;
  if (own) return { source: 'cluster', ...preferenceValues(own) };
  const wildcard = Object.hasOwn(preferences, WILDCARD_CLUSTER) ? preferences[WILDCARD_CLUSTER] : undefined;
  if (wildcard) return { source: 'wildcard', ...preferenceValues(wildcard) };
  return { source: 'none' };
}

function preferenceValues(p: ClusterPreferences) {
  return {
    minReplicas: p.minReplicas ?? 0,
    maxReplicas: p.maxReplicas ?? undefined,
    weight: p.weight ?? 0,
  };
}

/** Clusters with a preference, by weight descending, then hash ascending (then name). */
function schedulingOrder(
  clusters: readonly string[],
  sources: ReadonlyMap<string, PreferenceSource>,
  input: PlanInput,
): Candidate[] {
  const candidates: Candidate[] = [];
  for (const cluster of clusters) {
    const p = sources.get(cluster);
    if (!p || p.source === 'none') continue;
    candidates.push({
      cluster,
      hash: fnv1Hash32(cluster + input.key),
      minReplicas: p.minReplicas,
      maxReplicas: p.maxReplicas,
      weight: p.weight,
      capacity: input.estimatedCapacity?.get(cluster),
    });
  }
  return candidates.sort(
    (a, b) =>
      b.weight - a.weight || a.hash - b.hash || (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0),
  );
}

/** Step 3: minReplicas in order, bounded by what remains and by capacity. */
function assignMinimums(order: readonly Candidate[], s: PlanningState): void {
  for (const c of order) {
    let n = Math.min(c.minReplicas, s.remaining);
    if (c.capacity !== undefined && c.capacity < n) {
      n = c.capacity;
      s.cappedByCapacity.add(c.cluster);
    }
    if (n < c.minReplicas) s.minCut.add(c.cluster);
    s.remaining -= n;
    s.plan.set(c.cluster, n);
  }
}

/** Step 4 (rebalance=false): keep replicas running above the plan so far. */
function preallocateCurrent(
  order: readonly Candidate[],
  s: PlanningState,
  current: ReadonlyMap<string, number> | undefined,
): void {
  for (const c of order) {
    const planned = s.plan.get(c.cluster) ?? 0;
    const count = current?.get(c.cluster);
    if (count === undefined || count <= planned) continue;
    let target = count;
    if (c.maxReplicas !== undefined) target = Math.min(c.maxReplicas, target);
    if (c.capacity !== undefined) target = Math.min(c.capacity, target);
    const extra = Math.max(0, Math.min(target - planned, s.remaining));
    s.remaining -= extra;
    s.preallocated.set(c.cluster, extra);
    s.plan.set(c.cluster, planned + extra);
    if (extra > 0) s.kept.set(c.cluster, extra);
  }
}

/**
 * Step 5. Terminates: a round that changes something either places a replica or uses up a
 * preallocated one, and a cluster that leaves the round never comes back.
 */
function distributeByWeight(order: readonly Candidate[], s: PlanningState): void {
  let active = order;
  let modified = true;
  while (modified && s.remaining > 0) {
    modified = false;
    const weightSum = active.reduce((sum, c) => sum + BigInt(c.weight), 0n);
    if (weightSum <= 0n) break;
    const toDistribute = s.remaining;
    const stillOpen: Candidate[] = [];
    for (const c of active) {
      const start = s.plan.get(c.cluster) ?? 0;
      let extra = Math.min(ceilShare(toDistribute, c.weight, weightSum), s.remaining);
      const prealloc = s.preallocated.get(c.cluster) ?? 0;
      const usedPrealloc = Math.min(extra, prealloc);
      s.preallocated.set(c.cluster, prealloc - usedPrealloc);
      extra -= usedPrealloc;
      if (usedPrealloc > 0) modified = true;

      let total = start + extra;
      let full = false;
      if (c.maxReplicas !== undefined && total > c.maxReplicas) {
        total = c.maxReplicas;
        full = true;
        s.cappedByMax.add(c.cluster);
      }
      if (c.capacity !== undefined && total > c.capacity) {
        s.overflow.set(c.cluster, total - c.capacity);
        total = c.capacity;
        full = true;
        s.cappedByCapacity.add(c.cluster);
      }
      if (!full) stillOpen.push(c);
      s.remaining -= total - start;
      s.plan.set(c.cluster, total);
      if (total > start) modified = true;
    }
    active = stillOpen;
  }
}

/**
 * ⌈n·weight/weightSum⌉ as upstream's `(n*weight + weightSum - 1) / weightSum` (integer division
 * truncating toward zero), computed exactly.
 */
function ceilShare(n: number, weight: number, weightSum: bigint): number {
  return Number((BigInt(n) * BigInt(weight) + weightSum - 1n) / weightSum);
}

/** Step 6 (rebalance=false): overflow only as large as what is actually unplaced. */
function trimOverflow(overflow: ReadonlyMap<string, number>, unplaced: number): Map<string, number> {
  const trimmed = new Map<string, number>();
  for (const [cluster, value] of overflow) {
    const v = Math.min(value, unplaced);
    if (v > 0) trimmed.set(cluster, v);
  }
  return trimmed;
}

function summarize(
  clusters: readonly string[],
  sources: ReadonlyMap<string, PreferenceSource>,
  order: readonly Candidate[],
  s: PlanningState,
  overflow: ReadonlyMap<string, number>,
  input: PlanInput,
): ReplicaPlan {
  const rank = new Map(order.map((c, i) => [c.cluster, i]));
  const details = [...clusters].sort(compareNames).map((cluster): ClusterPlan => {
    const planned = s.plan.get(cluster) ?? 0;
    const extra = overflow.get(cluster) ?? 0;
    const preference = sources.get(cluster) ?? { source: 'none' };
    return {
      cluster,
      preference,
      rank: rank.get(cluster),
      planned,
      overflow: extra,
      replicas: planned + extra,
      reasons: clusterReasons(cluster, preference, s, extra, input),
    };
  });
  const placed = details.reduce((sum, c) => sum + c.planned, 0);
  const unplaced = input.totalReplicas - placed;
  return {
    replicas: new Map(details.map((c) => [c.cluster, c.replicas])),
    clusters: details,
    placed,
    outcome:
      unplaced > 0
        ? { kind: 'incomplete', unplaced, causes: unplacedCauses(clusters, order, s) }
        : { kind: 'complete' },
  };
}

function clusterReasons(
  cluster: string,
  preference: PreferenceSource,
  s: PlanningState,
  overflow: number,
  input: PlanInput,
): ClusterReason[] {
  if (preference.source === 'none') return [{ reason: 'NoPreference' }];
  const reasons: ClusterReason[] = [];
  if (preference.weight === 0) reasons.push({ reason: 'ZeroWeight' });
  const planned = s.plan.get(cluster) ?? 0;
  if (s.minCut.has(cluster) && planned < preference.minReplicas) {
    reasons.push({ reason: 'MinReplicasNotMet', minReplicas: preference.minReplicas });
  }
  if (s.cappedByMax.has(cluster) && preference.maxReplicas !== undefined) {
    reasons.push({ reason: 'CappedByMaxReplicas', maxReplicas: preference.maxReplicas });
  }
  const capacity = input.estimatedCapacity?.get(cluster);
  if (s.cappedByCapacity.has(cluster) && capacity !== undefined) {
    reasons.push({ reason: 'CappedByCapacity', capacity, overflow });
  }
  const kept = s.kept.get(cluster);
  if (kept !== undefined) {
    reasons.push({ reason: 'KeptCurrentReplicas', current: input.currentReplicas?.get(cluster) ?? 0, kept });
  }
  return reasons;
}

/**
 * Replicas stay unplaced only when no cluster with a weight can take more (or there is none):
 * every round gives each open weighted cluster at least one replica or one preallocated replica.
 */
function unplacedCauses(
  clusters: readonly string[],
  order: readonly Candidate[],
  s: PlanningState,
): UnplacedCause[] {
  if (clusters.length === 0) return ['NoClusters'];
  if (order.length === 0) return ['NoPreferences'];
  const weighted = order.filter((c) => c.weight > 0);
  if (weighted.length === 0) return ['ZeroWeights'];
  const causes: UnplacedCause[] = [];
  if (weighted.some((c) => s.cappedByMax.has(c.cluster))) causes.push('MaxReplicas');
  if (weighted.some((c) => s.cappedByCapacity.has(c.cluster))) causes.push('Capacity');
  // Not reachable with non-negative preferences and capacities; keeps `causes` non-empty.
  if (causes.length === 0) causes.push('MaxReplicas');
  return causes;
}

function assertIntegers(input: PlanInput, preferences: Readonly<Record<string, ClusterPreferences>>): void {
  const check = (value: unknown, field: string) => {
    if (value !== undefined && value !== null && !Number.isInteger(value)) {
      throw new RangeError(`${field} must be an integer, got ${JSON.stringify(value)}`);
    }
  };
  check(input.totalReplicas, 'spec.totalReplicas');
  for (const [cluster, p] of Object.entries(preferences)) {
    for (const field of ['minReplicas', 'maxReplicas', 'weight'] as const) {
      check(p[field], `spec.clusters[${cluster}].${field}`);
    }
  }
  for (const [name, counts] of [
    ['currentReplicas', input.currentReplicas],
    ['estimatedCapacity', input.estimatedCapacity],
  ] as const) {
    for (const [cluster, n] of counts ?? []) check(n, `${name}[${cluster}]`);
  }
}

const utf8 = new TextEncoder();

/** 32-bit FNV-1 (not FNV-1a) of the UTF-8 bytes of `text`, as Go's `hash/fnv.New32`. */
export function fnv1Hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of utf8.encode(text)) {
    hash = Math.imul(hash, 0x01000193) >>> 0;
    hash = (hash ^ byte) >>> 0;
  }
  return hash;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
