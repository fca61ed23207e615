/**
 * Shared informers: one informer (one LIST+WATCH, one cache) per cluster, resource type and
 * selection, however many controllers need it. Controllers get informers here instead of creating
 * their own, so N controllers watching ConfigMaps in a cluster cost one watch, not N.
 */
import type { ClusterClient } from './client.js';
import { Informer, type InformerOptions } from './informer.js';
import { rootLogger, type Logger } from './log.js';
import { processMetrics, resourceLabel, watchRestartObserver, type Metrics } from './metrics.js';
import type { KubeObject, ResourceRef } from './resource.js';
import type { IndexFunc } from './store.js';

/** Which objects of a resource type an informer holds (the part of its identity beyond cluster and type). */
export interface InformerSelection {
  /** One namespace (default: all). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Top-level fields left out of the cached objects (InformerOptions.dropFields). */
  dropFields?: readonly string[];
  /** `false`: no namespace index (InformerOptions.namespaceIndex); part of the selection. */
  namespaceIndex?: false;
}

export interface SharedInformerRequest<T extends KubeObject> extends InformerSelection {
  /**
   * Indexes the caller needs. Indexes are fixed when the informer is created: a later caller asking
   * for an index the shared informer lacks gets an error, not a silently unindexed cache.
   */
  indexers?: Record<string, IndexFunc<T>>;
}

/** Informer settings applied to every informer created here. */
export type InformerTuning = Pick<
  InformerOptions<KubeObject>,
  'pageSize' | 'idleTimeoutMs' | 'watchTimeoutSeconds' | 'backoff'
>;

export interface SharedInformersOptions {
  metrics?: Metrics;
  log?: Logger;
  tuning?: InformerTuning;
}

interface Entry {
  informer: Informer<KubeObject>;
  cluster: string;
  client: ClusterClient;
  indexes: Set<string>;
}

export class SharedInformers {
  private readonly entries = new Map<string, Entry>();
  private readonly metrics: Metrics;
  private readonly log: Logger;
  private started = false;

  constructor(private readonly options: SharedInformersOptions = {}) {
    this.metrics = options.metrics ?? processMetrics();
    this.log = options.log ?? rootLogger();
  }

  /**
   * The informer for (cluster, resource type, selection), created on first request. Informers are
   * keyed by the client's cluster name: the first client given for a cluster is the one used until
   * {@link forgetCluster}. An informer requested after {@link start} starts at once.
   */
  get<T extends KubeObject = KubeObject>(
    client: ClusterClient,
    ref: ResourceRef,
    request: SharedInformerRequest<T> = {},
  ): Informer<T> {
    const { namespace, labelSelector, fieldSelector, dropFields, indexers, namespaceIndex } = request;
    const key = JSON.stringify([
      client.name,
      ref.group,
      ref.version,
      ref.resource,
      namespace ?? '',
      labelSelector ?? '',
      fieldSelector ?? '',
      dropFields ?? [],
      namespaceIndex ?? true,
    ]);
    const existing = this.entries.get(key);
    if (existing) {
      const missing = Object.keys(indexers ?? {}).filter((name) => !existing.indexes.has(name));
      if (missing.length > 0)
        throw new Error(
          `${existing.informer.describe()} is shared and was created without the index(es) ${missing.join(', ')}; request every index where the informer is first requested`,
        );
      return existing.informer as unknown as Informer<T>;
    }
    const type = resourceLabel(ref);
    const log = this.log.child({ cluster: client.name, type });
    const observeRestart = watchRestartObserver(this.metrics, client.name, ref);
    const informer = new Informer<T>({
      ...this.options.tuning,
      client,
      resource: ref,
      ...(namespace ? { namespace } : {}),
      ...(labelSelector ? { labelSelector } : {}),
      ...(fieldSelector ? { fieldSelector } : {}),
      ...(dropFields ? { dropFields } : {}),
      ...(indexers ? { indexers } : {}),
      ...(namespaceIndex === false ? { namespaceIndex } : {}),
      onWatchRestart: (reason) => {
        observeRestart(reason);
        log.debug({ reason }, 'watch restarted');
      },
      log,
    });
    this.entries.set(key, {
      informer: informer as unknown as Informer<KubeObject>,
      cluster: client.name,
      client,
      indexes: new Set(Object.keys(indexers ?? {})),
    });
    if (this.started) informer.start();
    return informer;
  }

  /** Every informer created so far. */
  list(): Informer<KubeObject>[] {
    return [...this.entries.values()].map((e) => e.informer);
  }

  /** Starts every informer, and from now on each one created later. */
  start(): void {
    this.started = true;
    for (const { informer } of this.entries.values()) informer.start();
  }

  /** Stops every informer (their caches stay; a later start() resumes the watches). */
  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.entries.values()].map(({ informer }) => informer.stop()));
  }

  /**
   * Stops and drops the informers of a cluster (it left the federation or its client was replaced);
   * the next request for it creates new ones.
   */
  async forgetCluster(cluster: string): Promise<void> {
    const gone = [...this.entries].filter(([, e]) => e.cluster === cluster);
    for (const [key] of gone) this.entries.delete(key);
    await Promise.all(gone.map(([, e]) => e.informer.stop()));
  }

  /**
   * Stops and drops the informers built on `client` (replaced, e.g. after a credential change),
   * leaving those of other clients of the same cluster name alone; the next request for the
   * cluster creates new ones. The entries are dropped before this returns its promise.
   */
  async forgetClient(client: ClusterClient): Promise<void> {
    const gone = [...this.entries].filter(([, e]) => e.client === client);
    for (const [key] of gone) this.entries.delete(key);
    await Promise.all(gone.map(([, e]) => e.informer.stop()));
  }

  /** Whether every informer has synced (true when there are none). */
  hasSynced(): boolean {
    return this.list().every((i) => i.hasSynced());
  }

  /** Informers that have not synced yet, described for readiness and logs. */
  unsynced(): string[] {
    return this.list()
      .filter((i) => !i.hasSynced())
      .map((i) => i.describe());
  }

  /**
   * Resolves once every informer existing now has synced; rejects with the first informer's
   * {@link PollTimeout} (naming it and its last error) after `timeoutMs`.
   */
  async waitForSync(timeoutMs = 60_000): Promise<void> {
    await Promise.all(this.list().map((i) => i.waitForSync(timeoutMs)));
  }
}
