/**
 * A slow member never stalls the others (issue #19). cluster3's API server is made slow for some
 * ConfigMaps the real way: a validating admission webhook (served by this test) that holds every
 * create or update of a labelled ConfigMap until the test lets them go.
 * - Its health probe still answers while slow writes hold every pooled connection to it.
 * - While more held objects than the sync controller's pipeline (32 per type) wait on cluster3,
 *   every object, held or not, is already in cluster2 with its status written, the held ones
 *   `cluster3: CreationInProgress`; cluster3 is asked once per held object, never a second time.
 * - Once released, every object is Propagation=True in both, still with one write each.
 */
import { createServer, type Server } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FederatedObject } from '../../src/api/types.js';
import { probeMember } from '../../src/controllers/cluster/controller.js';
import { PIPELINE_DEPTH } from '../../src/controllers/sync/controller.js';
import { ResourceClient, type ResourceRef } from '../../src/kube/resource.js';
import {
  apply,
  clusterStatuses,
  getObject,
  propagation,
  TestControlPlane,
  waitFor,
} from '../support/control-plane.js';
import { clusterClient, kubectl, uniqueName } from '../support/local.js';
import { makeServingCert } from '../support/webhook.js';

const cp = new TestControlPlane({
  prefix: 'kf-slow',
  types: [{ version: 'v1', kind: 'ConfigMap', pluralName: 'configmaps', scope: 'Namespaced' }],
});
const FCM = cp.resource('configmaps');
const HOLD_LABEL = 'kubefed-test/hold';
/** More held objects than a type's pipeline: with passes waiting for the slow member, nothing else would move. */
const HELD = PIPELINE_DEPTH + 8;
const FREE = 5;
const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', resource: 'configmaps', namespaced: true };

/** The webhook: answers later, when released; counts the writes it saw per object name. */
class HoldingWebhook {
  readonly seen = new Map<string, number>();
  private held: { res: ServerResponse; uid: string }[] = [];
  private releasing = false;
  private server: Server | undefined;
  port = 0;

  async start(cert: { cert: string; key: string }): Promise<void> {
    this.server = createServer({ cert: readFileSync(cert.cert), key: readFileSync(cert.key) }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const review = JSON.parse(body) as {
          request: { uid: string; object?: { metadata?: { name?: string } } };
        };
        const name = review.request.object?.metadata?.name ?? '';
        this.seen.set(name, (this.seen.get(name) ?? 0) + 1);
        if (this.releasing) this.answer(res, review.request.uid);
        else this.held.push({ res, uid: review.request.uid });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  get holding(): number {
    return this.held.length;
  }

  /** Answers every held request (allowed); with `forGood`, later ones are answered at once. */
  release(forGood: boolean): void {
    if (forGood) this.releasing = true;
    for (const h of this.held.splice(0)) this.answer(h.res, h.uid);
  }

  private answer(res: ServerResponse, uid: string): void {
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        response: { uid, allowed: true },
      }),
    );
  }

  async stop(): Promise<void> {
    this.release(true);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const webhook = new HoldingWebhook();
const configName = uniqueName('kf-hold');
let certDir = '';
let ns = '';

function fedConfigMap(name: string, held: boolean) {
  return {
    apiVersion: `${cp.group}/v1beta1`,
    kind: 'FederatedConfigMap',
    metadata: { name, namespace: ns },
    spec: {
      template: { ...(held ? { metadata: { labels: { [HOLD_LABEL]: 'true' } } } : {}), data: { n: name } },
      placement: { clusters: [{ name: 'cluster2' }, { name: 'cluster3' }] },
    },
  };
}

/** The federated ConfigMaps of the test namespace by name. */
async function federated(): Promise<Map<string, FederatedObject>> {
  const list = await getObject<{ items: FederatedObject[] }>('cluster1', ['-n', ns, FCM]);
  return new Map((list?.items ?? []).map((f) => [f.metadata.name!, f]));
}

/** How many managed copies of held objects `cluster` has. */
async function heldCopies(cluster: string): Promise<number> {
  const list = await getObject<{ items: unknown[] }>(cluster, [
    '-n',
    ns,
    'configmaps',
    '-l',
    `${HOLD_LABEL},kubefed.io/managed=true`,
  ]);
  return list?.items.length ?? 0;
}

const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

beforeAll(async () => {
  await cp.setup();
  ns = await cp.federatedNamespace(['cluster2', 'cluster3'], 'slow');
  certDir = mkdtempSync(path.join(os.tmpdir(), 'kf-hold-'));
  const cert = makeServingCert(certDir, 'kf-hold-ca');
  await webhook.start(cert);
  await apply('cluster3', {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: configName },
    webhooks: [
      {
        name: 'hold.kubefed-test.io',
        clientConfig: {
          url: `https://127.0.0.1:${webhook.port}/hold`,
          caBundle: Buffer.from(cert.caPem).toString('base64'),
        },
        rules: [
          {
            operations: ['CREATE', 'UPDATE'],
            apiGroups: [''],
            apiVersions: ['v1'],
            resources: ['configmaps'],
          },
        ],
        objectSelector: { matchLabels: { [HOLD_LABEL]: 'true' } },
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
        sideEffects: 'None',
        admissionReviewVersions: ['v1'],
        timeoutSeconds: 30,
        failurePolicy: 'Fail',
      },
    ],
  });
  // The API server calls a new webhook once its informer has it: probe until a write is held.
  await waitFor('the holding webhook to be called by cluster3', async () => {
    const probe = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { generateName: 'probe-', namespace: ns, labels: { [HOLD_LABEL]: 'true' } },
    });
    const created = kubectl('cluster3', ['create', '-f', '-'], probe);
    const held = await waitFor(
      'the probe',
      () => Promise.resolve([webhook.holding > 0, true, '']),
      2_000,
    ).catch(() => false);
    webhook.release(false);
    await created;
    return [held, true, `holding ${webhook.holding}`];
  });
  webhook.seen.clear();
}, 180_000);

afterAll(async () => {
  await webhook.stop();
  await kubectl('cluster3', [
    'delete',
    'validatingwebhookconfiguration',
    configName,
    '--ignore-not-found',
  ]).catch(() => '');
  await cp.teardown();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
}, 300_000);

describe('a slow member', () => {
  it('still answers its health probe while a slow write holds every pooled connection', async () => {
    const client = await clusterClient('cluster3', { connections: 2 });
    try {
      const writes = ['pool-a', 'pool-b'].map((name) =>
        new ResourceClient(client, CONFIGMAPS).create(
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { [HOLD_LABEL]: 'true' } } },
          { namespace: ns },
        ),
      );
      await waitFor('both pooled connections held', () =>
        Promise.resolve([webhook.holding === 2, true, `holding ${webhook.holding}`]),
      );
      // A probe sharing the pool would wait for a connection and find the member unreachable.
      expect(await probeMember(client, 2_000)).toMatchObject({ kind: 'healthy' });
      webhook.release(false);
      await Promise.all(writes);
    } finally {
      webhook.release(false);
      await client.close();
    }
  });

  it(`holds up neither the other member nor other objects: ${HELD} objects wait on cluster3 while the rest propagates`, async () => {
    webhook.seen.clear();
    const held = names('held', HELD);
    const free = names('free', FREE);
    const items = [...held.map((n) => fedConfigMap(n, true)), ...free.map((n) => fedConfigMap(n, false))];
    await apply('cluster1', { apiVersion: 'v1', kind: 'List', items });

    // With passes waiting on cluster3, a pipeline's worth of them would stop everything for 30 s.
    // The free objects' creates in cluster3 may queue behind the held ones on the member's
    // connections: in progress too, never failed.
    const fed = await waitFor(
      'every object in cluster2 and reported, the held ones in progress in cluster3',
      async () => {
        const fed = await federated();
        const heldReported = held.filter(
          (n) => clusterStatuses(fed.get(n)).join() === 'cluster2:,cluster3:CreationInProgress',
        );
        const freeReported = free.filter((n) =>
          ['cluster2:,cluster3:', 'cluster2:,cluster3:CreationInProgress'].includes(
            clusterStatuses(fed.get(n)).join(),
          ),
        );
        return [
          heldReported.length === HELD && freeReported.length === FREE,
          fed,
          `held in progress ${heldReported.length}/${HELD}; free reported ${freeReported.length}/${FREE}`,
        ];
      },
      20_000,
    );
    // All of that while cluster3 still held the held creates, each asked for once.
    expect(webhook.holding).toBeGreaterThan(0);
    expect([...webhook.seen].filter(([, n]) => n !== 1)).toEqual([]);
    expect(propagation(fed.get('held-0'))).toMatchObject({ status: 'False', reason: 'CheckClusters' });
    expect(propagation(fed.get('held-0'))?.message).toMatch(
      /cluster3: CreationInProgress: the member API server has not answered/,
    );
    expect(await heldCopies('cluster2')).toBe(HELD);

    webhook.release(true);
    await waitFor('every object Propagation=True in both members', async () => {
      const fed = await federated();
      const ok = [...held, ...free].filter((n) => {
        const f = fed.get(n);
        return (
          propagation(f)?.status === 'True' &&
          clusterStatuses(f).join() === 'cluster2:,cluster3:' &&
          f?.status?.observedGeneration === f?.metadata.generation
        );
      });
      return [ok.length === HELD + FREE, true, `${ok.length}/${HELD + FREE}`];
    });
    expect(await heldCopies('cluster3')).toBe(HELD);
    // One write per held object in cluster3: no second create while the first ran, no update after.
    expect([...webhook.seen].filter(([, n]) => n !== 1)).toEqual([]);
    expect(webhook.seen.size).toBe(HELD);
  }, 180_000);
});
