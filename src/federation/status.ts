/**
 * Propagation status of a federated object (`status` of Federated<Kind>), as data.
 *
 * Per cluster, an outcome with upstream KubeFed v0.10's status strings (`''` = as desired) and an
 * optional message (e.g. the member API server's error). `status.clusters[]` holds only `name`,
 * `status` (omitted when `''`) and `remoteStatus`, as the CRD defines; the messages of clusters
 * that are not as desired go into the Propagation condition's `message`, one
 * `<cluster>: <status>[: <message>]` per cluster in name order, e.g.
 * `cluster3: UpdateFailed: Job.batch "x" is invalid: spec.template: field is immutable`.
 *
 * The Propagation condition is True iff the aggregate reason is empty. The reason is the one
 * given (ClusterRetrievalFailed, ComputePlacementFailed), else CheckClusters when any cluster is not
 * ok (or lacks remoteStatus while raw status collection is on), else NamespaceNotFederated when
 * given (it yields to CheckClusters, e.g. while copies are being removed), else empty.
 * `lastTransitionTime` changes only when (status, reason) changes; `lastUpdateTime` changes then,
 * and whenever anything else in the status changes or member objects were written.
 */
import type { Static } from '@sinclair/typebox';
import type { FederatedStatus as FederatedStatusSchema } from '../api/types.js';

export type FederatedStatus = Static<typeof FederatedStatusSchema>;
type Condition = NonNullable<FederatedStatus['conditions']>[number];
type ClusterEntry = NonNullable<FederatedStatus['clusters']>[number];

export const PROPAGATION_STATUSES = [
  '',
  'WaitingForRemoval',
  'ClusterNotReady',
  'CachedRetrievalFailed',
  'ComputeResourceFailed',
  'ApplyOverridesFailed',
  'CreationFailed',
  'UpdateFailed',
  'DeletionFailed',
  'LabelRemovalFailed',
  'RetrievalFailed',
  'AlreadyExists',
  'FieldRetentionFailed',
  'VersionRetrievalFailed',
  'ClientRetrievalFailed',
  'ManagedLabelFalse',
  'CreationTimedOut',
  'UpdateTimedOut',
  'DeletionTimedOut',
  'LabelRemovalTimedOut',
  // Beyond upstream: a member write still running when its pass stopped waiting (member-writes.ts).
  'CreationInProgress',
  'UpdateInProgress',
  'DeletionInProgress',
  'LabelRemovalInProgress',
] as const;
export type PropagationStatus = (typeof PROPAGATION_STATUSES)[number];

/** Statuses that are retried with backoff (the R ones of upstream); the rest wait for an event. */
export const RETRYABLE_STATUSES: ReadonlySet<PropagationStatus> = new Set<PropagationStatus>([
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
]);

export function isRetryable(status: PropagationStatus): boolean {
  return RETRYABLE_STATUSES.has(status);
}

export type AggregateReason =
  '' | 'CheckClusters' | 'ClusterRetrievalFailed' | 'ComputePlacementFailed' | 'NamespaceNotFederated';

export interface ClusterOutcome {
  status: PropagationStatus;
  /** Why, for a status other than ''; goes into the condition message. */
  message?: string;
  /** The member object's `.status`, when raw status collection is on. */
  remoteStatus?: Record<string, unknown>;
}

export interface StatusInput {
  previous: FederatedStatus | undefined;
  /** The federated object's metadata.generation. */
  generation: number;
  /** A failure of the whole pass (CheckClusters is derived, not given). */
  aggregateReason?: Exclude<AggregateReason, '' | 'CheckClusters'>;
  /** Detail for the aggregate reason, e.g. the selector error. */
  aggregateMessage?: string;
  /** Per cluster (placed clusters and those still being cleaned up). */
  clusterOutcomes: ReadonlyMap<string, ClusterOutcome> | Readonly<Record<string, ClusterOutcome>>;
  /** RFC 3339 UTC, e.g. `2026-01-01T00:00:00Z`. */
  now: string;
  /** Raw status collection on: a cluster without remoteStatus is not yet as desired. */
  collectRemoteStatus?: boolean;
  /** Member objects were created, updated or deleted in this pass. */
  resourcesUpdated?: boolean;
}

/** At most this many clusters are detailed in the condition message. */
export const MESSAGE_CLUSTER_LIMIT = 10;

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function computeStatus(input: StatusInput): FederatedStatus {
  const outcomes =
    input.clusterOutcomes instanceof Map
      ? [...(input.clusterOutcomes as ReadonlyMap<string, ClusterOutcome>)]
      : Object.entries(input.clusterOutcomes as Record<string, ClusterOutcome>);
  outcomes.sort(([a], [b]) => byName(a, b));

  const clusters: ClusterEntry[] = outcomes.map(([name, o]) => ({
    name,
    ...(o.status !== '' ? { status: o.status } : {}),
    ...(o.remoteStatus !== undefined ? { remoteStatus: o.remoteStatus } : {}),
  }));
  const notOk = outcomes.filter(
    ([, o]) => o.status !== '' || (input.collectRemoteStatus === true && o.remoteStatus === undefined),
  );

  let reason: AggregateReason = input.aggregateReason ?? '';
  let message: string | undefined;
  if (reason === 'ClusterRetrievalFailed' || reason === 'ComputePlacementFailed') {
    message = input.aggregateMessage;
  } else if (notOk.length > 0) {
    reason = 'CheckClusters';
    message = clusterMessage(notOk);
  } else if (reason === 'NamespaceNotFederated') {
    message = input.aggregateMessage;
  }
  const status: Condition['status'] = reason === '' ? 'True' : 'False';

  const prevCondition = input.previous?.conditions?.find((c) => c.type === 'Propagation');
  const transition =
    prevCondition === undefined || prevCondition.status !== status || (prevCondition.reason ?? '') !== reason;
  const clustersChanged = !sameClusters(input.previous?.clusters, clusters);
  const messageChanged = (prevCondition?.message ?? '') !== (message ?? '');
  const touched = transition || clustersChanged || messageChanged || input.resourcesUpdated === true;

  const condition: Condition = {
    type: 'Propagation',
    status,
    ...(reason !== '' ? { reason } : {}),
    ...(message ? { message } : {}),
    lastUpdateTime: touched ? input.now : (prevCondition?.lastUpdateTime ?? input.now),
    lastTransitionTime: transition ? input.now : (prevCondition?.lastTransitionTime ?? input.now),
  };
  const others = (input.previous?.conditions ?? []).filter((c) => c.type !== 'Propagation');
  return {
    observedGeneration: input.generation,
    conditions: [...others, condition],
    clusters,
  };
}

function clusterMessage(notOk: [string, ClusterOutcome][]): string {
  const parts = notOk.slice(0, MESSAGE_CLUSTER_LIMIT).map(([name, o]) => {
    const status = o.status === '' ? 'RemoteStatusMissing' : o.status;
    return o.message ? `${name}: ${status}: ${o.message}` : `${name}: ${status}`;
  });
  const rest = notOk.length - MESSAGE_CLUSTER_LIMIT;
  if (rest > 0) parts.push(`and ${rest} more cluster${rest === 1 ? '' : 's'} (see status.clusters)`);
  return parts.join('; ');
}

function sameClusters(
  a: readonly ClusterEntry[] | undefined,
  b: readonly ClusterEntry[] | undefined,
): boolean {
  // Element by element (every no-op pass of a restart compares its status): no copies or JSON
  // unless a list is out of order or carries a remoteStatus.
  const x = byNameSorted(a ?? []);
  const y = byNameSorted(b ?? []);
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p.name !== q.name || (p.status ?? '') !== (q.status ?? '')) return false;
    if (
      (p.remoteStatus !== undefined || q.remoteStatus !== undefined) &&
      canonical(p.remoteStatus) !== canonical(q.remoteStatus)
    )
      return false;
  }
  return true;
}

function byNameSorted(list: readonly ClusterEntry[]): readonly ClusterEntry[] {
  for (let i = 1; i < list.length; i++)
    if (byName(list[i - 1]!.name, list[i]!.name) > 0) return [...list].sort((p, q) => byName(p.name, q.name));
  return list;
}

/** A JSON string of `v` with object keys sorted, for order-insensitive comparison. */
function canonical(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  return JSON.stringify(v, (_k, value: unknown) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([x], [y]) => byName(x, y)))
      : value,
  );
}

/**
 * Whether two statuses differ in anything but timestamps (lastUpdateTime, lastTransitionTime),
 * treating `status.clusters` as a set by name and an absent cluster status as `''`.
 */
export function statusChanged(a: FederatedStatus | undefined, b: FederatedStatus | undefined): boolean {
  if ((a?.observedGeneration ?? 0) !== (b?.observedGeneration ?? 0)) return true;
  if (!sameClusters(a?.clusters, b?.clusters)) return true;
  const conds = (s: FederatedStatus | undefined) =>
    [...(s?.conditions ?? [])].sort((x, y) => byName(x.type, y.type));
  const x = conds(a);
  const y = conds(b);
  if (x.length !== y.length) return true;
  return x.some((c, i) => {
    const d = y[i]!;
    return (
      c.type !== d.type ||
      c.status !== d.status ||
      (c.reason ?? '') !== (d.reason ?? '') ||
      (c.message ?? '') !== (d.message ?? '')
    );
  });
}

/**
 * Each cluster's part of the Propagation condition message, which the sync controller writes as
 * `<cluster>: <status>[: <member message>]` joined by `; ` (see clusterMessage below), e.g.
 * `CreationFailed: denied` for a cluster; a trailing "and N more clusters" is left out.
 */
export function clusterMessageParts(
  message: string | undefined,
  clusters: readonly string[],
): Map<string, string> {
  const out = new Map<string, string>();
  if (!message) return out;
  const starts = clusters
    .map((c) => ({ c, at: message.startsWith(`${c}: `) ? 0 : message.indexOf(`; ${c}: `) }))
    .filter((s) => s.at >= 0)
    .map((s) => ({ ...s, text: s.at === 0 ? s.at : s.at + 2 }))
    .sort((a, b) => a.at - b.at);
  const tail = message.search(/; and \d+ more clusters? \(see status\.clusters\)$/);
  starts.forEach((s, i) => {
    const end = i + 1 < starts.length ? starts[i + 1]!.at : tail >= 0 ? tail : message.length;
    out.set(s.c, message.slice(s.text + s.c.length + 2, end));
  });
  return out;
}
