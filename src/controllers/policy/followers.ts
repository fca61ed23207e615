/**
 * The followers of a namespace's federated workloads (key `l|<namespace>`): their ConfigMaps,
 * Secrets, ServiceAccount and claims, generated and placed where the workloads are
 * (federation/followers.ts decides).
 */
import type { FederatedObject } from '../../api/types.js';
import type { FOLLOWER_KINDS } from '../../federation/followers.js';
import {
  isLeaderType,
  planFollowers,
  type FollowerTypeState,
  type Leader,
} from '../../federation/followers.js';
import { generatedBy } from '../../federation/policy.js';
import { done, requeue, requeueAfter, type ReconcileResult } from '../../kube/controller.js';
import type { KubeObject } from '../../kube/resource.js';
import {
  isFollowerType,
  NOT_SYNCED_RETRY_MS,
  terminating,
  type PolicyContext,
  type TypeEntry,
} from './context.js';
import { executePlan } from './generated.js';

type FollowerKind = (typeof FOLLOWER_KINDS)[number];

/**
 * Generates, moves and removes the followers of the leaders of a namespace. `releasing`: a leader
 * just marked releasing (the API server's answer), seen in place of the cached one, which may lag.
 */
export async function reconcileFollowers(
  ctx: PolicyContext,
  namespace: string,
  releasing?: FederatedObject,
): Promise<ReconcileResult> {
  if (terminating(ctx, namespace)) return done;
  const leaders = leadersOf(ctx, namespace, releasing);
  if (leaders === 'not synced') return requeueAfter(NOT_SYNCED_RETRY_MS);
  if (leaders.length === 0 && !hasFollowers(ctx, namespace)) return done;
  const followerTypes = followerTypesOf(ctx, namespace);
  if (followerTypes === 'not synced') return requeueAfter(NOT_SYNCED_RETRY_MS);
  const { types, entries } = followerTypes;
  const { plans, missing } = planFollowers({
    leaders,
    types,
    clusters: ctx.clusters.store.list(),
    scope: ctx.scope,
  });
  let retry = false;
  for (const { type, name, plan } of plans) {
    const entry = entries.get(type.target.kind)!;
    const key = `${namespace}/${name}`;
    const result = await executePlan(ctx, entry, plan, key, entry.federated.store.get(key));
    if (result !== 'ok') retry = true;
  }
  for (const m of missing)
    ctx.recorder.event(
      m.leader,
      'Warning',
      'FollowerTypeNotEnabled',
      `${m.ref.kind} ${namespace}/${m.ref.name} is referenced by the pod template but ${m.ref.kind} is not federated, so it does not follow to the member clusters; run kubefedctl enable ${m.ref.kind}`,
    );
  return retry ? requeue : done;
}

/** The namespace's federated workloads, `releasing` in place of its cached self. */
function leadersOf(
  ctx: PolicyContext,
  namespace: string,
  releasing: FederatedObject | undefined,
): Leader[] | 'not synced' {
  const leaders: Leader[] = [];
  for (const e of ctx.types.values()) {
    if (!isLeaderType(e.type.target)) continue;
    if (!e.federated.hasSynced()) return 'not synced';
    for (const o of e.federated.store.byIndex('namespace', namespace)) {
      const replaced =
        releasing &&
        e.type.federated.kind === releasing.kind &&
        releasing.metadata.name === o.metadata.name &&
        releasing.metadata.uid === o.metadata.uid;
      leaders.push({ target: e.type.target, object: replaced ? releasing : o });
    }
  }
  return leaders;
}

/** The namespace's objects of each enabled follower type and their federated objects (watching them). */
function followerTypesOf(
  ctx: PolicyContext,
  namespace: string,
):
  | { types: Partial<Record<FollowerKind, FollowerTypeState>>; entries: Map<string, TypeEntry> }
  | 'not synced' {
  const types: Partial<Record<FollowerKind, FollowerTypeState>> = {};
  const entries = new Map<string, TypeEntry>();
  for (const e of ctx.types.values()) {
    if (!isFollowerType(e.type)) continue;
    ctx.ensureNative(e);
    if (!e.native!.hasSynced() || !e.federated.hasSynced()) return 'not synced';
    const byName = <T extends KubeObject>(objs: T[]) => new Map(objs.map((o) => [o.metadata.name!, o]));
    types[e.type.target.kind as FollowerKind] = {
      type: e.type,
      objects: byName(e.native!.store.byIndex('namespace', namespace)),
      federated: byName(e.federated.store.byIndex('namespace', namespace)),
    };
    entries.set(e.type.target.kind, e);
  }
  return { types, entries };
}

function hasFollowers(ctx: PolicyContext, namespace: string): boolean {
  for (const e of ctx.types.values())
    if (
      isFollowerType(e.type) &&
      e.federated.store.byIndex('namespace', namespace).some((o) => generatedBy(o) === 'follower')
    )
      return true;
  return false;
}
