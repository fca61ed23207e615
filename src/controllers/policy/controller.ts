/**
 * The propagation policy controller: turns ordinary objects selected by a PropagationPolicy or
 * ClusterPropagationPolicy into generated Federated<Kind> objects (federation/policy.ts decides,
 * this file reads caches and writes), so that the sync, status, retention and RSP controllers
 * propagate them like any federated object. docs/policies.md describes the behaviour.
 *
 * Keys (one queue, three kinds of work):
 * - `o|<ftc>|<namespace/name>`: one object of a federated type: create, update, delete or
 *   release its generated Federated<Kind>, and keep the object's `propagated-by` annotation;
 * - `p|<namespace/name>`, `c|<name>`: the status of a PropagationPolicy / ClusterPropagationPolicy;
 * - `n|<namespace>`: the generated FederatedNamespace that lets a namespace's generated objects
 *   propagate (placed on the union of their clusters);
 * - `l|<namespace>`: the followers of the namespace's federated workloads (federation/followers.ts):
 *   their ConfigMaps, Secrets, ServiceAccount and claims, placed where the workloads are.
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
  type PropagationPolicyStatus,
} from '../../api/policy.js';
import {
  ReplicaSchedulingPreferenceDefinition,
  type ReplicaSchedulingPreference,
} from '../../api/scheduling.js';
import type { FederatedObject } from '../../api/types.js';
import type { ControlPlaneScope } from '../../federation/placement.js';
import {
  FOLLOWER_KINDS,
  isLeaderType,
  planFollowers,
  type FollowerTypeState,
  type Leader,
} from '../../federation/followers.js';
import { ORPHAN_ANNOTATION } from '../../federation/plan.js';
import {
  generatedBy,
  planNamespace,
  planObject,
  policyRef,
  policySelects,
  policyStatusChanged,
  policyStatusOf,
  propagatedByPatch,
  selectorNamesType,
  winningPolicy,
  PROPAGATED_BY_ANNOTATION,
  RELEASING_ANNOTATION,
  type ObjectPlan,
  type PolicyEntry,
  type PolicyType,
  type SelectedObject,
  type TypeProblem,
} from '../../federation/policy.js';
import type { ClusterClient } from '../../kube/client.js';
import { Controller, done, requeue, requeueAfter, type ReconcileResult } from '../../kube/controller.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../kube/errors.js';
import { EventRecorder } from '../../kube/events.js';
import type { Informer } from '../../kube/informer.js';
import type { SharedInformers } from '../../kube/informers.js';
import type { Logger } from '../../kube/log.js';
import type { Metrics } from '../../kube/metrics.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../kube/resource.js';
import { objectKey, splitKey } from '../../kube/store.js';
import { NAMESPACES_FTC } from '../typeconfig/state.js';

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

interface TypeEntry {
  type: PolicyType;
  targetRef: ResourceRef;
  federatedRef: ResourceRef;
  federated: Informer<FederatedObject>;
  /** The host's objects of the type, once needed. */
  native?: Informer;
}

const NOT_SYNCED_RETRY_MS = 500;
const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };

export class PolicyController {
  readonly controller: Controller;
  private readonly policies: Informer<PropagationPolicy>;
  private readonly clusterPolicies: Informer<PropagationPolicy>;
  private readonly ftcs: Informer<FederatedTypeConfig>;
  private readonly clusters: Informer<KubeFedCluster>;
  private readonly rsps: Informer<ReplicaSchedulingPreference>;
  /** The host's namespaces: nothing is generated in one being deleted (it would fight the deletion). */
  private readonly namespaces: Informer;
  private readonly recorder: EventRecorder;
  /** By FederatedTypeConfig name: the enabled types. */
  private readonly types = new Map<string, TypeEntry>();

  constructor(private readonly options: PolicyControllerOptions) {
    const { host, informers, kubefedNamespace } = options;
    this.policies = informers.get(host, resourceRefOf(PropagationPolicyDefinition));
    this.clusterPolicies = informers.get(host, resourceRefOf(ClusterPropagationPolicyDefinition));
    this.ftcs = informers.get(host, resourceRefOf(FederatedTypeConfigDefinition), {
      namespace: kubefedNamespace,
    });
    this.clusters = informers.get(host, resourceRefOf(KubeFedClusterDefinition), {
      namespace: kubefedNamespace,
    });
    this.rsps = informers.get(host, resourceRefOf(ReplicaSchedulingPreferenceDefinition));
    this.namespaces = informers.get(host, NAMESPACES);
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

    const policyEvent = (p: PropagationPolicy, kind: 'p' | 'c', specChanged: boolean) => {
      this.controller.enqueue(`${kind}|${objectKey(p)}`);
      if (!specChanged) return;
      this.typesChanged();
      this.enqueueAllObjects();
    };
    for (const [informer, kind] of [
      [this.policies, 'p'],
      [this.clusterPolicies, 'c'],
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
    this.clusters.addHandlers({
      onAdd: (c) => clusterEvent(undefined, c),
      onUpdate: clusterEvent,
      onDelete: (c) => clusterEvent(undefined, c),
    });
    const rspEvent = (r: ReplicaSchedulingPreference) => {
      for (const [ftcName, e] of this.types)
        if (e.type.federated.kind === r.spec?.targetKind)
          this.controller.enqueue(`o|${ftcName}|${objectKey(r)}`);
    };
    this.rsps.addHandlers({ onAdd: rspEvent, onUpdate: (_a, b) => rspEvent(b), onDelete: rspEvent });
  }

  async stop(): Promise<void> {
    await this.recorder.flush().catch(() => undefined);
  }

  private allPolicies(): PolicyEntry[] {
    return [
      ...this.policies.store.list().map((policy) => ({ kind: 'PropagationPolicy' as const, policy })),
      ...this.clusterPolicies.store
        .list()
        .map((policy) => ({ kind: 'ClusterPropagationPolicy' as const, policy })),
    ];
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
    for (const [name, ftc] of enabled) {
      if (this.types.has(name)) continue;
      const type = typeOf(ftc);
      const f = ftc.spec.federatedType;
      const federatedRef: ResourceRef = {
        group: f.group ?? '',
        version: f.version,
        resource: f.pluralName,
        namespaced: f.scope === 'Namespaced',
      };
      const t = ftc.spec.targetType;
      const targetRef: ResourceRef = {
        group: t.group ?? '',
        version: t.version,
        resource: t.pluralName,
        namespaced: t.scope === 'Namespaced',
      };
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
    const named = this.allPolicies().flatMap((p) => p.policy.spec?.resourceSelectors ?? []);
    for (const entry of this.types.values())
      if (isFollowerType(entry.type) || named.some((sel) => selectorNamesType(sel, entry.type)))
        this.ensureNative(entry);
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

  private terminating(namespace: string): boolean {
    const ns = this.namespaces.store.get(namespace);
    return ns?.metadata.deletionTimestamp !== undefined;
  }

  private synced(): boolean {
    return [this.policies, this.clusterPolicies, this.ftcs, this.clusters, this.rsps, this.namespaces].every(
      (i) => i.hasSynced(),
    );
  }

  private async reconcile(key: string): Promise<ReconcileResult> {
    if (!this.synced()) return requeueAfter(NOT_SYNCED_RETRY_MS);
    const [kind, ...rest] = key.split('|');
    switch (kind) {
      case 'o':
        return this.reconcileObject(rest[0]!, rest[1]!);
      case 'p':
        return this.reconcilePolicy({ kind: 'PropagationPolicy', key: rest[0]! });
      case 'c':
        return this.reconcilePolicy({ kind: 'ClusterPropagationPolicy', key: rest[0]! });
      case 'n':
        return this.reconcileNamespace(rest[0]!);
      case 'l':
        return this.reconcileFollowers(rest[0]!);
      default:
        this.options.log.error({ key }, 'unknown key');
        return done;
    }
  }

  // ---- objects ----

  private async reconcileObject(ftcName: string, key: string): Promise<ReconcileResult> {
    const entry = this.types.get(ftcName);
    // A type no longer federated: its sync controller is gone too; leave everything as it is.
    if (!entry) return done;
    this.ensureNative(entry);
    if (!entry.native!.hasSynced() || !entry.federated.hasSynced()) return requeueAfter(NOT_SYNCED_RETRY_MS);
    const object = entry.native!.store.get(key);
    const existing = entry.federated.store.get(key);
    const policies = this.allPolicies();
    const scheduledByRsp = this.rsps.store.get(key)?.spec?.targetKind === entry.type.federated.kind;
    const { plan, entry: winner } = planObject({
      type: entry.type,
      object,
      policies,
      existing,
      clusters: this.clusters.store.list(),
      scheduledByRsp,
    });

    const namespace = object?.metadata.namespace;
    if ((plan.kind === 'create' || plan.kind === 'update') && namespace && this.terminating(namespace))
      return done;
    // A leader let go of with its member copies left in place keeps its followers' copies too: it
    // is marked releasing (and orphaning) first, its followers are marked orphaning while it still
    // exists, then it goes; the followers are deleted once it is gone.
    if (plan.kind === 'release' && plan.orphan && existing && namespace && isLeaderType(entry.type.target)) {
      const client = new ResourceClient<FederatedObject>(this.options.host, entry.federatedRef);
      let marked: FederatedObject;
      try {
        marked = await client.patch(
          existing.metadata.name!,
          'merge',
          { metadata: { annotations: { [ORPHAN_ANNOTATION]: 'true', [RELEASING_ANNOTATION]: 'true' } } },
          { namespace },
        );
      } catch (err) {
        if (isNotFound(err)) return done;
        throw err;
      }
      const followers = await this.reconcileFollowers(namespace, marked);
      if (followers.kind !== 'done') return followers;
    }
    let result: 'ok' | 'retry';
    try {
      result = await this.execute(entry, plan, key, existing);
    } catch (err) {
      // Refused (e.g. by validation or the admission webhook): say so where the user looks.
      if (object && (plan.kind === 'create' || plan.kind === 'update'))
        this.recorder.event(
          object,
          'Warning',
          'GenerateFailed',
          `${plan.kind === 'create' ? 'creating' : 'updating'} ${entry.type.federated.kind} ${key}: ${(err as Error).message}`,
        );
      throw err;
    }
    if (result !== 'ok') return requeue;
    if (plan.kind === 'release' && object)
      this.recorder.event(
        object,
        'Normal',
        'PropagationStopped',
        `no policy propagates ${entry.type.target.kind} ${key} any more; ${plan.orphan ? 'its member copies are left in place, unmanaged' : 'its member copies are deleted'} (deletionPolicy ${plan.orphan ? 'Orphan' : 'Delete'})`,
      );

    if (object && !object.metadata.deletionTimestamp) {
      const managed = plan.kind === 'create' || plan.kind === 'update' || plan.kind === 'unchanged';
      const patch = propagatedByPatch(object, managed && winner ? policyRef(winner) : undefined);
      if (patch) {
        try {
          await new ResourceClient(this.options.host, entry.targetRef).patch(
            object.metadata.name!,
            'merge',
            patch,
            {
              ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
            },
          );
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    }

    // The policies whose status may have changed: any that selects the object, and the previous one.
    const statusKeys = new Set<string>();
    if (object && entry.native)
      for (const p of policies) if (policySelects(p, object, entry.type)) statusKeys.add(statusKey(p));
    const previous = existing?.metadata.annotations?.[PROPAGATED_BY_ANNOTATION];
    if (previous) statusKeys.add(statusKeyOfRef(previous));
    for (const k of statusKeys) this.controller.enqueue(k);
    return done;
  }

  /** Carries out an object's plan; 'retry' on a write that raced with another writer. */
  private async execute(
    entry: TypeEntry,
    plan: ObjectPlan,
    key: string,
    existing: FederatedObject | undefined,
  ): Promise<'ok' | 'retry'> {
    const client = new ResourceClient<FederatedObject>(this.options.host, entry.federatedRef);
    const { namespace, name } = splitKey(key);
    const ns = namespace ? { namespace } : {};
    const log = this.options.log.child({ type: entry.type.ftcName, key });
    try {
      switch (plan.kind) {
        case 'none':
        case 'unchanged':
        case 'conflict':
          return 'ok';
        case 'create':
          await client.create(plan.object);
          log.info(
            {
              generatedBy: generatedBy(plan.object),
              policy: plan.object.metadata.annotations?.[PROPAGATED_BY_ANNOTATION],
            },
            'generated',
          );
          return 'ok';
        case 'update':
          await client.update(plan.object);
          return 'ok';
        case 'delete':
          await client.delete(name, { ...ns, propagationPolicy: 'Background' });
          log.info('deleted the generated object: its object is gone');
          return 'ok';
        case 'release':
          await this.release(client, existing!, plan.orphan);
          log.info({ orphan: plan.orphan }, 'released the generated object');
          return 'ok';
      }
    } catch (err) {
      if (isConflict(err) || isAlreadyExists(err)) return 'retry';
      if (isNotFound(err) && (plan.kind === 'delete' || plan.kind === 'release' || plan.kind === 'update'))
        return 'ok';
      throw err;
    }
  }

  /** Deletes a generated object, first marking it orphaning when its member copies are to stay. */
  private async release(
    client: ResourceClient<FederatedObject>,
    existing: FederatedObject,
    orphan: boolean,
  ): Promise<void> {
    const ns = existing.metadata.namespace ? { namespace: existing.metadata.namespace } : {};
    if (orphan && existing.metadata.annotations?.[ORPHAN_ANNOTATION] !== 'true')
      await client.patch(
        existing.metadata.name!,
        'merge',
        { metadata: { annotations: { [ORPHAN_ANNOTATION]: 'true' } } },
        ns,
      );
    await client.delete(existing.metadata.name!, { ...ns, propagationPolicy: 'Background' });
  }

  // ---- policy status ----

  private async reconcilePolicy(ref: { kind: PolicyEntry['kind']; key: string }): Promise<ReconcileResult> {
    const informer = ref.kind === 'PropagationPolicy' ? this.policies : this.clusterPolicies;
    const policy = informer.store.get(ref.key);
    if (!policy || policy.metadata.deletionTimestamp) return done;
    const entry: PolicyEntry = { kind: ref.kind, policy };
    const policies = this.allPolicies();
    const selected: SelectedObject[] = [];
    const disabledTypes: TypeProblem[] = [];
    for (const sel of policy.spec?.resourceSelectors ?? []) {
      const matching = [...this.types.values()].filter((e) => selectorNamesType(sel, e.type));
      if (matching.length === 0) {
        if (!disabledTypes.some((t) => t.apiVersion === sel.apiVersion && t.kind === sel.kind))
          disabledTypes.push({ apiVersion: sel.apiVersion, kind: sel.kind });
        continue;
      }
      for (const e of matching) {
        this.ensureNative(e);
        if (!e.native!.hasSynced() || !e.federated.hasSynced()) return requeueAfter(NOT_SYNCED_RETRY_MS);
      }
    }
    for (const e of this.types.values()) {
      if (!e.native || !(policy.spec?.resourceSelectors ?? []).some((sel) => selectorNamesType(sel, e.type)))
        continue;
      for (const object of e.native.store.list()) {
        if (!policySelects(entry, object, e.type)) continue;
        selected.push({
          type: e.type,
          object,
          winner: winningPolicy(policies, object, e.type),
          existing: e.federated.store.get(objectKey(object)),
        });
      }
    }
    const status = policyStatusOf({ entry, selected, disabledTypes, now: new Date() });
    if (!policyStatusChanged(policy.status, status)) return done;
    const client = new ResourceClient<PropagationPolicy>(
      this.options.host,
      resourceRefOf(
        ref.kind === 'PropagationPolicy' ? PropagationPolicyDefinition : ClusterPropagationPolicyDefinition,
      ),
    );
    try {
      await client.updateStatus({ ...policy, status });
    } catch (err) {
      if (isConflict(err)) return requeue;
      if (isNotFound(err)) return done;
      throw err;
    }
    this.statusEvents(policy, policy.status, status);
    return done;
  }

  /** Events for what is new in a policy's status: each new conflict, a Ready condition turning False. */
  private statusEvents(
    policy: PropagationPolicy,
    before: PropagationPolicyStatus | undefined,
    after: PropagationPolicyStatus,
  ): void {
    const seen = new Set((before?.conflicts ?? []).map((c) => `${c.kind}/${c.namespace ?? ''}/${c.name}`));
    for (const c of after.conflicts ?? [])
      if (!seen.has(`${c.kind}/${c.namespace ?? ''}/${c.name}`))
        this.recorder.event(
          policy,
          'Warning',
          'Conflict',
          `${c.kind} ${c.namespace ? `${c.namespace}/` : ''}${c.name}: ${c.message}`,
        );
    const was = before?.conditions?.find((c) => c.type === 'Ready');
    const now = after.conditions?.find((c) => c.type === 'Ready');
    if (
      now &&
      now.status === 'False' &&
      now.reason !== 'Conflict' &&
      (was?.status !== 'False' || was.reason !== now.reason)
    )
      this.recorder.event(policy, 'Warning', now.reason ?? 'NotReady', now.message ?? '');
  }

  // ---- followers ----

  /**
   * Generates, moves and removes the followers of the leaders of a namespace. `releasing`: a leader
   * just marked releasing (the API server's answer), seen in place of the cached one, which may lag.
   */
  private async reconcileFollowers(namespace: string, releasing?: FederatedObject): Promise<ReconcileResult> {
    if (this.terminating(namespace)) return done;
    const leaders: Leader[] = [];
    for (const e of this.types.values()) {
      if (!isLeaderType(e.type.target)) continue;
      if (!e.federated.hasSynced()) return requeueAfter(NOT_SYNCED_RETRY_MS);
      for (const o of e.federated.store.byIndex('namespace', namespace)) {
        const replaced =
          releasing &&
          e.type.federated.kind === releasing.kind &&
          releasing.metadata.name === o.metadata.name &&
          releasing.metadata.uid === o.metadata.uid;
        leaders.push({ target: e.type.target, object: replaced ? releasing : o });
      }
    }
    if (leaders.length === 0 && !this.hasFollowers(namespace)) return done;
    const types: Partial<Record<(typeof FOLLOWER_KINDS)[number], FollowerTypeState>> = {};
    const entries = new Map<string, TypeEntry>();
    for (const e of this.types.values()) {
      if (!isFollowerType(e.type)) continue;
      this.ensureNative(e);
      if (!e.native!.hasSynced() || !e.federated.hasSynced()) return requeueAfter(NOT_SYNCED_RETRY_MS);
      const byName = <T extends KubeObject>(objs: T[]) => new Map(objs.map((o) => [o.metadata.name!, o]));
      types[e.type.target.kind as (typeof FOLLOWER_KINDS)[number]] = {
        type: e.type,
        objects: byName(e.native!.store.byIndex('namespace', namespace)),
        federated: byName(e.federated.store.byIndex('namespace', namespace)),
      };
      entries.set(e.type.target.kind, e);
    }
    const { plans, missing } = planFollowers({
      leaders,
      types,
      clusters: this.clusters.store.list(),
      scope: this.options.scope,
    });
    let retry = false;
    for (const { type, name, plan } of plans) {
      const entry = entries.get(type.target.kind)!;
      const key = `${namespace}/${name}`;
      const result = await this.execute(entry, plan, key, entry.federated.store.get(key));
      if (result !== 'ok') retry = true;
    }
    for (const m of missing)
      this.recorder.event(
        m.leader,
        'Warning',
        'FollowerTypeNotEnabled',
        `${m.ref.kind} ${namespace}/${m.ref.name} is referenced by the pod template but ${m.ref.kind} is not federated, so it does not follow to the member clusters; run kubefedctl enable ${m.ref.kind}`,
      );
    return retry ? requeue : done;
  }

  private hasFollowers(namespace: string): boolean {
    for (const e of this.types.values())
      if (
        isFollowerType(e.type) &&
        e.federated.store.byIndex('namespace', namespace).some((o) => generatedBy(o) === 'follower')
      )
        return true;
    return false;
  }

  // ---- namespaces ----

  private async reconcileNamespace(namespace: string): Promise<ReconcileResult> {
    const nsEntry = this.types.get(NAMESPACES_FTC);
    if (!nsEntry) return done;
    const generated: FederatedObject[] = [];
    for (const e of this.types.values()) {
      if (e === nsEntry || !e.federatedRef.namespaced) continue;
      if (!e.federated.hasSynced()) return requeueAfter(NOT_SYNCED_RETRY_MS);
      for (const o of e.federated.store.byIndex('namespace', namespace))
        if (generatedBy(o) === 'policy' || generatedBy(o) === 'follower') generated.push(o);
    }
    if (!nsEntry.federated.hasSynced()) return requeueAfter(NOT_SYNCED_RETRY_MS);
    if (this.terminating(namespace)) return done;
    const existing = nsEntry.federated.store.get(`${namespace}/${namespace}`);
    const plan = planNamespace({
      namespace,
      federatedNamespace: nsEntry.type.federated,
      generated,
      existing,
      clusters: this.clusters.store.list(),
      scope: this.options.scope,
    });
    const result = await this.execute(nsEntry, plan, `${namespace}/${namespace}`, existing);
    return result === 'ok' ? done : requeue;
  }
}

function typeOf(ftc: FederatedTypeConfig): PolicyType {
  const t = ftc.spec.targetType;
  const f = ftc.spec.federatedType;
  return {
    ftcName: ftc.metadata.name!,
    target: {
      group: t.group ?? '',
      version: t.version,
      kind: t.kind,
      resource: t.pluralName,
      namespaced: t.scope === 'Namespaced',
    },
    federated: {
      group: f.group ?? '',
      version: f.version,
      kind: f.kind,
      namespaced: f.scope === 'Namespaced',
    },
  };
}

function isFollowerType(type: PolicyType): boolean {
  return type.target.group === '' && (FOLLOWER_KINDS as readonly string[]).includes(type.target.kind);
}

function statusKey(p: PolicyEntry): string {
  return p.kind === 'PropagationPolicy' ? `p|${objectKey(p.policy)}` : `c|${p.policy.metadata.name}`;
}

/** The status key of a PROPAGATED_BY_ANNOTATION value. */
function statusKeyOfRef(ref: string): string {
  const [kind, ...rest] = ref.split('/');
  return kind === 'PropagationPolicy' ? `p|${rest.join('/')}` : `c|${rest.join('/')}`;
}
