/**
 * The Event recorder against a real API server: deduplication (one create, then patches carrying
 * the total), re-creating an Event deleted meanwhile, rate limiting, placement, kubectl, writes
 * refused by RBAC, and event() not waiting for the API.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ClusterClient, type RequestEvent } from '../../src/kube/client.js';
import { Kubeconfig } from '../../src/kube/credentials.js';
import { EventRecorder, MAX_MESSAGE_LENGTH } from '../../src/kube/events.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../src/kube/resource.js';
import { clusterClient, kubectl, uniqueName } from '../support/local.js';

const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
const EVENTS: ResourceRef = { group: '', version: 'v1', resource: 'events', namespaced: true };
const SERVICE_ACCOUNTS: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'serviceaccounts',
  namespaced: true,
};

interface CoreEvent extends KubeObject {
  involvedObject: Record<string, string>;
  source: { component?: string; host?: string };
  type: string;
  reason: string;
  message: string;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
}

let client: ClusterClient;
let ns: string;
const events = () => new ResourceClient<CoreEvent>(client, EVENTS);

beforeAll(async () => {
  client = await clusterClient('cluster2');
  ns = uniqueName('events');
  await new ResourceClient(client, NAMESPACES).create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns },
  });
});
const closeAfter: ClusterClient[] = [];
afterAll(async () => {
  await new ResourceClient(client, NAMESPACES).delete(ns).catch(() => undefined);
  for (const c of [client, ...closeAfter]) await c.close();
});

/** Another client for cluster2 that notes every request it sends (verb and status), as metrics do. */
async function observedClient(options: { qps?: number; burst?: number } = {}) {
  const requests: RequestEvent[] = [];
  const c = await clusterClient('cluster2', { ...options, onRequest: (e) => requests.push(e) });
  closeAfter.push(c);
  return { client: c, requests, writes: () => requests.map((r) => `${r.verb} ${r.code}`) };
}

/** A real pino logger whose lines land in `lines`, to see what the recorder reports. */
function capturedLog() {
  const lines: { level: number; msg: string; err?: { message?: string } }[] = [];
  const log = pino(
    { level: 'debug' },
    { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) },
  );
  return { log, lines };
}

/** A fresh ConfigMap as the API returns it (with uid and resourceVersion), apiVersion/kind set. */
async function configMap(name: string): Promise<KubeObject> {
  const created = await new ResourceClient(client, CONFIGMAPS).create({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns },
    data: { k: 'v' },
  });
  return { ...created, apiVersion: 'v1', kind: 'ConfigMap' };
}

/** The Events about `obj` in `namespace`, oldest first. */
async function eventsAbout(obj: KubeObject, namespace = ns): Promise<CoreEvent[]> {
  const list = await events().list({ namespace, fieldSelector: `involvedObject.uid=${obj.metadata.uid}` });
  return list.items.sort((a, b) => a.metadata.name!.localeCompare(b.metadata.name!));
}

describe('event recorder', () => {
  it('writes ten identical Warning events as one Event with count 10, and another reason as a second Event', async () => {
    const cm = await configMap('dedupe');
    const recorder = new EventRecorder({ client, component: 'kubefed-test', host: 'test-host' });
    for (let i = 0; i < 10; i++) recorder.event(cm, 'Warning', 'SyncFailed', 'cannot reach cluster3');
    await recorder.flush();

    const [event, ...rest] = await eventsAbout(cm);
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      metadata: { namespace: ns },
      involvedObject: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'dedupe',
        namespace: ns,
        uid: cm.metadata.uid,
        resourceVersion: cm.metadata.resourceVersion,
      },
      source: { component: 'kubefed-test', host: 'test-host' },
      type: 'Warning',
      reason: 'SyncFailed',
      message: 'cannot reach cluster3',
      count: 10,
    });
    expect(event!.metadata.name).toMatch(/^dedupe\.[0-9a-f]+$/);
    expect(Date.parse(event!.lastTimestamp)).toBeGreaterThanOrEqual(Date.parse(event!.firstTimestamp));

    recorder.event(cm, 'Warning', 'SyncFailed', 'cannot reach cluster3');
    recorder.event(cm, 'Normal', 'Synced', 'propagated to 2 clusters');
    await recorder.flush();
    const after = await eventsAbout(cm);
    expect(Object.fromEntries(after.map((e) => [e.reason, e.count]))).toEqual({ SyncFailed: 11, Synced: 1 });
  });

  it('cuts more than burst distinct events for one object to burst, leaving other objects alone', async () => {
    const noisy = await configMap('noisy');
    const quiet = await configMap('quiet');
    const recorder = new EventRecorder({ client, component: 'kubefed-test' });
    for (let i = 0; i < 40; i++) recorder.event(noisy, 'Normal', 'Step', `step ${i}`);
    recorder.event(quiet, 'Normal', 'Step', 'step 0');
    await recorder.flush();

    const written = await eventsAbout(noisy);
    expect(written).toHaveLength(25);
    // The first 25 got through: tokens are spent in order.
    expect(written.map((e) => e.message).sort()).toEqual(
      Array.from({ length: 25 }, (_, i) => `step ${i}`).sort(),
    );
    expect(await eventsAbout(quiet)).toHaveLength(1);
  });

  it('records events about a cluster-scoped object in the default namespace', async () => {
    const namespace = {
      ...(await new ResourceClient(client, NAMESPACES).get(ns)),
      apiVersion: 'v1',
      kind: 'Namespace',
    };
    const recorder = new EventRecorder({ client, component: 'kubefed-test' });
    const long = `namespace ${ns} is federated; ${'details '.repeat(300)}`;
    recorder.event(namespace, 'Normal', 'Federated', long);
    await recorder.flush();

    const found = await eventsAbout(namespace, 'default');
    try {
      expect(found).toHaveLength(1);
      expect(found[0]!.metadata.namespace).toBe('default');
      // Cut to the API server's limit on notes, not refused.
      expect(found[0]!.message).toBe(long.slice(0, MAX_MESSAGE_LENGTH));
      expect(found[0]!.involvedObject).toEqual({
        apiVersion: 'v1',
        kind: 'Namespace',
        name: ns,
        uid: namespace.metadata.uid,
        resourceVersion: namespace.metadata.resourceVersion,
      });
    } finally {
      for (const e of found)
        await events()
          .delete(e.metadata.name!, { namespace: 'default' })
          .catch(() => undefined);
    }
  });

  it('shows recorded events in kubectl describe', async () => {
    const cm = await configMap('described');
    const recorder = new EventRecorder({ client, component: 'kubefed-test' });
    recorder.event(cm, 'Warning', 'PropagationBlocked', 'placement selects no cluster');
    recorder.event(cm, 'Warning', 'PropagationBlocked', 'placement selects no cluster');
    await recorder.flush();

    const out = await kubectl('cluster2', ['-n', ns, 'describe', 'configmap', 'described']);
    expect(out).toMatch(/Events:/);
    expect(out).toMatch(/Warning\s+PropagationBlocked\s+.*kubefed-test\s+placement selects no cluster/);
  });

  it('writes a burst of identical events as one create, then one patch carrying the total', async () => {
    const cm = await configMap('burst');
    const api = await observedClient();
    const recorder = new EventRecorder({ client: api.client, component: 'kubefed-test' });
    for (let i = 0; i < 10; i++) recorder.event(cm, 'Warning', 'SyncFailed', 'cannot reach cluster3');
    await recorder.flush();
    // The first occurrence is created; the nine that arrived meanwhile go in a single patch.
    expect(api.writes()).toEqual(['post 201', 'patch 200']);
    const [event, ...rest] = await eventsAbout(cm);
    expect(rest).toEqual([]);
    expect(event!.count).toBe(10);
  });

  it('creates an Event deleted meanwhile afresh, keeping the running count', async () => {
    const cm = await configMap('expired');
    const api = await observedClient();
    const recorder = new EventRecorder({ client: api.client, component: 'kubefed-test' });
    recorder.event(cm, 'Warning', 'SyncFailed', 'cannot reach cluster3');
    await recorder.flush();
    const [first] = await eventsAbout(cm);
    expect(first!.count).toBe(1);
    // Gone from the server, as an Event is once its TTL (an hour by default) passes.
    await events().delete(first!.metadata.name!, { namespace: ns });

    recorder.event(cm, 'Warning', 'SyncFailed', 'cannot reach cluster3');
    await recorder.flush();
    expect(api.writes()).toEqual(['post 201', 'patch 404', 'post 201']);
    const [second, ...rest] = await eventsAbout(cm);
    expect(rest).toEqual([]);
    expect(second!.metadata.name).not.toBe(first!.metadata.name);
    expect(second).toMatchObject({ reason: 'SyncFailed', count: 2, firstTimestamp: first!.firstTimestamp });
  });

  it('never throws when writes are refused (an identity without RBAC on events): it logs them', async () => {
    const cm = await configMap('refused');
    await new ResourceClient(client, SERVICE_ACCOUNTS).create({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'no-events', namespace: ns },
    });
    const review = await client.request<{ status: { token: string } }>({
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/serviceaccounts/no-events/token`,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    });
    const admin = Kubeconfig.load(inject('kubeconfig')).credentials('cluster2');
    const forbidden = new ClusterClient({
      name: 'cluster2-as-no-events',
      server: admin.server,
      ...(admin.caData ? { caData: admin.caData } : {}),
      token: review.status.token,
    });
    closeAfter.push(forbidden);
    const { log, lines } = capturedLog();
    const recorder = new EventRecorder({ client: forbidden, component: 'kubefed-test', log });

    expect(() => recorder.event(cm, 'Warning', 'SyncFailed', 'cannot reach cluster3')).not.toThrow();
    expect(() => recorder.event(cm, 'Normal', 'Synced', 'ok')).not.toThrow();
    expect(() => recorder.event(null as unknown as KubeObject, 'Warning', 'Failed', 'boom')).not.toThrow();
    await expect(recorder.flush()).resolves.toBeUndefined();

    expect(await eventsAbout(cm)).toEqual([]);
    const failed = lines.filter((l) => l.msg === 'cannot write an event');
    expect(failed).toHaveLength(2);
    expect(failed[0]!.err?.message).toMatch(/forbidden/);
    expect(lines.some((l) => l.msg === 'cannot record an event')).toBe(true);
  });

  it('returns from event() at once, while the writes wait for the client rate limiter', async () => {
    const cm = await configMap('async');
    // 20 requests a second, no burst: 25 creates take more than a second.
    const api = await observedClient({ qps: 20, burst: 1 });
    const recorder = new EventRecorder({ client: api.client, component: 'kubefed-test' });
    const started = performance.now();
    for (let i = 0; i < 100; i++) recorder.event(cm, 'Normal', 'Step', `step ${i}`);
    const recorded = performance.now() - started;
    await recorder.flush();
    const flushed = performance.now() - started;
    expect(recorded).toBeLessThan(250);
    expect(flushed).toBeGreaterThan(1000);
    // The spam filter let the first 25 through; each was written.
    expect(api.writes()).toEqual(Array.from({ length: 25 }, () => 'post 201'));
    expect(await eventsAbout(cm)).toHaveLength(25);
  });
});
