import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readState, writeState, type LocalState } from './state.js';

const base = (n: number): LocalState => ({
  version: 1,
  phase: 'starting',
  createdAt: 'now',
  binDir: '/bin',
  topology: {
    dir: '/d',
    kubeconfig: '/d/kubeconfig',
    etcd: { clientPort: 1, peerPort: 2, dataDir: '/d/etcd' },
    clusters: [],
    components: [],
  },
  components: Array.from({ length: n }, (_, i) => ({
    id: `c${i}`,
    kind: 'etcd',
    pid: i,
    binary: '/bin/etcd',
    log: '/l',
    ports: [],
  })),
});

describe('state file', () => {
  it('keeps the last snapshot when written concurrently', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kubefed-state-'));
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeState(dir, base(i + 1))));
    expect(readState(dir)?.components).toHaveLength(20);
  });

  it('is absent in an empty dir', () => {
    expect(readState(mkdtempSync(path.join(os.tmpdir(), 'kubefed-state-')))).toBeUndefined();
  });
});
