/**
 * The status of a PropagationPolicy or ClusterPropagationPolicy (keys `p|<namespace/name>` and
 * `c|<name>`): what it selects, with which outcome (federation/policy.ts's policyStatusOf), and
 * Events for what is new in it.
 */
import {
  ClusterPropagationPolicyDefinition,
  PropagationPolicyDefinition,
  type PropagationPolicy,
  type PropagationPolicyStatus,
} from '../../api/policy.js';
import { resourceRefOf } from '../../api/index.js';
import {
  policySelects,
  policyStatusChanged,
  policyStatusOf,
  selectorNamesType,
  winningPolicy,
  type PolicyEntry,
  type SelectedObject,
  type TypeProblem,
} from '../../federation/policy.js';
import { done, requeue, requeueAfter, type ReconcileResult } from '../../kube/controller.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import { ResourceClient } from '../../kube/resource.js';
import { objectKey } from '../../kube/store.js';
import { allPolicies, NOT_SYNCED_RETRY_MS, type PolicyContext } from './context.js';

export async function reconcilePolicyStatus(
  ctx: PolicyContext,
  ref: { kind: PolicyEntry['kind']; key: string },
): Promise<ReconcileResult> {
  const informer = ref.kind === 'PropagationPolicy' ? ctx.policies : ctx.clusterPolicies;
  const policy = informer.store.get(ref.key);
  if (!policy || policy.metadata.deletionTimestamp) return done;
  const entry: PolicyEntry = { kind: ref.kind, policy };
  const disabledTypes = typesToWatch(ctx, policy);
  if (disabledTypes === 'not synced') return requeueAfter(NOT_SYNCED_RETRY_MS);
  const selected = selectedObjects(ctx, entry);
  const status = policyStatusOf({ entry, selected, disabledTypes, now: new Date() });
  if (!policyStatusChanged(policy.status, status)) return done;
  const client = new ResourceClient<PropagationPolicy>(
    ctx.host,
    resourceRefOf(
      ref.kind === 'PropagationPolicy' ? PropagationPolicyDefinition : ClusterPropagationPolicyDefinition,
    ),
  );
  try {
    await client.updateStatus({ ...policy, status });
  } catch (err) {
    if (isConflict(err)) return requeue;
    if (isNotFound(err)) return done;
    throw err;
  }
  statusEvents(ctx, policy, policy.status, status);
  return done;
}

/**
 * Watches the host's objects of every enabled type the policy names; returns the types it names
 * that are not enabled, or 'not synced' while a watched type's caches are not synced.
 */
function typesToWatch(ctx: PolicyContext, policy: PropagationPolicy): TypeProblem[] | 'not synced' {
  const disabledTypes: TypeProblem[] = [];
  for (const sel of policy.spec?.resourceSelectors ?? []) {
    const matching = [...ctx.types.values()].filter((e) => selectorNamesType(sel, e.type));
    if (matching.length === 0) {
      if (!disabledTypes.some((t) => t.apiVersion === sel.apiVersion && t.kind === sel.kind))
        disabledTypes.push({ apiVersion: sel.apiVersion, kind: sel.kind });
      continue;
    }
    for (const e of matching) {
      ctx.ensureNative(e);
      if (!e.native!.hasSynced() || !e.federated.hasSynced()) return 'not synced';
    }
  }
  return disabledTypes;
}

/** The host's objects the policy selects, each with the policy that wins it and its generated object. */
function selectedObjects(ctx: PolicyContext, entry: PolicyEntry): SelectedObject[] {
  const policies = allPolicies(ctx);
  const selectors = entry.policy.spec?.resourceSelectors ?? [];
  const selected: SelectedObject[] = [];
  for (const e of ctx.types.values()) {
    if (!e.native || !selectors.some((sel) => selectorNamesType(sel, e.type))) continue;
    for (const object of e.native.store.list()) {
      if (!policySelects(entry, object, e.type)) continue;
      selected.push({
        type: e.type,
        object,
        winner: winningPolicy(policies, object, e.type),
        existing: e.federated.store.get(objectKey(object)),
      });
    }
  }
  return selected;
}

/** Events for what is new in a policy's status: each new conflict, a Ready condition turning False. */
function statusEvents(
  ctx: PolicyContext,
  policy: PropagationPolicy,
  before: PropagationPolicyStatus | undefined,
  after: PropagationPolicyStatus,
): void {
  const seen = new Set((before?.conflicts ?? []).map((c) => `${c.kind}/${c.namespace ?? ''}/${c.name}`));
  for (const c of after.conflicts ?? [])
    if (!seen.has(`${c.kind}/${c.namespace ?? ''}/${c.name}`))
      ctx.recorder.event(
        policy,
        'Warning',
        'Conflict',
        `${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}: ${c.message}`,
      );
  const was = before?.conditions?.find((c) => c.type === 'Ready');
  const now = after.conditions?.find((c) => c.type === 'Ready');
  if (
    now &&
    now.status === 'False' &&
    now.reason !== 'Conflict' &&
    (was?.status !== 'False' || was.reason !== now.reason)
  )
    ctx.recorder.event(policy, 'Warning', now.reason ?? 'NotReady', now.message ?? '');
}
