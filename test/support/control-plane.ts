/**
 * A real kubefed-controller-manager process over the shared local clusters, for propagation tests:
 * cluster1 (host) and cluster1..3 joined into a kubefed namespace of this run, with the federated
 * CRDs of the chart copied into a federated API group of this run only, so this control plane,
 * which watches every namespace, never acts on federated objects of other tests. Member copies are
 * another matter: like upstream, a control plane removes the managed label from member objects of
 * its target types that have no federated object in its group, so two control planes federating the
 * same type at once undo each other's copies. Integration files therefore run one at a time
 * (vitest fileParallelism: false); run files concurrently only when they federate different types.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';
import type { FederatedObject } from '../../src/api/types.js';
import { freePorts } from '../../src/cli/local/ports.js';
import type { KubeObject } from '../../src/kube/resource.js';
import { pollUntil } from '../../src/poll.js';
import { installCrds, kubectl, REPO_ROOT, run, uniqueName } from './local.js';

const KUBEFEDCTL = path.join(REPO_ROOT, 'dist', 'cli', 'kubefedctl', 'main.js');
const MANAGER = path.join(REPO_ROOT, 'dist', 'cli', 'controller-manager.js');
export const MEMBERS = ['cluster1', 'cluster2', 'cluster3'];

export const apply = (context: string, obj: unknown) =>
  kubectl(context, ['apply', '-f', '-'], JSON.stringify(obj));

/** The object, or undefined when it does not exist. */
export async function getObject<T = KubeObject>(context: string, args: string[]): Promise<T | undefined> {
  const out = await kubectl(context, ['get', ...args, '-o', 'json', '--ignore-not-found']);
  return out.trim() ? (JSON.parse(out) as T) : undefined;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<[boolean, T, string]>,
  timeoutMs = 45_000,
) {
  return pollUntil(
    what,
    async () => {
      const [ok, value, seen] = await probe();
      return ok ? { done: true, value } : { done: false, seen };
    },
    { timeoutMs, intervalMs: 500 },
  );
}

export const clusterStatuses = (f: FederatedObject | undefined) =>
  (f?.status?.clusters ?? []).map((c) => `${c.name}:${c.status ?? ''}`).sort();

export const propagation = (f: FederatedObject | undefined) =>
  f?.status?.conditions?.find((c) => c.type === 'Propagation');

/** A target type to federate: its FTC is named `<pluralName>[.<group>]`. */
export interface TargetType {
  group?: string;
  version: string;
  kind: string;
  pluralName: string;
  scope: 'Namespaced' | 'Cluster';
}

export const NAMESPACES: TargetType = {
  version: 'v1',
  kind: 'Namespace',
  pluralName: 'namespaces',
  scope: 'Cluster',
};

export const CONFIGMAPS: TargetType = {
  version: 'v1',
  kind: 'ConfigMap',
  pluralName: 'configmaps',
  scope: 'Namespaced',
};

export const SECRETS: TargetType = {
  version: 'v1',
  kind: 'Secret',
  pluralName: 'secrets',
  scope: 'Namespaced',
};

export const DEPLOYMENTS: TargetType = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  pluralName: 'deployments',
  scope: 'Namespaced',
};

export const ftcName = (t: TargetType) => (t.group ? `${t.pluralName}.${t.group}` : t.pluralName);

export interface ControlPlaneOptions {
  /** Prefix of the kubefed namespace's unique name. */
  prefix: string;
  /** Federated types besides namespaces (always federated). */
  types: TargetType[];
  /** Merged into the KubeFedConfig's spec. */
  kubeFedConfig?: Record<string, unknown>;
  /** More flags of the manager. */
  managerArgs?: string[];
}

export class TestControlPlane {
  readonly kfns: string;
  readonly group: string;
  readonly types: TargetType[];
  readonly testNamespaces: string[] = [];
  metricsUrl = '';
  private manager: ChildProcess | undefined;
  private managerLog = '';

  constructor(private readonly opts: ControlPlaneOptions) {
    this.kfns = uniqueName(opts.prefix);
    this.group = `${this.kfns}.test.kubefed.io`;
    this.types = [NAMESPACES, ...opts.types];
  }

  get log(): string {
    return this.managerLog;
  }

  get federatedPlurals(): string[] {
    return this.types.map((t) => `federated${t.pluralName}`);
  }

  /** `federated<plural>.<group>`, for kubectl. */
  resource(pluralName: string): string {
    return `federated${pluralName}.${this.group}`;
  }

  kubefedctl(...args: string[]) {
    return run(process.execPath, [KUBEFEDCTL, ...args, '--kubeconfig', inject('kubeconfig')]);
  }

  typeConfig(target: TargetType) {
    return {
      apiVersion: 'core.kubefed.io/v1beta1',
      kind: 'FederatedTypeConfig',
      metadata: { name: ftcName(target), namespace: this.kfns },
      spec: {
        targetType: target,
        propagation: 'Enabled',
        federatedType: {
          group: this.group,
          version: 'v1beta1',
          kind: `Federated${target.kind}`,
          pluralName: `federated${target.pluralName}`,
          scope: 'Namespaced',
        },
      },
    };
  }

  /** A host namespace whose FederatedNamespace places it on `clusters`. */
  async federatedNamespace(clusters = ['cluster2', 'cluster3'], prefix = 'prop'): Promise<string> {
    const ns = uniqueName(prefix);
    this.testNamespaces.push(ns);
    await kubectl('cluster1', ['create', 'namespace', ns]);
    await apply('cluster1', {
      apiVersion: `${this.group}/v1beta1`,
      kind: 'FederatedNamespace',
      metadata: { name: ns, namespace: ns },
      spec: { placement: { clusters: clusters.map((name) => ({ name })) } },
    });
    for (const c of clusters)
      await waitFor(`namespace ${ns} in ${c}`, async () => {
        const n = await getObject(c, ['namespace', ns]);
        return [n?.metadata.labels?.['kubefed.io/managed'] === 'true', n, JSON.stringify(n?.metadata.labels)];
      });
    return ns;
  }

  /** The status of a federated object once it is `expected` with Propagation=`condition`, observed. */
  async waitForStatus(
    resource: string,
    ns: string,
    name: string,
    expected: string[],
    condition: 'True' | 'False',
    timeoutMs?: number,
  ): Promise<FederatedObject> {
    return waitFor(
      `${resource} ${ns}/${name} status ${expected.join(',')} Propagation=${condition}`,
      async () => {
        const f = await getObject<FederatedObject>('cluster1', ['-n', ns, resource, name]);
        const seen = clusterStatuses(f);
        return [
          JSON.stringify(seen) === JSON.stringify(expected) &&
            propagation(f)?.status === condition &&
            f?.status?.observedGeneration === f?.metadata.generation,
          f!,
          `${JSON.stringify(seen)} ${JSON.stringify(propagation(f))} observed ${f?.status?.observedGeneration}/${f?.metadata.generation}`,
        ];
      },
      timeoutMs,
    );
  }

  /** The manager's /metrics text. */
  async metrics(): Promise<string> {
    const res = await fetch(this.metricsUrl);
    if (!res.ok) throw new Error(`GET ${this.metricsUrl}: ${res.status}`);
    return res.text();
  }

  private async installFederatedCrds(): Promise<void> {
    const dir = path.join(REPO_ROOT, 'charts', 'kubefed', 'crds');
    const docs = this.federatedPlurals.map((plural) =>
      readFileSync(path.join(dir, `${plural}.types.kubefed.io.yaml`), 'utf8').replaceAll(
        'types.kubefed.io',
        this.group,
      ),
    );
    await kubectl('cluster1', ['apply', '-f', '-'], docs.join('\n---\n'));
    await kubectl('cluster1', [
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      ...this.federatedPlurals.map((p) => `crd/${p}.${this.group}`),
    ]);
  }

  async setup(): Promise<void> {
    await installCrds();
    await this.installFederatedCrds();
    await kubectl('cluster1', ['create', 'namespace', this.kfns]);
    await apply('cluster1', {
      apiVersion: 'core.kubefed.io/v1beta1',
      kind: 'KubeFedConfig',
      metadata: { name: 'kubefed', namespace: this.kfns },
      spec: {
        scope: 'Cluster',
        clusterHealthCheck: { period: '1s', failureThreshold: 2, successThreshold: 1, timeout: '2s' },
        controllerDuration: { availableDelay: '1s', unavailableDelay: '1s' },
        syncController: { adoptResources: 'Enabled' },
        leaderElect: { leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '1s' },
        ...this.opts.kubeFedConfig,
      },
    });
    for (const t of this.types) await apply('cluster1', this.typeConfig(t));
    const port = (await freePorts(1))[0]!;
    this.metricsUrl = `http://127.0.0.1:${port}/metrics`;
    this.manager = this.spawnManager(port);
    for (const m of MEMBERS) {
      const r = await this.kubefedctl(
        'join',
        m,
        '--cluster-context',
        m,
        '--host-cluster-context',
        'cluster1',
        '--kubefed-namespace',
        this.kfns,
        // Member ClusterRoles are named after the host: unique per run, so concurrent runs never collide.
        '--host-cluster-name',
        this.kfns,
      );
      if (r.code !== 0) throw new Error(`join ${m} failed: ${r.stderr}`);
    }
    await waitFor('all members Ready', async () => {
      const list = JSON.parse(
        await kubectl('cluster1', ['-n', this.kfns, 'get', 'kubefedclusters', '-o', 'json']),
      ) as { items: KubeObject[] };
      const ready = list.items.filter((c) =>
        (c.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some(
          (x) => x.type === 'Ready' && x.status === 'True',
        ),
      );
      return [ready.length === MEMBERS.length, ready, `${ready.length} Ready`];
    });
  }

  async teardown(): Promise<void> {
    const kfns = this.kfns;
    // Delete the test namespaces while the manager still runs, so it removes member copies and its
    // finalizers. Their federated objects first (the FederatedNamespace last): the namespace
    // controller, finding content with finalizers, would look again only after ~8 s each time.
    const federated = [...this.federatedPlurals.slice(1), this.federatedPlurals[0]!]
      .map((p) => `${p}.${this.group}`)
      .join(',');
    await Promise.all(
      this.testNamespaces.map(async (ns) => {
        const warn = (err: Error) => console.warn(`deleting ${ns}: ${err.message}`);
        await kubectl('cluster1', [
          '-n',
          ns,
          'delete',
          federated,
          '--all',
          '--ignore-not-found',
          '--timeout=90s',
        ]).catch(warn);
        await kubectl('cluster1', ['delete', 'namespace', ns, '--ignore-not-found', '--timeout=90s']).catch(
          warn,
        );
      }),
    );
    for (const manager of [this.manager, ...this.replicas.map((r) => r.child)]) {
      if (manager && manager.exitCode === null && manager.signalCode === null) {
        this.stopping.add(manager);
        const exited = new Promise((r) => manager.once('exit', r));
        manager.kill('SIGTERM');
        await exited;
      }
    }
    if (process.env.PROPAGATION_TEST_LOG) writeFileSync(process.env.PROPAGATION_TEST_LOG, this.managerLog);
    // Each unjoin waits for its member's namespace to go: all at once.
    await Promise.all(
      MEMBERS.map((m) =>
        this.kubefedctl(
          'unjoin',
          m,
          '--cluster-context',
          m,
          '--host-cluster-context',
          'cluster1',
          '--kubefed-namespace',
          kfns,
          '--host-cluster-name',
          kfns,
          '--force',
        ),
      ),
    );
    // FTC finalizers would keep the kubefed namespace terminating once no manager runs.
    for (const t of this.types)
      await kubectl('cluster1', [
        '-n',
        kfns,
        'patch',
        'federatedtypeconfig',
        ftcName(t),
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      ]).catch(() => undefined);
    await kubectl('cluster1', ['delete', 'namespace', kfns, '--wait=false']).catch(() => undefined);
    // Nothing of this run's group should be left; if something is, its finalizers must not pin the CRDs.
    for (const plural of this.federatedPlurals) {
      const left = await kubectl('cluster1', ['get', `${plural}.${this.group}`, '-A', '-o', 'json']).catch(
        () => '',
      );
      const items = left ? (JSON.parse(left) as { items: KubeObject[] }).items : [];
      for (const o of items)
        await kubectl('cluster1', [
          '-n',
          o.metadata.namespace!,
          'patch',
          `${plural}.${this.group}`,
          o.metadata.name!,
          '--type=merge',
          '-p',
          '{"metadata":{"finalizers":null}}',
        ]).catch(() => undefined);
    }
    await kubectl('cluster1', [
      'delete',
      'crd',
      '--wait=false',
      ...this.federatedPlurals.map((p) => `${p}.${this.group}`),
    ]).catch(() => undefined);
    for (const ns of this.testNamespaces)
      for (const c of ['cluster2', 'cluster3'])
        await kubectl(c, ['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']).catch(
          () => undefined,
        );
  }

  // ---- Faults: killing and restarting manager processes (test/integration/faults.test.ts) ----

  /** Manager replicas started by `startReplica`, each with its own leader-election identity. */
  private readonly replicas: { identity: string; child: ChildProcess }[] = [];
  /** Processes this object stopped itself (killManager, teardown). */
  private readonly stopping = new Set<ChildProcess>();
  /**
   * Exits of manager processes nobody asked for (a crash, or leadership lost: the manager exits so
   * that its Deployment restarts it), with the last lines of the log at that moment.
   */
  readonly unexpectedExits: {
    pid: number | undefined;
    code: number | null;
    signal: string | null;
    log: string;
  }[] = [];

  private spawnManager(port: number, extraArgs: string[] = []): ChildProcess {
    const child = spawn(
      process.execPath,
      [
        MANAGER,
        '--kubeconfig',
        inject('kubeconfig'),
        '--context',
        'cluster1',
        '--kubefed-namespace',
        this.kfns,
        '--metrics-addr',
        `127.0.0.1:${port}`,
        ...(this.opts.managerArgs ?? []),
        ...extraArgs,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.once('exit', (code, signal) => {
      if (!this.stopping.has(child))
        this.unexpectedExits.push({ pid: child.pid, code, signal, log: this.managerLog.slice(-4000) });
    });
    // Every process of this control plane logs into the one log (security tests scan all of it).
    child.stderr.on(
      'data',
      (d: Buffer) => (this.managerLog = (this.managerLog + d.toString()).slice(-200_000)),
    );
    return child;
  }

  /** The pid of the manager process started by `setup` (or the latest `restartManager`). */
  get managerPid(): number | undefined {
    return this.manager?.pid;
  }

  /** Sends `signal` (default SIGKILL) to the manager process and waits until it has exited. */
  async killManager(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.manager) this.stopping.add(this.manager);
    await stopProcess(this.manager, signal);
  }

  /** Starts the manager again (after `killManager`), on the same metrics address. */
  restartManager(): void {
    if (this.manager && this.manager.exitCode === null && this.manager.signalCode === null)
      throw new Error('restartManager: the manager is still running; killManager first');
    this.manager = this.spawnManager(Number(new URL(this.metricsUrl).port));
  }

  /** Starts one more manager process (same lease, identity `identity`, own metrics port). */
  async startReplica(identity: string): Promise<{ child: ChildProcess; metricsUrl: string }> {
    const port = (await freePorts(1))[0]!;
    const child = this.spawnManager(port, ['--identity', identity]);
    this.replicas.push({ identity, child });
    return { child, metricsUrl: `http://127.0.0.1:${port}/metrics` };
  }

  /** The replica started with `identity`, if any. */
  replica(identity: string): ChildProcess | undefined {
    return this.replicas.find((r) => r.identity === identity)?.child;
  }

  /** The holder of the control plane's leader-election Lease, or undefined when there is none. */
  async leaseHolder(): Promise<LeaseSpec> {
    const lease = await getObject<KubeObject & { spec?: Record<string, unknown> }>('cluster1', [
      '-n',
      this.kfns,
      'lease',
      'kubefed-controller-manager',
    ]);
    return lease?.spec ?? {};
  }
}

/** The fields of a coordination.k8s.io Lease's spec that leader election writes. */
export interface LeaseSpec {
  holderIdentity?: string;
  acquireTime?: string;
  renewTime?: string;
  leaseDurationSeconds?: number;
  leaseTransitions?: number;
}

/** Signals a child process and waits for it to exit (nothing when it has exited already). */
export async function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}
