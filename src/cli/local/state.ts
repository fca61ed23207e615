/**
 * The state directory's record of what `up` started: the topology, and per component its pid and
 * binary. `down` and `status` trust only this file, never a process search by name.
 */
import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ComponentKind, Topology } from './topology.js';
import type { ControlPlaneScope } from '../../federation/placement.js';

export interface RunningComponent {
  id: string;
  kind: ComponentKind;
  cluster?: string;
  pid: number;
  binary: string;
  log: string;
  ports: number[];
}

/** A control-plane process `kubefed-local install` started (node running a script of dist/cli). */
export interface KubefedProcess {
  id: 'kubefed/controller-manager' | 'kubefed/webhook';
  kind: 'kubefed-controller-manager' | 'kubefed-webhook';
  pid: number;
  binary: string;
  log: string;
  ports: number[];
}

/** What `kubefed-local install` set up in cluster1: the Helm release and the local control plane. */
export interface KubefedInstall {
  release: string;
  releaseNamespace: string;
  /** The control plane's namespace (KubeFedClusters, KubeFedConfig, FederatedTypeConfigs). */
  namespace: string;
  scope: ControlPlaneScope;
  chart: string;
  webhookPort: number;
  metricsPort: number;
  /** The controller manager's loopback dashboard (absent in records of installs that predate it). */
  dashboardPort?: number;
  processes: KubefedProcess[];
}

export interface LocalState {
  version: 1;
  /** `starting` while `up` runs; `ready` once every component passed its readiness check. */
  phase: 'starting' | 'ready';
  createdAt: string;
  binDir: string;
  topology: Topology;
  components: RunningComponent[];
  /** Set by `kubefed-local install`; its processes are stopped by `down` and `uninstall`. */
  kubefed?: KubefedInstall;
}

export const STATE_FILE = 'state.json';

/** The URL of the local control plane's dashboard (docs/dashboard.md). */
export function dashboardUrl(port: number): string {
  return `http://127.0.0.1:${port}/`;
}

export function statePath(dir: string): string {
  return path.join(dir, STATE_FILE);
}

export function readState(dir: string): LocalState | undefined {
  const file = statePath(dir);
  if (!existsSync(file)) return undefined;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as LocalState;
  if (parsed.version !== 1)
    throw new Error(
      `${file}: unknown state version ${String(parsed.version)}; run 'kubefed-local down --dir ${dir}' with the version that created it`,
    );
  return parsed;
}

let writes: Promise<void> = Promise.resolve();

/**
 * Writes atomically (a crash mid-write never leaves a file `down` cannot read) and in call order:
 * the state is snapshotted now, so concurrent callers cannot store an older snapshot last.
 */
export function writeState(dir: string, state: LocalState): Promise<void> {
  const file = statePath(dir);
  const data = JSON.stringify(state, null, 2);
  const write = writes.then(async () => {
    await writeFile(`${file}.tmp`, data);
    await rename(`${file}.tmp`, file);
  });
  writes = write.catch(() => undefined);
  return write;
}
