import { describe, expect, it } from 'vitest';
import { planReplicas, type ClusterPreferences } from './planner.js';
import { hasErrors, validateReplicaSchedulingPreference as validate } from './validate.js';

const spec = (extra: Record<string, unknown> = {}) => ({
  targetKind: 'FederatedDeployment',
  totalReplicas: 10,
  ...extra,
});

const fields = (s: unknown) => validate(s).map((p) => `${p.severity} ${p.field}`);

describe('validateReplicaSchedulingPreference', () => {
  it('accepts the user guide example', () => {
    expect(
      validate(
        spec({
          clusters: { A: { minReplicas: 2, maxReplicas: 4, weight: 2 }, B: { minReplicas: 3, weight: 1 } },
        }),
      ),
    ).toEqual([]);
  });

  it.each([
    ['no clusters', spec()],
    ['empty clusters', spec({ clusters: {} })],
    ['FederatedReplicaSet', spec({ targetKind: 'FederatedReplicaSet' })],
    [
      'all fields',
      spec({ rebalance: true, intersectWithClusterSelector: false, clusters: { '*': { weight: 1 } } }),
    ],
    ['maxReplicas null', spec({ clusters: { a: { weight: 1, maxReplicas: null } } })],
    ['totalReplicas 0', spec({ totalReplicas: 0 })],
  ])('accepts %s', (_name, s) => {
    expect(validate(s)).toEqual([]);
  });

  it('requires a spec object', () => {
    expect(validate(undefined)).toEqual([
      { field: 'spec', message: 'Required value: spec must be an object', severity: 'error' },
    ]);
  });

  it('rejects an unknown targetKind, naming the supported kinds', () => {
    expect(validate(spec({ targetKind: 'FederatedStatefulSet' }))).toEqual([
      {
        field: 'spec.targetKind',
        message:
          'Unsupported value: "FederatedStatefulSet": only FederatedDeployment or FederatedReplicaSet can be scheduled',
        severity: 'error',
      },
    ]);
    expect(fields({ totalReplicas: 1 })).toEqual(['error spec.targetKind']);
  });

  it.each<[string, unknown, string]>([
    ['negative', -1, 'must be 0 or more, got -1'],
    ['fractional', 1.5, 'must be a whole number, got 1.5'],
    ['a string', '3', 'must be a whole number, got "3"'],
    ['beyond int32', 2 ** 31, 'must be at most 2147483647, got 2147483648'],
  ])('rejects totalReplicas that is %s', (_name, value, message) => {
    expect(validate(spec({ totalReplicas: value }))).toEqual([
      { field: 'spec.totalReplicas', message, severity: 'error' },
    ]);
  });

  it('requires totalReplicas', () => {
    expect(fields({ targetKind: 'FederatedDeployment' })).toEqual(['error spec.totalReplicas']);
  });

  it('rejects negative cluster values, per field', () => {
    const problems = validate(spec({ clusters: { A: { minReplicas: -1, maxReplicas: -2, weight: -3 } } }));
    expect(problems.map((p) => [p.field, p.message])).toEqual([
      ['spec.clusters[A].minReplicas', 'must be 0 or more, got -1'],
      ['spec.clusters[A].maxReplicas', 'must be 0 or more, got -2'],
      ['spec.clusters[A].weight', 'must be 0 or more, got -3'],
    ]);
    expect(hasErrors(problems)).toBe(true);
  });

  it('rejects minReplicas above maxReplicas with the fix', () => {
    expect(validate(spec({ clusters: { A: { minReplicas: 5, maxReplicas: 3, weight: 1 } } }))).toEqual([
      {
        field: 'spec.clusters[A].minReplicas',
        message: 'must not exceed maxReplicas (5 > 3): lower minReplicas or raise maxReplicas',
        severity: 'error',
      },
    ]);
  });

  it.each<[string, unknown, string[]]>([
    ['rebalance not a boolean', spec({ rebalance: 'yes' }), ['error spec.rebalance']],
    [
      'intersect not a boolean',
      spec({ intersectWithClusterSelector: 1 }),
      ['error spec.intersectWithClusterSelector'],
    ],
    ['clusters a list', spec({ clusters: [] }), ['error spec.clusters']],
    ['a cluster not an object', spec({ clusters: { A: 3 } }), ['error spec.clusters[A]']],
    ['an empty cluster name', spec({ clusters: { '': { weight: 1 } } }), ['error spec.clusters[]']],
  ])('rejects %s', (_name, s, expected) => {
    expect(fields(s)).toEqual(expected);
  });

  it('warns when the minimums add up to more than totalReplicas', () => {
    const problems = validate(
      spec({ totalReplicas: 4, clusters: { A: { minReplicas: 3, weight: 1 }, B: { minReplicas: 2 } } }),
    );
    expect(problems).toEqual([
      {
        field: 'spec.totalReplicas',
        message:
          'the minReplicas of the clusters add up to 5, more than totalReplicas 4: not every cluster can get ' +
          'its minimum (clusters with a higher weight get theirs first); raise totalReplicas or lower minReplicas',
        severity: 'warning',
      },
    ]);
    expect(hasErrors(problems)).toBe(false);
  });

  it('warns when no cluster has a weight and the minimums leave replicas unplaced', () => {
    expect(fields(spec({ clusters: { A: { minReplicas: 3 }, B: { weight: 0 } } }))).toEqual([
      'warning spec.clusters',
    ]);
    expect(fields(spec({ clusters: { '*': { minReplicas: 3 } } }))).toEqual(['warning spec.clusters']);
    expect(fields(spec({ totalReplicas: 3, clusters: { A: { minReplicas: 3 } } }))).toEqual([]);
  });

  it('warns when the maximums cannot hold totalReplicas, but not with a "*" entry', () => {
    const capped = { A: { maxReplicas: 3, weight: 1 }, B: { maxReplicas: 2, weight: 1 } };
    expect(validate(spec({ clusters: capped }))).toEqual([
      {
        field: 'spec.totalReplicas',
        message:
          'even with every listed cluster available, the clusters can take at most 5 of totalReplicas 10 ' +
          '(maxReplicas of the weighted clusters, minReplicas of the others): raise maxReplicas, add a "*" ' +
          'entry or lower totalReplicas',
        severity: 'warning',
      },
    ]);
    expect(validate(spec({ clusters: { ...capped, '*': { weight: 1 } } }))).toEqual([]);
  });

  it('does not add warnings on top of errors', () => {
    expect(
      fields(spec({ totalReplicas: 1, clusters: { A: { minReplicas: 5, maxReplicas: 3, weight: 1 } } })),
    ).toEqual(['error spec.clusters[A].minReplicas']);
  });

  // The warnings state what the planner does: with every listed cluster available, rebalance on
  // and no capacity limits, the plan is incomplete exactly when a placement warning is given.
  it('warns about unplaced replicas exactly when the planner leaves some unplaced', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let run = 0; run < 2000; run++) {
      const clusters: Record<string, ClusterPreferences> = {};
      const names = ['a', 'b', 'c', 'd'].slice(0, 1 + rand(4));
      for (const name of names) {
        const p: ClusterPreferences = { weight: rand(3) };
        if (rand(2)) p.minReplicas = rand(5);
        if (rand(2)) p.maxReplicas = (p.minReplicas ?? 0) + rand(6);
        clusters[name] = p;
      }
      const totalReplicas = rand(25);
      const problems = validate(spec({ totalReplicas, clusters }));
      expect(hasErrors(problems)).toBe(false);
      const plan = planReplicas({
        key: 'ns/x',
        totalReplicas,
        rebalance: true,
        preferences: clusters,
        availableClusters: names,
      });
      const warned = problems.some(
        (p) => p.message.includes('can take at most') || p.field === 'spec.clusters',
      );
      expect(warned, JSON.stringify({ totalReplicas, clusters })).toBe(plan.outcome.kind === 'incomplete');
    }
  });
});
