/**
 * The FederatedTypeConfig controller (1 worker, as upstream): runs one sync controller per FTC in
 * the kubefed namespace whose propagation is Enabled, stops it when Disabled or deleted, restarts it
 * when the spec (generation) changes, and records observedGeneration and propagationController.
 * Live: no process restart. Namespaced targets need the `namespaces` FTC; in a Namespaced plane
 * cluster-scoped targets never run.
 */
import { FederatedTypeConfigDefinition, type FederatedTypeConfig } from '../../api/core.js';
import { resourceRefOf } from '../../api/index.js';
import type { ControlPlaneScope } from '../../federation/placement.js';
import { typeResources } from '../../federation/typeconfig.js';
import type { ClusterClient } from '../../kube/client.js';
import { Controller, done, requeue, requeueAfter, type ReconcileResult } from '../../kube/controller.js';
import { EventRecorder } from '../../kube/events.js';
import { isNotFound } from '../../kube/errors.js';
import type { Informer } from '../../kube/informer.js';
import type { SharedInformers } from '../../kube/informers.js';
import type { Logger } from '../../kube/log.js';
import type { Metrics } from '../../kube/metrics.js';
import { ResourceClient, type ResourceRef } from '../../kube/resource.js';
import type { MemberClients } from '../members/member-clients.js';
import { StatusController } from '../status/controller.js';
import { statusCollectionEnabled } from '../status/status-type.js';
import { SyncController, type SyncSettings } from '../sync/controller.js';
import { desiredTypeConfigState, FTC_FINALIZER, NAMESPACES_FTC } from './state.js';

/** How often an FTC whose type is not served is looked at again. */
const MISSING_TYPE_RECHECK_MS = 15_000;

export interface TypeConfigControllerOptions {
  host: ClusterClient;
  /** Client for Events (default: host); one with its own rate limiter keeps them from delaying reconciles. */
  events?: ClusterClient;
  namespace: string;
  scope: ControlPlaneScope;
  informers: SharedInformers;
  members: MemberClients;
  syncSettings: () => SyncSettings;
  /** Workers of each status controller (KubeFedConfig statusController.maxConcurrentReconciles; default 1). */
  statusWorkers?: () => number;
  metrics: Metrics;
  log: Logger;
}

interface Running {
  generation: number;
  sync: SyncController;
  /** Runs next to the sync controller when the FTC has statusCollection Enabled. */
  status?: StatusController;
}

export class TypeConfigController {
  readonly controller: Controller;
  private readonly ftcs: Informer<FederatedTypeConfig>;
  private readonly client: ResourceClient<FederatedTypeConfig>;
  private readonly running = new Map<string, Running>();
  private readonly recorder: EventRecorder;

  constructor(private readonly options: TypeConfigControllerOptions) {
    this.recorder = new EventRecorder({
      client: options.events ?? options.host,
      component: 'federatedtypeconfig-controller',
      log: options.log,
    });
    const ref = resourceRefOf(FederatedTypeConfigDefinition);
    this.ftcs = options.informers.get<FederatedTypeConfig>(options.host, ref, {
      namespace: options.namespace,
    });
    this.client = new ResourceClient<FederatedTypeConfig>(options.host, ref);
    this.controller = new Controller({
      name: 'federatedtypeconfig',
      workers: 1,
      reconcile: (key) => this.reconcile(key),
      backoff: { baseMs: 1_000, maxMs: 60_000 },
      metrics: options.metrics,
      log: options.log,
    });
    this.controller.watch(this.ftcs, (o) => o.metadata.name);
  }

  /** Names of the FTCs whose sync controller runs. */
  runningTypes(): string[] {
    return [...this.running.keys()].sort();
  }

  /** Every running sync controller looks at all its objects again (a setting they depend on changed). */
  resyncAll(): void {
    for (const r of this.running.values()) r.sync.resync();
  }

  async stopAll(): Promise<void> {
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((r) => Promise.all([r.sync.stop(), r.status?.stop()])));
  }

  private enqueueOthers(): void {
    for (const f of this.ftcs.store.list())
      if (f.metadata.name !== NAMESPACES_FTC) this.controller.enqueue(f.metadata.name!);
  }

  private async stopSync(name: string): Promise<void> {
    const r = this.running.get(name);
    if (!r) return;
    this.running.delete(name);
    this.options.log.info({ type: name }, 'stopping sync controller');
    await Promise.all([r.sync.stop(), r.status?.stop()]);
  }

  private async reconcile(name: string): Promise<ReconcileResult> {
    const ns = this.options.namespace;
    const ftc = this.ftcs.store.getByName(name, ns);
    if (!ftc) {
      await this.stopSync(name);
      if (name === NAMESPACES_FTC) this.enqueueOthers();
      return done;
    }
    const namespacesFtc = this.ftcs.store.getByName(NAMESPACES_FTC, ns);
    const state = desiredTypeConfigState({
      ftc,
      scope: this.options.scope,
      namespacesFtcPresent: !!namespacesFtc && !namespacesFtc.metadata.deletionTimestamp,
    });
    try {
      if (state.action === 'finalize') {
        await this.stopSync(name);
        if (name === NAMESPACES_FTC) this.enqueueOthers();
        await this.patchFinalizers(
          ftc,
          (ftc.metadata.finalizers ?? []).filter((f) => f !== FTC_FINALIZER),
        );
        return done;
      }
      if (state.addFinalizer) {
        await this.patchFinalizers(ftc, [...(ftc.metadata.finalizers ?? []), FTC_FINALIZER]);
        if (name === NAMESPACES_FTC) this.enqueueOthers();
      }
      const generation = ftc.metadata.generation ?? 0;
      const current = this.running.get(name);
      if (current && (!state.run || current.generation !== generation)) await this.stopSync(name);
      // A type the host does not serve cannot be watched: say so instead of reporting Running.
      const missing = state.run && !this.running.has(name) ? await this.missingType(ftc) : undefined;
      if (missing) {
        this.recorder.event(ftc, 'Warning', missing.reason, missing.message);
        await this.writeStatus(ftc, generation, false);
        return requeueAfter(MISSING_TYPE_RECHECK_MS);
      }
      if (state.run && !this.running.has(name)) this.startSync(ftc, namespacesFtc, generation);
      await this.writeStatus(ftc, generation, state.run);
    } catch (err) {
      // Gone meanwhile (the cache lags our own finalizer removal): its deletion event follows.
      if (isNotFound(err)) return done;
      this.options.log.error({ err, type: name }, 'reconciling the FederatedTypeConfig failed');
      return requeue;
    }
    return done;
  }

  /** Sets the FTC's finalizers (none: null), guarded by the resourceVersion it was read at. */
  private async patchFinalizers(ftc: FederatedTypeConfig, finalizers: string[]): Promise<void> {
    await this.client.patch(
      ftc.metadata.name!,
      'merge',
      {
        metadata: {
          finalizers: finalizers.length ? finalizers : null,
          resourceVersion: ftc.metadata.resourceVersion,
        },
      },
      { namespace: this.options.namespace },
    );
  }

  /** Starts the type's sync controller, and its status controller when the FTC collects status. */
  private startSync(
    ftc: FederatedTypeConfig,
    namespacesFtc: FederatedTypeConfig | undefined,
    generation: number,
  ): void {
    const name = ftc.metadata.name!;
    this.options.log.info({ type: name, generation }, 'starting sync controller');
    const sync = new SyncController({
      host: this.options.host,
      ...(this.options.events ? { events: this.options.events } : {}),
      kubefedNamespace: this.options.namespace,
      scope: this.options.scope,
      typeConfig: ftc,
      ...(namespacesFtc ? { namespaceFederatedType: namespacesFtc.spec.federatedType } : {}),
      informers: this.options.informers,
      members: this.options.members,
      settings: this.options.syncSettings,
      metrics: this.options.metrics,
      log: this.options.log.child({ controller: 'sync', type: name }),
    });
    sync.start();
    const collector = statusCollectionEnabled(ftc.spec)
      ? new StatusController({
          host: this.options.host,
          kubefedNamespace: this.options.namespace,
          scope: this.options.scope,
          typeConfig: ftc,
          ...(namespacesFtc ? { namespaceFederatedType: namespacesFtc.spec.federatedType } : {}),
          informers: this.options.informers,
          members: this.options.members,
          workers: this.options.statusWorkers?.() ?? 1,
          metrics: this.options.metrics,
          log: this.options.log.child({ controller: 'status', type: name }),
        })
      : undefined;
    collector?.start();
    this.running.set(name, { generation, sync, ...(collector ? { status: collector } : {}) });
  }

  /** Writes observedGeneration and what runs, when that changed. */
  private async writeStatus(
    ftc: FederatedTypeConfig,
    generation: number,
    propagating: boolean,
  ): Promise<void> {
    const name = ftc.metadata.name!;
    const status = {
      observedGeneration: generation,
      propagationController: propagating ? ('Running' as const) : ('NotRunning' as const),
      statusController: this.running.get(name)?.status ? ('Running' as const) : ('NotRunning' as const),
    };
    const prev = ftc.status;
    if (
      prev?.observedGeneration !== status.observedGeneration ||
      prev?.propagationController !== status.propagationController ||
      prev?.statusController !== status.statusController
    ) {
      await this.client.patch(
        name,
        'merge',
        { status },
        { namespace: this.options.namespace, subresource: 'status' },
      );
    }
  }

  /** The federated or target type the host does not serve, if either; looked at again later. */
  private async missingType(
    ftc: FederatedTypeConfig,
  ): Promise<{ reason: 'FederatedTypeNotFound' | 'TargetTypeNotFound'; message: string } | undefined> {
    const { federated: f, target: t } = typeResources(ftc);
    if (!(await serves(this.options.host, f))) {
      return {
        reason: 'FederatedTypeNotFound',
        message: `the host cluster does not serve ${f.resource}.${f.group}/${f.version} (CRD missing): run kubefedctl enable ${ftc.metadata.name} to create it; propagation starts once it is served`,
      };
    }
    if (!(await serves(this.options.host, t))) {
      return {
        reason: 'TargetTypeNotFound',
        message: `the host cluster does not serve ${t.resource}${t.group ? `.${t.group}` : ''}/${t.version}: install that API (e.g. its CRD) or fix spec.targetType; propagation starts once it is served`,
      };
    }
    return undefined;
  }
}

/** Whether the cluster serves resource `t` (its group/version's API discovery document lists it). */
async function serves(client: ClusterClient, t: ResourceRef): Promise<boolean> {
  const path = t.group ? `/apis/${t.group}/${t.version}` : `/api/${t.version}`;
  try {
    const list = await client.request<{ resources?: { name: string }[] }>({
      method: 'GET',
      path,
      verb: 'discovery',
      timeoutMs: 10_000,
    });
    return (list.resources ?? []).some((r) => r.name === t.resource);
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}
