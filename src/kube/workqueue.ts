/**
 * A rate-limited work queue for controllers, with client-go's workqueue contract
 * (`workqueue.TypedRateLimitingInterface`). Keys are strings such as `namespace/name`.
 *
 * - Stingy: a key waits in the queue at most once however often it is added, and is never handed
 *   to two workers at once. A key added while being processed is marked dirty and queued again
 *   (once) when its worker calls {@link WorkQueue.done}.
 * - Fair: keys are handed out in the order of their first add; concurrent `get()` callers are
 *   served in the order they started waiting.
 * - Shut down: adds are ignored from then on, keys still waiting and pending delayed adds are
 *   dropped, and `get()` resolves `undefined`. Unlike client-go, whose `Get` still hands out the
 *   keys queued before the shutdown, no key is handed out after it; a level-triggered controller
 *   sees them again at its next start.
 *
 * A worker loop:
 * ```ts
 * for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
 *   try {
 *     await reconcile(key);
 *     queue.forget(key);
 *   } catch {
 *     queue.addRateLimited(key);
 *   } finally {
 *     queue.done(key);
 *   }
 * }
 * ```
 */
import { TokenBucket } from './ratelimit.js';

export { TokenBucket };

/** Decides how long a key waits before it is retried (client-go's `TypedRateLimiter`). */
export interface RateLimiter {
  /** Records one more failure of `key`; returns how long (ms) it should wait before its retry. */
  when(key: string): number;
  /** Forgets `key`'s failures (call it once the key was processed successfully). */
  forget(key: string): void;
  /** How many failures of `key` are recorded. */
  numRequeues(key: string): number;
}

/** Per-key exponential backoff: `baseMs * 2^failures`, capped at `maxMs` (client-go: 5 ms and 1000 s). */
export class ItemExponentialBackoff implements RateLimiter {
  private readonly failures = new Map<string, number>();

  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1_000_000,
  ) {
    if (!(baseMs >= 0) || !(maxMs >= baseMs) || !Number.isFinite(maxMs)) {
      throw new Error(`backoff needs 0 <= baseMs <= maxMs, finite (got baseMs ${baseMs}, maxMs ${maxMs})`);
    }
  }

  when(key: string): number {
    const failures = this.failures.get(key) ?? 0;
    this.failures.set(key, failures + 1);
    return Math.min(this.baseMs * 2 ** failures, this.maxMs);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/** A {@link TokenBucket} shared by all keys, as a {@link RateLimiter} (client-go's `BucketRateLimiter`). */
export class BucketRateLimiter implements RateLimiter {
  constructor(readonly bucket: TokenBucket) {}

  when(_key: string): number {
    return this.bucket.take();
  }

  forget(_key: string): void {}

  numRequeues(_key: string): number {
    return 0;
  }
}

/** The longest delay of several limiters; each of them records every failure. */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.limiters = limiters;
  }

  when(key: string): number {
    let delay = 0;
    for (const limiter of this.limiters) delay = Math.max(delay, limiter.when(key));
    return delay;
  }

  forget(key: string): void {
    for (const limiter of this.limiters) limiter.forget(key);
  }

  numRequeues(key: string): number {
    let n = 0;
    for (const limiter of this.limiters) n = Math.max(n, limiter.numRequeues(key));
    return n;
  }
}

/**
 * Hooks for metrics (e.g. Prometheus). They run synchronously after the queue's state has changed
 * and must not throw: an exception reaches the caller of the queue method.
 */
export interface WorkQueueMetrics {
  /** A key became dirty (it was not already waiting to be processed). */
  onAdd?(key: string): void;
  /** A key was handed to a worker, `waitedMs` after the add that made it dirty. */
  onGet?(key: string, waitedMs: number): void;
  /** A worker called `done(key)`, `processedMs` after it got the key. */
  onDone?(key: string, processedMs: number): void;
  /** `addAfter` or `addRateLimited` was called for the key (client-go's retries counter). */
  onRetry?(key: string): void;
  /** The number of keys waiting ({@link WorkQueue.len}) changed to `n`. */
  depth?(n: number): void;
}

export interface WorkQueueOptions {
  /** Names the queue (for metrics and logs). */
  name: string;
  /** Per-key backoff of `addRateLimited` (default 5 ms doubling up to 1000 s). */
  backoff?: { baseMs: number; maxMs: number };
  /** Overall rate of `addRateLimited`, shared by all keys (default 10 per second). */
  qps?: number;
  /** Overall burst of `addRateLimited` (default 100). */
  burst?: number;
  /** Replaces the default limiter (the max of the per-key backoff and the overall token bucket). */
  rateLimiter?: RateLimiter;
  metrics?: WorkQueueMetrics;
}

/** Node's longest timer; a longer delay would fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface DelayedAdd {
  readyAt: number;
  timer: ReturnType<typeof setTimeout>;
}

export class WorkQueue {
  readonly name: string;
  readonly rateLimiter: RateLimiter;
  private readonly metrics: WorkQueueMetrics;
  /** Keys waiting to be handed out, in order (a Set keeps insertion order). Each is dirty, none processing. */
  private readonly queued = new Set<string>();
  /** Keys that need processing, with the time of the add that made them dirty. */
  private readonly dirty = new Map<string, number>();
  /** Keys handed to a worker and not yet done, with the time they were handed out. */
  private readonly processing = new Map<string, number>();
  /** `get()` callers waiting for a key; non-empty only while `queued` is empty. */
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly delayed = new Map<string, DelayedAdd>();
  private readonly drainers: (() => void)[] = [];
  private shuttingDown = false;

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.metrics = options.metrics ?? {};
    this.rateLimiter =
      options.rateLimiter ??
      new MaxOfRateLimiter(
        new ItemExponentialBackoff(options.backoff?.baseMs ?? 5, options.backoff?.maxMs ?? 1_000_000),
        new BucketRateLimiter(new TokenBucket(options.qps ?? 10, options.burst ?? 100)),
      );
  }

  /** Marks `key` as needing processing; ignored after shutdown. */
  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.set(key, performance.now());
    this.metrics.onAdd?.(key);
    // A key being processed goes back into the queue when its worker is done.
    if (!this.processing.has(key)) this.enqueue(key);
  }

  /**
   * Waits for the next key and marks it as being processed: the caller must call `done(key)`
   * when finished. Resolves `undefined` once the queue is shut down.
   */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const next = this.queued.values().next();
    if (next.done) return new Promise((resolve) => this.waiters.push(resolve));
    const key = next.value;
    this.queued.delete(key);
    this.metrics.depth?.(this.queued.size);
    this.startProcessing(key);
    return Promise.resolve(key);
  }

  /**
   * Marks `key` as processed; queues it again if it was added meanwhile (and the queue is not
   * shutting down). Does nothing for a key that is not being processed.
   */
  done(key: string): void {
    const startedAt = this.processing.get(key);
    if (startedAt === undefined) return;
    this.processing.delete(key);
    if (this.dirty.has(key)) this.enqueue(key);
    this.metrics.onDone?.(key, performance.now() - startedAt);
    if (this.shuttingDown && this.processing.size === 0) this.releaseDrainers();
  }

  /**
   * Adds `key` once `delayMs` have passed (at once if `delayMs <= 0`). If a delayed add of `key`
   * is already pending, the earlier of the two wins. Delays are capped at ~24.8 days (Node's
   * longest timer). Ignored after shutdown; pending delayed adds are cancelled by the shutdown.
   */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    this.metrics.onRetry?.(key);
    if (!(delayMs > 0)) {
      this.add(key);
      return;
    }
    const ms = Math.min(delayMs, MAX_TIMER_MS);
    const readyAt = performance.now() + ms;
    const pending = this.delayed.get(key);
    if (pending !== undefined) {
      if (pending.readyAt <= readyAt) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.delayed.set(key, { readyAt, timer });
  }

  /** Adds `key` after the delay its rate limiter gives (a failure of `key` is recorded). */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Resets `key`'s failures (call it once `key` was processed successfully). */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  /** How many failures of `key` are recorded since it was last forgotten. */
  numRequeues(key: string): number {
    return this.rateLimiter.numRequeues(key);
  }

  /** How many keys wait to be handed out (not counting keys being processed or delayed). */
  len(): number {
    return this.queued.size;
  }

  /** How many keys are handed out and not yet done. */
  processingCount(): number {
    return this.processing.size;
  }

  /** How many keys have a delayed add pending. */
  delayedCount(): number {
    return this.delayed.size;
  }

  /**
   * Shuts down at once: adds are ignored from now on, waiting keys and pending delayed adds are
   * dropped, waiting and later `get()` calls resolve `undefined`. Also ends the wait of an
   * earlier {@link shutDownWithDrain} (as in client-go).
   */
  shutDown(): void {
    this.beginShutdown();
    this.releaseDrainers();
  }

  /**
   * Shuts down like {@link shutDown}; resolves once every key being processed is `done()`.
   * Keys still waiting are dropped, not waited for. Never resolves if a worker never calls
   * `done()`, unless `shutDown()` is called.
   */
  shutDownWithDrain(): Promise<void> {
    this.beginShutdown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainers.push(resolve));
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Hands a dirty key to the first waiting worker, or queues it. */
  private enqueue(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter === undefined) {
      this.queued.add(key);
      this.metrics.depth?.(this.queued.size);
      return;
    }
    this.startProcessing(key);
    waiter(key);
  }

  private startProcessing(key: string): void {
    const now = performance.now();
    const addedAt = this.dirty.get(key) ?? now;
    this.dirty.delete(key);
    this.processing.set(key, now);
    this.metrics.onGet?.(key, now - addedAt);
  }

  private beginShutdown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    for (const { timer } of this.delayed.values()) clearTimeout(timer);
    this.delayed.clear();
    const dropped = this.queued.size;
    this.queued.clear();
    this.dirty.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
    if (dropped > 0) this.metrics.depth?.(0);
  }

  private releaseDrainers(): void {
    for (const drained of this.drainers.splice(0)) drained();
  }
}
