/**
 * `kubefed-local demo` (`npm run demo`): the whole job in one command. Starts (or reuses) the local
 * clusters, installs the chart with the control plane as local processes, joins cluster1..3,
 * federates a sample app into the namespace `demo` (a Namespace, a ConfigMap, a Deployment with an
 * image override for cluster3, a Service, and a ReplicaSchedulingPreference splitting the
 * Deployment over cluster2 and cluster3), waits until everything is propagated and the pods are
 * Ready, and prints a per-cluster table. Every step converges, so running it again is safe.
 */
import path from 'node:path';
import { formatDuration, pollUntil } from '../../poll.js';
import { ComponentError } from './components.js';
import { exec, install } from './install.js';
import { dashboardUrl } from './state.js';
import { REPO_ROOT } from './toolchain.js';
import { up } from './up.js';

export const DEMO_NAMESPACE = 'demo';
export const CLUSTERS = ['cluster1', 'cluster2', 'cluster3'] as const;
const KUBEFEDCTL = path.join(REPO_ROOT, 'dist', 'cli', 'kubefedctl', 'main.js');

/** The RSP: 6 replicas, cluster2 twice the weight of cluster3. */
export const TOTAL_REPLICAS = 6;
export const RSP_CLUSTERS = { cluster2: { weight: 2 }, cluster3: { weight: 1 } } as const;
/** The split the RSP yields (upstream's planner: by weight, 6 * 2/3 and 6 * 1/3). */
export const EXPECTED_REPLICAS: Readonly<Record<string, number>> = { cluster2: 4, cluster3: 2 };
export const IMAGE = 'nginx:1.27';
export const CLUSTER3_IMAGE = 'nginx:1.27-alpine';

export interface SampleObject {
  /** Target kind (what lands in the members). */
  kind: 'Namespace' | 'ConfigMap' | 'Deployment' | 'Service';
  name: string;
  /** kubectl resource of the federated type. */
  federatedResource: string;
  /** kubectl resource of the target type in members. */
  resource: string;
  manifest: Record<string, unknown>;
  /** Created once and then left to the RSP controller (which writes placement and replica overrides). */
  createOnly: boolean;
}

const fed = (kind: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'types.kubefed.io/v1beta1',
  kind: `Federated${kind}`,
  metadata: { name, namespace: DEMO_NAMESPACE },
  spec,
});
const everywhere = { clusters: CLUSTERS.map((name) => ({ name })) };

/** The sample app, as federated objects (pure). */
export function sampleObjects(): SampleObject[] {
  return [
    {
      kind: 'Namespace',
      name: DEMO_NAMESPACE,
      federatedResource: 'federatednamespaces',
      resource: 'namespace',
      manifest: fed('Namespace', DEMO_NAMESPACE, { placement: everywhere }),
      createOnly: false,
    },
    {
      kind: 'ConfigMap',
      name: 'web-config',
      federatedResource: 'federatedconfigmaps',
      resource: 'configmap',
      manifest: fed('ConfigMap', 'web-config', {
        template: { data: { GREETING: 'hello from kubefed' } },
        placement: everywhere,
      }),
      createOnly: false,
    },
    {
      kind: 'Deployment',
      name: 'web',
      federatedResource: 'federateddeployments',
      resource: 'deployment',
      manifest: fed('Deployment', 'web', {
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            replicas: TOTAL_REPLICAS,
            selector: { matchLabels: { app: 'web' } },
            template: {
              metadata: { labels: { app: 'web' } },
              spec: {
                containers: [
                  {
                    name: 'web',
                    image: IMAGE,
                    ports: [{ containerPort: 80 }],
                    envFrom: [{ configMapRef: { name: 'web-config' } }],
                  },
                ],
              },
            },
          },
        },
        // Placement and replica overrides come from the ReplicaSchedulingPreference.
        overrides: [
          {
            clusterName: 'cluster3',
            clusterOverrides: [{ path: '/spec/template/spec/containers/0/image', value: CLUSTER3_IMAGE }],
          },
        ],
      }),
      createOnly: true,
    },
    {
      kind: 'Service',
      name: 'web',
      federatedResource: 'federatedservices',
      resource: 'service',
      manifest: fed('Service', 'web', {
        template: { spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 80 }] } },
        placement: everywhere,
      }),
      createOnly: false,
    },
  ];
}

export function replicaSchedulingPreference(): Record<string, unknown> {
  return {
    apiVersion: 'scheduling.kubefed.io/v1alpha1',
    kind: 'ReplicaSchedulingPreference',
    metadata: { name: 'web', namespace: DEMO_NAMESPACE },
    // rebalance: the split always follows the weights, whatever ran before (a re-run converges too).
    spec: {
      targetKind: 'FederatedDeployment',
      totalReplicas: TOTAL_REPLICAS,
      rebalance: true,
      clusters: RSP_CLUSTERS,
    },
  };
}

export interface StatusRow {
  cluster: string;
  object: string;
  /** `Propagated`, a per-cluster reason (e.g. `CreationFailed`), `not placed`, or `pending`. */
  propagation: string;
  /** `4/4` for the Deployment; `yes`/`no` (exists) for the rest. */
  ready: string;
}

export function renderTable(rows: readonly StatusRow[]): string {
  const table = [
    ['CLUSTER', 'OBJECT', 'PROPAGATION', 'READY'],
    ...rows.map((r) => [r.cluster, r.object, r.propagation, r.ready]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return table
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
    .join('\n');
}

interface FederatedStatus {
  spec?: { placement?: { clusters?: { name: string }[] } };
  status?: {
    conditions?: { type: string; status: string; reason?: string }[];
    clusters?: { name: string; status?: string }[];
  };
}

/** Per cluster: the sync controller's word on one federated object (pure). */
export function propagationOf(fedObj: FederatedStatus | undefined, cluster: string): string {
  if (!fedObj) return 'pending';
  const placed = fedObj.spec?.placement?.clusters?.some((c) => c.name === cluster) ?? false;
  const entry = fedObj.status?.clusters?.find((c) => c.name === cluster);
  if (!placed) return entry ? (entry.status ?? 'Propagated') : 'not placed';
  if (!entry) return 'pending';
  return entry.status ?? 'Propagated';
}

/** The per-cluster status of the sample objects, and whether all of it is as the demo promises (pure). */
export function statusRows(
  federated: ReadonlyMap<string, FederatedStatus | undefined>,
  members: ReadonlyMap<string, { exists: boolean; ready?: number; replicas?: number }>,
): { rows: StatusRow[]; done: boolean; pending: string[] } {
  const rows: StatusRow[] = [];
  const pending: string[] = [];
  for (const o of sampleObjects()) {
    const f = federated.get(o.kind);
    const cond = f?.status?.conditions?.find((c) => c.type === 'Propagation');
    if (cond?.status !== 'True')
      pending.push(
        `Federated${o.kind} ${o.name}: Propagation ${cond?.status ?? 'not reported'}${cond?.reason ? ` (${cond.reason})` : ''}`,
      );
    for (const cluster of CLUSTERS) {
      const m = members.get(`${cluster}/${o.kind}`);
      const propagation = propagationOf(f, cluster);
      const expected = o.kind === 'Deployment' ? EXPECTED_REPLICAS[cluster] : 1;
      let ready: string;
      if (o.kind === 'Deployment') {
        ready = m?.exists ? `${m.ready ?? 0}/${m.replicas ?? 0}` : '-';
        if (expected !== undefined && ((m?.ready ?? 0) !== expected || (m?.replicas ?? 0) !== expected))
          pending.push(`${cluster}: Deployment web ${m?.ready ?? 0}/${expected} ready`);
        if (expected === undefined && propagation !== 'not placed')
          pending.push(`${cluster}: Deployment web placed`);
      } else {
        ready = m?.exists ? 'yes' : 'no';
        if (!m?.exists) pending.push(`${cluster}: ${o.kind} ${o.name} missing`);
      }
      if (expected !== undefined && propagation !== 'Propagated')
        pending.push(`${cluster}: ${o.kind} ${o.name} ${propagation}`);
      rows.push({ cluster, object: `${o.kind}/${o.name}`, propagation, ready });
    }
  }
  // One block per cluster, objects in the order above.
  const order = (r: StatusRow) => CLUSTERS.indexOf(r.cluster as (typeof CLUSTERS)[number]);
  rows.sort((a, b) => order(a) - order(b));
  return { rows, done: pending.length === 0, pending };
}

export function nextSteps(dirFlag: string): string {
  const env = `eval "$(npm run -s local -- env${dirFlag})"`;
  return [
    'Try next:',
    `  ${env}      # KUBECONFIG and the pinned kubectl/helm on PATH`,
    '  node dist/cli/kubefedctl/main.js get clusters --host-cluster-context cluster1',
    '  node dist/cli/kubefedctl/main.js status deployments.apps web -n demo --host-cluster-context cluster1',
    '  node dist/cli/kubefedctl/main.js plan -n demo --host-cluster-context cluster1   # each object x cluster, from dry runs',
    '  kubectl --context cluster2 get deploy -n demo     # 4 replicas; cluster3 has 2, image nginx:1.27-alpine',
    '  kubectl --context cluster1 -n demo edit replicaschedulingpreference web   # change the split',
    `  npm run local -- status${dirFlag}                 # every component, the control plane included`,
    `Stop everything: npm run local -- down${dirFlag}`,
  ].join('\n');
}

export interface DemoOptions {
  dir: string;
  /** The default state dir: the printed commands need no `--dir`. */
  isDefaultDir: boolean;
  timeoutMs?: number;
  progress: (line: string) => void;
  out: (text: string) => void;
}

export async function demo(options: DemoOptions): Promise<{ rows: StatusRow[] }> {
  const t0 = Date.now();
  const since = () => formatDuration(Date.now() - t0);
  const timeoutMs = options.timeoutMs ?? 240_000;
  const step = (n: number, what: string) => options.progress(`[${n}/6] ${what} (${since()})`);

  step(1, 'toolchain and local clusters cluster1 (host), cluster2, cluster3');
  const upResult = await up({
    members: 2,
    workloads: true,
    dir: options.dir,
    extraArgs: {},
    progress: options.progress,
  });
  const state = upResult.state;
  const names = state.topology.clusters.map((c) => c.name);
  for (const c of CLUSTERS)
    if (!names.includes(c))
      throw new Error(
        `the local topology in ${state.topology.dir} has no ${c} (it has ${names.join(', ')}); the demo needs 'kubefed-local up --members 2' or more: run 'kubefed-local down --dir ${state.topology.dir}' and retry`,
      );
  const workloads = state.topology.components.some((c) => c.kind === 'kwok');
  if (!workloads)
    throw new Error(
      `the local topology in ${state.topology.dir} was started with --no-workloads, so pods never become Ready; run 'kubefed-local down --dir ${state.topology.dir}' and retry`,
    );

  step(2, 'Helm chart into cluster1, control plane as local processes');
  const { install: inst } = await install({ dir: options.dir, scope: 'Cluster', progress: options.progress });
  const managerLog = inst.processes.find((p) => p.kind === 'kubefed-controller-manager')!.log;
  const kfns = inst.namespace;

  const env = { ...process.env, KUBECONFIG: state.topology.kubeconfig };
  const kubectl = async (context: string, args: readonly string[], input?: string) => {
    const r = await exec(
      path.join(state.binDir, 'kubectl'),
      ['--context', context, ...args],
      env,
      60_000,
      input,
    );
    if (r.code !== 0) throw new Error(`kubectl --context ${context} ${args.join(' ')}: ${r.stderr.trim()}`);
    return r.stdout;
  };
  const getJson = async <T>(context: string, args: readonly string[]): Promise<T | undefined> => {
    const out = await kubectl(context, ['get', ...args, '-o', 'json', '--ignore-not-found']);
    return out.trim() ? (JSON.parse(out) as T) : undefined;
  };
  /** A wait whose failure names the controller manager and its log. */
  const wait = async <T>(
    what: string,
    check: () => Promise<{ done: true; value: T } | { done: false; seen: string }>,
  ) => {
    let last = 0;
    try {
      return await pollUntil(
        what,
        async () => {
          const r = await check();
          if (!r.done && Date.now() - last > 10_000) {
            last = Date.now();
            options.progress(`  waiting for ${what} (${since()}): ${r.seen}`);
          }
          return r;
        },
        { timeoutMs, intervalMs: 1000 },
      );
    } catch (err) {
      throw new ComponentError('kubefed/controller-manager', managerLog, (err as Error).message);
    }
  };

  step(3, 'joining cluster1, cluster2, cluster3');
  const joined = new Set(
    (await kubectl('cluster1', ['-n', kfns, 'get', 'kubefedclusters', '-o', 'name']))
      .split('\n')
      .filter(Boolean)
      .map((n) => n.split('/')[1]),
  );
  for (const c of CLUSTERS) {
    if (joined.has(c)) continue;
    const args = [
      KUBEFEDCTL,
      'join',
      c,
      '--cluster-context',
      c,
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      kfns,
    ];
    options.progress(`  kubefedctl ${args.slice(1).join(' ')}`);
    const r = await exec(process.execPath, args, env, 120_000);
    if (r.code !== 0) throw new Error(`kubefedctl join ${c} failed: ${r.stderr.trim()}`);
  }
  await wait('KubeFedClusters cluster1..3 Ready', async () => {
    const list = await getJson<{
      items: { metadata: { name: string }; status?: { conditions?: { type: string; status: string }[] } }[];
    }>('cluster1', ['-n', kfns, 'kubefedclusters']);
    const notReady = CLUSTERS.filter(
      (c) =>
        !list?.items
          .find((k) => k.metadata.name === c)
          ?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'),
    );
    return notReady.length === 0
      ? { done: true, value: undefined }
      : { done: false, seen: `not Ready: ${notReady.join(', ')}` };
  });

  step(4, `federating the sample app into namespace ${DEMO_NAMESPACE}`);
  await kubectl(
    'cluster1',
    ['apply', '-f', '-'],
    JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: DEMO_NAMESPACE } }),
  );
  // The RSP first: the FederatedDeployment (without placement) lands only where it schedules it.
  await kubectl('cluster1', ['apply', '-f', '-'], JSON.stringify(replicaSchedulingPreference()));
  for (const o of sampleObjects()) {
    if (o.createOnly) {
      const exists = await getJson('cluster1', ['-n', DEMO_NAMESPACE, o.federatedResource, o.name]);
      if (exists) continue;
      await kubectl('cluster1', ['create', '-f', '-'], JSON.stringify(o.manifest));
    } else {
      await kubectl('cluster1', ['apply', '-f', '-'], JSON.stringify(o.manifest));
    }
  }

  step(5, 'waiting for propagation and Ready pods');
  const collect = async () => {
    const federated = new Map<string, FederatedStatus | undefined>();
    const members = new Map<string, { exists: boolean; ready?: number; replicas?: number }>();
    await Promise.all(
      sampleObjects().map(async (o) => {
        federated.set(
          o.kind,
          await getJson<FederatedStatus>('cluster1', ['-n', DEMO_NAMESPACE, o.federatedResource, o.name]),
        );
        await Promise.all(
          CLUSTERS.map(async (c) => {
            const args =
              o.kind === 'Namespace' ? [o.resource, o.name] : ['-n', DEMO_NAMESPACE, o.resource, o.name];
            const m = await getJson<{ status?: { readyReplicas?: number; replicas?: number } }>(c, args);
            members.set(`${c}/${o.kind}`, {
              exists: m !== undefined,
              ...(m && o.kind === 'Deployment'
                ? { ready: m.status?.readyReplicas ?? 0, replicas: m.status?.replicas ?? 0 }
                : {}),
            });
          }),
        );
      }),
    );
    return statusRows(federated, members);
  };
  const final = await wait('the sample app Propagated with its pods Ready', async () => {
    const s = await collect();
    return s.done ? { done: true, value: s } : { done: false, seen: s.pending.slice(0, 4).join('; ') };
  });

  step(6, `done in ${since()}`);
  const dirFlag = options.isDefaultDir ? '' : ` --dir ${state.topology.dir}`;
  options.out(
    [
      '',
      `Sample app in namespace ${DEMO_NAMESPACE}, federated from cluster1 (control plane in ${kfns}):`,
      `ReplicaSchedulingPreference ${DEMO_NAMESPACE}/web: ${TOTAL_REPLICAS} replicas by weight -> ${Object.entries(
        EXPECTED_REPLICAS,
      )
        .map(([c, n]) => `${c}: ${n}`)
        .join(', ')}; cluster3 runs ${CLUSTER3_IMAGE} (override)`,
      '',
      renderTable(final.rows),
      '',
      nextSteps(dirFlag),
      '',
      ...(inst.dashboardPort !== undefined
        ? [
            `Dashboard (live, read-only; clusters, types, objects x clusters): ${dashboardUrl(inst.dashboardPort)}`,
            '',
          ]
        : []),
    ].join('\n'),
  );
  return { rows: final.rows };
}
