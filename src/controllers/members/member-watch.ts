/**
 * Member bookkeeping shared by the controllers that act on member clusters (sync, status,
 * scheduling): each used to keep its own copy of it.
 *
 * - {@link MemberWatch}: a member's API client, built from its KubeFedCluster and credential Secret
 *   in the host caches, and the readiness each cluster was last seen in, so a controller can look
 *   at its objects again when a member turns Ready or not, joins or leaves;
 * - {@link ManagedCopyInformers}: per member, the shared informer of one target type's managed
 *   copies (`kubefed.io/managed=true`), moved onto the new client when a member's client is rebuilt
 *   (credentials or endpoint changed); events of a replaced informer are ignored.
 */
import { clusterIsReady, type ControlPlaneScope } from '../../federation/placement.js';
import { MANAGED_LABEL } from '../../federation/render.js';
import { KubeFedClusterDefinition, type KubeFedCluster } from '../../api/core.js';
import { resourceRefOf } from '../../api/index.js';
import type { ClusterClient } from '../../kube/client.js';
import type { Informer } from '../../kube/informer.js';
import type { SharedInformers } from '../../kube/informers.js';
import type { KubeObject, ResourceRef } from '../../kube/resource.js';
import type { MemberClients } from './member-clients.js';

export type MemberClientOutcome =
  { kind: 'ok'; client: ClusterClient } | { kind: 'malformed'; error: string };

/** How a cluster's readiness changed with an informer event. */
export type ReadinessChange = 'first' | 'ready' | 'unready' | 'removed';

export interface MemberWatchOptions {
  kubefedNamespace: string;
  members: MemberClients;
  clusters: Informer<KubeFedCluster>;
  secrets: Informer;
}

const SECRETS: ResourceRef = { group: '', version: 'v1', resource: 'secrets', namespaced: true };

export class MemberWatch {
  private readonly readiness = new Map<string, boolean>();

  constructor(private readonly options: MemberWatchOptions) {}

  /** A watch on the (shared) informers of the KubeFedClusters and Secrets in the kubefed namespace. */
  static of(args: {
    host: ClusterClient;
    informers: SharedInformers;
    kubefedNamespace: string;
    members: MemberClients;
  }): MemberWatch {
    const { host, informers, kubefedNamespace, members } = args;
    return new MemberWatch({
      kubefedNamespace,
      members,
      clusters: informers.get<KubeFedCluster>(host, resourceRefOf(KubeFedClusterDefinition), {
        namespace: kubefedNamespace,
      }),
      secrets: informers.get(host, SECRETS, { namespace: kubefedNamespace }),
    });
  }

  /** The KubeFedClusters informer. */
  get clusters(): Informer<KubeFedCluster> {
    return this.options.clusters;
  }

  /** The informer of the clusters' credential Secrets. */
  get secrets(): Informer {
    return this.options.secrets;
  }

  /** Per member, the informer of `targetRef`'s managed copies (see {@link ManagedCopyInformers}). */
  copies(
    informers: SharedInformers,
    targetRef: ResourceRef,
    selection: ReturnType<typeof managedCopySelection>,
    onEvent: ManagedCopyInformersOptions['onEvent'],
    forgetReplaced = false,
  ): ManagedCopyInformers {
    return new ManagedCopyInformers({
      watch: this,
      informers,
      targetRef,
      selection,
      onEvent,
      forgetReplaced,
    });
  }

  /** The client of registered member `name`, or why there is none. */
  client(name: string): MemberClientOutcome {
    const ns = this.options.kubefedNamespace;
    const cluster = this.options.clusters.store.getByName(name, ns);
    if (!cluster) return { kind: 'malformed', error: `cluster ${name} is not registered` };
    const secretName = cluster.spec?.secretRef?.name;
    const secret = secretName ? this.options.secrets.store.getByName(secretName, ns) : undefined;
    return this.options.members.get(cluster, secret);
  }

  /**
   * Records the readiness of `cluster` (from a KubeFedCluster event); says how it changed:
   * `first` when first seen, `ready`/`unready` on a transition, `removed` when deleted, undefined
   * when nothing changed.
   */
  observe(cluster: KubeFedCluster, deleted = false): ReadinessChange | undefined {
    const name = cluster.metadata.name;
    if (!name) return undefined;
    const before = this.readiness.get(name);
    if (deleted) {
      this.readiness.delete(name);
      return before === undefined ? undefined : 'removed';
    }
    const ready = clusterIsReady(cluster);
    this.readiness.set(name, ready);
    if (before === undefined) return 'first';
    if (before === ready) return undefined;
    return ready ? 'ready' : 'unready';
  }

  /** Whether `name` was seen by {@link observe}. */
  knows(name: string): boolean {
    return this.readiness.has(name);
  }
}

/** The selection of managed copies a control plane watches in a member. */
export function managedCopySelection(
  scope: ControlPlaneScope,
  kubefedNamespace: string,
  targetRef: ResourceRef,
  dropFields?: readonly string[],
): { labelSelector: string; namespace?: string; dropFields?: readonly string[]; namespaceIndex: false } {
  return {
    labelSelector: `${MANAGED_LABEL}=true`,
    // Copies are looked up by key only: an index entry per (object, cluster) would be memory for nothing.
    namespaceIndex: false,
    ...(scope === 'Namespaced' && targetRef.namespaced ? { namespace: kubefedNamespace } : {}),
    ...(dropFields ? { dropFields } : {}),
  };
}

export interface ManagedCopyInformersOptions {
  watch: MemberWatch;
  informers: SharedInformers;
  targetRef: ResourceRef;
  selection: ReturnType<typeof managedCopySelection>;
  /** Called for every add, update (the new object) and delete of a current informer. */
  onEvent: (obj: KubeObject, cluster: string, deleted: boolean) => void;
  /** Stop the informers of a replaced client (they watch with dead credentials). */
  forgetReplaced?: boolean;
}

export class ManagedCopyInformers {
  private readonly byCluster = new Map<string, { client: ClusterClient; informer: Informer }>();
  private active = true;

  constructor(private readonly options: ManagedCopyInformersOptions) {}

  /** The informer of member `name` on its current client (undefined: no usable client). */
  get(name: string): Informer | undefined {
    const member = this.options.watch.client(name);
    const existing = this.byCluster.get(name);
    if (member.kind !== 'ok') return existing?.informer;
    if (existing?.client === member.client) return existing.informer;
    if (existing && this.options.forgetReplaced) void this.options.informers.forgetClient(existing.client);
    const informer = this.options.informers.get(
      member.client,
      this.options.targetRef,
      this.options.selection,
    );
    const onEvent = (o: KubeObject, deleted = false) => {
      if (this.active && this.byCluster.get(name)?.informer === informer)
        this.options.onEvent(o, name, deleted);
    };
    informer.addHandlers({
      onAdd: (o) => onEvent(o),
      onUpdate: (_a, b) => onEvent(b),
      onDelete: (o) => onEvent(o, true),
    });
    this.byCluster.set(name, { client: member.client, informer });
    return informer;
  }

  /** The informer of member `name` if one was made, without building one. */
  cached(name: string): Informer | undefined {
    return this.byCluster.get(name)?.informer;
  }

  /** Forgets member `name` (it left the federation). */
  drop(name: string): void {
    this.byCluster.delete(name);
  }

  /** Handlers stay on shared informers: after this they do nothing. */
  stop(): void {
    this.active = false;
  }
}
