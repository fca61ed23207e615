/**
 * The control plane process: reads (or creates) the KubeFedConfig, elects a leader, and runs the
 * federation controllers on the host cluster. Settings that controllers read per reconcile (health
 * check period, thresholds, timeout) follow KubeFedConfig changes without a restart.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { KubeFedConfig } from '../api/core.js';
import { parseDuration, type DefaultedKubeFedConfigSpec } from '../api/kubefedconfig.js';
import type { ClusterClient } from '../kube/client.js';
import { EventRecorder } from '../kube/events.js';
import { LeaderElector } from '../kube/leaderelection.js';
import type { Logger } from '../kube/log.js';
import { Manager } from '../kube/manager.js';
import { processMetrics, requestObserver, type Metrics } from '../kube/metrics.js';
import { KubeAuthorizer } from '../dashboard/auth.js';
import { DashboardServer } from '../dashboard/server.js';
import { DashboardSource } from '../dashboard/source.js';
import { ClusterHealthController } from './cluster/controller.js';
import { MemberClients } from './members/member-clients.js';
import {
  followKubeFedConfig,
  gateEnabled,
  healthSettings,
  loadKubeFedConfig,
  readKubeFedConfigFile,
  syncSettings,
  type ConfigSettings,
} from './kubefedconfig.js';
import { PolicyController } from './policy/controller.js';
import { SchedulingController } from './scheduling/controller.js';
import { TypeConfigController } from './typeconfig/controller.js';
import type { ControlPlaneScope } from '../federation/placement.js';

export const COMPONENT = 'kubefed-controller-manager';

export interface ControlPlaneOptions {
  host: ClusterClient;
  namespace: string;
  /** Scope for a KubeFedConfig created at startup (env DEFAULT_KUBEFED_SCOPE upstream). */
  defaultScope: ControlPlaneScope;
  leaderElect: boolean;
  /**
   * A KubeFedConfig YAML file used instead of the KubeFedConfig object (upstream's
   * `--kubefed-config`, "test only"): validated alike, never written, not followed for changes.
   */
  kubeFedConfigFile?: string;
  /** Lease name (default kubefed-controller-manager). */
  leaseName?: string;
  identity?: string;
  http?: { host: string; port: number };
  /** A second server with upstream's `/healthz` (200 "OK"), as `--healthz-addr`; up before anything else. */
  healthz?: { host: string; port: number };
  memberQps?: number;
  memberBurst?: number;
  /** Pods unschedulable this long count against a member's capacity in RSP scheduling (default 60 s). */
  unschedulableThresholdMs?: number;
  /**
   * Serve the read-only dashboard here (`--dashboard-addr`; docs/dashboard.md). Off loopback it asks
   * every API request for a bearer token, checked with TokenReview and SubjectAccessReview.
   */
  dashboard?: { host: string; port: number };
  /**
   * Run the propagation policy controller (`--propagation-policies`; docs/policies.md): it reads
   * the host's objects of every type a policy names, so it needs host-wide read access (and patch,
   * for its annotation) to them. Cluster-scoped control planes only.
   */
  propagationPolicies?: boolean;
  metrics?: Metrics;
  log: Logger;
}

/** Runs the control plane until `signal` aborts; rejects with LeadershipLostError when the lease is lost. */
export async function runControlPlane(options: ControlPlaneOptions, signal: AbortSignal): Promise<void> {
  // Upstream serves /healthz first: liveness holds while the config is read and while standing by.
  const { healthz, http } = options;
  const sharesMetrics = healthz && http && healthz.port !== 0 && sameAddress(healthz, http);
  const server = healthz && !sharesMetrics ? await serveHealthz(healthz, options.log) : undefined;
  try {
    await runControllers(options, signal);
  } finally {
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()).closeAllConnections());
  }
}

const sameAddress = (a: { host: string; port: number }, b: { host: string; port: number }) =>
  a.port === b.port && a.host === b.host;

/** Upstream's healthz server: `/healthz` answers 200 "OK" while the process lives. */
async function serveHealthz(address: { host: string; port: number }, log: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://healthz').pathname;
    if (path !== '/healthz' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end('no such endpoint; try /healthz\n');
      return;
    }
    res
      .writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
      .end(req.method === 'HEAD' ? undefined : 'OK');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `cannot serve /healthz on ${address.host}:${address.port} (--healthz-addr): ${err.code ?? err.message}`,
        ),
      ),
    );
    server.listen(address.port, address.host, () => resolve());
  });
  log.info({ host: address.host, port: (server.address() as AddressInfo).port }, 'serving /healthz');
  return server;
}

async function runControllers(options: ControlPlaneOptions, signal: AbortSignal): Promise<void> {
  const { host, namespace, log } = options;
  const metrics = options.metrics ?? processMetrics();
  const loaded = await loadConfig(options);
  const initial = loaded.spec;
  // As upstream, the controllers are announced once this replica leads (at once without an election).
  let announced = false;
  const announce = () => {
    if (announced) return;
    announced = true;
    log.info('Starting cluster controller');
  };

  // Leader election gets a client of its own, as client-go's does: a busy leader's renewals must not
  // wait behind the controllers' host requests in the shared client's rate limiter and connection
  // pool, or they miss the renew deadline and the leader exits (seen with 500 objects on a loaded
  // machine: test/integration/faults.test.ts).
  const electionClient = options.leaderElect
    ? host.withOwnLimiter(`${COMPONENT}/leader-election`)
    : undefined;
  // Events get one too (as controller-runtime's recorder): three CreateInCluster Events per new
  // object must not take the host rate limit that reconciles need (with 100 qps for both, bulk
  // propagation was bound by the host limiter: 7 requests per object, 14 objects/s).
  const eventsClient = host.withOwnLimiter(`${COMPONENT}/events`);
  const manager = newManager(options, initial, metrics, electionClient, announce);

  // A file's settings are fixed; an object's are followed.
  const config: ConfigSettings =
    loaded.kind === 'file'
      ? { settings: () => initial, onChange: () => undefined }
      : followKubeFedConfig(manager, host, namespace, loaded, log);
  const members = new MemberClients({
    qps: options.memberQps ?? 20,
    burst: options.memberBurst ?? 30,
    userAgent: COMPONENT,
    onRequest: requestObserver(metrics),
  });
  const wiring: Wiring = { options, manager, config, initial, eventsClient, members, metrics };
  const recorder = addHealthController(wiring);
  const typeConfigs = addTypeConfigController(wiring);
  const scheduling = addSchedulingController(wiring);
  const policies = addPolicyController(wiring);
  const dashboard = options.dashboard ? newDashboard(wiring, options.dashboard) : undefined;
  if (!options.leaderElect) announce();
  try {
    await dashboard?.start();
    await manager.run(signal);
  } finally {
    await dashboard?.stop().catch(() => undefined);
    await scheduling.stop().catch(() => undefined);
    await policies?.stop().catch(() => undefined);
    await typeConfigs.stopAll().catch(() => undefined);
    await recorder.flush().catch(() => undefined);
    await members.closeAll();
    await electionClient?.close().catch(() => undefined);
    await eventsClient.close().catch(() => undefined);
  }
}

type LoadedConfig =
  | { kind: 'file'; spec: DefaultedKubeFedConfigSpec }
  | { kind: 'object'; object: KubeFedConfig; spec: DefaultedKubeFedConfigSpec };

/** The KubeFedConfig file when one is given, else the host's KubeFedConfig (created when absent). */
async function loadConfig(options: ControlPlaneOptions): Promise<LoadedConfig> {
  const { host, namespace, log } = options;
  return options.kubeFedConfigFile
    ? { kind: 'file', spec: readKubeFedConfigFile(options.kubeFedConfigFile, namespace, log).spec }
    : { kind: 'object', ...(await loadKubeFedConfig(host, namespace, options.defaultScope, log)) };
}

/** The manager, electing a leader with the KubeFedConfig's lease settings when asked to. */
function newManager(
  options: ControlPlaneOptions,
  initial: DefaultedKubeFedConfigSpec,
  metrics: Metrics,
  electionClient: ClusterClient | undefined,
  announce: () => void,
): Manager {
  const { namespace, log } = options;
  const identity = options.identity ?? `${os.hostname()}_${randomUUID()}`;
  const le = initial.leaderElect;
  return new Manager({
    name: COMPONENT,
    metrics,
    log,
    ...(options.http ? { http: options.http } : {}),
    ...(options.leaderElect
      ? {
          leaderElection: (callbacks) =>
            new LeaderElector({
              client: electionClient!,
              namespace,
              name: options.leaseName ?? COMPONENT,
              identity,
              leaseDurationMs: parseDuration(le.leaseDuration!),
              renewDeadlineMs: parseDuration(le.renewDeadline!),
              retryPeriodMs: parseDuration(le.retryPeriod!),
              log,
              onStartedLeading: (s) => {
                log.info({ identity }, 'promoted as leader');
                announce();
                callbacks.onStartedLeading(s);
              },
              onStoppedLeading: () => callbacks.onStoppedLeading(),
            }),
        }
      : {}),
  });
}

/** What every controller is built from. */
interface Wiring {
  options: ControlPlaneOptions;
  manager: Manager;
  config: ConfigSettings;
  /** The settings at startup (their scope never changes). */
  initial: DefaultedKubeFedConfigSpec;
  eventsClient: ClusterClient;
  members: MemberClients;
  metrics: Metrics;
}

/** Adds the KubeFedCluster health controller; returns its Event recorder (flushed at shutdown). */
function addHealthController(w: Wiring): EventRecorder {
  const { host, namespace, log } = w.options;
  // The health controller's Events, under upstream's component name (its recorder's EventSource).
  const recorder = new EventRecorder({
    client: w.eventsClient,
    component: 'kubefedcluster-controller',
    host: os.hostname(),
    log,
  });
  const health = new ClusterHealthController({
    host,
    namespace,
    informers: w.manager.informers,
    settings: () => healthSettings(w.config.settings()),
    members: w.members,
    recorder,
    metrics: w.metrics,
    log: log.child({ controller: 'cluster-health' }),
  });
  w.manager.add(health.controller);
  return recorder;
}

/** Adds the FederatedTypeConfig controller, which starts and stops the sync (and status) controllers. */
function addTypeConfigController(w: Wiring): TypeConfigController {
  const { host, namespace, log } = w.options;
  const settings = w.config.settings;
  const typeConfigs = new TypeConfigController({
    host,
    events: w.eventsClient,
    namespace,
    scope: w.initial.scope,
    informers: w.manager.informers,
    members: w.members,
    syncSettings: () => syncSettings(settings()),
    statusWorkers: () => settings().statusController.maxConcurrentReconciles!,
    metrics: w.metrics,
    log: log.child({ controller: 'federatedtypeconfig' }),
  });
  w.manager.add(typeConfigs.controller);
  // RawResourceStatusCollection changes what every federated object's status holds: look at them
  // all again when it flips (upstream needs a restart for any feature gate).
  let rawStatus = gateEnabled(w.initial, 'RawResourceStatusCollection');
  w.config.onChange(() => {
    const now = gateEnabled(settings(), 'RawResourceStatusCollection');
    if (now === rawStatus) return;
    rawStatus = now;
    log.info({ rawResourceStatusCollection: now }, 'feature gate RawResourceStatusCollection changed');
    typeConfigs.resyncAll();
  });
  return typeConfigs;
}

function addSchedulingController(w: Wiring): SchedulingController {
  const { host, namespace, log } = w.options;
  const scheduling = new SchedulingController({
    host,
    events: w.eventsClient,
    kubefedNamespace: namespace,
    scope: w.initial.scope,
    informers: w.manager.informers,
    members: w.members,
    settings: () => syncSettings(w.config.settings()),
    ...(w.options.unschedulableThresholdMs !== undefined
      ? { unschedulableThresholdMs: w.options.unschedulableThresholdMs }
      : {}),
    metrics: w.metrics,
    log: log.child({ controller: 'replicaschedulingpreference' }),
  });
  w.manager.add(scheduling.controller);
  return scheduling;
}

/** Adds the propagation policy controller when asked for, on a cluster-scoped control plane only. */
function addPolicyController(w: Wiring): PolicyController | undefined {
  const { host, namespace, log } = w.options;
  if (!w.options.propagationPolicies) return undefined;
  if (w.initial.scope !== 'Cluster') {
    log.error(
      'propagation policies need a cluster-scoped control plane (KubeFedConfig spec.scope Cluster); not starting the policy controller',
    );
    return undefined;
  }
  const policies = new PolicyController({
    host,
    events: w.eventsClient,
    kubefedNamespace: namespace,
    scope: w.initial.scope,
    informers: w.manager.informers,
    metrics: w.metrics,
    log: log.child({ controller: 'propagationpolicy' }),
  });
  w.manager.add(policies.controller);
  return policies;
}

/**
 * The dashboard reads the informers of the controllers (and the types' ones as their controllers
 * start); it serves from the start, saying "standing by" while another replica leads.
 */
function newDashboard(w: Wiring, address: { host: string; port: number }): DashboardServer {
  const { host, namespace, log } = w.options;
  return new DashboardServer({
    address,
    data: new DashboardSource({
      host,
      namespace,
      scope: w.initial.scope,
      informers: w.manager.informers,
      members: w.members,
      readiness: () => w.manager.readiness(),
      log: log.child({ component: 'dashboard' }),
    }),
    authorizer: new KubeAuthorizer(host, namespace),
    log: log.child({ component: 'dashboard' }),
  });
}
