/**
 * An informer: list, then watch (with bookmarks) from the last resourceVersion, into an indexed
 * cache, calling handlers on add/update/delete. It never silently stops: a watch that ends is
 * resumed from the last resourceVersion, a 410 Gone relists (diffing against the cache so handlers
 * see exactly the changes), errors back off exponentially, and a watch that stays silent longer
 * than the idle timeout (a frozen server) is torn down and restarted.
 *
 * Cached objects carry no `metadata.managedFields` (as controller-runtime's
 * TransformStripManagedFields): no controller reads them, and they are about a third of a small
 * object's memory. Writes built from a cached object leave the server's managedFields as they are
 * (an update without the field keeps them). `dropFields` drops more top-level fields a user of
 * the cache never reads (e.g. a ConfigMap's `data`): such a cached object must never be written
 * back whole.
 */
import { PollTimeout, sleep } from '../poll.js';
import type { ClusterClient } from './client.js';
import { errorFromResponse, isGone, type KubeStatus } from './errors.js';
import type { Logger } from './log.js';
import { resourcePath, ResourceClient, type KubeObject, type ResourceRef } from './resource.js';
import { objectKey, Store, type IndexFunc } from './store.js';

export interface EventHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

/** Removes handlers added by {@link Informer.addHandlers}; calling it again does nothing. */
export type RemoveHandlers = () => void;

export interface InformerOptions<T extends KubeObject> {
  client: ClusterClient;
  resource: ResourceRef;
  /** Limit to one namespace (default: all). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Top-level fields left out of cached objects (see above); `metadata.<field>` for one of metadata's. */
  dropFields?: readonly string[];
  indexers?: Record<string, IndexFunc<T>>;
  /** `false`: the store has no namespace index (see Store). */
  namespaceIndex?: boolean;
  /** Page size of the initial list (default 500). */
  pageSize?: number;
  /** Restart a watch that delivered nothing (not even a bookmark) for this long (default 90 s). */
  idleTimeoutMs?: number;
  /** Server-side watch timeout; a random value in [min, 2*min) spreads reconnects (default 300 s). */
  watchTimeoutSeconds?: number;
  backoff?: { initialMs: number; maxMs: number };
  /** Observes restarts (for metrics): `reason` is `gone`, `error`, `idle` or `closed`. */
  onWatchRestart?: (reason: 'gone' | 'error' | 'idle' | 'closed') => void;
  log?: Pick<Logger, 'warn' | 'debug'>;
}

interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T | KubeStatus;
}

class IdleTimeout extends Error {}

/**
 * One copy of each namespace and of each short label and annotation value, shared by every
 * cached object that has it (JSON.parse makes a string per occurrence): `kubefed.io/managed:
 * "true"` on every member copy, the namespace of every object. Forgotten wholesale when it grows
 * past its bound (the strings stay shared by the objects that hold them).
 */
const interned = new Map<string, string>();
const INTERN_MAX = 65_536;
const INTERN_MAX_LENGTH = 256;

function intern(s: string): string {
  if (s.length > INTERN_MAX_LENGTH) return s;
  const have = interned.get(s);
  if (have !== undefined) return have;
  if (interned.size >= INTERN_MAX) interned.clear();
  interned.set(s, s);
  return s;
}

function internValues(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) out[k] = typeof v === 'string' ? intern(v) : v;
  return out;
}

export class Informer<T extends KubeObject = KubeObject> {
  readonly store: Store<T>;
  /** One entry per addHandlers call (a Set: removing one while an event is delivered is safe). */
  private readonly handlers = new Set<{ h: EventHandlers<T> }>();
  private readonly resourceClient: ResourceClient<T>;
  private stopController?: AbortController;
  private running?: Promise<void>;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private rv = '';
  /** The last error the loop recovered from (for status and tests). */
  lastError?: Error;
  /** Counts of list and watch starts, for tests and metrics. */
  readonly stats = { lists: 0, watches: 0, events: 0 };

  /** Top-level fields left out of cached objects. */
  private readonly dropped: ReadonlySet<string>;
  /** Fields of `metadata` left out (`metadata.uid` in dropFields). */
  private readonly droppedMetadata: ReadonlySet<string>;

  constructor(private readonly options: InformerOptions<T>) {
    const drop = options.dropFields ?? [];
    this.dropped = new Set(drop.filter((f) => !f.startsWith('metadata.')));
    this.droppedMetadata = new Set(
      drop.filter((f) => f.startsWith('metadata.')).map((f) => f.slice('metadata.'.length)),
    );
    this.store = new Store<T>(options.indexers, { namespaceIndex: options.namespaceIndex !== false });
    this.resourceClient = new ResourceClient<T>(options.client, options.resource);
  }

  get cluster(): string {
    return this.options.client.name;
  }

  /** The resourceVersion the cache reflects. */
  get resourceVersion(): string {
    return this.rv;
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /**
   * Adds handlers. They first get an `onAdd` for every cached object (also for the pages of an
   * initial list already in), so late subscribers see the same world as early ones. Returns the
   * function that removes them: a shared informer outlives the controllers that subscribe to it,
   * so each removes its handlers when it stops. Once removed, handlers get no further event (not
   * even the rest of an event being delivered).
   */
  addHandlers(h: EventHandlers<T>): RemoveHandlers {
    const entry = { h };
    this.handlers.add(entry);
    for (const obj of this.store.list()) {
      if (!this.handlers.has(entry)) break;
      this.call(h, 'onAdd', obj);
    }
    return () => void this.handlers.delete(entry);
  }

  /** Calls `f` once the initial list is in the cache (at once if it is). */
  onceSynced(f: () => void): void {
    if (this.synced) f();
    else this.syncWaiters.push(f);
  }

  start(): void {
    if (this.running) return;
    this.stopController = new AbortController();
    this.running = this.run(this.stopController.signal);
  }

  async stop(): Promise<void> {
    this.stopController?.abort();
    await this.running;
    this.running = undefined;
  }

  /** Resolves once the initial list is in the cache; rejects after `timeoutMs`. */
  async waitForSync(timeoutMs = 60_000): Promise<void> {
    if (this.synced) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.syncWaiters.push(resolve)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new PollTimeout(`${this.describe()} to sync`, this.lastError?.message ?? 'no error', timeoutMs),
            ),
          timeoutMs,
        );
      }),
    ]).finally(() => clearTimeout(timer));
  }

  describe(): string {
    const { resource, namespace, labelSelector } = this.options;
    return `informer ${resource.resource}${resource.group ? `.${resource.group}` : ''}${namespace ? ` in ${namespace}` : ''}${labelSelector ? ` (${labelSelector})` : ''} on ${this.cluster}`;
  }

  private call<K extends keyof EventHandlers<T>>(
    h: EventHandlers<T>,
    kind: K,
    ...args: Parameters<NonNullable<EventHandlers<T>[K]>>
  ): void {
    try {
      (h[kind] as ((...a: unknown[]) => void) | undefined)?.(...args);
    } catch (err) {
      this.options.log?.warn({ err, handler: kind }, `${this.describe()}: event handler failed`);
    }
  }

  /**
   * The object as cached: apiVersion and kind first (lists leave them out of items), then the rest
   * without managedFields and `dropFields`, its namespace and label/annotation values interned.
   * Built anew: `delete` would leave V8 dictionary-mode objects, each several hundred bytes larger
   * (seen in a heap snapshot of the manager: most of its memory per cached object).
   */
  private admit(raw: T, listKind?: string): T {
    const metadata: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw.metadata)) {
      if (k === 'managedFields' || this.droppedMetadata.has(k)) continue;
      metadata[k] =
        k === 'namespace' && typeof v === 'string'
          ? intern(v)
          : (k === 'labels' || k === 'annotations') && v !== null && typeof v === 'object'
            ? internValues(v as Record<string, unknown>)
            : v;
    }
    const ref = this.options.resource;
    const out: Record<string, unknown> = {
      apiVersion: raw.apiVersion ?? (ref.group ? `${ref.group}/${ref.version}` : ref.version),
      kind: raw.kind ?? listKind,
      metadata,
    };
    for (const k of Object.keys(raw)) {
      if (k === 'apiVersion' || k === 'kind' || k === 'metadata' || this.dropped.has(k)) continue;
      out[k] = (raw as Record<string, unknown>)[k];
    }
    return out as T;
  }

  private emit<K extends keyof EventHandlers<T>>(
    kind: K,
    ...args: Parameters<NonNullable<EventHandlers<T>[K]>>
  ): void {
    for (const entry of this.handlers) this.call(entry.h, kind, ...args);
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 800, maxMs: 30_000 };
    let delay = initialMs;
    // After stop()/start() a synced informer resumes its watch from the last resourceVersion.
    let needList = !this.synced;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.list(signal);
          needList = false;
        }
        const progressed = await this.watch(signal);
        // A watch the server closed (timeout) resumes from the last resourceVersion, without a relist.
        this.options.onWatchRestart?.('closed');
        if (progressed) delay = initialMs;
        continue;
      } catch (err) {
        if (signal.aborted) break;
        if (isGone(err)) {
          // Our resourceVersion was compacted away: relist at once, diffing into the cache.
          this.options.onWatchRestart?.('gone');
          this.options.log?.debug({ rv: this.rv }, `${this.describe()}: resourceVersion too old, relisting`);
          needList = true;
          continue;
        }
        this.lastError = err as Error;
        this.options.onWatchRestart?.(err instanceof IdleTimeout ? 'idle' : 'error');
        this.options.log?.warn(
          { err: (err as Error).message, retryInMs: Math.round(delay) },
          `${this.describe()}: list/watch failed, retrying`,
        );
        await sleep(delay * (0.5 + Math.random() / 2), signal).catch(() => undefined);
        delay = Math.min(delay * 2, maxMs);
      }
    }
  }

  /**
   * Lists into the cache page by page: each page's objects are in the store, and their handlers
   * called, as soon as it arrives, so that consumers can start on the first objects of a big
   * initial list while the API server still serves the rest (`hasSynced()` stays false until the
   * last page; objects missing from the list are removed at the end). The pages are one snapshot:
   * continuation pages are served at the first page's resourceVersion.
   *
   * The initial list asks for resourceVersion "0", as client-go's reflector does: the API server
   * answers from its watch cache, whole, instead of reading every continuation page from etcd
   * (10,000 federated objects: ~2.6 s against ~10 s paged on one local API server). It may lag
   * the latest write by a moment; the watch from the returned resourceVersion brings the rest. A
   * relist after 410 Gone reads consistently (no resourceVersion): it must not go back in time.
   */
  private async list(signal: AbortSignal): Promise<void> {
    this.stats.lists++;
    const started = performance.now();
    const options = {
      ...(this.options.namespace ? { namespace: this.options.namespace } : {}),
      ...(this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {}),
      ...(this.options.fieldSelector ? { fieldSelector: this.options.fieldSelector } : {}),
      limit: this.options.pageSize ?? 500,
      signal,
    };
    const seen = new Set<string>();
    let page = await this.resourceClient.list({
      ...options,
      ...(this.synced || this.store.size > 0 ? {} : { resourceVersion: '0' }),
    });
    const rv = page.metadata.resourceVersion ?? '';
    const listKind = page.kind?.replace(/List$/, '');
    for (;;) {
      for (const raw of page.items) {
        const item = this.admit(raw, listKind);
        const key = objectKey(item);
        seen.add(key);
        const old = this.store.upsert(item);
        if (!old) this.emit('onAdd', item);
        else if (old.metadata.resourceVersion !== item.metadata.resourceVersion)
          this.emit('onUpdate', old, item);
      }
      const cont = page.metadata.continue;
      if (!cont) break;
      page = await this.resourceClient.list({ ...options, continue: cont });
    }
    for (const key of this.store.keys()) {
      if (!seen.has(key)) {
        const gone = this.store.remove(key);
        if (gone) this.emit('onDelete', gone);
      }
    }
    this.rv = rv;
    this.options.log?.debug(
      { objects: seen.size, ms: Math.round(performance.now() - started) },
      `${this.describe()}: listed`,
    );
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  /** Watches from `this.rv` until the server ends the watch; true if any event arrived. */
  private async watch(signal: AbortSignal): Promise<boolean> {
    this.stats.watches++;
    const min = this.options.watchTimeoutSeconds ?? 300;
    const stream = await this.options.client.stream({
      path: resourcePath(this.options.resource, this.options.namespace),
      query: {
        watch: true,
        allowWatchBookmarks: true,
        resourceVersion: this.rv,
        timeoutSeconds: Math.floor(min + Math.random() * min),
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
      },
      signal,
      verb: 'watch',
    });
    const idleMs = this.options.idleTimeoutMs ?? 90_000;
    let idle = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        idle = true;
        stream.close();
      }, idleMs);
    };
    arm();
    let progressed = false;
    try {
      for await (const line of stream.lines) {
        arm();
        const event = JSON.parse(line) as WatchEvent<T>;
        if (event.type === 'ERROR') {
          const status = event.object as KubeStatus;
          throw errorFromResponse(status.code ?? 500, JSON.stringify(status), {
            cluster: this.cluster,
            method: 'WATCH',
            path: resourcePath(this.options.resource, this.options.namespace),
          });
        }
        progressed = true;
        this.stats.events++;
        if (event.type === 'BOOKMARK') {
          this.rv = (event.object as T).metadata.resourceVersion ?? this.rv;
          continue;
        }
        const obj = this.admit(event.object as T);
        const key = objectKey(obj);
        if (event.type === 'DELETED') {
          this.store.remove(key);
          this.emit('onDelete', obj);
        } else {
          const old = this.store.upsert(obj);
          if (old) this.emit('onUpdate', old, obj);
          else this.emit('onAdd', obj);
        }
        this.rv = obj.metadata.resourceVersion ?? this.rv;
      }
    } finally {
      clearTimeout(timer);
      stream.close();
    }
    if (idle && !signal.aborted) throw new IdleTimeout(`no watch event or bookmark for ${idleMs} ms`);
    return progressed;
  }
}

/**
 * Keys that wait for an informer's initial list to end (a key not in a partly listed cache may be
 * one not listed yet): held without a worker or a requeue timer, handed to `enqueue` once at the
 * end of the list.
 */
export class UnlistedKeys {
  private readonly keys = new Set<string>();

  constructor(
    private readonly informer: Pick<Informer, 'onceSynced'>,
    private readonly enqueue: (key: string) => void,
  ) {}

  add(key: string): void {
    if (this.keys.size === 0)
      this.informer.onceSynced(() => {
        for (const k of this.keys) this.enqueue(k);
        this.keys.clear();
      });
    this.keys.add(key);
  }
}
