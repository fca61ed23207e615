/** `kubefed-local down`: stop exactly the processes `up` recorded, then remove the state directory. */
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { stopAll } from './processes.js';
import { readState } from './state.js';
import { ownsDir } from './up.js';

export type DownResult = { kind: 'stopped'; stopped: string[] } | { kind: 'nothing'; removedStale: boolean };

export async function down(dirOption: string): Promise<DownResult> {
  const dir = path.resolve(dirOption);
  const state = readState(dir);
  if (!state) {
    if (existsSync(dir) && ownsDir(dir)) {
      await rm(dir, { recursive: true, force: true });
      return { kind: 'nothing', removedStale: true };
    }
    return { kind: 'nothing', removedStale: false };
  }
  // The control plane of `install` first, then reverse start order: clients of the API servers, etcd last.
  const stopped = await stopAll([...(state.kubefed?.processes ?? []), ...[...state.components].reverse()]);
  if (ownsDir(dir)) await rm(dir, { recursive: true, force: true });
  return { kind: 'stopped', stopped };
}
