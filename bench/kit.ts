/**
 * Controller-kit benchmark (not a test): on a private one-cluster topology, measures
 *  1. create throughput through the kit (ResourceClient) vs. a plain loop of raw HTTPS requests
 *     (node:https, keep-alive) at the same concurrency, in the same run;
 *  2. informer initial sync time and heap growth for 10,000 objects.
 * Usage: npm run bench:kit [-- --objects 10000 --creates 2000 --concurrency 16]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { LocalState } from '../src/cli/local/state.js';
import { ClusterClient } from '../src/kube/client.js';
import { Kubeconfig } from '../src/kube/credentials.js';
import { Informer } from '../src/kube/informer.js';
import { ResourceClient, type ResourceRef } from '../src/kube/resource.js';

const { values } = parseArgs({
  options: {
    objects: { type: 'string', default: '10000' },
    creates: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
  },
});
const OBJECTS = Number(values.objects);
const CREATES = Number(values.creates);
const CONCURRENCY = Number(values.concurrency);
const CM: ResourceRef = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };
const NS: ResourceRef = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const local = path.join(root, 'dist', 'cli', 'local', 'main.js');

async function pool(n: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) await op(i);
    }),
  );
  return performance.now() - t0;
}

const body = (ns: string, name: string) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data: { k: 'v'.repeat(64) },
});

async function main(): Promise<void> {
  const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'kubefed-bench-')), 'state');
  process.stderr.write(`starting a one-cluster topology in ${dir}\n`);
  execFileSync(process.execPath, [local, 'up', '--members', '0', '--no-workloads', '--dir', dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as LocalState;
    const creds = Kubeconfig.load(state.topology.kubeconfig).credentials('cluster1');
    // Client-side rate limiting off for both sides: we measure the transport, not the limiter.
    const client = new ClusterClient(creds, { qps: 1e6, burst: 1e6, connections: CONCURRENCY });
    const namespaces = new ResourceClient(client, NS);
    for (const n of ['kit', 'raw', 'sync'])
      await namespaces.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `bench-${n}` } });
    const cms = new ResourceClient(client, CM);

    const kitMs = await pool(CREATES, CONCURRENCY, (i) => cms.create(body('bench-kit', `c-${i}`)));
    const agent = new https.Agent({
      keepAlive: true,
      maxSockets: CONCURRENCY,
      ca: creds.caData,
      cert: creds.certData,
      key: creds.keyData,
    });
    const server = new URL(creds.server);
    const rawCreate = (i: number) =>
      new Promise<void>((resolve, reject) => {
        const payload = JSON.stringify(body('bench-raw', `c-${i}`));
        const req = https.request(
          {
            host: server.hostname,
            port: server.port,
            path: '/api/v1/namespaces/bench-raw/configmaps',
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', accept: 'application/json' },
          },
          (res) => {
            res.resume();
            res.on('end', () =>
              res.statusCode === 201 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
            );
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    const rawMs = await pool(CREATES, CONCURRENCY, rawCreate);
    agent.destroy();

    process.stderr.write(`creating ${OBJECTS} objects for the sync measurement\n`);
    await pool(OBJECTS, 32, (i) => cms.create(body('bench-sync', `o-${i}`)));
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const informer = new Informer({ client, resource: CM, namespace: 'bench-sync' });
    const t0 = performance.now();
    informer.start();
    await informer.waitForSync(300_000);
    const syncMs = performance.now() - t0;
    global.gc?.();
    const heapAfter = process.memoryUsage().heapUsed;
    await informer.stop();
    await client.close();

    const result = {
      creates: CREATES,
      concurrency: CONCURRENCY,
      kitCreatesPerSec: Math.round((CREATES / kitMs) * 1000),
      rawCreatesPerSec: Math.round((CREATES / rawMs) * 1000),
      kitOverRawTime: Number((kitMs / rawMs).toFixed(3)),
      syncObjects: informer.store.size,
      initialSyncMs: Math.round(syncMs),
      heapPerObjectBytes: Math.round((heapAfter - heapBefore) / informer.store.size),
      heapMeasuredWithGc: typeof global.gc === 'function',
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(
      [
        '',
        '| measure | value |',
        '|---|---|',
        `| creates/s through the kit (${CONCURRENCY} concurrent) | ${result.kitCreatesPerSec} |`,
        `| creates/s raw HTTPS keep-alive (${CONCURRENCY} concurrent) | ${result.rawCreatesPerSec} |`,
        `| kit time / raw time | ${result.kitOverRawTime} |`,
        `| informer initial sync, ${result.syncObjects} objects | ${result.initialSyncMs} ms |`,
        `| heap per cached object | ${result.heapPerObjectBytes} B |`,
        '',
      ].join('\n'),
    );
  } finally {
    execFileSync(process.execPath, [local, 'down', '--dir', dir], { stdio: 'ignore' });
  }
}

await main();
