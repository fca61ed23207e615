/** Running the built CLIs and kubectl from tests, against the shared local clusters. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import type { LocalState } from '../../src/cli/local/state.js';
import type { ClientOptions, ClusterClient } from '../../src/kube/client.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KUBEFED_LOCAL = path.join(REPO_ROOT, 'dist', 'cli', 'local', 'main.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never throws for a non-zero exit (the caller asserts on `code`). */
export function run(
  file: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') {
          reject(
            new Error(
              `${file} ${args.join(' ')}: ${err.killed ? 'killed (timeout?)' : err.message}\n${stderr}`,
            ),
          );
          return;
        }
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export function kubefedLocal(args: readonly string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
  return run(process.execPath, [KUBEFED_LOCAL, ...args], opts);
}

/** helm against cluster1 of the shared local clusters, its HELM_* state in `home` (a temp dir of the run). */
export function helm(
  home: string,
  args: readonly string[],
  opts: { timeoutMs?: number } = {},
): Promise<RunResult> {
  return run(path.join(path.dirname(inject('kubectl')), 'helm'), args, {
    env: {
      ...process.env,
      KUBECONFIG: inject('kubeconfig'),
      HELM_KUBECONTEXT: 'cluster1',
      HELM_CACHE_HOME: path.join(home, 'cache'),
      HELM_CONFIG_HOME: path.join(home, 'config'),
      HELM_DATA_HOME: path.join(home, 'data'),
    },
    ...opts,
  });
}

/** kubectl against the shared local clusters; throws with kubectl's stderr on failure. */
export async function kubectl(context: string, args: readonly string[], input?: string): Promise<string> {
  const kubeconfig = inject('kubeconfig');
  const r = await run(inject('kubectl'), ['--kubeconfig', kubeconfig, '--context', context, ...args], {
    ...(input === undefined ? {} : { input }),
  });
  if (r.code !== 0)
    throw new Error(`kubectl --context ${context} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** A name unique to this test run, safe as a Kubernetes namespace/object name. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
}

/** Pids of live processes whose command line mentions `needle` (e.g. a state directory). */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (cmd.includes(needle) && state !== 'Z') pids.push(Number(entry));
    } catch {
      /* exited while we looked */
    }
  }
  return pids;
}

/** A controller-kit client for a context of the shared local clusters. */
export async function clusterClient(context: string, options?: ClientOptions): Promise<ClusterClient> {
  const { ClusterClient } = await import('../../src/kube/client.js');
  return ClusterClient.fromKubeconfig(context, inject('kubeconfig'), options);
}

/**
 * Starts a private topology (`cluster1`, plus `members` member clusters, default none; no scheduler
 * or kwok) in a fresh temp dir, for tests that break things (restarts, throttling, stopped
 * controllers) and must leave the shared clusters alone. `stop()` runs `kubefed-local down` on it.
 */
export async function privateTopology(
  prefix: string,
  extraArgs: string[] = [],
  opts: { members?: number } = {},
): Promise<{ dir: string; state: LocalState; stop: () => Promise<void> }> {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), `kubefed-${prefix}-`)), 'state');
  const r = await kubefedLocal([
    'up',
    '--members',
    String(opts.members ?? 0),
    '--no-workloads',
    '--dir',
    dir,
    ...extraArgs.flatMap((a) => ['--extra-arg', a]),
  ]);
  if (r.code !== 0) throw new Error(`kubefed-local up (private ${prefix} topology) failed: ${r.stderr}`);
  const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as LocalState;
  return {
    dir,
    state,
    stop: async () => {
      await kubefedLocal(['down', '--dir', dir]);
    },
  };
}

/** Installs (or updates) the generated KubeFed CRDs on the host cluster and waits until they serve. */
export async function installCrds(context = 'cluster1'): Promise<void> {
  const dir = path.join(REPO_ROOT, 'charts', 'kubefed', 'crds');
  await kubectl(context, ['apply', '--server-side', '--force-conflicts', '-f', dir]);
  const names = readdirSync(dir).map((f) => `crd/${f.replace(/\.yaml$/, '')}`);
  await kubectl(context, ['wait', '--for=condition=Established', '--timeout=60s', ...names]);
}
