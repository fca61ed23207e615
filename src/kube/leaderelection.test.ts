/**
 * The pure parts of leader election. The elector against an API server (acquire, renew, hand over,
 * lose, take over, API errors) is tested on a real one: test/integration/kube-leader-election.test.ts.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ClusterClient, type RequestEvent } from './client.js';
import {
  LeaderElector,
  leaseRecord,
  microTime,
  shouldAcquire,
  validateLeaderElection,
  type LeaderElectionRecord,
} from './leaderelection.js';

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
      () => new LeaderElector({ ...base, client: unusedClient().client, leaseDurationMs: 1000, log: silent }),
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
 * A real client for an address nothing listens on; `requests` counts what it sends, which must stay
 * zero: these tests are about what the elector decides before talking to any API server.
 */
function unusedClient() {
  const requests: RequestEvent[] = [];
  const client = new ClusterClient(
    { name: 'unused', server: 'https://127.0.0.1:1' },
    { onRequest: (e) => requests.push(e) },
  );
  return { client, requests };
}

describe('LeaderElector.run', () => {
  it('refuses a second concurrent run, without a request; a finished elector may run again', async () => {
    const { client, requests } = unusedClient();
    const elector = new LeaderElector({ client, namespace: 'ns', name: 'lease', identity: 'a', log: silent });
    // Already cancelled: run() sees it before its first attempt, so nothing is sent.
    const cancelled = AbortSignal.abort();
    const first = elector.run(cancelled);
    await expect(elector.run(cancelled)).rejects.toThrow('leader election for a is already running');
    expect(await first).toBe('cancelled');
    expect(await elector.run(cancelled)).toBe('cancelled');
    expect(elector.isLeader()).toBe(false);
    expect(requests).toEqual([]);
    await client.close();
  });
});
