/**
 * Recording core/v1 Events about objects, as client-go's `record` package with its
 * EventCorrelator: a controller calls {@link EventRecorder.event} and moves on; the recorder
 *
 * - drops events over a per-object token bucket (client-go's spam filter: burst 25, then one per
 *   5 minutes), so a hot loop cannot flood the API server or an object's event list;
 * - deduplicates: an event identical to one written in the last 10 minutes (same object, type,
 *   reason, message and source) bumps that Event's `count` and `lastTimestamp` with a PATCH;
 * - serialises writes per event identity, coalescing occurrences that arrive while a write is in
 *   flight, so a burst of identical events is one create then patches carrying the total count.
 *
 * Failed writes are logged, never thrown: events are diagnostics, and losing one must not fail a
 * reconcile. Not done (unlike client-go): aggregating *similar* events whose messages differ into
 * one "(combined from similar events)" Event, and retrying writes that failed.
 */
import type { ClusterClient } from './client.js';
import { isAlreadyExists, isNotFound } from './errors.js';
import { logger, type Logger } from './log.js';
import { ResourceClient, type KubeObject, type ResourceRef } from './resource.js';

const EVENTS: ResourceRef = { group: '', version: 'v1', resource: 'events', namespaced: true };

/** Identical events closer together than this update one Event (client-go's aggregation window). */
export const DEDUPE_WINDOW_MS = 10 * 60_000;
/** Longest message written (the API server's limit on event notes). */
export const MAX_MESSAGE_LENGTH = 1024;
/** Objects (and event identities) remembered, least recently used forgotten first (client-go's cache size). */
const CACHE_SIZE = 4096;

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  client: ClusterClient;
  /** `source.component`, e.g. `kubefed-controller-manager`. */
  component: string;
  /** `source.host` (e.g. the node or pod name); omitted when not given. */
  host?: string;
  /** Events an object may get at once before rate limiting (default 25). */
  burst?: number;
  /** One more event per object is allowed every this many ms (default 300000: 5 minutes). */
  refillEveryMs?: number;
  log?: Pick<Logger, 'debug' | 'warn'>;
}

/** The `involvedObject` of an Event: which object it is about. */
export interface ObjectReference {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
}

/** What makes two events "the same" for deduplication. */
export interface EventIdentity {
  involved: ObjectReference;
  type: EventType;
  reason: string;
  message: string;
  component: string;
  host?: string;
}

/** The rate-limiting key: the source and the involved object (not its resourceVersion). */
export function spamKey(involved: ObjectReference, component: string, host = ''): string {
  return JSON.stringify([
    component,
    host,
    involved.apiVersion,
    involved.kind,
    involved.namespace ?? '',
    involved.name,
    involved.uid ?? '',
  ]);
}

/** The deduplication key (client-go's `getEventKey`): the spam key plus type, reason and message. */
export function eventKey(e: EventIdentity): string {
  return JSON.stringify([spamKey(e.involved, e.component, e.host), e.type, e.reason, e.message]);
}

/** Cuts `message` to {@link MAX_MESSAGE_LENGTH} characters, never splitting a surrogate pair. */
export function truncateMessage(message: string, max = MAX_MESSAGE_LENGTH): string {
  if (message.length <= max) return message;
  const cut = message.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}

/**
 * The reference an Event needs, or why there is none: without apiVersion and kind (objects from a
 * list carry neither) `kubectl describe` could not find the event, so client-go refuses it too.
 */
export function objectReference(obj: KubeObject): ObjectReference | string {
  const { apiVersion, kind } = obj;
  const { name, namespace, uid, resourceVersion } = obj.metadata ?? {};
  if (!apiVersion || !kind) return 'the object has no apiVersion or kind';
  if (!name) return 'the object has no metadata.name';
  return {
    apiVersion,
    kind,
    name,
    ...(namespace ? { namespace } : {}),
    ...(uid ? { uid } : {}),
    ...(resourceVersion ? { resourceVersion } : {}),
  };
}

/**
 * Per-object token buckets (client-go's `EventSourceObjectSpamFilter`): `burst` events at once,
 * then one per `refillEveryMs`. A dropped event costs nothing, unlike a blocking limiter's debt.
 */
export class EventSpamFilter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly burst = 25,
    readonly refillEveryMs = 300_000,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(burst >= 1) || !(refillEveryMs > 0))
      throw new Error(
        `event rate limit needs burst >= 1 and refillEveryMs > 0 (got ${burst}, ${refillEveryMs})`,
      );
  }

  /** Takes a token for `key`; false when it has none left (the event is to be dropped). */
  allow(key: string): boolean {
    const now = this.now();
    const prior = this.buckets.get(key);
    const tokens = prior
      ? Math.min(this.burst, prior.tokens + (now - prior.at) / this.refillEveryMs)
      : this.burst;
    const allowed = tokens >= 1;
    remember(this.buckets, key, { tokens: allowed ? tokens - 1 : tokens, at: now });
    return allowed;
  }
}

/** One event identity's state: what was written, and occurrences waiting to be. */
interface Series {
  identity: EventIdentity;
  namespace: string;
  /** The Event written for this identity, once created. */
  name?: string;
  count: number;
  firstTimestamp?: string;
  /** When the Event was last written (ms since epoch), for the dedupe window. */
  writtenAt: number;
  pending: number;
  pendingFirst?: string;
  pendingLast?: string;
  busy: boolean;
}

export class EventRecorder {
  private readonly events: ResourceClient;
  private readonly spam: EventSpamFilter;
  private readonly series = new Map<string, Series>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly log: Pick<Logger, 'debug' | 'warn'>;

  constructor(private readonly options: EventRecorderOptions) {
    this.events = new ResourceClient(options.client, EVENTS);
    this.spam = new EventSpamFilter(options.burst ?? 25, options.refillEveryMs ?? 300_000);
    this.log = options.log ?? logger({ cluster: options.client.name, component: options.component });
  }

  /**
   * Records that `reason` happened to `involved`. Fire-and-forget: never throws, never blocks the
   * caller; the write happens in the background (see {@link flush}). The Event goes to the
   * object's namespace, or `default` for a cluster-scoped object.
   */
  event(involved: KubeObject, type: EventType, reason: string, message: string): void {
    try {
      const ref = objectReference(involved);
      if (typeof ref === 'string') {
        this.log.warn({ reason, involved: involved?.metadata?.name }, `not recording an event: ${ref}`);
        return;
      }
      const identity: EventIdentity = {
        involved: ref,
        type,
        reason,
        message: truncateMessage(message),
        component: this.options.component,
        ...(this.options.host ? { host: this.options.host } : {}),
      };
      if (!this.spam.allow(spamKey(ref, identity.component, identity.host))) {
        this.log.debug(
          { kind: ref.kind, namespace: ref.namespace, name: ref.name, reason },
          'event dropped: too many events for this object',
        );
        return;
      }
      const key = eventKey(identity);
      const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      const series = this.series.get(key) ?? {
        identity,
        namespace: ref.namespace ?? 'default',
        count: 0,
        writtenAt: 0,
        pending: 0,
        busy: false,
      };
      remember(this.series, key, series, (s) => !s.busy);
      series.identity.involved.resourceVersion = ref.resourceVersion;
      series.pending++;
      series.pendingFirst ??= stamp;
      series.pendingLast = stamp;
      if (!series.busy) {
        series.busy = true;
        const drained = this.drain(series);
        this.inflight.add(drained);
        void drained.finally(() => this.inflight.delete(drained));
      }
    } catch (err) {
      this.log.warn({ err, reason }, 'cannot record an event');
    }
  }

  /** Resolves once every event recorded so far has been written (or has failed and been logged). */
  async flush(): Promise<void> {
    await Promise.all([...this.inflight]);
  }

  /** Writes a series' pending occurrences until none are left; one write in flight per series. */
  private async drain(series: Series): Promise<void> {
    try {
      while (series.pending > 0) {
        const n = series.pending;
        const first = series.pendingFirst!;
        const last = series.pendingLast!;
        series.pending = 0;
        series.pendingFirst = series.pendingLast = undefined;
        try {
          await this.write(series, n, first, last);
        } catch (err) {
          this.log.warn(
            { err, reason: series.identity.reason, namespace: series.namespace },
            'cannot write an event',
          );
        }
      }
    } finally {
      series.busy = false;
    }
  }

  /** Adds `n` occurrences: a PATCH of the Event written within the window, else a new Event. */
  private async write(series: Series, n: number, first: string, last: string): Promise<void> {
    const now = Date.now();
    if (series.name && now - series.writtenAt <= DEDUPE_WINDOW_MS) {
      try {
        await this.events.patch(
          series.name,
          'merge',
          { count: series.count + n, lastTimestamp: last },
          { namespace: series.namespace },
        );
        series.count += n;
        series.writtenAt = now;
        return;
      } catch (err) {
        // Expired (Events live an hour by default): write it afresh, keeping the tally (as client-go).
        if (!isNotFound(err)) throw err;
      }
    } else {
      series.count = 0;
      series.firstTimestamp = first;
    }
    const { identity } = series;
    const count = series.count + n;
    try {
      const created = await this.events.create({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: eventName(identity.involved.name), namespace: series.namespace },
        involvedObject: identity.involved,
        type: identity.type,
        reason: identity.reason,
        message: identity.message,
        source: { component: identity.component, ...(identity.host ? { host: identity.host } : {}) },
        reportingComponent: identity.component,
        reportingInstance: identity.host ?? '',
        firstTimestamp: series.firstTimestamp ?? first,
        lastTimestamp: last,
        count,
      });
      series.name = created.metadata.name;
      series.count = count;
      series.writtenAt = now;
    } catch (err) {
      if (isAlreadyExists(err)) this.log.debug({ err }, 'event name taken; dropping the event');
      else throw err;
    }
  }
}

/** client-go's Event name: `<involvedName>.<hex nanoseconds>`, kept within 253 characters. */
function eventName(involvedName: string): string {
  const nanos = BigInt(Date.now()) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000));
  return `${involvedName.slice(0, 253 - 18)}.${nanos.toString(16)}`;
}

/**
 * Sets `key` as the most recently used entry of `map`, then forgets the least recently used
 * entries beyond {@link CACHE_SIZE} that `evictable` allows.
 */
function remember<V>(map: Map<string, V>, key: string, value: V, evictable: (v: V) => boolean = () => true) {
  map.delete(key);
  map.set(key, value);
  if (map.size <= CACHE_SIZE) return;
  for (const [k, v] of map) {
    if (map.size <= CACHE_SIZE) break;
    if (k !== key && evictable(v)) map.delete(k);
  }
}
