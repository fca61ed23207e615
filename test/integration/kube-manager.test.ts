/** The controller kit's manager, controller and shared informers against a real API server. */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterClient } from '../../src/kube/client.js';
import { Controller, done } from '../../src/kube/controller.js';
import type { Informer } from '../../src/kube/informer.js';
import { SharedInformers } from '../../src/kube/informers.js';
import {
  LeadershipLostError,
  Manager,
  type ElectorFactory,
  type LeaderCallbacks,
} from '../../src/kube/manager.js';
import { createMetrics, requestObserver, type Metrics } from '../../src/kube/metrics.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../src/kube/resource.js';
import { splitKey } from '../../src/kube/store.js';
import { pollUntil } from '../../src/poll.js';
import { clusterClient, uniqueName } from '../support/local.js';

const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
/** ConfigMaps have no metadata.generation: the test's objects carry theirs in `data.generation`. */
const ANNOTATION = 'reconciled-generation';

const log = pino({ level: 'warn' }, pino.destination(2));
let metrics: Metrics;
let client: ClusterClient;
let cms: ResourceClient;
let ns: string;

beforeAll(async () => {
  metrics = createMetrics();
  client = await clusterClient('cluster2', { qps: 1000, burst: 1000, onRequest: requestObserver(metrics) });
  cms = new ResourceClient(client, CONFIGMAPS);
  ns = uniqueName('manager');
  await new ResourceClient(client, NAMESPACES).create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns },
  });
});
afterAll(async () => {
  await new ResourceClient(client, NAMESPACES).delete(ns).catch(() => undefined);
  await client.close();
});

const configMap = (name: string, set: string, generation = '1'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, labels: { set } },
  data: { generation },
});

/**
 * A controller that stamps each ConfigMap of the informer with the generation it reconciled. It
 * reads the object from the cache by key and writes only when the stamp differs, so its own write
 * (which comes back as an update event) ends in a no-op reconcile.
 */
function annotator(
  name: string,
  informer: Informer<KubeObject>,
): { controller: Controller; reconciles: () => number } {
  let reconciles = 0;
  const controller = new Controller({
    name,
    workers: 4,
    metrics,
    log,
    reconcile: async (key) => {
      reconciles++;
      const obj = informer.store.get(key);
      if (!obj) return done;
      const generation = (obj.data as Record<string, string> | undefined)?.generation ?? '0';
      if (obj.metadata.annotations?.[ANNOTATION] === generation) return done;
      const { namespace, name } = splitKey(key);
      await cms.patch(
        name,
        'merge',
        { metadata: { annotations: { [ANNOTATION]: generation } } },
        { namespace },
      );
      return done;
    },
  });
  controller.watch(informer);
  return { controller, reconciles: () => reconciles };
}

/** Polls until every ConfigMap of `set` carries the stamp `generation` (and there are `count`). */
async function annotated(set: string, count: number, generation = '1'): Promise<void> {
  await pollUntil(
    `${count} ConfigMaps of set ${set} annotated ${ANNOTATION}=${generation}`,
    async () => {
      const items = (await cms.listAll({ namespace: ns, labelSelector: `set=${set}` })).items;
      const stamped = items.filter((i) => i.metadata.annotations?.[ANNOTATION] === generation).length;
      return stamped === count && items.length === count
        ? { done: true, value: undefined }
        : { done: false, seen: `${stamped} of ${items.length} annotated` };
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
}

const endpoint = (m: Manager, path: string) => `http://${m.address!.host}:${m.address!.port}${path}`;

async function get(m: Manager, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(endpoint(m, path));
  return { status: res.status, body: await res.text() };
}

async function served(m: Manager): Promise<void> {
  await pollUntil(
    'the manager to serve HTTP',
    () => (m.address ? { done: true, value: undefined } : { done: false, seen: 'no address yet' }),
    { timeoutMs: 10_000, intervalMs: 20 },
  );
}

async function readyz(m: Manager, body = 'ok'): Promise<void> {
  await pollUntil(
    `/readyz to answer 200 "${body}"`,
    async () => {
      const r = await get(m, '/readyz');
      return r.status === 200 && r.body === body
        ? { done: true, value: undefined }
        : { done: false, seen: `${r.status} ${r.body.trim()}` };
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
}

/** A stand-in for the Lease-based elector: the test decides when this replica leads and loses. */
function fakeElection(identity = 'replica-a') {
  let callbacks: LeaderCallbacks | undefined;
  let leading: AbortController | undefined;
  let finish: ((outcome: 'lost' | 'cancelled') => void) | undefined;
  const stepDown = () => {
    if (leading && !leading.signal.aborted) {
      leading.abort();
      callbacks!.onStoppedLeading();
    }
  };
  const election = {
    /** Called when the manager cancels the election (on shutdown), before it resolves. */
    onCancel: undefined as (() => void) | undefined,
    factory: ((cb) => {
      callbacks = cb;
      return {
        identity,
        isLeader: () => leading !== undefined && !leading.signal.aborted,
        run: (signal) =>
          new Promise((resolve) => {
            finish = resolve;
            signal.addEventListener(
              'abort',
              () => {
                election.onCancel?.();
                stepDown();
                resolve('cancelled');
              },
              { once: true },
            );
          }),
      };
    }) satisfies ElectorFactory,
    lead: () => {
      leading = new AbortController();
      callbacks!.onStartedLeading(leading.signal);
    },
    lose: () => {
      stepDown();
      finish!('lost');
    },
  };
  return election;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('manager', () => {
  it('reconciles every ConfigMap through a shared informer, serves health, readiness and metrics, and stops cleanly', async () => {
    const manager = new Manager({ name: 'kube-manager-test', metrics, log, http: { port: 0 } });
    const selection = { namespace: ns, labelSelector: 'set=plain' };
    const informer = manager.informers.get(client, CONFIGMAPS, selection);
    const { controller, reconciles } = annotator('configmap-annotator', informer);
    manager.add(controller);
    const abort = new AbortController();
    const running = manager.run(abort.signal);
    try {
      await served(manager);
      expect(await get(manager, '/healthz')).toEqual({ status: 200, body: 'ok' });
      await readyz(manager);
      expect(informer.hasSynced()).toBe(true);

      await Promise.all(Array.from({ length: 20 }, (_, i) => cms.create(configMap(`cm-${i}`, 'plain'))));
      await annotated('plain', 20);

      await cms.patch('cm-7', 'merge', { data: { generation: '2' } }, { namespace: ns });
      await pollUntil(
        'cm-7 to be annotated with generation 2',
        async () => {
          const stamp = (await cms.get('cm-7', { namespace: ns })).metadata.annotations?.[ANNOTATION];
          return stamp === '2' ? { done: true, value: undefined } : { done: false, seen: `stamp ${stamp}` };
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );

      const text = (await get(manager, '/metrics')).body;
      const successes =
        /^controller_runtime_reconcile_total\{controller="configmap-annotator",result="success"\} (\d+)$/m.exec(
          text,
        );
      expect(Number(successes?.[1])).toBeGreaterThan(0);
      expect(text).toContain('rest_client_requests_total{cluster="cluster2"');
      expect(text).toContain('workqueue_depth{name="configmap-annotator"}');
      expect(text).toContain('process_cpu_user_seconds_total');
      expect((await get(manager, '/nope')).status).toBe(404);
    } finally {
      abort.abort();
      await running;
    }

    // Stopped: the server is closed, the queue shut down, and new objects go unreconciled.
    await expect(fetch(endpoint(manager, '/healthz'))).rejects.toThrow();
    expect(controller.queue.isShuttingDown()).toBe(true);
    const before = reconciles();
    await cms.create(configMap('after-stop', 'plain'));
    await sleep(1500);
    expect(reconciles()).toBe(before);
    expect(
      (await cms.get('after-stop', { namespace: ns })).metadata.annotations?.[ANNOTATION],
    ).toBeUndefined();
  });

  it('starts the controllers only once leading, and rejects run() with LeadershipLostError when leadership is lost', async () => {
    const election = fakeElection();
    const manager = new Manager({
      name: 'kube-manager-elected',
      metrics,
      log,
      http: { port: 0 },
      leaderElection: election.factory,
    });
    const informer = manager.informers.get(client, CONFIGMAPS, {
      namespace: ns,
      labelSelector: 'set=elected',
    });
    const { controller, reconciles } = annotator('elected-annotator', informer);
    manager.add(controller);
    await Promise.all(Array.from({ length: 3 }, (_, i) => cms.create(configMap(`elected-${i}`, 'elected'))));

    const running = manager.run(new AbortController().signal);
    const outcome = running.then(
      () => 'resolved',
      (err: unknown) => err,
    );
    await served(manager);
    // Standing by is ready (a rollout must not wait for leadership), but nothing runs.
    await readyz(manager, 'standing by: another replica leads');
    await sleep(1000);
    expect(reconciles()).toBe(0);
    expect(informer.stats.lists).toBe(0);
    expect((await get(manager, '/metrics')).body).toContain(
      'leader_election_master_status{name="kube-manager-elected"} 0',
    );

    election.lead();
    await annotated('elected', 3);
    await readyz(manager);
    expect((await get(manager, '/metrics')).body).toContain(
      'leader_election_master_status{name="kube-manager-elected"} 1',
    );

    election.lose();
    const err = await outcome;
    expect(err).toBeInstanceOf(LeadershipLostError);
    expect((err as LeadershipLostError).message).toContain('replica-a lost leadership');
    expect(controller.queue.isShuttingDown()).toBe(true);
    await expect(fetch(endpoint(manager, '/healthz'))).rejects.toThrow();
    expect(await metrics.registry.getSingleMetricAsString('leader_election_master_status')).toContain(
      'leader_election_master_status{name="kube-manager-elected"} 0',
    );
  });

  it('drains the controllers before leaving the election on shutdown while leading', async () => {
    const election = fakeElection('replica-b');
    const manager = new Manager({
      name: 'kube-manager-drain',
      metrics,
      log,
      leaderElection: election.factory,
    });
    const informer = manager.informers.get(client, CONFIGMAPS, { namespace: ns, labelSelector: 'set=drain' });
    const { controller } = annotator('drain-annotator', informer);
    manager.add(controller);
    await cms.create(configMap('drain-0', 'drain'));
    const abort = new AbortController();
    const running = manager.run(abort.signal);
    election.lead();
    await annotated('drain', 1);
    let drainedBeforeCancel: boolean | undefined;
    election.onCancel = () => {
      drainedBeforeCancel = controller.queue.isShuttingDown() && controller.queue.processingCount() === 0;
    };
    abort.abort();
    await running;
    expect(drainedBeforeCancel).toBe(true);
  });
});

describe('shared informers', () => {
  it('returns the same informer for the same cluster, resource and selection, and another for any difference', async () => {
    const other = await clusterClient('cluster3');
    try {
      const informers = new SharedInformers({ metrics, log });
      const selection = { namespace: ns, labelSelector: 'set=plain' };
      const first = informers.get(client, CONFIGMAPS, selection);
      expect(informers.get(client, CONFIGMAPS, { ...selection })).toBe(first);
      expect(informers.get(client, CONFIGMAPS, { namespace: ns, labelSelector: 'set=other' })).not.toBe(
        first,
      );
      expect(informers.get(client, CONFIGMAPS, { labelSelector: 'set=plain' })).not.toBe(first);
      expect(informers.get(other, CONFIGMAPS, selection)).not.toBe(first);
      expect(informers.get(client, { ...CONFIGMAPS, resource: 'secrets' }, selection)).not.toBe(first);
      expect(informers.list()).toHaveLength(5);
      expect(() =>
        informers.get(client, CONFIGMAPS, { ...selection, indexers: { byOwner: () => [] } }),
      ).toThrow(/created without the index\(es\) byOwner/);

      // Started informers sync; one requested after start() starts at once.
      informers.start();
      await informers.waitForSync(30_000);
      const late = informers.get(client, CONFIGMAPS, { namespace: ns, labelSelector: 'set=late' });
      await late.waitForSync(30_000);
      expect(informers.hasSynced()).toBe(true);
      await informers.stop();
    } finally {
      await other.close();
    }
  });
});
