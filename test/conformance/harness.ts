/**
 * The conformance topology: clusters of its own (cluster1 = host, cluster2 = member; both joined,
 * as upstream's e2e joins the host too), the Helm chart installed as an upstream user installs it
 * (`helm install kubefed charts/kubefed -n kube-federation-system --create-namespace`, with the
 * RawResourceStatusCollection gate on; or namespace-scoped in another namespace), and the chart's control plane run by `kubefed-local
 * install` as local processes. Everything the checks do goes through kubectl, helm and kubefedctl
 * with YAML, never through our internal API: a check passes only if an upstream user's commands
 * and manifests work unchanged.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { stringify } from 'yaml';
import { pollUntil } from '../../src/poll.js';
import { kubefedLocal, REPO_ROOT, run, type RunResult } from '../support/local.js';

export const KFNS = 'kube-federation-system';
export const CLUSTERS = ['cluster1', 'cluster2'] as const;
const KUBEFEDCTL = path.join(REPO_ROOT, 'dist', 'cli', 'kubefedctl', 'main.js');

// Objects as kubectl returns them: only what the checks read is typed.
export interface Obj {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [field: string]: unknown;
}

export class Topology {
  readonly root = mkdtempSync(path.join(tmpdir(), 'kubefed-conformance-'));
  readonly dir = path.join(this.root, 'state');

  /**
   * `kfns`: the control plane's namespace (the chart's release namespace); `scope`: the chart's
   * global.scope. Default: upstream's default install, cluster-scoped in kube-federation-system.
   */
  constructor(
    readonly kfns = KFNS,
    readonly scope: 'Cluster' | 'Namespaced' = 'Cluster',
  ) {}

  get kubeconfig(): string {
    return path.join(this.dir, 'kubeconfig');
  }

  env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      // The pinned kubectl and helm first, as `eval "$(kubefed-local env)"` sets them.
      PATH: `${path.dirname(inject('kubectl'))}:${process.env.PATH ?? ''}`,
      KUBECONFIG: this.kubeconfig,
      HELM_CACHE_HOME: path.join(this.root, 'helm', 'cache'),
      HELM_CONFIG_HOME: path.join(this.root, 'helm', 'config'),
      HELM_DATA_HOME: path.join(this.root, 'helm', 'data'),
    };
  }

  /** Clusters, chart, control plane, and both clusters joined and Ready. */
  async up(): Promise<void> {
    const up = await kubefedLocal(['up', '--members', '1', '--no-workloads', '--dir', this.dir], {
      timeoutMs: 240_000,
    });
    if (up.code !== 0) throw new Error(`kubefed-local up (conformance topology) failed: ${up.stderr}`);
    await this.ok('helm', [
      'install',
      'kubefed',
      path.join(REPO_ROOT, 'charts', 'kubefed'),
      '--namespace',
      this.kfns,
      '--create-namespace',
      '--kube-context',
      'cluster1',
      '--set',
      'controllermanager.featureGates.RawResourceStatusCollection=Enabled',
      '--set',
      `global.scope=${this.scope}`,
    ]);
    const install = await kubefedLocal(['install', '--dir', this.dir], { timeoutMs: 240_000 });
    if (install.code !== 0) throw new Error(`kubefed-local install failed: ${install.stderr}`);
    for (const c of CLUSTERS) {
      await this.kubefedctl(
        'join',
        c,
        `--cluster-context=${c}`,
        '--host-cluster-context=cluster1',
        `--kubefed-namespace=${this.kfns}`,
      );
    }
    for (const c of CLUSTERS) {
      await this.wait(`KubeFedCluster ${c} Ready`, async () => {
        const kfc = await this.get('cluster1', ['-n', this.kfns, 'kubefedclusters', c]);
        const conditions = (kfc?.status?.conditions ?? []) as { type: string; status: string }[];
        const ready = conditions.some((x) => x.type === 'Ready' && x.status === 'True');
        return [ready, kfc, JSON.stringify(kfc?.status)];
      });
    }
  }

  async down(): Promise<void> {
    await kubefedLocal(['down', '--dir', this.dir]);
    rmSync(this.root, { recursive: true, force: true });
  }

  /** Runs a command with the topology's kubeconfig; throws with its output when it fails. */
  async ok(file: string, args: readonly string[], input?: string): Promise<string> {
    const r = await this.run(file, args, input);
    if (r.code !== 0)
      throw new Error(`${file} ${args.join(' ')} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  run(file: string, args: readonly string[], input?: string): Promise<RunResult> {
    return run(file === 'kubectl' ? inject('kubectl') : file, args, {
      env: this.env(),
      timeoutMs: 150_000,
      ...(input === undefined ? {} : { input }),
    });
  }

  kubectl(context: string, args: readonly string[], input?: string): Promise<string> {
    return this.ok('kubectl', ['--context', context, ...args], input);
  }

  /** kubectl apply of YAML documents (objects are written as YAML, as a user's files are). */
  apply(context: string, ...objects: unknown[]): Promise<string> {
    const yaml = objects.map((o) => stringify(o)).join('---\n');
    return this.kubectl(context, ['apply', '-f', '-'], yaml);
  }

  /** The object, or undefined when it does not exist. */
  async get<T = Obj>(context: string, args: readonly string[]): Promise<T | undefined> {
    const out = await this.kubectl(context, ['get', ...args, '-o', 'json', '--ignore-not-found']);
    return out.trim() ? (JSON.parse(out) as T) : undefined;
  }

  /** The built kubefedctl, as `npm link` puts it on a user's PATH. */
  kubefedctl(...args: string[]): Promise<string> {
    return this.ok(process.execPath, [KUBEFEDCTL, ...args]);
  }

  kubefedctlRun(...args: string[]): Promise<RunResult> {
    return this.run(process.execPath, [KUBEFEDCTL, ...args]);
  }

  /** A new host namespace federated to every cluster (FederatedNamespace `<ns>/<ns>`, selector {}). */
  async federatedNamespace(prefix: string): Promise<string> {
    const ns = unique(prefix);
    await this.kubectl('cluster1', ['create', 'namespace', ns]);
    await this.apply('cluster1', {
      apiVersion: 'types.kubefed.io/v1beta1',
      kind: 'FederatedNamespace',
      metadata: { name: ns, namespace: ns },
      spec: { placement: { clusterSelector: {} } },
    });
    await this.wait(`FederatedNamespace ${ns} propagated`, async () => {
      const f = await this.get('cluster1', ['-n', ns, 'federatednamespaces', ns]);
      return [propagationOf(f)?.status === 'True', f, JSON.stringify(f?.status)];
    });
    return ns;
  }

  wait<T>(what: string, probe: () => Promise<[boolean, T, string]>, timeoutMs = 60_000): Promise<T> {
    return pollUntil(
      what,
      async () => {
        const [done, value, seen] = await probe();
        return done ? { done: true, value } : { done: false, seen };
      },
      { timeoutMs, intervalMs: 500 },
    );
  }
}

/**
 * Upstream's hash input encoding, written here independently of src/federation/version.ts: Go's
 * json.Encoder over a map (keys sorted at every level, compact, `<` `>` `&` U+2028 U+2029 escaped
 * as \uXXXX) with its trailing newline; then hex MD5.
 */
const sorted = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sorted)
    : v !== null && typeof v === 'object'
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
        )
      : v;

export function upstreamMd5(value: unknown): string {
  const text = JSON.stringify(sorted(value)).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return createHash('md5').update(`${text}\n`).digest('hex');
}

/** upstream's overridesVersion input: `{"overrides": X}`, X re-serialized in struct field order. */
export function upstreamOverridesMd5(overrides: unknown): string {
  const list = Array.isArray(overrides)
    ? overrides.map((item: Record<string, unknown>) => ({
        clusterName: item.clusterName ?? '',
        ...(Array.isArray(item.clusterOverrides) && item.clusterOverrides.length
          ? {
              clusterOverrides: item.clusterOverrides.map((o: Record<string, unknown>) => ({
                ...(o.op ? { op: o.op } : {}),
                path: o.path,
                ...(o.value !== undefined && o.value !== null ? { value: sorted(o.value) } : {}),
              })),
            }
          : {}),
      }))
    : null;
  // Struct order, not sorted keys: encode the top level by hand, values sorted as maps are.
  const text = JSON.stringify({ overrides: list }).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return createHash('md5').update(`${text}\n`).digest('hex');
}

/**
 * Whether every field of `expected` is in `actual` with the same value (objects compared member by
 * member, arrays element by element): the member copy must hold the whole rendered object; what
 * the member API server adds (defaults, status, uid…) may come on top. Returns the first
 * difference as a JSON pointer and the two values, or undefined.
 */
export function missingFrom(actual: unknown, expected: unknown, at = ''): string | undefined {
  if (expected !== null && typeof expected === 'object') {
    if (Array.isArray(expected)) {
      if (!Array.isArray(actual) || actual.length !== expected.length)
        return `${at || '/'}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
      for (const [i, e] of expected.entries()) {
        const d = missingFrom(actual[i], e, `${at}/${i}`);
        if (d) return d;
      }
      return undefined;
    }
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return `${at || '/'}: expected an object, got ${JSON.stringify(actual)}`;
    for (const [k, e] of Object.entries(expected)) {
      const d = missingFrom((actual as Record<string, unknown>)[k], e, `${at}/${k}`);
      if (d) return d;
    }
    return undefined;
  }
  return actual === expected
    ? undefined
    : `${at || '/'}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
}

/** A federated object's Propagation condition. */
export const propagationOf = (f: Obj | undefined) =>
  ((f?.status?.conditions ?? []) as { type: string; status: string; reason?: string }[]).find(
    (c) => c.type === 'Propagation',
  );

/** `status.clusters` as sorted `<name>:<status>`. */
export const clusterStatusesOf = (f: Obj | undefined) =>
  ((f?.status?.clusters ?? []) as { name: string; status?: string }[])
    .map((c) => `${c.name}:${c.status ?? ''}`)
    .sort();

/** A name unique to this run. */
export const unique = (prefix: string) =>
  `${prefix}-${Date.now().toString(36).slice(-5)}${Math.random().toString(36).slice(2, 5)}`;
