/** Pure parts of join; join against real clusters is in test/integration/kubefedctl-join.test.ts. */
import { describe, expect, it } from 'vitest';
import { CliError } from './context.js';
import { parseTokenTimeout } from './join.js';

describe('parseTokenTimeout', () => {
  it('is undefined when the flag is absent (join waits its default 30 s)', () => {
    expect(parseTokenTimeout(undefined)).toBeUndefined();
  });

  it('takes Go durations', () => {
    expect(parseTokenTimeout('3s')).toBe(3000);
    expect(parseTokenTimeout('1m30s')).toBe(90_000);
    expect(parseTokenTimeout('500ms')).toBe(500);
  });

  it('refuses anything else, naming the flag', () => {
    expect(() => parseTokenTimeout('3')).toThrow(CliError);
    expect(() => parseTokenTimeout('3')).toThrow('--token-timeout "3" is not a duration');
    expect(() => parseTokenTimeout('soon')).toThrow('is not a duration');
    expect(() => parseTokenTimeout('0s')).toThrow('--token-timeout must be at least 1ms, not "0s"');
  });
});
