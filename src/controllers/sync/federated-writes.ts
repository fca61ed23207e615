/**
 * The sync controller's writes to the federated object itself on the host: its finalizer (added
 * before any member write, removed once the member copies are gone) and its status (written only
 * when it changed).
 */
import type { FederatedObject } from '../../api/types.js';
import { SYNC_FINALIZER } from '../../federation/plan.js';
import { computeStatus, statusChanged, type ClusterOutcome } from '../../federation/status.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import type { ResourceClient } from '../../kube/resource.js';
import { rfc3339 } from './keys.js';

const namespaceOf = (fed: FederatedObject) =>
  fed.metadata.namespace ? { namespace: fed.metadata.namespace } : {};

export type FinalizerOutcome =
  | { kind: 'added'; federated: FederatedObject }
  /** The object changed meanwhile: its event brings it back. */
  | { kind: 'conflict' }
  | { kind: 'failed'; message: string };

/** Adds the sync finalizer, only to the version seen (resourceVersion precondition). */
export async function addFinalizer(
  client: ResourceClient<FederatedObject>,
  fed: FederatedObject,
): Promise<FinalizerOutcome> {
  try {
    const federated = await client.patch(
      fed.metadata.name!,
      'merge',
      {
        metadata: {
          finalizers: [...(fed.metadata.finalizers ?? []), SYNC_FINALIZER],
          resourceVersion: fed.metadata.resourceVersion,
        },
      },
      namespaceOf(fed),
    );
    return { kind: 'added', federated };
  } catch (err) {
    if (isConflict(err)) return { kind: 'conflict' };
    return { kind: 'failed', message: `adding finalizer ${SYNC_FINALIZER}: ${(err as Error).message}` };
  }
}

/** False when the object changed meanwhile (Conflict): look again. */
export async function removeFinalizer(
  client: ResourceClient<FederatedObject>,
  fed: FederatedObject,
): Promise<boolean> {
  const finalizers = (fed.metadata.finalizers ?? []).filter((f) => f !== SYNC_FINALIZER);
  try {
    await client.patch(
      fed.metadata.name!,
      'merge',
      {
        metadata: {
          finalizers: finalizers.length ? finalizers : null,
          resourceVersion: fed.metadata.resourceVersion,
        },
      },
      namespaceOf(fed),
    );
  } catch (err) {
    if (isConflict(err)) return false;
    if (!isNotFound(err)) throw err;
  }
  return true;
}

export type StatusAggregate = Partial<
  Pick<Parameters<typeof computeStatus>[0], 'aggregateReason' | 'aggregateMessage' | 'collectRemoteStatus'>
>;

/** Writes the status computed from the pass's cluster outcomes, if it differs from the current one. */
export async function writeStatus(
  client: ResourceClient<FederatedObject>,
  fed: FederatedObject,
  clusterOutcomes: ReadonlyMap<string, ClusterOutcome> | Record<string, ClusterOutcome>,
  resourcesUpdated: boolean,
  aggregate: StatusAggregate,
): Promise<void> {
  const previous = fed.status;
  const next = computeStatus({
    previous,
    generation: fed.metadata.generation ?? 0,
    clusterOutcomes,
    now: rfc3339(new Date()),
    resourcesUpdated,
    ...aggregate,
  });
  if (!statusChanged(previous, next)) return;
  await client.patch(
    fed.metadata.name!,
    'merge',
    { status: next },
    { ...namespaceOf(fed), subresource: 'status' },
  );
}
