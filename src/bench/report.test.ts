/**
 * Unit tests of the pure parts of the propagation benchmark (bench/report.ts). They live under src/
 * because vitest's unit project collects src/**\/*.test.ts only.
 */
import { describe, expect, it } from 'vitest';
import {
  bestPhysical,
  bulkChart,
  cumulative,
  DEFAULT_SYNC_WORKERS,
  diffCounts,
  distribution,
  lineChartSvg,
  niceStep,
  parseBenchArgs,
  parsePrometheus,
  percentile,
  profileArea,
  renderMarkdown,
  requestCounts,
  summarize,
  summarizeProfile,
  totalRequests,
  USAGE,
  WRITE_VERBS,
  type BenchResult,
  type CpuProfile,
  type SweepPoint,
} from '../../bench/report.js';

describe('parseBenchArgs', () => {
  it('defaults to 1000 configmaps, 300 deployments, 3 members, 200 edits, 60 s idle, the KubeFedConfig workers, bound (b) at 4/16/64 in flight, no sweep, no profile, every webhook', () => {
    // toStrictEqual: workers and cpuProf are present and undefined, not missing.
    expect(parseBenchArgs([])).toStrictEqual({
      members: 3,
      objects: 1000,
      deployments: 300,
      edits: 200,
      idleSeconds: 60,
      workers: undefined,
      memberQps: 20,
      memberBurst: 30,
      sweep: [],
      physical: [4, 16, 64],
      cpuProf: undefined,
      resultsDir: undefined,
      webhooks: 'all',
    });
  });

  it("names the KubeFedConfig default of 1 worker (upstream's) and the pipeline in the usage text", () => {
    expect(DEFAULT_SYNC_WORKERS).toBe(1);
    expect(USAGE).toContain(
      '(default: the KubeFedConfig default, 1); the manager and bound (a) run max(W, 32)',
    );
    expect(USAGE).toContain('--physical N1,...');
    expect(USAGE).toContain('--cpu-prof DIR');
  });

  it('reads every flag, including sweep and physical lists, a profile directory and a results directory', () => {
    expect(
      parseBenchArgs([
        '--members',
        '2',
        '--objects',
        '50',
        '--deployments',
        '0',
        '--edits',
        '5',
        '--idle-seconds',
        '10',
        '--workers',
        '4',
        '--member-qps',
        '2.5',
        '--member-burst',
        '5',
        '--sweep',
        '1000,5000',
        '--physical',
        '8,32',
        '--cpu-prof',
        '/tmp/prof',
        '--results-dir',
        '/tmp/r',
        '--webhooks',
        'validating',
      ]),
    ).toStrictEqual({
      members: 2,
      objects: 50,
      deployments: 0,
      edits: 5,
      idleSeconds: 10,
      workers: 4,
      memberQps: 2.5,
      memberBurst: 5,
      sweep: [1000, 5000],
      physical: [8, 32],
      cpuProf: '/tmp/prof',
      resultsDir: '/tmp/r',
      webhooks: 'validating',
    });
  });

  it('refuses a webhook mode it does not know, naming the modes', () => {
    expect(() => parseBenchArgs(['--webhooks', 'some'])).toThrow(
      '--webhooks "some" is not one of all, validating, none; e.g. --webhooks all',
    );
  });

  it('takes a single in-flight count for bound (b), in any order', () => {
    expect(parseBenchArgs(['--physical', '1']).physical).toEqual([1]);
    expect(parseBenchArgs(['--physical', '64,4']).physical).toEqual([64, 4]);
  });

  it('leaves workers unset without --workers and keeps an explicit --workers 1', () => {
    expect(parseBenchArgs(['--objects', '5']).workers).toBeUndefined();
    expect(parseBenchArgs(['--workers', '1']).workers).toBe(1);
    expect(parseBenchArgs(['--workers', '16']).workers).toBe(16);
  });

  it('rejects bad values naming the flag and a valid example', () => {
    expect(() => parseBenchArgs(['--members', '0'])).toThrow(
      /--members "0" is not a whole number >= 1; e\.g\. --members 2/,
    );
    expect(() => parseBenchArgs(['--objects', '1e3'])).toThrow(/--objects "1e3"/);
    expect(() => parseBenchArgs(['--workers', '0'])).toThrow(/--workers "0" is not a whole number >= 1/);
    expect(() => parseBenchArgs(['--member-qps', '0'])).toThrow(/--member-qps "0" is not a positive number/);
    expect(() => parseBenchArgs(['--sweep', '5000,1000'])).toThrow(/--sweep "5000,1000" must increase/);
    expect(() => parseBenchArgs(['--sweep', '1000,x'])).toThrow(/--sweep "x"/);
    expect(() => parseBenchArgs(['--objects', '0', '--deployments', '0'])).toThrow(/nothing to propagate/);
    expect(() => parseBenchArgs(['--bogus', '1'])).toThrow(/--bogus[\s\S]*Usage: npm run bench/);
  });

  it.each([
    { raw: '0', error: /--physical "0" is not a whole number >= 1; e\.g\. --physical 2/ },
    { raw: '4,x,64', error: /--physical "x" is not a whole number/ },
    { raw: '2.5', error: /--physical "2\.5" is not a whole number/ },
    { raw: '4,,16', error: /--physical "" is not a whole number/ },
    { raw: '', error: /--physical "" is not a whole number/ },
    { raw: '4;16', error: /--physical "4;16" is not a whole number/ },
  ])('rejects --physical $raw naming the bad entry', ({ raw, error }) => {
    expect(() => parseBenchArgs(['--physical', raw])).toThrow(error);
  });

  it('rejects --physical and --cpu-prof without a value, with the usage', () => {
    expect(() => parseBenchArgs(['--physical'])).toThrow(/--physical[\s\S]*Usage: npm run bench/);
    expect(() => parseBenchArgs(['--cpu-prof'])).toThrow(/--cpu-prof[\s\S]*Usage: npm run bench/);
  });
});

describe('percentile and summarize', () => {
  it('takes the nearest rank, whatever the input order', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i); // 100..1
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3], 50)).toBe(2);
    expect(percentile([], 50)).toBeNaN();
    expect(values[0]).toBe(100); // not sorted in place
  });

  it('summarizes count, extremes, mean and p50/p90/p99', () => {
    expect(summarize([4, 1, 3, 2])).toEqual({ n: 4, min: 1, p50: 2, p90: 4, p99: 4, max: 4, mean: 2.5 });
    expect(summarize([0.123, 0.456])).toMatchObject({ min: 0.1, max: 0.5, mean: 0.3 });
    expect(summarize([]).n).toBe(0);
  });
});

describe('request counts from /metrics', () => {
  const text = (post: number, get: number) => `# HELP rest_client_requests_total Number of HTTP requests
# TYPE rest_client_requests_total counter
rest_client_requests_total{cluster="cluster1",verb="get",code="200"} ${get}
rest_client_requests_total{cluster="cluster1",verb="get",code="404"} 1
rest_client_requests_total{cluster="cluster2",verb="post",code="201"} ${post}
rest_client_requests_total{cluster="cluster2",verb="watch",code="200"} 3
workqueue_depth{name="federatedconfigmap"} 0
process_resident_memory_bytes 1.5e+8
`;

  it('parses samples with and without labels', () => {
    const samples = parsePrometheus(text(1, 2));
    expect(samples).toContainEqual({
      name: 'workqueue_depth',
      labels: { name: 'federatedconfigmap' },
      value: 0,
    });
    expect(samples).toContainEqual({ name: 'process_resident_memory_bytes', labels: {}, value: 1.5e8 });
    expect(samples).toHaveLength(6);
  });

  it('sums rest_client_requests_total by cluster and verb, and diffs two readings', () => {
    const before = requestCounts(parsePrometheus(text(10, 5)));
    expect(before).toEqual({ cluster1: { get: 6 }, cluster2: { post: 10, watch: 3 } });
    const after = requestCounts(parsePrometheus(text(25, 5)));
    const d = diffCounts(before, after);
    expect(d).toEqual({ cluster2: { post: 15 } });
    expect(totalRequests(after, (_, v) => WRITE_VERBS.has(v))).toBe(25);
    expect(totalRequests(after, (c) => c === 'cluster1')).toBe(6);
  });
});

function result(): BenchResult {
  const summary = (p50: number, p99: number) => ({ n: 3, min: 1, p50, p90: p99, p99, max: p99, mean: p50 });
  return {
    startedAt: '2026-11-25T18:00:00.000Z',
    durationSeconds: 300,
    machine: { cpus: 2, node: 'v20.19.0', kubernetes: 'v1.34.12' },
    options: {
      members: 3,
      objects: 2,
      deployments: 1,
      edits: 3,
      idleSeconds: 60,
      workers: 16,
      memberQps: 20,
      memberBurst: 30,
      sweep: [],
      physical: [4, 16, 64],
      cpuProf: undefined,
    },
    bulk: {
      objects: 3,
      members: 3,
      pairs: 9,
      seconds: 1.5,
      objectsPerSecond: 2,
      latencyMs: summary(700, 1400),
      doneAtMs: [500, 1500, 1000],
      managerPeakRssBytes: 200 * 1048576,
      managerBaselineRssBytes: 100 * 1048576,
      managerBaselineHeapBytes: 30 * 1048576,
      requests: { cluster1: { put: 6 }, cluster2: { post: 3 } },
      requestsPerObject: { host: 2, members: 1, total: 3, writes: 3 },
    },
    bound: {
      seconds: 1,
      objectsPerSecond: 3,
      latencyMs: summary(500, 1000),
      doneAtMs: [300, 600, 1000],
      writes: 9,
      machineCpuSeconds: 2,
    },
    physical: [
      { inFlight: 4, seconds: 0.9, objectsPerSecond: 3.3, machineCpuSeconds: 2.5 },
      { inFlight: 16, seconds: 0.6, objectsPerSecond: 5, machineCpuSeconds: 3.1 },
      { inFlight: 64, seconds: 0.7, objectsPerSecond: 4.3, machineCpuSeconds: 3.6 },
    ],
    ratio: 1.5,
    ratioPhysical: 2.5,
    bulkCpu: { managerSeconds: 0.8, machineSeconds: 4.2 },
    change: {
      edits: 3,
      federatedMs: summary(40, 120),
      directMs: summary(10, 15),
      federatedSamples: [40, 30, 120],
      directSamples: [10, 12, 15],
      p99OverDirectMs: 105,
    },
    idle: {
      seconds: 60,
      requests: { cluster1: { get: 12 } },
      perSecond: { cluster1: 0.2, cluster2: 0 },
      writes: 0,
    },
    sweep: [],
  };
}

/** A sweep step of `objects` FederatedConfigMaps to the 3 members of {@link result}. */
function step(objects: number, fields: Partial<SweepPoint> = {}): SweepPoint {
  return {
    objects,
    pairs: objects * 3,
    initialSyncMs: 2500,
    requestsDuringSync: 40,
    writesDuringSync: 0,
    rssBytes: 110 * 1048576,
    rssBytesPerPair: 3500,
    heapBytes: 40 * 1048576,
    bytesPerPair: 800,
    ...fields,
  };
}

const md = (r: BenchResult) => renderMarkdown(r, { bulk: 'bulk.svg', change: 'change.svg' });

/** The table row of `markdown` whose first cell is `label`; undefined when there is none. */
const row = (markdown: string, label: string) =>
  markdown.split('\n').find((l) => l.startsWith(`| ${label} |`));

const BULK_A_HIGH = 'bulk <= 1.2x bound (a), the same concurrency and limits';
const BULK_B_HIGH = "bulk <= 2x bound (b), the API servers' own limit";
const BULK_A_LOW = "bulk <= 1.1x bound (a) at the manager's default limits";
const BULK_B_LOW = "bulk against bound (b), the API servers' own limit (no target at these limits)";
const CHANGE = 'single-change p99 within 20 ms of one member write';
const IDLE = '0 idle writes';
const MEMORY = '<= 1,000 bytes of heap per (object, cluster) pair at 30k pairs';
const RESTART = 'restart at 30k objects < 15 s with 0 writes';

describe('renderMarkdown', () => {
  it('reports each target of issue #19 as met or not, from the numbers of the run', () => {
    const out = md(result());
    expect(out).toContain('| target (issue #19) | measured | |');
    expect(out).toContain(`| ${BULK_A_LOW} | 1.50x | **not met** |`);
    expect(out).toContain(`| ${BULK_B_LOW} | 2.50x | |`);
    expect(out).toContain(`| ${CHANGE} | +105 ms | **not met** |`);
    expect(out).toContain(`| ${IDLE} | 0 in 60 s | met |`);
    expect(out).toContain(`| ${MEMORY} | not measured (run with --sweep reaching 30,000 pairs) | |`);
    expect(out).toContain(`| ${RESTART} | not measured (run with --sweep reaching 30,000 objects) | |`);
    expect(out).toContain('| cluster1 | 0.20 | get 12 |');
    expect(out).toContain('| cluster2 | 0.00 | none |');
    expect(out).toContain('![bulk propagation](bulk.svg)');
    expect(out).toContain('![single-change latency](change.svg)');
    expect(out).not.toContain('## Scale sweep');
    expect(out).not.toContain('--cpu-prof');
  });

  it('describes the setup: members, objects, workers, member limits and machine', () => {
    expect(md(result())).toContain(
      '3 member clusters (host not joined), 3 federated objects (2 FederatedConfigMaps + 1 FederatedDeployments), ' +
        '16 worker(s) per type, member client 20 qps / burst 30; 2 CPUs, Node v20.19.0, Kubernetes v1.34.12; run took 300 s.',
    );
  });

  it('says how the control plane ran: token, and which webhooks', () => {
    expect(md({ ...result(), options: { ...result().options, webhooks: 'all' } })).toContain(
      'The control plane as the chart installs it: the manager authenticates with a ServiceAccount token; the webhook validates every create and update of a federated object and sets the sync finalizer on new ones (`--webhooks all`).',
    );
    expect(md({ ...result(), options: { ...result().options, webhooks: 'none' } })).toContain(
      'a ServiceAccount token; no webhook (`--webhooks none`).',
    );
    // Results from before the option say nothing of it.
    expect(md(result())).not.toContain('ServiceAccount token');
  });

  it('compares the bulk with bound (a) and the fastest bound (b) in three columns', () => {
    const out = md(result());
    expect(out).toContain('| measure | kubefed-ts | bound (a) | bound (b) |');
    expect(out).toContain(
      '| time until all 3 objects propagated | 1.50 s | 1.00 s | 0.60 s (16 in flight) |',
    );
    expect(out).toContain('| objects/s | 2.0 | 3.0 | 5.0 |');
    expect(out).toContain('| our time / bound time | 1 | 1.500 | 2.500 |');
    expect(out).toContain('| CPU seconds: manager / whole machine | 0.8 / 4.2 | - / 2.0 | - / 3.1 |');
    expect(out).toContain('| per-object latency p50 / p99 | 700 / 1400 ms | 500 / 1000 ms | |');
    expect(out).toContain('| peak RSS of the manager (VmHWM) | 200.0 MiB (100.0 MiB before) | | |');
    expect(out).toContain(
      '| API requests per propagated object: host / members / total | 2.00 / 1.00 / 3.00 | 3.00 (member writes) | same |',
    );
    expect(out).toContain('| of which writes | 3.00 | 3.00 | same |');
    expect(out).toContain('| requests by cluster and verb | cluster1: put 6; cluster2: post 3 | | |');
    expect(out).toContain(
      'no rate limit at 4 / 16 / 64 requests in flight, the best counting (4: 0.90 s, 16: 0.60 s, 64: 0.70 s)',
    );
  });

  it('writes n/a in the bound (b) column when bound (b) did not run', () => {
    const r = result();
    r.physical = [];
    r.ratioPhysical = NaN;
    const out = md(r);
    expect(out).toContain('| time until all 3 objects propagated | 1.50 s | 1.00 s | n/a |');
    expect(out).toContain('| objects/s | 2.0 | 3.0 | n/a |');
    expect(out).toContain('| our time / bound time | 1 | 1.500 | n/a |');
    expect(out).toContain('| CPU seconds: manager / whole machine | 0.8 / 4.2 | - / 2.0 | - / n/a |');
  });

  it('adds the sweep table, with the marginal heap per pair from the second step on', () => {
    const r = result();
    r.sweep = [
      step(1000, { bytesPerPair: 1500 }),
      step(5000, {
        initialSyncMs: 9000,
        requestsDuringSync: 45,
        writesDuringSync: 3,
        rssBytes: 140 * 1048576,
        rssBytesPerPair: 3000,
        heapBytes: 80 * 1048576,
        bytesPerPair: 2800,
        marginalBytesPerPair: 2621,
      }),
    ];
    const out = md(r);
    expect(out).toContain('## Scale sweep');
    expect(out).toContain('| 1000 | 3000 | 2.50 s | 40 / 0 | 40.0 MiB | 1.5 KiB |  | 110.0 MiB (3.4 KiB) |');
    expect(out).toContain(
      '| 5000 | 15000 | 9.00 s | 45 / 3 | 80.0 MiB | 2.7 KiB | 2.6 KiB | 140.0 MiB (2.9 KiB) |',
    );
    expect(out).toContain('baseline of 30.0 MiB');
    // Neither step reaches 30,000 pairs or 30,000 objects.
    expect(row(out, MEMORY)).toBe(`| ${MEMORY} | not measured (run with --sweep reaching 30,000 pairs) | |`);
    expect(row(out, RESTART)).toBe(
      `| ${RESTART} | not measured (run with --sweep reaching 30,000 objects) | |`,
    );
  });
});

describe('the targets of issue #19', () => {
  type Case = { target: string; qps: number; edit: (r: BenchResult) => void; row: string };
  const cases: Case[] = [
    // Limiter high (member qps >= 1000): bulk <= 1.2x bound (a) and <= 2x bound (b).
    {
      target: 'bulk at 1.20x bound (a), limiter high',
      qps: 1000,
      edit: (r) => (r.ratio = 1.2),
      row: `| ${BULK_A_HIGH} | 1.20x | met |`,
    },
    {
      target: 'bulk at 1.21x bound (a), limiter high',
      qps: 1000,
      edit: (r) => (r.ratio = 1.21),
      row: `| ${BULK_A_HIGH} | 1.21x | **not met** |`,
    },
    {
      target: 'bulk at 1.15x bound (a), limiter high',
      qps: 5000,
      edit: (r) => (r.ratio = 1.15),
      row: `| ${BULK_A_HIGH} | 1.15x | met |`,
    },
    {
      target: 'bulk at 2.00x bound (b), limiter high',
      qps: 1000,
      edit: (r) => (r.ratioPhysical = 2),
      row: `| ${BULK_B_HIGH} | 2.00x | met |`,
    },
    {
      target: 'bulk at 2.01x bound (b), limiter high',
      qps: 1000,
      edit: (r) => (r.ratioPhysical = 2.01),
      row: `| ${BULK_B_HIGH} | 2.01x | **not met** |`,
    },
    // Limiter at the manager's defaults (member qps < 1000): bulk <= 1.1x bound (a); bound (b) without a target.
    {
      target: 'bulk at 1.10x bound (a), limiter low',
      qps: 20,
      edit: (r) => (r.ratio = 1.1),
      row: `| ${BULK_A_LOW} | 1.10x | met |`,
    },
    {
      target: 'bulk at 1.11x bound (a), limiter low',
      qps: 20,
      edit: (r) => (r.ratio = 1.11),
      row: `| ${BULK_A_LOW} | 1.11x | **not met** |`,
    },
    {
      target: 'bulk at 1.15x bound (a), limiter just below high',
      qps: 999,
      edit: (r) => (r.ratio = 1.15),
      row: `| ${BULK_A_LOW} | 1.15x | **not met** |`,
    },
    {
      target: 'bulk at 5x bound (b), limiter low',
      qps: 20,
      edit: (r) => (r.ratioPhysical = 5),
      row: `| ${BULK_B_LOW} | 5.00x | |`,
    },
    // The other targets are the same in both modes.
    ...[20, 1000].flatMap((qps): Case[] => [
      {
        target: `single-change p99 20 ms over, qps ${qps}`,
        qps,
        edit: (r) => (r.change.p99OverDirectMs = 20),
        row: `| ${CHANGE} | +20 ms | met |`,
      },
      {
        target: `single-change p99 21 ms over, qps ${qps}`,
        qps,
        edit: (r) => (r.change.p99OverDirectMs = 21),
        row: `| ${CHANGE} | +21 ms | **not met** |`,
      },
      {
        target: `single-change p99 11 ms under, qps ${qps}`,
        qps,
        edit: (r) => (r.change.p99OverDirectMs = -11.2),
        row: `| ${CHANGE} | -11 ms | met |`,
      },
      {
        target: `single-change p99 equal, qps ${qps}`,
        qps,
        edit: (r) => (r.change.p99OverDirectMs = 0),
        row: `| ${CHANGE} | 0 ms | met |`,
      },
      {
        target: `0 idle writes, qps ${qps}`,
        qps,
        edit: (r) => (r.idle.writes = 0),
        row: `| ${IDLE} | 0 in 60 s | met |`,
      },
      {
        target: `1 idle write, qps ${qps}`,
        qps,
        edit: (r) => (r.idle.writes = 1),
        row: `| ${IDLE} | 1 in 60 s | **not met** |`,
      },
      {
        target: `1000 bytes per pair, qps ${qps}`,
        qps,
        edit: (r) => (r.sweep = [step(10_000, { bytesPerPair: 1000 })]),
        row: `| ${MEMORY} | 1000 bytes at 30000 pairs | met |`,
      },
      {
        target: `1001 bytes per pair, qps ${qps}`,
        qps,
        edit: (r) => (r.sweep = [step(10_000, { bytesPerPair: 1001 })]),
        row: `| ${MEMORY} | 1001 bytes at 30000 pairs | **not met** |`,
      },
      {
        target: `restart in 14.99 s with 0 writes, qps ${qps}`,
        qps,
        edit: (r) => (r.sweep = [step(30_000, { initialSyncMs: 14_990 })]),
        row: `| ${RESTART} | 14.99 s, 0 writes at 30000 objects | met |`,
      },
      {
        target: `restart in 15 s with 0 writes, qps ${qps}`,
        qps,
        edit: (r) => (r.sweep = [step(30_000, { initialSyncMs: 15_000 })]),
        row: `| ${RESTART} | 15.00 s, 0 writes at 30000 objects | **not met** |`,
      },
      {
        target: `restart in 15 s with 1 write, qps ${qps}`,
        qps,
        edit: (r) => (r.sweep = [step(30_000, { initialSyncMs: 15_000, writesDuringSync: 1 })]),
        row: `| ${RESTART} | 15.00 s, 1 writes at 30000 objects | **not met** |`,
      },
      {
        target: `restart in 2 s with 1 write, qps ${qps}`,
        qps,
        edit: (r) => (r.sweep = [step(30_000, { initialSyncMs: 2000, writesDuringSync: 1 })]),
        row: `| ${RESTART} | 2.00 s, 1 writes at 30000 objects | **not met** |`,
      },
    ]),
  ];

  it.each(cases)('$target', ({ qps, edit, row: expected }) => {
    const r = result();
    r.options.memberQps = qps;
    edit(r);
    const label = /^\| (.*?) \|/.exec(expected)![1]!;
    expect(row(md(r), label)).toBe(expected);
  });

  it('shows the 1.2x and 2x rows only with the limiter high, the 1.1x row only without', () => {
    const r = result();
    r.options.memberQps = 1000;
    const high = md(r);
    expect(row(high, BULK_A_HIGH)).toBeDefined();
    expect(row(high, BULK_B_HIGH)).toBeDefined();
    expect(row(high, BULK_A_LOW)).toBeUndefined();
    expect(row(high, BULK_B_LOW)).toBeUndefined();
    r.options.memberQps = 999.9;
    const low = md(r);
    expect(row(low, BULK_A_LOW)).toBeDefined();
    expect(row(low, BULK_B_LOW)).toBeDefined();
    expect(row(low, BULK_A_HIGH)).toBeUndefined();
    expect(row(low, BULK_B_HIGH)).toBeUndefined();
  });

  it('judges memory at the first step with at least 30,000 pairs, ignoring smaller and later steps', () => {
    const r = result();
    r.sweep = [
      step(1000, { bytesPerPair: 5000 }),
      step(9999, { bytesPerPair: 4000 }), // 29,997 pairs: short of 30k
      step(12_000, { bytesPerPair: 950 }), // 36,000 pairs: the judged step
      step(40_000, { bytesPerPair: 3000 }),
    ];
    expect(row(md(r), MEMORY)).toBe(`| ${MEMORY} | 950 bytes at 36000 pairs | met |`);
  });

  it('judges the restart at the first step with at least 30,000 objects, ignoring smaller and later steps', () => {
    const r = result();
    r.sweep = [
      step(10_000, { initialSyncMs: 30_000, writesDuringSync: 5 }),
      step(29_999, { initialSyncMs: 20_000 }),
      step(30_000, { initialSyncMs: 12_340 }),
      step(60_000, { initialSyncMs: 40_000, writesDuringSync: 2 }),
    ];
    expect(row(md(r), RESTART)).toBe(`| ${RESTART} | 12.34 s, 0 writes at 30000 objects | met |`);
  });

  it.each([
    { steps: 'no objects', sweep: [], memory: 'not measured', restart: 'not measured' },
    { steps: '9999 objects', sweep: [step(9999)], memory: 'not measured', restart: 'not measured' },
    {
      steps: '10000 objects',
      sweep: [step(10_000)],
      memory: '800 bytes at 30000 pairs',
      restart: 'not measured',
    },
    {
      steps: '1000, 30000 objects',
      sweep: [step(1000), step(30_000)],
      memory: '800 bytes at 90000 pairs',
      restart: '2.50 s, 0 writes at 30000 objects',
    },
  ])('with sweep steps of $steps, memory: $memory, restart: $restart', ({ sweep, memory, restart }) => {
    const r = result();
    r.sweep = sweep;
    const out = md(r);
    expect(row(out, MEMORY)).toBe(
      memory === 'not measured'
        ? `| ${MEMORY} | not measured (run with --sweep reaching 30,000 pairs) | |`
        : `| ${MEMORY} | ${memory} | met |`,
    );
    expect(row(out, RESTART)).toBe(
      restart === 'not measured'
        ? `| ${RESTART} | not measured (run with --sweep reaching 30,000 objects) | |`
        : `| ${RESTART} | ${restart} | met |`,
    );
  });

  it('keeps "not measured" when a failed sweep stopped before 30,000 pairs', () => {
    const r = result();
    r.sweep = [step(1000)];
    r.sweepError = 'timed out after 600 s: 4000/5000 federated objects Propagation=True';
    const out = md(r);
    expect(out).toContain('## Scale sweep');
    expect(out).toContain('The sweep stopped early: timed out after 600 s: 4000/5000');
    expect(out).toContain('| 1000 | 3000 | 2.50 s | 40 / 0 | 40.0 MiB | 0.8 KiB |  | 110.0 MiB (3.4 KiB) |');
    expect(row(out, MEMORY)).toBe(`| ${MEMORY} | not measured (run with --sweep reaching 30,000 pairs) | |`);
  });
});

describe('bestPhysical', () => {
  const run = (inFlight: number, seconds: number) => ({
    inFlight,
    seconds,
    objectsPerSecond: 1000 / seconds,
    machineCpuSeconds: 1,
  });

  it('picks the fastest run of bound (b), whatever the order, without reordering the runs', () => {
    const physical = [run(4, 9), run(16, 3), run(64, 5)];
    expect(bestPhysical({ physical })).toEqual(run(16, 3));
    expect(bestPhysical({ physical: [run(64, 2), run(4, 9)] })?.inFlight).toBe(64);
    expect(bestPhysical({ physical: [run(4, 9), run(16, 12), run(64, 1.5)] })?.inFlight).toBe(64);
    expect(physical.map((p) => p.inFlight)).toEqual([4, 16, 64]);
  });

  it('takes the first listed of equally fast runs, and none of no runs', () => {
    expect(bestPhysical({ physical: [run(4, 3), run(16, 3)] })?.inFlight).toBe(4);
    expect(bestPhysical({ physical: [run(8, 7)] })?.inFlight).toBe(8);
    expect(bestPhysical({ physical: [] })).toBeUndefined();
  });
});

describe('profileArea', () => {
  it.each([
    { url: 'file:///work/main/dist/kube/client.js', fn: 'request', area: 'src/kube/client.ts' },
    {
      url: 'file:///work/main/dist/controllers/sync/controller.js',
      fn: 'reconcile',
      area: 'src/controllers/sync/controller.ts',
    },
    {
      url: 'file:///work/main/node_modules/undici/lib/dispatcher/client-h1.js',
      fn: 'onBody',
      area: 'undici',
    },
    {
      url: 'file:///work/main/node_modules/@sinclair/typebox/build/cjs/value/check/check.js',
      fn: 'Visit',
      area: '@sinclair/typebox',
    },
    // A package's own dist/ directory is the package, not our source.
    { url: 'file:///work/main/node_modules/yaml/dist/parse/lexer.js', fn: 'lex', area: 'yaml' },
    { url: 'node:internal/streams/readable', fn: 'addChunk', area: 'node internals' },
    { url: 'node:events', fn: 'emit', area: 'node internals' },
    { url: '', fn: '(garbage collector)', area: '(garbage collector)' },
    { url: '', fn: '(program)', area: '(program)' },
    { url: '', fn: 'parse', area: '(native)' },
    { url: 'file:///work/main/bench/other.mjs', fn: 'x', area: 'file:///work/main/bench/other.mjs' },
  ])('puts $fn at "$url" in $area', ({ url, fn, area }) => {
    expect(profileArea(url, fn)).toBe(area);
  });
});

describe('summarizeProfile', () => {
  const SYNC = 'file:///work/main/dist/controllers/sync/controller.js';
  const node = (id: number, functionName: string, url = '', lineNumber = -1, hitCount?: number) => ({
    id,
    callFrame: { functionName, url, lineNumber },
    ...(hitCount === undefined ? {} : { hitCount }),
  });
  // Times in microseconds; sample i lasts until sample i+1 (timeDeltas[i + 1]).
  const profile: CpuProfile = {
    nodes: [
      node(1, '(root)'),
      node(2, '(idle)'),
      node(3, 'reconcile', SYNC, 41),
      node(4, 'request', 'file:///work/main/node_modules/undici/lib/dispatcher/client.js', 9),
      node(5, '(garbage collector)'),
      node(6, '', SYNC, 99),
      node(7, 'reconcile', SYNC, 41), // the same function reached by another call path
    ],
    startTime: 1_000_000,
    endTime: 1_100_000,
    samples: [3, 2, 4, 3, 5, 2, 6, 7, 3],
    timeDeltas: [0, 10_000, 20_000, 5000, 15_000, 4000, 30_000, 2000, 1000],
  };

  it('sums self time per area and per function from samples and time deltas, idle excluded, largest first', () => {
    expect(summarizeProfile(profile)).toEqual({
      totalMs: 100,
      busyMs: 50, // 100 ms less 50 ms idle; the last sample lasts until the profile's end (13 ms)
      areas: [
        { name: 'src/controllers/sync/controller.ts', ms: 41 },
        { name: 'undici', ms: 5 },
        { name: '(garbage collector)', ms: 4 },
      ],
      functions: [
        { name: 'reconcile', where: 'src/controllers/sync/controller.ts:42', ms: 39 },
        { name: 'request', where: 'undici:10', ms: 5 },
        { name: '(garbage collector)', where: '(garbage collector)', ms: 4 },
        { name: '(anonymous)', where: 'src/controllers/sync/controller.ts:100', ms: 2 },
      ],
    });
  });

  it('keeps only the top functions asked for, but every area', () => {
    const s = summarizeProfile(profile, 2);
    expect(s.functions.map((f) => f.name)).toEqual(['reconcile', 'request']);
    expect(s.areas).toHaveLength(3);
    expect(s.busyMs).toBe(50);
  });

  it('spreads the profile time over hit counts when there are no samples', () => {
    const s = summarizeProfile({
      nodes: [
        node(1, '(root)', '', -1, 0),
        node(2, '(idle)', '', -1, 3),
        node(3, 'list', 'file:///work/main/dist/kube/client.js', 4, 1),
        node(4, 'emit', 'node:events', 20, 1),
      ],
      startTime: 0,
      endTime: 50_000,
    });
    expect(s).toEqual({
      totalMs: 50,
      busyMs: 20,
      areas: [
        { name: 'src/kube/client.ts', ms: 10 },
        { name: 'node internals', ms: 10 },
      ],
      functions: [
        { name: 'list', where: 'src/kube/client.ts:5', ms: 10 },
        { name: 'emit', where: 'node internals:21', ms: 10 },
      ],
    });
  });

  it('finds nothing busy in an idle profile', () => {
    expect(
      summarizeProfile({
        nodes: [node(1, '(idle)')],
        startTime: 0,
        endTime: 2000,
        samples: [1, 1],
        timeDeltas: [0, 1000],
      }),
    ).toEqual({ totalMs: 2, busyMs: 0, areas: [], functions: [] });
  });
});

describe('the CPU profile section', () => {
  it('lists areas and functions with their self time and share of the busy time', () => {
    const r = result();
    r.cpuProfile = {
      totalMs: 60_000,
      busyMs: 12_000,
      areas: [
        { name: 'src/kube/client.ts', ms: 9000 },
        { name: 'undici', ms: 3000 },
      ],
      functions: [{ name: 'request', where: 'src/kube/client.ts:12', ms: 9000 }],
    };
    const out = md(r);
    expect(out).toContain("## Where the manager's CPU went (--cpu-prof)");
    expect(out).toContain('12.00 s of CPU sampled over 60.0 s (idle excluded); self time.');
    expect(out).toContain('| src/kube/client.ts | 9.00 s | 75.0 % |');
    expect(out).toContain('| undici | 3.00 s | 25.0 % |');
    expect(out).toContain('| `request` src/kube/client.ts:12 | 9.00 s | 75.0 % |');
    // After the sweep section, at the end.
    expect(out.indexOf("## Where the manager's CPU went")).toBeGreaterThan(out.indexOf('## Idle cost'));
  });
});

describe('SVG plots', () => {
  it('picks 1-2-5 tick steps', () => {
    expect(niceStep(10)).toBe(2);
    expect(niceStep(1.3)).toBe(0.5);
    expect(niceStep(1300)).toBe(500);
    expect(niceStep(0)).toBe(1);
  });

  it('turns completion times into a cumulative count and latencies into a distribution', () => {
    expect(cumulative([1500, 500, 1000])).toEqual([
      [0, 0],
      [0.5, 1],
      [1, 2],
      [1.5, 3],
    ]);
    expect(distribution([30, 10])).toEqual([
      [50, 10],
      [100, 30],
    ]);
  });

  it('draws one polyline per series, scaled into the plot area, with escaped labels', () => {
    const svg = lineChartSvg({
      title: 'a < b & c',
      xLabel: 'x',
      yLabel: 'y',
      width: 200,
      height: 150,
      series: [
        {
          name: 'up',
          color: '#000',
          points: [
            [0, 0],
            [10, 10],
          ],
        },
        { name: 'none', color: '#f00', points: [] },
      ],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="200" height="150"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('a &lt; b &amp; c');
    // Plot area: x from 70 to 180, y from 100 (bottom) to 40 (top); axes run 0..10.
    expect(svg).toContain('points="70.0,100.0 180.0,40.0"');
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    expect(svg).toContain('>none</text>');
  });

  it('plots our run and the bound on the same axes', () => {
    const chart = bulkChart(result());
    expect(chart.series.map((s) => s.points.at(-1))).toEqual([
      [1.5, 3],
      [1, 3],
    ]);
    expect(chart.series[0]!.name).toContain('1.5 s');
  });
});
