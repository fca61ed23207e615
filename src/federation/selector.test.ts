import { describe, expect, it } from 'vitest';
import type { LabelSelector } from '../api/schema.js';
import {
  EVERYTHING,
  formatSelector,
  labelKeyError,
  labelValueError,
  matches,
  parseLabelSelector,
  type Selector,
} from './selector.js';

function parsed(sel: LabelSelector): Selector {
  const r = parseLabelSelector(sel);
  if (r.kind !== 'ok') throw new Error(`expected a valid selector: ${r.errors.join('; ')}`);
  return r.selector;
}

describe('label keys and values', () => {
  it.each([
    ['app', true],
    ['app.kubernetes.io/name', true],
    ['a', true],
    ['A_b-c.D9', true],
    ['example.com/x', true],
    ['x'.repeat(63), true],
    ['x'.repeat(64), false],
    ['', false],
    ['/name', false],
    ['example.com/', false],
    ['Example.com/name', false],
    ['-app', false],
    ['app-', false],
    ['a b', false],
    ['a/b/c', false],
    [`${'a'.repeat(254)}/x`, false],
  ])('key %j valid: %s', (key, valid) => {
    expect(labelKeyError(key) === undefined).toBe(valid);
  });

  it.each([
    ['', true],
    ['web', true],
    ['v1.2_3-x', true],
    ['x'.repeat(63), true],
    ['x'.repeat(64), false],
    ['-web', false],
    ['web.', false],
    ['a/b', false],
    ['a b', false],
  ])('value %j valid: %s', (value, valid) => {
    expect(labelValueError(value) === undefined).toBe(valid);
  });
});

describe('parseLabelSelector', () => {
  it('treats {} and an absent selector as matching everything', () => {
    expect(parseLabelSelector({})).toEqual({ kind: 'ok', selector: { requirements: [] } });
    expect(parseLabelSelector(undefined)).toEqual({ kind: 'ok', selector: EVERYTHING });
    expect(parseLabelSelector({ matchLabels: {}, matchExpressions: [] })).toEqual({
      kind: 'ok',
      selector: { requirements: [] },
    });
  });

  it('turns matchLabels (sorted by key) and matchExpressions (in order) into requirements', () => {
    expect(
      parsed({
        matchLabels: { zone: 'a', env: 'prod' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['web', 'api', 'web'] },
          { key: 'gpu', operator: 'Exists' },
        ],
      }).requirements,
    ).toEqual([
      { key: 'env', operator: 'In', values: ['prod'] },
      { key: 'zone', operator: 'In', values: ['a'] },
      { key: 'tier', operator: 'In', values: ['api', 'web'] },
      { key: 'gpu', operator: 'Exists', values: [] },
    ]);
  });

  const P = 'spec.placement.clusterSelector';
  it.each<[string, unknown, string[]]>([
    [
      'In without values',
      { matchExpressions: [{ key: 'a', operator: 'In' }] },
      [`${P}.matchExpressions[0].values: Required value: must be non-empty when operator is In`],
    ],
    [
      'NotIn with an empty list',
      { matchExpressions: [{ key: 'a', operator: 'NotIn', values: [] }] },
      [`${P}.matchExpressions[0].values: Required value: must be non-empty when operator is NotIn`],
    ],
    [
      'Exists with values',
      { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      [`${P}.matchExpressions[0].values: Forbidden: must be empty when operator is Exists`],
    ],
    [
      'DoesNotExist with values',
      { matchExpressions: [{ key: 'a', operator: 'DoesNotExist', values: ['x'] }] },
      [`${P}.matchExpressions[0].values: Forbidden: must be empty when operator is DoesNotExist`],
    ],
    [
      'an unknown operator',
      { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] },
      [
        `${P}.matchExpressions[0].operator: Unsupported value: "Equals": supported values: "In", "NotIn", "Exists", "DoesNotExist"`,
      ],
    ],
    [
      'a missing key',
      { matchExpressions: [{ operator: 'Exists' }] },
      [`${P}.matchExpressions[0].key: Required value`],
    ],
    [
      'a bad key in an expression',
      { matchExpressions: [{ key: 'bad key', operator: 'Exists' }] },
      [
        `${P}.matchExpressions[0].key: invalid label key "bad key": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      ],
    ],
    [
      'a bad value in an expression',
      { matchExpressions: [{ key: 'a', operator: 'In', values: ['ok', '-bad'] }] },
      [
        `${P}.matchExpressions[0].values[1]: invalid label value "-bad": must be empty or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      ],
    ],
    [
      'a non-string value',
      { matchExpressions: [{ key: 'a', operator: 'In', values: [3] }] },
      [`${P}.matchExpressions[0].values[0]: must be a string`],
    ],
    [
      'values that are not a list',
      { matchExpressions: [{ key: 'a', operator: 'In', values: 'x' }] },
      [`${P}.matchExpressions[0].values: must be a list of strings`],
    ],
    [
      'an expression that is not an object',
      { matchExpressions: ['a=b'] },
      [`${P}.matchExpressions[0]: must be an object with key, operator and values`],
    ],
    ['matchExpressions not a list', { matchExpressions: {} }, [`${P}.matchExpressions: must be a list`]],
    [
      'matchLabels not a map',
      { matchLabels: ['a'] },
      [`${P}.matchLabels: must be a map of label keys to values`],
    ],
    [
      'a bad matchLabels key and value',
      { matchLabels: { 'x/': 'a b' } },
      [
        `${P}.matchLabels["x/"]: invalid label key "x/": name part must be non-empty`,
        `${P}.matchLabels["x/"]: invalid label value "a b": must be empty or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
      ],
    ],
    [
      'a non-string matchLabels value',
      { matchLabels: { a: 1 } },
      [`${P}.matchLabels["a"]: must be a string`],
    ],
    ['a selector that is not an object', 'a=b', [`${P}: must be an object`]],
    [
      'several problems at once',
      {
        matchLabels: { '-a': 'b' },
        matchExpressions: [
          { key: 'a', operator: 'In' },
          { key: 'b', operator: 'Nope' },
        ],
      },
      [
        `${P}.matchLabels["-a"]: invalid label key "-a": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
        `${P}.matchExpressions[0].values: Required value: must be non-empty when operator is In`,
        `${P}.matchExpressions[1].operator: Unsupported value: "Nope": supported values: "In", "NotIn", "Exists", "DoesNotExist"`,
      ],
    ],
  ])('rejects %s, naming the field', (_name, sel, errors) => {
    expect(parseLabelSelector(sel as LabelSelector, P)).toEqual({ kind: 'invalid', errors });
  });

  it('defaults the error path to "selector"', () => {
    expect(parseLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In' }] })).toEqual({
      kind: 'invalid',
      errors: ['selector.matchExpressions[0].values: Required value: must be non-empty when operator is In'],
    });
  });
});

describe('matches', () => {
  const labels = { env: 'prod', tier: 'web', empty: '' };
  it.each<[string, LabelSelector, Record<string, string> | undefined, boolean]>([
    ['{} matches labels', {}, labels, true],
    ['{} matches no labels', {}, undefined, true],
    ['matchLabels equal', { matchLabels: { env: 'prod' } }, labels, true],
    ['matchLabels different value', { matchLabels: { env: 'dev' } }, labels, false],
    ['matchLabels missing key', { matchLabels: { zone: 'a' } }, labels, false],
    ['matchLabels all must hold', { matchLabels: { env: 'prod', tier: 'db' } }, labels, false],
    ['matchLabels empty value', { matchLabels: { empty: '' } }, labels, true],
    ['matchLabels against no labels', { matchLabels: { env: 'prod' } }, undefined, false],
    ['In hit', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db', 'web'] }] }, labels, true],
    ['In miss', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['db'] }] }, labels, false],
    ['In absent key', { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }, labels, false],
    ['NotIn hit', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, labels, false],
    ['NotIn miss', { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] }, labels, true],
    [
      'NotIn absent key',
      { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] },
      labels,
      true,
    ],
    ['Exists present', { matchExpressions: [{ key: 'empty', operator: 'Exists' }] }, labels, true],
    ['Exists absent', { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, labels, false],
    ['DoesNotExist absent', { matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, labels, true],
    ['DoesNotExist present', { matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, labels, false],
    [
      'labels and expressions together',
      { matchLabels: { env: 'prod' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] },
      labels,
      true,
    ],
    [
      'inherited properties are not labels',
      { matchExpressions: [{ key: 'constructor', operator: 'Exists' }] },
      {},
      false,
    ],
  ])('%s', (_name, sel, l, expected) => {
    expect(matches(parsed(sel), l)).toBe(expected);
  });
});

describe('formatSelector', () => {
  it('prints the kubectl syntax', () => {
    expect(
      formatSelector(
        parsed({
          matchLabels: { env: 'prod' },
          matchExpressions: [
            { key: 'tier', operator: 'In', values: ['web', 'api'] },
            { key: 'zone', operator: 'NotIn', values: ['a'] },
            { key: 'gpu', operator: 'Exists' },
            { key: 'spot', operator: 'DoesNotExist' },
          ],
        }),
      ),
    ).toBe('env=prod,tier in (api,web),zone notin (a),gpu,!spot');
    expect(formatSelector(EVERYTHING)).toBe('');
  });
});
