import { describe, expect, it } from 'vitest';
import { formatFieldErrors, fromMessages } from './validation.js';

describe('fromMessages', () => {
  it('splits the field path off each message, including quoted map keys with spaces and colons', () => {
    expect(
      fromMessages([
        'spec.overrides[0].clusterOverrides[1].path: Forbidden: "/kind"',
        'spec.placement.clusterSelector.matchLabels["my key: x"]: invalid label key',
        'must be an object',
      ]),
    ).toEqual([
      { field: 'spec.overrides[0].clusterOverrides[1].path', message: 'Forbidden: "/kind"' },
      { field: 'spec.placement.clusterSelector.matchLabels["my key: x"]', message: 'invalid label key' },
      { field: '', message: 'must be an object' },
    ]);
    expect(fromMessages(['not a path: here'], 'spec')).toEqual([
      { field: 'spec', message: 'not a path: here' },
    ]);
  });
});

describe('formatFieldErrors', () => {
  it('joins `field: message` with semicolons', () => {
    expect(
      formatFieldErrors([
        { field: 'spec.a', message: 'Required value' },
        { field: '', message: 'whole object' },
      ]),
    ).toBe('spec.a: Required value; whole object');
  });
});
