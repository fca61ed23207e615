import { describe, expect, it } from 'vitest';
import type { Overrides } from '../api/types.js';
import { overridesFor, overrideWarnings, validateOverrides } from './overrides.js';

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
            { op: '', path: '/spec/a', value: 1 },
            { op: 'add', path: '/spec/b' },
            { path: '/spec/c' },
            { op: 'add', path: '/metadata/labels/a~b', value: 'lone tilde, as upstream' },
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
            // Below a forbidden path: fails when applied, in its cluster only, as upstream.
            { path: '/metadata/name/0', value: 'x' },
          ],
        },
      ],
    ],
    ['an entry without clusterName (upstream: the cluster "")', [{ clusterOverrides: [{ path: '/a' }] }]],
    [
      'the same field written two ways (upstream compares paths as written)',
      [
        {
          clusterName: 'c1',
          clusterOverrides: [
            { path: '/a~', value: 1 },
            { path: '/a~0', value: 2 },
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
    [
      'two entries without clusterName (both name the cluster "")',
      [{ clusterOverrides: [] }, { clusterName: '' }],
      [`${O}[1].clusterName: Duplicate value: "" (already at ${O}[0])`],
    ],
    [
      'a clusterName that is not a string',
      [{ clusterName: 3 }],
      [`${O}[0].clusterName: must be a string (a KubeFedCluster name)`],
    ],
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
      'the whole object (path "")',
      [{ clusterName: 'c1', clusterOverrides: [{ path: '', value: {} }] }],
      [
        `${O}[0].clusterOverrides[0].path: Forbidden: "" names the whole object, including its name, namespace and kind; name a field such as /spec/replicas`,
      ],
    ],
    ...['/metadata/name', '/metadata/namespace', '/metadata/generateName', '/kind'].map(
      (path) =>
        [
          `the forbidden path ${path}`,
          [{ clusterName: 'c1', clusterOverrides: [{ op: 'replace', path, value: 'x' }] }],
          [
            `${O}[0].clusterOverrides[0].path: Forbidden: "${path}" ties the member object to its federated object and cannot be overridden`,
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
        `${O}[1].clusterOverrides[0].path: Forbidden: "/metadata/name" ties the member object to its federated object and cannot be overridden`,
        `${O}[1].clusterOverrides[1].path: invalid JSON pointer "bad": must be empty or start with "/"`,
      ],
    ],
  ])('rejects %s', (_name, overrides, errors) => {
    expect(validateOverrides(overrides as Overrides, O, { perOperation: true })).toEqual(errors);
  });

  it('leaves per-operation problems to the cluster they belong to (upstream fails them at patch time)', () => {
    const perOp = [
      {
        clusterName: 'c1',
        clusterOverrides: [
          { op: 'move', path: '/a', value: 1 },
          { path: 'data/x', value: 1 },
          { path: '', value: {} },
        ],
      },
    ];
    expect(validateOverrides(perOp as Overrides)).toEqual([]);
    expect(validateOverrides(perOp as Overrides, O, { perOperation: true })).toHaveLength(3);
  });

  it('uses the given field path', () => {
    expect(validateOverrides([{ clusterName: 'a' }, { clusterName: 'a' }], 'overrides')).toEqual([
      'overrides[1].clusterName: Duplicate value: "a" (already at overrides[0])',
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

describe('overrideWarnings', () => {
  it('names entries that apply to no cluster', () => {
    expect(
      overrideWarnings([
        { clusterName: 'cluster2' },
        { clusterOverrides: [] },
        { clusterName: '' },
        { clusterName: 'Cluster_3' },
      ]),
    ).toEqual([
      `${O}[1].clusterName: not set, so these overrides apply to no cluster`,
      `${O}[2].clusterName: not set, so these overrides apply to no cluster`,
      `${O}[3].clusterName: "Cluster_3" is not a DNS-1123 subdomain, so no KubeFedCluster has this name and these overrides apply to no cluster`,
    ]);
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
        { op: '', path: '/spec/y', value: 1 },
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
        { op: 'replace', path: '/spec/y', value: 1 },
      ],
    ],
    ['a cluster without clusterOverrides', overrides, 'c2', []],
    ['a cluster without an entry', overrides, 'c3', []],
    ['no overrides', undefined, 'c1', []],
  ])('%s', (_name, o, cluster, expected) => {
    expect(overridesFor(o, cluster)).toEqual(expected);
  });
});
