import { describe, expect, it } from 'vitest';
import type { PropagationStatus } from '../../federation/status.js';
import type { DispatchOutcome } from './dispatch.js';
import { mapBounded } from './dispatch.js';
import {
  deletionPending,
  nextStep,
  REMOVAL_RECHECK_MS,
  statusOutcomes,
  writtenVersions,
} from './outcomes.js';

const outcome = (
  cluster: string,
  status: PropagationStatus,
  extra: Partial<DispatchOutcome> = {},
): DispatchOutcome => ({ cluster, status, wrote: false, events: [], ...extra });

describe('statusOutcomes', () => {
  it('attaches remote statuses to placed clusters that are as desired, never to failed ones', () => {
    const m = statusOutcomes(
      [outcome('c1', ''), outcome('c2', 'UpdateFailed', { message: 'no' }), outcome('c3', '')],
      ['c1', 'c2', 'c3'],
      new Map([
        ['c1', { replicas: 2 }],
        ['c2', { replicas: 1 }],
        ['c3', undefined],
      ]),
    );
    expect([...m]).toEqual([
      ['c1', { status: '', remoteStatus: { replicas: 2 } }],
      ['c2', { status: 'UpdateFailed', message: 'no' }],
      ['c3', { status: '' }],
    ]);
  });

  it('lists every placed cluster and unplaced clusters still being cleaned up', () => {
    const m = statusOutcomes(
      [
        outcome('c1', '', { version: 'gen:1' }),
        outcome('c2', 'UpdateFailed', { message: 'immutable' }),
        outcome('c3', 'WaitingForRemoval'),
        outcome('c4', '', { wrote: true }),
      ],
      ['c1', 'c2'],
    );
    expect([...m]).toEqual([
      ['c1', { status: '' }],
      ['c2', { status: 'UpdateFailed', message: 'immutable' }],
      ['c3', { status: 'WaitingForRemoval' }],
    ]);
  });
});

describe('writtenVersions', () => {
  it('records the versions of clusters that are as desired only', () => {
    expect([
      ...writtenVersions([
        outcome('c1', '', { version: 'gen:2' }),
        outcome('c2', 'UpdateFailed', { version: 'gen:1' }),
        outcome('c3', ''),
      ]),
    ]).toEqual([['c1', 'gen:2']]);
  });
});

describe('nextStep', () => {
  it.each<[string, PropagationStatus[], ReturnType<typeof nextStep>]>([
    ['all ok ⇒ done', ['', ''], { kind: 'done' }],
    ['a retryable failure ⇒ backoff', ['', 'CreationFailed', 'WaitingForRemoval'], { kind: 'backoff' }],
    ['a timeout ⇒ backoff', ['UpdateTimedOut'], { kind: 'backoff' }],
    [
      'a copy being removed ⇒ recheck',
      ['', 'WaitingForRemoval'],
      { kind: 'recheck', afterMs: REMOVAL_RECHECK_MS },
    ],
    [
      'a non-retryable failure ⇒ wait for an event',
      ['AlreadyExists', 'ApplyOverridesFailed'],
      { kind: 'done' },
    ],
  ])('%s', (_what, statuses, expected) => {
    expect(nextStep(statuses.map((s, i) => outcome(`c${i}`, s)))).toEqual(expected);
  });
});

describe('deletionPending', () => {
  it('is undefined when every cluster is done', () => {
    expect(deletionPending([outcome('c1', '', { wrote: true })])).toBeUndefined();
  });
  it('rechecks while copies are removed or a placed cluster is not Ready', () => {
    expect(deletionPending([outcome('c1', 'WaitingForRemoval'), outcome('c2', 'ClusterNotReady')])).toEqual({
      kind: 'recheck',
      afterMs: REMOVAL_RECHECK_MS,
    });
  });
  it('backs off after a failed delete', () => {
    expect(deletionPending([outcome('c1', 'DeletionFailed')])).toEqual({ kind: 'backoff' });
  });
});

describe('mapBounded', () => {
  it('keeps input order and never runs more than the limit at once', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapBounded([5, 1, 4, 2, 3], 2, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, n));
      inFlight--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });
  it('handles no items', async () => {
    expect(await mapBounded([], 4, () => Promise.resolve(1))).toEqual([]);
  });
});
