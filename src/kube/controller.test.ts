import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pollUntil } from '../poll.js';
import {
  Controller,
  detached,
  done,
  requeue,
  requeueAfter,
  type ControllerOptions,
  type ReconcileResult,
} from './controller.js';
import type { Informer } from './informer.js';
import type { Logger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { KubeObject } from './resource.js';

const controllers: Controller[] = [];

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(controllers.splice(0).map((c) => c.stop({ graceMs: 0 })));
});

/** A logger whose JSON lines the test can read. */
function capturingLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { log, lines };
}

function controller(options: Partial<ControllerOptions> & Pick<ControllerOptions, 'reconcile'>): {
  c: Controller;
  metrics: Metrics;
  lines: Record<string, unknown>[];
} {
  const metrics = createMetrics();
  const { log, lines } = capturingLog();
  const c = new Controller({ name: 'test', metrics, log, backoff: { baseMs: 1, maxMs: 20 }, ...options });
  controllers.push(c);
  return { c, metrics, lines };
}

const until = (what: string, check: () => boolean, timeoutMs = 5000) =>
  pollUntil(what, () => (check() ? { done: true, value: undefined } : { done: false, seen: 'not yet' }), {
    timeoutMs,
    intervalMs: 2,
  });

/** The value of one series of a counter or gauge, read from the registry. */
async function sample(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric?.values ?? []) as { value: number; labels: Record<string, string | number> }[];
  const match = values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want));
  return match?.value ?? 0;
}

describe('Controller', () => {
  it('forgets the failures of a key whose reconcile is done', async () => {
    const results: (ReconcileResult | Error)[] = [new Error('one'), new Error('two'), done];
    const requeuesSeen: number[] = [];
    const { c } = controller({
      reconcile: (key) => {
        requeuesSeen.push(c.queue.numRequeues(key));
        const next = results.shift() ?? done;
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
    });
    c.start();
    c.enqueue('ns/a');
    await until('three reconciles of ns/a', () => requeuesSeen.length === 3);
    await until('ns/a to be forgotten', () => c.queue.numRequeues('ns/a') === 0);
    expect(requeuesSeen).toEqual([0, 1, 2]);
    expect(c.queue.delayedCount()).toBe(0);
  });

  it('retries a key that asks to requeue, after a backoff that grows with each requeue', async () => {
    const at: number[] = [];
    const { c } = controller({
      backoff: { baseMs: 10, maxMs: 1000 },
      reconcile: () => {
        at.push(performance.now());
        return Promise.resolve(at.length < 4 ? requeue : done);
      },
    });
    c.start();
    c.enqueue('ns/a');
    await until('four reconciles', () => at.length === 4);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // Backoff 10, 20, 40 ms (timers may fire a little late, never early).
    expect(gaps[0]).toBeGreaterThanOrEqual(9);
    expect(gaps[1]).toBeGreaterThanOrEqual(19);
    expect(gaps[2]).toBeGreaterThanOrEqual(39);
    await until('the key to be forgotten', () => c.queue.numRequeues('ns/a') === 0);
  });

  it('reconciles a key again after the delay requeueAfter asks for, with its failures forgotten', async () => {
    vi.useFakeTimers();
    const results: (ReconcileResult | Error)[] = [new Error('boom'), requeueAfter(5000), done];
    let calls = 0;
    const { c } = controller({
      reconcile: () => {
        calls++;
        const next = results.shift() ?? done;
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
    });
    c.start();
    c.enqueue('ns/a');
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(25); // the error's backoff (1 ms)
    expect(calls).toBe(2);
    expect(c.queue.numRequeues('ns/a')).toBe(0);
    expect(c.queue.delayedCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(4900);
    expect(calls).toBe(2);
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(3);
    expect(c.queue.delayedCount()).toBe(0);
  });

  it('rejects a negative or non-finite requeueAfter delay', () => {
    expect(() => requeueAfter(-1)).toThrow(/non-negative/);
    expect(() => requeueAfter(Number.NaN)).toThrow(/finite/);
    expect(requeueAfter(0)).toEqual({ kind: 'requeueAfter', afterMs: 0 });
  });

  it('logs a failed reconcile with controller, key and error, retries it, and keeps reconciling other keys', async () => {
    let badCalls = 0;
    const good: string[] = [];
    const { c, lines, metrics } = controller({
      workers: 1,
      reconcile: (key) => {
        if (key === 'ns/bad') {
          badCalls++;
          return Promise.reject(new Error(`cannot reconcile ${key}`));
        }
        good.push(key);
        return Promise.resolve(done);
      },
    });
    c.start();
    c.enqueue('ns/bad');
    for (let i = 0; i < 5; i++) c.enqueue(`ns/good-${i}`);
    await until('every good key and three attempts of the bad one', () => good.length === 5 && badCalls >= 3);
    const failure = lines.find((l) => l.msg === 'reconcile failed');
    expect(failure).toMatchObject({
      controller: 'test',
      key: 'ns/bad',
      level: 50,
      err: { message: 'cannot reconcile ns/bad' },
    });
    expect(c.queue.numRequeues('ns/bad')).toBeGreaterThanOrEqual(2);
    expect(await sample(metrics, 'controller_runtime_reconcile_errors_total', { controller: 'test' })).toBe(
      badCalls,
    );
  });

  it('never reconciles one key in two workers at once (workers=4)', async () => {
    const running = new Set<string>();
    let overlaps = 0;
    let concurrent = 0;
    let maxConcurrent = 0;
    let reconciles = 0;
    const { c } = controller({
      workers: 4,
      reconcile: async (key) => {
        if (running.has(key)) overlaps++;
        running.add(key);
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        // Re-adding a key while it is processed must queue it again, not run it in parallel.
        c.enqueue(key);
        await new Promise((r) => setTimeout(r, 1 + Math.random() * 3));
        running.delete(key);
        concurrent--;
        reconciles++;
        return done;
      },
    });
    c.start();
    const keys = ['ns/a', 'ns/b', 'ns/c', 'ns/d', 'ns/e', 'ns/f'];
    for (let round = 0; round < 5; round++) for (const key of keys) c.enqueue(key);
    await until('200 reconciles', () => reconciles >= 200, 10_000);
    await c.stop();
    expect(overlaps).toBe(0);
    expect(maxConcurrent).toBe(4);
  });

  it('stop() waits for an in-flight reconcile to finish and hands out no more keys', async () => {
    let release!: () => void;
    const reconciled: string[] = [];
    const { c } = controller({
      reconcile: async (key, signal) => {
        if (key === 'ns/slow') await new Promise<void>((r) => (release = r));
        expect(signal.aborted).toBe(false);
        reconciled.push(key);
        return done;
      },
    });
    c.start();
    c.enqueue('ns/slow');
    await until('the slow reconcile to start', () => c.queue.processingCount() === 1);
    c.enqueue('ns/queued');
    let stopped = false;
    const stopping = c.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(reconciled).toEqual(['ns/slow']);
    c.enqueue('ns/after');
    await new Promise((r) => setTimeout(r, 10));
    expect(reconciled).toEqual(['ns/slow']);
    expect(() => c.start()).toThrow(/was stopped/);
  });

  it('stop() aborts the signal of a reconcile that outlives the grace period', async () => {
    let abortedWith: unknown;
    const { c, lines } = controller({
      shutdownGraceMs: 20,
      reconcile: (_key, signal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            abortedWith = signal.reason;
            reject(signal.reason as Error);
          }),
        ),
    });
    c.start();
    c.enqueue('ns/stuck');
    await until('the reconcile to start', () => c.queue.processingCount() === 1);
    const started = performance.now();
    await c.stop();
    expect(performance.now() - started).toBeGreaterThanOrEqual(19);
    expect(String(abortedWith)).toMatch(/controller test is stopping/);
    expect(lines.find((l) => l.msg === 'reconciles outlived the grace period; aborting them')).toMatchObject({
      keys: ['ns/stuck'],
    });
  });

  it('aborts the signal of a reconcile that overruns reconcileTimeoutMs and retries the key', async () => {
    let calls = 0;
    const { c, metrics } = controller({
      reconcileTimeoutMs: 20,
      reconcile: (_key, signal) => {
        calls++;
        if (calls > 1) return Promise.resolve(done);
        return new Promise((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason as Error)),
        );
      },
    });
    c.start();
    c.enqueue('ns/hangs');
    await until('the retry after the timeout', () => calls === 2);
    await until('the retry to be counted', () => c.queue.processingCount() === 0);
    expect(
      await sample(metrics, 'controller_runtime_reconcile_total', { controller: 'test', result: 'error' }),
    ).toBe(1);
    expect(
      await sample(metrics, 'controller_runtime_reconcile_total', { controller: 'test', result: 'success' }),
    ).toBe(1);
  });

  it('counts reconciles by result, their time, and the queue metrics of its queue', async () => {
    const plan: Record<string, ReconcileResult | Error> = {
      'ns/ok': done,
      'ns/again': requeue,
      'ns/later': requeueAfter(60_000),
      'ns/fails': new Error('no'),
    };
    const seen = new Map<string, number>();
    const { c, metrics } = controller({
      reconcile: (key) => {
        seen.set(key, (seen.get(key) ?? 0) + 1);
        // Only the first attempt follows the plan, so the counts below are exact.
        const next = seen.get(key) === 1 ? plan[key]! : done;
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
    });
    c.start();
    for (const key of Object.keys(plan)) c.enqueue(key);
    await until('each key reconciled and the retries settled', () => seen.size === 4 && c.queue.len() === 0);
    await until('retries done', () => seen.get('ns/again') === 2 && seen.get('ns/fails') === 2);
    await until('the queue to be idle', () => c.queue.processingCount() === 0);
    const total = (result: string) =>
      sample(metrics, 'controller_runtime_reconcile_total', { controller: 'test', result });
    expect(await total('success')).toBe(3);
    expect(await total('requeue')).toBe(1);
    expect(await total('requeue_after')).toBe(1);
    expect(await total('error')).toBe(1);
    expect(await sample(metrics, 'controller_runtime_reconcile_errors_total', { controller: 'test' })).toBe(
      1,
    );
    expect(await sample(metrics, 'workqueue_adds_total', { name: 'test' })).toBe(6);
    expect(await sample(metrics, 'workqueue_retries_total', { name: 'test' })).toBe(3);
    expect(await sample(metrics, 'workqueue_depth', { name: 'test' })).toBe(0);
    const text = await metrics.registry.getSingleMetricAsString('controller_runtime_reconcile_time_seconds');
    expect(text).toContain('controller_runtime_reconcile_time_seconds_count{controller="test"} 6');
    const work = await metrics.registry.getSingleMetricAsString('workqueue_work_duration_seconds');
    expect(work).toContain('workqueue_work_duration_seconds_count{name="test"} 6');
  });

  it('enqueues the keys an informer event maps to, for adds, both sides of updates, and deletes', () => {
    let handlers: Parameters<Informer<KubeObject>['addHandlers']>[0] = {};
    const informer = {
      addHandlers: (h: typeof handlers) => {
        handlers = h;
        return () => undefined;
      },
      hasSynced: () => true,
    } as unknown as Informer<KubeObject>;
    const { c } = controller({ reconcile: () => Promise.resolve(done) });
    const obj = (name: string, owner?: string): KubeObject => ({
      metadata: { name, namespace: 'ns', ...(owner ? { labels: { owner } } : {}) },
    });
    c.watch(informer, (o) => (o.metadata.labels?.owner ? `ns/${o.metadata.labels.owner}` : undefined));
    handlers.onAdd?.(obj('child-1', 'parent-a'));
    handlers.onAdd?.(obj('orphan'));
    handlers.onUpdate?.(obj('child-2', 'parent-a'), obj('child-2', 'parent-b'));
    handlers.onDelete?.(obj('child-3', 'parent-c'));
    expect(c.queue.len()).toBe(3);

    const { c: byName } = controller({ reconcile: () => Promise.resolve(done) });
    byName.watch(informer);
    handlers.onAdd?.(obj('x'));
    expect(byName.queue.len()).toBe(1);
    expect(byName.hasSynced()).toBe(true);
  });

  /** An informer stand-in that keeps its handlers and delivers the events the test sends. */
  function handlerSet(synced = true) {
    type Handlers = Parameters<Informer<KubeObject>['addHandlers']>[0];
    const handlers = new Set<Handlers>();
    const informer = {
      addHandlers: (h: Handlers) => {
        const entry = { ...h };
        handlers.add(entry);
        return () => void handlers.delete(entry);
      },
      hasSynced: () => synced,
    } as unknown as Informer<KubeObject>;
    return {
      informer,
      handlers,
      add: (o: KubeObject) => [...handlers].forEach((h) => h.onAdd?.(o)),
      update: (a: KubeObject, b: KubeObject) => [...handlers].forEach((h) => h.onUpdate?.(a, b)),
      remove: (o: KubeObject) => [...handlers].forEach((h) => h.onDelete?.(o)),
    };
  }
  const named = (name: string): KubeObject => ({ metadata: { name, namespace: 'ns' } });

  it('removes the handlers of every watch when it stops: an event after stop enqueues nothing', async () => {
    const shared = handlerSet();
    const seenByOwnHandlers: string[] = [];
    const { c } = controller({ reconcile: () => Promise.resolve(done) });
    c.watch(shared.informer);
    c.watch(shared.informer, {
      onUpdate: (_a, b) => {
        seenByOwnHandlers.push(b.metadata.name!);
        c.enqueue(`own/${b.metadata.name}`);
      },
    });
    shared.update(named('a'), named('a'));
    expect(c.queue.len()).toBe(2);
    expect(shared.handlers.size).toBe(2);

    const stopped = c.stop({ graceMs: 0 });
    expect(shared.handlers.size).toBe(0);
    shared.add(named('b'));
    shared.update(named('c'), named('c'));
    shared.remove(named('d'));
    await stopped;
    expect(seenByOwnHandlers).toEqual(['a']);
    expect(c.queue.len()).toBe(0);

    // A watch declared after stop (e.g. by a reconcile that was still running) adds nothing.
    c.watch(shared.informer)();
    expect(shared.handlers.size).toBe(0);
  });

  it('ends one watch before the controller stops, and its informer no longer counts for hasSynced', () => {
    const synced = handlerSet(true);
    const unsynced = handlerSet(false);
    const { c } = controller({ reconcile: () => Promise.resolve(done) });
    c.watch(synced.informer);
    const unwatch = c.watch(unsynced.informer);
    expect(c.hasSynced()).toBe(false);
    unwatch();
    unwatch();
    expect(unsynced.handlers.size).toBe(0);
    expect(synced.handlers.size).toBe(1);
    expect(c.hasSynced()).toBe(true);
    unsynced.add(named('x'));
    expect(c.queue.len()).toBe(0);
    synced.add(named('y'));
    expect(c.queue.len()).toBe(1);
  });

  it('counts a reconcile that throws in the errors metric, logs it once, and backs its key off', async () => {
    let calls = 0;
    const { c, metrics, lines } = controller({
      backoff: { baseMs: 300, maxMs: 1_000 },
      reconcile: () => {
        calls++;
        return Promise.reject(new Error('the member refused the write'));
      },
    });
    c.start();
    c.enqueue('ns/a');
    await until('the first failure to be requeued with backoff', () => c.queue.numRequeues('ns/a') === 1);
    expect(calls).toBe(1);
    expect(await sample(metrics, 'controller_runtime_reconcile_errors_total', { controller: 'test' })).toBe(
      1,
    );
    expect(
      await sample(metrics, 'controller_runtime_reconcile_total', { controller: 'test', result: 'error' }),
    ).toBe(1);
    const failures = lines.filter((l) => l.msg === 'reconcile failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ key: 'ns/a', err: { message: 'the member refused the write' } });
    // The retry waits out the key's backoff (300 ms), not at once.
    expect(c.queue.delayedCount()).toBe(1);
    await until('the retry after the backoff', () => calls === 2);
    await until('the second failure to be counted', () => c.queue.numRequeues('ns/a') === 2);
    expect(await sample(metrics, 'controller_runtime_reconcile_errors_total', { controller: 'test' })).toBe(
      2,
    );
  });

  describe('detached reconciles (pipelining)', () => {
    /** A promise and its resolver. */
    const deferred = <T>() => {
      let resolve!: (v: T) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
      return { promise, resolve, reject };
    };

    it('lets one worker take other keys while a detached reconcile waits, and holds its key until it settles', async () => {
      const pending = new Map<string, ReturnType<typeof deferred<ReconcileResult>>>();
      const started: string[] = [];
      const { c } = controller({
        workers: 1,
        reconcile: (key) => {
          started.push(key);
          const d = deferred<ReconcileResult>();
          pending.set(`${key}#${started.filter((k) => k === key).length}`, d);
          return Promise.resolve(detached(d.promise));
        },
      });
      c.start();
      c.enqueue('a');
      c.enqueue('b');
      await until('both keys started on the one worker', () => started.length === 2);
      expect(started).toEqual(['a', 'b']);
      // Added again while its detached reconcile runs: not reconciled a second time at once.
      c.enqueue('a');
      await new Promise((r) => setTimeout(r, 20));
      expect(started).toEqual(['a', 'b']);
      pending.get('a#1')!.resolve(done);
      await until('a reconciled again once the first settled', () => started.length === 3);
      expect(started).toEqual(['a', 'b', 'a']);
      pending.get('b#1')!.resolve(done);
      pending.get('a#2')!.resolve(done);
    });

    it('runs at most maxDetached at once: the workers wait for one to settle', async () => {
      const pending: ReturnType<typeof deferred<ReconcileResult>>[] = [];
      const { c } = controller({
        workers: 2,
        maxDetached: 3,
        reconcile: () => {
          const d = deferred<ReconcileResult>();
          pending.push(d);
          return Promise.resolve(detached(d.promise));
        },
      });
      c.start();
      for (const k of ['k1', 'k2', 'k3', 'k4', 'k5']) c.enqueue(k);
      await until('three detached', () => pending.length === 3);
      await new Promise((r) => setTimeout(r, 20));
      expect(pending.length).toBe(3);
      pending[0]!.resolve(done);
      await until('a fourth once one settled', () => pending.length === 4);
      await new Promise((r) => setTimeout(r, 20));
      expect(pending.length).toBe(4);
      for (const d of pending) d.resolve(done);
      await until('the fifth', () => pending.length === 5);
      pending[4]!.resolve(done);
    });

    it('applies the settled result: a rejection or requeue backs off and retries, done forgets, and each is counted', async () => {
      let calls = 0;
      const { c, metrics, lines } = controller({
        reconcile: () => {
          calls++;
          const n = calls;
          return Promise.resolve(
            detached(
              n === 1
                ? Promise.reject(new Error('member write failed'))
                : Promise.resolve(n === 2 ? requeue : done),
            ),
          );
        },
      });
      c.start();
      c.enqueue('x');
      await until('three reconciles (error, requeue, done)', () => calls === 3);
      await until(
        'the last settled',
        () => c.queue.numRequeues('x') === 0 && c.queue.processingCount() === 0,
      );
      expect(
        await sample(metrics, 'controller_runtime_reconcile_total', { controller: 'test', result: 'error' }),
      ).toBe(1);
      expect(
        await sample(metrics, 'controller_runtime_reconcile_total', {
          controller: 'test',
          result: 'requeue',
        }),
      ).toBe(1);
      expect(
        await sample(metrics, 'controller_runtime_reconcile_total', {
          controller: 'test',
          result: 'success',
        }),
      ).toBe(1);
      expect(
        lines.some(
          (l) =>
            l.msg === 'reconcile failed' &&
            (l.err as { message?: string })?.message === 'member write failed',
        ),
      ).toBe(true);
    });

    it('stop() waits for detached reconciles to settle', async () => {
      const d = deferred<ReconcileResult>();
      const { c } = controller({ reconcile: () => Promise.resolve(detached(d.promise)) });
      c.start();
      c.enqueue('x');
      await until('detached', () => c.queue.processingCount() === 1);
      let stopped = false;
      const stopping = c.stop({ graceMs: 5_000 }).then(() => (stopped = true));
      await new Promise((r) => setTimeout(r, 30));
      expect(stopped).toBe(false);
      d.resolve(done);
      await stopping;
      expect(stopped).toBe(true);
    });
  });
});
