/** Where the pinned Kubernetes binaries are: built by hack/toolchain.sh into a cache outside the repo. */
import { execFile, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Toolchain {
  binDir: string;
  /** kwok's stage definitions (node and pod lifecycle), kept next to the binaries. */
  kwokStages: string;
}

/** The repository root (this file lives in src/cli/local or dist/cli/local). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SCRIPT = path.join(REPO_ROOT, 'hack', 'toolchain.sh');

function fromBinDir(binDir: string): Toolchain {
  return { binDir, kwokStages: path.join(path.dirname(binDir), 'kwok-stages.yaml') };
}

/**
 * Resolves the toolchain: `binDir` (flag) or KUBEFED_TOOLCHAIN_BIN when given, else the cache
 * directory of hack/toolchain.sh, which is built first when `build` is set (a no-op when up to
 * date; a cold build prints progress on stderr).
 */
export async function resolveToolchain(opts: { binDir?: string; build: boolean }): Promise<Toolchain> {
  const explicit = opts.binDir ?? process.env.KUBEFED_TOOLCHAIN_BIN;
  if (explicit) return fromBinDir(path.resolve(explicit));
  if (opts.build) {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('bash', [SCRIPT, 'build'], { stdio: ['ignore', process.stderr, process.stderr] });
      child.once('error', reject);
      child.once('exit', (code) =>
        code === 0
          ? resolve()
          : reject(new Error(`building the toolchain failed (bash ${SCRIPT} build exited ${code})`)),
      );
    });
  }
  const { stdout } = await run('bash', [SCRIPT, 'dir']);
  return fromBinDir(stdout.trim());
}
