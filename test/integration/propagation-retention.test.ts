/**
 * Propagation with member-owned values and member refusals, end to end over the real
 * kubefed-controller-manager process and cluster1..3: `spec.retainReplicas`, Service values the
 * member allocated, an update a member refuses (immutable field) and a create a member refuses,
 * both reported in status and Events and retried with backoff; and an idle control plane with
 * many propagated objects writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FederatedObject } from '../../src/api/types.js';
import type { KubeObject } from '../../src/kube/resource.js';
import {
  apply,
  getObject,
  propagation,
  CONFIGMAPS,
  TestControlPlane,
  waitFor,
  type TargetType,
} from '../support/control-plane.js';
import { kubectl } from '../support/local.js';

const DEPLOYMENTS: TargetType = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  pluralName: 'deployments',
  scope: 'Namespaced',
};
const SERVICES: TargetType = { version: 'v1', kind: 'Service', pluralName: 'services', scope: 'Namespaced' };
const JOBS: TargetType = {
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  pluralName: 'jobs',
  scope: 'Namespaced',
};

/**
 * Without leader election: its Lease renewals (a PUT to the host every retryPeriod) are the only
 * writes an idle manager makes by design, and would hide any other in the idle-cost window.
 */
const cp = new TestControlPlane({
  prefix: 'kf-ret',
  types: [CONFIGMAPS, DEPLOYMENTS, SERVICES, JOBS],
  managerArgs: ['--no-leader-elect'],
});
const FCM = cp.resource('configmaps');
const FDEPLOY = cp.resource('deployments');
const FSVC = cp.resource('services');
const FJOB = cp.resource('jobs');

const placement = (clusters: string[]) => ({ clusters: clusters.map((name) => ({ name })) });

function federated(kind: string, ns: string, name: string, spec: Record<string, unknown>) {
  return { apiVersion: `${cp.group}/v1beta1`, kind, metadata: { name, namespace: ns }, spec };
}

function fedDeployment(
  ns: string,
  name: string,
  clusters: string[],
  retainReplicas: boolean,
  image = 'web:1',
) {
  return federated('FederatedDeployment', ns, name, {
    template: {
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'web', image: `registry.invalid/${image}` }] },
        },
      },
    },
    placement: placement(clusters),
    retainReplicas,
  });
}

type Deployment = KubeObject & {
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
};
type Service = KubeObject & {
  spec: {
    clusterIP: string;
    clusterIPs: string[];
    ports: { port: number; targetPort: number; nodePort?: number }[];
  };
};

/** Warning Events on a federated object with this reason (their messages). */
async function warnings(ns: string, name: string, reason: string): Promise<string[]> {
  const out = await kubectl('cluster1', [
    '-n',
    ns,
    'get',
    'events',
    '--field-selector',
    `involvedObject.name=${name},reason=${reason},type=Warning`,
    '-o',
    'json',
  ]);
  return (JSON.parse(out) as { items: { message: string }[] }).items.map((e) => e.message);
}

const WRITE_VERBS = new Set(['post', 'put', 'patch', 'delete']);

/** rest_client_requests_total of the write verbs, summed by cluster and verb (`cluster/verb`). */
async function writeCounts(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await cp.metrics()).split('\n')) {
    const m = /^rest_client_requests_total\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = Object.fromEntries(
      [...m[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1]!, x[2]!]),
    );
    if (!WRITE_VERBS.has(labels.verb ?? '')) continue;
    const key = `${labels.cluster}/${labels.verb}`;
    out.set(key, (out.get(key) ?? 0) + Number(m[2]));
  }
  return out;
}

function deltas(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const d: Record<string, number> = {};
  for (const [k, v] of after) if (v !== (before.get(k) ?? 0)) d[k] = v - (before.get(k) ?? 0);
  return d;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(() => cp.setup());

afterAll(() => cp.teardown(), 300_000);

describe('retention of member-owned values', () => {
  it('keeps a hand scale of the member copy with retainReplicas, and reverts it without', async () => {
    const ns = await cp.federatedNamespace(['cluster2'], 'ret');
    await apply('cluster1', fedDeployment(ns, 'kept', ['cluster2'], true));
    await apply('cluster1', fedDeployment(ns, 'reverted', ['cluster2'], false));
    await cp.waitForStatus(FDEPLOY, ns, 'kept', ['cluster2:'], 'True');
    await cp.waitForStatus(FDEPLOY, ns, 'reverted', ['cluster2:'], 'True');
    await kubectl('cluster2', ['-n', ns, 'scale', 'deployment', 'kept', 'reverted', '--replicas=4']);
    await waitFor('the hand scale reverted without retainReplicas', async () => {
      const d = await getObject<Deployment>('cluster2', ['-n', ns, 'deployment', 'reverted']);
      return [d?.spec.replicas === 1, d, `replicas ${d?.spec.replicas}`];
    });
    // The member event of `kept` came together with that of `reverted`: it has been handled by now.
    await sleep(3000);
    const kept = await getObject<Deployment>('cluster2', ['-n', ns, 'deployment', 'kept']);
    expect(kept?.spec.replicas).toBe(4);

    // A template change is propagated, and the member's replicas are still kept.
    await apply('cluster1', fedDeployment(ns, 'kept', ['cluster2'], true, 'web:2'));
    const updated = await waitFor('the template change propagated', async () => {
      const d = await getObject<Deployment>('cluster2', ['-n', ns, 'deployment', 'kept']);
      const image = d?.spec.template.spec.containers[0]?.image;
      return [image === 'registry.invalid/web:2', d, `image ${image}`];
    });
    expect(updated?.spec.replicas).toBe(4);
    expect(updated?.metadata.uid).toBe(kept!.metadata.uid);
    await cp.waitForStatus(FDEPLOY, ns, 'kept', ['cluster2:'], 'True');
  });

  it("keeps a Service's member-allocated clusterIP(s) and nodePort across a template update, updating in place", async () => {
    const ns = await cp.federatedNamespace(['cluster2', 'cluster3'], 'ret');
    const svc = (name: string, type: string, targetPort: number) =>
      federated('FederatedService', ns, name, {
        template: {
          spec: {
            type,
            selector: { app: name },
            ports: [{ name: 'http', port: 80, targetPort, protocol: 'TCP' }],
          },
        },
        placement: placement(['cluster2', 'cluster3']),
      });
    await apply('cluster1', svc('plain', 'ClusterIP', 8080));
    await apply('cluster1', svc('nodeport', 'NodePort', 8080));
    await cp.waitForStatus(FSVC, ns, 'plain', ['cluster2:', 'cluster3:'], 'True');
    await cp.waitForStatus(FSVC, ns, 'nodeport', ['cluster2:', 'cluster3:'], 'True');
    const before = new Map<string, Service>();
    for (const c of ['cluster2', 'cluster3'])
      for (const name of ['plain', 'nodeport']) {
        const s = await getObject<Service>(c, ['-n', ns, 'service', name]);
        expect(s?.spec.clusterIP).toMatch(/\d/);
        expect(s?.spec.clusterIPs.length).toBeGreaterThan(0);
        if (name === 'nodeport') expect(s?.spec.ports[0]?.nodePort).toBeGreaterThan(0);
        before.set(`${c}/${name}`, s!);
      }

    await apply('cluster1', svc('plain', 'ClusterIP', 9090));
    await apply('cluster1', svc('nodeport', 'NodePort', 9090));
    for (const c of ['cluster2', 'cluster3'])
      for (const name of ['plain', 'nodeport']) {
        const after = await waitFor(`${c}/${name} updated`, async () => {
          const s = await getObject<Service>(c, ['-n', ns, 'service', name]);
          return [s?.spec.ports[0]?.targetPort === 9090, s!, JSON.stringify(s?.spec.ports)];
        });
        const old = before.get(`${c}/${name}`)!;
        expect(after.metadata.uid).toBe(old.metadata.uid);
        expect(after.spec.clusterIP).toBe(old.spec.clusterIP);
        expect(after.spec.clusterIPs).toEqual(old.spec.clusterIPs);
        expect(after.spec.ports[0]?.nodePort).toBe(old.spec.ports[0]?.nodePort);
      }
    await cp.waitForStatus(FSVC, ns, 'plain', ['cluster2:', 'cluster3:'], 'True');
    await cp.waitForStatus(FSVC, ns, 'nodeport', ['cluster2:', 'cluster3:'], 'True');
  });
});

describe('idle cost', () => {
  it('writes nothing, to members or the host, while 200 propagated objects do not change', async () => {
    const ns = await cp.federatedNamespace(['cluster2', 'cluster3'], 'idle');
    const names = Array.from({ length: 200 }, (_, i) => `cm-${i}`);
    await kubectl(
      'cluster1',
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: names.map((name) =>
          federated('FederatedConfigMap', ns, name, {
            template: { data: { name } },
            placement: placement(['cluster2', 'cluster3']),
          }),
        ),
      }),
    );
    await waitFor(
      'all 200 propagated',
      async () => {
        const list = JSON.parse(await kubectl('cluster1', ['-n', ns, 'get', FCM, '-o', 'json'])) as {
          items: FederatedObject[];
        };
        const done = list.items.filter(
          (f) =>
            propagation(f)?.status === 'True' &&
            f.status?.observedGeneration === f.metadata.generation &&
            (f.status?.clusters ?? []).length === 2,
        );
        return [done.length === names.length, done, `${done.length}/${names.length} propagated`];
      },
      90_000,
    );
    for (const c of ['cluster2', 'cluster3']) {
      const out = await kubectl(c, [
        '-n',
        ns,
        'get',
        'configmaps',
        '-l',
        'kubefed.io/managed=true',
        '-o',
        'name',
      ]);
      expect(out.trim().split('\n')).toHaveLength(names.length);
    }
    // Let the last status writes and their events settle.
    await sleep(3000);
    const before = await writeCounts();
    await sleep(60_000);
    expect(deltas(before, await writeCounts())).toEqual({});
  });
});

describe('member refusals', () => {
  it('reports UpdateFailed for a change of an immutable field, with a Warning Event, retried with backoff, other clusters and objects unaffected', async () => {
    const ns = await cp.federatedNamespace(['cluster2', 'cluster3'], 'ret');
    const job = (image: string) =>
      federated('FederatedJob', ns, 'once', {
        template: {
          spec: {
            backoffLimit: 0,
            template: {
              spec: {
                restartPolicy: 'Never',
                containers: [{ name: 'run', image: `registry.invalid/${image}` }],
              },
            },
          },
        },
        placement: placement(['cluster2', 'cluster3']),
        // cluster3 keeps the first image: the template change is a change only for cluster2.
        overrides: [
          {
            clusterName: 'cluster3',
            clusterOverrides: [
              { path: '/spec/template/spec/containers/0/image', value: 'registry.invalid/job:1' },
            ],
          },
        ],
      });
    const cm = (v: string) =>
      federated('FederatedConfigMap', ns, 'neighbour', {
        template: { data: { v } },
        placement: placement(['cluster2', 'cluster3']),
      });
    await apply('cluster1', job('job:1'));
    await apply('cluster1', cm('1'));
    await cp.waitForStatus(FJOB, ns, 'once', ['cluster2:', 'cluster3:'], 'True');
    await cp.waitForStatus(FCM, ns, 'neighbour', ['cluster2:', 'cluster3:'], 'True');
    const job3 = await getObject('cluster3', ['-n', ns, 'job', 'once']);

    await apply('cluster1', job('job:2'));
    const fed = await cp.waitForStatus(FJOB, ns, 'once', ['cluster2:UpdateFailed', 'cluster3:'], 'False');
    expect(propagation(fed)?.reason).toBe('CheckClusters');
    const events = await waitFor('a Warning Event UpdateInClusterFailed', async () => {
      const msgs = await warnings(ns, 'once', 'UpdateInClusterFailed');
      return [
        msgs.some((m) => m.includes('cluster2') && m.includes('Job.batch "once" is invalid: spec.template')),
        msgs,
        JSON.stringify(msgs),
      ];
    });
    expect(events.join('\n')).not.toMatch(/cluster3/);

    // Retried with backoff, not in a hot loop: a few update attempts over 20 s.
    const before = await writeCounts();
    await sleep(20_000);
    const d = deltas(before, await writeCounts());
    const cluster2Puts = d['cluster2/put'] ?? 0;
    expect(cluster2Puts).toBeGreaterThanOrEqual(1);
    expect(cluster2Puts).toBeLessThanOrEqual(5);
    expect(d['cluster3/put'] ?? 0).toBe(0);

    // The other cluster's copy is untouched, and other objects still propagate.
    const job3After = await getObject('cluster3', ['-n', ns, 'job', 'once']);
    expect(job3After?.metadata.uid).toBe(job3!.metadata.uid);
    await apply('cluster1', cm('2'));
    for (const c of ['cluster2', 'cluster3'])
      await waitFor(`the neighbour configmap updated in ${c}`, async () => {
        const o = await getObject<KubeObject & { data: Record<string, string> }>(c, [
          '-n',
          ns,
          'configmap',
          'neighbour',
        ]);
        return [o?.data.v === '2', o, JSON.stringify(o?.data)];
      });
    await cp.waitForStatus(FCM, ns, 'neighbour', ['cluster2:', 'cluster3:'], 'True');
  });

  it('reports CreationFailed for each placed cluster when members refuse the object, with the member message in an Event', async () => {
    const ns = await cp.federatedNamespace(['cluster2', 'cluster3'], 'ret');
    await apply(
      'cluster1',
      federated('FederatedConfigMap', ns, 'refused', {
        template: { data: { 'bad key!': 'x' } },
        placement: placement(['cluster2', 'cluster3']),
      }),
    );
    const fed = await cp.waitForStatus(
      FCM,
      ns,
      'refused',
      ['cluster2:CreationFailed', 'cluster3:CreationFailed'],
      'False',
    );
    expect(propagation(fed)?.reason).toBe('CheckClusters');
    for (const c of ['cluster2', 'cluster3'])
      expect(await getObject(c, ['-n', ns, 'configmap', 'refused'])).toBeUndefined();
    await waitFor('Warning Events CreateInClusterFailed with the member message', async () => {
      const msgs = await warnings(ns, 'refused', 'CreateInClusterFailed');
      const ok = ['cluster2', 'cluster3'].every((c) =>
        msgs.some((m) => m.includes(c) && m.includes('bad key!') && /valid config key/.test(m)),
      );
      return [ok, msgs, JSON.stringify(msgs)];
    });
  });
});

describe('the manager log', () => {
  it('has no crash of a reconcile', () => {
    expect(cp.log).not.toMatch(/"msg":"reconcile failed"/);
  });
});
