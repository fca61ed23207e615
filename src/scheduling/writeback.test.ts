import { describe, expect, it } from 'vitest';
import type { FederatedObject, Overrides } from '../api/types.js';
import { planReplicaWriteback, REPLICAS_PATH, type ReplicaWriteback } from './writeback.js';

type Spec = FederatedObject['spec'];

const plan = (counts: Record<string, number>) => new Map(Object.entries(counts));

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

function update(result: ReplicaWriteback) {
  if (result.kind !== 'update') throw new Error(`expected an update, got ${JSON.stringify(result)}`);
  return result;
}

/** Applies a writeback to a spec, as the controller will. */
function apply(spec: Spec, result: ReplicaWriteback): Spec {
  return result.kind === 'update'
    ? { ...spec, placement: result.placement, overrides: result.overrides }
    : spec;
}

const template = { spec: { replicas: 1 } };

describe('planReplicaWriteback', () => {
  it('places every planned cluster, 0 included, sorted, with a replicas override each', () => {
    const result = update(
      planReplicaWriteback({ template }, plan({ cluster2: 6, cluster1: 4, cluster3: 0 })),
    );
    expect(result.placement).toEqual({
      clusters: [{ name: 'cluster1' }, { name: 'cluster2' }, { name: 'cluster3' }],
    });
    expect(result.overrides).toEqual([
      { clusterName: 'cluster1', clusterOverrides: [{ path: REPLICAS_PATH, value: 4 }] },
      { clusterName: 'cluster2', clusterOverrides: [{ path: REPLICAS_PATH, value: 6 }] },
      { clusterName: 'cluster3', clusterOverrides: [{ path: REPLICAS_PATH, value: 0 }] },
    ]);
  });

  it('changes nothing the second time', () => {
    const replicas = plan({ a: 1, b: 2 });
    const spec = apply({ template }, planReplicaWriteback({ template }, replicas));
    expect(planReplicaWriteback(spec, replicas)).toEqual({ kind: 'unchanged' });
  });

  it('compares placement as a set of names', () => {
    const spec: Spec = {
      placement: { clusters: [{ name: 'b' }, { name: 'a' }] },
      overrides: [
        { clusterName: 'b', clusterOverrides: [{ path: REPLICAS_PATH, value: 2 }] },
        { clusterName: 'a', clusterOverrides: [{ path: REPLICAS_PATH, value: 1 }] },
      ],
    };
    expect(planReplicaWriteback(spec, plan({ a: 1, b: 2 }))).toEqual({ kind: 'unchanged' });
  });

  it('updates a changed count in place, keeping op, position and the other overrides', () => {
    const spec: Spec = deepFreeze({
      placement: { clusters: [{ name: 'a' }, { name: 'b' }] },
      overrides: [
        {
          clusterName: 'a',
          clusterOverrides: [
            { path: '/spec/template/spec/containers/0/image', value: 'nginx:2' },
            { op: 'replace', path: REPLICAS_PATH, value: 5 },
            { op: 'add', path: '/metadata/labels/x', value: 'y' },
          ],
        },
        { clusterName: 'b', clusterOverrides: [{ path: REPLICAS_PATH, value: 5 }] },
      ],
    });
    const result = update(planReplicaWriteback(spec, plan({ a: 3, b: 7 })));
    expect(result.overrides).toEqual([
      {
        clusterName: 'a',
        clusterOverrides: [
          { path: '/spec/template/spec/containers/0/image', value: 'nginx:2' },
          { op: 'replace', path: REPLICAS_PATH, value: 3 },
          { op: 'add', path: '/metadata/labels/x', value: 'y' },
        ],
      },
      { clusterName: 'b', clusterOverrides: [{ path: REPLICAS_PATH, value: 7 }] },
    ]);
    expect(result.placement).toEqual({ clusters: [{ name: 'a' }, { name: 'b' }] });
  });

  it("appends the replicas override to a cluster's existing overrides", () => {
    const spec: Spec = {
      overrides: [{ clusterName: 'a', clusterOverrides: [{ path: '/metadata/labels/x', value: 'y' }] }],
    };
    expect(update(planReplicaWriteback(spec, plan({ a: 2 }))).overrides).toEqual([
      {
        clusterName: 'a',
        clusterOverrides: [
          { path: '/metadata/labels/x', value: 'y' },
          { path: REPLICAS_PATH, value: 2 },
        ],
      },
    ]);
  });

  it('removes the replicas override of a cluster that left the plan, keeping its other overrides', () => {
    const spec: Spec = {
      placement: { clusters: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
      overrides: [
        {
          clusterName: 'a',
          clusterOverrides: [
            { path: REPLICAS_PATH, value: 1 },
            { path: '/metadata/labels/x', value: 'y' },
          ],
        },
        { clusterName: 'b', clusterOverrides: [{ path: REPLICAS_PATH, value: 1 }] },
        { clusterName: 'c', clusterOverrides: [{ path: REPLICAS_PATH, value: 1 }] },
        { clusterName: 'd', clusterOverrides: [{ path: '/metadata/labels/z', value: 'w' }] },
      ],
    };
    const result = update(planReplicaWriteback(spec, plan({ c: 3 })));
    expect(result.placement).toEqual({ clusters: [{ name: 'c' }] });
    expect(result.overrides).toEqual([
      { clusterName: 'a', clusterOverrides: [{ path: '/metadata/labels/x', value: 'y' }] },
      { clusterName: 'c', clusterOverrides: [{ path: REPLICAS_PATH, value: 3 }] },
      { clusterName: 'd', clusterOverrides: [{ path: '/metadata/labels/z', value: 'w' }] },
    ]);
  });

  it('keeps the clusterSelector', () => {
    const spec: Spec = { placement: { clusterSelector: { matchLabels: { foo: 'bar' } } } };
    expect(update(planReplicaWriteback(spec, plan({ cluster1: 6 }))).placement).toEqual({
      clusterSelector: { matchLabels: { foo: 'bar' } },
      clusters: [{ name: 'cluster1' }],
    });
  });

  it('writes only the overrides when only a count changed, placement as it was', () => {
    const spec: Spec = {
      placement: { clusters: [{ name: 'b' }, { name: 'a' }] },
      overrides: [
        { clusterName: 'a', clusterOverrides: [{ path: REPLICAS_PATH, value: 1 }] },
        { clusterName: 'b', clusterOverrides: [{ path: REPLICAS_PATH, value: 1 }] },
      ],
    };
    const result = update(planReplicaWriteback(spec, plan({ a: 1, b: 2 })));
    expect(result.placement).toEqual({ clusters: [{ name: 'b' }, { name: 'a' }] });
    expect(result.overrides[1]).toEqual({
      clusterName: 'b',
      clusterOverrides: [{ path: REPLICAS_PATH, value: 2 }],
    });
  });

  it('updates the placement alone when only the set of clusters changed', () => {
    const spec: Spec = {
      placement: { clusters: [{ name: 'a' }, { name: 'z' }] },
      overrides: [{ clusterName: 'a', clusterOverrides: [{ path: REPLICAS_PATH, value: 1 }] }],
    };
    const result = update(planReplicaWriteback(spec, plan({ a: 1 })));
    expect(result.placement).toEqual({ clusters: [{ name: 'a' }] });
    expect(result.overrides).toEqual(spec.overrides);
  });

  it.each<[string, unknown]>([
    ['a string', '3'],
    ['a fraction', 2.5],
    ['missing', undefined],
  ])('rewrites a replicas value that is %s', (_name, value) => {
    const spec = {
      placement: { clusters: [{ name: 'a' }] },
      overrides: [{ clusterName: 'a', clusterOverrides: [{ path: REPLICAS_PATH, value }] }],
    } as Spec;
    expect(update(planReplicaWriteback(spec, plan({ a: 2 }))).overrides).toEqual([
      { clusterName: 'a', clusterOverrides: [{ path: REPLICAS_PATH, value: 2 }] },
    ]);
  });

  it('sets an empty placement when the plan is empty and no clusters were listed', () => {
    expect(planReplicaWriteback({}, plan({}))).toEqual({
      kind: 'update',
      placement: { clusters: [] },
      overrides: [],
    });
    expect(planReplicaWriteback({ placement: { clusters: [] } }, plan({}))).toEqual({ kind: 'unchanged' });
  });

  it('does not modify its input', () => {
    const spec: Spec = deepFreeze({
      placement: { clusters: [{ name: 'a' }] },
      overrides: [{ clusterName: 'a', clusterOverrides: [{ path: REPLICAS_PATH, value: 1 }] }],
    });
    const result = update(planReplicaWriteback(spec, plan({ a: 2, b: 1 })));
    expect(spec.overrides?.[0]?.clusterOverrides?.[0]?.value).toBe(1);
    expect(result.overrides).not.toBe(spec.overrides);
  });

  it.each<[string, unknown, string, string]>([
    [
      'a cluster twice',
      [
        { clusterName: 'a', clusterOverrides: [] },
        { clusterName: 'a', clusterOverrides: [] },
      ],
      'spec.overrides[1].clusterName',
      'cluster "a" appears more than once; merge its overrides into one entry',
    ],
    [
      'a path twice',
      [
        {
          clusterName: 'a',
          clusterOverrides: [
            { path: REPLICAS_PATH, value: 1 },
            { path: REPLICAS_PATH, value: 2 },
          ],
        },
      ],
      'spec.overrides[0].clusterOverrides[1].path',
      'path /spec/replicas appears more than once for cluster "a"; keep one',
    ],
    [
      'a forbidden path',
      [{ clusterName: 'a', clusterOverrides: [{ path: '/metadata/name', value: 'x' }] }],
      'spec.overrides[0].clusterOverrides[0].path',
      '/metadata/name may not be overridden; remove this override',
    ],
    [
      'not a list',
      { a: 1 },
      'spec.overrides',
      'must be a list; fix spec.overrides so that the replica scheduler can update it',
    ],
  ])('refuses overrides with %s', (_name, overrides, field, message) => {
    const spec = { overrides: overrides as Overrides };
    expect(planReplicaWriteback(spec, plan({ a: 1 }))).toEqual({ kind: 'invalidOverrides', field, message });
  });
});
