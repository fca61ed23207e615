/**
 * Unit tests of the pure parts of the propagation benchmark (bench/report.ts). They live under src/
 * because vitest's unit project collects src/**\/*.test.ts only.
 */
import { describe, expect, it } from 'vitest';
import {
  bulkChart,
  cumulative,
  diffCounts,
  distribution,
  lineChartSvg,
  niceStep,
  parseBenchArgs,
  parsePrometheus,
  percentile,
  renderMarkdown,
  requestCounts,
  summarize,
  totalRequests,
  WRITE_VERBS,
  type BenchResult,
} from '../../bench/report.js';

describe('parseBenchArgs', () => {
  it('defaults to the sizes of issue #12: 1000 configmaps, 300 deployments, 3 members, 200 edits, 60 s idle, no sweep', () => {
    expect(parseBenchArgs([])).toEqual({
      members: 3,
      objects: 1000,
      deployments: 300,
      edits: 200,
      idleSeconds: 60,
      workers: 1,
      memberQps: 20,
      memberBurst: 30,
      sweep: [],
      resultsDir: undefined,
    });
  });

  it('reads every flag, including a sweep list and a results directory', () => {
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
        '--results-dir',
        '/tmp/r',
      ]),
    ).toEqual({
      members: 2,
      objects: 50,
      deployments: 0,
      edits: 5,
      idleSeconds: 10,
      workers: 4,
      memberQps: 2.5,
      memberBurst: 5,
      sweep: [1000, 5000],
      resultsDir: '/tmp/r',
    });
  });

  it('rejects bad values naming the flag and a valid example', () => {
    expect(() => parseBenchArgs(['--members', '0'])).toThrow(
      /--members "0" is not a whole number >= 1; e\.g\. --members 2/,
    );
    expect(() => parseBenchArgs(['--objects', '1e3'])).toThrow(/--objects "1e3"/);
    expect(() => parseBenchArgs(['--member-qps', '0'])).toThrow(/--member-qps "0" is not a positive number/);
    expect(() => parseBenchArgs(['--sweep', '5000,1000'])).toThrow(/--sweep "5000,1000" must increase/);
    expect(() => parseBenchArgs(['--sweep', '1000,x'])).toThrow(/--sweep "x"/);
    expect(() => parseBenchArgs(['--objects', '0', '--deployments', '0'])).toThrow(/nothing to propagate/);
    expect(() => parseBenchArgs(['--bogus', '1'])).toThrow(/--bogus[\s\S]*Usage: npm run bench/);
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
      workers: 1,
      memberQps: 20,
      memberBurst: 30,
      sweep: [],
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
    },
    ratio: 1.5,
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

describe('renderMarkdown', () => {
  it('reports each target of issue #12 as met or not, from the numbers of the run', () => {
    const md = renderMarkdown(result(), { bulk: 'bulk.svg', change: 'change.svg' });
    expect(md).toContain('| bulk propagation within 1.1x of the bound | 1.50x | **not met** |');
    expect(md).toContain('| single-change p99 within 100 ms of one member write | +105 ms | **not met** |');
    expect(md).toContain('| 0 idle writes | 0 in 60 s | met |');
    expect(md).toContain('not measured (run with --sweep)');
    expect(md).toContain('| time until all 3 objects propagated | 1.50 s | 1.00 s |');
    expect(md).toContain('| peak RSS of the manager (VmHWM) | 200.0 MiB (100.0 MiB before) | |');
    expect(md).toContain('| cluster1 | 0.20 | get 12 |');
    expect(md).toContain('| cluster2 | 0.00 | none |');
    expect(md).toContain('![bulk propagation](bulk.svg)');
    expect(md).not.toContain('## Scale sweep');
  });

  it('adds the sweep table and judges memory per pair by its worst step', () => {
    const r = result();
    r.ratio = 1.05;
    r.change.p99OverDirectMs = 40;
    r.sweep = [
      {
        objects: 1000,
        pairs: 3000,
        initialSyncMs: 2500,
        requestsDuringSync: 40,
        writesDuringSync: 0,
        rssBytes: 110 * 1048576,
        rssBytesPerPair: 3500,
        heapBytes: 40 * 1048576,
        bytesPerPair: 1500,
      },
      {
        objects: 5000,
        pairs: 15000,
        initialSyncMs: 9000,
        requestsDuringSync: 45,
        writesDuringSync: 3,
        rssBytes: 140 * 1048576,
        rssBytesPerPair: 3000,
        heapBytes: 80 * 1048576,
        bytesPerPair: 2800,
        marginalBytesPerPair: 2621,
      },
    ];
    const md = renderMarkdown(r, { bulk: 'a/bulk.svg', change: 'a/change.svg' });
    expect(md).toContain('| 1.05x | met |');
    expect(md).toContain('| +40 ms | met |');
    expect(md).toContain('| 2621 bytes (worst sweep step) | **not met** |');
    expect(md).toContain('| 1000 | 3000 | 2.50 s | 40 / 0 | 40.0 MiB | 1.5 KiB |  | 110.0 MiB (3.4 KiB) |');
    expect(md).toContain('baseline of 30.0 MiB');
    expect(md).toContain(
      '| 5000 | 15000 | 9.00 s | 45 / 3 | 80.0 MiB | 2.7 KiB | 2.6 KiB | 140.0 MiB (2.9 KiB) |',
    );
  });
});

describe('the single-change target', () => {
  it('writes the p99 difference with its sign, also when the federated path was faster', () => {
    const r = result();
    r.change.p99OverDirectMs = -11.2;
    expect(renderMarkdown(r, { bulk: 'b', change: 'c' })).toContain(
      '| single-change p99 within 100 ms of one member write | -11 ms | met |',
    );
  });
});

describe('the memory target', () => {
  it('reads 2 KB as 2,000 bytes: 2,040 bytes per pair is not met, 1,990 is', () => {
    const step = (bytesPerPair: number) => ({
      objects: 1000,
      pairs: 3000,
      initialSyncMs: 2500,
      requestsDuringSync: 40,
      writesDuringSync: 0,
      rssBytes: 110 * 1048576,
      rssBytesPerPair: 3500,
      heapBytes: 40 * 1048576,
      bytesPerPair,
    });
    const r = result();
    r.sweep = [step(2040)];
    expect(renderMarkdown(r, { bulk: 'b', change: 'c' })).toContain(
      '| 2040 bytes (worst sweep step) | **not met** |',
    );
    r.sweep = [step(1990)];
    expect(renderMarkdown(r, { bulk: 'b', change: 'c' })).toContain(
      '| 1990 bytes (worst sweep step) | met |',
    );
  });
});

describe('renderMarkdown of a failed sweep', () => {
  it('says why the sweep stopped, keeping the steps it finished', () => {
    const r = result();
    r.sweepError = 'timed out after 600 s: 4000/5000 federated objects Propagation=True';
    const md = renderMarkdown(r, { bulk: 'bulk.svg', change: 'change.svg' });
    expect(md).toContain('## Scale sweep');
    expect(md).toContain('The sweep stopped early: timed out after 600 s: 4000/5000');
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
