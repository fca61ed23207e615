import { afterEach, describe, expect, it, vi } from 'vitest';
import { VERSION } from '../../version.js';
import { main } from './program.js';

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

describe('kubefedctl', () => {
  it('prints its version', async () => {
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
    await main(['node', 'kubefedctl', 'version']);
    expect(out.join('')).toBe(`kubefedctl version: ${VERSION}\n`);
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});
