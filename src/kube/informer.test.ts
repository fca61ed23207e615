import { describe, expect, it } from 'vitest';
import { UnlistedKeys } from './informer.js';

/** A stand-in for the informer's sync signal: only `onceSynced` is read. */
function listing() {
  const waiting: (() => void)[] = [];
  return {
    onceSynced: (f: () => void) => void waiting.push(f),
    end: () => waiting.splice(0).forEach((f) => f()),
    waiting: () => waiting.length,
  };
}

describe('UnlistedKeys', () => {
  it('hands every parked key back once, when the initial list ends', () => {
    const informer = listing();
    const queued: string[] = [];
    const keys = new UnlistedKeys(informer, (k) => queued.push(k));
    keys.add('ns/a');
    keys.add('ns/b');
    keys.add('ns/a');
    expect(queued).toEqual([]);
    expect(informer.waiting()).toBe(1);
    informer.end();
    expect(queued).toEqual(['ns/a', 'ns/b']);
    informer.end();
    expect(queued).toEqual(['ns/a', 'ns/b']);
  });

  it('waits again for keys parked after a hand-back', () => {
    const informer = listing();
    const queued: string[] = [];
    const keys = new UnlistedKeys(informer, (k) => queued.push(k));
    keys.add('x');
    informer.end();
    keys.add('y');
    expect(queued).toEqual(['x']);
    informer.end();
    expect(queued).toEqual(['x', 'y']);
  });
});
