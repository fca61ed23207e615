/**
 * `kubefed-local up`: PKI, one etcd, an API server + controller manager per cluster, and (with
 * workloads) a scheduler and kwok with fake Ready nodes. Either everything becomes ready, or what was
 * started is stopped again and the error names the component and its log.
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatDuration } from '../../poll.js';
import { awaitReady, ComponentError, launch } from './components.js';
import { renderKubeconfig } from './kubeconfig.js';
import { createClusterPki, pkiPaths } from './pki.js';
import { freePorts, isPortFree } from './ports.js';
import { assertExecutable, isRunning, stopAll } from './processes.js';
import { readState, writeState, type LocalState } from './state.js';
import { resolveToolchain } from './toolchain.js';
import {
  COMPONENT_KINDS,
  planTopology,
  portCount,
  validateOptions,
  type ComponentPlan,
  type TopologyOptions,
} from './topology.js';

export { ComponentError };

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
  const startAll = async (plans: ComponentPlan[]) => {
    const started = await Promise.all(plans.map((p) => launch(state, p)));
    await Promise.all(
      started.map(async (rc) => {
        await awaitReady(state, rc, timeoutMs);
        options.progress(`${rc.id} ready (${since()})`);
      }),
    );
  };
  await mkdir(topology.etcd.dataDir, { recursive: true, mode: 0o700 });
  await startAll(byKind('etcd'));
  await startAll(byKind('kube-apiserver'));
  await startAll([...byKind('kube-controller-manager'), ...byKind('kube-scheduler'), ...byKind('kwok')]);

  state.phase = 'ready';
  await writeState(topology.dir, state);
}
