/**
 * Propagation benchmark (issue #12; not a test). On its own local clusters (`kubefed-local up
 * --members N --no-workloads` in a temp state dir; the host is not joined) and its own
 * kubefed-controller-manager process, measures in one run:
 *  1. bulk propagation of M FederatedConfigMaps + D FederatedDeployments to every member: time
 *     until all are Propagation=True (host watch), objects/s, per-object latency, the manager's
 *     peak RSS (VmHWM) and API requests per object (the manager's rest_client_requests_total);
 *  2. the bound, before the manager starts: a plain ClusterClient per member writes the same
 *     rendered objects (renderForCluster) with the same concurrency and per-member rate limits;
 *  3. single-change latency: E template edits of one FederatedConfigMap until visible in every
 *     member (member watches), against E plain patches of a ConfigMap in every member;
 *  4. idle cost: requests/s per cluster over a window with nothing changing, and the writes;
 *  5. with --sweep: per step, FederatedConfigMaps up to the step's count, then a manager restart:
 *     initial sync time and RSS per (object, cluster) pair.
 * Results: bench/results/<timestamp>/{result.json,result.md,bulk.svg,change.svg} and
 * bench/results/latest.md. Everything it starts (clusters, manager) is stopped on exit, failure
 * or Ctrl-C. Usage: see USAGE in report.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FederatedObject } from '../src/api/types.js';
import type { LocalState } from '../src/cli/local/state.js';
import { freePorts } from '../src/cli/local/ports.js';
import { PIPELINE_DEPTH } from '../src/controllers/sync/controller.js';
import { renderForCluster, MANAGED_LABEL } from '../src/federation/render.js';
import { WebSocket, type MessageEvent } from 'undici';
import { ClusterClient } from '../src/kube/client.js';
import { Kubeconfig } from '../src/kube/credentials.js';
import { isAlreadyExists } from '../src/kube/errors.js';
import { Informer } from '../src/kube/informer.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../src/kube/resource.js';
import { PollAbort, pollUntil, sleep } from '../src/poll.js';
import { makeServingCert, startLocalWebhook } from '../test/support/webhook.js';
import {
  bestPhysical,
  bulkChart,
  DEFAULT_SYNC_WORKERS,
  summarizeProfile,
  type CpuProfile,
  type ProfileSummary,
  changeChart,
  diffCounts,
  lineChartSvg,
  parseBenchArgs,
  parsePrometheus,
  QUIET_CORES,
  QUIET_WINDOW_MS,
  renderMarkdown,
  requestCounts,
  summarize,
  totalRequests,
  USAGE,
  WRITE_VERBS,
  type BenchOptions,
  type BenchResult,
  type RequestCounts,
  type SweepPoint,
} from './report.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const LOCAL = path.join(ROOT, 'dist', 'cli', 'local', 'main.js');
const MANAGER = path.join(ROOT, 'dist', 'cli', 'controller-manager.js');
const WEBHOOK = path.join(ROOT, 'dist', 'cli', 'webhook.js');
const KUBEFEDCTL = path.join(ROOT, 'dist', 'cli', 'kubefedctl', 'main.js');
const CRDS = path.join(ROOT, 'charts', 'kubefed', 'crds');
const HOST = 'cluster1';
const KFNS = 'kube-federation-system';
const FED_NS = 'bench-fed';
const BOUND_NS = 'bench-bound';
const SWEEP_NS = 'bench-sweep';
const PHYSICAL_NS = 'bench-physical';
const TYPES_GROUP = 'types.kubefed.io';
const HOST_CONCURRENCY = 16;

const ref = (group: string, version: string, resource: string, namespaced = true): ResourceRef => ({
  group,
  version,
  resource,
  namespaced,
});
const CONFIGMAPS = ref('', 'v1', 'configmaps');
const DEPLOYMENTS = ref('apps', 'v1', 'deployments');
const NAMESPACES = ref('', 'v1', 'namespaces', false);
const FCM = ref(TYPES_GROUP, 'v1beta1', 'federatedconfigmaps');
const FDEPLOY = ref(TYPES_GROUP, 'v1beta1', 'federateddeployments');
const FNS = ref(TYPES_GROUP, 'v1beta1', 'federatednamespaces');
const KUBEFEDCLUSTERS = ref('core.kubefed.io', 'v1beta1', 'kubefedclusters');
const FTCS = ref('core.kubefed.io', 'v1beta1', 'federatedtypeconfigs');
const KUBEFEDCONFIGS = ref('core.kubefed.io', 'v1beta1', 'kubefedconfigs');

const log = (msg: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// Stopping everything we started, exactly once, on success, failure or a signal.

let runningManager: ManagerProcess | undefined;
const cleanups: { what: string; run: () => Promise<void> }[] = [];
let cleaning: Promise<void> | undefined;

/** Watches (informers) still running: stopped before their clients close, which waits for them. */
const watching = new Set<{ stop(): Promise<void> }>();

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of cleanups.reverse()) {
      log(`stopping: ${c.what}`);
      let timer: NodeJS.Timeout | undefined;
      try {
        // A step that hangs must not keep the clusters running.
        await Promise.race([
          c.run(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('gave up after 60 s')), 60_000);
          }),
        ]);
      } catch (err) {
        log(`stopping ${c.what} failed: ${(err as Error).message}`);
      } finally {
        clearTimeout(timer);
      }
    }
  })();
  return cleaning;
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
  process.once(sig, () => {
    log(`${sig}: stopping what the benchmark started`);
    void cleanup().finally(() => process.exit(130));
  });

// ---------------------------------------------------------------------------------------------
// Processes.

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

function runProcess(file: string, args: readonly string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

async function mustRun(what: string, file: string, args: readonly string[], input?: string): Promise<string> {
  const r = await runProcess(file, args, input);
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

/** /proc/<pid>/status field in bytes (VmRSS, VmHWM). */
/** CPU seconds (user + system) a process has used so far. */
function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** CPU seconds the whole machine has used so far (every state but idle and iowait). */
function machineCpuSeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = cpu;
  return (user! + nice! + system! + irq! + softirq! + (steal ?? 0)) / CLOCK_TICKS;
}
/**
 * Waits until the machine is quiet, so that a phase is not charged for work an earlier one left
 * behind (watch fan-out, etcd compaction, the host's garbage collector catching up). Returns the
 * seconds waited; gives up (and says so) after 10 minutes.
 */
async function waitForQuiet(what: string): Promise<number> {
  const t0 = performance.now();
  let quietSince = t0;
  let last = machineCpuSeconds();
  let lastAt = t0;
  for (;;) {
    await sleep(500);
    const now = performance.now();
    const cpu = machineCpuSeconds();
    const cores = (cpu - last) / ((now - lastAt) / 1000);
    last = cpu;
    lastAt = now;
    if (cores > QUIET_CORES) quietSince = now;
    else if (now - quietSince >= QUIET_WINDOW_MS) break;
    if (now - t0 > 600_000) {
      log(`${what}: the machine is still busy (${cores.toFixed(2)} cores) after 10 minutes; going on`);
      break;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  log(
    `${what}: waited ${seconds.toFixed(1)} s for a quiet machine (under ${QUIET_CORES} cores for ${QUIET_WINDOW_MS / 1000} s)`,
  );
  return seconds;
}

/**
 * CPU seconds used so far by every process, grouped as `<command> <cluster>` (the cluster named in
 * its command line, as kubefed-local's processes are: `kube-apiserver cluster2`).
 */
function cpuByProcess(): Map<string, number> {
  const out = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpu = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const cluster = /cluster\d+/.exec(cmdline)?.[0];
      const name = cmdline.includes('controller-manager.js')
        ? 'kubefed-controller-manager'
        : cmdline.includes('webhook.js')
          ? 'kubefed-webhook'
          : cmdline.includes('propagation.js')
            ? 'benchmark'
            : cluster
              ? `${comm} ${cluster}`
              : comm;
      out.set(name, (out.get(name) ?? 0) + cpu);
    } catch {
      // The process ended meanwhile.
    }
  }
  return out;
}

/** The processes that used the most CPU between two {@link cpuByProcess} snapshots. */
function cpuUsedSince(before: Map<string, number>, top = 12): { process: string; seconds: number }[] {
  return [...cpuByProcess()]
    .map(([process, s]) => ({ process, seconds: Math.round((s - (before.get(process) ?? 0)) * 10) / 10 }))
    .filter((p) => p.seconds > 0)
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, top);
}

/** USER_HZ: /proc's unit of CPU time on Linux. */
const CLOCK_TICKS = 100;

function procBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
  return Number(m[1]) * 1024;
}

/** One kubefed-controller-manager process on the benchmark's host cluster. */
class ManagerProcess {
  private proc: ChildProcess | undefined;
  private tail = '';
  metricsUrl = '';
  private inspectUrl = '';

  constructor(
    private readonly kubeconfig: string,
    private readonly opts: BenchOptions,
  ) {}

  get pid(): number {
    if (!this.proc?.pid) throw new Error('the manager is not running');
    return this.proc.pid;
  }

  async start(): Promise<void> {
    const [port, inspectPort] = await freePorts(2);
    this.metricsUrl = `http://127.0.0.1:${port}/metrics`;
    this.inspectUrl = `http://127.0.0.1:${inspectPort}`;
    const proc = spawn(
      process.execPath,
      [
        // The inspector, on loopback, lets the benchmark force a full GC before reading the heap;
        // with no session attached it costs nothing.
        `--inspect=127.0.0.1:${inspectPort}`,
        ...(this.opts.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', this.opts.cpuProf] : []),
        MANAGER,
        '--kubeconfig',
        this.kubeconfig,
        '--context',
        HOST,
        '--kubefed-namespace',
        KFNS,
        '--metrics-addr',
        `127.0.0.1:${port}`,
        // Lease renewals are writes an idle manager makes by design; they would hide any other.
        '--no-leader-elect',
        '--member-qps',
        String(this.opts.memberQps),
        '--member-burst',
        String(this.opts.memberBurst),
      ],
      // Own process group: a Ctrl-C reaches the benchmark, which stops the manager itself.
      { stdio: ['ignore', 'ignore', 'pipe'], detached: true },
    );
    this.proc = proc;
    proc.stderr.on('data', (d: Buffer) => (this.tail = (this.tail + d.toString()).slice(-20_000)));
    await pollUntil(
      'the manager to serve /metrics',
      async () => {
        if (proc.exitCode !== null)
          throw new PollAbort(`the manager exited (${proc.exitCode}): ${this.tail}`);
        const res = await fetch(this.metricsUrl);
        return res.ok ? { done: true, value: undefined } : { done: false, seen: `HTTP ${res.status}` };
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  async metrics(): Promise<ReturnType<typeof parsePrometheus>> {
    const res = await fetch(this.metricsUrl);
    if (!res.ok) throw new Error(`GET ${this.metricsUrl}: HTTP ${res.status}`);
    return parsePrometheus(await res.text());
  }

  /** The manager's JS heap in use after a full garbage collection (over the inspector protocol). */
  async heapAfterGc(): Promise<number> {
    const targets = (await (await fetch(`${this.inspectUrl}/json/list`)).json()) as {
      webSocketDebuggerUrl: string;
    }[];
    const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
    let id = 0;
    const pending = new Map<number, (r: unknown) => void>();
    ws.addEventListener('message', (e: MessageEvent) => {
      const msg = JSON.parse(String(e.data)) as { id?: number; result?: unknown };
      if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
    });
    const call = (method: string) =>
      new Promise<unknown>((resolve) => {
        pending.set(++id, resolve);
        ws.send(JSON.stringify({ id, method }));
      });
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve());
      ws.addEventListener('error', () =>
        reject(new Error(`inspector of the manager at ${this.inspectUrl}: connection failed`)),
      );
    });
    try {
      await call('HeapProfiler.collectGarbage');
      await call('HeapProfiler.collectGarbage');
      const usage = (await call('Runtime.getHeapUsage')) as { usedSize: number };
      return usage.usedSize;
    } finally {
      ws.close();
    }
  }

  async requests(): Promise<RequestCounts> {
    return requestCounts(await this.metrics());
  }

  get logTail(): string {
    return this.tail;
  }
}

// ---------------------------------------------------------------------------------------------
// Objects.

const placement = (members: string[]) => ({ clusters: members.map((name) => ({ name })) });

function fedConfigMap(
  ns: string,
  name: string,
  members: string[],
  data?: Record<string, string>,
): FederatedObject {
  return {
    apiVersion: `${TYPES_GROUP}/v1beta1`,
    kind: 'FederatedConfigMap',
    metadata: { name, namespace: ns },
    spec: {
      template: {
        data: data ?? { name, 'app.properties': `object=${name}\n${'setting=value\n'.repeat(16)}` },
      },
      placement: placement(members),
    },
  };
}

function fedDeployment(ns: string, name: string, members: string[]): FederatedObject {
  return {
    apiVersion: `${TYPES_GROUP}/v1beta1`,
    kind: 'FederatedDeployment',
    metadata: { name, namespace: ns },
    spec: {
      template: {
        metadata: { labels: { app: name } },
        spec: {
          replicas: 1,
          // Paused: the members' controllers create no ReplicaSets or pods for it. That work is the
          // workload's, not propagation's, and would fall inside our window but after the bound's.
          paused: true,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] },
          },
        },
      },
      placement: placement(members),
    },
  };
}

interface Workload {
  configmaps: FederatedObject[];
  deployments: FederatedObject[];
}

function workload(ns: string, opts: BenchOptions, members: string[]): Workload {
  return {
    configmaps: Array.from({ length: opts.objects }, (_, i) => fedConfigMap(ns, `cm-${i}`, members)),
    deployments: Array.from({ length: opts.deployments }, (_, i) =>
      fedDeployment(ns, `deploy-${i}`, members),
    ),
  };
}

function typeConfig(pluralName: string, kind: string, version: string, group?: string) {
  return {
    apiVersion: 'core.kubefed.io/v1beta1',
    kind: 'FederatedTypeConfig',
    metadata: { name: group ? `${pluralName}.${group}` : pluralName, namespace: KFNS },
    spec: {
      targetType: {
        ...(group ? { group } : {}),
        version,
        kind,
        pluralName,
        scope: pluralName === 'namespaces' ? 'Cluster' : 'Namespaced',
      },
      propagation: 'Enabled',
      federatedType: {
        group: TYPES_GROUP,
        version: 'v1beta1',
        kind: `Federated${kind}`,
        pluralName: `federated${pluralName}`,
        scope: 'Namespaced',
      },
    },
  };
}

const propagated = (f: FederatedObject, members: number) =>
  f.status?.conditions?.some((c) => c.type === 'Propagation' && c.status === 'True') === true &&
  f.status.observedGeneration === f.metadata.generation &&
  (f.status.clusters ?? []).length === members &&
  (f.status.clusters ?? []).every((c) => !c.status);

/** Runs `op(i)` for i in [0, n) with `concurrency` loops. */
async function pool(n: number, concurrency: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, concurrency) }, async () => {
      for (let i = next++; i < n; i = next++) await op(i);
    }),
  );
}

async function ensureNamespace(client: ClusterClient, name: string): Promise<void> {
  try {
    await new ResourceClient(client, NAMESPACES).create({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/** Number of objects of `r` in `ns`, from one single-item list page. */
async function countObjects(client: ClusterClient, r: ResourceRef, ns: string): Promise<number> {
  const list = await new ResourceClient(client, r).list({ namespace: ns, limit: 1 });
  return list.items.length + (list.metadata.remainingItemCount ?? 0);
}

/**
 * Watches federated objects of some types in one host namespace, recording when each first
 * reports Propagation=True to every member at its current generation.
 */
class PropagationWatch {
  readonly doneAt = new Map<string, number>();
  private readonly informers: Informer<FederatedObject>[];
  private waiter: (() => void) | undefined;

  constructor(
    client: ClusterClient,
    refs: ResourceRef[],
    namespace: string,
    private readonly members: number,
  ) {
    this.informers = refs.map((r) => new Informer<FederatedObject>({ client, resource: r, namespace }));
    refs.forEach((r, i) => {
      const see = (o: FederatedObject) => {
        const key = this.key(r, o.metadata.name!);
        if (!this.doneAt.has(key) && propagated(o, this.members)) {
          this.doneAt.set(key, performance.now());
          this.waiter?.();
        }
      };
      this.informers[i]!.addHandlers({ onAdd: see, onUpdate: (_, o) => see(o) });
    });
  }

  key(r: ResourceRef, name: string): string {
    return `${r.resource}/${name}`;
  }

  async start(): Promise<void> {
    watching.add(this);
    for (const inf of this.informers) inf.start();
    for (const inf of this.informers) await inf.waitForSync(120_000);
  }

  async waitForCount(n: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = -1;
    let lastChange = Date.now();
    let lastLog = 0;
    while (this.doneAt.size < n) {
      if (this.doneAt.size !== last) {
        last = this.doneAt.size;
        lastChange = Date.now();
      }
      if (Date.now() - lastLog >= 5000) {
        lastLog = Date.now();
        log(`  ${last}/${n} propagated`);
      }
      if (Date.now() > deadline) {
        const stuck = this.informers
          .flatMap((inf) => inf.store.list())
          .filter((o) => !propagated(o, this.members))
          .slice(0, 3)
          .map(
            (o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}: ${JSON.stringify(o.status ?? {})}`,
          );
        throw new Error(
          `timed out after ${timeoutMs / 1000} s: ${this.doneAt.size}/${n} federated objects Propagation=True ` +
            `(no progress for ${Math.round((Date.now() - lastChange) / 1000)} s); not propagated: ${stuck.join('; ') || 'none seen'}`,
        );
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
        setTimeout(resolve, 2000);
      });
    }
    this.waiter = undefined;
  }

  async stop(): Promise<void> {
    watching.delete(this);
    await Promise.all(this.informers.map((i) => i.stop()));
  }
}

/** Watches one named ConfigMap in every member; resolves when all show `data.v` = a value. */
class MemberVisibility {
  private readonly informers: Informer[];
  private pending: { value: string; resolve: () => void } | undefined;

  constructor(clients: ClusterClient[], namespace: string, name: string) {
    this.informers = clients.map(
      (client) =>
        new Informer({ client, resource: CONFIGMAPS, namespace, fieldSelector: `metadata.name=${name}` }),
    );
    for (const inf of this.informers)
      inf.addHandlers({ onAdd: () => this.check(), onUpdate: () => this.check() });
  }

  private visible(value: string): boolean {
    return this.informers.every((inf) =>
      inf.store.list().some((o) => (o.data as Record<string, string> | undefined)?.v === value),
    );
  }

  private check(): void {
    if (this.pending && this.visible(this.pending.value)) {
      const p = this.pending;
      this.pending = undefined;
      p.resolve();
    }
  }

  async start(): Promise<void> {
    watching.add(this);
    for (const inf of this.informers) inf.start();
    for (const inf of this.informers) await inf.waitForSync(60_000);
  }

  /** Resolves once every member shows `value`; call before the write that makes it so. */
  expect(value: string, timeoutMs = 60_000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        reject(new Error(`timed out after ${timeoutMs / 1000} s waiting for v=${value} in every member`));
      }, timeoutMs);
      this.pending = {
        value,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.check();
    });
  }

  async stop(): Promise<void> {
    watching.delete(this);
    await Promise.all(this.informers.map((i) => i.stop()));
  }
}

// ---------------------------------------------------------------------------------------------
// The chart's admission hooks on Federated<Kind> objects.

const VALIDATING_WEBHOOKS = ref(
  'admissionregistration.k8s.io',
  'v1',
  'validatingwebhookconfigurations',
  false,
);
const MUTATING_WEBHOOKS = ref('admissionregistration.k8s.io', 'v1', 'mutatingwebhookconfigurations', false);

/**
 * Serves `kubefed-webhook` locally and registers the hooks the chart registers for Federated<Kind>
 * objects (charts/kubefed/templates/webhook-configurations.yaml): every create and update is
 * validated; with `all`, new objects of propagated types get the sync finalizer at admission. The
 * other hooks (KubeFed's own kinds) see no request during the benchmark.
 */
async function installWebhooks(
  host: ClusterClient,
  parent: string,
  kubeconfigPath: string,
  mode: 'all' | 'validating',
): Promise<void> {
  const cert = makeServingCert(path.join(parent, 'webhook-cert'), 'kubefed-bench-webhook-ca');
  const webhook = await startLocalWebhook(
    path.dirname(cert.cert),
    ['--kubeconfig', kubeconfigPath, '--context', HOST, '--kubefed-namespace', KFNS],
    WEBHOOK,
  );
  cleanups.push({ what: 'kubefed-webhook', run: () => webhook.stop() });
  const hook = (name: string, hookPath: string, operations: string[], failurePolicy: string) => ({
    name,
    admissionReviewVersions: ['v1'],
    clientConfig: {
      url: `https://127.0.0.1:${webhook.port}${hookPath}`,
      caBundle: Buffer.from(cert.caPem).toString('base64'),
    },
    rules: [{ apiGroups: [TYPES_GROUP], apiVersions: ['*'], operations, resources: ['*'], scope: '*' }],
    sideEffects: 'None',
    failurePolicy,
    timeoutSeconds: 10,
  });
  await new ResourceClient(host, VALIDATING_WEBHOOKS).create({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'validations.core.kubefed.io' },
    webhooks: [hook('federated.types.kubefed.io', '/validate-federated', ['CREATE', 'UPDATE'], 'Fail')],
  });
  if (mode === 'all')
    await new ResourceClient(host, MUTATING_WEBHOOKS).create({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'mutation.core.kubefed.io' },
      webhooks: [
        {
          ...hook('finalizers.types.kubefed.io', '/mutate-federated', ['CREATE'], 'Ignore'),
          reinvocationPolicy: 'Never',
        },
      ],
    });
  // In force once the API server calls them: a dry run is refused by the validating hook, and
  // (all) a valid one comes back with the finalizer.
  const dryRun = (placement: { clusters: { name: string }[] }) =>
    new ResourceClient<FederatedObject>(host, FCM).create(
      {
        apiVersion: `${TYPES_GROUP}/v1beta1`,
        kind: 'FederatedConfigMap',
        metadata: { name: 'webhook-probe', namespace: KFNS },
        spec: { template: { data: {} }, placement },
      },
      { dryRun: true },
    );
  await pollUntil(
    `the webhook hooks (${mode}) to be in force`,
    async () => {
      const refused = await dryRun({ clusters: [{ name: 'a' }, { name: 'a' }] }).then(
        () => false,
        () => true,
      );
      const finalizers = (await dryRun({ clusters: [] })).metadata.finalizers ?? [];
      const ok = refused && (mode !== 'all' || finalizers.includes('kubefed.io/sync-controller'));
      return ok
        ? { done: true, value: undefined }
        : {
            done: false,
            seen: `refused a bad object: ${refused}; finalizers ${JSON.stringify(finalizers)}; ${webhook.log().slice(-300)}`,
          };
    },
    { timeoutMs: 60_000, intervalMs: 250 },
  );
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let opts: BenchOptions;
  try {
    opts = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const started = new Date();
  const t0run = performance.now();
  if (opts.cpuProf) mkdirSync((opts.cpuProf = path.resolve(opts.cpuProf)), { recursive: true });
  const parent = mkdtempSync(path.join(os.tmpdir(), 'kubefed-bench-'));
  const dir = path.join(parent, 'state');
  cleanups.push({
    what: `temp dir ${parent}`,
    run: () => Promise.resolve(rmSync(parent, { recursive: true, force: true })),
  });
  cleanups.push({
    what: `local clusters in ${dir} (kubefed-local down)`,
    run: async () => {
      if (existsSync(dir))
        await mustRun('kubefed-local down', process.execPath, [LOCAL, 'down', '--dir', dir]);
    },
  });

  log(`starting ${opts.members + 1} local clusters in ${dir}`);
  await mustRun('kubefed-local up', process.execPath, [
    LOCAL,
    'up',
    '--members',
    String(opts.members),
    '--no-workloads',
    '--dir',
    dir,
  ]);
  const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as LocalState;
  const kubeconfigPath = state.topology.kubeconfig;
  const kubectlBin = path.join(state.binDir, 'kubectl');
  const kubectl = (ctx: string, args: string[], input?: string) =>
    mustRun(
      `kubectl --context ${ctx} ${args.join(' ')}`,
      kubectlBin,
      ['--kubeconfig', kubeconfigPath, '--context', ctx, ...args],
      input,
    );
  const kubeconfig = Kubeconfig.load(kubeconfigPath);
  const members = state.topology.clusters.filter((c) => c.role === 'member').map((c) => c.name);

  const clients: ClusterClient[] = [];
  cleanups.push({
    what: 'watches and API clients',
    run: async () => {
      await Promise.all([...watching].map((w) => w.stop()));
      await Promise.all(clients.map((c) => c.close()));
    },
  });
  const newClient = (ctx: string, qps: number, burst: number) => {
    const c = new ClusterClient(kubeconfig.credentials(ctx), {
      qps,
      burst,
      connections: 64,
      userAgent: 'kubefed-bench',
    });
    clients.push(c);
    return c;
  };
  // The benchmark's own host and watch clients are not rate limited; the bound's are, as the manager's.
  const host = newClient(HOST, 1e6, 1e6);
  const memberWatch = members.map((m) => newClient(m, 1e6, 1e6));
  const memberBound = members.map((m) => newClient(m, opts.memberQps, opts.memberBurst));
  const version = await host.request<{ gitVersion: string }>({ method: 'GET', path: '/version' });

  log('installing the KubeFed CRDs, KubeFedConfig and FederatedTypeConfigs; joining the members');
  await kubectl(HOST, ['apply', '--server-side', '--force-conflicts', '-f', CRDS]);
  await kubectl(HOST, ['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  await ensureNamespace(host, KFNS);
  await new ResourceClient(host, KUBEFEDCONFIGS).create({
    apiVersion: 'core.kubefed.io/v1beta1',
    kind: 'KubeFedConfig',
    metadata: { name: 'kubefed', namespace: KFNS },
    spec: {
      scope: 'Cluster',
      ...(opts.workers !== undefined ? { syncController: { maxConcurrentReconciles: opts.workers } } : {}),
    },
  });
  const ftcs = new ResourceClient(host, FTCS);
  for (const t of [
    typeConfig('namespaces', 'Namespace', 'v1'),
    typeConfig('configmaps', 'ConfigMap', 'v1'),
    typeConfig('deployments', 'Deployment', 'v1', 'apps'),
  ])
    await ftcs.create(t);
  for (const m of members)
    await mustRun(`kubefedctl join ${m}`, process.execPath, [
      KUBEFEDCTL,
      'join',
      m,
      '--cluster-context',
      m,
      '--host-cluster-context',
      HOST,
      '--kubeconfig',
      kubeconfigPath,
      '--kubefed-namespace',
      KFNS,
    ]);
  // The members' kube-controller-managers stop here. For each Deployment written (paused: no
  // ReplicaSet or Pod), one still writes the Deployment's status, at its own 20 requests per second,
  // long after the write was answered: that work is no part of propagating, and it would land in
  // whichever phase runs longest (ours), not in the bounds'. The members' API servers and etcd, what the
  // bounds measure, keep running; so does the host's controller manager, whose garbage collector
  // watches every federated type as in a real control plane.
  for (const m of members)
    await mustRun(`kubefed-local stop ${m}/kube-controller-manager`, process.execPath, [
      LOCAL,
      'stop',
      `${m}/kube-controller-manager`,
      '--dir',
      dir,
    ]);

  // ---- 2. The bound, on quiet clusters, before the manager starts. ----------------------------
  const total = opts.objects + opts.deployments;
  log(`bound: ${total} rendered objects written straight into ${members.length} members`);
  for (const c of memberBound) await ensureNamespace(c, BOUND_NS);
  const boundWork = workload(BOUND_NS, opts, members);
  const boundDoneAt: number[] = [];
  const render = (f: FederatedObject, apiVersion: string, kind: string, cluster: string): KubeObject => {
    const r = renderForCluster({ federated: f, targetApiVersion: apiVersion, targetKind: kind, cluster });
    if (r.kind !== 'ok') throw new Error(`rendering ${f.metadata.name} for ${cluster}: ${r.message}`);
    // Without the managed label, the manager started later ignores these objects.
    delete r.object.metadata.labels?.[MANAGED_LABEL];
    return r.object;
  };
  // Bound (a) runs as many objects at once per type as the manager: its workers, each pass of
  // which goes on detached up to PIPELINE_DEPTH in flight.
  const workers = Math.max(opts.workers ?? DEFAULT_SYNC_WORKERS, PIPELINE_DEPTH);
  const quietWaitSeconds: Record<string, number> = {};
  quietWaitSeconds['bound (a)'] = await waitForQuiet('bound (a)');
  const boundCpu0 = machineCpuSeconds();
  const boundProcesses0 = cpuByProcess();
  const boundStart = performance.now();
  let boundWrites = 0;
  const boundStream = (objs: FederatedObject[], target: ResourceRef, apiVersion: string, kind: string) => {
    const rcs = memberBound.map((c) => new ResourceClient(c, target));
    return pool(objs.length, workers, async (i) => {
      await Promise.all(
        rcs.map((rc, k) => {
          boundWrites++;
          return rc.create(render(objs[i]!, apiVersion, kind, members[k]!));
        }),
      );
      boundDoneAt.push(performance.now() - boundStart);
    });
  };
  await Promise.all([
    boundStream(boundWork.configmaps, CONFIGMAPS, 'v1', 'ConfigMap'),
    boundStream(boundWork.deployments, DEPLOYMENTS, 'apps/v1', 'Deployment'),
  ]);
  const boundMs = performance.now() - boundStart;
  const boundCpu = machineCpuSeconds() - boundCpu0;
  const boundByProcess = cpuUsedSince(boundProcesses0);
  log(`bound (a): ${(boundMs / 1000).toFixed(2)} s`);
  // Bound (b): the same member writes with no client rate limit, at several numbers of requests in
  // flight (over all members), each into a namespace of its own; the fastest is the physical bound.
  const physical: BenchResult['physical'] = [];
  for (const inFlight of opts.physical) {
    const ns = `${PHYSICAL_NS}-${inFlight}`;
    for (const c of memberWatch) await ensureNamespace(c, ns);
    const w = workload(ns, opts, members);
    const jobs: { rc: ResourceClient; obj: KubeObject }[] = [];
    const cms = memberWatch.map((c) => new ResourceClient(c, CONFIGMAPS));
    const deps = memberWatch.map((c) => new ResourceClient(c, DEPLOYMENTS));
    for (let i = 0; i < Math.max(w.configmaps.length, w.deployments.length); i++)
      members.forEach((m, k) => {
        if (i < w.configmaps.length)
          jobs.push({ rc: cms[k]!, obj: render(w.configmaps[i]!, 'v1', 'ConfigMap', m) });
        if (i < w.deployments.length)
          jobs.push({ rc: deps[k]!, obj: render(w.deployments[i]!, 'apps/v1', 'Deployment', m) });
      });
    quietWaitSeconds[`bound (b) ${inFlight}`] = await waitForQuiet(`bound (b), ${inFlight} in flight`);
    const cpu0 = machineCpuSeconds();
    const t = performance.now();
    await pool(jobs.length, inFlight, (i) => jobs[i]!.rc.create(jobs[i]!.obj));
    const ms = performance.now() - t;
    physical.push({
      inFlight,
      seconds: ms / 1000,
      objectsPerSecond: total / (ms / 1000),
      machineCpuSeconds: machineCpuSeconds() - cpu0,
    });
    log(`bound (b), ${inFlight} in flight: ${(ms / 1000).toFixed(2)} s`);
  }

  // ---- The control plane as the chart installs it. ----------------------------------------------
  // The manager authenticates as its ServiceAccount, with a token (the API server caches the
  // verdict), as in a pod; the admin client certificate would cost the host API server a chain
  // verification on every request (9 % of its CPU in a bulk, profiled).
  await kubectl(HOST, ['-n', KFNS, 'create', 'serviceaccount', 'kubefed-controller']);
  await kubectl(HOST, [
    'create',
    'clusterrolebinding',
    'kubefed-bench-controller',
    '--clusterrole=cluster-admin',
    `--serviceaccount=${KFNS}:kubefed-controller`,
  ]);
  const token = (
    await kubectl(HOST, ['-n', KFNS, 'create', 'token', 'kubefed-controller', '--duration', '24h'])
  ).trim();
  const admin = JSON.parse(await kubectl(HOST, ['config', 'view', '--raw', '--minify', '-o', 'json'])) as {
    clusters: { cluster: Record<string, unknown> }[];
  };
  const managerKubeconfig = path.join(parent, 'controller-manager.kubeconfig');
  writeFileSync(
    managerKubeconfig,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: HOST, cluster: admin.clusters[0]!.cluster }],
      users: [{ name: 'kubefed-controller', user: { token } }],
      contexts: [{ name: HOST, context: { cluster: HOST, user: 'kubefed-controller' } }],
      'current-context': HOST,
    }),
    { mode: 0o600 },
  );
  if (opts.webhooks !== 'none') await installWebhooks(host, parent, kubeconfigPath, opts.webhooks ?? 'all');

  // ---- Manager. --------------------------------------------------------------------------------
  const manager = new ManagerProcess(managerKubeconfig, opts);
  runningManager = manager;
  cleanups.push({ what: 'kubefed-controller-manager', run: () => manager.stop() });
  log('starting kubefed-controller-manager');
  await manager.start();
  await pollUntil(
    'every member Ready and every FederatedTypeConfig Running',
    async () => {
      const clusters = (await new ResourceClient(host, KUBEFEDCLUSTERS).list({ namespace: KFNS })).items;
      const ready = clusters.filter((c) =>
        (c.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some(
          (x) => x.type === 'Ready' && x.status === 'True',
        ),
      ).length;
      const running = (await ftcs.list({ namespace: KFNS })).items.filter(
        (f) =>
          (f.status as { propagationController?: string } | undefined)?.propagationController === 'Running',
      ).length;
      return ready === members.length && running === 3
        ? { done: true, value: undefined }
        : { done: false, seen: `${ready}/${members.length} Ready, ${running}/3 FTCs Running` };
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  );
  const federatedNamespace = async (ns: string) => {
    await ensureNamespace(host, ns);
    const watch = new PropagationWatch(host, [FNS], ns, members.length);
    await watch.start();
    await new ResourceClient(host, FNS).create({
      apiVersion: `${TYPES_GROUP}/v1beta1`,
      kind: 'FederatedNamespace',
      metadata: { name: ns, namespace: ns },
      spec: { placement: placement(members) },
    });
    await watch.waitForCount(1, 60_000);
    await watch.stop();
  };
  await federatedNamespace(FED_NS);
  await sleep(3000);
  const baselineRss = procBytes(manager.pid, 'VmRSS');
  const baselineHeap = await manager.heapAfterGc();

  // ---- 1. Bulk propagation. --------------------------------------------------------------------
  log(
    `bulk: ${opts.objects} FederatedConfigMaps + ${opts.deployments} FederatedDeployments to ${members.length} members`,
  );
  const work = workload(FED_NS, opts, members);
  const watch = new PropagationWatch(host, [FCM, FDEPLOY], FED_NS, members.length);
  await watch.start();
  const fcm = new ResourceClient<FederatedObject>(host, FCM);
  const fdeploy = new ResourceClient<FederatedObject>(host, FDEPLOY);
  // Interleaved, as two controllers see them: cm-0, deploy-0, cm-1, …
  const queue: { rc: ResourceClient<FederatedObject>; r: ResourceRef; obj: FederatedObject }[] = [];
  for (let i = 0; i < Math.max(opts.objects, opts.deployments); i++) {
    if (i < opts.objects) queue.push({ rc: fcm, r: FCM, obj: work.configmaps[i]! });
    if (i < opts.deployments) queue.push({ rc: fdeploy, r: FDEPLOY, obj: work.deployments[i]! });
  }
  const createdAt = new Map<string, number>();
  quietWaitSeconds.bulk = await waitForQuiet('bulk');
  const requestsBefore = await manager.requests();
  const managerCpu0 = processCpuSeconds(manager.pid);
  const bulkCpu0 = machineCpuSeconds();
  const bulkProcesses0 = cpuByProcess();
  const bulkStart = performance.now();
  await pool(queue.length, HOST_CONCURRENCY, async (i) => {
    const { rc, r, obj } = queue[i]!;
    createdAt.set(watch.key(r, obj.metadata.name!), performance.now());
    await rc.create(obj);
  });
  log(
    `bulk: ${total} federated objects created on the host in ${((performance.now() - bulkStart) / 1000).toFixed(2)} s`,
  );
  const expectedMs = ((total * members.length) / opts.memberQps) * 1000;
  await watch.waitForCount(total, Math.max(300_000, 5 * expectedMs));
  const doneAt = [...watch.doneAt.values()];
  const bulkMs = Math.max(...doneAt) - bulkStart;
  const bulkCpu = {
    managerSeconds: processCpuSeconds(manager.pid) - managerCpu0,
    machineSeconds: machineCpuSeconds() - bulkCpu0,
    byProcess: cpuUsedSince(bulkProcesses0),
  };
  const peakRss = procBytes(manager.pid, 'VmHWM');
  await sleep(2000); // the last status writes and Events
  const bulkRequests = diffCounts(requestsBefore, await manager.requests());
  const latencies = [...watch.doneAt].map(([key, at]) => at - createdAt.get(key)!);
  await watch.stop();
  log(
    `bulk: ${(bulkMs / 1000).toFixed(2)} s (bound (a) ${(boundMs / 1000).toFixed(2)} s, (b) ${bestPhysical({ physical })?.seconds.toFixed(2)} s)`,
  );

  // ---- 3. Single-change latency. ---------------------------------------------------------------
  // Edits are paced so that the per-member rate limiter (of the bound and of the manager alike)
  // stays full: this measures latency, not the limiter's refill rate.
  const pauseMs = Math.max(50, 2000 / opts.memberQps);
  log(
    `single change: ${opts.edits} plain patches of a ConfigMap in every member (bound), ${pauseMs} ms apart`,
  );
  const memberCms = memberBound.map((c) => new ResourceClient(c, CONFIGMAPS));
  await Promise.all(
    memberCms.map((rc) =>
      rc.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'probe', namespace: BOUND_NS },
        data: { v: '0' },
      }),
    ),
  );
  const direct = new MemberVisibility(memberWatch, BOUND_NS, 'probe');
  await direct.start();
  await direct.expect('0');
  const directSamples: number[] = [];
  for (let i = 1; i <= opts.edits; i++) {
    const seen = direct.expect(String(i));
    const t = performance.now();
    await Promise.all(
      memberCms.map((rc) => rc.patch('probe', 'merge', { data: { v: String(i) } }, { namespace: BOUND_NS })),
    );
    await seen;
    directSamples.push(performance.now() - t);
    await sleep(pauseMs);
  }
  await direct.stop();

  log(`single change: ${opts.edits} template edits of a FederatedConfigMap`);
  const federated = new MemberVisibility(memberWatch, FED_NS, 'probe');
  await federated.start();
  const first = federated.expect('0');
  await fcm.create(fedConfigMap(FED_NS, 'probe', members, { v: '0' }));
  await first;
  await sleep(1000);
  const federatedSamples: number[] = [];
  for (let i = 1; i <= opts.edits; i++) {
    const seen = federated.expect(String(i));
    const t = performance.now();
    await fcm.patch(
      'probe',
      'merge',
      { spec: { template: { data: { v: String(i) } } } },
      { namespace: FED_NS },
    );
    await seen;
    federatedSamples.push(performance.now() - t);
    await sleep(pauseMs);
  }
  await federated.stop();

  // ---- 4. Idle cost. ---------------------------------------------------------------------------
  log(`idle: ${opts.idleSeconds} s with nothing changing`);
  await sleep(5000);
  const idleBefore = await manager.requests();
  await sleep(opts.idleSeconds * 1000);
  const idleRequests = diffCounts(idleBefore, await manager.requests());
  const perSecond: Record<string, number> = {};
  for (const c of [HOST, ...members])
    perSecond[c] = totalRequests(idleRequests, (cluster) => cluster === c) / opts.idleSeconds;

  // ---- 5. Scale sweep. -------------------------------------------------------------------------
  const sweep: SweepPoint[] = [];
  let sweepError: string | undefined;
  // A failing sweep still leaves the measurements above (and the steps done) in the results.
  if (opts.sweep.length > 0)
    try {
      await federatedNamespace(SWEEP_NS);
      const sweepWatch = new PropagationWatch(host, [FCM], SWEEP_NS, members.length);
      await sweepWatch.start();
      let have = 0;
      for (const step of opts.sweep) {
        log(`sweep: ${step} FederatedConfigMaps in ${SWEEP_NS}`);
        await pool(step - have, HOST_CONCURRENCY, (i) =>
          fcm.create(fedConfigMap(SWEEP_NS, `s-${have + i}`, members)),
        );
        have = step;
        await sweepWatch.waitForCount(
          step,
          Math.max(600_000, ((5 * step * members.length) / opts.memberQps) * 1000),
        );
        const counts = {
          federatedconfigmap: await countObjects(host, FCM, FED_NS).then(
            async (n) => n + (await countObjects(host, FCM, SWEEP_NS)),
          ),
          federateddeployment: await countObjects(host, FDEPLOY, FED_NS),
          federatednamespace: 2,
        };
        const objects = counts.federatedconfigmap + counts.federateddeployment;
        log(`sweep: restarting the manager over ${objects} federated objects`);
        await manager.stop();
        const t = performance.now();
        await manager.start();
        const syncMs = await pollUntil(
          'the manager to reconcile every federated object once (successfully) and drain its queues',
          async () => {
            const samples = await manager.metrics();
            const reconciles = (c: string) =>
              samples
                // Reconciles that waited for caches end requeue_after; only a success looked at the object.
                .filter(
                  (s) =>
                    s.name === 'controller_runtime_reconcile_total' &&
                    s.labels.controller === c &&
                    s.labels.result === 'success',
                )
                .reduce((a, s) => a + s.value, 0);
            const depth = samples
              .filter((s) => s.name === 'workqueue_depth' && s.labels.name! in counts)
              .reduce((a, s) => a + s.value, 0);
            const seen = Object.entries(counts).map(([c, n]) => `${c} ${reconciles(c)}/${n}`);
            return Object.entries(counts).every(([c, n]) => reconciles(c) >= n) && depth === 0
              ? { done: true, value: performance.now() - t }
              : { done: false, seen: `${seen.join(', ')}, queued ${depth}` };
          },
          { timeoutMs: 600_000, intervalMs: 100 },
        );
        const syncRequests = await manager.requests();
        const rss = procBytes(manager.pid, 'VmRSS');
        const heap = await manager.heapAfterGc();
        const pairs = objects * members.length;
        const prev = sweep.at(-1);
        sweep.push({
          objects,
          pairs,
          initialSyncMs: Math.round(syncMs),
          requestsDuringSync: totalRequests(syncRequests, () => true),
          writesDuringSync: totalRequests(syncRequests, (_, v) => WRITE_VERBS.has(v)),
          rssBytes: rss,
          rssBytesPerPair: Math.round((rss - baselineRss) / pairs),
          heapBytes: heap,
          bytesPerPair: Math.round((heap - baselineHeap) / pairs),
          ...(prev
            ? { marginalBytesPerPair: Math.round((heap - prev.heapBytes) / (pairs - prev.pairs)) }
            : {}),
        });
        log(
          `sweep: initial sync ${(syncMs / 1000).toFixed(2)} s, RSS ${(rss / 1048576).toFixed(1)} MiB, heap after GC ${(heap / 1048576).toFixed(1)} MiB`,
        );
      }
      await sweepWatch.stop();
    } catch (err) {
      sweepError = (err as Error).message;
      log(`sweep failed: ${sweepError}`);
    }

  // ---- Results. --------------------------------------------------------------------------------
  let cpuProfile: ProfileSummary | undefined;
  if (opts.cpuProf) {
    // A profile is written when a manager exits; the first one covers the bulk.
    await manager.stop();
    const files = readdirSync(opts.cpuProf)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(opts.cpuProf!, f))
      .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
    if (files[0]) {
      cpuProfile = summarizeProfile(JSON.parse(readFileSync(files[0], 'utf8')) as CpuProfile);
      log(`CPU profile of the manager: ${files[0]}`);
    } else log(`no CPU profile was written into ${opts.cpuProf}`);
  }
  const hostReq = totalRequests(bulkRequests, (c) => c === HOST);
  const memberReq = totalRequests(bulkRequests, (c) => c !== HOST);
  const writes = totalRequests(bulkRequests, (_, v) => WRITE_VERBS.has(v));
  const { resultsDir: _r, ...optionsOut } = opts;
  const result: BenchResult = {
    startedAt: started.toISOString(),
    durationSeconds: Math.round((performance.now() - t0run) / 1000),
    machine: { cpus: os.cpus().length, node: process.version, kubernetes: version.gitVersion },
    options: optionsOut,
    quietWaitSeconds,
    bulk: {
      objects: total,
      members: members.length,
      pairs: total * members.length,
      seconds: bulkMs / 1000,
      objectsPerSecond: total / (bulkMs / 1000),
      latencyMs: summarize(latencies),
      doneAtMs: doneAt.map((t) => Math.round(t - bulkStart)),
      managerPeakRssBytes: peakRss,
      managerBaselineRssBytes: baselineRss,
      managerBaselineHeapBytes: baselineHeap,
      requests: bulkRequests,
      requestsPerObject: {
        host: hostReq / total,
        members: memberReq / total,
        total: (hostReq + memberReq) / total,
        writes: writes / total,
      },
    },
    bound: {
      seconds: boundMs / 1000,
      objectsPerSecond: total / (boundMs / 1000),
      latencyMs: summarize(boundDoneAt),
      doneAtMs: boundDoneAt.map(Math.round),
      writes: boundWrites,
      machineCpuSeconds: boundCpu,
      cpuByProcess: boundByProcess,
    },
    physical,
    ratio: bulkMs / boundMs,
    ratioPhysical: bulkMs / 1000 / (bestPhysical({ physical })?.seconds ?? NaN),
    bulkCpu,
    change: {
      edits: opts.edits,
      federatedMs: summarize(federatedSamples),
      directMs: summarize(directSamples),
      federatedSamples: federatedSamples.map((x) => Math.round(x * 10) / 10),
      directSamples: directSamples.map((x) => Math.round(x * 10) / 10),
      p99OverDirectMs: summarize(federatedSamples).p99 - summarize(directSamples).p99,
    },
    idle: {
      seconds: opts.idleSeconds,
      requests: idleRequests,
      perSecond,
      writes: totalRequests(idleRequests, (_, v) => WRITE_VERBS.has(v)),
    },
    sweep,
    ...(sweepError ? { sweepError } : {}),
    ...(cpuProfile ? { cpuProfile } : {}),
  };
  await writeResults(result, opts.resultsDir ?? path.join(ROOT, 'bench', 'results'));
}

async function writeResults(result: BenchResult, resultsDir: string): Promise<void> {
  const stamp = result.startedAt.replace(/[:.]/g, '-');
  const out = path.join(resultsDir, stamp);
  mkdirSync(out, { recursive: true });
  const jsonFile = path.join(out, 'result.json');
  // Formatted as the repository's `prettier --check .` expects.
  const prettier = await import('prettier');
  const json = await prettier.format(JSON.stringify(result), {
    ...(await prettier.resolveConfig(jsonFile)),
    filepath: jsonFile,
  });
  writeFileSync(jsonFile, json);
  writeFileSync(path.join(out, 'bulk.svg'), lineChartSvg(bulkChart(result)));
  writeFileSync(path.join(out, 'change.svg'), lineChartSvg(changeChart(result)));
  const md = renderMarkdown(result, { bulk: 'bulk.svg', change: 'change.svg' });
  writeFileSync(path.join(out, 'result.md'), `${md}\n`);
  writeFileSync(
    path.join(resultsDir, 'latest.md'),
    `${renderMarkdown(result, { bulk: `${stamp}/bulk.svg`, change: `${stamp}/change.svg` })}\nFull result: [${stamp}/result.json](${stamp}/result.json)\n`,
  );
  process.stdout.write(`${md}\n`);
  log(`results in ${out} and ${path.join(resultsDir, 'latest.md')}`);
}

try {
  await main();
} catch (err) {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  if (runningManager)
    process.stderr.write(`last manager log lines:\n${runningManager.logTail.slice(-4000)}\n`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
