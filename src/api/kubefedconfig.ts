/**
 * KubeFedConfig defaulting and validation, as upstream's webhook and manager apply them
 * (defaults: availableDelay 20s, unavailableDelay 60s, cacheSyncTimeout 5m; lease 15s/10s/5s;
 * health check 10s period, 3 failures, 1 success, 3s timeout; sync 1 worker, adopt Enabled).
 */
import { FEATURE_GATES, type KubeFedConfigSpec } from './core.js';

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration (`1m30s`, `500ms`) into milliseconds; throws on anything else. */
export function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (!text || matched !== text.length)
    throw new Error(`"${text}" is not a duration (examples: 10s, 1m30s, 500ms)`);
  return total;
}

export type DefaultedKubeFedConfigSpec = Required<
  Pick<
    KubeFedConfigSpec,
    | 'scope'
    | 'controllerDuration'
    | 'leaderElect'
    | 'featureGates'
    | 'clusterHealthCheck'
    | 'syncController'
    | 'statusController'
  >
> &
  KubeFedConfigSpec;

/** Fills every unset field with upstream's default; keeps what the user set. Feature gates are sorted by name. */
export function defaultKubeFedConfig(spec: Partial<KubeFedConfigSpec>): DefaultedKubeFedConfigSpec {
  const gates = [...(spec.featureGates ?? [])];
  const gateDefaults: Record<(typeof FEATURE_GATES)[number], 'Enabled' | 'Disabled'> = {
    PushReconciler: 'Enabled',
    SchedulerPreferences: 'Enabled',
    RawResourceStatusCollection: 'Disabled',
  };
  for (const name of FEATURE_GATES)
    if (!gates.some((g) => g.name === name)) gates.push({ name, configuration: gateDefaults[name] });
  gates.sort((a, b) => a.name.localeCompare(b.name));
  return {
    ...spec,
    scope: spec.scope ?? 'Cluster',
    controllerDuration: {
      availableDelay: '20s',
      unavailableDelay: '60s',
      cacheSyncTimeout: '5m',
      ...spec.controllerDuration,
    },
    leaderElect: {
      leaseDuration: '15s',
      renewDeadline: '10s',
      retryPeriod: '5s',
      resourceLock: 'configmaps',
      ...spec.leaderElect,
    },
    featureGates: gates,
    clusterHealthCheck: {
      period: '10s',
      failureThreshold: 3,
      successThreshold: 1,
      timeout: '3s',
      ...spec.clusterHealthCheck,
    },
    syncController: { maxConcurrentReconciles: 1, adoptResources: 'Enabled', ...spec.syncController },
    statusController: { maxConcurrentReconciles: 1, ...spec.statusController },
  };
}

/** Field errors of a defaulted spec (`spec.clusterHealthCheck.period: …`); empty when valid. */
export function validateKubeFedConfig(spec: DefaultedKubeFedConfigSpec): string[] {
  const errors: string[] = [];
  const positiveDuration = (path: string, v: string | undefined) => {
    try {
      if (parseDuration(v ?? '') <= 0) errors.push(`spec.${path}: must be greater than 0`);
    } catch (err) {
      errors.push(`spec.${path}: ${(err as Error).message}`);
    }
  };
  const positive = (path: string, v: number | undefined) => {
    if (!(typeof v === 'number' && Number.isInteger(v) && v > 0))
      errors.push(`spec.${path}: must be an integer greater than 0`);
  };
  if (spec.scope !== 'Cluster' && spec.scope !== 'Namespaced')
    errors.push('spec.scope: must be Cluster or Namespaced');
  for (const k of ['availableDelay', 'unavailableDelay', 'cacheSyncTimeout'] as const)
    positiveDuration(`controllerDuration.${k}`, spec.controllerDuration[k]);
  for (const k of ['leaseDuration', 'renewDeadline', 'retryPeriod'] as const)
    positiveDuration(`leaderElect.${k}`, spec.leaderElect[k]);
  if (errors.length === 0) {
    const lease = parseDuration(spec.leaderElect.leaseDuration!);
    const renew = parseDuration(spec.leaderElect.renewDeadline!);
    const retry = parseDuration(spec.leaderElect.retryPeriod!);
    if (!(lease > renew)) errors.push('spec.leaderElect.leaseDuration: must be greater than renewDeadline');
    if (!(renew > retry * 1.2))
      errors.push('spec.leaderElect.renewDeadline: must be greater than retryPeriod * 1.2');
  }
  positiveDuration('clusterHealthCheck.period', spec.clusterHealthCheck.period);
  positiveDuration('clusterHealthCheck.timeout', spec.clusterHealthCheck.timeout);
  positive('clusterHealthCheck.failureThreshold', spec.clusterHealthCheck.failureThreshold);
  positive('clusterHealthCheck.successThreshold', spec.clusterHealthCheck.successThreshold);
  positive('syncController.maxConcurrentReconciles', spec.syncController.maxConcurrentReconciles);
  positive('statusController.maxConcurrentReconciles', spec.statusController.maxConcurrentReconciles);
  if (!['Enabled', 'Disabled'].includes(spec.syncController.adoptResources ?? '')) {
    errors.push('spec.syncController.adoptResources: must be Enabled or Disabled');
  }
  const seen = new Set<string>();
  spec.featureGates.forEach((g, i) => {
    if (!(FEATURE_GATES as readonly string[]).includes(g.name))
      errors.push(
        `spec.featureGates[${i}].name: unknown feature gate "${g.name}" (known: ${FEATURE_GATES.join(', ')})`,
      );
    if (seen.has(g.name)) errors.push(`spec.featureGates[${i}].name: "${g.name}" is listed twice`);
    seen.add(g.name);
    if (g.configuration !== 'Enabled' && g.configuration !== 'Disabled')
      errors.push(`spec.featureGates[${i}].configuration: must be Enabled or Disabled`);
  });
  return errors;
}
