/**
 * The sync controller of one federated type (one per enabled FederatedTypeConfig): its wiring.
 * Events from the informers become keys; a key's pass waits until the caches it reads have synced
 * and the PropagatedVersions are primed, then runs detached from its worker (reconciler.ts: read
 * state -> plan -> dispatch -> record versions and status). versions.ts owns the
 * PropagatedVersions.
 *
 * Informers (all shared): the Federated<Kind> on the host (every namespace, or the kubefed
 * namespace in a Namespaced plane), KubeFedClusters and their Secrets, the FederatedNamespaces for
 * namespaced types, and per Ready member the target type labelled `kubefed.io/managed=true`.
 */
import type { FederatedTypeConfig, KubeFedCluster } from '../../api/core.js';
import type { FederatedObject } from '../../api/types.js';
import { clusterIsReady, type ControlPlaneScope } from '../../federation/placement.js';
import { SYNC_FINALIZER } from '../../federation/plan.js';
import { refOf, typeResources, type TypeResources } from '../../federation/typeconfig.js';
import type { ClusterClient } from '../../kube/client.js';
import { Controller, detached, done, requeueAfter, type ReconcileResult } from '../../kube/controller.js';
import { EventRecorder } from '../../kube/events.js';
import { UnlistedKeys, type Informer } from '../../kube/informer.js';
import type { SharedInformers } from '../../kube/informers.js';
import type { Logger } from '../../kube/log.js';
import type { Metrics } from '../../kube/metrics.js';
import { ResourceClient, type KubeObject } from '../../kube/resource.js';
import { NAMESPACE_INDEX, objectKey } from '../../kube/store.js';
import type { MemberClients } from '../members/member-clients.js';
import { managedCopySelection, MemberWatch, type ManagedCopyInformers } from '../members/member-watch.js';
import { statusCollectionEnabled } from '../status/status-type.js';
import { federatedKeyOf, targetNameOf, updateNeedsPass } from './keys.js';
import { SyncReconciler, type SyncSettings, type SyncTarget } from './reconciler.js';
import { MemberWrites } from './member-writes.js';
import { PropagatedVersionStore } from './versions.js';

export type { SyncSettings } from './reconciler.js';

/** Member events re-enqueue their federated object after this delay (upstream: 10 s), coalescing bursts. */
export const MEMBER_EVENT_DELAY_MS = 2_000;
/**
 * Payload fields of member copies that no sync decision reads (retention keeps metadata and a few
 * spec fields; versions decide updates; uid matters for Namespaces only): left out of the member
 * caches, where they would double the memory of every ConfigMap or Secret. These informers are
 * the sync controller's alone (the status and scheduling controllers share the others'). Cached member objects are therefore never written back
 * whole (label removal is a patch).
 */
const UNREAD_MEMBER_FIELDS: Record<string, readonly string[]> = {
  'v1/ConfigMap': ['data', 'binaryData', 'metadata.uid', 'metadata.creationTimestamp'],
  'v1/Secret': ['data', 'stringData', 'metadata.uid', 'metadata.creationTimestamp'],
};
/**
 * Passes of one type in flight at once (the workers compute; their writes overlap): the API
 * servers, not one round trip after another, bound a bulk propagation.
 */
export const PIPELINE_DEPTH = 32;

export interface SyncControllerOptions {
  host: ClusterClient;
  /** Client for Events (default: host); one with its own rate limiter keeps them from delaying reconciles. */
  events?: ClusterClient;
  kubefedNamespace: string;
  scope: ControlPlaneScope;
  typeConfig: FederatedTypeConfig;
  /** The federated type of the `namespaces` FTC (FederatedNamespace), for namespaced targets. */
  namespaceFederatedType?: FederatedTypeConfig['spec']['federatedType'];
  informers: SharedInformers;
  members: MemberClients;
  settings: () => SyncSettings;
  metrics: Metrics;
  log: Logger;
}

export class SyncController {
  readonly controller: Controller;
  readonly name: string;
  private readonly target: SyncTarget;
  private readonly federated: Informer<FederatedObject>;
  private readonly fedNamespaces?: Informer<FederatedObject>;
  private readonly clusters: Informer<KubeFedCluster>;
  private readonly secrets: Informer;
  private readonly memberWatch: MemberWatch;
  /** Per Ready member, the informer of this type's managed copies. */
  private readonly copies: ManagedCopyInformers;
  private readonly versions: PropagatedVersionStore;
  private readonly recorder: EventRecorder;
  private readonly reconciler: SyncReconciler;
  /** The PropagatedVersions primed, and the member events that waited for it handled. */
  private primed?: Promise<void>;
  /** Member events that came before the PropagatedVersions were primed (undefined once primed). */
  private awaitingPrime?: Set<string> = new Set();
  private active = true;

  constructor(private readonly options: SyncControllerOptions) {
    const { typeConfig, informers, host, kubefedNamespace, scope } = options;
    const types = typeResources(typeConfig);
    this.target = syncTargetOf(typeConfig, types);
    const federatedRef = types.federated;
    this.name = types.federatedKind.toLowerCase();
    const planeNamespace = scope === 'Namespaced' ? { namespace: kubefedNamespace } : {};

    this.federated = informers.get<FederatedObject>(host, federatedRef, planeNamespace);
    this.memberWatch = MemberWatch.of({ host, informers, kubefedNamespace, members: options.members });
    this.clusters = this.memberWatch.clusters;
    this.secrets = this.memberWatch.secrets;
    const nsType = options.namespaceFederatedType;
    if (this.target.ref.namespaced && nsType)
      this.fedNamespaces = informers.get<FederatedObject>(host, refOf(nsType), planeNamespace);
    this.versions = new PropagatedVersionStore({
      host,
      namespaced: federatedRef.namespaced,
      targetKind: types.targetKind,
      listNamespace: scope === 'Namespaced' && federatedRef.namespaced ? kubefedNamespace : undefined,
      type: this.name,
      log: options.log,
    });
    this.recorder = new EventRecorder({
      client: options.events ?? host,
      component: `${this.name}-controller`,
      log: options.log,
    });
    this.copies = this.memberWatch.copies(
      informers,
      this.target.ref,
      managedCopySelection(
        scope,
        kubefedNamespace,
        this.target.ref,
        UNREAD_MEMBER_FIELDS[`${this.target.apiVersion}/${this.target.kind}`],
      ),
      (o, cluster, deleted) => this.memberEvent(o, cluster, deleted),
      true,
    );
    this.reconciler = new SyncReconciler({
      type: this.name,
      host,
      kubefedNamespace,
      scope,
      target: this.target,
      federated: this.federated,
      ...(this.fedNamespaces ? { fedNamespaces: this.fedNamespaces } : {}),
      copies: this.copies,
      members: this.memberWatch,
      versions: this.versions,
      // A write that outlived its pass ended: the next pass takes its outcome.
      writes: new MemberWrites((key) => this.active && this.controller.enqueue(key)),
      federatedClient: new ResourceClient<FederatedObject>(host, federatedRef),
      recorder: this.recorder,
      settings: options.settings,
      log: options.log,
    });
    this.controller = new Controller({
      name: this.name,
      workers: options.settings().workers,
      maxDetached: PIPELINE_DEPTH,
      // A reconcile that throws is counted, logged and backed off by the kit (never swallowed).
      reconcile: (key) => this.reconcile(key),
      backoff: { baseMs: 5_000, maxMs: 60_000 },
      metrics: options.metrics,
      log: options.log,
    });
    this.watch();
  }

  /** The events that bring a key to a pass. */
  private watch(): void {
    this.controller.watch(this.federated, this.federatedHandlers());
    if (this.fedNamespaces)
      this.controller.watch(this.fedNamespaces, {
        onAdd: (o) => this.enqueueNamespace(o),
        onUpdate: (a, b) => {
          this.enqueueNamespace(a);
          this.enqueueNamespace(b);
        },
        onDelete: (o) => this.enqueueNamespace(o),
      });
    this.controller.watch(this.clusters, {
      onAdd: (c) => this.clusterChanged(c),
      onUpdate: (_a, c) => this.clusterChanged(c),
      onDelete: (c) => this.clusterChanged(c, true),
    });
    // A credential change rebuilds the member client: move the member informers onto the new one.
    this.controller.watch(this.secrets, {
      onUpdate: (_a, secret) => {
        for (const c of this.clusters.store.list()) {
          if (c.spec?.secretRef?.name !== secret.metadata.name || !clusterIsReady(c)) continue;
          this.copies.get(c.metadata.name!);
          this.enqueueAllAfter(this.options.settings().availableDelayMs);
        }
      },
    });
  }

  start(): void {
    void this.prime();
    this.controller.start();
  }

  async stop(): Promise<void> {
    this.active = false;
    this.copies.stop();
    await this.controller.stop({ graceMs: 5_000 });
    await this.recorder.flush().catch(() => undefined);
  }

  private federatedHandlers() {
    const add = (o: FederatedObject) => this.controller.enqueue(objectKey(o));
    return {
      onAdd: add,
      onUpdate: (a: FederatedObject, b: FederatedObject) => {
        if (updateNeedsPass(a, b, SYNC_FINALIZER)) add(b);
      },
      onDelete: add,
    };
  }

  private enqueueNamespace(fns: FederatedObject): void {
    const ns = fns.metadata.namespace;
    if (!ns) return;
    for (const o of this.federated.store.byIndex(NAMESPACE_INDEX, ns)) this.controller.enqueue(objectKey(o));
  }

  /** Looks at every federated object again (e.g. a setting that changes their status changed). */
  resync(): void {
    this.enqueueAllAfter(0);
  }

  private enqueueAllAfter(ms: number): void {
    for (const o of this.federated.store.list()) this.controller.enqueueAfter(objectKey(o), ms);
  }

  /** Keeps a member informer per Ready cluster; a readiness change looks at every object again. */
  private clusterChanged(cluster: KubeFedCluster, deleted = false): void {
    const name = cluster.metadata.name;
    if (!name) return;
    const change = this.memberWatch.observe(cluster, deleted);
    if (!deleted && clusterIsReady(cluster)) this.copies.get(name);
    const { availableDelayMs, unavailableDelayMs } = this.options.settings();
    if (change === 'removed') this.enqueueAllAfter(0);
    else if (change === 'ready') this.enqueueAllAfter(availableDelayMs);
    else if (change === 'unready') this.enqueueAllAfter(unavailableDelayMs);
  }

  /**
   * A member copy changed: look at its federated object again, unless the copy is exactly the
   * version this controller recorded for that cluster (the watch echo of our own write, or the
   * initial list after a restart), which no pass would act on. Only resourceVersion-based versions
   * are compared: a generation-based one (a Deployment) does not change with its metadata or
   * status, which a pass may still act on. Until the PropagatedVersions are primed, events wait.
   */
  private memberEvent(obj: KubeObject, cluster: string, deleted: boolean): void {
    const key = federatedKeyOf(obj, this.target.namespaceTarget);
    // A key backing off after a failed write is retried by its backoff: a member that keeps
    // changing its copy (a failing Job's status) must not turn that into a hot loop.
    if (!deleted && this.controller.queue.numRequeues(key) > 0) return;
    if (!deleted && !this.collectsRemoteStatus()) {
      if (this.awaitingPrime) {
        this.awaitingPrime.add(key);
        return;
      }
      // Decided after the delay, from the cache as it is then: the echo of a write of a pass
      // still in flight matches once that pass has recorded its versions.
      setTimeout(() => {
        if (!this.active) return;
        const { namespace, name } = targetNameOf(key, this.target.namespaceTarget);
        const copy = this.copies.cached(cluster)?.store.getByName(name, namespace);
        if (this.controller.queue.numRequeues(key) > 0) return;
        if (!copy || !this.versions.copyAsRecorded(key, cluster, copy)) this.controller.enqueue(key);
      }, MEMBER_EVENT_DELAY_MS).unref();
      return;
    }
    this.controller.enqueueAfter(key, MEMBER_EVENT_DELAY_MS);
  }

  private collectsRemoteStatus(): boolean {
    return this.target.statusCollection && this.options.settings().rawResourceStatusCollection === true;
  }

  /** After priming: the keys whose copies changed meanwhile, each looked at if any copy differs from its record. */
  private flushAwaitingPrime(): void {
    const keys = this.awaitingPrime;
    this.awaitingPrime = undefined;
    for (const key of keys ?? []) {
      const { namespace, name } = targetNameOf(key, this.target.namespaceTarget);
      const differs = this.clusters.store.list().some((c) => {
        const copy = this.copies.cached(c.metadata.name!)?.store.getByName(name, namespace);
        return copy !== undefined && !this.versions.copyAsRecorded(key, c.metadata.name!, copy);
      });
      if (differs || !this.versions.has(key)) this.controller.enqueueAfter(key, MEMBER_EVENT_DELAY_MS);
    }
  }

  private lastUnsyncedWarning = 0;

  /** Says (at most every 30 s) which member cache reconciles are waiting for, and why. */
  private warnUnsynced(informer: Informer): void {
    const now = Date.now();
    if (now - this.lastUnsyncedWarning < 30_000) return;
    this.lastUnsyncedWarning = now;
    this.options.log.warn(
      { type: this.name, informer: informer.describe(), err: informer.lastError?.message },
      'waiting for a member cache to sync before reconciling',
    );
  }

  /**
   * Checks the caches on the worker, then lets the pass run {@link detached}: its host and member
   * round trips overlap with other objects' passes (up to {@link PIPELINE_DEPTH} per type), while
   * the queue still never runs two passes of one object at once.
   */
  private async reconcile(key: string): Promise<ReconcileResult> {
    // Until the caches are synced the worker waits for them (a few seconds at most) rather than
    // requeueing: at a restart over 10,000 objects, a requeue every 500 ms per key was most of
    // the CPU of the initial sync.
    // A big initial list of federated objects arrives page by page: a listed object's pass need
    // not wait for the rest, but a key not (yet) in the cache could be one not yet listed, never
    // one deleted: it waits for the end of the list without holding a worker.
    if (!this.federated.hasSynced() && !this.federated.store.get(key)) return this.parkUntilListed(key);
    const hostInformers = [this.clusters, this.secrets, ...(this.fedNamespaces ? [this.fedNamespaces] : [])];
    for (const informer of hostInformers)
      if (!informer.hasSynced() && !(await syncedWithin(informer, CACHE_WAIT_MS))) return requeueAfter(500);
    const clusters = this.clusters.store.list();
    const readyNames = clusters.filter(clusterIsReady).map((c) => c.metadata.name!);
    for (const c of clusters) if (!this.memberWatch.knows(c.metadata.name!)) this.clusterChanged(c);
    for (const name of readyNames) {
      const informer = this.copies.get(name);
      if (informer && !informer.hasSynced() && !(await syncedWithin(informer, CACHE_WAIT_MS))) {
        this.warnUnsynced(informer);
        return requeueAfter(500);
      }
    }
    await this.prime();
    return detached(this.reconciler.pass(key, clusters));
  }

  /** The PropagatedVersions primed (versions.ts), then the member events that waited for it handled. */
  private prime(): Promise<void> {
    this.primed ??= this.versions.prime().then(() => this.flushAwaitingPrime());
    return this.primed;
  }

  private unlisted?: UnlistedKeys;

  /** A key waits for the federated objects' initial list to end, then is queued again. */
  private parkUntilListed(key: string): ReconcileResult {
    this.unlisted ??= new UnlistedKeys(this.federated, (k) => this.active && this.controller.enqueue(k));
    this.unlisted.add(key);
    return done;
  }
}

function syncTargetOf(typeConfig: FederatedTypeConfig, types: TypeResources): SyncTarget {
  return {
    ref: types.target,
    apiVersion: types.targetApiVersion,
    kind: types.targetKind,
    namespaceTarget: types.targetApiVersion === 'v1' && types.targetKind === 'Namespace',
    statusCollection: statusCollectionEnabled(typeConfig.spec),
  };
}

/** How long a reconcile waits for an unsynced cache before it requeues its key. */
const CACHE_WAIT_MS = 5_000;

/** Whether `informer` syncs within `ms` (never throws). */
function syncedWithin(informer: Pick<Informer, 'waitForSync'>, ms: number): Promise<boolean> {
  return informer.waitForSync(ms).then(
    () => true,
    () => false,
  );
}
