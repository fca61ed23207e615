/**
 * The pure parts of the propagation benchmark (bench/propagation.ts): argument parsing,
 * latency summaries, Prometheus text parsing, and the Markdown table and SVG plots of a result.
 * No I/O here; unit-tested in src/bench/report.test.ts (vitest's unit project covers src/ only).
 */
import { parseArgs } from 'node:util';

/** The KubeFedConfig default of `syncController.maxConcurrentReconciles` (src/api/kubefedconfig.ts, upstream's). */
export const DEFAULT_SYNC_WORKERS = 1;

export interface BenchOptions {
  /** Member clusters besides the host (`kubefed-local up --members`); the host is not joined. */
  members: number;
  /** FederatedConfigMaps of the bulk measurement. */
  objects: number;
  /** FederatedDeployments of the bulk measurement. */
  deployments: number;
  /** Successive template edits of the single-change measurement. */
  edits: number;
  /** Length of the idle window. */
  idleSeconds: number;
  /**
   * `syncController.maxConcurrentReconciles` of the KubeFedConfig, and bound (a)'s concurrency per
   * type; undefined: the KubeFedConfig default ({@link DEFAULT_SYNC_WORKERS}), left unset.
   */
  workers: number | undefined;
  /** Per-member client rate limit of the manager (`--member-qps`/`--member-burst`) and of the bound. */
  memberQps: number;
  memberBurst: number;
  /** Scale sweep: total FederatedConfigMaps per step (empty: no sweep). */
  sweep: number[];
  /** Requests in flight tried by bound (b), the plain client without rate limit (best one counts). */
  physical: number[];
  /** Write the manager's V8 CPU profile (`--cpu-prof`) into this directory and summarise it. */
  cpuProf: string | undefined;
  /** Where results go (bench/results by default). */
  resultsDir: string | undefined;
  /**
   * The chart's admission hooks on Federated<Kind> objects, served by a local kubefed-webhook:
   * `all` (validating and the sync finalizer, as installed), `validating` (no sync finalizer at
   * admission: the controller adds it), `none` (no webhook). Absent in results from before.
   */
  webhooks?: WebhookMode;
}

export const WEBHOOK_MODES = ['all', 'validating', 'none'] as const;
export type WebhookMode = (typeof WEBHOOK_MODES)[number];
const WEBHOOK_SETUP: Record<WebhookMode, string> = {
  all: 'the webhook validates every create and update of a federated object and sets the sync finalizer on new ones (`--webhooks all`)',
  validating:
    'the webhook validates every create and update of a federated object; the sync finalizer is left to the controller (`--webhooks validating`)',
  none: 'no webhook (`--webhooks none`)',
};

export const USAGE = `Usage: npm run bench [-- options]
  --members N         member clusters besides the host (default 3)
  --objects M         FederatedConfigMaps propagated in bulk (default 1000)
  --deployments D     FederatedDeployments propagated in bulk (default 300)
  --edits E           successive template edits for single-change latency (default 200)
  --idle-seconds S    idle window (default 60)
  --workers W         syncController.maxConcurrentReconciles (default: the KubeFedConfig default, ${DEFAULT_SYNC_WORKERS}); the manager and bound (a) run max(W, 32) objects per type at once
  --member-qps Q      per-member client rate limit of manager and bound (a) (default 20, the manager default)
  --member-burst B    per-member client burst of manager and bound (a) (default 30, the manager default)
  --physical N1,...   requests in flight tried by bound (b), a plain client with no rate limit (default 4,16,64)
  --sweep N1,N2,...   scale sweep: total FederatedConfigMaps per step, then a manager restart (default: off)
  --webhooks MODE     the chart's hooks on Federated<Kind> objects: all (default, as installed), validating (no sync finalizer at admission), none
  --cpu-prof DIR      run the manager with node --cpu-prof into DIR and report where its CPU went
  --results-dir DIR   results directory (default bench/results)`;

function count(flag: string, raw: string, min: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min)
    throw new Error(`--${flag} "${raw}" is not a whole number >= ${min}; e.g. --${flag} ${Math.max(min, 2)}`);
  return n;
}

function rate(flag: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new Error(`--${flag} "${raw}" is not a positive number; e.g. --${flag} 20`);
  return n;
}

function webhookMode(raw: string): WebhookMode {
  const mode = WEBHOOK_MODES.find((m) => m === raw);
  if (!mode)
    throw new Error(`--webhooks "${raw}" is not one of ${WEBHOOK_MODES.join(', ')}; e.g. --webhooks all`);
  return mode;
}

/** Parses the benchmark's flags; throws an error naming the flag and a valid value. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        members: { type: 'string', default: '3' },
        objects: { type: 'string', default: '1000' },
        deployments: { type: 'string', default: '300' },
        edits: { type: 'string', default: '200' },
        'idle-seconds': { type: 'string', default: '60' },
        workers: { type: 'string' },
        'member-qps': { type: 'string', default: '20' },
        'member-burst': { type: 'string', default: '30' },
        sweep: { type: 'string', default: '' },
        physical: { type: 'string', default: '4,16,64' },
        'cpu-prof': { type: 'string' },
        'results-dir': { type: 'string' },
        webhooks: { type: 'string', default: 'all' },
      },
    });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${USAGE}`, { cause: err });
  }
  const v = parsed.values;
  const sweep = v.sweep.trim() === '' ? [] : v.sweep.split(',').map((s) => count('sweep', s, 1));
  for (let i = 1; i < sweep.length; i++)
    if (sweep[i]! <= sweep[i - 1]!)
      throw new Error(`--sweep "${v.sweep}" must increase step by step; e.g. --sweep 1000,5000`);
  const options: BenchOptions = {
    members: count('members', v.members, 1),
    objects: count('objects', v.objects, 0),
    deployments: count('deployments', v.deployments, 0),
    edits: count('edits', v.edits, 1),
    idleSeconds: count('idle-seconds', v['idle-seconds'], 1),
    workers: v.workers === undefined ? undefined : count('workers', v.workers, 1),
    memberQps: rate('member-qps', v['member-qps']),
    memberBurst: count('member-burst', v['member-burst'], 1),
    sweep,
    physical: v.physical.split(',').map((s) => count('physical', s, 1)),
    cpuProf: v['cpu-prof'],
    resultsDir: v['results-dir'],
    webhooks: webhookMode(v.webhooks),
  };
  if (options.objects + options.deployments === 0)
    throw new Error('--objects and --deployments are both 0: nothing to propagate; e.g. --objects 50');
  return options;
}

/** The nearest-rank percentile (`p` in 0..100) of `values`; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Count, extremes, mean and p50/p90/p99 of `values`, rounded to 0.1. */
export function summarize(values: readonly number[]): Summary {
  const r = (x: number) => Math.round(x * 10) / 10;
  if (values.length === 0) return { n: 0, min: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  return {
    n: values.length,
    min: r(Math.min(...values)),
    p50: r(percentile(values, 50)),
    p90: r(percentile(values, 90)),
    p99: r(percentile(values, 99)),
    max: r(Math.max(...values)),
    mean: r(values.reduce((a, b) => a + b, 0) / values.length),
  };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (comments and blank lines skipped). */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** `rest_client_requests_total` summed by cluster and verb: `counts[cluster][verb]`. */
export type RequestCounts = Record<string, Record<string, number>>;

export function requestCounts(samples: readonly Sample[]): RequestCounts {
  const out: RequestCounts = {};
  for (const s of samples) {
    if (s.name !== 'rest_client_requests_total') continue;
    const cluster = s.labels.cluster ?? '';
    const verb = s.labels.verb ?? '';
    const byVerb = (out[cluster] ??= {});
    byVerb[verb] = (byVerb[verb] ?? 0) + s.value;
  }
  return out;
}

/** `after - before`, keeping only non-zero differences. */
export function diffCounts(before: RequestCounts, after: RequestCounts): RequestCounts {
  const out: RequestCounts = {};
  for (const [cluster, verbs] of Object.entries(after))
    for (const [verb, n] of Object.entries(verbs)) {
      const d = n - (before[cluster]?.[verb] ?? 0);
      if (d !== 0) (out[cluster] ??= {})[verb] = d;
    }
  return out;
}

export const WRITE_VERBS: ReadonlySet<string> = new Set(['post', 'put', 'patch', 'delete']);

export function totalRequests(counts: RequestCounts, filter: (cluster: string, verb: string) => boolean) {
  let n = 0;
  for (const [cluster, verbs] of Object.entries(counts))
    for (const [verb, c] of Object.entries(verbs)) if (filter(cluster, verb)) n += c;
  return n;
}

export interface SweepPoint {
  objects: number;
  pairs: number;
  /** From spawning the restarted manager until it reconciled every federated object and its queues are empty. */
  initialSyncMs: number;
  /** Requests, and writes, of the restarted manager up to the end of its initial sync (0 writes: nothing rewritten). */
  requestsDuringSync: number;
  writesDuringSync: number;
  /** Resident set of the manager right after its initial sync, and its growth over the baseline per pair. */
  rssBytes: number;
  rssBytesPerPair: number;
  /** JS heap in use after a full GC, and its growth over the baseline (same, with no federated object) per pair. */
  heapBytes: number;
  bytesPerPair: number;
  /** (heap - heap of the previous step) / (pairs - pairs of the previous step); absent at the first step. */
  marginalBytesPerPair?: number;
}

/** A phase starts once the machine is below this many busy cores (idle clusters and manager: about 0.15)... */
export const QUIET_CORES = 0.35;
/** ... for this long in a row. */
export const QUIET_WINDOW_MS = 2000;

export interface BenchResult {
  startedAt: string;
  durationSeconds: number;
  machine: { cpus: number; node: string; kubernetes: string };
  options: Omit<BenchOptions, 'resultsDir'>;
  bulk: {
    objects: number;
    members: number;
    pairs: number;
    seconds: number;
    objectsPerSecond: number;
    latencyMs: Summary;
    /** Per-object latency, object index order (creation order), for the plot. */
    doneAtMs: number[];
    managerPeakRssBytes: number;
    managerBaselineRssBytes: number;
    /** JS heap in use after a full GC before the bulk objects: the baseline of the sweep. */
    managerBaselineHeapBytes: number;
    requests: RequestCounts;
    requestsPerObject: { host: number; members: number; total: number; writes: number };
  };
  /** Bound (a): a plain client at the manager's concurrency and per-member rate limits. */
  bound: {
    seconds: number;
    objectsPerSecond: number;
    latencyMs: Summary;
    doneAtMs: number[];
    writes: number;
    /** CPU seconds of the whole machine (clusters and the benchmark's client) while it ran. */
    machineCpuSeconds: number;
    /** The processes that used the most of it. */
    cpuByProcess?: { process: string; seconds: number }[];
  };
  /** Bound (b): a plain client with no rate limit, per number of requests in flight; the best counts. */
  physical: { inFlight: number; seconds: number; objectsPerSecond: number; machineCpuSeconds: number }[];
  /**
   * Seconds each phase waited for a quiet machine before it started; absent in results from before
   * the wait (and from before the members' kube-controller-managers were stopped for the run).
   */
  quietWaitSeconds?: Record<string, number>;
  /** Our bulk time / bound (a)'s. */
  ratio: number;
  /** Our bulk time / the best of bound (b). */
  ratioPhysical: number;
  /** CPU seconds during our bulk: the manager's own, and the whole machine's (clusters, benchmark, manager). */
  bulkCpu: {
    managerSeconds: number;
    machineSeconds: number;
    /** The processes that used the most CPU during the bulk. */
    byProcess?: { process: string; seconds: number }[];
  };
  /** Where the manager's CPU went (with --cpu-prof). */
  cpuProfile?: ProfileSummary;
  change: {
    edits: number;
    federatedMs: Summary;
    directMs: Summary;
    federatedSamples: number[];
    directSamples: number[];
    p99OverDirectMs: number;
  };
  idle: {
    seconds: number;
    requests: RequestCounts;
    perSecond: Record<string, number>;
    writes: number;
  };
  sweep: SweepPoint[];
  /** Why the sweep stopped early (its completed steps are in `sweep`). */
  sweepError?: string;
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
/** A difference with its sign: +44, -11, 0. */
const signed = (n: number) => (Math.round(n) > 0 ? `+${fmt(n, 0)}` : fmt(n, 0));
const kib = (bytes: number) => `${fmt(bytes / 1024)} KiB`;
const mib = (bytes: number) => `${fmt(bytes / 1024 / 1024)} MiB`;
const met = (ok: boolean) => (ok ? 'met' : '**not met**');

/** The Markdown report: the targets of issue #19 first, then each measurement. */
export function renderMarkdown(r: BenchResult, svgFiles: { bulk: string; change: string }): string {
  const o = r.options;
  const limiterHigh = o.memberQps >= 1000;
  const pairStep = r.sweep.find((s) => s.pairs >= 30_000);
  const restartStep = r.sweep.find((s) => s.objects >= 30_000);
  const best = bestPhysical(r);
  const lines = [
    `# Propagation benchmark, ${r.startedAt}`,
    '',
    `${o.members} member clusters (host not joined), ${r.bulk.objects} federated objects ` +
      `(${o.objects} FederatedConfigMaps + ${o.deployments} FederatedDeployments), ` +
      `${o.workers ?? DEFAULT_SYNC_WORKERS} worker(s) per type${o.workers === undefined ? ' (KubeFedConfig default)' : ''}, member client ${o.memberQps} qps / burst ${o.memberBurst}; ` +
      `${r.machine.cpus} CPUs, Node ${r.machine.node}, Kubernetes ${r.machine.kubernetes}; run took ${fmt(r.durationSeconds, 0)} s.`,
    ...(o.webhooks
      ? [
          '',
          `The control plane as the chart installs it: the manager authenticates with a ServiceAccount token; ${WEBHOOK_SETUP[o.webhooks]}.`,
        ]
      : []),
    '',
    `| target (issue #19) | measured | |`,
    '|---|---|---|',
    ...(limiterHigh
      ? [
          `| bulk <= 1.2x bound (a), the same concurrency and limits | ${fmt(r.ratio, 2)}x | ${met(r.ratio <= 1.2)} |`,
          `| bulk <= 2x bound (b), the API servers' own limit | ${fmt(r.ratioPhysical, 2)}x | ${met(r.ratioPhysical <= 2)} |`,
        ]
      : [
          `| bulk <= 1.1x bound (a) at the manager's default limits | ${fmt(r.ratio, 2)}x | ${met(r.ratio <= 1.1)} |`,
          `| bulk against bound (b), the API servers' own limit (no target at these limits) | ${fmt(r.ratioPhysical, 2)}x | |`,
        ]),
    `| single-change p99 within 20 ms of one member write | ${signed(r.change.p99OverDirectMs)} ms | ${met(r.change.p99OverDirectMs <= 20)} |`,
    `| 0 idle writes | ${r.idle.writes} in ${r.idle.seconds} s | ${met(r.idle.writes === 0)} |`,
    pairStep
      ? `| <= 1,000 bytes of heap per (object, cluster) pair at 30k pairs | ${fmt(pairStep.bytesPerPair, 0)} bytes at ${pairStep.pairs} pairs | ${met(pairStep.bytesPerPair <= 1000)} |`
      : `| <= 1,000 bytes of heap per (object, cluster) pair at 30k pairs | not measured (run with --sweep reaching 30,000 pairs) | |`,
    restartStep
      ? `| restart at 30k objects < 15 s with 0 writes | ${fmt(restartStep.initialSyncMs / 1000, 2)} s, ${restartStep.writesDuringSync} writes at ${restartStep.objects} objects | ${met(restartStep.initialSyncMs < 15_000 && restartStep.writesDuringSync === 0)} |`
      : `| restart at 30k objects < 15 s with 0 writes | not measured (run with --sweep reaching 30,000 objects) | |`,
    '',
    '## Bulk propagation and the bound',
    '',
    `Bound (a): a plain client writes the same rendered objects into the members at the manager's concurrency ` +
      `and per-member limits. Bound (b): the same writes with no rate limit at ${r.physical.map((p) => p.inFlight).join(' / ')} ` +
      `requests in flight, the best counting (${r.physical.map((p) => `${p.inFlight}: ${fmt(p.seconds, 2)} s`).join(', ')}). ` +
      `CPU: seconds of CPU used (the machine has ${r.machine.cpus}); the clusters share it with the manager.` +
      (r.quietWaitSeconds
        ? ` The members' kube-controller-managers are stopped (the status writes they make for each Deployment are no ` +
          `part of propagating, and at their 20 qps they would land in the longest phase, ours), and each phase started on a ` +
          `quiet machine (under ${QUIET_CORES} busy cores for ${QUIET_WINDOW_MS / 1000} s); waits: ${Object.entries(
            r.quietWaitSeconds,
          )
            .map(([phase, sec]) => `${phase} ${fmt(sec)} s`)
            .join(', ')}.`
        : ''),
    '',
    '| measure | kubefed-ts | bound (a) | bound (b) |',
    '|---|---|---|---|',
    `| time until all ${r.bulk.objects} objects propagated | ${fmt(r.bulk.seconds, 2)} s | ${fmt(r.bound.seconds, 2)} s | ${best ? `${fmt(best.seconds, 2)} s (${best.inFlight} in flight)` : 'n/a'} |`,
    `| objects/s | ${fmt(r.bulk.objectsPerSecond)} | ${fmt(r.bound.objectsPerSecond)} | ${best ? fmt(best.objectsPerSecond) : 'n/a'} |`,
    `| our time / bound time | 1 | ${fmt(r.ratio, 3)} | ${fmt(r.ratioPhysical, 3)} |`,
    `| CPU seconds: manager / whole machine | ${fmt(r.bulkCpu.managerSeconds)} / ${fmt(r.bulkCpu.machineSeconds)} | - / ${fmt(r.bound.machineCpuSeconds)} | - / ${best ? fmt(best.machineCpuSeconds) : 'n/a'} |`,
    `| CPU seconds by process (top) | ${(r.bulkCpu.byProcess ?? []).map((p) => `${p.process} ${fmt(p.seconds)}`).join(', ')} | ${(r.bound.cpuByProcess ?? []).map((p) => `${p.process} ${fmt(p.seconds)}`).join(', ')} | |`,
    `| per-object latency p50 / p99 | ${fmt(r.bulk.latencyMs.p50, 0)} / ${fmt(r.bulk.latencyMs.p99, 0)} ms | ${fmt(r.bound.latencyMs.p50, 0)} / ${fmt(r.bound.latencyMs.p99, 0)} ms | |`,
    `| peak RSS of the manager (VmHWM) | ${mib(r.bulk.managerPeakRssBytes)} (${mib(r.bulk.managerBaselineRssBytes)} before) | | |`,
    `| API requests per propagated object: host / members / total | ${fmt(r.bulk.requestsPerObject.host, 2)} / ${fmt(r.bulk.requestsPerObject.members, 2)} / ${fmt(r.bulk.requestsPerObject.total, 2)} | ${fmt(r.bound.writes / r.bulk.objects, 2)} (member writes) | same |`,
    `| of which writes | ${fmt(r.bulk.requestsPerObject.writes, 2)} | ${fmt(r.bound.writes / r.bulk.objects, 2)} | same |`,
    `| requests by cluster and verb | ${Object.entries(r.bulk.requests)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(
        ([c, verbs]) =>
          `${c}: ${Object.entries(verbs)
            .map(([v, n]) => `${v} ${n}`)
            .join(', ')}`,
      )
      .join('; ')} | | |`,
    '',
    `![bulk propagation](${svgFiles.bulk})`,
    '',
    '## Single-change latency',
    '',
    `${r.change.edits} successive edits of one object, each from the write until visible in all ${o.members} members (member watches), ` +
      `paced ${fmt(Math.max(50, 2000 / o.memberQps), 0)} ms apart so that no client waits for its rate limiter.`,
    '',
    '| path | p50 | p90 | p99 | max |',
    '|---|---|---|---|---|',
    `| template edit of a FederatedConfigMap (host) | ${fmt(r.change.federatedMs.p50)} ms | ${fmt(r.change.federatedMs.p90)} ms | ${fmt(r.change.federatedMs.p99)} ms | ${fmt(r.change.federatedMs.max)} ms |`,
    `| plain patch of a ConfigMap in every member (bound) | ${fmt(r.change.directMs.p50)} ms | ${fmt(r.change.directMs.p90)} ms | ${fmt(r.change.directMs.p99)} ms | ${fmt(r.change.directMs.max)} ms |`,
    '',
    `![single-change latency](${svgFiles.change})`,
    '',
    '## Idle cost',
    '',
    `${r.idle.seconds} s with nothing changing, from the manager's \`rest_client_requests_total\`.`,
    '',
    '| cluster | requests/s | by verb |',
    '|---|---|---|',
    ...Object.keys(r.idle.perSecond)
      .sort()
      .map(
        (c) =>
          `| ${c} | ${fmt(r.idle.perSecond[c]!, 2)} | ${
            Object.entries(r.idle.requests[c] ?? {})
              .map(([verb, n]) => `${verb} ${n}`)
              .join(', ') || 'none'
          } |`,
      ),
    `| writes (post, put, patch, delete) | ${r.idle.writes} | |`,
    '',
  ];
  if (r.sweep.length > 0 || r.sweepError)
    lines.push(
      '## Scale sweep',
      '',
      `Per step: FederatedConfigMaps added up to the step's count (the bulk objects stay), then a manager restart. ` +
        `Initial sync: from spawning the manager until it reconciled every federated object once with empty queues. ` +
        `Memory: the manager's JS heap in use after a forced full GC (inspector), over its baseline of ${mib(r.bulk.managerBaselineHeapBytes)} with no federated object, per (object, cluster) pair; RSS for reference.`,
      '',
      '| federated objects | (object, cluster) pairs | initial sync after restart | requests / writes during it | heap after GC | heap per pair | marginal heap per pair | RSS (per pair) |',
      '|---|---|---|---|---|---|---|---|',
      ...r.sweep.map(
        (s) =>
          `| ${s.objects} | ${s.pairs} | ${fmt(s.initialSyncMs / 1000, 2)} s | ${s.requestsDuringSync} / ${s.writesDuringSync} | ${mib(s.heapBytes)} | ${kib(s.bytesPerPair)} | ${s.marginalBytesPerPair === undefined ? '' : kib(s.marginalBytesPerPair)} | ${mib(s.rssBytes)} (${kib(s.rssBytesPerPair)}) |`,
      ),
      ...(r.sweepError ? ['', `The sweep stopped early: ${r.sweepError}`] : []),
      '',
    );
  if (r.cpuProfile) lines.push(...renderProfile(r.cpuProfile), '');
  return lines.join('\n');
}

/** The fastest run of bound (b). */
export function bestPhysical(r: Pick<BenchResult, 'physical'>): BenchResult['physical'][number] | undefined {
  return [...r.physical].sort((a, b) => a.seconds - b.seconds)[0];
}

function renderProfile(p: ProfileSummary): string[] {
  const pct = (ms: number) => `${fmt((100 * ms) / p.busyMs)} %`;
  return [
    "## Where the manager's CPU went (--cpu-prof)",
    '',
    `${fmt(p.busyMs / 1000, 2)} s of CPU sampled over ${fmt(p.totalMs / 1000, 1)} s (idle excluded); self time.`,
    '',
    '| area | self time | share |',
    '|---|---|---|',
    ...p.areas.map((a) => `| ${a.name} | ${fmt(a.ms / 1000, 2)} s | ${pct(a.ms)} |`),
    '',
    '| function (file:line) | self time | share |',
    '|---|---|---|',
    ...p.functions.map((f) => `| \`${f.name}\` ${f.where} | ${fmt(f.ms / 1000, 2)} s | ${pct(f.ms)} |`),
  ];
}

/** A V8 `.cpuprofile` (node --cpu-prof), the fields read here. */
export interface CpuProfile {
  nodes: {
    id: number;
    hitCount?: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Sampled time not idle. */
  busyMs: number;
  /** Self time by area: our source file, an npm package, Node's internals, GC, … (largest first). */
  areas: { name: string; ms: number }[];
  /** The functions with the most self time. */
  functions: { name: string; where: string; ms: number }[];
}

/** Where a frame's code lives: `src/kube/client.ts`, `undici`, `node internals`, `(garbage collector)`. */
export function profileArea(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const ours = /\/dist\/(.+)\.js$/.exec(url);
  if (ours) return `src/${ours[1]}.ts`;
  if (url.startsWith('node:')) return 'node internals';
  return url;
}

function lastSampleAt(p: CpuProfile): number {
  return (p.timeDeltas ?? []).reduce((t, d) => t + d, p.startTime);
}

/** Self time per area and per function of a CPU profile, idle excluded, `top` functions kept. */
export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  // Self time from samples and their deltas when present (exact), else hit counts x mean interval.
  const selfMs = new Map<number, number>();
  if (profile.samples && profile.timeDeltas && profile.samples.length === profile.timeDeltas.length) {
    for (let i = 0; i < profile.samples.length; i++) {
      // A sample lasts until the next one; the last one until the profile's end.
      const next = profile.timeDeltas[i + 1] ?? Math.max(0, profile.endTime - lastSampleAt(profile));
      selfMs.set(profile.samples[i]!, (selfMs.get(profile.samples[i]!) ?? 0) + next / 1000);
    }
  } else {
    const hits = profile.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0);
    for (const n of profile.nodes) selfMs.set(n.id, ((n.hitCount ?? 0) * totalMs) / Math.max(1, hits));
  }
  const areas = new Map<string, number>();
  const functions = new Map<string, { name: string; where: string; ms: number }>();
  let busyMs = 0;
  for (const n of profile.nodes) {
    const ms = selfMs.get(n.id) ?? 0;
    const { functionName, url, lineNumber } = n.callFrame;
    if (ms === 0 || functionName === '(idle)') continue;
    busyMs += ms;
    const area = profileArea(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const where = url ? `${area}:${lineNumber + 1}` : area;
    const key = `${functionName}@${where}`;
    const f = functions.get(key) ?? { name: functionName || '(anonymous)', where, ms: 0 };
    f.ms += ms;
    functions.set(key, f);
  }
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    totalMs: round(totalMs),
    busyMs: round(busyMs),
    areas: [...areas]
      .map(([name, ms]) => ({ name, ms: round(ms) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 15),
    functions: [...functions.values()]
      .map((f) => ({ ...f, ms: round(f.ms) }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top),
  };
}

export interface Series {
  name: string;
  color: string;
  /** [x, y] points, drawn in order. */
  points: readonly (readonly [number, number])[];
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  /** Corner of the legend (default top-left): the one the curves leave empty. */
  legend?: 'top-left' | 'bottom-right';
  width?: number;
  height?: number;
}

const esc = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** 1, 2 or 5 times a power of ten: a readable tick step giving about `n` ticks over `span`. */
export function niceStep(span: number, n = 5): number {
  if (!(span > 0)) return 1;
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

const tickLabel = (v: number) => String(Number(v.toPrecision(6)));

/** A line chart as a standalone SVG document: axes from 0, ticks, a legend, one polyline per series. */
export function lineChartSvg(chart: Chart): string {
  const W = chart.width ?? 720;
  const H = chart.height ?? 420;
  const m = { left: 70, right: 20, top: 40, bottom: 50 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const all = chart.series.flatMap((s) => s.points);
  const xStep = niceStep(Math.max(0, ...all.map((p) => p[0])));
  const yStep = niceStep(Math.max(0, ...all.map((p) => p[1])));
  const xMax = Math.max(xStep, Math.ceil(Math.max(0, ...all.map((p) => p[0])) / xStep) * xStep);
  const yMax = Math.max(yStep, Math.ceil(Math.max(0, ...all.map((p) => p[1])) / yStep) * yStep);
  const X = (x: number) => (m.left + (x / xMax) * pw).toFixed(1);
  const Y = (y: number) => (m.top + ph - (y / yMax) * ph).toFixed(1);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${esc(chart.title)}</text>`,
  ];
  for (let x = 0; x <= xMax + xStep / 1e6; x += xStep)
    out.push(
      `<line x1="${X(x)}" y1="${m.top}" x2="${X(x)}" y2="${m.top + ph}" stroke="#e5e5e5"/>`,
      `<text x="${X(x)}" y="${m.top + ph + 16}" text-anchor="middle">${tickLabel(x)}</text>`,
    );
  for (let y = 0; y <= yMax + yStep / 1e6; y += yStep)
    out.push(
      `<line x1="${m.left}" y1="${Y(y)}" x2="${m.left + pw}" y2="${Y(y)}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 6}" y="${Y(y)}" text-anchor="end" dominant-baseline="middle">${tickLabel(y)}</text>`,
    );
  out.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`,
    `<text x="${m.left + pw / 2}" y="${H - 10}" text-anchor="middle">${esc(chart.xLabel)}</text>`,
    `<text x="16" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.top + ph / 2})">${esc(chart.yLabel)}</text>`,
  );
  chart.series.forEach((s, i) => {
    if (s.points.length > 0)
      out.push(
        `<polyline fill="none" stroke="${esc(s.color)}" stroke-width="2" points="${s.points.map(([x, y]) => `${X(x)},${Y(y)}`).join(' ')}"/>`,
      );
    const bottom = chart.legend === 'bottom-right';
    const ly = bottom ? m.top + ph - 16 - (chart.series.length - 1 - i) * 18 : m.top + 16 + i * 18;
    const lx = bottom ? m.left + pw - 320 : m.left + 12;
    out.push(
      `<line x1="${lx}" y1="${ly}" x2="${lx + 24}" y2="${ly}" stroke="${esc(s.color)}" stroke-width="2"/>`,
      `<text x="${lx + 30}" y="${ly}" dominant-baseline="middle">${esc(s.name)}</text>`,
    );
  });
  out.push('</svg>', '');
  return out.join('\n');
}

/** Cumulative completions: after sorting, the i-th completion time (s) against i+1 objects. */
export function cumulative(doneAtMs: readonly number[]): [number, number][] {
  const sorted = [...doneAtMs].sort((a, b) => a - b);
  return [[0, 0], ...sorted.map((t, i): [number, number] => [t / 1000, i + 1])];
}

/** The empirical distribution: the i-th smallest latency (ms) against its percentile. */
export function distribution(latenciesMs: readonly number[]): [number, number][] {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return sorted.map((v, i): [number, number] => [((i + 1) / sorted.length) * 100, v]);
}

export function bulkChart(r: BenchResult): Chart {
  return {
    title: `Bulk propagation: ${r.bulk.objects} objects to ${r.bulk.members} members`,
    xLabel: 'seconds since the first create',
    yLabel: 'objects done',
    legend: 'bottom-right',
    series: [
      {
        name: `kubefed-ts (Propagation=True), ${fmt(r.bulk.seconds, 1)} s`,
        color: '#1f77b4',
        points: cumulative(r.bulk.doneAtMs),
      },
      {
        name: `bound (plain client writes), ${fmt(r.bound.seconds, 1)} s`,
        color: '#d62728',
        points: cumulative(r.bound.doneAtMs),
      },
    ],
  };
}

export function changeChart(r: BenchResult): Chart {
  return {
    title: `Single-change latency, ${r.change.edits} edits, visible in all members`,
    xLabel: 'percentile',
    yLabel: 'milliseconds',
    series: [
      {
        name: 'template edit of a federated object',
        color: '#1f77b4',
        points: distribution(r.change.federatedSamples),
      },
      {
        name: 'plain patch in every member (bound)',
        color: '#d62728',
        points: distribution(r.change.directSamples),
      },
    ],
  };
}
