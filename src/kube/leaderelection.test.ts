import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { pollUntil } from '../poll.js';
import type { ClusterClient, KubeRequest } from './client.js';
import { KubeError, type ErrorKind } from './errors.js';
import {
  LeaderElector,
  leaseRecord,
  microTime,
  shouldAcquire,
  validateLeaderElection,
  type LeaderElectionOptions,
  type LeaderElectionRecord,
} from './leaderelection.js';
import type { KubeObject } from './resource.js';

const silent = pino({ level: 'silent' });

describe('validateLeaderElection', () => {
  const base = { namespace: 'ns', name: 'lease', identity: 'me' };

  it('accepts the defaults and leaseDuration > renewDeadline > retryPeriod * 1.2', () => {
    expect(() => validateLeaderElection(base)).not.toThrow();
    expect(() =>
      validateLeaderElection({ ...base, leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 }),
    ).not.toThrow();
  });

  it('rejects a renew deadline not shorter than the lease duration', () => {
    expect(() => validateLeaderElection({ ...base, leaseDurationMs: 2000, renewDeadlineMs: 2000 })).toThrow(
      'leaseDurationMs (2000) must be greater than renewDeadlineMs (2000)',
    );
  });

  it('rejects a retry period that leaves no second renewal attempt within the deadline', () => {
    expect(() => validateLeaderElection({ ...base, renewDeadlineMs: 2400, retryPeriodMs: 2000 })).toThrow(
      'renewDeadlineMs (2400) must be greater than retryPeriodMs * 1.2 (2400)',
    );
  });

  it('rejects non-positive durations and a missing identity or lease name', () => {
    expect(() => validateLeaderElection({ ...base, retryPeriodMs: 0 })).toThrow(
      'retryPeriodMs must be a positive number (got 0)',
    );
    expect(() => validateLeaderElection({ ...base, identity: '' })).toThrow('identity is empty');
    expect(() => validateLeaderElection({ ...base, name: '' })).toThrow('namespace and name are required');
  });

  it('is applied by the constructor', () => {
    expect(
      () => new LeaderElector({ ...base, client: fakeApi().client, leaseDurationMs: 1000, log: silent }),
    ).toThrow(/invalid leader election settings/);
  });
});

describe('shouldAcquire', () => {
  const held: LeaderElectionRecord = {
    holderIdentity: 'other',
    leaseDurationSeconds: 15,
    leaseTransitions: 3,
  };

  it('takes a released lease (no holder) at once, whatever its duration', () => {
    expect(shouldAcquire({ ...held, holderIdentity: '' }, 1000, 1000, 'me')).toBe(true);
  });

  it('renews its own lease', () => {
    expect(shouldAcquire({ ...held, holderIdentity: 'me' }, 1000, 1001, 'me')).toBe(true);
  });

  it("waits the record's lease duration from when the record was observed, on our clock", () => {
    expect(shouldAcquire(held, 1000, 1000 + 14_999, 'me')).toBe(false);
    expect(shouldAcquire(held, 1000, 1000 + 15_000, 'me')).toBe(true);
    // The holder's renewTime plays no part: clocks of different hosts are never compared.
    expect(shouldAcquire({ ...held, renewTime: '1970-01-01T00:00:00.000000Z' }, 1000, 2000, 'me')).toBe(
      false,
    );
  });

  it('treats a record without a duration as expired (as client-go)', () => {
    expect(shouldAcquire({ ...held, leaseDurationSeconds: 0 }, 1000, 1000, 'me')).toBe(true);
  });
});

describe('lease records', () => {
  it('formats MicroTime with six fractional digits', () => {
    expect(microTime(new Date(Date.UTC(2026, 10, 25, 14, 0, 0, 123)))).toBe('2026-11-25T14:00:00.123000Z');
  });

  it('reads absent or null fields as empty and zero', () => {
    expect(leaseRecord({ metadata: {} })).toEqual({
      holderIdentity: '',
      leaseDurationSeconds: 0,
      leaseTransitions: 0,
    });
    expect(
      leaseRecord({
        metadata: {},
        spec: { holderIdentity: null, leaseDurationSeconds: 3, leaseTransitions: 2 },
      }),
    ).toEqual({ holderIdentity: '', leaseDurationSeconds: 3, leaseTransitions: 2 });
  });
});

/**
 * An in-memory API server holding Leases, with resourceVersion preconditions; `fail` makes every
 * request of one client fail as a partitioned network would.
 */
function fakeApi() {
  const leases = new Map<string, KubeObject>();
  /** When each lease was last written, on the monotonic clock. */
  const writtenAt = new Map<string, number>();
  let rv = 0;
  const clientFor = (name: string) => {
    const state = { fail: false as false | ErrorKind };
    const client = {
      name,
      request: (req: KubeRequest): Promise<unknown> => {
        const context = { cluster: name, method: req.method, path: req.path };
        const err = (kind: ErrorKind, code: number) =>
          Promise.reject(new KubeError(kind, kind, context, code));
        if (state.fail) return err(state.fail, 0);
        // As AbortSignal.timeout in the real client, which throws for a fractional delay.
        if (req.timeoutMs !== undefined && !Number.isInteger(req.timeoutMs))
          return Promise.reject(new RangeError(`timeoutMs ${req.timeoutMs} is not an integer`));
        if (req.signal?.aborted) return Promise.reject(new Error('aborted'));
        const body = req.body as KubeObject;
        const key = req.method === 'POST' ? `${req.path}/${body.metadata.name}` : req.path;
        const current = leases.get(key);
        if (req.method === 'GET')
          return current ? Promise.resolve(structuredClone(current)) : err('NotFound', 404);
        if (req.method === 'POST') {
          if (current) return err('AlreadyExists', 409);
        } else if (!current || current.metadata.resourceVersion !== body.metadata.resourceVersion) {
          return err(current ? 'Conflict' : 'NotFound', current ? 409 : 404);
        }
        const stored = {
          ...structuredClone(body),
          metadata: { ...body.metadata, resourceVersion: String(++rv) },
        };
        leases.set(key, stored);
        writtenAt.set(key, performance.now());
        return Promise.resolve(structuredClone(stored));
      },
    };
    return { client: client as unknown as ClusterClient, state };
  };
  const { client } = clientFor('fake');
  return { leases, writtenAt, clientFor, client };
}

/** Timings short enough for unit tests; same proportions as the integration tests. */
const FAST = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 100 };

function candidate(client: ClusterClient, identity: string, extra: Partial<LeaderElectionOptions> = {}) {
  const events: string[] = [];
  const abort = new AbortController();
  let leadingSignal: AbortSignal | undefined;
  const elector = new LeaderElector({
    client,
    namespace: 'ns',
    name: 'lease',
    identity,
    ...FAST,
    log: silent,
    onStartedLeading: (signal) => {
      leadingSignal = signal;
      events.push('started');
    },
    onStoppedLeading: () => events.push(`stopped (signal aborted: ${leadingSignal?.aborted})`),
    onNewLeader: (who) => events.push(`leader ${who}`),
    ...extra,
  });
  const result = elector.run(abort.signal).then((r) => {
    events.push(`run ${r}`);
    return r;
  });
  return { elector, events, abort, result };
}

const until = (what: string, cond: () => boolean, timeoutMs = 5000) =>
  pollUntil(what, () => (cond() ? { done: true, value: undefined } : { done: false, seen: 'not yet' }), {
    timeoutMs,
    intervalMs: 10,
  });

describe('LeaderElector against an in-memory API', () => {
  it('creates the lease, leads alone, and releases on cancel so that the other takes over at once', async () => {
    const api = fakeApi();
    const a = candidate(api.clientFor('a').client, 'a');
    await until('a to lead', () => a.elector.isLeader());
    const b = candidate(api.clientFor('b').client, 'b');
    await until('b to see a as leader', () => b.events.includes('leader a'));
    expect(b.elector.isLeader()).toBe(false);

    a.abort.abort();
    expect(await a.result).toBe('cancelled');
    expect(a.events).toEqual(['leader a', 'started', 'stopped (signal aborted: true)', 'run cancelled']);
    const released = leaseRecord(api.leases.get('/apis/coordination.k8s.io/v1/namespaces/ns/leases/lease')!);
    expect(released).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 0 });

    const handedOver = performance.now();
    await until('b to lead', () => b.elector.isLeader());
    // Well within the lease duration: b did not wait for the lease to expire.
    expect(performance.now() - handedOver).toBeLessThan(FAST.leaseDurationMs / 2);
    expect(leaseRecord(api.leases.values().next().value!)).toMatchObject({
      holderIdentity: 'b',
      leaseTransitions: 1,
    });
    b.abort.abort();
    expect(await b.result).toBe('cancelled');
  });

  it('keeps leading for longer than the lease duration by renewing every retry period', async () => {
    const api = fakeApi();
    const a = candidate(api.clientFor('a').client, 'a');
    await until('a to lead', () => a.elector.isLeader());
    const acquired = leaseRecord(api.leases.values().next().value!);
    await new Promise((r) => setTimeout(r, FAST.leaseDurationMs * 1.5));
    expect(a.elector.isLeader()).toBe(true);
    const renewed = leaseRecord(api.leases.values().next().value!);
    expect(renewed).toMatchObject({
      holderIdentity: 'a',
      acquireTime: acquired.acquireTime,
      leaseTransitions: 0,
    });
    expect(renewed.renewTime! > acquired.renewTime!).toBe(true);
    a.abort.abort();
    expect(await a.result).toBe('cancelled');
  });

  it('resolves lost within the renew deadline when renewals fail, after aborting and onStoppedLeading', async () => {
    const api = fakeApi();
    const { client, state } = api.clientFor('a');
    const a = candidate(client, 'a');
    await until('a to lead', () => a.elector.isLeader());
    const cut = performance.now();
    state.fail = 'Unavailable';
    expect(await a.result).toBe('lost');
    expect(performance.now() - cut).toBeLessThanOrEqual(FAST.renewDeadlineMs + 50);
    expect(a.events).toEqual(['leader a', 'started', 'stopped (signal aborted: true)', 'run lost']);
    expect(a.elector.isLeader()).toBe(false);
  });

  it('stops at once when another holder shows up in the lease', async () => {
    const api = fakeApi();
    const a = candidate(api.clientFor('a').client, 'a');
    await until('a to lead', () => a.elector.isLeader());
    const lease = api.leases.values().next().value!;
    (lease.spec as Record<string, unknown>).holderIdentity = 'intruder';
    lease.metadata.resourceVersion = 'other';
    const seen = performance.now();
    expect(await a.result).toBe('lost');
    expect(performance.now() - seen).toBeLessThan(FAST.renewDeadlineMs);
    expect(a.events).toContain('leader intruder');
  });

  it('keeps campaigning through API errors and never throws from run()', async () => {
    const api = fakeApi();
    const { client, state } = api.clientFor('a');
    state.fail = 'Internal';
    const a = candidate(client, 'a');
    await new Promise((r) => setTimeout(r, 300));
    expect(a.elector.isLeader()).toBe(false);
    state.fail = false;
    await until('a to lead', () => a.elector.isLeader());
    a.abort.abort();
    expect(await a.result).toBe('cancelled');
  });

  it('does not take over a held lease before its duration has passed on our clock', async () => {
    const api = fakeApi();
    const a = candidate(api.clientFor('a').client, 'a', { releaseOnCancel: false });
    await until('a to lead', () => a.elector.isLeader());
    const b = candidate(api.clientFor('b').client, 'b');
    await until('b to see a as leader', () => b.events.includes('leader a'));
    a.abort.abort();
    await a.result;
    const lastRenewal = api.writtenAt.values().next().value!;
    await until('b to lead', () => b.elector.isLeader(), 5000);
    expect(performance.now() - lastRenewal).toBeGreaterThanOrEqual(FAST.leaseDurationMs);
    b.abort.abort();
    await b.result;
  });

  it('refuses a second concurrent run', async () => {
    const api = fakeApi();
    const a = candidate(api.client, 'a');
    await expect(a.elector.run(new AbortController().signal)).rejects.toThrow('already running');
    a.abort.abort();
    await a.result;
  });
});
