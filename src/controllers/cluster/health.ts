/**
 * Cluster health as data: from the outcome of one probe, the cluster's stored status and the
 * thresholds, the status to store. Pure; the controller does the probing and writing.
 *
 * Conditions follow upstream KubeFed v0.10 exactly (one set per probe result):
 * - healthy:      Ready=True  ClusterReady "/healthz responded with ok"
 * - not ok:       Ready=False ClusterNotReady "/healthz responded without ok[: <answer>]", Offline=False ClusterReachable
 * - unreachable:  Offline=True ClusterNotReachable "cluster is not reachable: <error>"
 * - bad config:   ConfigMalformed=True ClusterConfigMalformed
 *
 * Thresholds work like kubelet probes (not upstream's count-since-transition quirk): the stored
 * health flips only after `failureThreshold` consecutive failing probes, or `successThreshold`
 * consecutive passing ones. The first probe of a cluster without a status is taken at once.
 */
import type { ClusterCondition, KubeFedCluster } from '../../api/core.js';

export type ProbeOutcome =
  | { kind: 'healthy'; kubernetesVersion: string; zones: string[]; region?: string }
  | { kind: 'notOk'; body: string }
  | { kind: 'unreachable'; error: string }
  | { kind: 'malformed'; error: string };

export type ClusterStatus = NonNullable<KubeFedCluster['status']>;

export interface HealthThresholds {
  failureThreshold: number;
  successThreshold: number;
}

/** Consecutive probe results of one cluster, kept in memory by the controller. */
export interface ProbeStreak {
  healthy: boolean;
  count: number;
}

export function nextStreak(prev: ProbeStreak | undefined, outcome: ProbeOutcome): ProbeStreak {
  const healthy = outcome.kind === 'healthy';
  return prev && prev.healthy === healthy ? { healthy, count: prev.count + 1 } : { healthy, count: 1 };
}

export function conditionsFor(outcome: ProbeOutcome, now: string): ClusterCondition[] {
  switch (outcome.kind) {
    case 'healthy':
      return [
        {
          type: 'Ready',
          status: 'True',
          reason: 'ClusterReady',
          message: '/healthz responded with ok',
          lastProbeTime: now,
        },
      ];
    case 'notOk':
      return [
        {
          type: 'Ready',
          status: 'False',
          reason: 'ClusterNotReady',
          // Upstream's text, plus the answer: "Unauthorized" (a bad or expired token) or the failed checks.
          message: `/healthz responded without ok${outcome.body.trim() ? `: ${outcome.body.trim()}` : ''}`,
          lastProbeTime: now,
        },
        {
          type: 'Offline',
          status: 'False',
          reason: 'ClusterReachable',
          message: 'cluster is reachable',
          lastProbeTime: now,
        },
      ];
    case 'unreachable':
      return [
        {
          type: 'Offline',
          status: 'True',
          reason: 'ClusterNotReachable',
          message: `cluster is not reachable: ${outcome.error}`,
          lastProbeTime: now,
        },
      ];
    case 'malformed':
      return [
        {
          type: 'ConfigMalformed',
          status: 'True',
          reason: 'ClusterConfigMalformed',
          message: `cluster's configuration may be malformed: ${outcome.error}`,
          lastProbeTime: now,
        },
      ];
  }
}

export function isReady(status: ClusterStatus | undefined): boolean {
  return status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

const sameCondition = (a: ClusterCondition, b: ClusterCondition) =>
  a.type === b.type && a.status === b.status && a.reason === b.reason && a.message === b.message;

/**
 * The status to store after a probe, or `undefined` when the stored one still holds (no write).
 * Only a change of conditions, version, zones or region is a change: the probe time alone is not,
 * so an idle federation makes no writes (lastProbeTime records the probe that changed the status).
 */
export function nextStatus(
  stored: ClusterStatus | undefined,
  outcome: ProbeOutcome,
  streak: ProbeStreak,
  thresholds: HealthThresholds,
  now: string,
): ClusterStatus | undefined {
  const hasStatus = (stored?.conditions?.length ?? 0) > 0;
  const storedHealthy = isReady(stored);
  const flips = hasStatus && storedHealthy !== streak.healthy;
  const needed = streak.healthy ? thresholds.successThreshold : thresholds.failureThreshold;
  // Not enough consecutive evidence to flip: keep what is stored.
  if (flips && streak.count < needed) return undefined;

  const fresh = conditionsFor(outcome, now);
  const conditions = fresh.map((c) => {
    const old = stored?.conditions?.find((o) => o.type === c.type);
    const transitioned = !old || old.status !== c.status;
    return { ...c, lastTransitionTime: transitioned ? now : (old.lastTransitionTime ?? now) };
  });
  const next: ClusterStatus = { ...(stored ?? {}), conditions };
  if (outcome.kind === 'healthy') {
    next.kubernetesVersion = outcome.kubernetesVersion;
    next.zones = outcome.zones;
    if (outcome.region) next.region = outcome.region;
    else delete next.region;
  }
  const unchanged =
    hasStatus &&
    stored!.conditions!.length === conditions.length &&
    conditions.every((c) => stored!.conditions!.some((o) => sameCondition(o, c))) &&
    stored!.kubernetesVersion === next.kubernetesVersion &&
    JSON.stringify(stored!.zones ?? []) === JSON.stringify(next.zones ?? []) &&
    stored!.region === next.region;
  return unchanged ? undefined : next;
}

/** Zones (sorted, unique) and the most common region of a cluster's nodes, from topology labels. */
export function topologyOf(nodes: { metadata: { labels?: Record<string, string> } }[]): {
  zones: string[];
  region?: string;
} {
  const zones = new Set<string>();
  const regions = new Map<string, number>();
  for (const n of nodes) {
    const l = n.metadata.labels ?? {};
    const zone = l['topology.kubernetes.io/zone'] ?? l['failure-domain.beta.kubernetes.io/zone'];
    const region = l['topology.kubernetes.io/region'] ?? l['failure-domain.beta.kubernetes.io/region'];
    if (zone) zones.add(zone);
    if (region) regions.set(region, (regions.get(region) ?? 0) + 1);
  }
  const region = [...regions].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
  return { zones: [...zones].sort(), ...(region ? { region } : {}) };
}
