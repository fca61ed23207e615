import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Overrides } from '../api/types.js';
import {
  encodeGoJson,
  federatedVersions,
  isGenerationVersion,
  memberVersion,
  nextPropagatedVersion,
  overridesVersion,
  propagatedVersionName,
  recordedClusterVersions,
  templateVersion,
  type PropagatedVersion,
  packVersion,
  unpackVersion,
} from './version.js';

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

describe('encodeGoJson (Go json.Encoder byte for byte)', () => {
  it.each<[string, unknown, string]>([
    ['an empty map', {}, '{}\n'],
    [
      'keys sorted at every level',
      { b: 1, a: { d: [{ z: 1, y: 2 }], c: null } },
      '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}\n',
    ],
    [
      'keys sorted by UTF-8 bytes',
      { '\u{1F600}': 1, '\ue000': 2, a: 3, B: 4, é: 5 },
      '{"B":4,"a":3,"é":5,"\ue000":2,"\u{1F600}":1}\n',
    ],
    [
      'HTML characters escaped',
      { s: '<a href="x">&</a>' },
      '{"s":"\\u003ca href=\\"x\\"\\u003e\\u0026\\u003c/a\\u003e"}\n',
    ],
    ['U+2028 and U+2029 escaped', { s: 'a\u2028b\u2029c' }, '{"s":"a\\u2028b\\u2029c"}\n'],
    ['short escapes for \\n \\r \\t " \\\\', { s: '\n\r\t"\\' }, '{"s":"\\n\\r\\t\\"\\\\"}\n'],
    [
      'other control characters as lowercase \\u00XX',
      { s: '\u0001\u001f\u000b' },
      '{"s":"\\u0001\\u001f\\u000b"}\n',
    ],
    [
      'backspace and form feed as \\u0008 \\u000c (Go before 1.22)',
      { s: '\b\f' },
      '{"s":"\\u0008\\u000c"}\n',
    ],
    ['DEL and non-ASCII written raw', { s: '\u007fé✓😀' }, '{"s":"\u007fé✓😀"}\n'],
    ['a lone surrogate becomes U+FFFD', { s: 'a\ud800b\udc00' }, '{"s":"a\ufffdb\ufffd"}\n'],
    ['keys are escaped like strings', { '<k>': 1 }, '{"\\u003ck\\u003e":1}\n'],
    [
      'booleans, null, empty list',
      { t: true, f: false, n: null, l: [] },
      '{"f":false,"l":[],"n":null,"t":true}\n',
    ],
    ['undefined members are skipped', { a: undefined, b: 1 }, '{"b":1}\n'],
    ['a top-level list', [1, 'a'], '[1,"a"]\n'],
  ])('%s', (_name, value, expected) => {
    expect(encodeGoJson(value)).toBe(expected);
  });

  it.each<[number, string]>([
    [0, '0'],
    [-0, '0'],
    [1, '1'],
    [-2.25, '-2.25'],
    [0.5, '0.5'],
    [123456789, '123456789'],
    [1e20, '100000000000000000000'],
    [1e21, '1e+21'],
    [1.5e300, '1.5e+300'],
    [0.000001, '0.000001'],
    [1e-7, '1e-7'],
    [1.5e-10, '1.5e-10'],
    [-1e-7, '-1e-7'],
    [1e-100, '1e-100'],
    [0.1 + 0.2, '0.30000000000000004'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
  ])('the float64 %d as %s', (n, text) => {
    expect(encodeGoJson(n)).toBe(`${text}\n`);
  });

  it('rejects values JSON cannot hold', () => {
    expect(() => encodeGoJson({ a: [Number.NaN] })).toThrow('/a/0: NaN is not a JSON number');
    expect(() => encodeGoJson({ f: () => 1 })).toThrow('/f: a function cannot be encoded as JSON');
  });
});

describe('templateVersion', () => {
  it('is "" without a template', () => {
    expect(templateVersion(undefined)).toBe('');
    expect(templateVersion(null)).toBe('');
  });

  it('is the MD5 of the exact encoding, trailing newline included', () => {
    const template = { spec: { replicas: 3 }, metadata: { labels: { app: 'web' } } };
    expect(templateVersion(template)).toBe(
      md5('{"metadata":{"labels":{"app":"web"}},"spec":{"replicas":3}}\n'),
    );
    expect(templateVersion({})).toBe(md5('{}\n'));
  });

  it('does not depend on key order', () => {
    expect(templateVersion({ a: 1, b: { c: 2, d: 3 } })).toBe(templateVersion({ b: { d: 3, c: 2 }, a: 1 }));
  });

  // Printed by src/federation/testdata/hashes.go (Go's encoder over apimachinery-decoded maps).
  it.each<[string, Record<string, unknown>, string]>([
    ['empty', {}, '8a80554c91d9fca8acb82f023de02f11'],
    [
      'a Deployment',
      {
        metadata: { labels: { app: 'web' } },
        spec: { replicas: 3, template: { spec: { containers: [{ image: 'nginx:1.25', name: 'nginx' }] } } },
      },
      '2b2c530a5c695f2a56bbd2de44b3564a',
    ],
    [
      'escapes and Unicode',
      {
        data: {
          html: '<b>a & b</b>',
          sep: 'line\u2028para\u2029end',
          ctl: '\u0001\u001f\t\n\r"\\',
          uni: 'héllo ✓ 😀',
          del: '\u007f',
        },
      },
      '4ee39a665a83c76dfc0994ec9a56c89d',
    ],
    [
      'numbers',
      {
        n: {
          big: 1e21,
          bigger: 1.5e300,
          tiny: 1e-7,
          micro: 0.000001,
          half: 0.5,
          neg: -2.25,
          int: 123456789,
          e20: 100000000000000000000,
          exp: 1e3,
          one: 1.0,
          small: 1.5e-10,
        },
      },
      '7ed2dd0b7b78bfc7760b58ed1dae2160',
    ],
    [
      'nulls, booleans, empty containers, nesting',
      { z: null, a: true, m: false, arr: [], obj: {}, nested: [{ b: 1, a: [{ y: 2, x: 1 }] }] },
      'bbfc0b03348562d8941f27e28951a467',
    ],
    [
      'key order beyond the BMP',
      { '\ue000': 1, '\u{1F600}': 2, a: 3, B: 4, é: 5 },
      '839106ab1feb2b0c09a40edf020491a2',
    ],
  ])('matches Go for %s', (_name, template, hash) => {
    expect(templateVersion(template)).toBe(hash);
  });
});

describe('overridesVersion', () => {
  it.each<[string, Overrides | undefined, string]>([
    ['absent ⇒ null', undefined, '{"overrides":null}\n'],
    ['an empty list ⇒ []', [], '{"overrides":[]}\n'],
    [
      'an item without overrides omits clusterOverrides',
      [{ clusterName: 'c1' }],
      '{"overrides":[{"clusterName":"c1"}]}\n',
    ],
    [
      'an empty clusterOverrides list is omitted',
      [{ clusterName: 'c1', clusterOverrides: [] }],
      '{"overrides":[{"clusterName":"c1"}]}\n',
    ],
    [
      'struct field order, op and null value omitted, value maps sorted',
      [
        { clusterOverrides: [{ value: 5, path: '/spec/replicas' }], clusterName: 'c1' },
        {
          clusterName: 'c2',
          clusterOverrides: [
            { value: { z: '<1>', a: [1.5, null, false] }, path: '/metadata/annotations/a', op: 'add' },
            { op: 'remove', path: '/spec/x' },
            { op: 'replace', path: '/spec/y', value: null },
            { path: '/spec/z', value: '' },
          ],
        },
      ],
      '{"overrides":[{"clusterName":"c1","clusterOverrides":[{"path":"/spec/replicas","value":5}]},' +
        '{"clusterName":"c2","clusterOverrides":[{"op":"add","path":"/metadata/annotations/a","value":{"a":[1.5,null,false],"z":"\\u003c1\\u003e"}},' +
        '{"op":"remove","path":"/spec/x"},{"op":"replace","path":"/spec/y"},{"path":"/spec/z","value":""}]}]}\n',
    ],
    [
      'falsy values other than null are kept',
      [
        {
          clusterName: 'c',
          clusterOverrides: [
            { path: '/a', value: 0 },
            { path: '/b', value: false },
          ],
        },
      ],
      '{"overrides":[{"clusterName":"c","clusterOverrides":[{"path":"/a","value":0},{"path":"/b","value":false}]}]}\n',
    ],
  ])('%s', (_name, overrides, json) => {
    expect(overridesVersion(overrides)).toBe(md5(json));
  });

  // Printed by src/federation/testdata/hashes.go (upstream's override structs).
  it.each<[string, Overrides | undefined, string]>([
    ['absent', undefined, '2979b7538b527abe06492021841caf47'],
    ['empty', [], 'fd97e6d9a670c7dcdc2477764f78b459'],
    ['one bare item', [{ clusterName: 'cluster1' }], '7cf66f50b1888b2ca055dc3d7e0a3991'],
    [
      'one item, empty overrides',
      [{ clusterName: 'cluster1', clusterOverrides: [] }],
      '7cf66f50b1888b2ca055dc3d7e0a3991',
    ],
    [
      'mixed',
      [
        { clusterName: 'cluster1', clusterOverrides: [{ path: '/spec/replicas', value: 5 }] },
        {
          clusterName: 'cluster2',
          clusterOverrides: [
            { op: 'add', path: '/metadata/annotations/a', value: { z: '<1>', a: [1.5, null, false] } },
            { op: 'remove', path: '/spec/x' },
            { op: 'replace', path: '/spec/y', value: null },
            { path: '/spec/z', value: '' },
          ],
        },
      ],
      '85849c9a4bf777160f4d68bbd7f8cd36',
    ],
  ])('matches Go for %s', (_name, overrides, hash) => {
    expect(overridesVersion(overrides)).toBe(hash);
  });
});

describe('federatedVersions', () => {
  it('hashes template and overrides; both "" without a spec', () => {
    expect(federatedVersions({ spec: { template: {} } })).toEqual({
      templateVersion: md5('{}\n'),
      overridesVersion: md5('{"overrides":null}\n'),
    });
    expect(federatedVersions({ spec: {} })).toEqual({
      templateVersion: '',
      overridesVersion: md5('{"overrides":null}\n'),
    });
    expect(federatedVersions({ spec: undefined as unknown as { template?: undefined } })).toEqual({
      templateVersion: '',
      overridesVersion: '',
    });
  });
});

describe('memberVersion and names', () => {
  it.each<[string, { generation?: number; resourceVersion?: string }, string]>([
    ['generation when non-zero', { generation: 3, resourceVersion: '99' }, 'gen:3'],
    ['resourceVersion when generation is 0', { generation: 0, resourceVersion: '99' }, 'rv:99'],
    ['resourceVersion when generation is absent', { resourceVersion: '7' }, 'rv:7'],
    ['rv: with nothing', {}, 'rv:'],
  ])('%s', (_name, metadata, version) => {
    expect(memberVersion({ metadata })).toBe(version);
  });

  it('tells generation versions apart', () => {
    expect(isGenerationVersion('gen:1')).toBe(true);
    expect(isGenerationVersion('rv:1')).toBe(false);
  });

  it.each([
    ['Deployment', 'web', 'deployment-web'],
    ['Namespace', 'ns1', 'namespace-ns1'],
    ['ClusterRole', 'x', 'clusterrole-x'],
  ])('propagatedVersionName(%s, %s) = %s', (kind, name, expected) => {
    expect(propagatedVersionName(kind, name)).toBe(expected);
  });
});

describe('recorded and next propagated versions', () => {
  const current = { templateVersion: 't1', overridesVersion: 'o1' };
  const previous: PropagatedVersion = {
    ...current,
    clusterVersions: [
      { clusterName: 'c1', version: 'gen:1' },
      { clusterName: 'c2', version: 'rv:5' },
    ],
  };

  it.each<[string, PropagatedVersion | undefined, [string, string][]]>([
    [
      'valid when hashes match',
      previous,
      [
        ['c1', 'gen:1'],
        ['c2', 'rv:5'],
      ],
    ],
    ['discarded when the template changed', { ...previous, templateVersion: 't0' }, []],
    ['discarded when the overrides changed', { ...previous, overridesVersion: 'o0' }, []],
    ['none without a status', undefined, []],
  ])('recordedClusterVersions: %s', (_name, status, expected) => {
    expect([...recordedClusterVersions(status, current)]).toEqual(expected);
  });

  it('keeps still-placed recorded versions, adds written ones, drops unplaced ones, sorted', () => {
    expect(
      nextPropagatedVersion({
        previous,
        ...current,
        placed: ['c2', 'c3'],
        written: new Map([['c3', 'gen:2']]),
      }),
    ).toEqual({
      ...current,
      clusterVersions: [
        { clusterName: 'c2', version: 'rv:5' },
        { clusterName: 'c3', version: 'gen:2' },
      ],
    });
  });

  it('returns undefined when nothing changed (no write)', () => {
    expect(
      nextPropagatedVersion({ previous, ...current, placed: ['c1', 'c2'], written: new Map() }),
    ).toBeUndefined();
    expect(
      nextPropagatedVersion({
        previous,
        ...current,
        placed: ['c1', 'c2'],
        written: new Map([['c1', 'gen:1']]),
      }),
    ).toBeUndefined();
  });

  it('starts over when the hashes changed', () => {
    expect(
      nextPropagatedVersion({
        previous,
        templateVersion: 't2',
        overridesVersion: 'o1',
        placed: ['c1', 'c2'],
        written: new Map([['c1', 'gen:2']]),
      }),
    ).toEqual({
      templateVersion: 't2',
      overridesVersion: 'o1',
      clusterVersions: [{ clusterName: 'c1', version: 'gen:2' }],
    });
  });

  it('writes a first status', () => {
    expect(
      nextPropagatedVersion({ previous: undefined, ...current, placed: [], written: new Map() }),
    ).toEqual({
      ...current,
      clusterVersions: [],
    });
  });
});

describe('packVersion / unpackVersion', () => {
  it('keeps every part of a PropagatedVersion status through one string', () => {
    const v = {
      templateVersion: 'a1b2',
      overridesVersion: 'c3d4',
      clusterVersions: [
        { clusterName: 'cluster2', version: 'gen:3' },
        { clusterName: 'cluster3', version: 'rv:12345' },
      ],
    };
    const packed = packVersion(v)!;
    expect(packed).toBe('a1b2\tc3d4\tcluster2=gen:3\tcluster3=rv:12345');
    expect(unpackVersion(packed)).toEqual(v);
  });

  it('reads none as none, and a status with no clusters yet as empty lists', () => {
    expect(packVersion(undefined)).toBeUndefined();
    expect(unpackVersion(undefined)).toBeUndefined();
    expect(unpackVersion(packVersion({ templateVersion: 't' }))).toEqual({
      templateVersion: 't',
      overridesVersion: '',
      clusterVersions: [],
    });
  });
});
