/**
 * The generated FederatedNamespace of a namespace (key `n|<namespace>`): it lets the namespace's
 * generated objects propagate, placed on the union of their clusters (federation/policy.ts's
 * planNamespace).
 */
import type { FederatedObject } from '../../api/types.js';
import { generatedBy, planNamespace } from '../../federation/policy.js';
import { done, requeue, requeueAfter, type ReconcileResult } from '../../kube/controller.js';
import { NAMESPACES_FTC } from '../typeconfig/state.js';
import { NOT_SYNCED_RETRY_MS, terminating, type PolicyContext } from './context.js';
import { executePlan } from './generated.js';

export async function reconcileNamespace(ctx: PolicyContext, namespace: string): Promise<ReconcileResult> {
  const nsEntry = ctx.types.get(NAMESPACES_FTC);
  if (!nsEntry) return done;
  const generated: FederatedObject[] = [];
  for (const e of ctx.types.values()) {
    if (e === nsEntry || !e.federatedRef.namespaced) continue;
    if (!e.federated.hasSynced()) return requeueAfter(NOT_SYNCED_RETRY_MS);
    for (const o of e.federated.store.byIndex('namespace', namespace))
      if (generatedBy(o) === 'policy' || generatedBy(o) === 'follower') generated.push(o);
  }
  if (!nsEntry.federated.hasSynced()) return requeueAfter(NOT_SYNCED_RETRY_MS);
  if (terminating(ctx, namespace)) return done;
  const existing = nsEntry.federated.store.get(`${namespace}/${namespace}`);
  const plan = planNamespace({
    namespace,
    federatedNamespace: nsEntry.type.federated,
    generated,
    existing,
    clusters: ctx.clusters.store.list(),
    scope: ctx.scope,
  });
  const result = await executePlan(ctx, nsEntry, plan, `${namespace}/${namespace}`, existing);
  return result === 'ok' ? done : requeue;
}
