/**
 * What the dashboard reads, from the manager's shared informers: KubeFedClusters,
 * FederatedTypeConfigs, ReplicaSchedulingPreferences and, per FederatedTypeConfig whose sync
 * controller runs, its federated objects (the very informers the controllers use: same cluster,
 * type and selection, so no extra watch). A page view or a live update reads only these caches.
 *
 * Two things are read on demand, for the single Object page only: the host's Events about the
 * object, and the member objects (one GET per placed cluster, with the client the controllers
 * built for that cluster; a cluster without one is reported unavailable). Secrets are never read:
 * the dashboard does not hold member credentials, and a federated Secret's values are redacted.
 */
import {
  FederatedTypeConfigDefinition,
  KubeFedClusterDefinition,
  type FederatedTypeConfig,
  type KubeFedCluster,
} from '../api/core.js';
import { resourceRefOf } from '../api/index.js';
import {
  ReplicaSchedulingPreferenceDefinition,
  type ReplicaSchedulingPreference,
} from '../api/scheduling.js';
import type { FederatedObject } from '../api/types.js';
import type { MemberClients } from '../controllers/members/member-clients.js';
import { typeResources } from '../federation/typeconfig.js';
import type { ControlPlaneScope } from '../federation/placement.js';
import type { ClusterClient } from '../kube/client.js';
import { isNotFound } from '../kube/errors.js';
import type { Informer } from '../kube/informer.js';
import type { SharedInformers } from '../kube/informers.js';
import type { Logger } from '../kube/log.js';
import type { Readiness } from '../kube/manager.js';
import { ResourceClient, type KubeObject } from '../kube/resource.js';
import type { MemberObject, ObjectDetail, ObjectEvent, ObjectSummary, Snapshot } from './model.js';
import {
  clusterView,
  isSecretType,
  objectSummary,
  redactSecretObject,
  redactSecretOverrides,
  rspView,
  sortObjects,
  typeView,
} from './view.js';

export interface DashboardSourceOptions {
  host: ClusterClient;
  namespace: string;
  scope: ControlPlaneScope;
  informers: SharedInformers;
  members: MemberClients;
  readiness: () => Readiness;
  log: Logger;
  /** Timeout of each on-demand request (Events, member objects); default 5 s. */
  requestTimeoutMs?: number;
}

interface TypeEntry {
  ftc: FederatedTypeConfig;
  informer: Informer<FederatedObject>;
}

export class DashboardSource {
  private readonly clusters: Informer<KubeFedCluster>;
  private readonly ftcs: Informer<FederatedTypeConfig>;
  private readonly rsps: Informer<ReplicaSchedulingPreference>;
  /** By FTC name: the federated objects' informer, once its sync controller ran. */
  private readonly types = new Map<string, TypeEntry>();
  private readonly listeners = new Set<() => void>();
  private readonly planeSelection: { namespace?: string };

  constructor(private readonly options: DashboardSourceOptions) {
    const { host, informers, namespace, scope } = options;
    this.planeSelection = scope === 'Namespaced' ? { namespace } : {};
    this.clusters = informers.get<KubeFedCluster>(host, resourceRefOf(KubeFedClusterDefinition), {
      namespace,
    });
    this.ftcs = informers.get<FederatedTypeConfig>(host, resourceRefOf(FederatedTypeConfigDefinition), {
      namespace,
    });
    this.rsps = informers.get<ReplicaSchedulingPreference>(
      host,
      resourceRefOf(ReplicaSchedulingPreferenceDefinition),
      this.planeSelection,
    );
    const changed = () => this.changed();
    this.clusters.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
    this.rsps.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
    this.ftcs.addHandlers({
      onAdd: () => this.typesChanged(),
      onUpdate: () => this.typesChanged(),
      onDelete: () => this.typesChanged(),
    });
  }

  /** Calls `listener` (without arguments: it should read a new snapshot) after any cached change. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch (err) {
        this.options.log.warn({ err }, 'dashboard change listener failed');
      }
    }
  }

  /**
   * Follows the FTCs: a type whose sync controller runs (status.propagationController Running) gets
   * its federated informer, the shared one its controllers use. A type that stops keeps its entry
   * (its cache stays as it was last seen; its row says NotRunning).
   */
  private typesChanged(): void {
    for (const ftc of this.ftcs.store.list()) {
      const name = ftc.metadata.name ?? '';
      const current = this.types.get(name);
      // A changed federatedType (the controllers restart on it) gets the new type's informer.
      const same =
        current && JSON.stringify(current.ftc.spec.federatedType) === JSON.stringify(ftc.spec.federatedType);
      if (same || ftc.status?.propagationController !== 'Running') continue;
      try {
        const informer = this.options.informers.get<FederatedObject>(
          this.options.host,
          typeResources(ftc).federated,
          this.planeSelection,
        );
        const changed = () => this.changed();
        informer.addHandlers({ onAdd: changed, onUpdate: changed, onDelete: changed });
        this.types.set(name, { ftc, informer });
      } catch (err) {
        this.options.log.warn({ err, type: name }, 'dashboard cannot follow a federated type');
      }
    }
    this.changed();
  }

  /** Every federated object of the followed types, as matrix rows. */
  private summaries(): ObjectSummary[] {
    const out: ObjectSummary[] = [];
    for (const [name, entry] of this.types) {
      const ftc = this.ftcs.store.getByName(name, this.options.namespace);
      if (!ftc) continue;
      for (const obj of entry.informer.store.list()) {
        try {
          const summary = objectSummary(name, ftc.spec.federatedType.kind, obj);
          const rsp = this.rspOf(ftc, obj);
          out.push(rsp ? { ...summary, rspVersion: rsp.metadata.resourceVersion ?? '' } : summary);
        } catch (err) {
          // One odd object must not blank the page.
          this.options.log.warn({ err, type: name, key: obj.metadata.name }, 'dashboard skipped an object');
        }
      }
    }
    return sortObjects(out);
  }

  snapshot(): Snapshot {
    const readiness = this.options.readiness();
    const objects = this.summaries();
    const perType = new Map<string, number>();
    for (const o of objects) perType.set(o.type, (perType.get(o.type) ?? 0) + 1);
    const byName = <T extends KubeObject>(a: T, b: T) =>
      (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
    return {
      generatedAt: new Date().toISOString(),
      namespace: this.options.namespace,
      manager: readiness.ready
        ? { ready: true, detail: readiness.detail }
        : { ready: false, detail: readiness.reason },
      clusters: this.skipOdd(this.clusters.store.list().sort(byName), (c) => clusterView(c, objects)),
      types: this.skipOdd(this.ftcs.store.list().sort(byName), (f) =>
        typeView(f, perType.get(f.metadata.name ?? '') ?? 0),
      ),
      objects,
    };
  }

  /** The ReplicaSchedulingPreference of a federated Deployment or ReplicaSet (same namespace and name). */
  private rspOf(ftc: FederatedTypeConfig, obj: FederatedObject): ReplicaSchedulingPreference | undefined {
    const t = ftc.spec.targetType;
    const { name, namespace } = obj.metadata;
    if (!namespace || !name || (t.group ?? '') !== 'apps' || !['Deployment', 'ReplicaSet'].includes(t.kind))
      return undefined;
    const rsp = this.rsps.store.getByName(name, namespace);
    return rsp?.spec?.targetKind === ftc.spec.federatedType.kind ? rsp : undefined;
  }

  /** `view` of each object; one that cannot be shown (e.g. a spec without a required field) is logged and left out. */
  private skipOdd<T extends KubeObject, V>(objects: T[], view: (o: T) => V): V[] {
    return objects.flatMap((o) => {
      try {
        return [view(o)];
      } catch (err) {
        this.options.log.warn({ err, key: o.metadata.name }, 'dashboard skipped an object');
        return [];
      }
    });
  }

  /** The Object page: from the caches, plus the object's Events and member objects read now. */
  async detail(type: string, namespace: string | undefined, name: string): Promise<ObjectDetail | undefined> {
    const entry = this.types.get(type);
    const ftc = this.ftcs.store.getByName(type, this.options.namespace);
    if (!entry || !ftc) return undefined;
    const obj = entry.informer.store.getByName(name, namespace);
    if (!obj) return undefined;
    const summary = objectSummary(type, ftc.spec.federatedType.kind, obj);
    const target = ftc.spec.targetType;
    const secret = isSecretType(target);
    const redact = (v: unknown) => (secret ? redactSecretObject(v) : v);
    const f = ftc.spec.federatedType;
    const [events, members] = await Promise.all([
      this.events(obj),
      Promise.all(summary.cells.map((c) => this.memberObject(c.cluster, ftc, obj))),
    ]);
    const rsp = this.rspOf(ftc, obj);
    return {
      summary,
      federatedApiVersion: f.group ? `${f.group}/${f.version}` : f.version,
      ...(obj.metadata.generation !== undefined ? { generation: obj.metadata.generation } : {}),
      ...(obj.status?.observedGeneration !== undefined
        ? { observedGeneration: obj.status.observedGeneration }
        : {}),
      template: redact(obj.spec?.template ?? {}),
      placement: obj.spec?.placement ?? {},
      overrides: secret ? redactSecretOverrides(obj.spec?.overrides ?? []) : (obj.spec?.overrides ?? []),
      clusterStatus: obj.status?.clusters ?? [],
      ...(obj.status?.aggregate ? { aggregate: obj.status.aggregate } : {}),
      redacted: secret,
      members: members.map((m) =>
        m.kind === 'found' && secret ? { ...m, object: redact(m.object) as Record<string, unknown> } : m,
      ),
      events,
      ...(rsp ? { rsp: rspView(rsp, obj) } : {}),
    };
  }

  private async events(obj: FederatedObject): Promise<ObjectEvent[]> {
    const uid = obj.metadata.uid;
    if (!uid) return [];
    try {
      const list = await new ResourceClient(this.options.host, {
        group: '',
        version: 'v1',
        resource: 'events',
        namespaced: true,
      }).list({
        ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
        fieldSelector: `involvedObject.uid=${uid}`,
        limit: 100,
      });
      type CoreEvent = KubeObject & {
        type?: string;
        reason?: string;
        message?: string;
        count?: number;
        lastTimestamp?: string;
        eventTime?: string;
        source?: { component?: string };
        metadata: { creationTimestamp?: string };
      };
      return (list.items as CoreEvent[])
        .map((e) => {
          const when = e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
          return {
            type: e.type ?? 'Normal',
            ...(e.reason ? { reason: e.reason } : {}),
            ...(e.message ? { message: e.message } : {}),
            ...(e.count !== undefined ? { count: e.count } : {}),
            ...(when ? { lastTimestamp: when } : {}),
            ...(e.source?.component ? { source: e.source.component } : {}),
          };
        })
        .sort((a, b) => (b.lastTimestamp ?? '').localeCompare(a.lastTimestamp ?? ''))
        .slice(0, 30);
    } catch (err) {
      this.options.log.debug({ err }, 'dashboard could not list Events');
      return [
        {
          type: 'Warning',
          reason: 'EventsUnavailable',
          message: `the Events could not be read: ${(err as Error).message}`,
        },
      ];
    }
  }

  private async memberObject(
    cluster: string,
    ftc: FederatedTypeConfig,
    obj: FederatedObject,
  ): Promise<MemberObject> {
    const client = this.options.members.current(cluster);
    if (!client)
      return { cluster, kind: 'unavailable', message: 'no client for this cluster (not Ready yet?)' };
    const { target: ref, targetKind } = typeResources(ftc);
    const namespaceTarget = ref.group === '' && targetKind === 'Namespace';
    const name = obj.metadata.name ?? '';
    try {
      const found = await client.request<KubeObject>({
        method: 'GET',
        path: `${ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`}${
          ref.namespaced && obj.metadata.namespace && !namespaceTarget
            ? `/namespaces/${encodeURIComponent(obj.metadata.namespace)}`
            : ''
        }/${ref.resource}/${encodeURIComponent(name)}`,
        timeoutMs: this.options.requestTimeoutMs ?? 5_000,
      });
      const { managedFields: _managed, ...metadata } = found.metadata as KubeObject['metadata'] & {
        managedFields?: unknown;
      };
      return { cluster, kind: 'found', object: { ...found, metadata } };
    } catch (err) {
      if (isNotFound(err)) return { cluster, kind: 'absent' };
      return { cluster, kind: 'unavailable', message: (err as Error).message };
    }
  }
}
