/**
 * Polling with a deadline whose failure explains itself: what was awaited and what was last seen.
 *
 * A check returns `{ done: true, value }` when the awaited state is reached, or
 * `{ done: false, seen }` describing the current state; a thrown error counts as "seen" too
 * (e.g. "connection refused") unless it is a {@link PollAbort}, which ends the wait at once.
 */
export type PollResult<T> = { done: true; value: T } | { done: false; seen: string };

export interface PollOptions {
  /** Total time to wait, in milliseconds. */
  timeoutMs: number;
  /** Delay between checks, in milliseconds (default 250). */
  intervalMs?: number;
  signal?: AbortSignal;
}

/** Thrown by a check to stop waiting immediately (the awaited state can no longer happen). */
export class PollAbort extends Error {
  override name = 'PollAbort';
}

export class PollTimeout extends Error {
  override name = 'PollTimeout';
  constructor(
    readonly what: string,
    readonly lastSeen: string,
    readonly timeoutMs: number,
  ) {
    super(`timed out after ${formatDuration(timeoutMs)} waiting for ${what}; last seen: ${lastSeen}`);
  }
}

export async function pollUntil<T>(
  what: string,
  check: () => Promise<PollResult<T>> | PollResult<T>,
  options: PollOptions,
): Promise<T> {
  const interval = options.intervalMs ?? 250;
  const deadline = Date.now() + options.timeoutMs;
  let lastSeen = 'nothing yet (no check completed)';
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const result = await check();
      if (result.done) return result.value;
      lastSeen = result.seen;
    } catch (err) {
      if (err instanceof PollAbort) throw err;
      lastSeen = err instanceof Error ? err.message : String(err);
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new PollTimeout(what, lastSeen, options.timeoutMs);
    await sleep(Math.min(interval, remaining), options.signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number.isInteger(s) ? s : s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - m * 60)}s`;
}
