/**
 * The writes of one propagation pass, as data: what the sync controller sends to the host and to
 * each member. The controller decides each of them with the functions used here (the planner's
 * actions, {@link versionWrite}, `statusChanged`, {@link passEvents}), so counting the requests of
 * a first propagation is a unit-level guard on writes per object; bench/propagation.ts counts the
 * real ones from the manager's metrics. Pure.
 */
import type { ClusterAction } from '../../federation/plan.js';
import type { PropagatedVersion } from '../../federation/version.js';
import type { DispatchEvent } from './dispatch.js';

export type Verb = 'post' | 'put' | 'patch' | 'delete';

export interface PlannedRequest {
  /** `host`, or the member cluster's name. */
  cluster: string;
  verb: Verb;
  /** What is written, e.g. `finalizer`, `ConfigMap`, `PropagatedVersion`, `status`, `Event CreateInCluster`. */
  what: string;
}

/** How the PropagatedVersion is written after a pass. */
export type VersionWrite = 'none' | 'create' | 'patch';

/**
 * `next` undefined (nothing changed) writes nothing; with no PropagatedVersion known (a first
 * propagation: it is only ever written after the finalizer) it is created, carrying its status;
 * otherwise its status is patched.
 */
export function versionWrite(
  previous: PropagatedVersion | undefined,
  next: PropagatedVersion | undefined,
): VersionWrite {
  if (!next) return 'none';
  return previous === undefined ? 'create' : 'patch';
}

const MEMBER_VERB: Record<Exclude<ClusterAction['kind'], 'none' | 'skip'>, Verb> = {
  create: 'post',
  update: 'put',
  delete: 'delete',
  removeManagedLabel: 'patch',
};

export interface PassInput {
  /** The finalizer is not on the federated object yet (its first pass). */
  addFinalizer: boolean;
  actions: readonly ClusterAction[];
  /** The member object's kind, for the request's description. */
  kind: string;
  version: VersionWrite;
  /** The installed PropagatedVersion CRD has a status subresource (upstream's): one more write. */
  versionStatusSubresource: boolean;
  statusChanged: boolean;
  /** The Events of the pass ({@link passEvents}); each is one POST (a repeat within 10 min is a PATCH). */
  events: readonly DispatchEvent[];
}

/** Every write a pass makes, in order: finalizer, member writes, PropagatedVersion, status, Events. */
export function passRequests(input: PassInput): PlannedRequest[] {
  const out: PlannedRequest[] = [];
  if (input.addFinalizer) out.push({ cluster: 'host', verb: 'patch', what: 'finalizer' });
  for (const a of input.actions)
    if (a.kind !== 'none' && a.kind !== 'skip')
      out.push({ cluster: a.cluster, verb: MEMBER_VERB[a.kind], what: input.kind });
  if (input.version === 'create') {
    out.push({ cluster: 'host', verb: 'post', what: 'PropagatedVersion' });
    if (input.versionStatusSubresource)
      out.push({ cluster: 'host', verb: 'patch', what: 'PropagatedVersion status' });
  } else if (input.version === 'patch')
    out.push({ cluster: 'host', verb: 'patch', what: 'PropagatedVersion status' });
  if (input.statusChanged) out.push({ cluster: 'host', verb: 'patch', what: 'status' });
  for (const e of input.events) out.push({ cluster: 'host', verb: 'post', what: `Event ${e.reason}` });
  return out;
}
