/**
 * Writing a replica plan into a federated object: its `spec.placement.clusters` and one
 * `/spec/replicas` override per cluster. Pure: returns the new fields; the RSP controller writes
 * them (a plain update of the federated object) only when the outcome is `update`.
 *
 * Rules, as upstream KubeFed v0.10 (`pkg/schedulingtypes/plugin.go`):
 * - `placement.clusters` = every cluster of the plan, those with 0 replicas included (upstream:
 *   "Override replicas would be set to 0 in this case"); written when the set of names differs.
 *   We write it sorted by name. `placement.clusterSelector` is left as it is (upstream only sets
 *   `clusters`, which wins over the selector anyway).
 * - Per planned cluster, the override with path `/spec/replicas` gets the value (its `op` and
 *   position kept), or `{path: "/spec/replicas", value: n}` (no op = replace) is appended to that
 *   cluster's overrides, or a new entry for the cluster is appended (in cluster-name order).
 * - A cluster not in the plan loses its `/spec/replicas` override; its other overrides stay.
 * - Overrides are rewritten when any `/spec/replicas` override is missing, extra or different.
 * - Overrides that upstream cannot read are not touched: a cluster named twice, a path twice for
 *   one cluster, or a path that may not be overridden.
 *
 * Differences from upstream, deliberate: entries keep their order (upstream rebuilt the list from
 * a Go map, in random order); an entry whose only override was `/spec/replicas` and that leaves
 * the plan is removed rather than left with an empty list; a non-integer replicas value counts as
 * different (upstream truncated it, so 2.5 matched 2).
 */
import type { ClusterOverride, FederatedObject, Overrides, Placement } from '../api/types.js';

export const REPLICAS_PATH = '/spec/replicas';

/** Paths upstream refuses in overrides (it then fails to read any of them). */
const FORBIDDEN_PATHS = new Set(['/metadata/namespace', '/metadata/name', '/metadata/generateName', '/kind']);

export type ReplicaWriteback =
  | { kind: 'unchanged' }
  /** Set both fields on the federated object's spec, then update it. */
  | { kind: 'update'; placement: Placement; overrides: Overrides }
  /** The existing overrides cannot be read; nothing should be written until the user fixes them. */
  | { kind: 'invalidOverrides'; field: string; message: string };

type OverrideItem = Overrides[number];

/**
 * The placement and overrides that carry `replicas` (cluster name → replicas, as
 * `ReplicaPlan.replicas`) into a federated object with this `spec`.
 */
export function planReplicaWriteback(
  spec: FederatedObject['spec'] | undefined,
  replicas: ReadonlyMap<string, number>,
): ReplicaWriteback {
  const overrides: unknown = spec?.overrides ?? [];
  const problem = overridesProblem(overrides);
  if (problem) return { kind: 'invalidOverrides', ...problem };
  const items = overrides as Overrides;

  const placementChanged = placementNeedsUpdate(spec?.placement, replicas);
  const overridesChanged = overridesNeedUpdate(items, replicas);
  if (!placementChanged && !overridesChanged) return { kind: 'unchanged' };

  const placement: Placement = placementChanged
    ? { ...structuredClone(spec?.placement ?? {}), clusters: sortedNames(replicas).map((name) => ({ name })) }
    : structuredClone(spec?.placement ?? {});
  return {
    kind: 'update',
    placement,
    overrides: overridesChanged ? updatedOverrides(items, replicas) : structuredClone(items),
  };
}

/** The first thing upstream's GetOverrides would refuse, if any. */
function overridesProblem(overrides: unknown): { field: string; message: string } | undefined {
  const fix = 'fix spec.overrides so that the replica scheduler can update it';
  if (!Array.isArray(overrides)) return { field: 'spec.overrides', message: `must be a list; ${fix}` };
  const seen = new Set<string>();
  for (const [i, item] of overrides.entries()) {
    const at = `spec.overrides[${i}]`;
    const name: unknown = isRecord(item) ? item.clusterName : undefined;
    if (typeof name !== 'string')
      return { field: `${at}.clusterName`, message: `must be a cluster name; ${fix}` };
    if (seen.has(name)) {
      return {
        field: `${at}.clusterName`,
        message: `cluster ${JSON.stringify(name)} appears more than once; merge its overrides into one entry`,
      };
    }
    seen.add(name);
    const list: unknown = (item as Record<string, unknown>).clusterOverrides ?? [];
    if (!Array.isArray(list)) return { field: `${at}.clusterOverrides`, message: `must be a list; ${fix}` };
    const paths = new Set<string>();
    for (const [j, o] of list.entries()) {
      const path: unknown = isRecord(o) ? o.path : undefined;
      const where = `${at}.clusterOverrides[${j}].path`;
      if (typeof path !== 'string') return { field: where, message: `must be a JSON pointer; ${fix}` };
      if (FORBIDDEN_PATHS.has(path)) {
        return { field: where, message: `${path} may not be overridden; remove this override` };
      }
      if (paths.has(path)) {
        return {
          field: where,
          message: `path ${path} appears more than once for cluster ${JSON.stringify(name)}; keep one`,
        };
      }
      paths.add(path);
    }
  }
  return undefined;
}

function placementNeedsUpdate(
  placement: Placement | undefined,
  replicas: ReadonlyMap<string, number>,
): boolean {
  const current = placement?.clusters?.map((c) => c.name);
  if (current === undefined) return true;
  const wanted = sortedNames(replicas);
  const have = [...current].sort(compareNames);
  return have.length !== wanted.length || have.some((name, i) => name !== wanted[i]);
}

/** Upstream's OverrideUpdateNeeded: one matching `/spec/replicas` override per planned cluster. */
function overridesNeedUpdate(items: Overrides, replicas: ReadonlyMap<string, number>): boolean {
  let matched = 0;
  for (const item of items) {
    for (const o of item.clusterOverrides ?? []) {
      if (o.path !== REPLICAS_PATH) continue;
      if (typeof o.value !== 'number' || o.value !== replicas.get(item.clusterName ?? '')) return true;
      matched++;
    }
  }
  return matched !== replicas.size;
}

function updatedOverrides(items: Overrides, replicas: ReadonlyMap<string, number>): Overrides {
  const result: Overrides = [];
  for (const item of structuredClone(items)) {
    const list = item.clusterOverrides ?? [];
    const at = list.findIndex((o) => o.path === REPLICAS_PATH);
    const value = replicas.get(item.clusterName ?? '');
    if (value === undefined) {
      if (at < 0) {
        result.push(item);
        continue;
      }
      list.splice(at, 1);
      if (list.length > 0) result.push({ ...item, clusterOverrides: list });
      continue;
    }
    if (at >= 0) list[at] = { ...(list[at] as ClusterOverride), value };
    else list.push(replicasOverride(value));
    result.push({ ...item, clusterOverrides: list });
  }
  const present = new Set(items.map((i) => i.clusterName));
  for (const name of sortedNames(replicas)) {
    if (present.has(name)) continue;
    const item: OverrideItem = {
      clusterName: name,
      clusterOverrides: [replicasOverride(replicas.get(name) ?? 0)],
    };
    result.push(item);
  }
  return result;
}

const replicasOverride = (value: number): ClusterOverride => ({ path: REPLICAS_PATH, value });

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const sortedNames = (replicas: ReadonlyMap<string, number>) => [...replicas.keys()].sort(compareNames);

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
