import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram, main } from './program.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  return { out, err };
}

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('kubefed-local arguments', () => {
  it('rejects a non-numeric --members with the flag named', async () => {
    const program = buildProgram().exitOverride();
    for (const c of program.commands) c.exitOverride();
    const { err } = capture();
    await expect(program.parseAsync(['node', 'kubefed-local', 'up', '--members', 'two'])).rejects.toThrow();
    expect(err.join('')).toContain('--members must be a non-negative integer');
  });

  it('rejects a malformed --extra-arg before starting anything', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'kl-')), 's');
    const { err } = capture();
    await main(['node', 'kubefed-local', 'up', '--dir', dir, '--extra-arg', 'apiserver=--v=4']);
    expect(process.exitCode).toBe(1);
    expect(err.join('')).toContain(
      "kubefed-local: --extra-arg 'apiserver=--v=4' must be COMPONENT=--flag[=value]",
    );
  });

  it('kubeconfig and env explain how to start clusters when none run', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kl-'));
    for (const cmd of ['kubeconfig', 'env']) {
      const { err } = capture();
      await main(['node', 'kubefed-local', cmd, '--dir', dir]);
      expect(process.exitCode).toBe(1);
      expect(err.join('')).toContain(
        `kubefed-local: no local clusters in ${dir}; start them with 'kubefed-local up --dir ${dir}'`,
      );
      vi.restoreAllMocks();
      process.exitCode = undefined;
    }
  });

  it('status with no clusters says so and exits 1', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kl-'));
    const { out } = capture();
    await main(['node', 'kubefed-local', 'status', '--dir', dir]);
    expect(out.join('')).toBe(`no local clusters in ${dir}\n`);
    expect(process.exitCode).toBe(1);
  });

  it('refuses a non-empty directory it did not create', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kl-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(dir, 'precious.txt'), 'x');
    const { err } = capture();
    await main(['node', 'kubefed-local', 'up', '--dir', dir, '--bin-dir', '/nonexistent']);
    expect(err.join('')).toContain(
      `${dir} is not empty and was not created by kubefed-local; choose another --dir`,
    );
    expect(process.exitCode).toBe(1);
  });
});
