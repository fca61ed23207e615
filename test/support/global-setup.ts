/**
 * One `kubefed-local up` shared by every integration test of a run: reused when already up (a
 * developer's running clusters make tests fast), started otherwise and then stopped at the end.
 * Clusters with the control plane installed (`npm run demo`) are not shared: a sibling dir is used.
 * KUBEFED_KEEP_CLUSTERS=1 keeps clusters this run started.
 */
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { defaultDir } from '../../src/cli/local/program.js';
import { readState } from '../../src/cli/local/state.js';
import { kubefedLocal } from './local.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // Clusters a user runs `npm run demo` on hold a cluster-scoped control plane that would act on the
  // tests' objects: the tests then use clusters of their own.
  const shared = defaultDir();
  const dir = readState(shared)?.kubefed ? `${shared}-tests` : shared;
  const before = await kubefedLocal(['status', '--dir', dir]);
  let startedHere = false;
  if (before.code !== 0) {
    const r = await kubefedLocal(['up', '--dir', dir], { timeoutMs: 45 * 60_000 });
    if (r.code !== 0) throw new Error(`kubefed-local up failed (exit ${r.code}):\n${r.stderr}`);
    startedHere = true;
  }
  const state = readState(dir);
  if (!state) throw new Error(`kubefed-local up left no state in ${dir}`);
  project.provide('localDir', dir);
  project.provide('kubeconfig', state.topology.kubeconfig);
  // The pinned kubectl from the toolchain: its version matches the servers, whatever the machine has.
  project.provide('kubectl', path.join(state.binDir, 'kubectl'));
  return async () => {
    if (startedHere && !process.env.KUBEFED_KEEP_CLUSTERS) {
      const r = await kubefedLocal(['down', '--dir', dir]);
      if (r.code !== 0) throw new Error(`kubefed-local down failed: ${r.stderr}`);
    }
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    localDir: string;
    kubeconfig: string;
    kubectl: string;
  }
}
