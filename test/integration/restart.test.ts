/**
 * A restart of the manager over propagated objects (issue #19): the sync controllers of every
 * enabled type read their recorded versions with one LIST of PropagatedVersions between them (not
 * one per type), and the restart writes nothing, on the host or in the members.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FederatedObject } from '../../src/api/types.js';
import {
  apply,
  CONFIGMAPS,
  getObject,
  MEMBERS,
  propagation,
  SECRETS,
  TestControlPlane,
  waitFor,
  type TargetType,
} from '../support/control-plane.js';
import { ROLES } from '../support/convergence.js';
import { kubectl } from '../support/local.js';

const TYPES = [CONFIGMAPS, SECRETS, ROLES.target];
const cp = new TestControlPlane({ prefix: 'kf-restart', types: TYPES });
const PLACED = ['cluster2', 'cluster3'];
const PER_TYPE = 6;
let ns = '';

const WRITE_VERBS = ['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY', 'DELETECOLLECTION'];
const RESOURCES = new Set([
  'configmaps',
  'secrets',
  'roles',
  'namespaces',
  'events',
  'propagatedversions',
  'federatedconfigmaps',
  'federatedsecrets',
  'federatedroles',
  'federatednamespaces',
]);

/** `apiserver_request_total` of one cluster, summed by `<verb> <resource>[/<subresource>]`. */
async function requestCounts(context: string): Promise<Map<string, number>> {
  const text = await kubectl(context, ['get', '--raw', '/metrics']);
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const labels = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    if (!RESOURCES.has(labels.resource ?? '') || labels.dry_run) continue;
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ''}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return out;
}

const writes = (counts: Map<string, number>) =>
  Object.fromEntries([...counts].filter(([k]) => WRITE_VERBS.includes(k.split(' ')[0]!)).sort());

function template(t: TargetType, i: number): Record<string, unknown> {
  if (t === SECRETS) return { type: 'Opaque', stringData: { n: String(i) } };
  if (t === CONFIGMAPS) return { data: { n: String(i) } };
  return ROLES.template({ n: String(i) });
}

/** Counts after two scrapes 2 s apart agree on the writes (nothing in flight). */
async function settledCounts(): Promise<Map<string, number>[]> {
  let last = await Promise.all(MEMBERS.map(requestCounts));
  return waitFor('the clusters to stop writing', async () => {
    await new Promise((r) => setTimeout(r, 2_000));
    const now = await Promise.all(MEMBERS.map(requestCounts));
    const same = JSON.stringify(now.map(writes)) === JSON.stringify(last.map(writes));
    last = now;
    return [same, now, JSON.stringify(now.map(writes))];
  });
}

/** `controller_runtime_reconcile_total{controller, result="success"}` of the manager. */
function successes(metrics: string, controller: string): number {
  const m = new RegExp(
    `^controller_runtime_reconcile_total\\{controller="${controller}",result="success"\\} (\\d+)$`,
    'm',
  ).exec(metrics);
  return m ? Number(m[1]) : 0;
}

beforeAll(async () => {
  await cp.setup();
  ns = await cp.federatedNamespace(PLACED, 'restart');
  for (const t of TYPES)
    for (let i = 0; i < PER_TYPE; i++)
      await apply('cluster1', {
        apiVersion: `${cp.group}/v1beta1`,
        kind: `Federated${t.kind}`,
        metadata: { name: `obj-${i}`, namespace: ns },
        spec: { template: template(t, i), placement: { clusters: PLACED.map((name) => ({ name })) } },
      });
  for (const t of TYPES)
    for (let i = 0; i < PER_TYPE; i++)
      await waitFor(`${t.kind} obj-${i} propagated`, async () => {
        const f = await getObject<FederatedObject>('cluster1', [
          '-n',
          ns,
          cp.resource(t.pluralName),
          `obj-${i}`,
        ]);
        const ok =
          propagation(f)?.status === 'True' && f?.status?.observedGeneration === f?.metadata.generation;
        return [ok, f, JSON.stringify(f?.status)];
      });
});
afterAll(() => cp.teardown(), 300_000);

describe('manager restart', () => {
  it('reads every type’s PropagatedVersions with one LIST and writes nothing', async () => {
    await cp.killManager();
    const before = await settledCounts();
    cp.restartManager();
    // Every sync controller has looked at each of its objects once, with nothing left queued.
    await waitFor('every federated object reconciled after the restart', async () => {
      const m = await cp.metrics().catch(() => '');
      const counts = TYPES.map((t) => successes(m, `federated${t.kind.toLowerCase()}`));
      const queued = [...m.matchAll(/^workqueue_depth\{name="federated\w+"\} (\d+)$/gm)].reduce(
        (n, x) => n + Number(x[1]),
        0,
      );
      return [
        counts.every((n) => n >= PER_TYPE) && queued === 0,
        counts,
        `${counts.join('/')} queued ${queued}`,
      ];
    });
    const after = await settledCounts();
    const host = (c: Map<string, number>[]) => c[0]!.get('LIST propagatedversions') ?? 0;
    // Namespaces, ConfigMaps, Secrets and Roles: four sync controllers, one LIST.
    expect(host(after) - host(before)).toBe(1);
    expect(after.map(writes)).toEqual(before.map(writes));
  });
});
