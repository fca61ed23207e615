/**
 * Background processes owned by kubefed-local: started detached (they outlive the CLI), logged to a
 * file each, and identified later by pid *and* executable so that `down` never signals a process that
 * merely reused a recorded pid.
 */
import { spawn } from 'node:child_process';
import { constants, openSync, closeSync, readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { pollUntil, sleep } from '../../poll.js';

export interface OwnedProcess {
  id: string;
  pid: number;
  binary: string;
}

export async function assertExecutable(binary: string, component: string): Promise<void> {
  try {
    await access(binary, constants.X_OK);
  } catch {
    throw new Error(
      `${component}: binary ${binary} is missing or not executable; build the toolchain with 'npm run toolchain' (hack/toolchain.sh build)`,
    );
  }
}

/** Starts `binary args…` in its own process group with stdout+stderr appended to `log`; returns its pid. */
export async function startDetached(
  binary: string,
  args: readonly string[],
  log: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const fd = openSync(log, 'a');
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd], env });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => resolve(child.pid as number));
    });
    child.unref();
    return pid;
  } finally {
    closeSync(fd);
  }
}

/** True when `pid` is a live (non-zombie) process running `binary`. */
export function isRunning(p: Pick<OwnedProcess, 'pid' | 'binary'>): boolean {
  try {
    const argv0 = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0')[0];
    if (argv0 !== p.binary) return false;
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function signal(p: OwnedProcess, sig: NodeJS.Signals): void {
  try {
    process.kill(-p.pid, sig); // the whole group: the process and anything it forked
  } catch {
    try {
      process.kill(p.pid, sig);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Stops the given processes (only those still running their recorded binary): SIGTERM, then
 * SIGKILL after `graceMs`. Resolves when none of them runs any more; returns the ids it stopped.
 */
export async function stopAll(procs: readonly OwnedProcess[], graceMs = 10_000): Promise<string[]> {
  const live = procs.filter(isRunning);
  for (const p of live) signal(p, 'SIGTERM');
  try {
    await pollUntil(
      'processes to exit after SIGTERM',
      () => {
        const left = live.filter(isRunning);
        return left.length === 0
          ? { done: true, value: undefined }
          : { done: false, seen: left.map((p) => p.id).join(', ') };
      },
      { timeoutMs: graceMs, intervalMs: 100 },
    );
  } catch {
    for (const p of live.filter(isRunning)) signal(p, 'SIGKILL');
    for (let i = 0; i < 50 && live.some(isRunning); i++) await sleep(100);
  }
  const stuck = live.filter(isRunning);
  if (stuck.length > 0) {
    throw new Error(`could not stop ${stuck.map((p) => `${p.id} (pid ${p.pid})`).join(', ')}`);
  }
  return live.map((p) => p.id);
}
