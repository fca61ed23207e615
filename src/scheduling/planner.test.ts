import { describe, expect, it } from 'vitest';
import {
  fnv1Hash32,
  planReplicas,
  type ClusterPreferences,
  type PlanInput,
  type ReplicaPlan,
} from './planner.js';

type Prefs = Record<string, ClusterPreferences>;
type Counts = Record<string, number>;

const counts = (c: Counts | undefined) => (c ? new Map(Object.entries(c)) : undefined);

/** What upstream's Plan returns: the plan and the overflow, as two maps. */
function upstreamView(plan: ReplicaPlan): { plan: Counts; overflow: Counts } {
  return {
    plan: Object.fromEntries(plan.clusters.map((c) => [c.cluster, c.planned])),
    overflow: Object.fromEntries(
      plan.clusters.filter((c) => c.overflow > 0).map((c) => [c.cluster, c.overflow]),
    ),
  };
}

interface UpstreamCase {
  prefs: Prefs;
  total: number;
  clusters: string[];
  existing?: Counts;
  capacity?: Counts;
  rebalance?: boolean;
  plan: Counts;
  overflow?: Counts;
}

const pmax = (weight: number, maxReplicas: number): ClusterPreferences => ({ weight, maxReplicas });
const ABC = ['A', 'B', 'C'];

/** upstream planner_test.go, case by case (key "" as there). */
const upstreamCases: Record<string, UpstreamCase[]> = {
  TestEqual: [
    { prefs: { '*': { weight: 1 } }, total: 50, clusters: ABC, plan: { A: 16, B: 17, C: 17 } },
    { prefs: { '*': { weight: 1 } }, total: 50, clusters: ['A', 'B'], plan: { A: 25, B: 25 } },
    { prefs: { '*': { weight: 1 } }, total: 1, clusters: ['A', 'B'], plan: { A: 0, B: 1 } },
    {
      prefs: { '*': { weight: 1 } },
      total: 1,
      clusters: ['A', 'B', 'C', 'D'],
      plan: { A: 0, B: 0, C: 0, D: 1 },
    },
    { prefs: { '*': { weight: 1 } }, total: 1, clusters: ['A'], plan: { A: 1 } },
    { prefs: { '*': { weight: 1 } }, total: 1, clusters: [], plan: {} },
  ],
  TestEqualWithExisting: [
    {
      prefs: { '*': { weight: 1 } },
      total: 50,
      clusters: ABC,
      existing: { C: 30 },
      plan: { A: 10, B: 10, C: 30 },
    },
    {
      prefs: { '*': { weight: 1 } },
      total: 50,
      clusters: ['A', 'B'],
      existing: { A: 30 },
      plan: { A: 30, B: 20 },
    },
    ...[
      { A: 0, B: 8 },
      { A: 1, B: 8 },
      { A: 4, B: 8 },
      { A: 5, B: 8 },
      { A: 6, B: 8 },
      { A: 7, B: 8 },
    ].map((existing) => ({
      prefs: { '*': { weight: 1 } },
      total: 15,
      clusters: ['A', 'B'],
      existing,
      plan: { A: 7, B: 8 },
    })),
    {
      prefs: { '*': { weight: 1 } },
      total: 500000,
      clusters: ['A', 'B'],
      existing: { A: 300000 },
      plan: { A: 300000, B: 200000 },
    },
    {
      prefs: { '*': { weight: 1 } },
      total: 50,
      clusters: ['A', 'B'],
      existing: { A: 10 },
      plan: { A: 25, B: 25 },
    },
    // upstream: "TODO: Should be 10:40, update algorithm" — kept as upstream computes it.
    {
      prefs: { '*': { weight: 1 } },
      total: 50,
      clusters: ['A', 'B'],
      existing: { A: 10, B: 70 },
      plan: { A: 0, B: 50 },
    },
    {
      prefs: { '*': { weight: 1 } },
      total: 1,
      clusters: ['A', 'B'],
      existing: { A: 30 },
      plan: { A: 1, B: 0 },
    },
    {
      prefs: { '*': { weight: 1 } },
      total: 50,
      clusters: ['A', 'B'],
      existing: { A: 10, B: 20 },
      plan: { A: 25, B: 25 },
    },
  ],
  TestWithExistingAndCapacity: [
    {
      rebalance: true,
      prefs: { '*': { weight: 1 } },
      total: 50,
      clusters: ABC,
      capacity: { C: 10 },
      plan: { A: 20, B: 20, C: 10 },
      overflow: { C: 7 },
    },
    {
      rebalance: true,
      prefs: { A: { weight: 10000 }, B: { weight: 1 } },
      total: 50,
      clusters: ['B', 'C'],
      capacity: { B: 10 },
      plan: { B: 10, C: 0 },
      overflow: { B: 40 },
    },
    {
      rebalance: true,
      prefs: { A: { weight: 1 }, B: { weight: 2 } },
      total: 60,
      clusters: ABC,
      capacity: { B: 10 },
      plan: { A: 50, B: 10, C: 0 },
      overflow: { B: 30 },
    },
    {
      rebalance: true,
      prefs: { A: pmax(10000, 10), B: { weight: 1 }, C: pmax(1, 21), D: pmax(1, 10) },
      total: 71,
      clusters: ['A', 'B', 'C', 'D'],
      capacity: { C: 10 },
      plan: { A: 10, B: 41, C: 10, D: 10 },
      overflow: { C: 11 },
    },
    {
      rebalance: false,
      prefs: { A: { weight: 1 }, B: { weight: 1 } },
      total: 60,
      clusters: ABC,
      capacity: { A: 10, B: 10 },
      plan: { A: 10, B: 10, C: 0 },
      overflow: { A: 20, B: 20 },
    },
    {
      rebalance: false,
      prefs: { A: { weight: 1 }, B: { weight: 5 } },
      total: 60,
      clusters: ABC,
      capacity: { B: 10 },
      plan: { A: 50, B: 10, C: 0 },
      overflow: {},
    },
    {
      rebalance: false,
      prefs: { '*': { minReplicas: 20, weight: 0 } },
      total: 50,
      clusters: ABC,
      capacity: { B: 10 },
      plan: { A: 20, B: 10, C: 20 },
      overflow: {},
    },
    {
      rebalance: true,
      prefs: { '*': { minReplicas: 20, weight: 1 } },
      total: 60,
      clusters: ['A', 'B'],
      capacity: { B: 10 },
      plan: { A: 50, B: 10 },
      overflow: { B: 15 },
    },
  ],
  TestMin: [
    { prefs: { '*': { minReplicas: 2, weight: 0 } }, total: 50, clusters: ABC, plan: { A: 2, B: 2, C: 2 } },
    {
      prefs: { '*': { minReplicas: 20, weight: 0 } },
      total: 50,
      clusters: ABC,
      plan: { A: 10, B: 20, C: 20 },
    },
    {
      prefs: { '*': { minReplicas: 20, weight: 0 }, A: { minReplicas: 100, weight: 1 } },
      total: 50,
      clusters: ABC,
      plan: { A: 50, B: 0, C: 0 },
    },
    {
      prefs: { '*': { minReplicas: 10, weight: 1, maxReplicas: 12 } },
      total: 50,
      clusters: ABC,
      plan: { A: 12, B: 12, C: 12 },
    },
  ],
  TestMax: [
    { prefs: { '*': pmax(1, 2) }, total: 50, clusters: ABC, plan: { A: 2, B: 2, C: 2 } },
    { prefs: { '*': pmax(0, 2) }, total: 50, clusters: ABC, plan: { A: 0, B: 0, C: 0 } },
  ],
  TestWeight: [
    { prefs: { A: { weight: 1 }, B: { weight: 2 } }, total: 60, clusters: ABC, plan: { A: 20, B: 40, C: 0 } },
    {
      prefs: { A: { weight: 10000 }, B: { weight: 1 } },
      total: 50,
      clusters: ABC,
      plan: { A: 50, B: 0, C: 0 },
    },
    {
      prefs: { A: { weight: 10000 }, B: { weight: 1 } },
      total: 50,
      clusters: ['B', 'C'],
      plan: { B: 50, C: 0 },
    },
    {
      prefs: { A: pmax(10000, 10), B: { weight: 1 }, C: { weight: 1 } },
      total: 50,
      clusters: ABC,
      plan: { A: 10, B: 20, C: 20 },
    },
    {
      prefs: { A: pmax(10000, 10), B: { weight: 1 }, C: pmax(1, 10) },
      total: 50,
      clusters: ABC,
      plan: { A: 10, B: 30, C: 10 },
    },
    {
      prefs: { A: pmax(10000, 10), B: { weight: 1 }, C: pmax(1, 21), D: pmax(1, 10) },
      total: 71,
      clusters: ['A', 'B', 'C', 'D'],
      plan: { A: 10, B: 30, C: 21, D: 10 },
    },
    {
      prefs: { A: pmax(10000, 10), B: { weight: 1 }, C: pmax(1, 21), D: pmax(1, 10), E: { weight: 1 } },
      total: 91,
      clusters: ['A', 'B', 'C', 'D', 'E'],
      plan: { A: 10, B: 25, C: 21, D: 10, E: 25 },
    },
  ],
};

describe('planReplicas: upstream planner_test.go cases', () => {
  for (const [group, cases] of Object.entries(upstreamCases)) {
    it.each(cases.map((c, i) => [i, c] as const))(`${group} #%i`, (_i, c) => {
      const plan = planReplicas({
        key: '',
        totalReplicas: c.total,
        rebalance: c.rebalance ?? false,
        preferences: c.prefs,
        availableClusters: c.clusters,
        currentReplicas: counts(c.existing),
        estimatedCapacity: counts(c.capacity),
      });
      expect(upstreamView(plan)).toEqual({ plan: c.plan, overflow: c.overflow ?? {} });
    });
  }
});

describe('fnv1Hash32', () => {
  it('is Go hash/fnv New32 (FNV-1, not FNV-1a)', () => {
    // Reference values of FNV-1 32: offset basis for "", and the published vector for "a".
    expect(fnv1Hash32('')).toBe(0x811c9dc5);
    expect(fnv1Hash32('a')).toBe(0x050c5d7e);
    expect(fnv1Hash32('foobar')).toBe(0x31f0b262);
  });
});

describe('planReplicas: documented examples', () => {
  it('splits the user guide example 4/6 (A capped at maxReplicas 4)', () => {
    const plan = planReplicas({
      key: 'default/web',
      totalReplicas: 10,
      preferences: { A: { minReplicas: 2, maxReplicas: 4, weight: 2 }, B: { minReplicas: 3, weight: 1 } },
      availableClusters: ['A', 'B'],
    });
    expect(plan.replicas).toEqual(
      new Map([
        ['A', 4],
        ['B', 6],
      ]),
    );
    expect(plan.outcome).toEqual({ kind: 'complete' });
    expect(plan.clusters.find((c) => c.cluster === 'A')?.reasons).toEqual([
      { reason: 'CappedByMaxReplicas', maxReplicas: 4 },
    ]);
  });

  it.each<[string, number, Prefs | undefined, Counts]>([
    ['no preferences', 4, undefined, { cluster1: 2, cluster2: 2 }],
    ['empty preferences', 4, {}, { cluster1: 2, cluster2: 2 }],
    ['weights 2:1', 6, { cluster1: { weight: 2 }, cluster2: { weight: 1 } }, { cluster1: 4, cluster2: 2 }],
    [
      'weights 2:1 with min 3 each',
      6,
      { cluster1: { weight: 2, minReplicas: 3 }, cluster2: { weight: 1, minReplicas: 3 } },
      { cluster1: 3, cluster2: 3 },
    ],
  ])('upstream e2e expectation: %s', (_name, total, prefs, expected) => {
    const plan = planReplicas({
      key: 'e2e-test/test-rsp',
      totalReplicas: total,
      preferences: prefs,
      availableClusters: ['cluster1', 'cluster2'],
    });
    expect(Object.fromEntries(plan.replicas)).toEqual(expected);
  });

  it('gives everything to the only selected cluster', () => {
    const plan = planReplicas({ key: 'ns/x', totalReplicas: 6, availableClusters: ['cluster1'] });
    expect(plan.replicas).toEqual(new Map([['cluster1', 6]]));
  });
});

describe('planReplicas: results and reasons', () => {
  const base: PlanInput = { key: 'ns/web', totalReplicas: 10, availableClusters: ['a', 'b', 'c'] };

  it('lists every available cluster, sorted by name, including those with 0', () => {
    const plan = planReplicas({
      ...base,
      availableClusters: ['c', 'a', 'b'],
      preferences: { a: { weight: 1 } },
    });
    expect([...plan.replicas]).toEqual([
      ['a', 10],
      ['b', 0],
      ['c', 0],
    ]);
    expect(plan.clusters.map((c) => c.cluster)).toEqual(['a', 'b', 'c']);
  });

  it('gives a cluster without an entry and without "*" nothing, with NoPreference', () => {
    const plan = planReplicas({ ...base, preferences: { a: { weight: 1 } } });
    const b = plan.clusters.find((c) => c.cluster === 'b');
    expect(b).toMatchObject({ planned: 0, replicas: 0, rank: undefined, preference: { source: 'none' } });
    expect(b?.reasons).toEqual([{ reason: 'NoPreference' }]);
  });

  it('prefers a cluster entry over "*"', () => {
    const plan = planReplicas({
      ...base,
      preferences: { '*': { weight: 1 }, a: { weight: 3, maxReplicas: 5 } },
    });
    const a = plan.clusters.find((c) => c.cluster === 'a');
    expect(a?.preference).toEqual({ source: 'cluster', minReplicas: 0, maxReplicas: 5, weight: 3 });
    expect(plan.clusters.find((c) => c.cluster === 'b')?.preference).toEqual({
      source: 'wildcard',
      minReplicas: 0,
      maxReplicas: undefined,
      weight: 1,
    });
    expect(a?.rank).toBe(0);
  });

  it('reports replicas that cannot be placed because every weighted cluster is at maxReplicas', () => {
    const plan = planReplicas({ ...base, preferences: { a: pmax(1, 3), b: pmax(1, 2) } });
    expect(plan.placed).toBe(5);
    expect(plan.outcome).toEqual({ kind: 'incomplete', unplaced: 5, causes: ['MaxReplicas'] });
  });

  it('reports capacity as the cause and keeps the overflow on the full cluster (rebalance)', () => {
    const plan = planReplicas({
      ...base,
      rebalance: true,
      preferences: { a: { weight: 1 } },
      estimatedCapacity: counts({ a: 4 }),
    });
    const a = plan.clusters.find((c) => c.cluster === 'a');
    expect(a).toMatchObject({ planned: 4, overflow: 6, replicas: 10 });
    expect(a?.reasons).toEqual([{ reason: 'CappedByCapacity', capacity: 4, overflow: 6 }]);
    expect(plan.outcome).toEqual({ kind: 'incomplete', unplaced: 6, causes: ['Capacity'] });
  });

  it('cuts the overflow to the unplaced replicas without rebalance', () => {
    const plan = planReplicas({
      ...base,
      preferences: { a: { weight: 1 }, b: pmax(1, 3) },
      estimatedCapacity: counts({ a: 4 }),
    });
    // a's share is 5 (overflow 1); b takes 3; 3 stay unplaced, so the overflow stays 1.
    expect(upstreamView(plan)).toEqual({ plan: { a: 4, b: 3, c: 0 }, overflow: { a: 1 } });
    expect(plan.outcome).toEqual({ kind: 'incomplete', unplaced: 3, causes: ['MaxReplicas', 'Capacity'] });
  });

  it('reports minimums that totalReplicas cannot meet, in scheduling order', () => {
    const plan = planReplicas({
      ...base,
      totalReplicas: 5,
      preferences: { '*': { minReplicas: 3, weight: 1 } },
    });
    const byRank = [...plan.clusters].sort((x, y) => (x.rank ?? 0) - (y.rank ?? 0));
    expect(byRank.map((c) => c.planned)).toEqual([3, 2, 0]);
    expect(byRank.map((c) => c.reasons)).toEqual([
      [],
      [{ reason: 'MinReplicasNotMet', minReplicas: 3 }],
      [{ reason: 'MinReplicasNotMet', minReplicas: 3 }],
    ]);
    expect(plan.outcome).toEqual({ kind: 'complete' });
  });

  it('reports minimums cut by capacity', () => {
    const plan = planReplicas({
      ...base,
      preferences: { a: { minReplicas: 5, weight: 1 }, b: { weight: 1 } },
      estimatedCapacity: counts({ a: 2 }),
    });
    expect(plan.clusters.find((c) => c.cluster === 'a')?.reasons).toEqual([
      { reason: 'MinReplicasNotMet', minReplicas: 5 },
      { reason: 'CappedByCapacity', capacity: 2, overflow: 0 },
    ]);
    expect(plan.clusters.find((c) => c.cluster === 'b')?.planned).toBe(8);
  });

  it('keeps running replicas in place without rebalance, and moves them with rebalance', () => {
    const input: PlanInput = {
      ...base,
      availableClusters: ['a', 'b'],
      preferences: { '*': { weight: 1 } },
      currentReplicas: counts({ a: 8, b: 2 }),
    };
    const kept = planReplicas(input);
    expect(Object.fromEntries(kept.replicas)).toEqual({ a: 8, b: 2 });
    expect(kept.clusters.find((c) => c.cluster === 'a')?.reasons).toEqual([
      { reason: 'KeptCurrentReplicas', current: 8, kept: 8 },
    ]);
    const moved = planReplicas({ ...input, rebalance: true });
    expect(Object.fromEntries(moved.replicas)).toEqual({ a: 5, b: 5 });
    expect(moved.clusters.every((c) => c.reasons.length === 0)).toBe(true);
  });

  it.each<[string, PlanInput, string[]]>([
    ['no clusters', { ...base, availableClusters: [] }, ['NoClusters']],
    ['no cluster has a preference', { ...base, preferences: { z: { weight: 1 } } }, ['NoPreferences']],
    ['all weights 0', { ...base, preferences: { '*': { minReplicas: 1 } } }, ['ZeroWeights']],
  ])('explains an incomplete plan: %s', (_name, input, causes) => {
    const plan = planReplicas(input);
    expect(plan.outcome).toEqual({ kind: 'incomplete', unplaced: input.totalReplicas - plan.placed, causes });
  });

  it('flags weight 0 clusters', () => {
    const plan = planReplicas({
      ...base,
      preferences: { a: { weight: 0, minReplicas: 1 }, b: { weight: 1 } },
    });
    expect(plan.clusters.find((c) => c.cluster === 'a')?.reasons).toEqual([{ reason: 'ZeroWeight' }]);
    expect(Object.fromEntries(plan.replicas)).toEqual({ a: 1, b: 9, c: 0 });
  });

  it('treats maxReplicas null as unbounded', () => {
    const prefs = { a: { weight: 1, maxReplicas: null } } as unknown as Prefs;
    expect(planReplicas({ ...base, preferences: prefs }).replicas.get('a')).toBe(10);
  });

  it('plans a cluster listed twice once', () => {
    const plan = planReplicas({ ...base, availableClusters: ['a', 'a', 'b'] });
    expect(plan.clusters.map((c) => c.cluster)).toEqual(['a', 'b']);
    expect(plan.placed).toBe(10);
  });

  it('splits huge weights exactly', () => {
    const big = Number.MAX_SAFE_INTEGER;
    const plan = planReplicas({ ...base, preferences: { a: { weight: big }, b: { weight: big - 1 } } });
    // ⌈10·(2^53−1) / (2^54−3)⌉ = 6 exactly (as Go's int64 computes it); floats would lose the sum.
    expect(Object.fromEntries(plan.replicas)).toEqual({ a: 6, b: 4, c: 0 });
  });

  it('refuses non-integers, naming the field', () => {
    expect(() => planReplicas({ ...base, preferences: { a: { weight: 1.5 } } })).toThrow(
      'spec.clusters[a].weight must be an integer, got 1.5',
    );
    expect(() => planReplicas({ ...base, totalReplicas: 2.5 })).toThrow(
      'spec.totalReplicas must be an integer',
    );
    expect(() => planReplicas({ ...base, estimatedCapacity: counts({ b: 0.5 }) })).toThrow(
      'estimatedCapacity[b] must be an integer',
    );
  });

  // minReplicas > maxReplicas is invalid (validate.ts rejects it); this pins upstream's result.
  it('follows upstream when minReplicas exceeds maxReplicas', () => {
    const cut = planReplicas({
      ...base,
      availableClusters: ['a'],
      preferences: { a: { minReplicas: 5, maxReplicas: 2, weight: 1 } },
    });
    expect(cut.replicas.get('a')).toBe(2); // the weight round cuts it back to max
    const kept = planReplicas({
      ...base,
      totalReplicas: 5,
      availableClusters: ['a'],
      preferences: { a: { minReplicas: 5, maxReplicas: 2, weight: 1 } },
    });
    expect(kept.replicas.get('a')).toBe(5); // nothing remains after the minimums: no round runs
  });
});

// ---------------------------------------------------------------------------------------------
// Properties, over random inputs from a seeded PRNG (mulberry32) so that failures reproduce.

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Gen {
  int(lo: number, hi: number): number;
  chance(p: number): boolean;
  shuffle<T>(xs: readonly T[]): T[];
}

function gen(seed: number): Gen {
  const next = mulberry32(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return {
    int,
    chance: (p) => next() < p,
    shuffle: (xs) => {
      const out = [...xs];
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(0, i);
        [out[i], out[j]] = [out[j] as (typeof out)[number], out[i] as (typeof out)[number]];
      }
      return out;
    },
  };
}

interface RandomOptions {
  bounds?: boolean;
  capacity?: boolean;
  current?: boolean;
}

/** A valid input: minReplicas <= maxReplicas, everything >= 0. */
function randomInput(
  g: Gen,
  opts: RandomOptions = { bounds: true, capacity: true, current: true },
): PlanInput {
  const pool = ['cluster1', 'cluster2', 'cluster3', 'eu-1', 'us-east', 'x', 'member-7'];
  const clusters = g.shuffle(pool).slice(0, g.int(0, pool.length));
  const pref = (): ClusterPreferences => {
    const p: ClusterPreferences = { weight: g.chance(0.2) ? 0 : g.int(1, 6) };
    if (opts.bounds && g.chance(0.5)) p.minReplicas = g.int(0, 6);
    if (opts.bounds && g.chance(0.4)) p.maxReplicas = (p.minReplicas ?? 0) + g.int(0, 8);
    return p;
  };
  const preferences: Prefs = {};
  for (const c of clusters) if (g.chance(0.6)) preferences[c] = pref();
  if (g.chance(0.6)) preferences['*'] = pref();
  const someCounts = (hi: number) =>
    new Map(clusters.filter(() => g.chance(0.5)).map((c) => [c, g.int(0, hi)]));
  return {
    key: `ns${g.int(0, 3)}/name${g.int(0, 50)}`,
    totalReplicas: g.int(0, 40),
    rebalance: g.chance(0.5),
    preferences,
    availableClusters: clusters,
    currentReplicas: opts.current ? someCounts(15) : undefined,
    estimatedCapacity: opts.capacity ? someCounts(15) : undefined,
  };
}

/** The effective preferences of a cluster, or undefined (as the planner resolves them). */
function prefOf(input: PlanInput, cluster: string) {
  const prefs =
    input.preferences && Object.keys(input.preferences).length > 0
      ? input.preferences
      : { '*': { weight: 1 } };
  const p = prefs[cluster] ?? prefs['*'];
  return p && { min: p.minReplicas ?? 0, max: p.maxReplicas ?? Infinity, weight: p.weight ?? 0 };
}

/**
 * The most a cluster can hold: a weighted cluster fills to maxReplicas; a weightless one gets its
 * minimum or, without rebalance, what it runs (up to max); both within capacity.
 */
function holdLimit(input: PlanInput, cluster: string): number {
  const p = prefOf(input, cluster);
  if (!p) return 0;
  const capacity = input.estimatedCapacity?.get(cluster) ?? Infinity;
  const current = input.rebalance ? 0 : Math.min(input.currentReplicas?.get(cluster) ?? 0, p.max);
  return Math.min(capacity, p.weight > 0 ? p.max : Math.max(p.min, current));
}

const RUNS = 3000;
const planned = (plan: ReplicaPlan) => new Map(plan.clusters.map((c) => [c.cluster, c.planned]));

describe('planReplicas: properties', () => {
  it('places exactly min(totalReplicas, Σ of what each cluster can hold)', () => {
    for (let seed = 1; seed <= RUNS; seed++) {
      const input = randomInput(gen(seed));
      const limit = input.availableClusters.reduce((sum, c) => sum + holdLimit(input, c), 0);
      const plan = planReplicas(input);
      expect(plan.placed, `seed ${seed}`).toBe(Math.min(input.totalReplicas, limit));
      expect(plan.outcome.kind === 'complete', `seed ${seed}`).toBe(plan.placed === input.totalReplicas);
      if (plan.outcome.kind === 'incomplete')
        expect(plan.outcome.causes.length, `seed ${seed}`).toBeGreaterThan(0);
    }
  });

  it('respects maxReplicas and capacity, and gives clusters without a preference nothing', () => {
    for (let seed = 1; seed <= RUNS; seed++) {
      const input = randomInput(gen(seed));
      for (const c of planReplicas(input).clusters) {
        const p = prefOf(input, c.cluster);
        const where = `seed ${seed} cluster ${c.cluster}`;
        expect(c.planned, where).toBeGreaterThanOrEqual(0);
        expect(c.planned, where).toBeLessThanOrEqual(p ? p.max : 0);
        expect(c.planned, where).toBeLessThanOrEqual(input.estimatedCapacity?.get(c.cluster) ?? Infinity);
        expect(c.replicas, where).toBe(c.planned + c.overflow);
      }
    }
  });

  it('gives every cluster its minimum when the minimums fit, else fills minimums in scheduling order', () => {
    for (let seed = 1; seed <= RUNS; seed++) {
      const input = randomInput(gen(seed));
      const plan = planReplicas(input);
      const effMin = (c: string) =>
        Math.min(prefOf(input, c)?.min ?? 0, input.estimatedCapacity?.get(c) ?? Infinity);
      const ranked = plan.clusters
        .filter((c) => c.rank !== undefined)
        .sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0));
      const minSum = ranked.reduce((s, c) => s + effMin(c.cluster), 0);
      if (minSum <= input.totalReplicas) {
        for (const c of ranked) expect(c.planned, `seed ${seed}`).toBeGreaterThanOrEqual(effMin(c.cluster));
      } else {
        expect(plan.placed, `seed ${seed}`).toBe(input.totalReplicas);
        const firstShort = ranked.findIndex((c) => c.planned < effMin(c.cluster));
        for (const later of ranked.slice(firstShort + 1)) expect(later.planned, `seed ${seed}`).toBe(0);
      }
    }
  });

  it('is deterministic whatever the order of clusters and preference entries', () => {
    for (let seed = 1; seed <= RUNS; seed++) {
      const g = gen(seed);
      const input = randomInput(g);
      const shuffledPrefs = Object.fromEntries(g.shuffle(Object.entries(input.preferences ?? {})));
      const again = planReplicas({
        ...input,
        availableClusters: g.shuffle(input.availableClusters),
        preferences: shuffledPrefs,
      });
      const plan = planReplicas(input);
      expect([...again.replicas], `seed ${seed}`).toEqual([...plan.replicas]);
      expect(again.clusters, `seed ${seed}`).toEqual(plan.clusters);
      expect([...plan.replicas.keys()]).toEqual([...input.availableClusters].sort());
    }
  });

  it('without rebalance, overflow never exceeds the unplaced replicas', () => {
    for (let seed = 1; seed <= RUNS; seed++) {
      const input = { ...randomInput(gen(seed)), rebalance: false };
      const plan = planReplicas(input);
      const unplaced = input.totalReplicas - plan.placed;
      for (const c of plan.clusters) expect(c.overflow, `seed ${seed}`).toBeLessThanOrEqual(unplaced);
    }
  });

  // Upstream hands out ceil(share) in scheduling order until nothing remains, so without bounds
  // each cluster gets at most its rounded-up share, but the last ones in the order can get less
  // than share − 1 (see the next test): "within one replica" holds only for two clusters.
  it('without bounds, gives each cluster at most its rounded-up weighted share', () => {
    for (let seed = 1; seed <= RUNS; seed++) {
      const g = gen(seed);
      const input = { ...randomInput(g, {}), rebalance: true };
      const plan = planReplicas(input);
      const weights = new Map(plan.clusters.map((c) => [c.cluster, prefOf(input, c.cluster)?.weight ?? 0]));
      const weightSum = [...weights.values()].reduce((a, b) => a + b, 0);
      if (weightSum === 0) continue;
      expect(plan.placed, `seed ${seed}`).toBe(input.totalReplicas);
      for (const c of plan.clusters) {
        const share = (input.totalReplicas * (weights.get(c.cluster) ?? 0)) / weightSum;
        expect(c.planned, `seed ${seed}`).toBeLessThanOrEqual(Math.ceil(share));
        if (plan.clusters.length === 2) expect(Math.abs(c.planned - share), `seed ${seed}`).toBeLessThan(1);
      }
    }
  });

  it('is not within one replica of the share for three or more clusters (upstream rounding)', () => {
    const clusters = Array.from({ length: 10 }, (_, i) => `c${i}`);
    const plan = planReplicas({ key: 'ns/a', totalReplicas: 11, availableClusters: clusters });
    // share 1.1 each: five clusters get 2, one gets 1, four get 0.
    expect([...plan.replicas.values()].sort()).toEqual([0, 0, 0, 0, 1, 2, 2, 2, 2, 2]);
  });

  it('without rebalance, one more replica only adds one (current = previous plan)', () => {
    for (let seed = 1; seed <= RUNS; seed++) {
      const input = { ...randomInput(gen(seed)), rebalance: false };
      const before = planReplicas(input);
      const after = planReplicas({
        ...input,
        totalReplicas: input.totalReplicas + 1,
        currentReplicas: planned(before),
      });
      const moved = before.clusters.reduce(
        (sum, c) => sum + Math.abs((planned(after).get(c.cluster) ?? 0) - c.planned),
        0,
      );
      for (const c of before.clusters) {
        expect(planned(after).get(c.cluster), `seed ${seed}`).toBeGreaterThanOrEqual(c.planned);
      }
      expect(moved, `seed ${seed}`).toBe(after.placed - before.placed);
      expect(after.placed - before.placed, `seed ${seed}`).toBeLessThanOrEqual(1);
    }
  });

  it('with rebalance and two clusters without bounds, one more replica only adds one', () => {
    for (let seed = 1; seed <= RUNS; seed++) {
      const g = gen(seed);
      const input: PlanInput = {
        key: `ns/${seed}`,
        totalReplicas: g.int(0, 60),
        rebalance: true,
        preferences: { a: { weight: g.int(1, 9) }, b: { weight: g.int(1, 9) } },
        availableClusters: ['a', 'b'],
      };
      const before = planReplicas(input);
      const after = planReplicas({ ...input, totalReplicas: input.totalReplicas + 1 });
      const diffs = ['a', 'b'].map((c) => (after.replicas.get(c) ?? 0) - (before.replicas.get(c) ?? 0));
      expect(diffs.sort(), `seed ${seed}`).toEqual([0, 1]);
    }
  });

  it('with rebalance and three or more clusters, one more replica can move many (upstream)', () => {
    const clusters = Array.from({ length: 10 }, (_, i) => `c${i}`);
    const at10 = planReplicas({
      key: 'ns/a',
      totalReplicas: 10,
      rebalance: true,
      availableClusters: clusters,
    });
    const at11 = planReplicas({
      key: 'ns/a',
      totalReplicas: 11,
      rebalance: true,
      availableClusters: clusters,
    });
    expect([...at10.replicas.values()]).toEqual(Array(10).fill(1));
    const decreased = clusters.filter((c) => (at11.replicas.get(c) ?? 0) < (at10.replicas.get(c) ?? 0));
    expect(decreased).toHaveLength(4);
  });
});
