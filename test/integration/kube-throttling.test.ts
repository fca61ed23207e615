/**
 * Retry-After handling against a real API server that throttles: a private one-cluster topology
 * whose API server admits one non-mutating request at a time (--max-requests-inflight=1 with
 * priority-and-fairness off) and answers the rest 429 with Retry-After.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ClusterClient } from '../../src/kube/client.js';
import { Kubeconfig, type ClusterCredentials } from '../../src/kube/credentials.js';
import type { KubeError } from '../../src/kube/errors.js';
import { isTooManyRequests } from '../../src/kube/errors.js';
import { ResourceClient } from '../../src/kube/resource.js';
import { pollUntil } from '../../src/poll.js';
import { privateTopology, run } from '../support/local.js';

const PODS = { group: '', version: 'v1', resource: 'pods', namespaced: true };
let stopTopology: (() => Promise<void>) | undefined;
let kubeconfig: string;
/** A non-admin identity: system:masters requests are exempt from the in-flight limit. */
let reader: ClusterCredentials;

beforeAll(async () => {
  const topology = await privateTopology('throttle', ['kube-apiserver=--max-requests-inflight=1']);
  stopTopology = topology.stop;
  kubeconfig = topology.state.topology.kubeconfig;
  const kubectl = async (...args: string[]) => {
    const out = await run(inject('kubectl'), ['--kubeconfig', kubeconfig, '--context', 'cluster1', ...args]);
    if (out.code !== 0) throw new Error(out.stderr);
    return out.stdout;
  };
  await kubectl('create', 'serviceaccount', 'reader', '-n', 'default');
  await kubectl(
    'create',
    'clusterrolebinding',
    'reader',
    '--clusterrole=view',
    '--serviceaccount=default:reader',
  );
  const token = (await kubectl('create', 'token', 'reader', '-n', 'default')).trim();
  const admin = Kubeconfig.load(kubeconfig).credentials('cluster1');
  reader = { name: 'cluster1-reader', server: admin.server, caData: admin.caData!, token };
  // The new binding reaches the authorizer's cache within moments: wait until the reader may list.
  const probe = new ClusterClient(reader);
  await pollUntil(
    'the reader to be allowed to list pods',
    () =>
      new ResourceClient(probe, PODS).list().then(
        () => ({ done: true, value: undefined }),
        (e: unknown) => ({ done: false, seen: String(e) }),
      ),
    { timeoutMs: 30_000 },
  );
  await probe.close();
});

afterAll(async () => {
  await stopTopology?.();
});

async function burst(client: ClusterClient, n: number): Promise<unknown[]> {
  const pods = new ResourceClient(client, PODS);
  // Open the pooled connections first: TLS handshakes would otherwise spread the burst out.
  await Promise.all(
    Array.from({ length: 32 }, () =>
      client.requestRaw({ method: 'GET', path: '/version' }).catch(() => undefined),
    ),
  );
  return Promise.all(
    Array.from({ length: n }, () =>
      pods.list().then(
        () => 'ok',
        (e: unknown) => e,
      ),
    ),
  );
}

describe('throttled API server', () => {
  it('maps 429 to TooManyRequests with the Retry-After the server sent', async () => {
    const client = new ClusterClient(reader, {
      maxRetries: 0,
      qps: 1e6,
      burst: 1e6,
    });
    try {
      // Repeat bursts (timing decides how much they overlap) until the server throttles.
      let throttled: unknown[] = [];
      for (let i = 0; i < 10 && throttled.length === 0; i++) {
        const results = await burst(client, 60);
        expect(results.filter((r) => r !== 'ok' && !isTooManyRequests(r))).toEqual([]);
        throttled = results.filter(isTooManyRequests);
      }
      expect(throttled.length).toBeGreaterThan(0);
      expect((throttled[0] as KubeError).retryAfterSeconds).toBe(1);
      expect((throttled[0] as KubeError).code).toBe(429);
    } finally {
      await client.close();
    }
  });

  it('retries 429s after Retry-After until every request succeeds', async () => {
    const codes: number[] = [];
    const counting = new ClusterClient(reader, {
      maxRetries: 10,
      qps: 1e6,
      burst: 1e6,
      onRequest: (e) => codes.push(e.code),
    });
    try {
      // Whether a given burst overlaps enough to be throttled depends on timing: repeat bursts
      // until the server has throttled at least once; every request of every burst must succeed.
      let bursts = 0;
      while (codes.filter((c) => c === 429).length === 0 && bursts < 10) {
        const results = await burst(counting, 40);
        bursts++;
        expect(results.filter((r) => r !== 'ok')).toEqual([]);
      }
      expect(codes.filter((c) => c === 429).length).toBeGreaterThan(0);
      expect(codes.filter((c) => c !== 200 && c !== 429)).toEqual([]);
      expect(codes.filter((c) => c === 200)).toHaveLength(bursts * (40 + 32)); // + 32 warm-up /version calls per burst
    } finally {
      await counting.close();
    }
  });
});
