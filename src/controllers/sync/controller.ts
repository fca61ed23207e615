/**
 * The sync controller of one federated type (one per enabled FederatedTypeConfig): keeps member
 * clusters holding what each Federated<Kind> asks for. reconcile(key) reads the caches, calls the
 * pure planner (federation/plan.ts), dispatches its actions (dispatch.ts), then records the
 * PropagatedVersion and the federated object's status, each written only when it changed.
 *
 * Informers (all shared): the Federated<Kind> on the host (every namespace, or the kubefed
 * namespace in a Namespaced plane), KubeFedClusters and their Secrets, the FederatedNamespaces for
 * namespaced types, and per Ready member the target type labelled `kubefed.io/managed=true`.
 */
import {
  ClusterPropagatedVersionDefinition,
  PropagatedVersionDefinition,
  type FederatedTypeConfig,
  type KubeFedCluster,
} from '../../api/core.js';
import { resourceRefOf } from '../../api/index.js';
import type { FederatedObject } from '../../api/types.js';
import {
  computePlacement,
  clusterIsReady,
  namespacePlacementOf,
  type ControlPlaneScope,
} from '../../federation/placement.js';
import { planPropagation, SYNC_FINALIZER, type ClusterAction } from '../../federation/plan.js';
import { MANAGED_LABEL, renderForCluster, type RenderOutcome } from '../../federation/render.js';
import { computeStatus, statusChanged, type ClusterOutcome } from '../../federation/status.js';
import {
  isGenerationVersion,
  memberVersion,
  nextPropagatedVersion,
  packVersion,
  propagatedVersionName,
  unpackVersion,
  type PropagatedVersion,
} from '../../federation/version.js';
import type { ClusterClient } from '../../kube/client.js';
import {
  Controller,
  detached,
  done,
  requeue,
  requeueAfter,
  type ReconcileResult,
} from '../../kube/controller.js';
import { isAlreadyExists, isConflict, isForbidden, isNotFound } from '../../kube/errors.js';
import { EventRecorder } from '../../kube/events.js';
import { UnlistedKeys, type Informer } from '../../kube/informer.js';
import type { SharedInformers } from '../../kube/informers.js';
import type { Logger } from '../../kube/log.js';
import type { Metrics } from '../../kube/metrics.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../kube/resource.js';
import { NAMESPACE_INDEX } from '../../kube/store.js';
import type { MemberClients } from '../members/member-clients.js';
import {
  managedCopySelection,
  MemberWatch,
  type ManagedCopyInformers,
  type MemberClientOutcome,
} from '../members/member-watch.js';
import { dispatchAction, mapBounded, removeManagedLabelPatch, type DispatchOutcome } from './dispatch.js';
import {
  deletionPending,
  nextStep,
  passEvents,
  REMOVAL_RECHECK_MS,
  statusOutcomes,
  writtenVersions,
  type NextStep,
} from './outcomes.js';
import { versionWrite } from './requests.js';
import { versionListsOf } from './versions.js';
import { statusCollectionEnabled } from '../status/status-type.js';
import {
  deleteOptionsOf,
  federatedKeyOf,
  isIgnoredNamespace,
  rfc3339,
  targetNameOf,
  updateNeedsPass,
} from './keys.js';

const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
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
/** Member writes in flight at once per reconcile. */
const DISPATCH_CONCURRENCY = 8;
/** How long one member request of a pass may take. */
const DISPATCH_TIMEOUT_MS = 30_000;
/** The signal of an action that makes no request. */
const NEVER_ABORTED = new AbortController().signal;
/**
 * Passes of one type in flight at once (the workers compute; their writes overlap): the API
 * servers, not one round trip after another, bound a bulk propagation.
 */
export const PIPELINE_DEPTH = 32;

export interface SyncSettings {
  adoptResources: 'Enabled' | 'Disabled';
  availableDelayMs: number;
  unavailableDelayMs: number;
  workers: number;
  /** Feature gate RawResourceStatusCollection: with FTC statusCollection Enabled, members' `.status` goes into `status.clusters[].remoteStatus`. */
  rawResourceStatusCollection?: boolean;
}

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
  private readonly targetRef: ResourceRef;
  private readonly targetApiVersion: string;
  private readonly targetKind: string;
  private readonly federatedRef: ResourceRef;
  private readonly namespaceTarget: boolean;
  /** FTC statusCollection Enabled (with the raw gate: remoteStatus is collected). */
  private readonly statusCollection: boolean;
  /** Namespaced targets are limited by their FederatedNamespace. */
  private readonly needsNamespace: boolean;
  private readonly federated: Informer<FederatedObject>;
  private readonly fedNamespaces?: Informer<FederatedObject>;
  private readonly clusters: Informer<KubeFedCluster>;
  private readonly secrets: Informer;
  private readonly federatedClient: ResourceClient<FederatedObject>;
  private readonly versionClient: ResourceClient;
  private readonly recorder: EventRecorder;
  private readonly memberWatch: MemberWatch;
  /** Per Ready member, the informer of this type's managed copies. */
  private readonly copies: ManagedCopyInformers;
  /**
   * Last PropagatedVersion status per key, as written (the source of truth after our writes),
   * packed into one string ({@link packVersion}): a third of the objects' size, for every object.
   */
  private readonly versions = new Map<string, string | undefined>();
  /** The installed PropagatedVersion CRD has a status subresource (upstream's does; ours does not). */
  private versionStatusSubresource = false;
  /** The PropagatedVersions read with one paged LIST before the first reconcile (see {@link prime}). */
  private primed?: Promise<void>;
  /** Member events that came before the PropagatedVersions were primed (undefined once primed). */
  private awaitingPrime?: Set<string> = new Set();
  private active = true;

  constructor(private readonly options: SyncControllerOptions) {
    const { typeConfig, informers, host, kubefedNamespace, scope } = options;
    const t = typeConfig.spec.targetType;
    const f = typeConfig.spec.federatedType;
    this.targetKind = t.kind;
    this.targetApiVersion = t.group ? `${t.group}/${t.version}` : t.version;
    this.targetRef = {
      group: t.group ?? '',
      version: t.version,
      resource: t.pluralName,
      namespaced: t.scope === 'Namespaced',
    };
    this.federatedRef = {
      group: f.group ?? '',
      version: f.version,
      resource: f.pluralName,
      namespaced: f.scope === 'Namespaced',
    };
    this.namespaceTarget = this.targetApiVersion === 'v1' && t.kind === 'Namespace';
    this.statusCollection = statusCollectionEnabled(typeConfig.spec);
    this.needsNamespace = this.targetRef.namespaced;
    this.name = f.kind.toLowerCase();
    const planeNamespace = scope === 'Namespaced' ? { namespace: kubefedNamespace } : {};

    this.federated = informers.get<FederatedObject>(host, this.federatedRef, planeNamespace);
    this.memberWatch = MemberWatch.of({ host, informers, kubefedNamespace, members: options.members });
    this.clusters = this.memberWatch.clusters;
    this.secrets = this.memberWatch.secrets;
    const nsType = options.namespaceFederatedType;
    if (this.needsNamespace && nsType) {
      const ref: ResourceRef = {
        group: nsType.group ?? '',
        version: nsType.version,
        resource: nsType.pluralName,
        namespaced: true,
      };
      this.fedNamespaces = informers.get<FederatedObject>(host, ref, planeNamespace);
    }
    this.federatedClient = new ResourceClient<FederatedObject>(host, this.federatedRef);
    this.versionClient = new ResourceClient(
      host,
      resourceRefOf(
        this.federatedRef.namespaced ? PropagatedVersionDefinition : ClusterPropagatedVersionDefinition,
      ),
    );
    this.recorder = new EventRecorder({
      client: options.events ?? host,
      component: `${this.name}-controller`,
      log: options.log,
    });

    this.copies = this.memberWatch.copies(
      informers,
      this.targetRef,
      managedCopySelection(
        scope,
        kubefedNamespace,
        this.targetRef,
        UNREAD_MEMBER_FIELDS[`${this.targetApiVersion}/${this.targetKind}`],
      ),
      (o, cluster, deleted) => this.memberEvent(o, cluster, deleted),
      true,
    );
    this.controller = new Controller({
      name: this.name,
      workers: options.settings().workers,
      maxDetached: PIPELINE_DEPTH,
      reconcile: (key) => this.reconcileSafely(key),
      backoff: { baseMs: 5_000, maxMs: 60_000 },
      metrics: options.metrics,
      log: options.log,
    });
    this.federated.addHandlers(this.whileActive(this.federatedHandlers()));
    this.fedNamespaces?.addHandlers(
      this.whileActive({
        onAdd: (o) => this.enqueueNamespace(o),
        onUpdate: (a, b) => {
          this.enqueueNamespace(a);
          this.enqueueNamespace(b);
        },
        onDelete: (o) => this.enqueueNamespace(o),
      }),
    );
    this.clusters.addHandlers(
      this.whileActive({
        onAdd: (c) => this.clusterChanged(c),
        onUpdate: (_a, c) => this.clusterChanged(c),
        onDelete: (c) => this.clusterChanged(c, true),
      }),
    );
    // A credential change rebuilds the member client: move the member informers onto the new one.
    this.secrets.addHandlers(
      this.whileActive({
        onUpdate: (_a, secret) => {
          for (const c of this.clusters.store.list()) {
            if (c.spec?.secretRef?.name !== secret.metadata.name || !clusterIsReady(c)) continue;
            this.copies.get(c.metadata.name!);
            this.enqueueAllAfter(this.options.settings().availableDelayMs);
          }
        },
      }),
    );
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

  /** Handlers stay on shared informers after stop (they cannot be removed): they go quiet instead. */
  private whileActive<T>(h: {
    onAdd?(o: T): void;
    onUpdate?(a: T, b: T): void;
    onDelete?(o: T): void;
  }): typeof h {
    return {
      onAdd: (o) => this.active && h.onAdd?.(o),
      onUpdate: (a, b) => this.active && h.onUpdate?.(a, b),
      onDelete: (o) => this.active && h.onDelete?.(o),
    };
  }

  private federatedHandlers() {
    const add = (o: FederatedObject) => this.controller.enqueue(keyOf(o));
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
    for (const o of this.federated.store.byIndex(NAMESPACE_INDEX, ns)) this.controller.enqueue(keyOf(o));
  }

  /** Looks at every federated object again (e.g. a setting that changes their status changed). */
  resync(): void {
    this.enqueueAllAfter(0);
  }

  private enqueueAllAfter(ms: number): void {
    for (const o of this.federated.store.list()) this.controller.enqueueAfter(keyOf(o), ms);
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

  /** The member client, or why there is none. */
  private memberClient(name: string): MemberClientOutcome {
    return this.memberWatch.client(name);
  }

  /**
   * A member copy changed: look at its federated object again, unless the copy is exactly the
   * version this controller recorded for that cluster (the watch echo of our own write, or the
   * initial list after a restart), which no pass would act on. Only resourceVersion-based versions
   * are compared: a generation-based one (a Deployment) does not change with its metadata or
   * status, which a pass may still act on. Until the PropagatedVersions are primed, events wait.
   */
  private memberEvent(obj: KubeObject, cluster: string, deleted: boolean): void {
    const key = federatedKeyOf(obj, this.namespaceTarget);
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
        const { namespace, name } = targetNameOf(key, this.namespaceTarget);
        const copy = this.copies.cached(cluster)?.store.getByName(name, namespace);
        if (this.controller.queue.numRequeues(key) > 0) return;
        if (!copy || !this.copyAsRecorded(key, cluster, copy)) this.controller.enqueue(key);
      }, MEMBER_EVENT_DELAY_MS).unref();
      return;
    }
    this.controller.enqueueAfter(key, MEMBER_EVENT_DELAY_MS);
  }

  /** The cached copy of `key` in `cluster` is the version recorded for it (resourceVersion-based). */
  private copyAsRecorded(key: string, cluster: string, copy: KubeObject): boolean {
    const version = memberVersion(copy);
    if (isGenerationVersion(version) || copy.metadata.deletionTimestamp) return false;
    return (
      unpackVersion(this.versions.get(key))?.clusterVersions?.some(
        (c) => c.clusterName === cluster && c.version === version,
      ) === true
    );
  }

  private collectsRemoteStatus(): boolean {
    return this.statusCollection && this.options.settings().rawResourceStatusCollection === true;
  }

  /** After priming: the keys whose copies changed meanwhile, each looked at if any copy differs from its record. */
  private flushAwaitingPrime(): void {
    const keys = this.awaitingPrime;
    this.awaitingPrime = undefined;
    for (const key of keys ?? []) {
      const { namespace, name } = targetNameOf(key, this.namespaceTarget);
      const differs = this.clusters.store.list().some((c) => {
        const copy = this.copies.cached(c.metadata.name!)?.store.getByName(name, namespace);
        return copy !== undefined && !this.copyAsRecorded(key, c.metadata.name!, copy);
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

  /** A reconcile that throws is logged and retried; one bad object never stops the controller. */
  private async reconcileSafely(key: string): Promise<ReconcileResult> {
    try {
      return await this.reconcile(key);
    } catch (err) {
      this.options.log.error({ err, key, type: this.name }, 'reconcile failed');
      return requeue;
    }
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
    return detached(
      this.pass(key, clusters).catch((err: unknown) => {
        this.options.log.error({ err, key, type: this.name }, 'reconcile failed');
        return requeue;
      }),
    );
  }

  private unlisted?: UnlistedKeys;

  /** A key waits for the federated objects' initial list to end, then is queued again. */
  private parkUntilListed(key: string): ReconcileResult {
    this.unlisted ??= new UnlistedKeys(this.federated, (k) => this.active && this.controller.enqueue(k));
    this.unlisted.add(key);
    return done;
  }

  /** One propagation pass of one federated object. */
  private async pass(key: string, clusters: KubeFedCluster[]): Promise<ReconcileResult> {
    const { namespace, name } = targetNameOf(key, this.namespaceTarget);
    const observed = new Map<string, KubeObject | undefined>();
    for (const c of clusters) {
      const informer = this.copies.cached(c.metadata.name!);
      observed.set(c.metadata.name!, informer?.store.getByName(name, namespace));
    }

    const federated = this.federated.store.get(key);
    if (!federated) return this.unlabelOrphans(key, observed, namespace, name);

    if (this.namespaceTarget) {
      const ns = federated.metadata.namespace ?? '';
      if (isIgnoredNamespace(ns, this.options.kubefedNamespace)) return done;
      if (federated.metadata.name !== ns) {
        this.recorder.event(
          federated,
          'Warning',
          'InvalidName',
          `a FederatedNamespace must be named like its namespace ("${ns}"), not "${federated.metadata.name}"`,
        );
        return done;
      }
    }

    const settings = this.options.settings();
    let fed = federated;
    const deleting = !!fed.metadata.deletionTimestamp;
    // First reconcile of this object: its PropagatedVersion is only ever written after the finalizer
    // is in place, so there is none to read (if one exists anyway, writing it falls back to a patch).
    const firstPass = !deleting && !fed.metadata.finalizers?.includes(SYNC_FINALIZER);
    if (firstPass) {
      try {
        fed = await this.federatedClient.patch(
          fed.metadata.name!,
          'merge',
          {
            metadata: {
              finalizers: [...(fed.metadata.finalizers ?? []), SYNC_FINALIZER],
              resourceVersion: fed.metadata.resourceVersion,
            },
          },
          fed.metadata.namespace ? { namespace: fed.metadata.namespace } : {},
        );
      } catch (err) {
        if (isConflict(err)) return requeue; // changed meanwhile: its event brings it back
        this.recorder.event(
          fed,
          'Warning',
          'EnsureFinalizerError',
          `adding finalizer ${SYNC_FINALIZER}: ${(err as Error).message}`,
        );
        return requeue;
      }
    }

    // Placement, limited by the FederatedNamespace for namespaced types.
    const ns = fed.metadata.namespace;
    const namespacePlacement =
      this.needsNamespace && ns
        ? namespacePlacementOf(this.fedNamespaces?.store.getByName(ns, ns), clusters, this.options.scope)
        : undefined;
    const placement = computePlacement({
      placement: fed.spec?.placement,
      clusters,
      scope: this.options.scope,
      ...(namespacePlacement !== undefined ? { namespacePlacement } : {}),
    });
    if (placement.kind === 'failed') {
      this.recorder.event(fed, 'Warning', 'ComputePlacementFailed', placement.message);
      if (!deleting)
        await this.writeStatus(fed, {}, false, {
          aggregateReason: 'ComputePlacementFailed',
          aggregateMessage: placement.message,
        });
      return done;
    }
    // Upstream drops unknown names silently; say which (deduplicated by the recorder).
    if (placement.unknownClusters.length > 0 && !deleting)
      this.recorder.event(
        fed,
        'Warning',
        'UnknownClusters',
        `spec.placement.clusters names clusters that are not joined: ${placement.unknownClusters.join(', ')}; they are left out (kubefedctl get clusters lists the joined ones)`,
      );

    const ready = new Set(placement.ready);
    const render = (cluster: string): RenderOutcome | undefined =>
      ready.has(cluster)
        ? renderForCluster({
            federated: fed,
            targetApiVersion: this.targetApiVersion,
            targetKind: this.targetKind,
            cluster,
          })
        : undefined;
    const hostNamespaceUid = this.namespaceTarget ? await this.hostNamespaceUid(name) : undefined;
    const pvKey = key;
    if (!this.versions.has(pvKey))
      this.versions.set(pvKey, packVersion(firstPass ? undefined : await this.readVersion(fed)));
    const previousVersion = unpackVersion(this.versions.get(pvKey));
    const plan = planPropagation({
      federated: fed,
      clusters,
      placement,
      render,
      observed,
      ...(previousVersion ? { propagatedVersion: previousVersion } : {}),
      adoptResources: settings.adoptResources,
      ...(hostNamespaceUid ? { hostNamespaceUid } : {}),
    });
    if (plan.mode === 'finished') {
      this.versions.delete(pvKey);
      return done;
    }

    const deleteOptions = deleteOptionsOf(fed);
    if (deleteOptions.kind === 'invalid')
      this.recorder.event(fed, 'Warning', 'DeleteOptionsInvalid', deleteOptions.message);
    const outcomes = await mapBounded(plan.actions, DISPATCH_CONCURRENCY, (action) =>
      this.dispatch(action, {
        namespace,
        name,
        settings,
        retainReplicas: fed.spec?.retainReplicas === true,
        deleteOptions,
        ...(hostNamespaceUid ? { hostNamespaceUid } : {}),
      }),
    );
    for (const e of passEvents(outcomes)) this.recorder.event(fed, e.type, e.reason, e.message);

    if (plan.mode === 'orphan' || plan.mode === 'delete') {
      this.versions.delete(pvKey);
      const pending = deletionPending(outcomes);
      if (pending) {
        // Say what deletion waits for (beyond upstream, which shows nothing until it is done).
        await this.writeStatus(
          fed,
          statusOutcomes(outcomes, []),
          outcomes.some((o) => o.wrote),
          {},
        ).catch((err: unknown) =>
          this.options.log.debug({ err, key, type: this.name }, 'status during deletion not written'),
        );
        if (outcomes.some((o) => o.status === 'WaitingForRemoval'))
          this.recorder.event(
            fed,
            'Normal',
            'WaitForRemovalInCluster',
            'waiting for member copies to be removed',
          );
        return resultOf(pending);
      }
      if (
        plan.mode === 'delete' &&
        !(await this.confirmRemoved(placement.ready, namespace, name, hostNamespaceUid))
      )
        return requeueAfter(REMOVAL_RECHECK_MS);
      return (await this.removeFinalizer(fed)) ? done : requeue;
    }

    // Versions: what this pass wrote or found current.
    const written = writtenVersions(outcomes);
    const nextVersion = nextPropagatedVersion({
      previous: previousVersion,
      templateVersion: plan.templateVersion,
      overridesVersion: plan.overridesVersion,
      placed: placement.clusters,
      written,
    });
    // The PropagatedVersion and the status are independent writes: one round trip instead of two.
    const recordVersion = async () => {
      if (!nextVersion) return;
      // Recorded before the write so that member watch echoes of this pass's writes match it; a
      // failed write forgets it (the next pass reads the PropagatedVersion).
      this.versions.set(pvKey, packVersion(nextVersion));
      try {
        await this.writeVersion(fed, nextVersion, versionWrite(previousVersion, nextVersion) === 'create');
      } catch (err) {
        this.versions.delete(pvKey);
        // Forbidden: typically the namespace is being deleted, taking the PropagatedVersion with it.
        const level = isForbidden(err) ? 'debug' : 'warn';
        this.options.log[level]({ err, key, type: this.name }, 'writing the propagated version failed');
      }
    };
    // Raw status collection: each member copy's `.status`, as written now or as cached.
    const collectRemoteStatus = settings.rawResourceStatusCollection === true && this.statusCollection;
    const remoteStatuses = collectRemoteStatus
      ? new Map(
          outcomes.map((o) => [
            o.cluster,
            o.wrote ? o.remoteStatus : remoteStatusOf(observed.get(o.cluster)),
          ]),
        )
      : undefined;
    await Promise.all([
      recordVersion(),
      this.writeStatus(
        fed,
        statusOutcomes(outcomes, placement.clusters, remoteStatuses),
        outcomes.some((o) => o.wrote),
        {
          ...(placement.reason
            ? {
                aggregateReason: placement.reason,
                aggregateMessage: `namespace ${fed.metadata.namespace} is not federated`,
              }
            : {}),
          collectRemoteStatus,
        },
      ),
    ]);
    return resultOf(nextStep(outcomes));
  }

  private async dispatch(
    action: ClusterAction,
    args: {
      namespace: string | undefined;
      name: string;
      settings: SyncSettings;
      retainReplicas: boolean;
      deleteOptions: ReturnType<typeof deleteOptionsOf>;
      hostNamespaceUid?: string;
    },
  ): Promise<DispatchOutcome> {
    const io = action.kind !== 'skip' && action.kind !== 'none';
    const member = io ? this.memberClient(action.cluster) : undefined;
    return dispatchAction(action, {
      client: member?.kind === 'ok' ? new ResourceClient(member.client, this.targetRef) : undefined,
      ...(member?.kind === 'malformed' ? { clientError: member.error } : {}),
      namespace: args.namespace,
      name: args.name,
      adoptResources: args.settings.adoptResources,
      retainReplicas: args.retainReplicas,
      ...(args.hostNamespaceUid ? { hostNamespaceUid: args.hostNamespaceUid } : {}),
      namespaceTarget: this.namespaceTarget,
      deleteOptions: args.deleteOptions,
      // A timer only for a member request: a pass that finds everything current (every pass of a
      // restart) would otherwise arm and collect one per cluster.
      signal: io ? AbortSignal.timeout(DISPATCH_TIMEOUT_MS) : NEVER_ABORTED,
    });
  }

  /** No federated object: members' managed copies lose the label (they are not deleted). */
  private async unlabelOrphans(
    key: string,
    observed: Map<string, KubeObject | undefined>,
    namespace: string | undefined,
    name: string,
  ): Promise<ReconcileResult> {
    this.versions.delete(key);
    let failed = false;
    for (const [cluster, obj] of observed) {
      if (!obj || obj.metadata.deletionTimestamp || obj.metadata.labels?.[MANAGED_LABEL] !== 'true') continue;
      const member = this.memberClient(cluster);
      if (member.kind !== 'ok') continue;
      try {
        await new ResourceClient(member.client, this.targetRef).patch(
          name,
          'merge',
          removeManagedLabelPatch(obj),
          namespace ? { namespace } : {},
        );
      } catch (err) {
        if (isNotFound(err)) continue;
        failed = true;
        this.options.log.warn({ err, key, cluster, name }, 'removing the managed label failed');
      }
    }
    return failed ? requeue : done;
  }

  /** Live reads prove that no placed Ready cluster still holds a managed copy. */
  private async confirmRemoved(
    clusters: readonly string[],
    namespace: string | undefined,
    name: string,
    hostNamespaceUid: string | undefined,
  ): Promise<boolean> {
    for (const cluster of clusters) {
      const member = this.memberClient(cluster);
      if (member.kind !== 'ok') return false;
      try {
        const obj = await new ResourceClient(member.client, this.targetRef).get(
          name,
          namespace ? { namespace } : {},
        );
        // The host's own namespace holds the FederatedNamespace: it is never waited for (as upstream).
        if (hostNamespaceUid !== undefined && obj.metadata.uid === hostNamespaceUid) continue;
        if (obj.metadata.labels?.[MANAGED_LABEL] === 'true') return false;
      } catch (err) {
        if (!isNotFound(err)) return false;
      }
    }
    return true;
  }

  /** False when the object changed meanwhile (Conflict): look again. */
  private async removeFinalizer(fed: FederatedObject): Promise<boolean> {
    const finalizers = (fed.metadata.finalizers ?? []).filter((f) => f !== SYNC_FINALIZER);
    try {
      await this.federatedClient.patch(
        fed.metadata.name!,
        'merge',
        {
          metadata: {
            finalizers: finalizers.length ? finalizers : null,
            resourceVersion: fed.metadata.resourceVersion,
          },
        },
        fed.metadata.namespace ? { namespace: fed.metadata.namespace } : {},
      );
    } catch (err) {
      if (isConflict(err)) return false;
      if (!isNotFound(err)) throw err;
    }
    return true;
  }

  private async hostNamespaceUid(name: string): Promise<string | undefined> {
    try {
      const ns = await new ResourceClient(this.options.host, NAMESPACES).get(name);
      return ns.metadata.uid;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * Fills {@link versions} from a LIST of the PropagatedVersions shared with the other types'
   * controllers (versions.ts), once, from the start (alongside the informers' lists) and before
   * the first reconcile: after a restart every object would otherwise cost a GET of its own (2,300
   * objects took 22 s at the host's 100 qps). A version of a federated object that is gone is
   * dropped by that key's pass; a failed LIST leaves the per-object GET as the fallback.
   */
  private prime(): Promise<void> {
    this.primed ??= (async () => {
      const namespace =
        this.options.scope === 'Namespaced' && this.federatedRef.namespaced
          ? this.options.kubefedNamespace
          : undefined;
      try {
        const lists = versionListsOf(this.options.host);
        const part = await lists.take(this.versionClient.ref, namespace, this.targetKind);
        for (const [key, packed] of part) if (!this.versions.has(key)) this.versions.set(key, packed);
      } catch (err) {
        this.options.log.warn(
          { err, type: this.name },
          'listing propagated versions failed; reading them one by one',
        );
      }
      this.flushAwaitingPrime();
    })();
    return this.primed;
  }

  private versionName(fed: FederatedObject): string {
    return propagatedVersionName(this.targetKind, fed.metadata.name!);
  }

  private async readVersion(fed: FederatedObject): Promise<PropagatedVersion | undefined> {
    try {
      const pv = await this.versionClient.get(
        this.versionName(fed),
        fed.metadata.namespace ? { namespace: fed.metadata.namespace } : {},
      );
      return pv.status as PropagatedVersion | undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * `absent`: none is known to exist, so create it first (a patch would only find it missing).
   * Our CRD has no status subresource, so the create (or a merge patch) carries the status: one
   * write. Where a PropagatedVersion CRD with the subresource is installed (upstream's), the API
   * server drops the status from such writes; seen once in a response, writes go to /status.
   */
  private async writeVersion(
    fed: FederatedObject,
    status: PropagatedVersion,
    absent: boolean,
  ): Promise<void> {
    const def = this.federatedRef.namespaced
      ? PropagatedVersionDefinition
      : ClusterPropagatedVersionDefinition;
    const ns = fed.metadata.namespace ? { namespace: fed.metadata.namespace } : {};
    const name = this.versionName(fed);
    const patch = async () => {
      if (this.versionStatusSubresource) {
        await this.versionClient.patch(name, 'merge', { status }, { ...ns, subresource: 'status' });
        return;
      }
      const written = await this.versionClient.patch(name, 'merge', { status }, ns);
      if (!sameStatus(written, status)) {
        this.versionStatusSubresource = true;
        await patch();
      }
    };
    if (!absent) {
      try {
        await patch();
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    try {
      const created = await this.versionClient.create({
        apiVersion: `${def.group}/${def.version}`,
        kind: def.kind,
        metadata: {
          name,
          ...ns,
          ownerReferences: [
            {
              apiVersion: fed.apiVersion!,
              kind: fed.kind!,
              name: fed.metadata.name!,
              uid: fed.metadata.uid!,
            },
          ],
        },
        status,
      });
      if (sameStatus(created, status)) return;
      this.versionStatusSubresource = true;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    await patch();
  }

  private async writeStatus(
    fed: FederatedObject,
    clusterOutcomes: ReadonlyMap<string, ClusterOutcome> | Record<string, ClusterOutcome>,
    resourcesUpdated: boolean,
    aggregate: Partial<
      Pick<
        Parameters<typeof computeStatus>[0],
        'aggregateReason' | 'aggregateMessage' | 'collectRemoteStatus'
      >
    >,
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
    await this.federatedClient.patch(
      fed.metadata.name!,
      'merge',
      { status: next },
      { ...(fed.metadata.namespace ? { namespace: fed.metadata.namespace } : {}), subresource: 'status' },
    );
  }
}

/** The API server kept the status written (it drops it where the CRD has a status subresource). */
function sameStatus(obj: KubeObject, status: PropagatedVersion): boolean {
  const got = (obj as { status?: PropagatedVersion }).status;
  return (
    got?.templateVersion === status.templateVersion &&
    got?.overridesVersion === status.overridesVersion &&
    (got?.clusterVersions?.length ?? 0) === (status.clusterVersions?.length ?? 0)
  );
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

/** A member object's `.status` when it is an object (upstream copies it as is). */
function remoteStatusOf(obj: KubeObject | undefined): Record<string, unknown> | undefined {
  const s = (obj as { status?: unknown } | undefined)?.status;
  return s !== null && typeof s === 'object' && !Array.isArray(s)
    ? (s as Record<string, unknown>)
    : undefined;
}

function resultOf(step: NextStep): ReconcileResult {
  return step.kind === 'done' ? done : step.kind === 'backoff' ? requeue : requeueAfter(step.afterMs);
}

function keyOf(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!;
}
