/**
 * The cluster health controller: probes every member on the health-check period and keeps each
 * KubeFedCluster's status (conditions, version, zones, region) true. Each cluster is its own key in
 * the work queue, re-queued after every probe, so a slow or dead member only ever holds one worker
 * for at most the probe timeout and never delays the others. Cluster and Secret changes trigger an
 * immediate probe with rebuilt credentials.
 */
import { Gauge } from 'prom-client';
import { KubeFedClusterDefinition, type KubeFedCluster } from '../../api/core.js';
import { resourceRefOf } from '../../api/index.js';
import type { ClusterClient } from '../../kube/client.js';
import { Controller, requeueAfter, type ReconcileResult } from '../../kube/controller.js';
import { isNotFound, KubeError } from '../../kube/errors.js';
import type { EventRecorder } from '../../kube/events.js';
import type { SharedInformers } from '../../kube/informers.js';
import type { Logger } from '../../kube/log.js';
import type { Metrics } from '../../kube/metrics.js';
import { ResourceClient, type ResourceRef } from '../../kube/resource.js';
import {
  isReady,
  nextStatus,
  nextStreak,
  topologyOf,
  type ProbeOutcome,
  type ProbeStreak,
} from './health.js';
import type { MemberClients } from '../members/member-clients.js';

export interface HealthSettings {
  periodMs: number;
  timeoutMs: number;
  failureThreshold: number;
  successThreshold: number;
}

export interface ClusterHealthOptions {
  host: ClusterClient;
  /** The KubeFed namespace: KubeFedClusters and their Secrets live here. */
  namespace: string;
  informers: SharedInformers;
  /** Read at every probe, so KubeFedConfig changes apply without a restart. */
  settings: () => HealthSettings;
  members: MemberClients;
  recorder?: EventRecorder;
  metrics: Metrics;
  log: Logger;
  /** Probes in flight at once (default 16). */
  workers?: number;
}

const SECRETS: ResourceRef = { group: '', version: 'v1', resource: 'secrets', namespaced: true };

interface NodeList {
  items: { metadata: { labels?: Record<string, string> } }[];
}

/** Probes one member: /healthz, then (when ok) /version and the nodes' topology labels. */
export async function probeMember(client: ClusterClient, timeoutMs: number): Promise<ProbeOutcome> {
  const signal = AbortSignal.timeout(timeoutMs);
  let health;
  try {
    health = await client.requestRaw({
      method: 'GET',
      path: '/healthz',
      accept: 'text/plain',
      timeoutMs,
      signal,
      // Probes never wait behind the bulk writes queued on the member's rate limiter.
      unlimited: true,
      verb: 'healthz',
    });
  } catch (err) {
    // An HTTP answer other than ok means reachable but unhealthy; no answer means unreachable. Only
    // a KubeError carries an HTTP status: the probe's own timeout rejects with a DOMException whose
    // numeric `code` (23) is not one.
    if (err instanceof KubeError && err.code > 0) return { kind: 'notOk', body: err.serverMessage };
    return { kind: 'unreachable', error: (err as Error).message };
  }
  if (health.body.trim().toLowerCase() !== 'ok') return { kind: 'notOk', body: health.body.slice(0, 200) };
  try {
    const version = await client.request<{ gitVersion: string }>({
      method: 'GET',
      path: '/version',
      timeoutMs,
      signal,
      // Probes never wait behind the bulk writes queued on the member's rate limiter.
      unlimited: true,
    });
    let topology: { zones: string[]; region?: string } = { zones: [] };
    try {
      const nodes = await client.request<NodeList>({
        method: 'GET',
        path: '/api/v1/nodes',
        timeoutMs,
        signal,
        unlimited: true,
        verb: 'list',
      });
      topology = topologyOf(nodes.items);
    } catch {
      // Listing nodes is optional (a restricted join may not allow it): health does not depend on it.
    }
    return { kind: 'healthy', kubernetesVersion: version.gitVersion, ...topology };
  } catch (err) {
    return { kind: 'unreachable', error: (err as Error).message };
  }
}

export class ClusterHealthController {
  readonly controller: Controller;
  private readonly clusters;
  private readonly secrets;
  private readonly streaks = new Map<string, ProbeStreak>();
  private readonly statusClient: ResourceClient<KubeFedCluster>;
  private readonly gauge: Gauge<'state' | 'cluster'>;

  constructor(private readonly options: ClusterHealthOptions) {
    const ref = resourceRefOf(KubeFedClusterDefinition);
    this.clusters = options.informers.get<KubeFedCluster>(options.host, ref, {
      namespace: options.namespace,
    });
    this.secrets = options.informers.get(options.host, SECRETS, { namespace: options.namespace });
    this.statusClient = new ResourceClient<KubeFedCluster>(options.host, ref);
    this.gauge =
      (options.metrics.registry.getSingleMetric('kubefedcluster_total') as
        Gauge<'state' | 'cluster'> | undefined) ??
      new Gauge({
        name: 'kubefedcluster_total',
        help: 'Member clusters by health state (ready, notready, offline, malformed).',
        labelNames: ['state', 'cluster'],
        registers: [options.metrics.registry],
      });
    this.controller = new Controller({
      name: 'kubefedcluster-health',
      workers: options.workers ?? 16,
      reconcile: (key) => this.reconcile(key),
      metrics: options.metrics,
      log: options.log,
    });
    this.controller.watch(this.clusters, (c) => c.metadata.name);
    // A Secret change re-probes (with rebuilt credentials) the clusters that reference it.
    this.controller.watch(this.secrets, (s) =>
      this.clusters.store
        .list()
        .filter((c) => c.spec?.secretRef?.name === s.metadata.name)
        .map((c) => c.metadata.name!),
    );
  }

  private async reconcile(name: string): Promise<ReconcileResult> {
    const settings = this.options.settings();
    const cluster = this.clusters.store.getByName(name, this.options.namespace);
    if (!cluster) {
      this.options.members.forget(name);
      this.streaks.delete(name);
      this.gauge.remove({ cluster: name });
      return { kind: 'done' };
    }
    const secretName = cluster.spec?.secretRef?.name;
    const secret = secretName ? this.secrets.store.getByName(secretName, this.options.namespace) : undefined;
    const member = this.options.members.get(cluster, secret);
    const outcome: ProbeOutcome =
      member.kind === 'malformed' ? member : await probeMember(member.client, settings.timeoutMs);
    if (outcome.kind === 'malformed') {
      this.options.recorder?.event(cluster, 'Warning', 'MalformedClusterConfig', outcome.error);
    }
    const streak = nextStreak(this.streaks.get(name), outcome);
    this.streaks.set(name, streak);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const next = nextStatus(cluster.status, outcome, streak, settings, now);
    if (next) {
      try {
        await this.statusClient.patch(
          name,
          'merge',
          { status: next },
          { namespace: this.options.namespace, subresource: 'status' },
        );
      } catch (err) {
        // Deleted while it was probed (the cache lags): its deletion event cleans up; not a failure.
        if (isNotFound(err)) return { kind: 'done' };
        throw err;
      }
      const wasReady = isReady(cluster.status);
      const ready = isReady(next);
      if (wasReady !== ready || !cluster.status?.conditions?.length) {
        const c = next.conditions![0]!;
        this.options.recorder?.event(
          cluster,
          ready ? 'Normal' : 'Warning',
          c.reason ?? c.type,
          c.message ?? '',
        );
        this.options.log.info(
          { cluster: name, condition: c.type, status: c.status, reason: c.reason },
          'cluster health changed',
        );
      }
      this.setGauge(name, next);
    } else if (cluster.status) {
      this.setGauge(name, cluster.status);
    }
    return requeueAfter(settings.periodMs);
  }

  private setGauge(name: string, status: NonNullable<KubeFedCluster['status']>): void {
    const c = status.conditions ?? [];
    const state = isReady(status)
      ? 'ready'
      : c.some((x) => x.type === 'Offline' && x.status === 'True')
        ? 'offline'
        : c.some((x) => x.type === 'ConfigMalformed')
          ? 'malformed'
          : 'notready';
    for (const s of ['ready', 'notready', 'offline', 'malformed'])
      this.gauge.set({ state: s, cluster: name }, s === state ? 1 : 0);
  }
}
