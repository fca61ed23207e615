/**
 * One object of a federated type (key `o|<ftc>|<namespace/name>`): create, update, delete or release
 * its generated Federated<Kind> as planned by federation/policy.ts, keep the object's
 * `propagated-by` annotation, and look again at the status of the policies it concerns.
 */
import type { FederatedObject } from '../../api/types.js';
import { isLeaderType } from '../../federation/followers.js';
import { ORPHAN_ANNOTATION } from '../../federation/plan.js';
import {
  planObject,
  policyRef,
  policySelects,
  propagatedByPatch,
  PROPAGATED_BY_ANNOTATION,
  RELEASING_ANNOTATION,
  type ObjectPlan,
  type PolicyEntry,
} from '../../federation/policy.js';
import { done, requeue, requeueAfter, type ReconcileResult } from '../../kube/controller.js';
import { isNotFound } from '../../kube/errors.js';
import { ResourceClient, type KubeObject } from '../../kube/resource.js';
import {
  allPolicies,
  NOT_SYNCED_RETRY_MS,
  statusKey,
  statusKeyOfRef,
  terminating,
  type PolicyContext,
  type TypeEntry,
} from './context.js';
import { reconcileFollowers } from './followers.js';
import { executePlan } from './generated.js';

export async function reconcileObject(
  ctx: PolicyContext,
  ftcName: string,
  key: string,
): Promise<ReconcileResult> {
  const entry = ctx.types.get(ftcName);
  // A type no longer federated: its sync controller is gone too; leave everything as it is.
  if (!entry) return done;
  ctx.ensureNative(entry);
  if (!entry.native!.hasSynced() || !entry.federated.hasSynced()) return requeueAfter(NOT_SYNCED_RETRY_MS);
  const object = entry.native!.store.get(key);
  const existing = entry.federated.store.get(key);
  const policies = allPolicies(ctx);
  const scheduledByRsp = ctx.rsps.store.get(key)?.spec?.targetKind === entry.type.federated.kind;
  const { plan, entry: winner } = planObject({
    type: entry.type,
    object,
    policies,
    existing,
    clusters: ctx.clusters.store.list(),
    scheduledByRsp,
  });

  const namespace = object?.metadata.namespace;
  if ((plan.kind === 'create' || plan.kind === 'update') && namespace && terminating(ctx, namespace))
    return done;
  // A leader let go of with its member copies left in place keeps its followers' copies too: it
  // is marked releasing (and orphaning) first, its followers are marked orphaning while it still
  // exists, then it goes; the followers are deleted once it is gone.
  if (plan.kind === 'release' && plan.orphan && existing && namespace && isLeaderType(entry.type.target)) {
    const marked = await markReleasing(ctx, entry, existing, namespace);
    if (!marked) return done;
    const followers = await reconcileFollowers(ctx, namespace, marked);
    if (followers.kind !== 'done') return followers;
  }
  const result = await executeReportingRefusal(ctx, entry, plan, key, existing, object);
  if (result !== 'ok') return requeue;
  if (plan.kind === 'release' && object) propagationStopped(ctx, entry, key, object, plan.orphan);

  if (object && !object.metadata.deletionTimestamp) {
    const managed = plan.kind === 'create' || plan.kind === 'update' || plan.kind === 'unchanged';
    await annotatePropagatedBy(ctx, entry, object, managed && winner ? policyRef(winner) : undefined);
  }
  enqueuePolicyStatus(ctx, entry, policies, object, existing);
  return done;
}

/** Marks a generated leader releasing and orphaning; undefined when it is gone. */
async function markReleasing(
  ctx: PolicyContext,
  entry: TypeEntry,
  existing: FederatedObject,
  namespace: string,
): Promise<FederatedObject | undefined> {
  const client = new ResourceClient<FederatedObject>(ctx.host, entry.federatedRef);
  try {
    return await client.patch(
      existing.metadata.name!,
      'merge',
      { metadata: { annotations: { [ORPHAN_ANNOTATION]: 'true', [RELEASING_ANNOTATION]: 'true' } } },
      { namespace },
    );
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Carries out the plan; a refused write (e.g. by validation or the admission webhook) says so where the user looks. */
async function executeReportingRefusal(
  ctx: PolicyContext,
  entry: TypeEntry,
  plan: ObjectPlan,
  key: string,
  existing: FederatedObject | undefined,
  object: KubeObject | undefined,
): Promise<'ok' | 'retry'> {
  try {
    return await executePlan(ctx, entry, plan, key, existing);
  } catch (err) {
    if (object && (plan.kind === 'create' || plan.kind === 'update'))
      ctx.recorder.event(
        object,
        'Warning',
        'GenerateFailed',
        `${plan.kind === 'create' ? 'creating' : 'updating'} ${entry.type.federated.kind} ${key}: ${(err as Error).message}`,
      );
    throw err;
  }
}

function propagationStopped(
  ctx: PolicyContext,
  entry: TypeEntry,
  key: string,
  object: KubeObject,
  orphan: boolean,
): void {
  ctx.recorder.event(
    object,
    'Normal',
    'PropagationStopped',
    `no policy propagates ${entry.type.target.kind} ${key} any more; ${orphan ? 'its member copies are left in place, unmanaged' : 'its member copies are deleted'} (deletionPolicy ${orphan ? 'Orphan' : 'Delete'})`,
  );
}

/** Sets (or removes, without `ref`) the object's `propagated-by` annotation when it differs. */
async function annotatePropagatedBy(
  ctx: PolicyContext,
  entry: TypeEntry,
  object: KubeObject,
  ref: string | undefined,
): Promise<void> {
  const patch = propagatedByPatch(object, ref);
  if (!patch) return;
  try {
    await new ResourceClient(ctx.host, entry.targetRef).patch(object.metadata.name!, 'merge', patch, {
      ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

/** The policies whose status may have changed: any that selects the object, and the previous one. */
function enqueuePolicyStatus(
  ctx: PolicyContext,
  entry: TypeEntry,
  policies: PolicyEntry[],
  object: KubeObject | undefined,
  existing: FederatedObject | undefined,
): void {
  const statusKeys = new Set<string>();
  if (object && entry.native)
    for (const p of policies) if (policySelects(p, object, entry.type)) statusKeys.add(statusKey(p));
  const previous = existing?.metadata.annotations?.[PROPAGATED_BY_ANNOTATION];
  if (previous) statusKeys.add(statusKeyOfRef(previous));
  for (const k of statusKeys) ctx.enqueue(k);
}
