/**
 * The manager runs a process's controllers together (controller-runtime's Manager): it serves
 * health, readiness and metrics; with leader election it waits to lead before starting anything;
 * it starts the shared informers, waits for their caches, then starts the controllers; and on
 * shutdown it drains the controllers, stops the informers and closes the server, in that order.
 *
 * Losing leadership is fatal, as upstream: another replica may already be writing, so the work
 * stops at once and {@link Manager.run} rejects with {@link LeadershipLostError}; the process should
 * exit non-zero and be restarted as a candidate.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pollUntil } from '../poll.js';
import type { Controller } from './controller.js';
import { SharedInformers } from './informers.js';
import { rootLogger, type Logger } from './log.js';
import { processMetrics, type Metrics } from './metrics.js';

/** A leader election candidate, as the Lease-based elector of `leaderelection.ts` provides. */
export interface Elector {
  /**
   * Campaigns, leads and renews until leadership is lost (`'lost'`) or `signal` is aborted
   * (`'cancelled'`, after releasing the lease if held).
   */
  run(signal: AbortSignal): Promise<'lost' | 'cancelled'>;
  isLeader(): boolean;
  readonly identity: string;
}

/** What the manager needs to hear from an elector. */
export interface LeaderCallbacks {
  /** This candidate now leads; `signal` is aborted when it stops leading. */
  onStartedLeading(signal: AbortSignal): void;
  onStoppedLeading(): void;
}

export type ElectorFactory = (callbacks: LeaderCallbacks) => Elector;

/** Leadership ended while the manager ran: the process must stop working for the federation. */
export class LeadershipLostError extends Error {
  override name = 'LeadershipLostError';
  constructor(
    readonly manager: string,
    readonly identity: string,
  ) {
    super(`${manager}: ${identity} lost leadership; exiting so that a single leader works`);
  }
}

export interface ManagerOptions {
  name: string;
  metrics?: Metrics;
  log?: Logger;
  /**
   * HTTP server for /healthz (process alive: 200 "ok"), /readyz (200 once informers synced and,
   * with leader election, either leading or standing by; 503 with a reason otherwise), /metrics
   * (Prometheus text). Host defaults to 127.0.0.1; port 0 picks a free one (see {@link Manager.address}).
   */
  http?: { host?: string; port: number };
  /** Leader election: the manager starts informers and controllers only while leading. */
  leaderElection?: ElectorFactory;
  /** How long controllers get to finish in-flight reconciles on shutdown (default 30 s). */
  shutdownGraceMs?: number;
  /** Waiting for caches longer than this logs a warning (and keeps waiting); default 60 s. */
  syncWarnMs?: number;
}

/** Where the manager is in its life; readiness follows from it. */
type Phase =
  | { kind: 'idle' }
  | { kind: 'standby' }
  | { kind: 'syncing' }
  | { kind: 'running' }
  | { kind: 'stopping' }
  | { kind: 'stopped' };

export type Readiness = { ready: true; detail: string } | { ready: false; reason: string };

export class Manager {
  readonly name: string;
  readonly informers: SharedInformers;
  readonly metrics: Metrics;
  private readonly log: Logger;
  private readonly controllers: Controller[] = [];
  private phase: Phase = { kind: 'idle' };
  private bound?: { host: string; port: number };
  /** Aborted when the started work must end (shutdown or leadership lost). */
  private workSignal?: AbortSignal;

  constructor(private readonly options: ManagerOptions) {
    this.name = options.name;
    this.metrics = options.metrics ?? processMetrics();
    this.log = (options.log ?? rootLogger()).child({ manager: options.name });
    this.informers = new SharedInformers({ metrics: this.metrics, log: this.log });
  }

  /** Where the HTTP server listens, once {@link run} started it. */
  get address(): { host: string; port: number } | undefined {
    return this.bound;
  }

  /**
   * Adds a controller. One added while the manager runs starts once its informers have synced.
   * Adding to a stopping or stopped manager fails.
   */
  add(controller: Controller): void {
    if (this.phase.kind === 'stopping' || this.phase.kind === 'stopped')
      throw new Error(`${this.name}: cannot add controller ${controller.name} to a stopping manager`);
    this.controllers.push(controller);
    if (this.phase.kind === 'running' && this.workSignal)
      void this.startWhenSynced([controller], this.workSignal);
  }

  readiness(): Readiness {
    switch (this.phase.kind) {
      case 'idle':
        return { ready: false, reason: 'not started' };
      case 'standby':
        return { ready: true, detail: 'standing by: another replica leads' };
      case 'syncing': {
        const waiting = [
          ...this.informers.unsynced(),
          ...this.controllers.filter((c) => !c.hasSynced()).map((c) => `informers of controller ${c.name}`),
        ];
        return { ready: false, reason: `waiting for caches to sync: ${waiting.join('; ') || 'starting'}` };
      }
      case 'running':
        return { ready: true, detail: 'ok' };
      case 'stopping':
      case 'stopped':
        return { ready: false, reason: 'shutting down' };
    }
  }

  /**
   * Starts the HTTP server; then, when leading (or at once without leader election), the informers
   * and, once their caches synced, the controllers. Resolves after `signal` is aborted and
   * everything stopped cleanly (controllers drained, informers stopped, lease released, server
   * closed); rejects with {@link LeadershipLostError} when leadership is lost.
   */
  async run(signal: AbortSignal): Promise<void> {
    if (this.phase.kind !== 'idle') throw new Error(`${this.name}: run() may be called once`);
    // Without an election there is no standing by: not ready until the caches synced.
    this.phase = this.options.leaderElection ? { kind: 'standby' } : { kind: 'syncing' };
    let server: Server | undefined;
    try {
      if (this.options.http) server = await this.listen(this.options.http);
      if (this.options.leaderElection) await this.runElected(this.options.leaderElection, signal);
      else await this.runUnelected(signal);
    } finally {
      this.phase = { kind: 'stopped' };
      if (server) await closeServer(server);
      this.log.info('stopped');
    }
  }

  private async runUnelected(signal: AbortSignal): Promise<void> {
    this.workSignal = signal;
    const started = this.startWork(signal);
    await untilAborted(signal);
    await started;
    await this.stopWork();
  }

  private async runElected(factory: ElectorFactory, signal: AbortSignal): Promise<void> {
    const { leaderStatus } = this.metrics;
    const labels = { name: this.name };
    const workAbort = new AbortController();
    let started: Promise<void> | undefined;
    const elector = factory({
      onStartedLeading: (leaderSignal) => {
        leaderStatus.set(labels, 1);
        if (started) return;
        this.log.info({ identity: elector.identity }, 'started leading');
        this.workSignal = AbortSignal.any([signal, leaderSignal, workAbort.signal]);
        started = this.startWork(this.workSignal);
      },
      onStoppedLeading: () => {
        leaderStatus.set(labels, 0);
        this.log.info({ identity: elector.identity }, 'stopped leading');
      },
    });
    leaderStatus.set(labels, 0);
    // The election gets its own signal: on shutdown the lease is released only after the drain.
    const electionAbort = new AbortController();
    const election = elector.run(electionAbort.signal);
    let ended: 'lost' | 'cancelled' | 'shutdown';
    try {
      ended = await Promise.race([election, untilAborted(signal).then(() => 'shutdown' as const)]);
    } catch (err) {
      workAbort.abort();
      await started;
      await this.stopWork(0);
      throw err;
    }
    workAbort.abort();
    await started;
    if (ended === 'shutdown') {
      await this.stopWork();
      electionAbort.abort();
      const outcome = await election.catch((err: unknown) => {
        this.log.warn({ err }, 'leader election failed while stopping');
        return 'cancelled' as const;
      });
      this.log.info({ identity: elector.identity, outcome }, 'left the election');
      return;
    }
    // Another replica may be writing already: stop at once, without a grace period.
    this.log.error({ identity: elector.identity, outcome: ended }, 'leadership lost; stopping');
    await this.stopWork(0);
    throw new LeadershipLostError(this.name, elector.identity);
  }

  /** Starts the informers, waits for their caches, then starts the controllers (unless `signal` ends it). */
  private async startWork(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    this.phase = { kind: 'syncing' };
    this.informers.start();
    await this.startWhenSynced(this.controllers, signal);
    if (!signal.aborted) this.phase = { kind: 'running' };
  }

  /**
   * Waits until the shared informers and the controllers' own informers have synced, then starts
   * the controllers. Never gives up (informers retry with backoff; readiness reports the wait) but
   * warns every `syncWarnMs`; returns early when `signal` is aborted.
   */
  private async startWhenSynced(controllers: Controller[], signal: AbortSignal): Promise<void> {
    const warnMs = this.options.syncWarnMs ?? 60_000;
    for (;;) {
      try {
        await pollUntil(
          'caches to sync',
          () => {
            const waiting = [
              ...this.informers.unsynced(),
              ...controllers.filter((c) => !c.hasSynced()).map((c) => `informers of controller ${c.name}`),
            ];
            return waiting.length === 0
              ? { done: true, value: undefined }
              : { done: false, seen: `waiting for ${waiting.join('; ')}` };
          },
          { timeoutMs: warnMs, intervalMs: 50, signal },
        );
        break;
      } catch (err) {
        if (signal.aborted) return;
        this.log.warn(
          { err: (err as Error).message },
          'caches have not synced yet; controllers wait for them',
        );
      }
    }
    for (const c of [...controllers]) {
      try {
        c.start();
      } catch (err) {
        this.log.error({ err, controller: c.name }, 'controller failed to start');
      }
    }
  }

  /** Drains the controllers (all at once, each with its grace period), then stops the informers. */
  private async stopWork(graceMs?: number): Promise<void> {
    this.phase = { kind: 'stopping' };
    const grace = graceMs ?? this.options.shutdownGraceMs;
    await Promise.all(this.controllers.map((c) => c.stop(grace === undefined ? {} : { graceMs: grace })));
    await this.informers.stop();
  }

  private async listen(http: NonNullable<ManagerOptions['http']>): Promise<Server> {
    const host = http.host ?? '127.0.0.1';
    const server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(http.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.bound = { host, port: (server.address() as AddressInfo).port };
    this.log.info(this.bound, 'serving /healthz, /readyz and /metrics');
    return server;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (code: number, body: string, contentType = 'text/plain; charset=utf-8') => {
      res.writeHead(code, { 'content-type': contentType });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed\n');
    const path = new URL(req.url ?? '/', 'http://manager').pathname;
    try {
      switch (path) {
        case '/healthz':
          return reply(200, 'ok');
        case '/readyz': {
          const r = this.readiness();
          return r.ready ? reply(200, r.detail) : reply(503, `not ready: ${r.reason}\n`);
        }
        case '/metrics':
          return reply(200, await this.metrics.registry.metrics(), this.metrics.registry.contentType);
        default:
          return reply(404, `no such endpoint ${path}; try /healthz, /readyz or /metrics\n`);
      }
    } catch (err) {
      this.log.error({ err, path }, 'serving an HTTP request failed');
      if (!res.headersSent) reply(500, 'internal error\n');
    }
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Closes the server, ending idle keep-alive connections (a scraper's) rather than waiting for them. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
