import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BucketRateLimiter,
  ItemExponentialBackoff,
  MaxOfRateLimiter,
  type RateLimiter,
  TokenBucket,
  WorkQueue,
} from './workqueue.js';

afterEach(() => {
  vi.useRealTimers();
});

/** Lets pending promise callbacks and I/O run (real timers only). */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A deterministic pseudo-random source (mulberry32), so a failing run can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Records a promise's outcome so a test can tell whether it is still pending. */
function track<T>(promise: Promise<T>): { settled: boolean; value?: T } {
  const state: { settled: boolean; value?: T } = { settled: false };
  void promise.then((value) => {
    state.settled = true;
    state.value = value;
  });
  return state;
}

describe('WorkQueue', () => {
  it('hands out a key added several times while queued only once', async () => {
    const q = new WorkQueue({ name: 'test' });
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
    expect(q.len()).toBe(0);
    expect(q.processingCount()).toBe(2);
  });

  it('hands out keys in the order they were first added', async () => {
    const q = new WorkQueue({ name: 'test' });
    const keys = ['c1/ns/z', 'c1/ns/a', 'c2/ns/m', 'ns/b'];
    for (const key of keys) q.add(key);
    q.add('c1/ns/z');
    const got = [];
    for (let i = 0; i < keys.length; i++) got.push(await q.get());
    expect(got).toEqual(keys);
  });

  it('serves concurrent get() callers in the order they started waiting', async () => {
    const q = new WorkQueue({ name: 'test' });
    const first = q.get();
    const second = q.get();
    const third = q.get();
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/c');
    expect(await Promise.all([first, second, third])).toEqual(['ns/a', 'ns/b', 'ns/c']);
    expect(q.processingCount()).toBe(3);
  });

  it('re-queues a key once when it is added during processing, and not before done()', async () => {
    const q = new WorkQueue({ name: 'test' });
    q.add('ns/a');
    expect(await q.get()).toBe('ns/a');
    q.add('ns/a');
    q.add('ns/a');
    expect(q.len()).toBe(0);
    const next = track(q.get());
    await turn();
    expect(next.settled).toBe(false);

    q.done('ns/a');
    await turn();
    expect(next).toEqual({ settled: true, value: 'ns/a' });
    expect(q.processingCount()).toBe(1);

    q.done('ns/a');
    expect(q.len()).toBe(0);
    expect(q.processingCount()).toBe(0);
  });

  it('ignores done() for a key that is not being processed', async () => {
    const q = new WorkQueue({ name: 'test' });
    q.add('ns/a');
    q.done('ns/a');
    q.done('ns/other');
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('ns/a');
    q.done('ns/a');
    expect(q.len()).toBe(0);
  });

  it('never hands a key to two workers at once, and reprocesses every key added after its last start', async () => {
    const q = new WorkQueue({ name: 'stress' });
    const rand = random(42);
    const inFlight = new Set<string>();
    const lastAdd = new Map<string, number>();
    const lastStart = new Map<string, number>();
    let clock = 0;
    let overlaps = 0;
    let maxConcurrent = 0;
    let addsDuringProcessing = 0;

    const worker = async () => {
      for (let key = await q.get(); key !== undefined; key = await q.get()) {
        if (inFlight.has(key)) overlaps++;
        inFlight.add(key);
        maxConcurrent = Math.max(maxConcurrent, inFlight.size);
        lastStart.set(key, ++clock);
        for (let i = Math.floor(rand() * 4); i > 0; i--) await turn();
        inFlight.delete(key);
        q.done(key);
      }
    };
    const workers = Array.from({ length: 4 }, worker);

    for (let i = 0; i < 1000; i++) {
      const key = `ns/obj-${Math.floor(rand() * 20)}`;
      if (inFlight.has(key)) addsDuringProcessing++;
      lastAdd.set(key, ++clock);
      q.add(key);
      if (rand() < 0.5) await turn();
    }
    while (q.len() > 0 || q.processingCount() > 0) await turn();
    q.shutDown();
    await Promise.all(workers);

    expect(overlaps).toBe(0);
    expect(maxConcurrent).toBe(4);
    expect(addsDuringProcessing).toBeGreaterThan(0);
    expect(lastAdd.size).toBe(20);
    for (const [key, added] of lastAdd) expect(lastStart.get(key), key).toBeGreaterThan(added);
  });

  it('adds after the delay, and at once when the delay is not positive', () => {
    vi.useFakeTimers();
    const q = new WorkQueue({ name: 'test' });
    q.addAfter('ns/now', 0);
    q.addAfter('ns/negative', -5);
    q.addAfter('ns/later', 50);
    expect(q.len()).toBe(2);
    expect(q.delayedCount()).toBe(1);
    vi.advanceTimersByTime(49);
    expect(q.len()).toBe(2);
    vi.advanceTimersByTime(1);
    expect(q.len()).toBe(3);
    expect(q.delayedCount()).toBe(0);
  });

  it('addAfter keeps the earliest ready time of a key', () => {
    vi.useFakeTimers();
    const q = new WorkQueue({ name: 'test' });
    q.addAfter('ns/a', 100);
    q.addAfter('ns/a', 300); // later: ignored
    vi.advanceTimersByTime(50);
    q.addAfter('ns/a', 20); // ready at 70, earlier than 100: wins
    expect(q.delayedCount()).toBe(1);
    vi.advanceTimersByTime(19);
    expect(q.len()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(q.len()).toBe(1);
    expect(q.delayedCount()).toBe(0);
    vi.advanceTimersByTime(1000);
    expect(q.len()).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('addRateLimited waits the per-key backoff, which doubles per failure; forget resets it', async () => {
    vi.useFakeTimers();
    const q = new WorkQueue({ name: 'test', backoff: { baseMs: 10, maxMs: 1000 } });
    const readyAfter = async (key: string): Promise<number> => {
      q.addRateLimited(key);
      let waited = 0;
      while (q.len() === 0) {
        vi.advanceTimersByTime(1);
        waited++;
      }
      q.done((await q.get())!);
      return waited;
    };
    expect(await readyAfter('ns/a')).toBe(10);
    expect(await readyAfter('ns/a')).toBe(20);
    expect(await readyAfter('ns/a')).toBe(40);
    expect(q.numRequeues('ns/a')).toBe(3);
    expect(await readyAfter('ns/b')).toBe(10);
    q.forget('ns/a');
    expect(q.numRequeues('ns/a')).toBe(0);
    expect(await readyAfter('ns/a')).toBe(10);
  });

  it('addRateLimited is spaced by the shared token bucket once its burst is spent', () => {
    vi.useFakeTimers();
    const q = new WorkQueue({ name: 'test', qps: 10, burst: 2, backoff: { baseMs: 1, maxMs: 1 } });
    for (const key of ['ns/a', 'ns/b', 'ns/c', 'ns/d']) q.addRateLimited(key);
    expect(q.delayedCount()).toBe(4);
    vi.advanceTimersByTime(1);
    expect(q.len()).toBe(2); // the burst
    vi.advanceTimersByTime(98);
    expect(q.len()).toBe(2);
    vi.advanceTimersByTime(1);
    expect(q.len()).toBe(3); // 1/qps later
    vi.advanceTimersByTime(100);
    expect(q.len()).toBe(4);
  });

  it('shutDown resolves waiting get() calls with undefined and ignores later adds', async () => {
    const q = new WorkQueue({ name: 'test' });
    const waiting = [q.get(), q.get()];
    q.shutDown();
    expect(await Promise.all(waiting)).toEqual([undefined, undefined]);
    expect(q.isShuttingDown()).toBe(true);
    q.add('ns/a');
    q.addAfter('ns/b', 0);
    q.addRateLimited('ns/c');
    expect(q.len()).toBe(0);
    expect(q.delayedCount()).toBe(0);
    expect(q.numRequeues('ns/c')).toBe(0);
    expect(await q.get()).toBeUndefined();
  });

  it('shutDown drops waiting keys, and done() no longer re-queues', async () => {
    const q = new WorkQueue({ name: 'test' });
    q.add('ns/a');
    q.add('ns/b');
    expect(await q.get()).toBe('ns/a');
    q.add('ns/a'); // dirty while processing
    q.shutDown();
    expect(q.len()).toBe(0);
    expect(await q.get()).toBeUndefined();
    q.done('ns/a');
    expect(q.len()).toBe(0);
    expect(q.processingCount()).toBe(0);
  });

  it('shutDownWithDrain resolves only once every key being processed is done()', async () => {
    const q = new WorkQueue({ name: 'test' });
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/queued');
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
    const drained = track(q.shutDownWithDrain());
    expect(q.isShuttingDown()).toBe(true);
    expect(await q.get()).toBeUndefined(); // the still-queued key is dropped
    q.done('ns/a');
    await turn();
    expect(drained.settled).toBe(false);
    q.done('ns/b');
    await turn();
    expect(drained.settled).toBe(true);
  });

  it('shutDownWithDrain resolves at once when nothing is being processed', async () => {
    const q = new WorkQueue({ name: 'test' });
    q.add('ns/a');
    await expect(q.shutDownWithDrain()).resolves.toBeUndefined();
  });

  it('shutDown ends the wait of an earlier shutDownWithDrain', async () => {
    const q = new WorkQueue({ name: 'test' });
    q.add('ns/a');
    await q.get();
    const drained = track(q.shutDownWithDrain());
    await turn();
    expect(drained.settled).toBe(false);
    q.shutDown();
    await turn();
    expect(drained.settled).toBe(true);
  });

  it('shutDown cancels pending delayed adds and leaves no timers behind', () => {
    vi.useFakeTimers();
    const q = new WorkQueue({ name: 'test', backoff: { baseMs: 5000, maxMs: 60_000 } });
    q.addAfter('ns/a', 1000);
    q.addRateLimited('ns/b');
    q.addRateLimited('ns/b');
    expect(q.delayedCount()).toBe(2);
    expect(vi.getTimerCount()).toBe(2);
    q.shutDown();
    expect(q.delayedCount()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(120_000);
    expect(q.len()).toBe(0);
  });

  it('reports adds, time waited, time processed, retries and depth to the metrics hooks', async () => {
    vi.useFakeTimers();
    const events: string[] = [];
    const q = new WorkQueue({
      name: 'test',
      metrics: {
        onAdd: (key) => events.push(`add ${key}`),
        onGet: (key, waitedMs) => events.push(`get ${key} waited ${waitedMs}`),
        onDone: (key, processedMs) => events.push(`done ${key} took ${processedMs}`),
        onRetry: (key) => events.push(`retry ${key}`),
        depth: (n) => events.push(`depth ${n}`),
      },
    });
    q.add('ns/a');
    q.add('ns/a');
    vi.advanceTimersByTime(30);
    const key = await q.get();
    vi.advanceTimersByTime(5);
    q.add('ns/a'); // dirty while processing: waits from now on
    vi.advanceTimersByTime(15);
    q.done(key!);
    q.addAfter('ns/b', 10);
    vi.advanceTimersByTime(10);
    q.shutDown();
    expect(events).toEqual([
      'add ns/a',
      'depth 1',
      'depth 0',
      'get ns/a waited 30',
      'add ns/a',
      'depth 1',
      'done ns/a took 20',
      'retry ns/b',
      'add ns/b',
      'depth 2',
      'depth 0',
    ]);
  });
});

describe('ItemExponentialBackoff', () => {
  it('doubles the delay per failure of a key up to the cap, per key', () => {
    const backoff = new ItemExponentialBackoff(5000, 60_000);
    const delays = Array.from({ length: 6 }, () => backoff.when('ns/a'));
    expect(delays).toEqual([5000, 10_000, 20_000, 40_000, 60_000, 60_000]);
    expect(backoff.numRequeues('ns/a')).toBe(6);
    expect(backoff.when('ns/b')).toBe(5000);
  });

  it('defaults to client-go: 5 ms doubling up to 1000 s, without overflowing', () => {
    const backoff = new ItemExponentialBackoff();
    expect([backoff.when('k'), backoff.when('k'), backoff.when('k')]).toEqual([5, 10, 20]);
    for (let i = 0; i < 2000; i++) backoff.when('k');
    expect(backoff.when('k')).toBe(1_000_000);
  });

  it('forget resets the failures of a key', () => {
    const backoff = new ItemExponentialBackoff(5, 1000);
    backoff.when('ns/a');
    backoff.when('ns/a');
    backoff.forget('ns/a');
    expect(backoff.numRequeues('ns/a')).toBe(0);
    expect(backoff.when('ns/a')).toBe(5);
  });

  it('rejects a base above the cap', () => {
    expect(() => new ItemExponentialBackoff(10, 5)).toThrow(/baseMs <= maxMs/);
  });
});

describe('TokenBucket', () => {
  it('serves the burst at once, then reserves tokens 1/qps apart', () => {
    vi.useFakeTimers();
    const bucket = new TokenBucket(10, 3);
    expect(Array.from({ length: 6 }, () => bucket.take())).toEqual([0, 0, 0, 100, 200, 300]);
    vi.advanceTimersByTime(400); // pays back the reservations, and one token more
    expect(bucket.take()).toBe(0);
    expect(bucket.take()).toBe(100);
  });

  it('refills up to the burst only', () => {
    vi.useFakeTimers();
    const bucket = new TokenBucket(10, 2);
    bucket.take();
    bucket.take();
    vi.advanceTimersByTime(60_000);
    expect([bucket.take(), bucket.take(), bucket.take()]).toEqual([0, 0, 100]);
  });
});

describe('MaxOfRateLimiter', () => {
  it('gives the longest delay of its limiters, and forgets in all of them', () => {
    vi.useFakeTimers();
    const backoff = new ItemExponentialBackoff(5, 1000);
    const limiter: RateLimiter = new MaxOfRateLimiter(backoff, new BucketRateLimiter(new TokenBucket(10, 1)));
    expect(limiter.when('ns/a')).toBe(5); // backoff 5, bucket 0
    expect(limiter.when('ns/b')).toBe(100); // backoff 5, bucket 100
    expect(limiter.when('ns/a')).toBe(200); // backoff 10, bucket 200
    expect(limiter.numRequeues('ns/a')).toBe(2);
    limiter.forget('ns/a');
    expect(limiter.numRequeues('ns/a')).toBe(0);
    expect(backoff.numRequeues('ns/b')).toBe(1);
  });
});
