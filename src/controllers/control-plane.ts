/**
 * The control plane process: reads (or creates) the KubeFedConfig, elects a leader, and runs the
 * federation controllers on the host cluster. Settings that controllers read per reconcile (health
 * check period, thresholds, timeout) follow KubeFedConfig changes without a restart.
 */
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { KUBEFED_CONFIG_NAME, KubeFedConfigDefinition, type KubeFedConfig } from '../api/core.js';
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
import { ClusterHealthController, type HealthSettings } from './cluster/controller.js';
import { MemberClients } from './cluster/member-clients.js';
import { SchedulingController } from './scheduling/controller.js';
import type { SyncSettings } from './sync/controller.js';
import { TypeConfigController } from './typeconfig/controller.js';

export const COMPONENT = 'kubefed-controller-manager';

export interface ControlPlaneOptions {
  host: ClusterClient;
  namespace: string;
  /** Scope for a KubeFedConfig created at startup (env DEFAULT_KUBEFED_SCOPE upstream). */
  defaultScope: 'Cluster' | 'Namespaced';
  leaderElect: boolean;
  /** Lease name (default kubefed-controller-manager). */
  leaseName?: string;
  identity?: string;
  http?: { host: string; port: number };
  memberQps?: number;
  memberBurst?: number;
  /** Pods unschedulable this long count against a member's capacity in RSP scheduling (default 60 s). */
  unschedulableThresholdMs?: number;
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
  defaultScope: 'Cluster' | 'Namespaced',
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
  const { host, namespace, log } = options;
  const metrics = options.metrics ?? processMetrics();
  const loaded = await loadKubeFedConfig(host, namespace, options.defaultScope, log);
  const identity = options.identity ?? `${os.hostname()}_${randomUUID()}`;
  const le = loaded.spec.leaderElect;

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
                callbacks.onStartedLeading(s);
              },
              onStoppedLeading: () => callbacks.onStoppedLeading(),
            }),
        }
      : {}),
  });

  // Settings follow the KubeFedConfig; an invalid edit keeps the last valid settings (and says so).
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

  const recorder = new EventRecorder({
    client: eventsClient,
    component: COMPONENT,
    host: os.hostname(),
    log,
  });
  const members = new MemberClients({
    qps: options.memberQps ?? 20,
    burst: options.memberBurst ?? 30,
    userAgent: COMPONENT,
    onRequest: requestObserver(metrics),
  });
  log.info('Starting cluster controller');
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
    scope: loaded.spec.scope,
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
  let rawStatus = gateEnabled(current, 'RawResourceStatusCollection');
  configInformer.addHandlers({
    onUpdate: () => {
      const now = gateEnabled(settings(), 'RawResourceStatusCollection');
      if (now === rawStatus) return;
      rawStatus = now;
      log.info({ rawResourceStatusCollection: now }, 'feature gate RawResourceStatusCollection changed');
      typeConfigs.resyncAll();
    },
  });

  const scheduling = new SchedulingController({
    host,
    events: eventsClient,
    kubefedNamespace: namespace,
    scope: loaded.spec.scope,
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

  try {
    await manager.run(signal);
  } finally {
    await scheduling.stop().catch(() => undefined);
    await typeConfigs.stopAll().catch(() => undefined);
    await recorder.flush().catch(() => undefined);
    await members.closeAll();
    await electionClient?.close().catch(() => undefined);
    await eventsClient.close().catch(() => undefined);
  }
}
