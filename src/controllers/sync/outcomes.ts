/**
 * What a propagation pass's dispatch outcomes mean, as data: the cluster entries of the status,
 * the versions to record, and what to do next. Pure.
 */
import { isRetryable, type ClusterOutcome } from '../../federation/status.js';
import type { DispatchEvent, DispatchOutcome } from './dispatch.js';

/** Re-check of copies being removed. */
export const REMOVAL_RECHECK_MS = 5_000;

export type NextStep = { kind: 'done' } | { kind: 'backoff' } | { kind: 'recheck'; afterMs: number };

/**
 * Status entries: every placed cluster, plus unplaced ones still being cleaned up (not-ok status);
 * an unplaced cluster whose copy is gone or unlabelled has no entry.
 */
export function statusOutcomes(
  outcomes: readonly DispatchOutcome[],
  placed: readonly string[],
  /** With raw status collection: each cluster's member `.status` (placed clusters as desired only). */
  remoteStatuses?: ReadonlyMap<string, Record<string, unknown> | undefined>,
): Map<string, ClusterOutcome> {
  const placedSet = new Set(placed);
  const out = new Map<string, ClusterOutcome>();
  for (const o of outcomes) {
    if (!placedSet.has(o.cluster) && o.status === '') continue;
    const remoteStatus = o.status === '' ? remoteStatuses?.get(o.cluster) : undefined;
    out.set(o.cluster, {
      status: o.status,
      ...(o.message ? { message: o.message } : {}),
      ...(remoteStatus ? { remoteStatus } : {}),
    });
  }
  return out;
}

/** The member versions to record: those of clusters whose object is as desired after the pass. */
export function writtenVersions(outcomes: readonly DispatchOutcome[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const o of outcomes) if (o.version !== undefined && o.status === '') out.set(o.cluster, o.version);
  return out;
}

/**
 * Retryable failures back off (upstream's R statuses); copies being removed are looked at again
 * shortly; anything else waits for the next event.
 */
export function nextStep(outcomes: readonly DispatchOutcome[]): NextStep {
  if (outcomes.some((o) => isRetryable(o.status))) return { kind: 'backoff' };
  if (outcomes.some((o) => o.status === 'WaitingForRemoval'))
    return { kind: 'recheck', afterMs: REMOVAL_RECHECK_MS };
  return { kind: 'done' };
}

/** Deletion: the finalizer may go only when no cluster is left with anything to do. */
export function deletionPending(outcomes: readonly DispatchOutcome[]): NextStep | undefined {
  const pending = outcomes.filter((o) => o.status !== '');
  if (pending.length === 0) return undefined;
  return pending.some((o) => isRetryable(o.status))
    ? { kind: 'backoff' }
    : { kind: 'recheck', afterMs: REMOVAL_RECHECK_MS };
}

/**
 * The Events of a pass, one per (type, reason) for successes: `CreateInCluster` "Creating
 * ConfigMap in cluster a", "… in cluster b" become one "Creating ConfigMap in clusters a, b", so a
 * pass over N members writes one Event, not N (upstream writes one per cluster). Warnings keep one
 * Event per cluster: each carries its own member's error.
 */
export function passEvents(outcomes: readonly DispatchOutcome[]): DispatchEvent[] {
  const out: DispatchEvent[] = [];
  const merged = new Map<string, { event: DispatchEvent; prefix: string; clusters: string[] }>();
  for (const e of outcomes.flatMap((o) => o.events)) {
    const m = e.type === 'Normal' ? / in cluster (\S+)$/.exec(e.message) : null;
    if (!m) {
      out.push(e);
      continue;
    }
    const prefix = e.message.slice(0, m.index);
    const key = `${e.reason}\n${prefix}`;
    const prior = merged.get(key);
    if (prior) {
      prior.clusters.push(m[1]!);
      continue;
    }
    const entry = { event: { ...e }, prefix, clusters: [m[1]!] };
    merged.set(key, entry);
    out.push(entry.event);
  }
  for (const { event, prefix, clusters } of merged.values())
    if (clusters.length > 1) event.message = `${prefix} in clusters ${[...clusters].sort().join(', ')}`;
  return out;
}
