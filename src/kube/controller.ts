/**
 * A controller: informers feed keys into a {@link WorkQueue}; N workers take keys and reconcile
 * them. Reconcile is level-triggered (controller-runtime's contract): it gets a key, reads the
 * current state from caches, makes the world match, and says whether to look again. Events only
 * say "look again"; their payload is never handed to reconcile.
 *
 * The contract a controller built on this kit relies on:
 * - Watches are declared with the controller ({@link Controller.watch}): an informer and either a
 *   mapping of its objects to keys, or the controller's own handlers where a mapping is not enough
 *   (an update filter, a fan-out to every key). The handlers go on the (shared) informer and come
 *   off it when the controller stops, or when the function `watch` returns is called (a watch that
 *   ends before the controller, e.g. of a type that is no longer enabled). After stop() no event
 *   enqueues anything, and a watch declared after stop() adds no handler.
 * - The queue guarantees a key is never reconciled by two workers at once, that a key added during
 *   its reconcile is reconciled once more afterwards, and that failures back off per key.
 * - A reconcile catches only the errors it has an answer to (a conflict: `requeue`; not found:
 *   `done`) and throws the rest back to the controller, never swallows them: a reconcile that
 *   throws (or rejects) is logged once here (with its key), counted in
 *   `controller_runtime_reconcile_errors_total` and `controller_runtime_reconcile_total{result="error"}`,
 *   and retried with the key's backoff. One bad object never stops a controller.
 */
import type { EventHandlers, Informer, RemoveHandlers } from './informer.js';
import { rootLogger, type Logger } from './log.js';
import {
  processMetrics,
  queueMetrics,
  RECONCILE_OUTCOMES,
  type Metrics,
  type ReconcileOutcome,
} from './metrics.js';
import type { KubeObject } from './resource.js';
import { objectKey } from './store.js';
import { WorkQueue } from './workqueue.js';

/** What a reconcile asks for next. */
export type ReconcileResult =
  | { kind: 'done' }
  | { kind: 'requeue' }
  | { kind: 'requeueAfter'; afterMs: number }
  | { kind: 'detached'; settled: Promise<ReconcileResult> };

/** The world matches: forget the key's failures; it is reconciled again on its next event. */
export const done: ReconcileResult = { kind: 'done' };
/** Not there yet, without an error: look again after the key's backoff (which grows). */
export const requeue: ReconcileResult = { kind: 'requeue' };
/**
 * The reconcile goes on without its worker (e.g. waiting for writes to remote API servers): the
 * worker takes the next key while the key stays in process, so it is still never reconciled twice
 * at once, until `settled` gives the result. At most `maxDetached` keys are in process at once;
 * then the workers wait for one to settle. A pipelined controller keeps its CPU work on the workers and its network
 * waits off them.
 */
export function detached(settled: Promise<ReconcileResult>): ReconcileResult {
  return { kind: 'detached', settled };
}
/** Done for now, but look again after `ms` (e.g. to re-check a health or an expiry). */
export function requeueAfter(ms: number): ReconcileResult {
  if (!Number.isFinite(ms) || ms < 0)
    throw new RangeError(`requeueAfter needs a finite, non-negative delay (got ${ms})`);
  return { kind: 'requeueAfter', afterMs: ms };
}

export type Reconcile = (key: string, signal: AbortSignal) => Promise<ReconcileResult>;

export interface ControllerOptions {
  /** Names the controller and its queue in logs and metrics. */
  name: string;
  /** Keys reconciled concurrently (default 1). */
  workers?: number;
  /**
   * Keys in process at once, on a worker or {@link detached} from it (default 32; never fewer than
   * `workers`): with every slot taken, the workers wait for a detached reconcile to settle.
   */
  maxDetached?: number;
  /**
   * Makes the world match the state of `key`. `signal` is aborted when the reconcile overruns
   * `reconcileTimeoutMs` or the controller stops past its grace period: pass it to API calls.
   * Without `reconcileTimeoutMs` every reconcile gets the controller's one stop signal, so a
   * listener added to it must be removed.
   */
  reconcile: Reconcile;
  /** Per-key backoff of errors and `requeue` (default 5 ms doubling up to 60 s). */
  backoff?: { baseMs: number; maxMs: number };
  /** Overall rate and burst of retries, shared by all keys (default 10 per second, burst 100). */
  qps?: number;
  burst?: number;
  /** Aborts the signal of a reconcile running longer than this (default: no limit). */
  reconcileTimeoutMs?: number;
  /** How long {@link Controller.stop} lets in-flight reconciles finish before aborting them (default 30 s). */
  shutdownGraceMs?: number;
  metrics?: Metrics;
  log?: Logger;
}

/** How long stop() still waits for reconciles whose signal it aborted; one ignoring it is abandoned. */
const ABORTED_SETTLE_MS = 1000;

/** Maps an object of an informer to the keys to reconcile; none (undefined or []) to ignore it. */
export type KeysOf<T> = (obj: T) => string | string[] | undefined;

/** Ends one watch of a controller (removes its handlers); calling it again does nothing. */
export type Unwatch = () => void;

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly workers: number;
  private readonly metrics: Metrics;
  private readonly log: Logger;
  /** The watches in force: their informers make {@link hasSynced}; stop() removes their handlers. */
  private readonly watches = new Set<{ informer: Informer<KubeObject>; remove: RemoveHandlers }>();
  /** Aborted when stop() gives up waiting: the signal of every in-flight reconcile follows it. */
  private readonly stopping = new AbortController();
  /** Keys being reconciled, for the shutdown log. */
  private readonly inFlight = new Set<string>();
  /** Keys that may be in process (on a worker or detached) beyond those that are: see maxDetached. */
  private freeSlots: number;
  private readonly slotWaiters: (() => void)[] = [];
  private running?: Promise<void>;
  private stopped?: Promise<void>;

  constructor(private readonly options: ControllerOptions) {
    const workers = options.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1)
      throw new RangeError(`controller ${options.name}: workers must be a positive integer (got ${workers})`);
    this.name = options.name;
    this.workers = workers;
    const maxDetached = options.maxDetached ?? 32;
    if (!Number.isInteger(maxDetached) || maxDetached < 1)
      throw new RangeError(
        `controller ${options.name}: maxDetached must be a positive integer (got ${maxDetached})`,
      );
    this.freeSlots = Math.max(maxDetached, workers);
    this.metrics = options.metrics ?? processMetrics();
    this.log = (options.log ?? rootLogger()).child({ controller: options.name });
    this.queue = new WorkQueue({
      name: options.name,
      backoff: options.backoff ?? { baseMs: 5, maxMs: 60_000 },
      ...(options.qps === undefined ? {} : { qps: options.qps }),
      ...(options.burst === undefined ? {} : { burst: options.burst }),
      metrics: queueMetrics(this.metrics, options.name),
    });
    // Series that exist from the start, so rate() and absent() work before the first event.
    for (const result of RECONCILE_OUTCOMES)
      this.metrics.reconcile.total.inc({ controller: this.name, result }, 0);
    this.metrics.reconcile.errors.inc({ controller: this.name }, 0);
  }

  enqueue(key: string): void {
    this.queue.add(key);
  }

  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  /**
   * Watches an informer. With `keys` (default: the object's `namespace/name` key), every add, update
   * (both sides) and delete enqueues the keys the object maps to. With handlers, the controller
   * decides what an event enqueues (e.g. only some updates, or every key). Events only say "look
   * again": reconcile reads state by key. Call before or after start(); objects already cached are
   * delivered at once as adds. Returns the function that ends this watch before the controller does.
   */
  watch<T extends KubeObject>(informer: Informer<T>, keys?: KeysOf<T>): Unwatch;
  watch<T extends KubeObject>(informer: Informer<T>, handlers: EventHandlers<T>): Unwatch;
  watch<T extends KubeObject>(informer: Informer<T>, how: KeysOf<T> | EventHandlers<T> = objectKey): Unwatch {
    if (this.stopped) return () => undefined;
    const handlers = typeof how === 'function' ? this.keyHandlers(how) : how;
    const remove = informer.addHandlers(handlers);
    const entry = { informer: informer as unknown as Informer<KubeObject>, remove };
    this.watches.add(entry);
    return () => {
      this.watches.delete(entry);
      remove();
    };
  }

  /** Handlers that enqueue the keys `keys` maps an event's object(s) to. */
  private keyHandlers<T extends KubeObject>(keys: KeysOf<T>): EventHandlers<T> {
    const enqueue = (obj: T) => {
      let ks: string | string[] | undefined;
      try {
        ks = keys(obj);
      } catch (err) {
        this.log.error({ err, object: objectKey(obj) }, 'mapping an object to keys failed');
        return;
      }
      if (ks === undefined) return;
      for (const key of typeof ks === 'string' ? [ks] : ks) this.queue.add(key);
    };
    return {
      onAdd: enqueue,
      onUpdate: (oldObj, newObj) => {
        enqueue(oldObj);
        enqueue(newObj);
      },
      onDelete: enqueue,
    };
  }

  /** Whether every informer of a current {@link watch} has synced. */
  hasSynced(): boolean {
    for (const { informer } of this.watches) if (!informer.hasSynced()) return false;
    return true;
  }

  /** Starts the workers (once; a stopped controller cannot start again). */
  start(): void {
    if (this.stopped) throw new Error(`controller ${this.name} was stopped; create a new one`);
    if (this.running) return;
    this.log.info({ workers: this.workers }, 'starting workers');
    this.running = Promise.all(Array.from({ length: this.workers }, () => this.work())).then(() => undefined);
  }

  /**
   * Removes the handlers of every watch (at once: no event enqueues anything afterwards), stops
   * taking keys (keys still queued are dropped: level-triggered, they are seen again at the next
   * start) and waits for in-flight reconciles. Past `graceMs` (default: the controller's
   * `shutdownGraceMs`, 30 s) their signals are aborted and stop() waits at most one more second for
   * them; a reconcile that ignores its signal is abandoned, with an error logged.
   */
  stop(options: { graceMs?: number } = {}): Promise<void> {
    if (!this.stopped) {
      for (const w of this.watches) w.remove();
      this.watches.clear();
      this.stopped = this.shutDown(options.graceMs ?? this.options.shutdownGraceMs ?? 30_000);
    }
    return this.stopped;
  }

  private async shutDown(graceMs: number): Promise<void> {
    const drained = this.queue.shutDownWithDrain();
    if (!(await settlesWithin(drained, graceMs))) {
      this.log.warn(
        { keys: [...this.inFlight], graceMs },
        'reconciles outlived the grace period; aborting them',
      );
      this.stopping.abort(new Error(`controller ${this.name} is stopping`));
      if (!(await settlesWithin(drained, ABORTED_SETTLE_MS))) {
        this.log.error(
          { keys: [...this.inFlight] },
          'reconciles ignored their abort signal; abandoning them',
        );
        this.queue.shutDown();
        return;
      }
    }
    // Every key is done: the workers are only waiting to see the shut-down queue.
    await this.running;
    this.log.info('stopped');
  }

  private async work(): Promise<void> {
    for (;;) {
      // A slot per key in process (on a worker or detached), taken before the key.
      await this.acquireSlot();
      const key = await this.queue.get();
      if (key === undefined) {
        this.releaseSlot();
        return;
      }
      this.inFlight.add(key);
      const started = performance.now();
      let settled: Promise<ReconcileResult> | undefined;
      try {
        const result = await this.reconcileWithDeadline(key);
        if (result.kind === 'detached') settled = result.settled;
        else this.finish(key, started, { result });
      } catch (error) {
        this.finish(key, started, { error });
      }
      if (!settled) continue;
      void settled.then(
        (result) => this.finish(key, started, { result }),
        (error: unknown) => this.finish(key, started, { error }),
      );
    }
  }

  private async acquireSlot(): Promise<void> {
    while (this.freeSlots === 0) await new Promise<void>((resolve) => this.slotWaiters.push(resolve));
    this.freeSlots--;
  }

  private releaseSlot(): void {
    this.freeSlots++;
    this.slotWaiters.shift()?.();
  }

  /** Applies a reconcile's result (or its error) to the queue, records it, and releases the key. */
  private finish(key: string, started: number, end: { result: ReconcileResult } | { error: unknown }): void {
    let outcome: ReconcileOutcome;
    const r = 'result' in end ? end.result : undefined;
    try {
      switch (r?.kind) {
        case 'done':
          this.queue.forget(key);
          outcome = 'success';
          break;
        case 'requeue':
          this.queue.addRateLimited(key);
          outcome = 'requeue';
          break;
        case 'requeueAfter':
          this.queue.forget(key);
          this.queue.addAfter(key, r.afterMs);
          outcome = 'requeue_after';
          break;
        default: {
          // An error, or a detached reconcile settling with another detached result (not allowed).
          const err =
            'error' in end ? end.error : new Error('a detached reconcile settled as detached again');
          outcome = 'error';
          this.metrics.reconcile.errors.inc({ controller: this.name });
          this.log.error({ key, err }, 'reconcile failed');
          this.queue.addRateLimited(key);
        }
      }
      this.metrics.reconcile.total.inc({ controller: this.name, result: outcome });
      this.metrics.reconcile.time.observe({ controller: this.name }, (performance.now() - started) / 1000);
    } finally {
      this.inFlight.delete(key);
      this.queue.done(key);
      this.releaseSlot();
    }
  }

  /** Runs reconcile with a signal that follows the controller's stop and the reconcile timeout. */
  private async reconcileWithDeadline(key: string): Promise<ReconcileResult> {
    const timeoutMs = this.options.reconcileTimeoutMs;
    // Without a deadline the controller's own stop signal is the reconcile's: no controller,
    // listener and garbage per reconcile (a restart reconciles every object once).
    if (timeoutMs === undefined) return this.options.reconcile(key, this.stopping.signal);
    const abort = new AbortController();
    const onStop = () => abort.abort(this.stopping.signal.reason);
    this.stopping.signal.addEventListener('abort', onStop, { once: true });
    const timer = setTimeout(() => {
      this.log.warn({ key, timeoutMs }, 'reconcile overran its timeout; aborting it');
      abort.abort(new Error(`reconcile of ${key} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    try {
      return await this.options.reconcile(key, abort.signal);
    } finally {
      clearTimeout(timer);
      this.stopping.signal.removeEventListener('abort', onStop);
    }
  }
}

/** Whether `promise` settles within `ms` (a timer that keeps the process alive meanwhile). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
