import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assertExecutable, isRunning, startDetached, stopAll } from './processes.js';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, readFileSync } from 'node:fs';

const SLEEP = '/bin/sleep';

describe('processes', () => {
  it('starts a detached process, logs its output, and stops it by pid and binary', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kubefed-proc-'));
    const log = path.join(dir, 'out.log');
    const pid = await startDetached('/bin/sh', ['-c', 'echo hello; exec /bin/sleep 60'], log);
    const p = { id: 'sleeper', pid, binary: '/bin/sh' };
    // exec replaced sh by sleep: the recorded binary no longer matches, so it is not "ours".
    await new Promise((r) => setTimeout(r, 200));
    expect(readFileSync(log, 'utf8')).toBe('hello\n');
    expect(isRunning(p)).toBe(false);
    expect(isRunning({ pid, binary: SLEEP })).toBe(true);
    expect(await stopAll([{ id: 'sleeper', pid, binary: SLEEP }])).toEqual(['sleeper']);
    expect(isRunning({ pid, binary: SLEEP })).toBe(false);
  });

  it('never signals a pid that now runs another binary', async () => {
    const child = spawn(SLEEP, ['60'], { stdio: 'ignore' });
    const pid = child.pid!;
    try {
      expect(await stopAll([{ id: 'recycled', pid, binary: '/usr/bin/not-sleep' }])).toEqual([]);
      expect(isRunning({ pid, binary: SLEEP })).toBe(true);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const pid = await startDetached(
      '/bin/bash',
      ['-c', 'trap "" TERM; while :; do /bin/sleep 0.1; done'],
      '/dev/null',
    );
    expect(await stopAll([{ id: 'stubborn', pid, binary: '/bin/bash' }], 300)).toEqual(['stubborn']);
    expect(isRunning({ pid, binary: '/bin/bash' })).toBe(false);
  });

  it('names the component and the fix for a missing binary', async () => {
    await expect(assertExecutable('/nonexistent/etcd', 'etcd')).rejects.toThrow(
      "etcd: binary /nonexistent/etcd is missing or not executable; build the toolchain with 'npm run toolchain'",
    );
  });
});
