/** The controller kit's client, discovery, dynamic objects and informer against real API servers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeMember } from '../../src/controllers/cluster/controller.js';
import { ClusterClient } from '../../src/kube/client.js';
import { Kubeconfig } from '../../src/kube/credentials.js';
import { Discovery } from '../../src/kube/discovery.js';
import {
  isAlreadyExists,
  isConflict,
  isForbidden,
  isInvalid,
  isNotFound,
  isUnauthorized,
  KubeError,
} from '../../src/kube/errors.js';
import { Informer } from '../../src/kube/informer.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../src/kube/resource.js';
import { labelIndex } from '../../src/kube/store.js';
import { pollUntil } from '../../src/poll.js';
import { clusterClient, kubectl, uniqueName } from '../support/local.js';
import { inject } from 'vitest';

const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
const DEPLOYMENTS: ResourceRef = { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true };

let client: ClusterClient;
let ns: string;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  client = await clusterClient('cluster2', { qps: 1000, burst: 1000 });
  ns = uniqueName('kit');
  await new ResourceClient(client, NAMESPACES).create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns },
  });
});
afterAll(async () => {
  for (const c of closers) await c().catch(() => undefined);
  await new ResourceClient(client, NAMESPACES).delete(ns).catch(() => undefined);
  await client.close();
});

const cm = (
  name: string,
  data: Record<string, string> = {},
  labels?: Record<string, string>,
): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
  data,
});

describe('cluster client errors', () => {
  it('maps NotFound, AlreadyExists, Conflict and Invalid (with field causes) to typed errors', async () => {
    const cms = new ResourceClient(client, CONFIGMAPS);
    const missing = await cms.get('nope', { namespace: ns }).catch((e: unknown) => e);
    expect(isNotFound(missing)).toBe(true);
    expect((missing as KubeError).message).toContain('cluster2: GET /api/v1/namespaces/');

    const created = await cms.create(cm('dup'));
    expect(isAlreadyExists(await cms.create(cm('dup')).catch((e: unknown) => e))).toBe(true);

    await cms.update({ ...created, data: { a: '1' } });
    const stale = await cms.update({ ...created, data: { a: '2' } }).catch((e: unknown) => e);
    expect(isConflict(stale)).toBe(true);

    const deployments = new ResourceClient(client, DEPLOYMENTS);
    const invalid = await deployments
      .create({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'Bad_Name', namespace: ns },
        spec: { replicas: -1 },
      })
      .catch((e: unknown) => e);
    expect(isInvalid(invalid)).toBe(true);
    const fields = (invalid as KubeError).causes.map((c) => c.field);
    expect(fields).toContain('metadata.name');
    expect(fields).toContain('spec.replicas');
  });

  it('authenticates with member credentials (endpoint, CA, token) and maps Forbidden and Unauthorized', async () => {
    await kubectl('cluster2', ['-n', ns, 'create', 'serviceaccount', 'nobody']);
    const token = (await kubectl('cluster2', ['-n', ns, 'create', 'token', 'nobody'])).trim();
    const admin = Kubeconfig.load(inject('kubeconfig')).credentials('cluster2');
    const member = new ClusterClient({
      name: 'cluster2-as-member',
      server: admin.server,
      caData: admin.caData!,
      token,
    });
    closers.push(() => member.close());
    const who = await member.request<{ status: { userInfo: { username: string } } }>({
      method: 'POST',
      path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    expect(who.status.userInfo.username).toBe(`system:serviceaccount:${ns}:nobody`);
    const forbidden = await new ResourceClient(member, CONFIGMAPS)
      .list({ namespace: ns })
      .catch((e: unknown) => e);
    expect(isForbidden(forbidden)).toBe(true);
    const stranger = new ClusterClient({
      name: 'stranger',
      server: admin.server,
      caData: admin.caData!,
      token: 'not-a-token',
    });
    closers.push(() => stranger.close());
    expect(
      isUnauthorized(
        await new ResourceClient(stranger, CONFIGMAPS).list({ namespace: ns }).catch((e: unknown) => e),
      ),
    ).toBe(true);
  });

  it('verifies TLS: a wrong CA or server name fails, TLS-validation exceptions relax exactly that check', async () => {
    const c2 = Kubeconfig.load(inject('kubeconfig')).credentials('cluster2');
    const c3 = Kubeconfig.load(inject('kubeconfig')).credentials('cluster3');
    const version = async (creds: ConstructorParameters<typeof ClusterClient>[0]) => {
      const c = new ClusterClient(creds, { maxRetries: 0 });
      try {
        return await c.request<{ gitVersion: string }>({ method: 'GET', path: '/version' });
      } finally {
        await c.close();
      }
    };
    // cluster3's CA did not sign cluster2's serving certificate.
    const wrongCa = await version({ ...c2, caData: c3.caData! }).catch((e: unknown) => e);
    expect(wrongCa).toBeInstanceOf(KubeError);
    expect((wrongCa as KubeError).kind).toBe('Unavailable');
    expect(String((wrongCa as KubeError).message)).toMatch(/certificate/i);
    const wrongName = await version({ ...c2, tlsServerName: 'not-the-server.example' }).catch(
      (e: unknown) => e,
    );
    expect(String((wrongName as Error).message)).toMatch(/not-the-server\.example|altnames|Hostname/i);
    expect(
      (
        await version({
          ...c2,
          tlsServerName: 'not-the-server.example',
          disabledTLSValidations: ['SubjectName'],
        })
      ).gitVersion,
    ).toMatch(/^v1\./);
    expect((await version({ ...c2, caData: c3.caData!, disabledTLSValidations: ['*'] })).gitVersion).toMatch(
      /^v1\./,
    );
    expect(() => new ClusterClient({ ...c2, disabledTLSValidations: ['*', 'SubjectName'] })).toThrow(
      /cannot be combined/,
    );
  });
});

describe('cluster client rate limit', () => {
  it('never holds a member health probe behind the requests queued on its rate limiter', async () => {
    // One request per 2 s: the first takes the only token, the next list waits for the refill.
    const slow = await clusterClient('cluster2', { qps: 0.5, burst: 1 });
    try {
      const order: string[] = [];
      await slow.request({ method: 'GET', path: '/version' });
      const queued = slow
        .request({ method: 'GET', path: '/api/v1/namespaces', verb: 'list' })
        .then(() => order.push('queued list'));
      const probe = probeMember(slow, 5000).then((p) => order.push(`probe ${p.kind}`));
      await Promise.all([queued, probe]);
      expect(order).toEqual(['probe healthy', 'queued list']);
    } finally {
      await slow.close();
    }
  });
});

describe('discovery', () => {
  it('resolves built-in types by plural.group, kind, singular and short name', async () => {
    const d = new Discovery(client);
    for (const name of ['deployments.apps', 'Deployment', 'deployment', 'deploy', 'deployments.v1.apps']) {
      const r = await d.resolve(name);
      expect([r.group, r.version, r.resource, r.kind, r.namespaced]).toEqual([
        'apps',
        'v1',
        'deployments',
        'Deployment',
        true,
      ]);
    }
    const ns = await d.resolve('ns');
    expect([ns.resource, ns.namespaced]).toEqual(['namespaces', false]);
    expect((await d.forKind({ group: 'apps', kind: 'Deployment' })).subresources).toEqual(
      expect.arrayContaining(['status', 'scale']),
    );
    await expect(d.resolve('nosuchthings')).rejects.toThrow(
      'the server cluster2 has no resource type "nosuchthings"',
    );
  });

  it('finds a CRD created after discovery was first read, without a restart', async () => {
    const d = new Discovery(client, 0);
    await d.resources();
    const group = `${uniqueName('g')}.kubefed-test.io`;
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `widgets.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wdg'] },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    };
    const crds = new ResourceClient(client, {
      group: 'apiextensions.k8s.io',
      version: 'v1',
      resource: 'customresourcedefinitions',
      namespaced: false,
    });
    await crds.create(crd);
    closers.push(() => crds.delete(crd.metadata.name));
    const info = await pollUntil(
      `Widget in ${group} to appear in discovery`,
      async () => {
        try {
          return { done: true, value: await d.forKind({ group, kind: 'Widget' }) };
        } catch (err) {
          return { done: false, seen: (err as Error).message };
        }
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(info.resource).toBe('widgets');
    const widgets = new ResourceClient(client, info);
    const w = await pollUntil(
      'a Widget to be created',
      async () => {
        try {
          return {
            done: true,
            value: await widgets.create({
              apiVersion: `${group}/v1`,
              kind: 'Widget',
              metadata: { name: 'w1', namespace: ns },
              spec: { size: 3 },
            }),
          };
        } catch (err) {
          return { done: false, seen: (err as Error).message };
        }
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(w.metadata.uid).toBeTruthy();
    expect((await d.resolve('wdg')).kind).toBe('Widget');
  });
});

describe('dynamic objects', () => {
  it('lists in pages, patches (merge and JSON), applies server-side with a field manager and writes status', async () => {
    const cms = new ResourceClient(client, CONFIGMAPS);
    for (let i = 0; i < 5; i++) await cms.create(cm(`page-${i}`, {}, { set: 'paged' }));
    const page = await cms.list({ namespace: ns, labelSelector: 'set=paged', limit: 2 });
    expect(page.items).toHaveLength(2);
    expect(page.metadata.continue).toBeTruthy();
    const all = await cms.listAll({ namespace: ns, labelSelector: 'set=paged', limit: 2 });
    expect(all.items.map((i) => i.metadata.name).sort()).toEqual([
      'page-0',
      'page-1',
      'page-2',
      'page-3',
      'page-4',
    ]);

    const merged = await cms.patch(
      'page-0',
      'merge',
      { data: { a: '1' }, metadata: { labels: { extra: 'yes' } } },
      { namespace: ns },
    );
    expect(merged.data).toEqual({ a: '1' });
    const jsonPatched = await cms.patch('page-0', 'json', [{ op: 'add', path: '/data/b', value: '2' }], {
      namespace: ns,
    });
    expect(jsonPatched.data).toEqual({ a: '1', b: '2' });

    const applied = await cms.apply(cm('applied', { k: 'v' }), { fieldManager: 'kubefed-test', force: true });
    expect(applied.data).toEqual({ k: 'v' });
    expect(
      (applied.metadata.managedFields as { manager: string; operation: string }[]).map((m) => [
        m.manager,
        m.operation,
      ]),
    ).toContainEqual(['kubefed-test', 'Apply']);
    const reapplied = await cms.apply(cm('applied', { k: 'v2' }), { fieldManager: 'kubefed-test' });
    expect(reapplied.data).toEqual({ k: 'v2' });

    const deployments = new ResourceClient(client, DEPLOYMENTS);
    const d = await deployments.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'statusy', namespace: ns },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 's' } },
        template: { metadata: { labels: { app: 's' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
      },
    });
    const withStatus = await deployments.patch(
      'statusy',
      'merge',
      { status: { observedGeneration: 42 } },
      { namespace: ns, subresource: 'status' },
    );
    expect((withStatus.status as { observedGeneration: number }).observedGeneration).toBe(42);
    expect(withStatus.metadata.generation).toBe(d.metadata.generation);

    await cms.delete('page-4', { namespace: ns });
    expect(isNotFound(await cms.get('page-4', { namespace: ns }).catch((e: unknown) => e))).toBe(true);
  });

  it('dry runs (create, update, delete) store nothing: the delete one too, with its options body', async () => {
    const cms = new ResourceClient(client, CONFIGMAPS);
    const dry = await cms.create(cm('dry', { k: 'v' }), { namespace: ns, dryRun: true });
    expect(dry.data).toEqual({ k: 'v' });
    expect(await cms.find('dry', { namespace: ns })).toBeUndefined();
    const kept = await cms.create(cm('kept', { k: 'v' }), { namespace: ns });
    const updated = await cms.update({ ...kept, data: { k: 'changed' } }, { namespace: ns, dryRun: true });
    expect(updated.data).toEqual({ k: 'changed' });
    await cms.delete('kept', { namespace: ns, dryRun: true, propagationPolicy: 'Background' });
    const after = await cms.get('kept', { namespace: ns });
    expect([after.metadata.resourceVersion, after.data]).toEqual([kept.metadata.resourceVersion, { k: 'v' }]);
  });
});

describe('informer', () => {
  it('keeps a cache equal to a fresh LIST through 1,000 rapid creates, updates and deletes', async () => {
    const informer = new Informer({
      client,
      resource: CONFIGMAPS,
      namespace: ns,
      labelSelector: 'churn=yes',
      indexers: { bucket: labelIndex('bucket') },
    });
    const seen = { add: 0, update: 0, delete: 0 };
    informer.addHandlers({
      onAdd: () => seen.add++,
      onUpdate: () => seen.update++,
      onDelete: () => seen.delete++,
    });
    informer.start();
    closers.push(() => informer.stop());
    await informer.waitForSync(30_000);

    const cms = new ResourceClient(client, CONFIGMAPS);
    const ops: (() => Promise<unknown>)[] = [];
    // 400 creates, 400 updates, 200 deletes = 1,000 writes, 16 at a time.
    for (let i = 0; i < 400; i++)
      ops.push(() => cms.create(cm(`churn-${i}`, { v: '0' }, { churn: 'yes', bucket: String(i % 4) })));
    const run = async (list: (() => Promise<unknown>)[]) => {
      const queue = [...list];
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let op = queue.shift(); op; op = queue.shift()) await op();
        }),
      );
    };
    await run(ops);
    await run(
      Array.from(
        { length: 400 },
        (_, i) => () => cms.patch(`churn-${i}`, 'merge', { data: { v: '1' } }, { namespace: ns }),
      ),
    );
    await run(Array.from({ length: 200 }, (_, i) => () => cms.delete(`churn-${i * 2}`, { namespace: ns })));

    const fresh = await cms.listAll({ namespace: ns, labelSelector: 'churn=yes' });
    const want = new Map(fresh.items.map((i) => [i.metadata.name, i.metadata.resourceVersion]));
    await pollUntil(
      'the informer cache to equal a fresh LIST',
      () => {
        const have = new Map(informer.store.list().map((i) => [i.metadata.name, i.metadata.resourceVersion]));
        const same = have.size === want.size && [...want].every(([k, v]) => have.get(k) === v);
        return same
          ? { done: true, value: undefined }
          : { done: false, seen: `cache ${have.size} objects, list ${want.size}` };
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(informer.store.size).toBe(200);
    expect(seen).toEqual({ add: 400, update: 400, delete: 200 });
    expect(informer.store.byIndex('bucket', '1')).toHaveLength(100);
    expect(informer.store.byIndex('namespace', ns)).toHaveLength(200);
    expect(informer.stats.lists).toBe(1);
    // The server keeps managedFields; the cache drops them (listed and watched objects alike).
    expect(fresh.items[0]!.metadata.managedFields?.length).toBeGreaterThan(0);
    expect(informer.store.list().filter((o) => o.metadata.managedFields !== undefined)).toEqual([]);
    // dropFields leaves more out of the cache (here from listed objects; above from watched ones).
    const late = new Informer({
      client,
      resource: CONFIGMAPS,
      namespace: ns,
      labelSelector: 'churn=yes',
      dropFields: ['data', 'metadata.uid', 'metadata.creationTimestamp'],
    });
    late.start();
    closers.push(() => late.stop());
    await late.waitForSync(30_000);
    expect(late.store.size).toBe(200);
    // Listed items come without apiVersion and kind: the cache fills them in.
    expect(late.store.list().filter((o) => o.apiVersion !== 'v1' || o.kind !== 'ConfigMap')).toEqual([]);
    expect(late.store.list().filter((o) => o.metadata.managedFields !== undefined || 'data' in o)).toEqual(
      [],
    );
    // metadata.<field> entries leave fields of metadata out, keeping the rest.
    expect(late.store.list().filter((o) => 'uid' in o.metadata || 'creationTimestamp' in o.metadata)).toEqual(
      [],
    );
    expect(
      late.store.list().every((o) => o.metadata.resourceVersion && o.metadata.labels?.churn === 'yes'),
    ).toBe(true);
    expect(informer.store.list().every((o) => (o as { data?: { v?: string } }).data?.v === '1')).toBe(true);
  });

  it("reads its initial list from the API server's watch cache in one request (resourceVersion 0), as client-go does", async () => {
    const cms = new ResourceClient(client, CONFIGMAPS);
    await Promise.all(
      Array.from({ length: 25 }, (_, i) => cms.create(cm(`cached-${i}`, {}, { cached: 'yes' }))),
    );
    const lists: string[] = [];
    const counting = await clusterClient('cluster2', { qps: 1000, burst: 1000 });
    const informer = new Informer({
      client: counting,
      resource: CONFIGMAPS,
      namespace: ns,
      labelSelector: 'cached=yes',
      pageSize: 10,
    });
    const request = counting.request.bind(counting);
    counting.request = (req: Parameters<typeof request>[0]) => {
      if (req.verb === 'list') lists.push(String(req.query?.resourceVersion));
      return request(req);
    };
    informer.start();
    closers.push(() => informer.stop().then(() => counting.close()));
    await informer.waitForSync(30_000);
    expect(informer.store.size).toBe(25);
    expect(lists).toEqual(['0']);
  });
});
