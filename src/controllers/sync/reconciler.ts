/**
 * One propagation pass of one federated object, as named steps:
 *   read state (caches; the recorded version) -> plan (federation/plan.ts `planPass`: finalizer,
 *   placement, one action per cluster) -> dispatch (dispatch.ts) -> record versions and status,
 *   or finish a deletion.
 * The plan owns every decision; this file only executes it. Wiring (informers, events, the cache
 * gate before a pass) is controller.ts.
 */
import type { KubeFedCluster } from '../../api/core.js';
import type { FederatedObject } from '../../api/types.js';
import {
  namespacePlacementOf,
  type ControlPlaneScope,
  type PlacementOk,
} from '../../federation/placement.js';
import { planPass, type ClusterAction, type PropagationPlan } from '../../federation/plan.js';
import { MANAGED_LABEL, renderForCluster } from '../../federation/render.js';
import type { ClusterOutcome } from '../../federation/status.js';
import { nextPropagatedVersion, type PropagatedVersion } from '../../federation/version.js';
import type { ClusterClient } from '../../kube/client.js';
import { done, requeue, requeueAfter, type ReconcileResult } from '../../kube/controller.js';
import { isForbidden, isNotFound } from '../../kube/errors.js';
import type { EventRecorder } from '../../kube/events.js';
import type { Informer } from '../../kube/informer.js';
import type { Logger } from '../../kube/log.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../kube/resource.js';
import type { ManagedCopyInformers, MemberWatch } from '../members/member-watch.js';
import { dispatchAction, mapBounded, removeManagedLabelPatch, type DispatchOutcome } from './dispatch.js';
import { addFinalizer, removeFinalizer, writeStatus, type StatusAggregate } from './federated-writes.js';
import { deleteOptionsOf, isIgnoredNamespace, targetNameOf, type DeleteOptionsOutcome } from './keys.js';
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
import type { MemberWrites } from './member-writes.js';
import { noVersionYet, type PropagatedVersionStore } from './versions.js';

const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
/** Member writes in flight at once per pass. */
const DISPATCH_CONCURRENCY = 8;
/** How long one member request of a pass may take (upstream: 30 s). */
export const MEMBER_REQUEST_TIMEOUT_MS = 30_000;
/** The signal of an action that makes no request. */
const NEVER_ABORTED = new AbortController().signal;

export interface SyncSettings {
  adoptResources: 'Enabled' | 'Disabled';
  availableDelayMs: number;
  unavailableDelayMs: number;
  workers: number;
  /** Feature gate RawResourceStatusCollection: with FTC statusCollection Enabled, members' `.status` goes into `status.clusters[].remoteStatus`. */
  rawResourceStatusCollection?: boolean;
}

/** The target type of a sync controller, as its passes need it. */
export interface SyncTarget {
  ref: ResourceRef;
  apiVersion: string;
  kind: string;
  /** The target is v1 Namespace (FederatedNamespace). */
  namespaceTarget: boolean;
  /** FTC statusCollection Enabled (with the raw gate: remoteStatus is collected). */
  statusCollection: boolean;
}

export interface SyncReconcilerOptions {
  /** The federated type's name, for logs. */
  type: string;
  host: ClusterClient;
  kubefedNamespace: string;
  scope: ControlPlaneScope;
  target: SyncTarget;
  federated: Informer<FederatedObject>;
  /** Namespaced targets: the FederatedNamespaces that limit their placement. */
  fedNamespaces?: Informer<FederatedObject>;
  copies: ManagedCopyInformers;
  members: MemberWatch;
  versions: PropagatedVersionStore;
  /** Member writes that outlived their pass (a slow member never stalls the others). */
  writes: MemberWrites;
  federatedClient: ResourceClient<FederatedObject>;
  recorder: EventRecorder;
  settings: () => SyncSettings;
  log: Logger;
}

/** What a pass read before it plans. */
interface PassState {
  key: string;
  namespace: string | undefined;
  name: string;
  federated: FederatedObject;
  clusters: KubeFedCluster[];
  observed: Map<string, KubeObject | undefined>;
  settings: SyncSettings;
  previous: PropagatedVersion | undefined;
  hostNamespaceUid: string | undefined;
}

export class SyncReconciler {
  constructor(private readonly o: SyncReconcilerOptions) {}

  /** One propagation pass of the federated object `key` over the registered `clusters`. */
  async pass(key: string, clusters: KubeFedCluster[]): Promise<ReconcileResult> {
    const { namespace, name } = targetNameOf(key, this.o.target.namespaceTarget);
    const observed = this.observe(clusters, namespace, name);
    const federated = this.o.federated.store.get(key);
    if (!federated) return this.unlabelOrphans(key, observed, namespace, name);
    if (!this.handles(federated)) return done;
    const state = await this.readState({ key, namespace, name, federated, clusters, observed });

    const decided = planPass({
      federated,
      clusters,
      scope: this.o.scope,
      ...this.namespacePlacement(federated, clusters),
      render: (cluster) => this.render(federated, cluster),
      observed,
      ...(state.previous ? { propagatedVersion: state.previous } : {}),
      adoptResources: state.settings.adoptResources,
      ...(state.hostNamespaceUid ? { hostNamespaceUid: state.hostNamespaceUid } : {}),
    });
    let fed = federated;
    if (decided.ensureFinalizer) {
      const added = await addFinalizer(this.o.federatedClient, fed);
      if (added.kind === 'conflict') return requeue;
      if (added.kind === 'failed') {
        this.o.recorder.event(fed, 'Warning', 'EnsureFinalizerError', added.message);
        return requeue;
      }
      fed = added.federated;
    }
    if (decided.kind === 'placementFailed') {
      this.o.recorder.event(fed, 'Warning', 'ComputePlacementFailed', decided.message);
      await writeStatus(this.o.federatedClient, fed, {}, false, {
        aggregateReason: 'ComputePlacementFailed',
        aggregateMessage: decided.message,
      });
      return done;
    }
    // Upstream drops unknown names silently; say which (deduplicated by the recorder).
    if (decided.unknownClusters.length > 0)
      this.o.recorder.event(
        fed,
        'Warning',
        'UnknownClusters',
        `spec.placement.clusters names clusters that are not joined: ${decided.unknownClusters.join(', ')}; they are left out (kubefedctl get clusters lists the joined ones)`,
      );
    const { plan, placement } = decided;
    if (plan.mode === 'finished') {
      this.o.versions.forget(key);
      this.o.writes.forget(key);
      return done;
    }

    const deleteOptions = deleteOptionsOf(fed);
    if (deleteOptions.kind === 'invalid')
      this.o.recorder.event(fed, 'Warning', 'DeleteOptionsInvalid', deleteOptions.message);
    const outcomes = await this.dispatchAll(plan, state, deleteOptions);
    for (const e of passEvents(outcomes)) this.o.recorder.event(fed, e.type, e.reason, e.message);
    if (plan.mode === 'orphan' || plan.mode === 'delete')
      return this.finishDeletion(fed, plan, placement, outcomes, state);
    return this.recordPass(fed, plan, placement, outcomes, state);
  }

  /** The cached managed copy of the object in each registered cluster. */
  private observe(
    clusters: readonly KubeFedCluster[],
    namespace: string | undefined,
    name: string,
  ): Map<string, KubeObject | undefined> {
    const observed = new Map<string, KubeObject | undefined>();
    for (const c of clusters)
      observed.set(
        c.metadata.name!,
        this.o.copies.cached(c.metadata.name!)?.store.getByName(name, namespace),
      );
    return observed;
  }

  /** FederatedNamespaces: the KubeFed and system namespaces are left alone; the name must be the namespace's. */
  private handles(federated: FederatedObject): boolean {
    if (!this.o.target.namespaceTarget) return true;
    const ns = federated.metadata.namespace ?? '';
    if (isIgnoredNamespace(ns, this.o.kubefedNamespace)) return false;
    if (federated.metadata.name === ns) return true;
    this.o.recorder.event(
      federated,
      'Warning',
      'InvalidName',
      `a FederatedNamespace must be named like its namespace ("${ns}"), not "${federated.metadata.name}"`,
    );
    return false;
  }

  private async readState(
    s: Pick<PassState, 'key' | 'namespace' | 'name' | 'federated' | 'clusters' | 'observed'>,
  ): Promise<PassState> {
    const { federated } = s;
    return {
      ...s,
      settings: this.o.settings(),
      hostNamespaceUid: this.o.target.namespaceTarget ? await this.hostNamespaceUid(s.name) : undefined,
      previous: await this.o.versions.previous(s.key, federated, noVersionYet(federated)),
    };
  }

  /** Namespaced types: placement is limited by the namespace's FederatedNamespace. */
  private namespacePlacement(
    fed: FederatedObject,
    clusters: readonly KubeFedCluster[],
  ): { namespacePlacement?: readonly string[] | 'unfederated' } {
    const ns = fed.metadata.namespace;
    if (!this.o.target.ref.namespaced || !ns) return {};
    return {
      namespacePlacement: namespacePlacementOf(
        this.o.fedNamespaces?.store.getByName(ns, ns),
        clusters,
        this.o.scope,
      ),
    };
  }

  private render(fed: FederatedObject, cluster: string) {
    return renderForCluster({
      federated: fed,
      targetApiVersion: this.o.target.apiVersion,
      targetKind: this.o.target.kind,
      cluster,
    });
  }

  private dispatchAll(
    plan: PropagationPlan,
    state: PassState,
    deleteOptions: DeleteOptionsOutcome,
  ): Promise<DispatchOutcome[]> {
    return this.o.writes.dispatch(
      state.key,
      plan.actions,
      plan,
      DISPATCH_CONCURRENCY,
      (action: ClusterAction) => {
        const io = action.kind !== 'skip' && action.kind !== 'none';
        const member = io ? this.o.members.client(action.cluster) : undefined;
        return dispatchAction(action, {
          client: member?.kind === 'ok' ? new ResourceClient(member.client, this.o.target.ref) : undefined,
          ...(member?.kind === 'malformed' ? { clientError: member.error } : {}),
          namespace: state.namespace,
          name: state.name,
          adoptResources: state.settings.adoptResources,
          retainReplicas: state.federated.spec?.retainReplicas === true,
          ...(state.hostNamespaceUid ? { hostNamespaceUid: state.hostNamespaceUid } : {}),
          namespaceTarget: this.o.target.namespaceTarget,
          deleteOptions,
          // A timer only for a member request: a pass that finds everything current (every pass of
          // a restart) would otherwise arm and collect one per cluster.
          signal: io ? AbortSignal.timeout(MEMBER_REQUEST_TIMEOUT_MS) : NEVER_ABORTED,
        });
      },
    );
  }

  /** Orphan or delete: the finalizer goes once no member copy is left to wait for. */
  private async finishDeletion(
    fed: FederatedObject,
    plan: PropagationPlan,
    placement: PlacementOk,
    outcomes: readonly DispatchOutcome[],
    state: PassState,
  ): Promise<ReconcileResult> {
    this.o.versions.forget(state.key);
    const pending = deletionPending(outcomes);
    if (pending) {
      // Say what deletion waits for (beyond upstream, which shows nothing until it is done).
      await this.writeStatus(
        fed,
        statusOutcomes(outcomes, []),
        outcomes.some((o) => o.wrote),
        {},
      ).catch((err: unknown) =>
        this.o.log.debug({ err, key: state.key, type: this.o.type }, 'status during deletion not written'),
      );
      if (outcomes.some((o) => o.status === 'WaitingForRemoval'))
        this.o.recorder.event(
          fed,
          'Normal',
          'WaitForRemovalInCluster',
          'waiting for member copies to be removed',
        );
      return resultOf(pending);
    }
    if (plan.mode === 'delete' && !(await this.confirmRemoved(placement.ready, state)))
      return requeueAfter(REMOVAL_RECHECK_MS);
    return (await removeFinalizer(this.o.federatedClient, fed)) ? done : requeue;
  }

  /** Propagation: the PropagatedVersion and the status are independent writes, made together. */
  private async recordPass(
    fed: FederatedObject,
    plan: PropagationPlan,
    placement: PlacementOk,
    outcomes: readonly DispatchOutcome[],
    state: PassState,
  ): Promise<ReconcileResult> {
    const next = nextPropagatedVersion({
      previous: state.previous,
      templateVersion: plan.templateVersion,
      overridesVersion: plan.overridesVersion,
      placed: placement.clusters,
      written: writtenVersions(outcomes),
    });
    const recordVersion = async () => {
      if (!next) return;
      try {
        await this.o.versions.record(state.key, fed, next, versionWrite(state.previous, next) === 'create');
      } catch (err) {
        // Forbidden: typically the namespace is being deleted, taking the PropagatedVersion with it.
        const level = isForbidden(err) ? 'debug' : 'warn';
        this.o.log[level](
          { err, key: state.key, type: this.o.type },
          'writing the propagated version failed',
        );
      }
    };
    // Raw status collection: each member copy's `.status`, as written now or as cached.
    const collectRemoteStatus =
      state.settings.rawResourceStatusCollection === true && this.o.target.statusCollection;
    const remoteStatuses = collectRemoteStatus
      ? new Map(
          outcomes.map((o) => [
            o.cluster,
            o.wrote ? o.remoteStatus : remoteStatusOf(state.observed.get(o.cluster)),
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

  private writeStatus(
    fed: FederatedObject,
    clusterOutcomes: ReadonlyMap<string, ClusterOutcome>,
    resourcesUpdated: boolean,
    aggregate: StatusAggregate,
  ): Promise<void> {
    return writeStatus(this.o.federatedClient, fed, clusterOutcomes, resourcesUpdated, aggregate);
  }

  /** No federated object: members' managed copies lose the label (they are not deleted). */
  private async unlabelOrphans(
    key: string,
    observed: Map<string, KubeObject | undefined>,
    namespace: string | undefined,
    name: string,
  ): Promise<ReconcileResult> {
    this.o.versions.forget(key);
    this.o.writes.forget(key);
    // All members at once: a slow one delays this pass by its own answer, not by the sum.
    const failed = await mapBounded([...observed], DISPATCH_CONCURRENCY, async ([cluster, obj]) => {
      if (!obj || obj.metadata.deletionTimestamp || obj.metadata.labels?.[MANAGED_LABEL] !== 'true')
        return false;
      const member = this.o.members.client(cluster);
      if (member.kind !== 'ok') return false;
      try {
        await new ResourceClient(member.client, this.o.target.ref).patch(
          name,
          'merge',
          removeManagedLabelPatch(obj),
          {
            ...(namespace ? { namespace } : {}),
            signal: AbortSignal.timeout(MEMBER_REQUEST_TIMEOUT_MS),
          },
        );
        return false;
      } catch (err) {
        if (isNotFound(err)) return false;
        this.o.log.warn({ err, key, cluster, name }, 'removing the managed label failed');
        return true;
      }
    });
    return failed.includes(true) ? requeue : done;
  }

  /** Live reads prove that no placed Ready cluster still holds a managed copy. */
  private async confirmRemoved(clusters: readonly string[], state: PassState): Promise<boolean> {
    const members = clusters.map((cluster) => this.o.members.client(cluster));
    const clients = members.flatMap((member) => (member.kind === 'ok' ? [member.client] : []));
    if (clients.length < members.length) return false;
    // All members at once: a slow one delays the finalizer by its own answer, not by the sum.
    const removed = await mapBounded(clients, DISPATCH_CONCURRENCY, async (client) => {
      try {
        const obj = await new ResourceClient(client, this.o.target.ref).get(state.name, {
          ...(state.namespace ? { namespace: state.namespace } : {}),
          signal: AbortSignal.timeout(MEMBER_REQUEST_TIMEOUT_MS),
        });
        // The host's own namespace holds the FederatedNamespace: it is never waited for (as upstream).
        if (state.hostNamespaceUid !== undefined && obj.metadata.uid === state.hostNamespaceUid) return true;
        return obj.metadata.labels?.[MANAGED_LABEL] !== 'true';
      } catch (err) {
        return isNotFound(err);
      }
    });
    return removed.every(Boolean);
  }

  private async hostNamespaceUid(name: string): Promise<string | undefined> {
    try {
      return (await new ResourceClient(this.o.host, NAMESPACES).get(name)).metadata.uid;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }
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
