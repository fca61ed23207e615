/**
 * The control plane process: reads (or creates) the KubeFedConfig, elects a leader, and runs the
 * federation controllers on the host cluster. Settings that controllers read per reconcile (health
 * check period, thresholds, timeout) follow KubeFedConfig changes without a restart.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import type { TSchema } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import {
  CORE_GROUP,
  KUBEFED_CONFIG_NAME,
  KubeFedConfigDefinition,
  KubeFedConfigSpec,
  type KubeFedConfig,
} from '../api/core.js';
import { resourceRefOf } from '../api/index.js';
import {
  defaultKubeFedConfig,
  parseDuration,
  validateKubeFedConfig,
  type DefaultedKubeFedConfigSpec,
} from '../api/kubefedconfig.js';
import type { ClusterClient } from '../kube/client.js';
import { isAlreadyExists, isNotFound } from '../kube/errors.js';
import { EventRecorder } from '../kube/events.js';
import { LeaderElector } from '../kube/leaderelection.js';
import type { Logger } from '../kube/log.js';
import { Manager } from '../kube/manager.js';
import { processMetrics, requestObserver, type Metrics } from '../kube/metrics.js';
import { ResourceClient } from '../kube/resource.js';
import { KubeAuthorizer } from '../dashboard/auth.js';
import { DashboardServer } from '../dashboard/server.js';
import { DashboardSource } from '../dashboard/source.js';
import { ClusterHealthController, type HealthSettings } from './cluster/controller.js';
import { MemberClients } from './members/member-clients.js';
import { PolicyController } from './policy/controller.js';
import { SchedulingController } from './scheduling/controller.js';
import type { SyncSettings } from './sync/controller.js';
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

export class InvalidConfigError extends Error {
  override name = 'InvalidConfigError';
}

/** Reads the KubeFedConfig, creating a defaulted one when absent; throws on an invalid one. */
export async function loadKubeFedConfig(
  host: ClusterClient,
  namespace: string,
  defaultScope: ControlPlaneScope,
  log: Logger,
): Promise<{ object: KubeFedConfig; spec: DefaultedKubeFedConfigSpec }> {
  const configs = new ResourceClient<KubeFedConfig>(host, resourceRefOf(KubeFedConfigDefinition));
  let object: KubeFedConfig;
  try {
    object = await configs.get(KUBEFED_CONFIG_NAME, { namespace });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    const spec = defaultKubeFedConfig({ scope: defaultScope });
    try {
      object = await configs.create({
        apiVersion: `${KubeFedConfigDefinition.group}/${KubeFedConfigDefinition.version}`,
        kind: 'KubeFedConfig',
        metadata: { name: KUBEFED_CONFIG_NAME, namespace },
        spec,
      });
      log.info({ namespace }, `Created default KubeFedConfig "${namespace}/${KUBEFED_CONFIG_NAME}"`);
    } catch (createErr) {
      if (!isAlreadyExists(createErr)) throw createErr;
      object = await configs.get(KUBEFED_CONFIG_NAME, { namespace });
    }
  }
  const spec = defaultKubeFedConfig(object.spec ?? {});
  const errors = validateKubeFedConfig(spec);
  if (errors.length > 0) {
    throw new InvalidConfigError(
      `KubeFedConfig "${namespace}/${KUBEFED_CONFIG_NAME}" is invalid: ${errors.join('; ')}`,
    );
  }
  log.info(`Using valid KubeFedConfig "${namespace}/${KUBEFED_CONFIG_NAME}"`);
  return { object, spec };
}

/** Reads a KubeFedConfig YAML file (`--kubefed-config`) and validates it; throws on an invalid one. */
export function readKubeFedConfigFile(
  file: string,
  namespace: string,
  log: Logger,
): { name: string; namespace: string; spec: DefaultedKubeFedConfigSpec } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidConfigError(
      `cannot read KubeFedConfig file "${file}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const config = parseKubeFedConfigFile(text, file, namespace);
  log.info(`Using valid KubeFedConfig "${config.namespace}/${config.name}"`);
  return config;
}

/**
 * Parses and validates the text of a KubeFedConfig file. The checks are the in-cluster ones: the
 * CRD's structure (known fields, mappings, lists, enums; a file has no API server to check them)
 * then the manager's validation of the defaulted spec. Errors name the file and the field.
 * Name and namespace default to `kubefed` and `namespace`.
 */
export function parseKubeFedConfigFile(
  text: string,
  file: string,
  namespace: string,
): { name: string; namespace: string; spec: DefaultedKubeFedConfigSpec } {
  const invalid = (errors: string[]) =>
    new InvalidConfigError(`KubeFedConfig file "${file}" is invalid: ${errors.join('; ')}`);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InvalidConfigError(`KubeFedConfig file "${file}" is not valid YAML: ${(err as Error).message}`);
  }
  if (!isMapping(doc)) throw invalid(['expected a KubeFedConfig mapping (apiVersion, kind, metadata, spec)']);
  const errors: string[] = [];
  const apiVersion = `${CORE_GROUP}/${KubeFedConfigDefinition.version}`;
  if (doc.kind !== undefined && doc.kind !== 'KubeFedConfig')
    errors.push(`kind: must be KubeFedConfig, not ${JSON.stringify(doc.kind)}`);
  if (doc.apiVersion !== undefined && doc.apiVersion !== apiVersion)
    errors.push(`apiVersion: must be ${apiVersion}, not ${JSON.stringify(doc.apiVersion)}`);
  const metadata = doc.metadata ?? {};
  if (!isMapping(metadata)) errors.push('metadata: must be a mapping');
  else
    for (const k of ['name', 'namespace'] as const)
      if (metadata[k] !== undefined && (typeof metadata[k] !== 'string' || !metadata[k]))
        errors.push(`metadata.${k}: must be a non-empty string`);
  if (doc.spec === undefined)
    errors.push('spec: Required value: set at least spec.scope (Cluster or Namespaced)');
  else errors.push(...structureErrors(doc.spec, KubeFedConfigSpec, 'spec'));
  if (errors.length > 0) throw invalid(errors);
  const spec = defaultKubeFedConfig(doc.spec as Partial<KubeFedConfigSpec>);
  const specErrors = validateKubeFedConfig(spec);
  if (specErrors.length > 0) throw invalid(specErrors);
  const meta = metadata as { name?: string; namespace?: string };
  return { name: meta.name ?? KUBEFED_CONFIG_NAME, namespace: meta.namespace ?? namespace, spec };
}

/** Where `value` departs from the structure of `schema`: unknown fields, non-mappings, non-lists, enums. */
function structureErrors(value: unknown, schema: TSchema, path: string): string[] {
  const node = schema as {
    type?: string;
    properties?: Record<string, TSchema>;
    items?: TSchema;
    enum?: unknown[];
  };
  if (node.type === 'object' && node.properties) {
    if (!isMapping(value)) return [`${path}: must be a mapping`];
    const known = node.properties;
    return Object.entries(value).flatMap(([k, v]) =>
      known[k]
        ? structureErrors(v, known[k], `${path}.${k}`)
        : [`${path}.${k}: unknown field (known: ${Object.keys(known).join(', ')})`],
    );
  }
  if (node.type === 'array' && node.items) {
    const items = node.items;
    if (!Array.isArray(value)) return [`${path}: must be a list`];
    return value.flatMap((v, i) => structureErrors(v, items, `${path}[${i}]`));
  }
  if (node.enum && !node.enum.includes(value))
    return [`${path}: must be one of ${node.enum.join(', ')}, not ${JSON.stringify(value)}`];
  return [];
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function healthSettings(spec: DefaultedKubeFedConfigSpec): HealthSettings {
  const h = spec.clusterHealthCheck;
  return {
    periodMs: parseDuration(h.period!),
    timeoutMs: parseDuration(h.timeout!),
    failureThreshold: h.failureThreshold!,
    successThreshold: h.successThreshold!,
  };
}

export function syncSettings(spec: DefaultedKubeFedConfigSpec): SyncSettings {
  return {
    adoptResources: spec.syncController.adoptResources === 'Disabled' ? 'Disabled' : 'Enabled',
    availableDelayMs: parseDuration(spec.controllerDuration.availableDelay!),
    unavailableDelayMs: parseDuration(spec.controllerDuration.unavailableDelay!),
    workers: spec.syncController.maxConcurrentReconciles!,
    rawResourceStatusCollection: gateEnabled(spec, 'RawResourceStatusCollection'),
  };
}

function gateEnabled(spec: DefaultedKubeFedConfigSpec, name: string): boolean {
  return spec.featureGates.some((g) => g.name === name && g.configuration === 'Enabled');
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

/** What the controllers read of the KubeFedConfig, and how to hear of changes to it. */
interface ConfigSettings {
  settings: () => DefaultedKubeFedConfigSpec;
  onChange: (handler: () => void) => void;
}

async function runControllers(options: ControlPlaneOptions, signal: AbortSignal): Promise<void> {
  const { host, namespace, log } = options;
  const metrics = options.metrics ?? processMetrics();
  const loaded:
    | { kind: 'file'; spec: DefaultedKubeFedConfigSpec }
    | { kind: 'object'; object: KubeFedConfig; spec: DefaultedKubeFedConfigSpec } = options.kubeFedConfigFile
    ? { kind: 'file', spec: readKubeFedConfigFile(options.kubeFedConfigFile, namespace, log).spec }
    : { kind: 'object', ...(await loadKubeFedConfig(host, namespace, options.defaultScope, log)) };
  const initial = loaded.spec;
  const identity = options.identity ?? `${os.hostname()}_${randomUUID()}`;
  const le = initial.leaderElect;
  // As upstream, the controllers are announced once this replica leads (at once without an election).
  let announced = false;
  const logStarting = () => {
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
  const manager = new Manager({
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
                logStarting();
                callbacks.onStartedLeading(s);
              },
              onStoppedLeading: () => callbacks.onStoppedLeading(),
            }),
        }
      : {}),
  });

  // A file's settings are fixed; an object's are followed.
  const config: ConfigSettings =
    loaded.kind === 'file'
      ? { settings: () => initial, onChange: () => undefined }
      : followKubeFedConfig(manager, host, namespace, loaded, log);
  const settings = config.settings;

  // The health controller's Events, under upstream's component name (its recorder's EventSource).
  const recorder = new EventRecorder({
    client: eventsClient,
    component: 'kubefedcluster-controller',
    host: os.hostname(),
    log,
  });
  const members = new MemberClients({
    qps: options.memberQps ?? 20,
    burst: options.memberBurst ?? 30,
    userAgent: COMPONENT,
    onRequest: requestObserver(metrics),
  });
  const health = new ClusterHealthController({
    host,
    namespace,
    informers: manager.informers,
    settings: () => healthSettings(settings()),
    members,
    recorder,
    metrics,
    log: log.child({ controller: 'cluster-health' }),
  });
  manager.add(health.controller);

  // Sync controllers are started and stopped by the FederatedTypeConfig controller.
  const typeConfigs = new TypeConfigController({
    host,
    events: eventsClient,
    namespace,
    scope: initial.scope,
    informers: manager.informers,
    members,
    syncSettings: () => syncSettings(settings()),
    statusWorkers: () => settings().statusController.maxConcurrentReconciles!,
    metrics,
    log: log.child({ controller: 'federatedtypeconfig' }),
  });
  manager.add(typeConfigs.controller);
  // RawResourceStatusCollection changes what every federated object's status holds: look at them
  // all again when it flips (upstream needs a restart for any feature gate).
  let rawStatus = gateEnabled(initial, 'RawResourceStatusCollection');
  config.onChange(() => {
    const now = gateEnabled(settings(), 'RawResourceStatusCollection');
    if (now === rawStatus) return;
    rawStatus = now;
    log.info({ rawResourceStatusCollection: now }, 'feature gate RawResourceStatusCollection changed');
    typeConfigs.resyncAll();
  });

  const scheduling = new SchedulingController({
    host,
    events: eventsClient,
    kubefedNamespace: namespace,
    scope: initial.scope,
    informers: manager.informers,
    members,
    settings: () => syncSettings(settings()),
    ...(options.unschedulableThresholdMs !== undefined
      ? { unschedulableThresholdMs: options.unschedulableThresholdMs }
      : {}),
    metrics,
    log: log.child({ controller: 'replicaschedulingpreference' }),
  });
  manager.add(scheduling.controller);

  let policies: PolicyController | undefined;
  if (options.propagationPolicies && initial.scope !== 'Cluster') {
    log.error(
      'propagation policies need a cluster-scoped control plane (KubeFedConfig spec.scope Cluster); not starting the policy controller',
    );
  } else if (options.propagationPolicies) {
    policies = new PolicyController({
      host,
      events: eventsClient,
      kubefedNamespace: namespace,
      scope: initial.scope,
      informers: manager.informers,
      metrics,
      log: log.child({ controller: 'propagationpolicy' }),
    });
    manager.add(policies.controller);
  }

  // The dashboard reads the informers above (and the types' ones as their controllers start); it
  // serves from the start, saying "standing by" while another replica leads.
  const dashboard = options.dashboard
    ? new DashboardServer({
        address: options.dashboard,
        data: new DashboardSource({
          host,
          namespace,
          scope: initial.scope,
          informers: manager.informers,
          members,
          readiness: () => manager.readiness(),
          log: log.child({ component: 'dashboard' }),
        }),
        authorizer: new KubeAuthorizer(host, namespace),
        log: log.child({ component: 'dashboard' }),
      })
    : undefined;
  if (!options.leaderElect) logStarting();
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

/**
 * The settings of the KubeFedConfig object, following its changes: an invalid edit keeps the last
 * valid settings (and says so), and scope never changes.
 */
function followKubeFedConfig(
  manager: Manager,
  host: ClusterClient,
  namespace: string,
  loaded: { object: KubeFedConfig; spec: DefaultedKubeFedConfigSpec },
  log: Logger,
): ConfigSettings {
  const configInformer = manager.informers.get<KubeFedConfig>(host, resourceRefOf(KubeFedConfigDefinition), {
    namespace,
    fieldSelector: `metadata.name=${KUBEFED_CONFIG_NAME}`,
  });
  let current = loaded.spec;
  let currentRv = loaded.object.metadata.resourceVersion;
  const settings = (): DefaultedKubeFedConfigSpec => {
    const latest = configInformer.store.getByName(KUBEFED_CONFIG_NAME, namespace);
    if (latest && latest.metadata.resourceVersion !== currentRv) {
      currentRv = latest.metadata.resourceVersion;
      const spec = defaultKubeFedConfig(latest.spec ?? {});
      const errors = validateKubeFedConfig(spec);
      if (errors.length > 0)
        log.error({ errors }, 'KubeFedConfig update is invalid; keeping the previous settings');
      else if (spec.scope !== current.scope)
        log.error('KubeFedConfig spec.scope is immutable; keeping the previous scope');
      else current = spec;
    }
    return current;
  };
  return {
    settings,
    onChange: (handler) => configInformer.addHandlers({ onUpdate: handler }),
  };
}
