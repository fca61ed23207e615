/** The Event recorder against a real API server: deduplication, rate limiting, placement, kubectl. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterClient } from '../../src/kube/client.js';
import { EventRecorder } from '../../src/kube/events.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../src/kube/resource.js';
import { clusterClient, kubectl, uniqueName } from '../support/local.js';

const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
const EVENTS: ResourceRef = { group: '', version: 'v1', resource: 'events', namespaced: true };

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
afterAll(async () => {
  await new ResourceClient(client, NAMESPACES).delete(ns).catch(() => undefined);
  await client.close();
});

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
    recorder.event(namespace, 'Normal', 'Federated', `namespace ${ns} is federated`);
    await recorder.flush();

    const found = await eventsAbout(namespace, 'default');
    try {
      expect(found).toHaveLength(1);
      expect(found[0]!.metadata.namespace).toBe('default');
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
});
