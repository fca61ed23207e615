/**
 * The ReplicaSchedulingPreference (RSP) controller: for each RSP, splits `spec.totalReplicas` of
 * the FederatedDeployment / FederatedReplicaSet of the same namespace and name over the Ready
 * member clusters (the pure planner in scheduling/planner.ts) and writes the split into that
 * object's `spec.placement.clusters` and per-cluster `/spec/replicas` overrides
 * (scheduling/writeback.ts). The sync controller then propagates it like any other edit.
 *
 * Only FederatedTypeConfigs whose target is apps Deployment or ReplicaSet are schedulable, as
 * upstream. reconcile(key) reads caches (RSPs, FTCs, KubeFedClusters, the federated objects, and
 * per Ready member the managed Deployments/ReplicaSets), lists a member's pods only when that
 * member's object is not fully ready (to find pods that cannot be scheduled), plans, writes the
 * federated object when the split changed, and the RSP status when what it says changed.
 *
 * Triggers: the RSP, the federated object of the same key, member objects of the same key
 * (delayed, coalescing bursts), cluster readiness (every RSP, after the KubeFedConfig's
 * available/unavailable delay), FTC changes (every RSP). Pods that cannot be scheduled yet but
 * are younger than the threshold are looked at again when they reach it. A failed write the
 * reconcile has no answer to is thrown to the kit's controller (counted, logged, backed off).
 */
import {
  FederatedTypeConfigDefinition,
  type FederatedTypeConfig,
  type KubeFedCluster,
} from '../../api/core.js';
import { resourceRefOf } from '../../api/index.js';
import {
  ReplicaSchedulingPreferenceDefinition,
  type ReplicaSchedulingPreference,
} from '../../api/scheduling.js';
import type { FederatedObject } from '../../api/types.js';
import { clusterIsReady, computePlacement, type ControlPlaneScope } from '../../federation/placement.js';
import {
  currentReplicaState,
  memberPodSelector,
  podsNeeded,
  UNSCHEDULABLE_THRESHOLD_MS,
  type MemberObservation,
} from '../../scheduling/current.js';
import { planReplicas } from '../../scheduling/planner.js';
import { hasErrors, validateReplicaSchedulingPreference } from '../../scheduling/validate.js';
import { planReplicaWriteback } from '../../scheduling/writeback.js';
import type { ClusterClient } from '../../kube/client.js';
import { Controller, done, requeue, requeueAfter, type ReconcileResult } from '../../kube/controller.js';
import { isConflict, isNotFound } from '../../kube/errors.js';
import { EventRecorder } from '../../kube/events.js';
import type { Informer } from '../../kube/informer.js';
import type { SharedInformers } from '../../kube/informers.js';
import type { Logger } from '../../kube/log.js';
import type { Metrics } from '../../kube/metrics.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../kube/resource.js';
import { objectKey, splitKey } from '../../kube/store.js';
import type { MemberClients } from '../members/member-clients.js';
import { MemberWatch } from '../members/member-watch.js';
import { NAMESPACES_FTC } from '../typeconfig/state.js';
import { SchedulableTypes, type SchedulableType } from './schedulable-types.js';
import { rspStatusOf, rspStatusChanged, type RspProblem, type RspStatus } from './status.js';

const PODS: ResourceRef = { group: '', version: 'v1', resource: 'pods', namespaced: true };
/** How long listing a member's pods may take. */
const POD_LIST_TIMEOUT_MS = 10_000;

export interface SchedulingSettings {
  availableDelayMs: number;
  unavailableDelayMs: number;
}

export interface SchedulingControllerOptions {
  host: ClusterClient;
  /** Client for Events (default: host); one with its own rate limiter keeps them from delaying reconciles. */
  events?: ClusterClient;
  kubefedNamespace: string;
  scope: ControlPlaneScope;
  informers: SharedInformers;
  members: MemberClients;
  settings: () => SchedulingSettings;
  /** Pods unschedulable for longer than this count against a cluster's capacity (upstream: 60 s). */
  unschedulableThresholdMs?: number;
  metrics: Metrics;
  log: Logger;
}

type TargetLookup =
  | { kind: 'found'; entry: SchedulableType; fed: FederatedObject }
  | { kind: 'waiting' }
  | { kind: 'refused'; problem: RspProblem };

/** The Ready member clusters, and the names of those an RSP schedules on. */
interface SchedulingClusters {
  kind: 'ok';
  ready: KubeFedCluster[];
  available: string[];
}

export class SchedulingController {
  readonly controller: Controller;
  private readonly rsps: Informer<ReplicaSchedulingPreference>;
  private readonly ftcs: Informer<FederatedTypeConfig>;
  private readonly clusters: Informer<KubeFedCluster>;
  private readonly secrets: Informer;
  private readonly rspClient: ResourceClient<ReplicaSchedulingPreference>;
  private readonly recorder: EventRecorder;
  private readonly types: SchedulableTypes;
  private readonly memberWatch: MemberWatch;
  private readonly thresholdMs: number;

  constructor(private readonly options: SchedulingControllerOptions) {
    const { host, informers, kubefedNamespace, scope } = options;
    this.thresholdMs = options.unschedulableThresholdMs ?? UNSCHEDULABLE_THRESHOLD_MS;
    const planeNamespace = scope === 'Namespaced' ? { namespace: kubefedNamespace } : {};
    this.rsps = informers.get<ReplicaSchedulingPreference>(
      host,
      resourceRefOf(ReplicaSchedulingPreferenceDefinition),
      planeNamespace,
    );
    this.ftcs = informers.get<FederatedTypeConfig>(host, resourceRefOf(FederatedTypeConfigDefinition), {
      namespace: kubefedNamespace,
    });
    this.memberWatch = MemberWatch.of({ host, informers, kubefedNamespace, members: options.members });
    this.clusters = this.memberWatch.clusters;
    this.secrets = this.memberWatch.secrets;
    this.rspClient = new ResourceClient(host, resourceRefOf(ReplicaSchedulingPreferenceDefinition));
    this.recorder = new EventRecorder({
      client: options.events ?? host,
      component: 'replicaschedulingpreference-controller',
      log: options.log,
    });
    this.controller = new Controller({
      name: 'replicaschedulingpreference',
      workers: 2,
      reconcile: (key) => this.reconcile(key),
      backoff: { baseMs: 1_000, maxMs: 60_000 },
      metrics: options.metrics,
      log: options.log,
    });
    this.types = new SchedulableTypes({
      host,
      kubefedNamespace,
      scope,
      informers,
      memberWatch: this.memberWatch,
      ftcs: this.ftcs,
      controller: this.controller,
    });

    this.controller.watch(this.rsps);
    this.controller.watch(this.ftcs, {
      onAdd: () => this.typesChanged(),
      onUpdate: () => this.typesChanged(),
      onDelete: () => this.typesChanged(),
    });
    this.controller.watch(this.clusters, {
      onAdd: (c) => this.clusterChanged(c),
      onUpdate: (_a, c) => this.clusterChanged(c),
      onDelete: (c) => this.clusterChanged(c, true),
    });
  }

  async stop(): Promise<void> {
    await this.recorder.flush().catch(() => undefined);
  }

  private enqueueAllAfter(ms: number): void {
    for (const r of this.rsps.store.list()) this.controller.enqueueAfter(objectKey(r), ms);
  }

  /** FTCs decide which federated kinds are schedulable: follow them, then look at every RSP again. */
  private typesChanged(): void {
    this.types.update();
    this.enqueueAllAfter(0);
  }

  private clusterChanged(cluster: KubeFedCluster, deleted = false): void {
    const change = this.memberWatch.observe(cluster, deleted);
    if (!change) return;
    const { availableDelayMs, unavailableDelayMs } = this.options.settings();
    this.enqueueAllAfter(!deleted && clusterIsReady(cluster) ? availableDelayMs : unavailableDelayMs);
  }

  private memberClient(cluster: KubeFedCluster): ClusterClient | undefined {
    const m = this.memberWatch.client(cluster.metadata.name!);
    return m.kind === 'ok' ? m.client : undefined;
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    const caches = [this.rsps, this.ftcs, this.clusters, this.secrets];
    if (!caches.every((i) => i.hasSynced())) return requeueAfter(500);
    const rsp = this.rsps.store.get(key);
    if (!rsp || rsp.metadata.deletionTimestamp) return done; // deleting an RSP leaves its last split in place, as upstream
    const problems = validateReplicaSchedulingPreference(rsp.spec);
    if (hasErrors(problems))
      return this.refuse(rsp, {
        reason: 'InvalidPreference',
        problems: problems.filter((p) => p.severity === 'error'),
      });

    const target = this.targetOf(rsp, key);
    if (target.kind === 'refused') return this.refuse(rsp, target.problem);
    if (target.kind === 'waiting') return requeueAfter(500);
    const clusters = this.schedulingClusters(rsp, target.fed, key);
    if (clusters.kind === 'refused') return this.refuse(rsp, clusters.problem);
    const workloads = await this.observeWorkloads(target.entry, clusters, key);
    if (!workloads) return requeueAfter(500);
    const now = new Date();
    const current = currentReplicaState(workloads, now, this.thresholdMs);

    const plan = planReplicas({
      key,
      totalReplicas: rsp.spec.totalReplicas,
      rebalance: rsp.spec.rebalance,
      preferences: rsp.spec.clusters,
      availableClusters: clusters.available,
      currentReplicas: current.currentReplicas,
      estimatedCapacity: current.estimatedCapacity,
    });
    const refused = await this.writeSplit(rsp, target, plan, key);
    if (refused) return refused;
    if ((await this.writeStatus(rsp, rspStatusOf({ rsp, plan, current, now }))) === 'conflict')
      return requeue;
    return current.recheckAfterMs !== undefined ? requeueAfter(current.recheckAfterMs) : done;
  }

  /** The enabled type and federated object an RSP schedules, or why there is none (yet). */
  private targetOf(rsp: ReplicaSchedulingPreference, key: string): TargetLookup {
    const entry = this.types.get(rsp.spec.targetKind);
    if (!entry) {
      const target = rsp.spec.targetKind === 'FederatedDeployment' ? 'deployments.apps' : 'replicasets.apps';
      return {
        kind: 'refused',
        problem: {
          reason: 'TargetTypeNotEnabled',
          message: `no enabled FederatedTypeConfig federates ${target} as ${rsp.spec.targetKind} (with the "${NAMESPACES_FTC}" FTC); run kubefedctl enable ${target}`,
        },
      };
    }
    if (!entry.federated.hasSynced()) return { kind: 'waiting' };
    const fed = entry.federated.store.get(key);
    if (!fed || fed.metadata.deletionTimestamp)
      return {
        kind: 'refused',
        problem: {
          reason: 'TargetNotFound',
          message: `${rsp.spec.targetKind} ${key} does not exist; create it with the same namespace and name as this preference`,
        },
      };
    return { kind: 'found', entry, fed };
  }

  /** The Ready clusters, and those of them to schedule on (narrowed by the target's clusterSelector). */
  private schedulingClusters(
    rsp: ReplicaSchedulingPreference,
    fed: FederatedObject,
    key: string,
  ): SchedulingClusters | { kind: 'refused'; problem: RspProblem } {
    const ready = this.clusters.store.list().filter(clusterIsReady);
    let available = ready.map((c) => c.metadata.name!);
    if (rsp.spec.intersectWithClusterSelector) {
      const placement = computePlacement({
        placement: { clusterSelector: fed.spec?.placement?.clusterSelector },
        clusters: ready,
        scope: this.options.scope,
        path: `${rsp.spec.targetKind} spec.placement`,
      });
      if (placement.kind === 'failed')
        return { kind: 'refused', problem: { reason: 'InvalidClusterSelector', message: placement.message } };
      available = placement.clusters;
    }
    if (available.length === 0)
      return {
        kind: 'refused',
        problem: {
          reason: 'NoClusters',
          message: rsp.spec.intersectWithClusterSelector
            ? `no Ready cluster matches the clusterSelector of ${rsp.spec.targetKind} ${key}`
            : 'no member cluster is Ready',
        },
      };
    return { kind: 'ok', ready, available };
  }

  /** What runs where now, per available cluster; undefined while a member's cache is not synced. */
  private async observeWorkloads(
    entry: SchedulableType,
    { ready, available }: SchedulingClusters,
    key: string,
  ): Promise<Map<string, MemberObservation> | undefined> {
    const { namespace = '', name } = splitKey(key);
    const workloads = new Map<string, MemberObservation>();
    for (const cluster of ready) {
      if (!available.includes(cluster.metadata.name!)) continue;
      const informer = entry.copies.get(cluster.metadata.name!);
      if (!informer) continue;
      if (!informer.hasSynced()) return undefined;
      const object = informer.store.getByName(name, namespace);
      if (!object) continue;
      workloads.set(cluster.metadata.name!, {
        object,
        pods: podsNeeded(object) ? await this.listPods(cluster, namespace, object) : undefined,
      });
    }
    return workloads;
  }

  /**
   * Writes the planned split into the federated object when it changed. Returns the result to end
   * the reconcile with (refused overrides, or a conflict to look again at), or undefined to go on.
   */
  private async writeSplit(
    rsp: ReplicaSchedulingPreference,
    { entry, fed }: { entry: SchedulableType; fed: FederatedObject },
    plan: ReturnType<typeof planReplicas>,
    key: string,
  ): Promise<ReconcileResult | undefined> {
    // Clusters without a preference take no part: upstream leaves them out of the placement.
    const scheduled = new Map(
      plan.clusters.filter((c) => c.preference.source !== 'none').map((c) => [c.cluster, c.replicas]),
    );
    const writeback = planReplicaWriteback(fed.spec, scheduled);
    if (writeback.kind === 'invalidOverrides')
      return this.refuse(rsp, {
        reason: 'InvalidTargetOverrides',
        message: `${rsp.spec.targetKind} ${key} ${writeback.field}: ${writeback.message}`,
      });
    if (writeback.kind !== 'update') return undefined;
    try {
      await new ResourceClient<FederatedObject>(this.options.host, entry.target.federatedRef).update({
        ...fed,
        spec: { ...fed.spec, placement: writeback.placement, overrides: writeback.overrides },
      });
    } catch (err) {
      if (isConflict(err) || isNotFound(err)) return requeue;
      this.recorder.event(
        rsp,
        'Warning',
        'UpdateFailed',
        `updating ${rsp.spec.targetKind} ${key}: ${(err as Error).message}`,
      );
      throw err;
    }
    this.recorder.event(
      rsp,
      'Normal',
      'Scheduled',
      `${rsp.spec.targetKind} ${key}: ${[...scheduled].map(([c, n]) => `${c}=${n}`).join(', ')}`,
    );
    return undefined;
  }

  /** Lists the member's pods of a workload (its selector's matchLabels, as upstream). */
  private async listPods(
    cluster: KubeFedCluster,
    namespace: string,
    workload: KubeObject,
  ): Promise<KubeObject[]> {
    const client = this.memberClient(cluster);
    const matchLabels = memberPodSelector(workload);
    if (!client || !matchLabels || Object.keys(matchLabels).length === 0) return [];
    const labelSelector = Object.entries(matchLabels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const signal = AbortSignal.timeout(POD_LIST_TIMEOUT_MS);
    const list = await new ResourceClient(client, PODS).list({ namespace, labelSelector, signal });
    return list.items;
  }

  private async refuse(rsp: ReplicaSchedulingPreference, problem: RspProblem): Promise<ReconcileResult> {
    const status = rspStatusOf({ rsp, problem, now: new Date() });
    const written = await this.writeStatus(rsp, status);
    if (written === 'conflict') return requeue;
    if (written === 'written') {
      const message =
        problem.reason === 'InvalidPreference'
          ? problem.problems.map((p) => `${p.field}: ${p.message}`).join('; ')
          : problem.message;
      this.recorder.event(rsp, 'Warning', problem.reason, message);
    }
    return done;
  }

  /**
   * Writes the status when what it says changed. A conflict means the cached RSP is older than the
   * stored one (often our own previous status write): the caller looks again.
   */
  private async writeStatus(
    rsp: ReplicaSchedulingPreference,
    status: RspStatus,
  ): Promise<'unchanged' | 'written' | 'conflict'> {
    if (!rspStatusChanged(rsp.status, status)) return 'unchanged';
    try {
      await this.rspClient.updateStatus({ ...rsp, status: status as unknown as Record<string, unknown> });
    } catch (err) {
      if (isConflict(err)) return 'conflict';
      if (isNotFound(err)) return 'unchanged';
      throw err;
    }
    return 'written';
  }
}
