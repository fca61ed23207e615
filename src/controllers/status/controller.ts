/**
 * The status controller of one federated type (one per FederatedTypeConfig with
 * `statusCollection: Enabled`, started and stopped next to its sync controller). From the members'
 * managed copies it keeps two things current, each written only when it changed:
 * - the federated object's `status.aggregate` (per placed cluster: exists/healthy and, for
 *   workloads, desired/ready/updated/available replicas; totals; `ready` = healthy/placed clusters);
 * - the `Federated<Kind>Status` object (upstream's FederatedServiceStatus shape, any kind): same
 *   name and namespace, owned by the federated object, `clusterStatus` listing every Ready cluster
 *   with its copy's `.status`. Skipped (with a warning naming the fix) while its type is not served.
 *
 * Informers are the shared ones the sync controller uses: the federated objects, KubeFedClusters
 * and their Secrets, FederatedNamespaces, and per Ready member the target type labelled
 * `kubefed.io/managed=true`. A member event reconciles its federated object at once. The host
 * watches are the kit controller's (removed when it stops); a failed write is thrown to it
 * (counted, logged, backed off).
 */
import type { FederatedTypeConfig, KubeFedCluster } from '../../api/core.js';
import type { FederatedObject } from '../../api/types.js';
import {
  aggregate,
  aggregateChanged,
  statusObject,
  statusObjectChanged,
  statusObjectContent,
  type Aggregate,
  type StatusObjectContent,
} from '../../federation/aggregate.js';
import {
  clusterIsReady,
  computePlacement,
  namespacePlacementOf,
  type ControlPlaneScope,
} from '../../federation/placement.js';
import type { ClusterClient } from '../../kube/client.js';
import { Controller, done, requeue, requeueAfter, type ReconcileResult } from '../../kube/controller.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../kube/errors.js';
import { UnlistedKeys, type Informer } from '../../kube/informer.js';
import type { SharedInformers } from '../../kube/informers.js';
import type { Logger } from '../../kube/log.js';
import type { Metrics } from '../../kube/metrics.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../kube/resource.js';
import { objectKey } from '../../kube/store.js';
import type { MemberClients } from '../members/member-clients.js';
import { managedCopySelection, MemberWatch, type ManagedCopyInformers } from '../members/member-watch.js';
import { federatedKeyOf, isIgnoredNamespace, targetNameOf } from '../sync/keys.js';
import { statusTypeOf, type StatusType } from './status-type.js';
import { refOf, typeResources } from '../../federation/typeconfig.js';

/** How often a status type that is not served is looked up again. */
const SERVED_RECHECK_MS = 30_000;

type StatusObject = KubeObject & Partial<StatusObjectContent>;
type FederatedWithAggregate = FederatedObject & { status?: { aggregate?: unknown } };

export interface StatusControllerOptions {
  host: ClusterClient;
  kubefedNamespace: string;
  scope: ControlPlaneScope;
  typeConfig: FederatedTypeConfig;
  /** The federated type of the `namespaces` FTC (FederatedNamespace), for namespaced targets. */
  namespaceFederatedType?: FederatedTypeConfig['spec']['federatedType'];
  informers: SharedInformers;
  members: MemberClients;
  workers: number;
  metrics: Metrics;
  log: Logger;
}

export class StatusController {
  readonly controller: Controller;
  readonly name: string;
  private readonly targetRef: ResourceRef;
  private readonly targetKind: string;
  private readonly namespaceTarget: boolean;
  private readonly statusType: StatusType;
  private readonly federated: Informer<FederatedWithAggregate>;
  private readonly fedNamespaces?: Informer<FederatedObject>;
  private readonly clusters: Informer<KubeFedCluster>;
  private readonly secrets: Informer;
  private readonly federatedClient: ResourceClient<FederatedObject>;
  private readonly statusClient: ResourceClient<StatusObject>;
  private readonly memberWatch: MemberWatch;
  private readonly copies: ManagedCopyInformers;
  private statusObjects?: Informer<StatusObject>;
  /** When the status type was last found not served (0: served or not checked yet). */
  private statusTypeMissingSince = 0;
  private lastServedCheck = 0;
  /** False once the federated CRD was seen to drop `status.aggregate` (it predates the field). */
  private aggregateAccepted = true;
  private unlisted?: UnlistedKeys;

  constructor(private readonly options: StatusControllerOptions) {
    const { typeConfig, informers, host, kubefedNamespace, scope } = options;
    const types = typeResources(typeConfig);
    this.targetKind = types.targetKind;
    this.targetRef = types.target;
    const federatedRef = types.federated;
    this.namespaceTarget = types.targetApiVersion === 'v1' && types.targetKind === 'Namespace';
    this.name = `${types.federatedKind.toLowerCase()}-status`;
    this.statusType = statusTypeOf(typeConfig.spec);
    const planeNamespace = scope === 'Namespaced' ? { namespace: kubefedNamespace } : {};

    this.federated = informers.get<FederatedWithAggregate>(host, federatedRef, planeNamespace);
    this.memberWatch = MemberWatch.of({ host, informers, kubefedNamespace, members: options.members });
    this.clusters = this.memberWatch.clusters;
    this.secrets = this.memberWatch.secrets;
    const nsType = options.namespaceFederatedType;
    if (this.targetRef.namespaced && nsType) {
      this.fedNamespaces = informers.get<FederatedObject>(host, refOf(nsType), planeNamespace);
    }
    this.federatedClient = new ResourceClient<FederatedObject>(host, federatedRef);
    this.statusClient = new ResourceClient<StatusObject>(host, this.statusType.ref);

    this.copies = this.memberWatch.copies(
      informers,
      this.targetRef,
      managedCopySelection(scope, kubefedNamespace, this.targetRef),
      (o) => this.controller.enqueue(federatedKeyOf(o, this.namespaceTarget)),
    );
    this.controller = new Controller({
      name: this.name,
      workers: options.workers,
      reconcile: (key) => this.reconcile(key),
      backoff: { baseMs: 1_000, maxMs: 60_000 },
      metrics: options.metrics,
      log: options.log,
    });
    this.controller.watch(this.federated);
    if (this.fedNamespaces)
      this.controller.watch(this.fedNamespaces, {
        onAdd: (o) => this.enqueueNamespace(o),
        onUpdate: (_a, b) => this.enqueueNamespace(b),
        onDelete: (o) => this.enqueueNamespace(o),
      });
    this.controller.watch(this.clusters, {
      onAdd: (c) => this.clusterChanged(c),
      onUpdate: (_a, c) => this.clusterChanged(c),
      onDelete: (c) => this.clusterChanged(c, true),
    });
  }

  start(): void {
    this.controller.start();
  }

  /** Stops the controller, which removes its handlers from the shared informers. */
  async stop(): Promise<void> {
    this.copies.stop();
    await this.controller.stop({ graceMs: 5_000 });
  }

  private enqueueAll(): void {
    for (const o of this.federated.store.list()) this.controller.enqueue(objectKey(o));
  }

  private enqueueNamespace(fns: FederatedObject): void {
    const ns = fns.metadata.namespace;
    if (!ns) return;
    for (const o of this.federated.store.list())
      if (o.metadata.namespace === ns) this.controller.enqueue(objectKey(o));
  }

  /** A cluster that turns Ready or not, joins or leaves changes every object's view. */
  private clusterChanged(cluster: KubeFedCluster, deleted = false): void {
    if (this.memberWatch.observe(cluster, deleted)) this.enqueueAll();
  }

  /** The shared informer of managed copies in a Ready member (re-subscribed when its client was rebuilt). */
  private memberInformer(name: string): Informer | undefined {
    return this.copies.get(name);
  }

  /** The informer of status objects, once their type is served (looked up again every 30 s). */
  private async statusObjectInformer(): Promise<Informer<StatusObject> | undefined> {
    if (this.statusObjects) return this.statusObjects;
    const now = Date.now();
    if (this.lastServedCheck && now - this.lastServedCheck < SERVED_RECHECK_MS) return undefined;
    this.lastServedCheck = now;
    if (!(await this.statusTypeServed())) {
      if (!this.statusTypeMissingSince) {
        this.statusTypeMissingSince = now;
        const { ref, kind } = this.statusType;
        this.options.log.warn(
          { type: this.options.typeConfig.metadata.name },
          `FederatedTypeConfig ${this.options.typeConfig.metadata.name} collects status into ${kind} (${ref.resource}.${ref.group}/${ref.version}), which the host does not serve: install its CRD or set spec.statusType to a served type; meanwhile only status.aggregate is written`,
        );
      }
      return undefined;
    }
    this.statusTypeMissingSince = 0;
    const informer = this.options.informers.get<StatusObject>(
      this.options.host,
      this.statusType.ref,
      this.options.scope === 'Namespaced' ? { namespace: this.options.kubefedNamespace } : {},
    );
    // Someone else changing or deleting a status object: put it back.
    const changed = (o: StatusObject) => this.controller.enqueue(objectKey(o));
    this.controller.watch(informer, { onUpdate: (_a, b) => changed(b), onDelete: changed });
    this.statusObjects = informer;
    return informer;
  }

  private async statusTypeServed(): Promise<boolean> {
    const { ref } = this.statusType;
    const path = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
    try {
      const list = await this.options.host.request<{ resources?: { name: string }[] }>({
        method: 'GET',
        path,
        verb: 'discovery',
        timeoutMs: 10_000,
      });
      return (list.resources ?? []).some((r) => r.name === ref.resource);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /** A key waits for the federated objects' initial list to end, then is queued again. */
  private parkUntilListed(key: string): ReconcileResult {
    // After stop() the queue ignores the keys handed back.
    this.unlisted ??= new UnlistedKeys(this.federated, (k) => this.controller.enqueue(k));
    this.unlisted.add(key);
    return done;
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    // The federated objects' initial list arrives page by page: wait for its end without a
    // requeue every 500 ms per key (at a restart over many objects, that was a storm).
    if (!this.federated.hasSynced()) return this.parkUntilListed(key);
    if (!this.clusters.hasSynced() || !this.secrets.hasSynced()) return requeueAfter(500);
    if (this.fedNamespaces && !this.fedNamespaces.hasSynced()) return requeueAfter(500);
    const fed = this.federated.store.get(key);
    // Gone or going: its status object goes with it (owner reference).
    if (!fed || fed.metadata.deletionTimestamp) return done;
    if (
      this.namespaceTarget &&
      isIgnoredNamespace(fed.metadata.namespace ?? '', this.options.kubefedNamespace)
    )
      return done;

    const clusters = this.clusters.store.list();
    const readyNames = clusters.filter(clusterIsReady).map((c) => c.metadata.name!);
    const { namespace, name } = targetNameOf(key, this.namespaceTarget);
    const members = new Map<string, KubeObject | undefined>();
    for (const cluster of readyNames) {
      const informer = this.memberInformer(cluster);
      if (informer && !informer.hasSynced()) return requeueAfter(500);
      members.set(cluster, informer?.store.getByName(name, namespace));
    }

    const ns = fed.metadata.namespace;
    const namespacePlacement =
      this.fedNamespaces && ns
        ? namespacePlacementOf(this.fedNamespaces.store.getByName(ns, ns), clusters, this.options.scope)
        : undefined;
    const placement = computePlacement({
      placement: fed.spec?.placement,
      clusters,
      scope: this.options.scope,
      ...(namespacePlacement !== undefined ? { namespacePlacement } : {}),
    });
    const placed = placement.kind === 'ok' ? placement.clusters : [];

    let result: ReconcileResult = done;
    if (this.aggregateAccepted) {
      const next = aggregate({ kind: this.targetKind, placed, members });
      if (aggregateChanged(fed.status?.aggregate, next)) await this.writeAggregate(fed, next);
    }
    const statusObjects = await this.statusObjectInformer();
    if (statusObjects) {
      if (!statusObjects.hasSynced()) return requeueAfter(500);
      const content = statusObjectContent(readyNames, members);
      const existing = statusObjects.store.get(key);
      if (statusObjectChanged(existing, content, fed.metadata.uid!)) {
        const written = await this.writeStatusObject(fed, existing, content);
        if (!written) result = requeue;
      }
    } else if (this.statusTypeMissingSince) {
      result = requeueAfter(SERVED_RECHECK_MS);
    }
    return result;
  }

  private async writeAggregate(fed: FederatedObject, next: Aggregate): Promise<void> {
    const ns = fed.metadata.namespace ? { namespace: fed.metadata.namespace } : {};
    // Merge patch of status.aggregate only: the sync controller's fields are left alone.
    const written = (await this.federatedClient.patch(
      fed.metadata.name!,
      'merge',
      { status: { aggregate: next } },
      { ...ns, subresource: 'status' },
    )) as FederatedWithAggregate;
    if (written.status?.aggregate === undefined) {
      // The CRD prunes the field: writing again would change nothing. Say so once and stop.
      this.aggregateAccepted = false;
      this.options.log.warn(
        { type: this.name },
        `the ${fed.kind} CRD has no status.aggregate field, so the aggregated status cannot be stored: update the CRDs of the federated types (kubectl apply --server-side -f charts/kubefed/crds)`,
      );
    }
  }

  /** Creates or updates the status object; false when it changed meanwhile (look again). */
  private async writeStatusObject(
    fed: FederatedObject,
    existing: StatusObject | undefined,
    content: StatusObjectContent,
  ): Promise<boolean> {
    const desired = statusObject(
      { apiVersion: this.statusType.apiVersion, kind: this.statusType.kind },
      fed,
      content,
    );
    const ns = fed.metadata.namespace ? { namespace: fed.metadata.namespace } : {};
    try {
      if (!existing) await this.statusClient.create(desired, ns);
      else
        await this.statusClient.update(
          {
            ...existing,
            ...content,
            metadata: {
              ...existing.metadata,
              ownerReferences: [
                ...(existing.metadata.ownerReferences ?? []).filter(
                  (r) => !(r.kind === fed.kind && r.name === fed.metadata.name),
                ),
                ...desired.metadata.ownerReferences!,
              ],
            },
          },
          ns,
        );
      return true;
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) return false;
      throw err;
    }
  }
}
