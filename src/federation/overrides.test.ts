import { describe, expect, it } from 'vitest';
import type { Overrides } from '../api/types.js';
import { overridesFor, validateOverrides } from './overrides.js';

const O = 'spec.overrides';

describe('validateOverrides', () => {
  it.each<[string, unknown]>([
    ['absent', undefined],
    ['null', null],
    ['empty', []],
    ['a cluster without clusterOverrides', [{ clusterName: 'c1' }]],
    [
      'every op, op defaulted, apiVersion allowed',
      [
        {
          clusterName: 'c1',
          clusterOverrides: [
            { path: '/spec/replicas', value: 3 },
            { op: 'add', path: '/metadata/labels/x', value: 'y' },
            { op: 'remove', path: '/spec/paused' },
            { op: 'replace', path: '/apiVersion', value: 'apps/v1' },
            { op: 'replace', path: '/spec/x', value: null },
            { op: 'add', path: '/metadata/annotations/a~1b', value: '' },
          ],
        },
        { clusterName: 'c2', clusterOverrides: [{ path: '/spec/replicas', value: 5 }] },
      ],
    ],
    [
      'metadata paths that only start like forbidden ones',
      [
        {
          clusterName: 'c1',
          clusterOverrides: [
            { path: '/metadata/names', value: 1 },
            { path: '/metadata/labels/name', value: 'x' },
            { path: '/spec/kind', value: 'x' },
          ],
        },
      ],
    ],
  ])('accepts %s', (_name, overrides) => {
    expect(validateOverrides(overrides as Overrides)).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ['a non-list', {}, [`${O}: must be a list`]],
    ['a non-object item', ['c1'], [`${O}[0]: must be an object with clusterName and clusterOverrides`]],
    ['a missing clusterName', [{ clusterOverrides: [] }], [`${O}[0].clusterName: Required value`]],
    [
      'a duplicate clusterName',
      [{ clusterName: 'c1' }, { clusterName: 'c2' }, { clusterName: 'c1' }],
      [`${O}[2].clusterName: Duplicate value: "c1" (already at ${O}[0])`],
    ],
    [
      'clusterOverrides not a list',
      [{ clusterName: 'c1', clusterOverrides: {} }],
      [`${O}[0].clusterOverrides: must be a list`],
    ],
    [
      'an override that is not an object',
      [{ clusterName: 'c1', clusterOverrides: ['x'] }],
      [`${O}[0].clusterOverrides[0]: must be an object with op, path and value`],
    ],
    [
      'an unsupported op',
      [{ clusterName: 'c1', clusterOverrides: [{ op: 'move', path: '/a', value: 1 }] }],
      [
        `${O}[0].clusterOverrides[0].op: Unsupported value: "move": supported values: "add", "remove", "replace"`,
      ],
    ],
    [
      'a missing path',
      [{ clusterName: 'c1', clusterOverrides: [{ value: 1 }] }],
      [`${O}[0].clusterOverrides[0].path: Required value: a JSON pointer such as /spec/replicas`],
    ],
    [
      'a dotted path (old KubeFed syntax)',
      [{ clusterName: 'c1', clusterOverrides: [{ path: 'spec.replicas', value: 1 }] }],
      [
        `${O}[0].clusterOverrides[0].path: invalid JSON pointer "spec.replicas": must be empty or start with "/"`,
      ],
    ],
    [
      'a bad escape',
      [{ clusterName: 'c1', clusterOverrides: [{ path: '/a~2', value: 1 }] }],
      [
        `${O}[0].clusterOverrides[0].path: invalid JSON pointer "/a~2": "~" at offset 2 must be followed by 0 or 1 (write "~0" for "~" and "~1" for "/")`,
      ],
    ],
    ...(
      [
        ['/metadata/name', '/metadata/name'],
        ['/metadata/namespace', '/metadata/namespace'],
        ['/metadata/generateName', '/metadata/generateName'],
        ['/kind', '/kind'],
        ['/metadata/name/0', '/metadata/name'],
        ['/kind/x', '/kind'],
      ] as const
    ).map(
      ([path, root]) =>
        [
          `the forbidden path ${path}`,
          [{ clusterName: 'c1', clusterOverrides: [{ op: 'replace', path, value: 'x' }] }],
          [
            `${O}[0].clusterOverrides[0].path: Forbidden: "${path}": ${root} ties the member object to its federated object and cannot be overridden`,
          ],
        ] as [string, unknown, string[]],
    ),
    [
      'a duplicate path within a cluster',
      [
        {
          clusterName: 'c1',
          clusterOverrides: [
            { path: '/spec/replicas', value: 1 },
            { op: 'remove', path: '/spec/x' },
            { op: 'add', path: '/spec/replicas', value: 2 },
          ],
        },
      ],
      [
        `${O}[0].clusterOverrides[2].path: Duplicate value: "/spec/replicas" (already at ${O}[0].clusterOverrides[0])`,
      ],
    ],
    [
      'replace without a value',
      [{ clusterName: 'c1', clusterOverrides: [{ path: '/spec/replicas' }] }],
      [`${O}[0].clusterOverrides[0].value: Required value: op replace needs a value`],
    ],
    [
      'add without a value',
      [{ clusterName: 'c1', clusterOverrides: [{ op: 'add', path: '/spec/replicas' }] }],
      [`${O}[0].clusterOverrides[0].value: Required value: op add needs a value`],
    ],
    [
      'problems in several clusters, in order',
      [
        { clusterName: 'c1', clusterOverrides: [{ path: '/spec/replicas', value: 1 }] },
        {
          clusterName: 'c2',
          clusterOverrides: [
            { path: '/metadata/name', value: 'x' },
            { op: 'remove', path: 'bad' },
          ],
        },
      ],
      [
        `${O}[1].clusterOverrides[0].path: Forbidden: "/metadata/name": /metadata/name ties the member object to its federated object and cannot be overridden`,
        `${O}[1].clusterOverrides[1].path: invalid JSON pointer "bad": must be empty or start with "/"`,
      ],
    ],
  ])('rejects %s', (_name, overrides, errors) => {
    expect(validateOverrides(overrides as Overrides)).toEqual(errors);
  });

  it('uses the given field path', () => {
    expect(validateOverrides([{ clusterName: '' }], 'overrides')).toEqual([
      'overrides[0].clusterName: Required value',
    ]);
  });

  it('a path duplicate in different clusters is fine', () => {
    expect(
      validateOverrides([
        { clusterName: 'c1', clusterOverrides: [{ path: '/spec/replicas', value: 1 }] },
        { clusterName: 'c2', clusterOverrides: [{ path: '/spec/replicas', value: 2 }] },
      ]),
    ).toEqual([]);
  });
});

describe('overridesFor', () => {
  const overrides: Overrides = [
    {
      clusterName: 'c1',
      clusterOverrides: [
        { path: '/spec/replicas', value: 3 },
        { op: 'remove', path: '/spec/paused' },
        { op: 'add', path: '/metadata/labels/x', value: null },
      ],
    },
    { clusterName: 'c2' },
  ];
  it.each<[string, Overrides | undefined, string, unknown]>([
    [
      'the cluster’s ops in order, op defaulted to replace',
      overrides,
      'c1',
      [
        { op: 'replace', path: '/spec/replicas', value: 3 },
        { op: 'remove', path: '/spec/paused' },
        { op: 'add', path: '/metadata/labels/x', value: null },
      ],
    ],
    ['a cluster without clusterOverrides', overrides, 'c2', []],
    ['a cluster without an entry', overrides, 'c3', []],
    ['no overrides', undefined, 'c1', []],
  ])('%s', (_name, o, cluster, expected) => {
    expect(overridesFor(o, cluster)).toEqual(expected);
  });
});
