/**
 * What the policy controller's reconcilers share: the host's caches, the enabled federated types
 * and the controller's queue. The controller (controller.ts) owns and fills them; the reconcilers
 * (objects.ts, policy-status.ts, followers.ts, namespaces.ts) read them and write through `host`.
 *
 * Keys (one queue):
 * - `o|<ftc>|<namespace/name>`: one object of a federated type (objects.ts);
 * - `p|<namespace/name>`, `c|<name>`: the status of a PropagationPolicy / ClusterPropagationPolicy
 *   (policy-status.ts);
 * - `n|<namespace>`: the generated FederatedNamespace of a namespace (namespaces.ts);
 * - `l|<namespace>`: the followers of the namespace's federated workloads (followers.ts).
 */
import type { FederatedTypeConfig, KubeFedCluster } from '../../api/core.js';
import type { PropagationPolicy } from '../../api/policy.js';
import type { ReplicaSchedulingPreference } from '../../api/scheduling.js';
import type { FederatedObject } from '../../api/types.js';
import { FOLLOWER_KINDS } from '../../federation/followers.js';
import type { ControlPlaneScope } from '../../federation/placement.js';
import type { PolicyEntry, PolicyType } from '../../federation/policy.js';
import type { ClusterClient } from '../../kube/client.js';
import type { EventRecorder } from '../../kube/events.js';
import type { Informer } from '../../kube/informer.js';
import type { Logger } from '../../kube/log.js';
import type { ResourceRef } from '../../kube/resource.js';
import { objectKey } from '../../kube/store.js';
import { typeResources } from '../../federation/typeconfig.js';

/** How long a reconcile waits for a cache that has not synced yet. */
export const NOT_SYNCED_RETRY_MS = 500;

/** One enabled federated type. */
export interface TypeEntry {
  type: PolicyType;
  targetRef: ResourceRef;
  federatedRef: ResourceRef;
  federated: Informer<FederatedObject>;
  /** The host's objects of the type, once needed. */
  native?: Informer;
}

export interface PolicyContext {
  readonly host: ClusterClient;
  readonly scope: ControlPlaneScope;
  readonly log: Logger;
  readonly recorder: EventRecorder;
  readonly policies: Informer<PropagationPolicy>;
  readonly clusterPolicies: Informer<PropagationPolicy>;
  readonly clusters: Informer<KubeFedCluster>;
  readonly rsps: Informer<ReplicaSchedulingPreference>;
  /** The host's namespaces: nothing is generated in one being deleted (it would fight the deletion). */
  readonly namespaces: Informer;
  /** By FederatedTypeConfig name: the enabled types. */
  readonly types: ReadonlyMap<string, TypeEntry>;
  /** Starts watching the host's objects of the type (once). */
  ensureNative(entry: TypeEntry): void;
  enqueue(key: string): void;
}

export function allPolicies(ctx: PolicyContext): PolicyEntry[] {
  return [
    ...ctx.policies.store.list().map((policy) => ({ kind: 'PropagationPolicy' as const, policy })),
    ...ctx.clusterPolicies.store
      .list()
      .map((policy) => ({ kind: 'ClusterPropagationPolicy' as const, policy })),
  ];
}

export function terminating(ctx: PolicyContext, namespace: string): boolean {
  const ns = ctx.namespaces.store.get(namespace);
  return ns?.metadata.deletionTimestamp !== undefined;
}

export function typeOf(ftc: FederatedTypeConfig): PolicyType {
  const types = typeResources(ftc);
  const { group, version, namespaced } = types.federated;
  return {
    ftcName: ftc.metadata.name!,
    target: { ...types.target, kind: types.targetKind },
    federated: { group, version, kind: types.federatedKind, namespaced },
  };
}

export function isFollowerType(type: PolicyType): boolean {
  return type.target.group === '' && (FOLLOWER_KINDS as readonly string[]).includes(type.target.kind);
}

export function statusKey(p: PolicyEntry): string {
  return p.kind === 'PropagationPolicy' ? `p|${objectKey(p.policy)}` : `c|${p.policy.metadata.name}`;
}

/** The status key of a PROPAGATED_BY_ANNOTATION value. */
export function statusKeyOfRef(ref: string): string {
  const [kind, ...rest] = ref.split('/');
  return kind === 'PropagationPolicy' ? `p|${rest.join('/')}` : `c|${rest.join('/')}`;
}
