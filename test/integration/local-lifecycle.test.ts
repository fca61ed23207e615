/**
 * kubefed-local's lifecycle on a second, small topology beside the shared one: up in another
 * directory, down, and the failure paths (taken port, failing component, missing binary).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { isPortFree } from '../../src/cli/local/ports.js';
import { isRunning } from '../../src/cli/local/processes.js';
import type { LocalState } from '../../src/cli/local/state.js';
import { kubefedLocal, processesMentioning } from '../support/local.js';

const small = ['--members', '0', '--no-workloads'];
const dirs: string[] = [];
function tempDir(): string {
  const d = path.join(mkdtempSync(path.join(os.tmpdir(), 'kubefed-local-test-')), 'state');
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await kubefedLocal(['down', '--dir', d]);
});

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port }, () => resolve(s));
  });
}

async function freeRange(n: number): Promise<number> {
  for (let base = 20000 + Math.floor(Math.random() * 20000); ; base += n) {
    const checks = await Promise.all(Array.from({ length: n }, (_, i) => isPortFree(base + i)));
    if (checks.every(Boolean)) return base;
  }
}

describe('kubefed-local up and down', () => {
  it('starts a second topology in another dir beside the shared one; down stops every process and frees every port', async () => {
    const dir = tempDir();
    const r = await kubefedLocal(['up', ...small, '--dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as LocalState;
    expect(state.components.map((c) => c.id).sort()).toEqual([
      'cluster1/kube-apiserver',
      'cluster1/kube-controller-manager',
      'etcd',
    ]);
    const ports = state.components.flatMap((c) => c.ports);
    const shared = JSON.parse(
      readFileSync(path.join(inject('localDir'), 'state.json'), 'utf8'),
    ) as LocalState;
    const sharedPorts = new Set(shared.components.flatMap((c) => c.ports));
    expect(ports.filter((p) => sharedPorts.has(p))).toEqual([]);
    expect((await kubefedLocal(['status', '--dir', dir])).code).toBe(0);
    expect(processesMentioning(dir)).toHaveLength(3);

    const d = await kubefedLocal(['down', '--dir', dir]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain('stopped 3 processes');
    expect(processesMentioning(dir)).toEqual([]);
    // Exited (a zombie until init reaps it counts as exited: it holds no port and runs nothing).
    for (const c of state.components) expect(isRunning(c)).toBe(false);
    for (const p of ports) expect(await isPortFree(p)).toBe(true);
    expect(existsSync(dir)).toBe(false);
    // The shared clusters were not touched.
    expect((await kubefedLocal(['status', '--dir', inject('localDir')])).code).toBe(0);
  });

  it('down with nothing running says so and exits 0', async () => {
    const r = await kubefedLocal(['down', '--dir', tempDir()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('no local clusters were running');
  });

  it('a taken port fails with the component and port named, and nothing started', async () => {
    const dir = tempDir();
    const base = await freeRange(3);
    // Ports in order: etcd client, etcd peer, cluster1 API server.
    const blocker = await listen(base + 2);
    try {
      const r = await kubefedLocal(['up', ...small, '--dir', dir, '--base-port', String(base)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cluster1/kube-apiserver: port 127.0.0.1:${base + 2} is already in use`);
      expect(processesMentioning(dir)).toEqual([]);
    } finally {
      blocker.close();
    }
  });

  it('a component that exits during start is named with its log, and everything started is stopped', async () => {
    const dir = tempDir();
    const r = await kubefedLocal([
      'up',
      ...small,
      '--dir',
      dir,
      '--extra-arg',
      'kube-apiserver=--no-such-flag',
    ]);
    expect(r.code).toBe(1);
    const log = path.join(dir, 'logs', 'cluster1-kube-apiserver.log');
    expect(r.stderr).toContain('cluster1/kube-apiserver: exited before becoming ready');
    expect(r.stderr).toContain(`log: ${log}`);
    expect(readFileSync(log, 'utf8')).toContain('unknown flag: --no-such-flag');
    expect(processesMentioning(dir)).toEqual([]);
    expect(existsSync(path.join(dir, 'state.json'))).toBe(false);
    // The next up in the same dir starts cleanly.
    const again = await kubefedLocal(['up', ...small, '--dir', dir]);
    expect(again.code, again.stderr).toBe(0);
  });

  it('a missing binary is named with the fix, before anything starts', async () => {
    const dir = tempDir();
    const empty = mkdtempSync(path.join(os.tmpdir(), 'kubefed-local-nobin-'));
    const r = await kubefedLocal(['up', ...small, '--dir', dir, '--bin-dir', empty]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`etcd: binary ${path.join(empty, 'etcd')} is missing or not executable`);
    expect(r.stderr).toContain('npm run toolchain');
    expect(existsSync(dir)).toBe(false);
  });
});
