import { describe, expect, it } from 'vitest';
import { formatDuration, PollAbort, pollUntil, PollTimeout } from './poll.js';

describe('pollUntil', () => {
  it('returns the value once the check is done', async () => {
    let n = 0;
    const v = await pollUntil(
      'n to reach 3',
      () => (++n >= 3 ? { done: true, value: n } : { done: false, seen: `n=${n}` }),
      {
        timeoutMs: 1000,
        intervalMs: 1,
      },
    );
    expect(v).toBe(3);
  });

  it('says what it awaited and what it last saw when it times out', async () => {
    let n = 0;
    const err = await pollUntil('the moon', () => ({ done: false, seen: `attempt ${++n}` }), {
      timeoutMs: 50,
      intervalMs: 5,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PollTimeout);
    expect((err as Error).message).toMatch(
      /^timed out after 50ms waiting for the moon; last seen: attempt \d+$/,
    );
    expect((err as PollTimeout).lastSeen).toBe(`attempt ${n}`);
  });

  it('reports a thrown error as what it last saw', async () => {
    const err = await pollUntil('a server', () => Promise.reject(new Error('ECONNREFUSED')), {
      timeoutMs: 20,
      intervalMs: 5,
    }).catch((e: unknown) => e);
    expect((err as Error).message).toContain('last seen: ECONNREFUSED');
  });

  it('stops at once on PollAbort', async () => {
    let calls = 0;
    const err = await pollUntil(
      'x',
      () => {
        calls++;
        throw new PollAbort('process exited');
      },
      { timeoutMs: 10_000, intervalMs: 5 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PollAbort);
    expect(calls).toBe(1);
  });
});

describe('formatDuration', () => {
  it.each([
    [250, '250ms'],
    [4000, '4s'],
    [4400, '4.4s'],
    [95_000, '1m35s'],
  ])('%d ms -> %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
