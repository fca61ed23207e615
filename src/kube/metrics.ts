/**
 * Prometheus metrics of the controller kit, named as controller-runtime and client-go name them so
 * that existing dashboards and alerts carry over: work queues, reconciles, API requests, watch
 * restarts and leader election. One {@link Registry} per process holds them ({@link processMetrics});
 * tests create their own with {@link createMetrics} to count in isolation.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ClientOptions, RequestEvent } from './client.js';
import type { InformerOptions } from './informer.js';
import type { KubeObject, ResourceRef } from './resource.js';
import type { WorkQueueMetrics } from './workqueue.js';

/** How a reconcile ended, as controller-runtime's `result` label spells it. */
export type ReconcileOutcome = 'success' | 'error' | 'requeue' | 'requeue_after';

export const RECONCILE_OUTCOMES: readonly ReconcileOutcome[] = [
  'success',
  'error',
  'requeue',
  'requeue_after',
];

export interface Metrics {
  readonly registry: Registry;
  readonly workqueue: {
    readonly depth: Gauge<'name'>;
    readonly adds: Counter<'name'>;
    readonly queueDuration: Histogram<'name'>;
    readonly workDuration: Histogram<'name'>;
    readonly retries: Counter<'name'>;
  };
  readonly reconcile: {
    readonly total: Counter<'controller' | 'result'>;
    readonly errors: Counter<'controller'>;
    readonly time: Histogram<'controller'>;
  };
  readonly rest: {
    readonly requests: Counter<'cluster' | 'verb' | 'code'>;
    readonly duration: Histogram<'cluster' | 'verb'>;
  };
  readonly watchRestarts: Counter<'cluster' | 'resource' | 'reason'>;
  /** 1 while this process leads the election `name`, 0 otherwise. */
  readonly leaderStatus: Gauge<'name'>;
}

/** controller-runtime's work queue buckets: 10 ns to 1000 s, by powers of ten. */
const QUEUE_BUCKETS = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);

/** controller-runtime's reconcile time buckets (seconds). */
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5,
  1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/** client-go's request latency buckets (seconds). */
const REQUEST_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60];

/**
 * Registers the kit's metrics, and Node's default process metrics, in `registry`. Throws if
 * `registry` already holds them: one registry gets one set.
 */
export function createMetrics(registry: Registry = new Registry()): Metrics {
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    workqueue: {
      depth: new Gauge({
        name: 'workqueue_depth',
        help: 'Current depth of workqueue',
        labelNames: ['name'],
        registers,
      }),
      adds: new Counter({
        name: 'workqueue_adds_total',
        help: 'Total number of adds handled by workqueue',
        labelNames: ['name'],
        registers,
      }),
      queueDuration: new Histogram({
        name: 'workqueue_queue_duration_seconds',
        help: 'How long in seconds an item stays in workqueue before being requested',
        labelNames: ['name'],
        buckets: QUEUE_BUCKETS,
        registers,
      }),
      workDuration: new Histogram({
        name: 'workqueue_work_duration_seconds',
        help: 'How long in seconds processing an item from workqueue takes',
        labelNames: ['name'],
        buckets: QUEUE_BUCKETS,
        registers,
      }),
      retries: new Counter({
        name: 'workqueue_retries_total',
        help: 'Total number of retries handled by workqueue',
        labelNames: ['name'],
        registers,
      }),
    },
    reconcile: {
      total: new Counter({
        name: 'controller_runtime_reconcile_total',
        help: 'Total number of reconciliations per controller',
        labelNames: ['controller', 'result'],
        registers,
      }),
      errors: new Counter({
        name: 'controller_runtime_reconcile_errors_total',
        help: 'Total number of reconciliation errors per controller',
        labelNames: ['controller'],
        registers,
      }),
      time: new Histogram({
        name: 'controller_runtime_reconcile_time_seconds',
        help: 'Length of time per reconciliation per controller',
        labelNames: ['controller'],
        buckets: RECONCILE_BUCKETS,
        registers,
      }),
    },
    rest: {
      requests: new Counter({
        name: 'rest_client_requests_total',
        help: 'Number of HTTP requests, partitioned by cluster, verb and status code',
        labelNames: ['cluster', 'verb', 'code'],
        registers,
      }),
      duration: new Histogram({
        name: 'rest_client_request_duration_seconds',
        help: 'Request latency in seconds (to the response headers for watches), by cluster and verb',
        labelNames: ['cluster', 'verb'],
        buckets: REQUEST_BUCKETS,
        registers,
      }),
    },
    watchRestarts: new Counter({
      name: 'informer_watch_restarts_total',
      help: 'Restarts of informer watches, by cluster, resource and reason (gone, error, idle, closed)',
      labelNames: ['cluster', 'resource', 'reason'],
      registers,
    }),
    leaderStatus: new Gauge({
      name: 'leader_election_master_status',
      help: 'Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master',
      labelNames: ['name'],
      registers,
    }),
  };
}

let processWide: Metrics | undefined;

/**
 * The process's metrics, created on first use: what controllers, informers and the manager count
 * into unless given others (controller-runtime's global registry).
 */
export function processMetrics(): Metrics {
  processWide ??= createMetrics();
  return processWide;
}

/** Work queue hooks that feed the `workqueue_*` metrics of the queue `name`. */
export function queueMetrics(metrics: Metrics, name: string): WorkQueueMetrics {
  const { depth, adds, queueDuration, workDuration, retries } = metrics.workqueue;
  const labels = { name };
  depth.set(labels, 0);
  adds.inc(labels, 0);
  retries.inc(labels, 0);
  return {
    onAdd: () => adds.inc(labels),
    onGet: (_key, waitedMs) => queueDuration.observe(labels, waitedMs / 1000),
    onDone: (_key, processedMs) => workDuration.observe(labels, processedMs / 1000),
    onRetry: () => retries.inc(labels),
    depth: (n) => depth.set(labels, n),
  };
}

/**
 * A {@link ClientOptions.onRequest} hook that feeds `rest_client_*`. A request that got no response
 * (transport error, timeout) is counted with code `<error>`, as client-go does.
 */
export function requestObserver(metrics: Metrics): NonNullable<ClientOptions['onRequest']> {
  const { requests, duration } = metrics.rest;
  return ({ cluster, verb, code, durationMs }: RequestEvent) => {
    requests.inc({ cluster, verb, code: code === 0 ? '<error>' : String(code) });
    duration.observe({ cluster, verb }, durationMs / 1000);
  };
}

/** The `resource` label of a resource type: `deployments.apps`, or `configmaps` for the core group. */
export function resourceLabel(ref: ResourceRef): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

/** An {@link InformerOptions.onWatchRestart} hook that counts restarts of one informer's watch. */
export function watchRestartObserver(
  metrics: Metrics,
  cluster: string,
  ref: ResourceRef,
): NonNullable<InformerOptions<KubeObject>['onWatchRestart']> {
  const resource = resourceLabel(ref);
  return (reason) => metrics.watchRestarts.inc({ cluster, resource, reason });
}
