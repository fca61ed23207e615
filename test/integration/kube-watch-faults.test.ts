/**
 * Informer behaviour under faults, on a private one-cluster topology (the shared clusters are left
 * alone): an API server restart, a forced 410 Gone after etcd compaction, a frozen API server. The
 * watch cache is off there, so watches go straight to etcd and a compacted resourceVersion is
 * refused deterministically.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalState } from '../../src/cli/local/state.js';
import { ClusterClient } from '../../src/kube/client.js';
import { Informer } from '../../src/kube/informer.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../src/kube/resource.js';
import { pollUntil, sleep } from '../../src/poll.js';
import { kubefedLocal, privateTopology, uniqueName } from '../support/local.js';

const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };

let dir: string;
let state: LocalState;
let stopTopology: (() => Promise<void>) | undefined;
let client: ClusterClient;
let cms: ResourceClient;

beforeAll(async () => {
  const topology = await privateTopology('faults', ['kube-apiserver=--watch-cache=false']);
  ({ dir, state } = topology);
  stopTopology = topology.stop;
  // Retries off for 429s only matter elsewhere; short timeouts make outages visible quickly.
  client = ClusterClient.fromKubeconfig('cluster1', state.topology.kubeconfig, {
    qps: 1000,
    burst: 1000,
    timeoutMs: 5000,
  });
  cms = new ResourceClient(client, CONFIGMAPS);
});

afterAll(async () => {
  await client?.close();
  await stopTopology?.();
});

type Seen = [type: 'add' | 'update' | 'delete', name: string][];

async function setup(prefix: string) {
  const ns = uniqueName(prefix);
  await new ResourceClient(client, NAMESPACES).create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns },
  });
  const seen: Seen = [];
  const restarts: string[] = [];
  const informer = new Informer({
    client,
    resource: CONFIGMAPS,
    namespace: ns,
    // Only our objects: the controller manager also publishes kube-root-ca.crt into every namespace.
    labelSelector: 'test=faults',
    backoff: { initialMs: 200, maxMs: 1000 },
    idleTimeoutMs: 2000,
    onWatchRestart: (reason) => restarts.push(reason),
  });
  informer.addHandlers({
    onAdd: (o) => seen.push(['add', o.metadata.name!]),
    onUpdate: (_, o) => seen.push(['update', o.metadata.name!]),
    onDelete: (o) => seen.push(['delete', o.metadata.name!]),
  });
  const cm = (name: string, v = '0'): KubeObject => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, labels: { test: 'faults' } },
    data: { v },
  });
  const converged = () =>
    pollUntil(
      `the ${ns} informer cache to equal a fresh LIST`,
      async () => {
        const list = await cms.listAll({ namespace: ns, labelSelector: 'test=faults' });
        const want = list.items.map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}`).sort();
        const have = informer.store
          .list()
          .map((i) => `${i.metadata.name}@${i.metadata.resourceVersion}`)
          .sort();
        return JSON.stringify(want) === JSON.stringify(have)
          ? { done: true, value: want.length }
          : { done: false, seen: `cache [${have.join(' ')}] vs list [${want.join(' ')}]` };
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  return { ns, seen, restarts, informer, cm, converged };
}

const count = (seen: Seen) => {
  const out: Record<string, number> = {};
  for (const [t, n] of seen) out[`${t} ${n}`] = (out[`${t} ${n}`] ?? 0) + 1;
  return out;
};

describe('informer under faults', () => {
  it('survives an API server restart and delivers every change exactly once', async () => {
    const t = await setup('restart');
    t.informer.start();
    await t.informer.waitForSync(30_000);
    for (let i = 0; i < 5; i++) await cms.create(t.cm(`before-${i}`));
    await t.converged();

    expect((await kubefedLocal(['stop', 'cluster1/kube-apiserver', '--dir', dir])).code).toBe(0);
    await sleep(1500); // the informer sees the outage and backs off
    const started = await kubefedLocal(['start', 'cluster1/kube-apiserver', '--dir', dir]);
    expect(started.code, started.stderr).toBe(0);

    for (let i = 0; i < 5; i++) await cms.create(t.cm(`after-${i}`));
    for (let i = 0; i < 3; i++)
      await cms.patch(`before-${i}`, 'merge', { data: { v: '1' } }, { namespace: t.ns });
    await cms.delete('before-4', { namespace: t.ns });
    await cms.delete('after-4', { namespace: t.ns });
    expect(await t.converged()).toBe(8);
    await t.informer.stop();

    const want: Record<string, number> = {};
    for (let i = 0; i < 5; i++) want[`add before-${i}`] = 1;
    for (let i = 0; i < 5; i++) want[`add after-${i}`] = 1;
    for (let i = 0; i < 3; i++) want[`update before-${i}`] = 1;
    want['delete before-4'] = 1;
    want['delete after-4'] = 1;
    expect(count(t.seen)).toEqual(want);
    expect(t.informer.stats.watches).toBeGreaterThan(1);
    expect(t.restarts).toContain('error');
  });

  it('relists after etcd compaction forces 410 Gone, and reports exactly the changes it missed', async () => {
    const t = await setup('gone');
    t.informer.start();
    await t.informer.waitForSync(30_000);
    for (let i = 0; i < 4; i++) await cms.create(t.cm(`keep-${i}`));
    await t.converged();
    await t.informer.stop();
    const staleRv = t.informer.resourceVersion;
    t.seen.length = 0;

    // Changes the stopped informer misses, then compaction past its resourceVersion.
    for (let i = 0; i < 3; i++) await cms.create(t.cm(`new-${i}`));
    await cms.patch('keep-0', 'merge', { data: { v: '1' } }, { namespace: t.ns });
    await cms.patch('keep-1', 'merge', { data: { v: '1' } }, { namespace: t.ns });
    await cms.delete('keep-3', { namespace: t.ns });
    const etcd = `http://127.0.0.1:${state.topology.etcd.clientPort}`;
    const range = (await (
      await fetch(`${etcd}/v3/kv/range`, {
        method: 'POST',
        body: JSON.stringify({ key: Buffer.from('/').toString('base64') }),
      })
    ).json()) as { header: { revision: string } };
    const compact = await fetch(`${etcd}/v3/kv/compaction`, {
      method: 'POST',
      body: JSON.stringify({ revision: range.header.revision, physical: true }),
    });
    expect(compact.status).toBe(200);
    expect(Number(range.header.revision)).toBeGreaterThan(Number(staleRv));

    t.informer.start(); // resumes its watch from the compacted resourceVersion
    expect(await t.converged()).toBe(6);
    await t.informer.stop();
    expect(t.restarts).toContain('gone');
    expect(t.informer.stats.lists).toBe(2);
    expect(count(t.seen)).toEqual({
      'add new-0': 1,
      'add new-1': 1,
      'add new-2': 1,
      'update keep-0': 1,
      'update keep-1': 1,
      'delete keep-3': 1,
    });
  });

  it('restarts a watch on a frozen API server (no event, no bookmark) and recovers when it resumes', async () => {
    const t = await setup('frozen');
    t.informer.start();
    await t.informer.waitForSync(30_000);
    // Freeze only once the watch is established and delivering.
    await cms.create(t.cm('before-freeze'));
    await t.converged();
    const apiserver = state.components.find((c) => c.id === 'cluster1/kube-apiserver')!;
    const fresh = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as LocalState;
    const pid = fresh.components.find((c) => c.id === apiserver.id)!.pid;
    process.kill(pid, 'SIGSTOP');
    try {
      await pollUntil(
        'the idle watchdog to restart the watch',
        () =>
          t.restarts.includes('idle')
            ? { done: true, value: undefined }
            : { done: false, seen: t.restarts.join(',') || 'no restart' },
        { timeoutMs: 15_000, intervalMs: 100 },
      );
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await cms.create(t.cm('after-thaw'));
    expect(await t.converged()).toBe(2);
    await t.informer.stop();
    expect(count(t.seen)).toEqual({ 'add before-freeze': 1, 'add after-thaw': 1 });
  });

  // Without a watch cache the API server pages even a resourceVersion="0" list (from etcd), as a
  // relist after 410 Gone always is: big lists arrive in pages.
  it('hands each page of a list to handlers before asking for the next; a handler added meanwhile misses nothing', async () => {
    const t = await setup('paged');
    await Promise.all(Array.from({ length: 25 }, (_, i) => cms.create(t.cm(`paged-${i}`))));
    let lists = 0;
    const counting = ClusterClient.fromKubeconfig('cluster1', state.topology.kubeconfig, {
      qps: 1000,
      burst: 1000,
      onRequest: (e) => {
        if (e.verb === 'list') lists++;
      },
    });
    const informer = new Informer({
      client: counting,
      resource: CONFIGMAPS,
      namespace: t.ns,
      labelSelector: 'test=faults',
      pageSize: 10,
    });
    // At each add: how many pages had been asked for, and whether the list had ended.
    const early: [lists: number, synced: boolean][] = [];
    const late: string[] = [];
    informer.addHandlers({
      onAdd: () => {
        if (early.length === 0)
          setImmediate(() => informer.addHandlers({ onAdd: (o) => late.push(o.metadata.name!) }));
        early.push([lists, informer.hasSynced()]);
      },
    });
    informer.start();
    try {
      await informer.waitForSync(30_000);
    } finally {
      // The informer first: closing a client waits for its open watch.
      await informer.stop();
      await counting.close();
    }
    expect(lists).toBe(3);
    expect(early).toHaveLength(25);
    // The first page's objects were in the cache, unsynced, while only that page had been read.
    expect(early.slice(0, 10)).toEqual(Array.from({ length: 10 }, () => [1, false]));
    expect(early.every(([, synced]) => !synced)).toBe(true);
    expect([...late].sort()).toEqual(Array.from({ length: 25 }, (_, i) => `paged-${i}`).sort());
  });
});
