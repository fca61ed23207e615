/**
 * The dispatcher: performs the planned actions (plan.ts) in member clusters and turns each result
 * into a cluster status. Every member request of an action runs under the action's signal (a
 * deadline; upstream: 30 s); a write that overruns it is `<Op>TimedOut`. Actions of different clusters run concurrently, bounded.
 */
import { isAlreadyExists, isConflict, isNotFound, KubeError } from '../../kube/errors.js';
import type { KubeObject, ResourceClient } from '../../kube/resource.js';
import { planForExisting, type ClusterAction } from '../../federation/plan.js';
import type { PropagationStatus } from '../../federation/status.js';
import { memberVersion } from '../../federation/version.js';
import { MANAGED_LABEL } from '../../federation/render.js';
import type { DeleteOptionsOutcome } from './keys.js';

export interface DispatchContext {
  /** The client of the target type in the action's cluster (undefined: none could be built). */
  client: ResourceClient | undefined;
  /** Why there is no client. */
  clientError?: string;
  namespace: string | undefined;
  name: string;
  adoptResources: 'Enabled' | 'Disabled';
  retainReplicas: boolean;
  /** For a Namespace target: the UID of the host cluster's own Namespace. */
  hostNamespaceUid?: string;
  namespaceTarget: boolean;
  deleteOptions: DeleteOptionsOutcome;
  signal: AbortSignal;
}

export interface DispatchEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface DispatchOutcome {
  cluster: string;
  status: PropagationStatus;
  message?: string;
  /** The member object's version after the action (created, updated or already current). */
  version?: string;
  /** A member object was written (created, updated, deleted, unlabelled). */
  wrote: boolean;
  /** The `.status` of the object the member returned from a create or update. */
  remoteStatus?: Record<string, unknown>;
  events: DispatchEvent[];
}

type Op = 'Creation' | 'Update' | 'Deletion' | 'LabelRemoval';

const OP_EVENT: Record<Op, string> = {
  Creation: 'CreateInCluster',
  Update: 'UpdateInCluster',
  Deletion: 'DeleteInCluster',
  LabelRemoval: 'RemoveManagedLabelFromInCluster',
};

function failure(cluster: string, op: Op, err: unknown, signal: AbortSignal): DispatchOutcome {
  const timedOut = signal.aborted || (err instanceof KubeError && err.kind === 'Timeout' && err.code === 0);
  const status = `${op}${timedOut ? 'TimedOut' : 'Failed'}` as PropagationStatus;
  const message = err instanceof KubeError ? err.serverMessage || err.message : (err as Error).message;
  return {
    cluster,
    status,
    message,
    wrote: false,
    events: [
      {
        type: 'Warning',
        reason: timedOut ? 'OperationTimeoutError' : `${OP_EVENT[op]}Failed`,
        message: `${op} in cluster ${cluster} ${timedOut ? 'timed out' : 'failed'}: ${message}`,
      },
    ],
  };
}

const ok = (cluster: string, op: Op, obj: KubeObject | undefined, what: string): DispatchOutcome => ({
  cluster,
  status: '',
  ...(obj?.metadata ? { version: memberVersion(obj) } : {}),
  wrote: true,
  ...(isObject(obj?.status) ? { remoteStatus: obj.status } : {}),
  events: [{ type: 'Normal', reason: OP_EVENT[op], message: `${what} in cluster ${cluster}` }],
});

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The outcome of an action that sends no request (none, skip); undefined for the others. */
export function outcomeWithoutRequest(action: ClusterAction): DispatchOutcome | undefined {
  const { cluster } = action;
  if (action.kind === 'none')
    return { cluster, status: '', version: action.version, wrote: false, events: [] };
  if (action.kind !== 'skip') return undefined;
  return {
    cluster,
    status: action.reason,
    message: action.message,
    wrote: false,
    events:
      action.reason === 'WaitingForRemoval'
        ? []
        : [{ type: 'Warning', reason: action.reason, message: action.message }],
  };
}

/**
 * Performs one action; never throws. `lookAgain`: an update that meets a Conflict, or a create
 * that meets AlreadyExists, reads the member object and plans that cluster again, once.
 */
export async function dispatchAction(
  action: ClusterAction,
  ctx: DispatchContext,
  lookAgain = true,
): Promise<DispatchOutcome> {
  if (action.kind === 'none' || action.kind === 'skip') return outcomeWithoutRequest(action)!;
  const { cluster } = action;
  const client = ctx.client;
  if (!client) {
    const message = ctx.clientError ?? `no client for cluster ${cluster}`;
    return {
      cluster,
      status: 'ClientRetrievalFailed',
      message,
      wrote: false,
      events: [{ type: 'Warning', reason: 'ClientRetrievalFailed', message }],
    };
  }
  const ns = { ...(ctx.namespace ? { namespace: ctx.namespace } : {}), signal: ctx.signal };
  switch (action.kind) {
    case 'create':
      return createOrAdopt(action, client, ctx, ns, lookAgain);
    case 'update':
      try {
        const updated = await client.update(action.object, ns);
        return ok(cluster, 'Update', updated, action.adopt ? 'Adopted' : 'Updated');
      } catch (err) {
        // The member object changed since it was read: its own controllers write it too (a
        // Deployment's status right after a scale), so this is a race to look at again, not a
        // failure to report.
        if (!lookAgain || !isConflict(err)) return failure(cluster, 'Update', err, ctx.signal);
        return planAgain(cluster, action.rendered, client, ctx, ns);
      }
    case 'removeManagedLabel':
      try {
        // A patch, not an update: the cached member object may lack fields (informer dropFields).
        await client.patch(ctx.name, 'merge', removeManagedLabelPatch(action.object), ns);
        return { ...ok(cluster, 'LabelRemoval', undefined, 'Removed the managed label'), version: undefined };
      } catch (err) {
        if (isNotFound(err)) return { cluster, status: '', wrote: false, events: [] };
        return failure(cluster, 'LabelRemoval', err, ctx.signal);
      }
    case 'delete': {
      const opts = ctx.deleteOptions.kind === 'ok' ? ctx.deleteOptions.options : {};
      try {
        await client.delete(ctx.name, { ...ns, ...opts });
      } catch (err) {
        if (isNotFound(err)) return { cluster, status: '', wrote: false, events: [] };
        return failure(cluster, 'Deletion', err, ctx.signal);
      }
      return {
        cluster,
        status: 'WaitingForRemoval',
        message: `deletion of the object in cluster ${cluster} is in progress`,
        wrote: true,
        events: [{ type: 'Normal', reason: 'DeleteInCluster', message: `Deleted in cluster ${cluster}` }],
      };
    }
  }
}

/**
 * A create; on AlreadyExists (or a Namespace create that timed out) the object there is read and
 * planned again: adopted, or skipped as AlreadyExists / ManagedLabelFalse.
 */
async function createOrAdopt(
  action: Extract<ClusterAction, { kind: 'create' }>,
  client: ResourceClient,
  ctx: DispatchContext,
  ns: { namespace?: string; signal: AbortSignal },
  lookAgain: boolean,
): Promise<DispatchOutcome> {
  const { cluster } = action;
  try {
    const created = await client.create(action.object, ns);
    return ok(cluster, 'Creation', created, 'Created');
  } catch (err) {
    const exists =
      isAlreadyExists(err) || (ctx.namespaceTarget && err instanceof KubeError && err.kind === 'Timeout');
    if (!lookAgain || !exists) return failure(cluster, 'Creation', err, ctx.signal);
  }
  return planAgain(cluster, action.object, client, ctx, ns);
}

/**
 * Reads the member object and performs what planning that cluster again gives (without looking
 * again a second time): adoption, an update of the version read, or a skip such as AlreadyExists /
 * ManagedLabelFalse / WaitingForRemoval. An object gone meanwhile is RetrievalFailed: retried, by
 * which time the member watch has said so and the pass creates it.
 */
async function planAgain(
  cluster: string,
  rendered: KubeObject,
  client: ResourceClient,
  ctx: DispatchContext,
  ns: { namespace?: string; signal: AbortSignal },
): Promise<DispatchOutcome> {
  let existing: KubeObject;
  try {
    existing = await client.get(ctx.name, ns);
  } catch (err) {
    const message = (err as Error).message;
    return {
      cluster,
      status: 'RetrievalFailed',
      message,
      wrote: false,
      events: [{ type: 'Warning', reason: 'RetrievalFailed', message }],
    };
  }
  const next = planForExisting({
    cluster,
    desired: rendered,
    observed: existing,
    adoptResources: ctx.adoptResources,
    hostNamespace: ctx.hostNamespaceUid !== undefined && existing.metadata.uid === ctx.hostNamespaceUid,
    retainReplicas: ctx.retainReplicas,
    recordedVersion: undefined,
  });
  const outcome = await dispatchAction(next, ctx, false);
  if (next.kind === 'update' && next.adopt && outcome.status === '') {
    outcome.events.unshift({
      type: 'Warning',
      reason: 'AlreadyExists',
      message: `adopting the object that already exists in cluster ${cluster}`,
    });
  }
  return outcome;
}

/**
 * The merge patch that takes the managed label off a member object, only if it is still the
 * version seen (`resourceVersion` precondition: a Conflict means look again).
 */
export function removeManagedLabelPatch(observed: KubeObject): {
  metadata: { labels: Record<string, null>; resourceVersion?: string };
} {
  return {
    metadata: {
      labels: { [MANAGED_LABEL]: null },
      ...(observed.metadata.resourceVersion ? { resourceVersion: observed.metadata.resourceVersion } : {}),
    },
  };
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  return Promise.all(startBounded(items, limit, fn));
}

/** Starts `fn` over `items` with at most `limit` running; one promise per item, in input order. */
export function startBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R>[] {
  let active = 0;
  const waiting: (() => void)[] = [];
  return items.map(async (item) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await fn(item);
    } finally {
      active--;
      waiting.shift()?.();
    }
  });
}
