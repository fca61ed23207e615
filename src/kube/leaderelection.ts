/**
 * Leader election on a `coordination.k8s.io/v1` Lease, with client-go's `leaderelection` semantics
 * (LeaseLock): candidates campaign every retry period; the leader renews every retry period and
 * stops leading when no renewal succeeded within the renew deadline; a lease is taken over only
 * when it was released or its record has not changed for its lease duration.
 *
 * Safety rests on one rule, as upstream: a candidate never compares its clock with the holder's.
 * It measures the lease duration on its own monotonic clock from the moment it *observed* the
 * current record, which is after the holder wrote it. The holder stops leading at most
 * `renewDeadline` (< `leaseDuration`) after it *sent* its last successful renewal, so it has
 * stopped before anyone may take over. Writes carry the observed resourceVersion, so two
 * candidates racing for an expired lease cannot both win: the second gets a Conflict.
 *
 * Differences from client-go, all on the side of never having two leaders:
 * - the renew deadline counts from the start of the last successful renewal (client-go starts it
 *   a retry period later), and a timer ends leadership on time even while a request hangs;
 * - a leader that sees another holder in the Lease stops at once instead of at its deadline;
 * - on cancel, the leading signal is aborted and `onStoppedLeading` called *before* the lease is
 *   released, so a successor never starts while this one still thinks it leads;
 * - `leaseDurationSeconds` is rounded up (client-go truncates), so others never wait less than
 *   the configured duration;
 * - `onStoppedLeading` is called only after `onStartedLeading` was (client-go calls it whenever
 *   `Run` returns), and `onNewLeader` only for a non-empty holder.
 */
import { sleep } from '../poll.js';
import type { ClusterClient } from './client.js';
import { isAlreadyExists, isConflict, isNotFound } from './errors.js';
import { logger, type Logger } from './log.js';
import { resourcePath, type KubeObject, type ResourceRef } from './resource.js';

const LEASES: ResourceRef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  namespaced: true,
};

/** client-go's `JitterFactor`: campaign attempts are spaced `retryPeriod * [1, 2.2)` apart. */
export const JITTER_FACTOR = 1.2;

export interface LeaderElectionOptions {
  client: ClusterClient;
  /** Where the Lease lives; the namespace must exist. */
  namespace: string;
  name: string;
  /** Unique per candidate (e.g. pod name + random suffix): two candidates with one identity would both lead. */
  identity: string;
  /** How long others wait, from observing the last renewal, before taking over (default 15000). */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before giving up leadership (default 10000). */
  renewDeadlineMs?: number;
  /** Spacing of campaign and renewal attempts (default 2000). */
  retryPeriodMs?: number;
  /** Release the lease when `run()` is cancelled while leading, so a successor need not wait (default true). */
  releaseOnCancel?: boolean;
  log?: Pick<Logger, 'debug' | 'info' | 'warn'>;
  /** This candidate now leads; `signal` aborts when leadership is lost or `run()` is cancelled. */
  onStartedLeading?: (signal: AbortSignal) => void;
  /** Leadership ended (lost or cancelled); called after the leading signal aborted. */
  onStoppedLeading?: () => void;
  /** The Lease names a new holder (this candidate included). */
  onNewLeader?: (identity: string) => void;
}

/** The Lease spec fields leader election reads and writes (client-go's `LeaderElectionRecord`). */
export interface LeaderElectionRecord {
  /** Empty when released. */
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions: number;
}

interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string | null;
    leaseDurationSeconds?: number | null;
    acquireTime?: string | null;
    renewTime?: string | null;
    leaseTransitions?: number | null;
    [field: string]: unknown;
  };
}

const DEFAULTS = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

/**
 * Throws a clear error unless leaseDuration > renewDeadline > retryPeriod * 1.2 (client-go's rule:
 * the leader must give up before others may take over, and get more than one renewal attempt
 * before giving up), all positive, and the lease and identity named.
 */
export function validateLeaderElection(
  opts: Pick<
    LeaderElectionOptions,
    'namespace' | 'name' | 'identity' | 'leaseDurationMs' | 'renewDeadlineMs' | 'retryPeriodMs'
  >,
): void {
  const lease = opts.leaseDurationMs ?? DEFAULTS.leaseDurationMs;
  const renew = opts.renewDeadlineMs ?? DEFAULTS.renewDeadlineMs;
  const retry = opts.retryPeriodMs ?? DEFAULTS.retryPeriodMs;
  const problems: string[] = [];
  if (!opts.namespace || !opts.name) problems.push('the Lease namespace and name are required');
  if (!opts.identity) problems.push('the candidate identity is empty');
  for (const [field, v] of [
    ['leaseDurationMs', lease],
    ['renewDeadlineMs', renew],
    ['retryPeriodMs', retry],
  ] as const) {
    if (!(Number.isFinite(v) && v > 0)) problems.push(`${field} must be a positive number (got ${v})`);
  }
  if (!(lease > renew))
    problems.push(`leaseDurationMs (${lease}) must be greater than renewDeadlineMs (${renew})`);
  if (!(renew > retry * JITTER_FACTOR)) {
    problems.push(
      `renewDeadlineMs (${renew}) must be greater than retryPeriodMs * ${JITTER_FACTOR} (${retry * JITTER_FACTOR})`,
    );
  }
  if (problems.length) throw new Error(`invalid leader election settings: ${problems.join('; ')}`);
}

/**
 * Whether `identity` may write its claim over `record`, observed (changed last) at `observedAtMs`
 * on this candidate's monotonic clock: the lease is released (no holder), already ours, or has not
 * changed for its own lease duration since we observed it. The record's timestamps are never
 * compared with our clock: they come from the holder's.
 */
export function shouldAcquire(
  record: LeaderElectionRecord,
  observedAtMs: number,
  nowMs: number,
  identity: string,
): boolean {
  if (!record.holderIdentity || record.holderIdentity === identity) return true;
  return observedAtMs + record.leaseDurationSeconds * 1000 <= nowMs;
}

/** `metav1.MicroTime` text: RFC 3339 with microseconds, e.g. `2026-11-25T14:00:00.000000Z`. */
export function microTime(date: Date): string {
  return date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** The record in a Lease; absent fields read as client-go reads them (empty, zero). */
export function leaseRecord(lease: Lease): LeaderElectionRecord {
  const spec = lease.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    ...(spec.acquireTime ? { acquireTime: spec.acquireTime } : {}),
    ...(spec.renewTime ? { renewTime: spec.renewTime } : {}),
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}

/** What one campaign or renewal attempt found. */
type Attempt = 'acquired' | 'held' | 'failed';

interface Observation {
  lease: Lease;
  record: LeaderElectionRecord;
  /** The record as text, to notice changes (client-go compares the raw record). */
  raw: string;
  /** When the record last changed, on our monotonic clock. */
  at: number;
}

/**
 * One candidate for one Lease. Typical use: build it with the process's identity, `run()` it for
 * the life of the process, start work in `onStartedLeading` bound to the signal it gets, and exit
 * when `run()` resolves `'lost'` (another replica may already be working).
 */
export class LeaderElector {
  readonly identity: string;
  private readonly client: ClusterClient;
  private readonly path: string;
  private readonly renewDeadlineMs: number;
  private readonly retryMs: number;
  private readonly leaseSeconds: number;
  private readonly log: Pick<Logger, 'debug' | 'info' | 'warn'>;
  private observed?: Observation;
  private reportedLeader = '';
  private leading = false;
  private running = false;
  /** When the latest campaign attempt was sent, on our monotonic clock: leadership counts from it. */
  private attemptStartedAt = 0;

  constructor(private readonly options: LeaderElectionOptions) {
    validateLeaderElection(options);
    this.identity = options.identity;
    this.client = options.client;
    this.path = resourcePath(LEASES, options.namespace, options.name);
    this.renewDeadlineMs = options.renewDeadlineMs ?? DEFAULTS.renewDeadlineMs;
    this.retryMs = options.retryPeriodMs ?? DEFAULTS.retryPeriodMs;
    this.leaseSeconds = Math.ceil((options.leaseDurationMs ?? DEFAULTS.leaseDurationMs) / 1000);
    this.log =
      options.log ??
      logger({
        cluster: options.client.name,
        lease: `${options.namespace}/${options.name}`,
        identity: options.identity,
      });
  }

  /** True from `onStartedLeading` until the leading signal aborts. */
  isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaigns until leader, then renews; resolves `'lost'` when leadership is lost (after
   * `onStoppedLeading`) or `'cancelled'` when `signal` aborts (releasing the lease first when
   * leading and `releaseOnCancel`). API errors are logged and retried, never thrown. One run at a
   * time; a finished elector may run again.
   */
  async run(signal: AbortSignal): Promise<'lost' | 'cancelled'> {
    if (this.running) throw new Error(`leader election for ${this.identity} is already running`);
    this.running = true;
    this.observed = undefined;
    this.reportedLeader = '';
    try {
      if (!(await this.campaign(signal))) return 'cancelled';
      return await this.lead(signal);
    } finally {
      this.running = false;
    }
  }

  /** Tries to acquire every jittered retry period; true once acquired, false when cancelled. */
  private async campaign(signal: AbortSignal): Promise<boolean> {
    this.log.debug('campaigning for the lease');
    for (;;) {
      if (signal.aborted) return false;
      this.attemptStartedAt = performance.now();
      const outcome = await this.tryAcquireOrRenew(signal, this.renewDeadlineMs);
      this.reportLeader();
      if (outcome === 'acquired') return true;
      try {
        await sleep(this.retryMs * (1 + Math.random() * JITTER_FACTOR), signal);
      } catch {
        return false;
      }
    }
  }

  private async lead(signal: AbortSignal): Promise<'lost' | 'cancelled'> {
    const leading = new AbortController();
    let ended: 'lost' | 'cancelled' | undefined;
    let deadline = this.attemptStartedAt + this.renewDeadlineMs;
    let timer: NodeJS.Timeout | undefined;
    const stop = (why: 'lost' | 'cancelled', detail: string) => {
      if (ended) return;
      ended = why;
      clearTimeout(timer);
      this.leading = false;
      leading.abort(new Error(`leadership ${why === 'lost' ? 'lost' : 'given up'}: ${detail}`));
      this.log[why === 'lost' ? 'warn' : 'info']({ reason: detail }, `stopped leading (${why})`);
      this.callback('onStoppedLeading', () => this.options.onStoppedLeading?.());
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => stop('lost', `no successful renewal within ${this.renewDeadlineMs}ms`),
        Math.max(0, deadline - performance.now()),
      );
    };
    const onCancel = () => stop('cancelled', 'cancelled');

    if (signal.aborted) {
      // Acquired just as we were cancelled: never lead, but hand the lease back.
      ended = 'cancelled';
    } else {
      this.leading = true;
      this.log.info('started leading');
      arm();
      signal.addEventListener('abort', onCancel, { once: true });
      this.callback('onStartedLeading', () => this.options.onStartedLeading?.(leading.signal));
    }
    try {
      while (!ended) {
        try {
          await sleep(this.retryMs, leading.signal);
        } catch {
          break;
        }
        const started = performance.now();
        const outcome = await this.tryAcquireOrRenew(leading.signal, deadline - started);
        this.reportLeader();
        if (ended) break;
        if (outcome === 'acquired') {
          this.attemptStartedAt = started;
          deadline = started + this.renewDeadlineMs;
          arm();
        } else if (outcome === 'held') {
          stop('lost', `the lease is held by "${this.observed?.record.holderIdentity}"`);
        }
      }
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onCancel);
    }
    if (ended === 'cancelled' && (this.options.releaseOnCancel ?? true)) await this.release();
    return ended ?? 'cancelled';
  }

  /**
   * One attempt (client-go's `tryAcquireOrRenew`): while we hold the lease, update it optimistically
   * from the last observation; otherwise (or when that fails) read it, create it if absent, and
   * write our claim if {@link shouldAcquire} allows. `'held'` means another candidate holds a
   * valid lease; `'failed'` an API error or a lost race (Conflict).
   */
  private async tryAcquireOrRenew(signal: AbortSignal, timeoutMs: number): Promise<Attempt> {
    const now = performance.now();
    const stamp = microTime(new Date());
    const ours: LeaderElectionRecord = {
      holderIdentity: this.identity,
      leaseDurationSeconds: this.leaseSeconds,
      acquireTime: stamp,
      renewTime: stamp,
      leaseTransitions: 0,
    };
    const timeout = Math.max(1, Math.ceil(Math.min(timeoutMs, this.renewDeadlineMs)));
    const prior = this.observed;
    // 1. Fast path: the leader renews on top of what it wrote last.
    if (
      prior &&
      prior.record.holderIdentity === this.identity &&
      prior.at + prior.record.leaseDurationSeconds * 1000 > now
    ) {
      try {
        await this.write(
          prior.lease,
          { ...ours, ...keepTenure(prior.record), leaseTransitions: prior.record.leaseTransitions },
          signal,
          timeout,
        );
        return 'acquired';
      } catch (err) {
        if (signal.aborted) return 'failed';
        this.log.debug({ err }, 'optimistic renewal failed; reading the lease');
      }
    }
    // 2. Read the lease, or create it.
    let lease: Lease;
    try {
      lease = await this.client.request<Lease>({
        method: 'GET',
        path: this.path,
        signal,
        timeoutMs: timeout,
      });
    } catch (err) {
      if (signal.aborted) return 'failed';
      if (!isNotFound(err)) {
        this.log.warn({ err }, 'cannot read the lease');
        return 'failed';
      }
      try {
        const created = await this.client.request<Lease>({
          method: 'POST',
          path: resourcePath(LEASES, this.options.namespace),
          body: {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.options.name, namespace: this.options.namespace },
            spec: ours,
          },
          signal,
          timeoutMs: timeout,
        });
        this.observe(created, performance.now());
        return 'acquired';
      } catch (createErr) {
        if (signal.aborted) return 'failed';
        if (isAlreadyExists(createErr)) this.log.debug('another candidate created the lease first');
        else this.log.warn({ err: createErr }, 'cannot create the lease');
        return 'failed';
      }
    }
    // 3. Note when the record changed, and decide.
    const seen = this.observe(lease, performance.now());
    if (seen.record.holderIdentity !== this.identity) {
      if (!shouldAcquire(seen.record, seen.at, now, this.identity)) {
        this.log.debug({ holder: seen.record.holderIdentity }, 'the lease is held and has not expired');
        return 'held';
      }
      if (this.leading) return 'held'; // someone took it from us: never take it back while leading
    }
    // 4. Write our claim over exactly what we read.
    const claim =
      seen.record.holderIdentity === this.identity
        ? { ...ours, ...keepTenure(seen.record), leaseTransitions: seen.record.leaseTransitions }
        : { ...ours, leaseTransitions: seen.record.leaseTransitions + 1 };
    try {
      await this.write(lease, claim, signal, timeout);
      return 'acquired';
    } catch (err) {
      if (signal.aborted) return 'failed';
      if (isConflict(err)) this.log.debug('another candidate updated the lease first');
      else this.log.warn({ err }, 'cannot update the lease');
      return 'failed';
    }
  }

  /** PUT `record` over `base` (its resourceVersion is the precondition), then observe the result. */
  private async write(
    base: Lease,
    record: LeaderElectionRecord,
    signal: AbortSignal,
    timeoutMs: number,
  ): Promise<void> {
    const updated = await this.client.request<Lease>({
      method: 'PUT',
      path: this.path,
      body: { ...base, spec: { ...base.spec, ...record } },
      signal,
      timeoutMs,
    });
    this.observe(updated, performance.now());
  }

  /** Records what the Lease says; the observation time moves only when the record changed. */
  private observe(lease: Lease, at: number): Observation {
    const record = leaseRecord(lease);
    const raw = JSON.stringify(record);
    const prior = this.observed;
    this.observed = { lease, record, raw, at: prior && prior.raw === raw ? prior.at : at };
    return this.observed;
  }

  /**
   * Hands the lease back: no holder, a 1 s lease duration (as client-go), so candidates take it at
   * their next attempt. Best effort within the renew deadline; a stale resourceVersion is re-read
   * once, and the lease left alone if someone else holds it by then.
   */
  private async release(): Promise<void> {
    const signal = AbortSignal.timeout(Math.ceil(this.renewDeadlineMs));
    for (let attempt = 0; attempt < 2; attempt++) {
      const prior = this.observed;
      if (!prior || prior.record.holderIdentity !== this.identity) return;
      const stamp = microTime(new Date());
      try {
        await this.write(
          prior.lease,
          {
            holderIdentity: '',
            leaseDurationSeconds: 1,
            acquireTime: stamp,
            renewTime: stamp,
            leaseTransitions: prior.record.leaseTransitions,
          },
          signal,
          Math.ceil(this.renewDeadlineMs),
        );
        this.log.info('released the lease');
        return;
      } catch (err) {
        if (!isConflict(err) || attempt > 0) {
          this.log.warn({ err }, 'cannot release the lease; others take over once it expires');
          return;
        }
      }
      try {
        this.observe(
          await this.client.request<Lease>({ method: 'GET', path: this.path, signal }),
          performance.now(),
        );
      } catch (err) {
        this.log.warn({ err }, 'cannot read the lease to release it');
        return;
      }
    }
  }

  private reportLeader(): void {
    const holder = this.observed?.record.holderIdentity ?? '';
    if (holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    if (holder) this.callback('onNewLeader', () => this.options.onNewLeader?.(holder));
  }

  /** Runs a user callback; a throw (or a rejected promise) is logged, never breaks the election. */
  private callback(name: string, fn: () => unknown): void {
    try {
      const result = fn();
      if (result instanceof Promise)
        result.catch((err: unknown) => this.log.warn({ err }, `${name} callback failed`));
    } catch (err) {
      this.log.warn({ err }, `${name} callback failed`);
    }
  }
}

/** The fields a renewal keeps from the record it renews: when the tenure began. */
function keepTenure(record: LeaderElectionRecord): Partial<LeaderElectionRecord> {
  return record.acquireTime ? { acquireTime: record.acquireTime } : {};
}
