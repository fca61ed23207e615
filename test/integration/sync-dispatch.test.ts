/**
 * The I/O half of a propagation pass (src/controllers/sync/dispatch.ts) against a real member API
 * server: each planned action's request, and how its answer becomes a cluster status and Events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchAction, type DispatchContext } from '../../src/controllers/sync/dispatch.js';
import type { ClusterAction } from '../../src/federation/plan.js';
import { MANAGED_LABEL } from '../../src/federation/render.js';
import type { ClusterClient } from '../../src/kube/client.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../src/kube/resource.js';
import { clusterClient, uniqueName } from '../support/local.js';

const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };

let client: ClusterClient;
let configMaps: ResourceClient;
let ns: string;

beforeAll(async () => {
  client = await clusterClient('cluster2', { qps: 1000, burst: 1000 });
  configMaps = new ResourceClient(client, CONFIGMAPS);
  ns = uniqueName('dispatch');
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

const cm = (name: string, data: Record<string, string>, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, labels: { [MANAGED_LABEL]: 'true' } },
  data,
  ...extra,
});

function ctx(name: string, over: Partial<DispatchContext> = {}): DispatchContext {
  return {
    client: configMaps,
    namespace: ns,
    name,
    adoptResources: 'Disabled',
    retainReplicas: false,
    namespaceTarget: false,
    deleteOptions: { kind: 'ok', options: {} },
    signal: AbortSignal.timeout(30_000),
    ...over,
  };
}

const create = (object: KubeObject): ClusterAction => ({ kind: 'create', cluster: 'cluster2', object });

describe('dispatch against a real API server', () => {
  it('creates, and records the created object version', async () => {
    const out = await dispatchAction(create(cm('created', { a: '1' })), ctx('created'));
    const live = await configMaps.get('created', { namespace: ns });
    expect(out).toMatchObject({ status: '', wrote: true, version: `rv:${live.metadata.resourceVersion}` });
    expect(out.events.map((e) => e.reason)).toEqual(['CreateInCluster']);
  });

  it('meets AlreadyExists on an unmanaged object: skips it unless adoption is enabled, then adopts it', async () => {
    await configMaps.create({ ...cm('theirs', { mine: 'no' }), metadata: { name: 'theirs', namespace: ns } });
    const skipped = await dispatchAction(create(cm('theirs', { a: '1' })), ctx('theirs'));
    expect(skipped).toMatchObject({ status: 'AlreadyExists', wrote: false });
    expect((await configMaps.get('theirs', { namespace: ns })).data).toEqual({ mine: 'no' });

    const adopted = await dispatchAction(
      create(cm('theirs', { a: '1' })),
      ctx('theirs', { adoptResources: 'Enabled' }),
    );
    expect(adopted).toMatchObject({ status: '', wrote: true });
    expect(adopted.events.map((e) => e.reason)).toEqual(['AlreadyExists', 'UpdateInCluster']);
    const live = await configMaps.get('theirs', { namespace: ns });
    expect(live.data).toEqual({ a: '1' });
    expect(live.metadata.labels?.[MANAGED_LABEL]).toBe('true');
  });

  it('reports the API server refusing an update of an immutable field, with its message', async () => {
    await dispatchAction(create(cm('frozen', { a: '1' }, { immutable: true })), ctx('frozen'));
    const live = await configMaps.get('frozen', { namespace: ns });
    const out = await dispatchAction(
      {
        kind: 'update',
        cluster: 'cluster2',
        object: { ...live, data: { a: '2' } },
        adopt: false,
        rendered: cm('frozen', { a: '2' }, { immutable: true }),
      },
      ctx('frozen'),
    );
    expect(out).toMatchObject({ status: 'UpdateFailed', wrote: false });
    expect(out.message).toMatch(/immutable/i);
    expect(out.events.map((e) => e.reason)).toEqual(['UpdateInClusterFailed']);
    expect((await configMaps.get('frozen', { namespace: ns })).data).toEqual({ a: '1' });
  });

  it('looks again when the member object changed under an update (Conflict), and updates the version read', async () => {
    await dispatchAction(create(cm('raced', { a: '1' })), ctx('raced'));
    const seen = await configMaps.get('raced', { namespace: ns });
    // A member controller writes the object between our read and our update.
    await configMaps.patch(
      'raced',
      'merge',
      { metadata: { annotations: { 'member.example/owner': 'controller' } } },
      { namespace: ns },
    );
    const rendered = cm('raced', { a: '2' });
    const out = await dispatchAction(
      {
        kind: 'update',
        cluster: 'cluster2',
        object: {
          ...rendered,
          metadata: { ...rendered.metadata, resourceVersion: seen.metadata.resourceVersion },
        },
        adopt: false,
        rendered,
      },
      ctx('raced'),
    );
    const live = await configMaps.get('raced', { namespace: ns });
    expect(out).toMatchObject({ status: '', wrote: true, version: `rv:${live.metadata.resourceVersion}` });
    expect(out.events.map((e) => e.reason)).toEqual(['UpdateInCluster']);
    expect(live.data).toEqual({ a: '2' });
    // Planned on the version read: what the member controller added is kept.
    expect(live.metadata.annotations?.['member.example/owner']).toBe('controller');
  });

  it('times out a member write when the signal ends first: <Op>TimedOut and OperationTimeoutError', async () => {
    const out = await dispatchAction(
      create(cm('late', { a: '1' })),
      ctx('late', { signal: AbortSignal.abort(new Error('deadline')) }),
    );
    expect(out).toMatchObject({ status: 'CreationTimedOut', wrote: false });
    expect(out.events.map((e) => e.reason)).toEqual(['OperationTimeoutError']);
    expect(await configMaps.find('late', { namespace: ns })).toBeUndefined();
  });

  it('takes the managed label off only the version seen (a stale one is a failure to look again)', async () => {
    await dispatchAction(create(cm('label', { a: '1' })), ctx('label'));
    const seen = await configMaps.get('label', { namespace: ns });
    await configMaps.patch('label', 'merge', { data: { a: '2' } }, { namespace: ns });
    const stale = await dispatchAction(
      { kind: 'removeManagedLabel', cluster: 'cluster2', object: seen },
      ctx('label'),
    );
    expect(stale).toMatchObject({ status: 'LabelRemovalFailed', wrote: false });

    const current = await configMaps.get('label', { namespace: ns });
    const ok = await dispatchAction(
      { kind: 'removeManagedLabel', cluster: 'cluster2', object: current },
      ctx('label'),
    );
    expect(ok).toMatchObject({ status: '', wrote: true });
    expect(
      (await configMaps.get('label', { namespace: ns })).metadata.labels?.[MANAGED_LABEL],
    ).toBeUndefined();
  });

  it('deletes and waits for removal; a copy already gone is no write', async () => {
    await dispatchAction(create(cm('gone', { a: '1' })), ctx('gone'));
    const out = await dispatchAction({ kind: 'delete', cluster: 'cluster2' }, ctx('gone'));
    expect(out).toMatchObject({ status: 'WaitingForRemoval', wrote: true });
    const again = await dispatchAction({ kind: 'delete', cluster: 'cluster2' }, ctx('gone'));
    expect(again).toMatchObject({ status: '', wrote: false, events: [] });
  });

  it('makes no request without a client: ClientRetrievalFailed with the reason', async () => {
    const out = await dispatchAction(
      create(cm('noclient', { a: '1' })),
      ctx('noclient', { client: undefined, clientError: 'secret kubefed/cluster2 has no token' }),
    );
    expect(out).toMatchObject({
      status: 'ClientRetrievalFailed',
      message: 'secret kubefed/cluster2 has no token',
    });
    expect(await configMaps.find('noclient', { namespace: ns })).toBeUndefined();
  });
});
