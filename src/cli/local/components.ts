/**
 * Starting one component of the local topology and waiting until it is ready, shared by `up` and by
 * `start`/`stop` of single components (used to restart an API server in fault tests).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PollAbort, pollUntil, type PollResult } from '../../poll.js';
import { pkiPaths } from './pki.js';
import { apiRequest, healthGet, type ProbeTarget } from './probe.js';
import { isRunning, startDetached, stopAll } from './processes.js';
import { readState, writeState, type LocalState, type RunningComponent } from './state.js';
import type { ClusterPlan, ComponentPlan, Topology } from './topology.js';

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

export function apiTarget(c: ClusterPlan): ProbeTarget {
  return { server: c.server, pki: pkiPaths(path.join(c.dir, 'pki')) };
}

/** Spawns the component and records it in the state (replacing an earlier record of the same id). */
export async function launch(state: LocalState, plan: ComponentPlan): Promise<RunningComponent> {
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
  state.components = [...state.components.filter((c) => c.id !== plan.id), running];
  await writeState(state.topology.dir, state);
  return running;
}

/** Waits until the component does its job; fails at once (naming its log) if its process exits. */
export async function awaitReady(state: LocalState, rc: RunningComponent, timeoutMs: number): Promise<void> {
  const { what, check } = readiness(state.topology, rc);
  try {
    await pollUntil(
      `${rc.id} ${what}`,
      async () => {
        if (!isRunning(rc)) throw new PollAbort('exited');
        return check();
      },
      { timeoutMs, intervalMs: 250 },
    );
  } catch (err) {
    if (err instanceof ComponentError) throw err;
    const msg =
      err instanceof PollAbort
        ? 'exited before becoming ready'
        : `did not become ready: ${(err as Error).message}`;
    throw new ComponentError(rc.id, rc.log, msg);
  }
}

const ok: PollResult<undefined> = { done: true, value: undefined };

function readiness(
  topology: Topology,
  rc: RunningComponent,
): { what: string; check: () => Promise<PollResult<undefined>> } {
  const cluster = topology.clusters.find((c) => c.name === rc.cluster);
  switch (rc.kind) {
    case 'etcd':
      return {
        what: 'to report healthy',
        check: async () => {
          const r = await healthGet(`http://127.0.0.1:${topology.etcd.clientPort}/health`);
          return /"health":\s*"true"/.test(r.body) ? ok : { done: false, seen: `${r.status} ${r.body}` };
        },
      };
    case 'kube-apiserver':
      return {
        what: 'to serve /readyz',
        check: async () => {
          const r = await apiRequest(apiTarget(cluster!), 'GET', '/readyz');
          return r.status === 200 ? ok : { done: false, seen: `HTTP ${r.status}: ${r.body.slice(0, 300)}` };
        },
      };
    case 'kube-controller-manager':
      // Its service-account controller creates `default` SAs: the first sign it is working.
      return {
        what: "to create the 'default' ServiceAccount",
        check: async () => {
          const r = await apiRequest(
            apiTarget(cluster!),
            'GET',
            '/api/v1/namespaces/default/serviceaccounts/default',
          );
          return r.status === 200 ? ok : { done: false, seen: `HTTP ${r.status}` };
        },
      };
    case 'kube-scheduler':
      return {
        what: 'to serve /healthz',
        check: async () => {
          const r = await healthGet(`https://127.0.0.1:${cluster!.schedulerPort}/healthz`);
          return r.status === 200 ? ok : { done: false, seen: `HTTP ${r.status}: ${r.body}` };
        },
      };
    case 'kwok': {
      let created = false;
      return {
        what: `to make nodes ${cluster!.nodes.join(', ')} Ready and schedulable`,
        check: async () => {
          if (!created) {
            await createNodes(cluster!);
            created = true;
          }
          return nodesReady(cluster!);
        },
      };
    }
  }
}

async function createNodes(cluster: ClusterPlan): Promise<void> {
  for (const [i, name] of cluster.nodes.entries()) {
    const zone = cluster.zones[i % cluster.zones.length]!;
    const resources = { cpu: '32', memory: '256Gi', pods: '110' };
    const r = await apiRequest(apiTarget(cluster), 'POST', '/api/v1/nodes', {
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

async function nodesReady(cluster: ClusterPlan): Promise<PollResult<undefined>> {
  const r = await apiRequest(apiTarget(cluster), 'GET', '/api/v1/nodes');
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
    ? ok
    : { done: false, seen: `not yet Ready/untainted: ${notReady.join(', ')}` };
}

function requireComponent(dir: string, id: string): { state: LocalState; plan: ComponentPlan } {
  const state = readState(path.resolve(dir));
  if (!state)
    throw new Error(`no local clusters in ${path.resolve(dir)}; start them with 'kubefed-local up'`);
  const plan = state.topology.components.find((c) => c.id === id);
  if (!plan) {
    throw new Error(
      `no component "${id}" in ${state.topology.dir} (components: ${state.topology.components.map((c) => c.id).join(', ')})`,
    );
  }
  return { state, plan };
}

/** Stops one component (e.g. `cluster2/kube-apiserver`) and keeps it recorded, so `start` can bring it back. */
export async function stopComponent(dir: string, id: string): Promise<boolean> {
  const { state } = requireComponent(dir, id);
  const rc = state.components.find((c) => c.id === id);
  if (!rc) return false;
  return (await stopAll([rc])).length > 0;
}

/** Starts one stopped component with its original flags and waits until it is ready. */
export async function startComponent(
  dir: string,
  id: string,
  timeoutMs = 120_000,
): Promise<'started' | 'running'> {
  const { state, plan } = requireComponent(dir, id);
  const rc = state.components.find((c) => c.id === id);
  if (rc && isRunning(rc)) return 'running';
  const started = await launch(state, plan);
  await awaitReady(state, started, timeoutMs);
  return 'started';
}
