/**
 * The propagation policy controller: turns ordinary objects selected by a PropagationPolicy or
 * ClusterPropagationPolicy into generated Federated<Kind> objects (federation/policy.ts decides,
 * the reconcilers beside this file read caches and write), so that the sync, status, retention and
 * RSP controllers propagate them like any federated object. docs/policies.md describes the behaviour.
 *
 * This file is the wiring: the informers and what each of their events enqueues, the enabled types,
 * and the dispatch of a key (context.ts lists the kinds of key) to its reconciler.
 *
 * Informers: the policies, FederatedTypeConfigs, KubeFedClusters and RSPs; per enabled federated
 * type its Federated<Kind> informer (the sync controller's, shared); and the host's objects of a
 * follower type, or of a type once a policy names it or a generated object of it exists (they are never
 * stopped: a shared informer lives as long as the process).
 */
import {
  FederatedTypeConfigDefinition,
  KubeFedClusterDefinition,
  type FederatedTypeConfig,
  type KubeFedCluster,
} from '../../api/core.js';
import { resourceRefOf } from '../../api/index.js';
import {
  ClusterPropagationPolicyDefinition,
  PropagationPolicyDefinition,
  type PropagationPolicy,
} from '../../api/policy.js';
import {
  ReplicaSchedulingPreferenceDefinition,
  type ReplicaSchedulingPreference,
} from '../../api/scheduling.js';
import type { FederatedObject } from '../../api/types.js';
import type { ControlPlaneScope } from '../../federation/placement.js';
import { isLeaderType } from '../../federation/followers.js';
import { generatedBy, selectorNamesType } from '../../federation/policy.js';
import type { ClusterClient } from '../../kube/client.js';
import { Controller, done, requeueAfter, type ReconcileResult } from '../../kube/controller.js';
import { EventRecorder } from '../../kube/events.js';
import type { Informer } from '../../kube/informer.js';
import type { SharedInformers } from '../../kube/informers.js';
import type { Logger } from '../../kube/log.js';
import type { Metrics } from '../../kube/metrics.js';
import type { KubeObject, ResourceRef } from '../../kube/resource.js';
import { objectKey } from '../../kube/store.js';
import { NAMESPACES_FTC } from '../typeconfig/state.js';
import {
  allPolicies,
  isFollowerType,
  NOT_SYNCED_RETRY_MS,
  typeOf,
  type PolicyContext,
  type TypeEntry,
} from './context.js';
import { reconcileFollowers } from './followers.js';
import { reconcileNamespace } from './namespaces.js';
import { reconcileObject } from './objects.js';
import { reconcilePolicyStatus } from './policy-status.js';
import { typeResources } from '../../federation/typeconfig.js';

export interface PolicyControllerOptions {
  host: ClusterClient;
  /** Client for Events (default: host). */
  events?: ClusterClient;
  kubefedNamespace: string;
  scope: ControlPlaneScope;
  informers: SharedInformers;
  metrics: Metrics;
  log: Logger;
}

const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };

export class PolicyController {
  readonly controller: Controller;
  private readonly ctx: PolicyContext;
  private readonly ftcs: Informer<FederatedTypeConfig>;
  private readonly recorder: EventRecorder;
  /** By FederatedTypeConfig name: the enabled types. */
  private readonly types = new Map<string, TypeEntry>();

  constructor(private readonly options: PolicyControllerOptions) {
    const { host, informers, kubefedNamespace } = options;
    const policies = informers.get<PropagationPolicy>(host, resourceRefOf(PropagationPolicyDefinition));
    const clusterPolicies = informers.get<PropagationPolicy>(
      host,
      resourceRefOf(ClusterPropagationPolicyDefinition),
    );
    this.ftcs = informers.get(host, resourceRefOf(FederatedTypeConfigDefinition), {
      namespace: kubefedNamespace,
    });
    const clusters = informers.get<KubeFedCluster>(host, resourceRefOf(KubeFedClusterDefinition), {
      namespace: kubefedNamespace,
    });
    const rsps = informers.get<ReplicaSchedulingPreference>(
      host,
      resourceRefOf(ReplicaSchedulingPreferenceDefinition),
    );
    const namespaces = informers.get(host, NAMESPACES);
    this.recorder = new EventRecorder({
      client: options.events ?? host,
      component: 'propagationpolicy-controller',
      log: options.log,
    });
    this.controller = new Controller({
      name: 'propagationpolicy',
      workers: 2,
      reconcile: (key) => this.reconcile(key),
      backoff: { baseMs: 500, maxMs: 60_000 },
      metrics: options.metrics,
      log: options.log,
    });
    this.ctx = {
      host,
      scope: options.scope,
      log: options.log,
      recorder: this.recorder,
      policies,
      clusterPolicies,
      clusters,
      rsps,
      namespaces,
      types: this.types,
      ensureNative: (entry) => this.ensureNative(entry),
      enqueue: (key) => this.controller.enqueue(key),
    };
    this.watchPolicies();
    this.watchTypesClustersAndRsps();
  }

  async stop(): Promise<void> {
    await this.recorder.flush().catch(() => undefined);
  }

  private watchPolicies(): void {
    const policyEvent = (p: PropagationPolicy, kind: 'p' | 'c', specChanged: boolean) => {
      this.controller.enqueue(`${kind}|${objectKey(p)}`);
      if (!specChanged) return;
      this.typesChanged();
      this.enqueueAllObjects();
    };
    for (const [informer, kind] of [
      [this.ctx.policies, 'p'],
      [this.ctx.clusterPolicies, 'c'],
    ] as const) {
      informer.addHandlers({
        onAdd: (p) => policyEvent(p, kind, true),
        // A status write changes no generation: it needs no pass over the objects.
        onUpdate: (a, b) =>
          policyEvent(
            b,
            kind,
            a.metadata.generation !== b.metadata.generation ||
              a.metadata.deletionTimestamp !== b.metadata.deletionTimestamp,
          ),
        onDelete: (p) => policyEvent(p, kind, true),
      });
    }
  }

  private watchTypesClustersAndRsps(): void {
    const typesEvent = () => {
      this.typesChanged();
      this.enqueueAllObjects();
    };
    this.ftcs.addHandlers({ onAdd: typesEvent, onUpdate: typesEvent, onDelete: typesEvent });
    // Overrides by cluster label and namespace placement depend on the clusters' names and labels,
    // not on their health (whose probes update the objects every period).
    const clusterEvent = (a: KubeFedCluster | undefined, b: KubeFedCluster) => {
      if (a && JSON.stringify(a.metadata.labels ?? {}) === JSON.stringify(b.metadata.labels ?? {})) return;
      this.enqueueAllObjects();
    };
    this.ctx.clusters.addHandlers({
      onAdd: (c) => clusterEvent(undefined, c),
      onUpdate: clusterEvent,
      onDelete: (c) => clusterEvent(undefined, c),
    });
    const rspEvent = (r: ReplicaSchedulingPreference) => {
      for (const [ftcName, e] of this.types)
        if (e.type.federated.kind === r.spec?.targetKind)
          this.controller.enqueue(`o|${ftcName}|${objectKey(r)}`);
    };
    this.ctx.rsps.addHandlers({ onAdd: rspEvent, onUpdate: (_a, b) => rspEvent(b), onDelete: rspEvent });
  }

  /** Follows the enabled FederatedTypeConfigs; starts host informers of the types policies name. */
  private typesChanged(): void {
    const enabled = new Map<string, FederatedTypeConfig>();
    for (const ftc of this.ftcs.store.list())
      if (!ftc.metadata.deletionTimestamp && ftc.spec?.propagation === 'Enabled')
        enabled.set(ftc.metadata.name!, ftc);
    for (const [name, e] of this.types) {
      const ftc = enabled.get(name);
      if (!ftc || JSON.stringify(typeOf(ftc)) !== JSON.stringify(e.type)) this.types.delete(name);
    }
    for (const [name, ftc] of enabled) if (!this.types.has(name)) this.addType(name, ftc);
    const named = allPolicies(this.ctx).flatMap((p) => p.policy.spec?.resourceSelectors ?? []);
    for (const entry of this.types.values())
      if (isFollowerType(entry.type) || named.some((sel) => selectorNamesType(sel, entry.type)))
        this.ensureNative(entry);
  }

  /** Adds an enabled type and watches its federated objects. */
  private addType(name: string, ftc: FederatedTypeConfig): void {
    const type = typeOf(ftc);
    const { target: targetRef, federated: federatedRef } = typeResources(ftc);
    const federated = this.options.informers.get<FederatedObject>(this.options.host, federatedRef);
    const entry: TypeEntry = { type, targetRef, federatedRef, federated };
    this.types.set(name, entry);
    // Handlers stay on shared informers: they act only while this entry is current.
    const onFederated = (o: FederatedObject) => {
      if (this.types.get(name) !== entry) return;
      const by = generatedBy(o);
      if (by === 'policy') this.ensureNative(entry);
      if (entry.native) this.controller.enqueue(`o|${name}|${objectKey(o)}`);
      if (o.metadata.namespace && by) this.controller.enqueue(`n|${o.metadata.namespace}`);
      if (name === NAMESPACES_FTC && o.metadata.namespace)
        this.controller.enqueue(`n|${o.metadata.namespace}`);
      if (o.metadata.namespace && (isLeaderType(type.target) || isFollowerType(type)))
        this.controller.enqueue(`l|${o.metadata.namespace}`);
    };
    federated.addHandlers({
      onAdd: onFederated,
      onUpdate: (_a, b) => onFederated(b),
      onDelete: onFederated,
    });
  }

  /** Starts watching the host's objects of the type (once). */
  private ensureNative(entry: TypeEntry): void {
    if (entry.native) return;
    const ftcName = entry.type.ftcName;
    const native = this.options.informers.get(this.options.host, entry.targetRef);
    entry.native = native;
    const follower = isFollowerType(entry.type);
    const onNative = (o: KubeObject) => {
      if (this.types.get(ftcName) !== entry) return;
      this.controller.enqueue(`o|${ftcName}|${objectKey(o)}`);
      if (follower && o.metadata.namespace) this.controller.enqueue(`l|${o.metadata.namespace}`);
    };
    native.addHandlers({ onAdd: onNative, onUpdate: (_a, b) => onNative(b), onDelete: onNative });
    for (const o of entry.federated.store.list()) onNative(o);
  }

  private enqueueAllObjects(): void {
    for (const e of this.types.values())
      if (isLeaderType(e.type.target))
        for (const o of e.federated.store.list())
          if (o.metadata.namespace) this.controller.enqueue(`l|${o.metadata.namespace}`);
    for (const [ftcName, e] of this.types) {
      if (!e.native) continue;
      for (const o of e.native.store.list()) this.controller.enqueue(`o|${ftcName}|${objectKey(o)}`);
      for (const o of e.federated.store.list())
        if (generatedBy(o)) {
          this.controller.enqueue(`o|${ftcName}|${objectKey(o)}`);
          if (o.metadata.namespace) this.controller.enqueue(`n|${o.metadata.namespace}`);
        }
    }
  }

  private synced(): boolean {
    const c = this.ctx;
    return [c.policies, c.clusterPolicies, this.ftcs, c.clusters, c.rsps, c.namespaces].every((i) =>
      i.hasSynced(),
    );
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    if (!this.synced()) return requeueAfter(NOT_SYNCED_RETRY_MS);
    const [kind, ...rest] = key.split('|');
    switch (kind) {
      case 'o':
        return reconcileObject(this.ctx, rest[0]!, rest[1]!);
      case 'p':
        return reconcilePolicyStatus(this.ctx, { kind: 'PropagationPolicy', key: rest[0]! });
      case 'c':
        return reconcilePolicyStatus(this.ctx, { kind: 'ClusterPropagationPolicy', key: rest[0]! });
      case 'n':
        return reconcileNamespace(this.ctx, rest[0]!);
      case 'l':
        return reconcileFollowers(this.ctx, rest[0]!);
      default:
        this.options.log.error({ key }, 'unknown key');
        return done;
    }
  }
}
