/**
 * `kubefed-local up`: PKI, one etcd, an API server + controller manager per cluster, and (with
 * workloads) a scheduler and kwok with fake Ready nodes. Either everything becomes ready, or what was
 * started is stopped again and the error names the component and its log.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatDuration, PollAbort, pollUntil } from '../../poll.js';
import { renderKubeconfig } from './kubeconfig.js';
import { createClusterPki, pkiPaths } from './pki.js';
import { freePorts, isPortFree } from './ports.js';
import { apiRequest, healthGet, type ProbeTarget } from './probe.js';
import { assertExecutable, isRunning, startDetached, stopAll } from './processes.js';
import { readState, writeState, type LocalState, type RunningComponent } from './state.js';
import { resolveToolchain } from './toolchain.js';
import {
  COMPONENT_KINDS,
  planTopology,
  portCount,
  validateOptions,
  type ClusterPlan,
  type ComponentPlan,
  type TopologyOptions,
} from './topology.js';

export interface UpOptions extends TopologyOptions {
  /** Use ports basePort, basePort+1, … instead of free ports chosen by the kernel. */
  basePort?: number;
  binDir?: string;
  /** Per-stage readiness timeout in milliseconds (default 120 s). */
  timeoutMs?: number;
  progress: (line: string) => void;
}

export type UpResult =
  { kind: 'already-up'; state: LocalState } | { kind: 'started'; state: LocalState; elapsedMs: number };

/** Marks a directory as created by kubefed-local, so `up`/`down` may wipe it and nothing else. */
export const OWNER_MARKER = '.kubefed-local';

export class ComponentError extends Error {
  override name = 'ComponentError';
  constructor(
    readonly component: string,
    readonly log: string | undefined,
    problem: string,
  ) {
    super(`${component}: ${problem}${log ? `\n  log: ${log}${logTail(log)}` : ''}`);
  }
}

function logTail(log: string, lines = 8): string {
  try {
    const tail = readFileSync(log, 'utf8').trimEnd().split('\n').slice(-lines);
    return tail.length && tail[0] !== '' ? `\n  last lines:\n    ${tail.join('\n    ')}` : '';
  } catch {
    return '';
  }
}

export function ownsDir(dir: string): boolean {
  return existsSync(path.join(dir, OWNER_MARKER));
}

export async function up(options: UpOptions): Promise<UpResult> {
  validateOptions(options);
  const dir = path.resolve(options.dir);
  const existing = readState(dir);
  if (existing) {
    const down = existing.components.filter((c) => !isRunning(c));
    if (existing.phase === 'ready' && down.length === 0) return { kind: 'already-up', state: existing };
    const alive = existing.components.filter((c) => isRunning(c));
    if (alive.length > 0) {
      throw new Error(
        `${dir} holds a local topology that is only partly running (${down.map((c) => c.id).join(', ') || 'not ready'} down); run 'kubefed-local down --dir ${dir}' first`,
      );
    }
  }
  if (existsSync(dir) && readdirSync(dir).length > 0 && !ownsDir(dir)) {
    throw new Error(`${dir} is not empty and was not created by kubefed-local; choose another --dir`);
  }

  const started = Date.now();
  const toolchain = await resolveToolchain({
    build: true,
    ...(options.binDir ? { binDir: options.binDir } : {}),
  });
  const kinds = COMPONENT_KINDS.filter((k) => options.workloads || (k !== 'kube-scheduler' && k !== 'kwok'));
  for (const k of kinds) await assertExecutable(path.join(toolchain.binDir, k), k);
  if (options.workloads && !existsSync(toolchain.kwokStages)) {
    throw new Error(`kwok: stage definitions ${toolchain.kwokStages} are missing; run 'npm run toolchain'`);
  }

  const ports = await choosePorts(options);
  const topology = planTopology({ ...options, dir }, ports, toolchain);
  if (options.basePort !== undefined) await assertPortsFree(topology.components);

  await rm(dir, { recursive: true, force: true });
  await mkdir(path.join(dir, 'logs'), { recursive: true });
  await writeFile(path.join(dir, OWNER_MARKER), 'created by kubefed-local; removed by kubefed-local down\n');

  const state: LocalState = {
    version: 1,
    phase: 'starting',
    createdAt: new Date().toISOString(),
    binDir: toolchain.binDir,
    topology,
    components: [],
  };
  try {
    await bringUp(state, options);
  } catch (err) {
    options.progress('start failed; stopping what was started');
    await stopAll(state.components, 5000).catch(() => []);
    // Keep the logs the error points at; drop everything else so the next `up` starts clean.
    await Promise.all(
      readdirSync(dir)
        .filter((f) => f !== 'logs' && f !== OWNER_MARKER)
        .map((f) => rm(path.join(dir, f), { recursive: true, force: true })),
    );
    throw err;
  }
  return { kind: 'started', state, elapsedMs: Date.now() - started };
}

async function choosePorts(options: UpOptions): Promise<number[]> {
  const n = portCount(options);
  if (options.basePort === undefined) return freePorts(n);
  if (!Number.isInteger(options.basePort) || options.basePort < 1024 || options.basePort + n > 65536) {
    throw new Error(
      `--base-port must be an integer from 1024 to ${65536 - n} (this topology needs ${n} ports)`,
    );
  }
  return Array.from({ length: n }, (_, i) => (options.basePort as number) + i);
}

async function assertPortsFree(components: readonly ComponentPlan[]): Promise<void> {
  for (const c of components) {
    for (const port of c.ports) {
      if (!(await isPortFree(port))) {
        throw new ComponentError(
          c.id,
          undefined,
          `port 127.0.0.1:${port} is already in use; choose another --base-port or omit it`,
        );
      }
    }
  }
}

function target(c: ClusterPlan): ProbeTarget {
  return { server: c.server, pki: pkiPaths(path.join(c.dir, 'pki')) };
}

async function bringUp(state: LocalState, options: UpOptions): Promise<void> {
  const { topology } = state;
  const timeoutMs = options.timeoutMs ?? 120_000;
  const t0 = Date.now();
  const since = () => formatDuration(Date.now() - t0);

  options.progress(`creating certificates and kubeconfigs in ${topology.dir}`);
  await Promise.all(topology.clusters.map((c) => createClusterPki(path.join(c.dir, 'pki'), c.name)));
  const kcClusters = topology.clusters.map((c) => ({
    name: c.name,
    server: c.server,
    pki: pkiPaths(path.join(c.dir, 'pki')),
  }));
  await writeFile(topology.kubeconfig, await renderKubeconfig(kcClusters), { mode: 0o600 });
  await Promise.all(
    kcClusters.map(async (c, i) =>
      writeFile(topology.clusters[i]!.kubeconfig, await renderKubeconfig([c]), { mode: 0o600 }),
    ),
  );

  const byKind = (kind: ComponentPlan['kind']) => topology.components.filter((c) => c.kind === kind);
  const start = async (plan: ComponentPlan): Promise<RunningComponent> => {
    const binary = path.join(state.binDir, plan.kind);
    let pid: number;
    try {
      pid = await startDetached(binary, plan.args, plan.log);
    } catch (err) {
      throw new ComponentError(plan.id, plan.log, `failed to start: ${(err as Error).message}`);
    }
    const running: RunningComponent = {
      id: plan.id,
      kind: plan.kind,
      pid,
      binary,
      log: plan.log,
      ports: plan.ports,
      ...(plan.cluster ? { cluster: plan.cluster } : {}),
    };
    state.components.push(running);
    await writeState(topology.dir, state);
    return running;
  };
  /** Waits for `check`, failing at once (with the log) if the component's process exits. */
  const waitReady = async <T>(
    rc: RunningComponent,
    what: string,
    check: () => Promise<{ done: true; value: T } | { done: false; seen: string }>,
  ) => {
    try {
      return await pollUntil(
        `${rc.id} ${what}`,
        async () => {
          if (!isRunning(rc)) throw new PollAbort('exited');
          return check();
        },
        { timeoutMs, intervalMs: 250 },
      );
    } catch (err) {
      const msg =
        err instanceof PollAbort
          ? 'exited before becoming ready'
          : `did not become ready: ${(err as Error).message}`;
      throw new ComponentError(rc.id, rc.log, msg);
    }
  };

  await mkdir(topology.etcd.dataDir, { recursive: true, mode: 0o700 });
  const etcd = await start(byKind('etcd')[0]!);
  await waitReady(etcd, 'to report healthy', async () => {
    const r = await healthGet(`http://127.0.0.1:${topology.etcd.clientPort}/health`);
    return /"health":\s*"true"/.test(r.body)
      ? { done: true, value: undefined }
      : { done: false, seen: `${r.status} ${r.body}` };
  });
  options.progress(`etcd ready (${since()})`);

  const clusterOf = (id: string | undefined) => topology.clusters.find((c) => c.name === id)!;
  const apiservers = await Promise.all(byKind('kube-apiserver').map(start));
  await Promise.all(
    apiservers.map(async (rc) => {
      await waitReady(rc, 'to serve /readyz', async () => {
        const r = await apiRequest(target(clusterOf(rc.cluster)), 'GET', '/readyz');
        return r.status === 200
          ? { done: true, value: undefined }
          : { done: false, seen: `HTTP ${r.status}: ${r.body.slice(0, 300)}` };
      });
      options.progress(`${rc.id} ready (${since()})`);
    }),
  );

  const controllers = await Promise.all(
    [...byKind('kube-controller-manager'), ...byKind('kube-scheduler'), ...byKind('kwok')].map(start),
  );
  await Promise.all(
    controllers.map(async (rc) => {
      const cluster = clusterOf(rc.cluster);
      if (rc.kind === 'kube-controller-manager') {
        // Its service-account controller creates `default` SAs: the first sign it is working.
        await waitReady(rc, "to create the 'default' ServiceAccount", async () => {
          const r = await apiRequest(
            target(cluster),
            'GET',
            '/api/v1/namespaces/default/serviceaccounts/default',
          );
          return r.status === 200
            ? { done: true, value: undefined }
            : { done: false, seen: `HTTP ${r.status}` };
        });
      } else if (rc.kind === 'kube-scheduler') {
        await waitReady(rc, 'to serve /healthz', async () => {
          const r = await healthGet(`https://127.0.0.1:${cluster.schedulerPort}/healthz`);
          return r.status === 200
            ? { done: true, value: undefined }
            : { done: false, seen: `HTTP ${r.status}: ${r.body}` };
        });
      } else {
        await createNodes(cluster);
        await waitReady(rc, `to make nodes ${cluster.nodes.join(', ')} Ready and schedulable`, () =>
          nodesReady(cluster),
        );
      }
      options.progress(`${rc.id} ready (${since()})`);
    }),
  );

  state.phase = 'ready';
  await writeState(topology.dir, state);
}

async function createNodes(cluster: ClusterPlan): Promise<void> {
  for (const [i, name] of cluster.nodes.entries()) {
    const zone = cluster.zones[i % cluster.zones.length]!;
    const resources = { cpu: '32', memory: '256Gi', pods: '110' };
    const r = await apiRequest(target(cluster), 'POST', '/api/v1/nodes', {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name,
        labels: {
          type: 'kwok',
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'kubernetes.io/hostname': name,
          'topology.kubernetes.io/region': cluster.region,
          'topology.kubernetes.io/zone': zone,
        },
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      },
      status: { allocatable: resources, capacity: resources },
    });
    if (r.status !== 201 && r.status !== 409) {
      throw new ComponentError(
        `${cluster.name}/kwok`,
        undefined,
        `creating node ${name} failed: HTTP ${r.status} ${r.body.slice(0, 300)}`,
      );
    }
  }
}

interface NodeList {
  items: {
    metadata: { name: string };
    spec?: { taints?: { key: string }[] };
    status?: { conditions?: { type: string; status: string }[] };
  }[];
}

async function nodesReady(
  cluster: ClusterPlan,
): Promise<{ done: true; value: undefined } | { done: false; seen: string }> {
  const r = await apiRequest(target(cluster), 'GET', '/api/v1/nodes');
  if (r.status !== 200) return { done: false, seen: `HTTP ${r.status}` };
  const nodes = (JSON.parse(r.body) as NodeList).items;
  const notReady = cluster.nodes.filter((name) => {
    const n = nodes.find((x) => x.metadata.name === name);
    const ready = n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    // The node-lifecycle controller lifts the not-ready taint shortly after Ready; until then pods stay Pending.
    const tainted = n?.spec?.taints?.some((t) => t.key.startsWith('node.kubernetes.io/'));
    return !ready || tainted;
  });
  return notReady.length === 0
    ? { done: true, value: undefined }
    : { done: false, seen: `not yet Ready/untainted: ${notReady.join(', ')}` };
}
