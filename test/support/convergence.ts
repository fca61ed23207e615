/**
 * Exact convergence of a set of federated objects, for fault tests: every member holds exactly the
 * desired copies (none missing, extra, duplicated, stale or left labelled without a federated
 * object) and every federated object is Propagation=True at its current generation.
 *
 * Use a target type no other test federates (ROLES by default): every control plane on the shared
 * clusters, whatever its federated API group, removes `kubefed.io/managed` from member copies of its
 * target types that have no federated object *of its own* (upstream's orphan handling), so two runs
 * federating the same type in parallel unlabel each other's copies.
 */
import { isDeepStrictEqual } from 'node:util';
import type { FederatedObject } from '../../src/api/types.js';
import type { KubeObject } from '../../src/kube/resource.js';
import { PollAbort, pollUntil } from '../../src/poll.js';
import {
  apply,
  clusterStatuses,
  MEMBERS,
  propagation,
  type TargetType,
  type TestControlPlane,
} from './control-plane.js';
import { kubectl } from './local.js';

const MANAGED = 'kubefed.io/managed';

/** A federated type whose objects carry a small string map (`data`), with how to write and read it. */
export interface ConvergenceType {
  target: TargetType;
  /** The federated template of an object holding `data`. */
  template(data: Record<string, string>): Record<string, unknown>;
  /** The `data` a member copy holds. */
  dataOf(obj: KubeObject): Record<string, string>;
  /** Objects Kubernetes itself creates in every namespace (ignored). */
  builtIn: string[];
}

/** Roles: `data` is kept as the resourceNames `key=value` of one rule. */
export const ROLES: ConvergenceType = {
  target: {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    kind: 'Role',
    pluralName: 'roles',
    scope: 'Namespaced',
  },
  template: (data) => ({
    rules: [
      {
        apiGroups: [''],
        resources: ['configmaps'],
        verbs: ['get'],
        resourceNames: Object.entries(data).map(([k, v]) => `${k}=${v}`),
      },
    ],
  }),
  dataOf: (obj) => {
    const names = (obj as KubeObject & { rules?: { resourceNames?: string[] }[] }).rules?.[0]?.resourceNames;
    return Object.fromEntries((names ?? []).map((n) => [n.split('=')[0]!, n.slice(n.indexOf('=') + 1)]));
  },
  builtIn: [],
};

/** What one federated object asks for: where, and with which data. */
export interface DesiredObject {
  clusters: string[];
  data: Record<string, string>;
}

/** The federated objects of one namespace a test wants, kept in step with what it applies. */
export class FederatedSet {
  readonly desired = new Map<string, DesiredObject>();

  constructor(
    private readonly cp: TestControlPlane,
    readonly ns: string,
    readonly type: ConvergenceType = ROLES,
  ) {}

  get federatedResource(): string {
    return this.cp.resource(this.type.target.pluralName);
  }

  private federated(name: string, want: DesiredObject) {
    return {
      apiVersion: `${this.cp.group}/v1beta1`,
      kind: `Federated${this.type.target.kind}`,
      metadata: { name, namespace: this.ns },
      spec: {
        template: this.type.template(want.data),
        placement: { clusters: want.clusters.map((c) => ({ name: c })) },
      },
    };
  }

  /** Applies (creates or updates) the federated objects `names` in one kubectl call. */
  async apply(names: readonly string[] = [...this.desired.keys()]): Promise<void> {
    if (names.length === 0) return;
    await apply('cluster1', {
      apiVersion: 'v1',
      kind: 'List',
      items: names.map((n) => this.federated(n, this.desired.get(n)!)),
    });
  }

  /** Adds objects `names` placed on `clusters` with data version `v`, and applies them. */
  async add(names: readonly string[], clusters: string[], v = '1'): Promise<void> {
    for (const n of names) this.desired.set(n, { clusters: [...clusters], data: { name: n, v } });
    await this.apply(names);
  }

  /** Sets the data version of `names` to `v`, and applies them. */
  async update(names: readonly string[], v: string): Promise<void> {
    for (const n of names) this.desired.set(n, { ...this.desired.get(n)!, data: { name: n, v } });
    await this.apply(names);
  }

  /** Places `names` on `clusters` only, and applies them. */
  async move(names: readonly string[], clusters: string[]): Promise<void> {
    for (const n of names) this.desired.set(n, { ...this.desired.get(n)!, clusters: [...clusters] });
    await this.apply(names);
  }

  /** Deletes the federated objects `names` (without waiting for their finalizers). */
  async delete(names: readonly string[]): Promise<void> {
    if (names.length === 0) return;
    for (const n of names) this.desired.delete(n);
    await kubectl('cluster1', ['-n', this.ns, 'delete', this.federatedResource, '--wait=false', ...names]);
  }

  /** Copies labelled `kubefed.io/managed=true` in `cluster` (kubectl: hangs while it is frozen). */
  async managedCount(cluster: string): Promise<number> {
    const out = await kubectl(cluster, [
      '-n',
      this.ns,
      'get',
      this.type.target.pluralName,
      '-l',
      `${MANAGED}=true`,
      '-o',
      'name',
    ]);
    return out.split('\n').filter(Boolean).length;
  }

  /** Everything that differs from exact convergence, as readable lines (empty when converged). */
  async problems(): Promise<string[]> {
    const problems: string[] = [];
    const feds = await list<FederatedObject>('cluster1', ['-n', this.ns, this.federatedResource]);
    const fedNames = new Set<string>();
    for (const f of feds) {
      const name = f.metadata.name!;
      fedNames.add(name);
      const want = this.desired.get(name);
      if (!want) {
        problems.push(
          `federated ${name}: still exists (finalizers ${JSON.stringify(f.metadata.finalizers)}, deleting ${Boolean(f.metadata.deletionTimestamp)})`,
        );
        continue;
      }
      const cond = propagation(f);
      const statuses = clusterStatuses(f);
      const wantStatuses = [...want.clusters].sort().map((c) => `${c}:`);
      if (
        cond?.status !== 'True' ||
        f.status?.observedGeneration !== f.metadata.generation ||
        !isDeepStrictEqual(statuses, wantStatuses)
      )
        problems.push(
          `federated ${name}: Propagation=${cond?.status}/${cond?.reason ?? ''} observed ${f.status?.observedGeneration}/${f.metadata.generation} clusters ${JSON.stringify(statuses)}`,
        );
    }
    for (const name of this.desired.keys())
      if (!fedNames.has(name)) problems.push(`federated ${name}: missing`);

    for (const cluster of MEMBERS) {
      const copies = (await list(cluster, ['-n', this.ns, this.type.target.pluralName])).filter(
        (c) => !this.type.builtIn.includes(c.metadata.name!),
      );
      const seen = new Map<string, number>();
      for (const c of copies) {
        const name = c.metadata.name!;
        seen.set(name, (seen.get(name) ?? 0) + 1);
        const want = this.desired.get(name);
        if (!want || !want.clusters.includes(cluster)) {
          problems.push(
            `${cluster}/${name}: extra copy (${MANAGED}=${c.metadata.labels?.[MANAGED] ?? 'unset'}${want ? '' : ', no federated object'})`,
          );
          continue;
        }
        if (c.metadata.labels?.[MANAGED] !== 'true')
          problems.push(`${cluster}/${name}: not labelled ${MANAGED}=true`);
        const data = this.type.dataOf(c);
        if (!isDeepStrictEqual(data, want.data))
          problems.push(
            `${cluster}/${name}: data ${JSON.stringify(data)}, want ${JSON.stringify(want.data)}`,
          );
      }
      for (const [name, n] of seen) if (n > 1) problems.push(`${cluster}/${name}: ${n} copies`);
      for (const [name, want] of this.desired)
        if (want.clusters.includes(cluster) && !seen.has(name)) problems.push(`${cluster}/${name}: missing`);
    }
    return problems;
  }

  /** Waits until `problems()` is empty; on timeout the error lists what still differs. Returns the ms it took. */
  async waitForExactConvergence(timeoutMs = 120_000): Promise<number> {
    const started = Date.now();
    await pollUntil(
      `exact convergence of ${this.desired.size} federated ${this.type.target.pluralName} in ${this.ns}`,
      async () => {
        const exit = this.cp.unexpectedExits[0];
        if (exit)
          throw new PollAbort(
            `manager pid ${exit.pid} exited on its own (code ${exit.code}, signal ${exit.signal}); its last log:\n${exit.log}`,
          );
        const problems = await this.problems();
        return problems.length === 0
          ? { done: true, value: undefined }
          : {
              done: false,
              seen: `${problems.length} problems: ${problems.slice(0, 8).join('; ')}${problems.length > 8 ? '; …' : ''}`,
            };
      },
      { timeoutMs, intervalMs: 1000 },
    );
    return Date.now() - started;
  }
}

async function list<T extends KubeObject = KubeObject>(context: string, args: string[]): Promise<T[]> {
  return (JSON.parse(await kubectl(context, ['get', ...args, '-o', 'json'])) as { items: T[] }).items;
}

/** Names `prefix-000`, `prefix-001`, … (`n` of them from `from`). */
export const seqNames = (prefix: string, n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(from + i).padStart(3, '0')}`);

/** A small seeded PRNG (mulberry32), so a failing random schedule can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
