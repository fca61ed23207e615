/**
 * Federated overrides: per-cluster JSON patches (`spec.overrides`) applied to the template.
 *
 * Rules, as upstream KubeFed v0.10 (pkg/controller/util/overrides.go): `op` is add, remove or
 * replace, and `""` or absent means replace; a cluster name may appear once; a path (as written)
 * may appear once per cluster; `/metadata/name`, `/metadata/namespace`, `/metadata/generateName`
 * and `/kind` may not be overridden (`/apiVersion` may). A missing `value` means null, as upstream
 * (its override struct omits a null value and the patch library then sets null). How each op
 * treats missing members, parents and array indexes is jsonpointer.ts's (upstream's library).
 *
 * One deliberate difference: the path `""` (the whole object) is refused. Upstream replaces the
 * whole member object with the value (dropping its name, so the write fails) or, for a scalar
 * value, silently does nothing.
 *
 * Upstream reads the overrides of all clusters at once, so any invalid entry fails rendering for
 * every cluster (ApplyOverridesFailed); `validateOverrides` checks the whole list for that reason.
 * An entry without a clusterName is valid (upstream: it names the cluster "", so applies nowhere);
 * `overrideWarnings` says so, for the webhook to pass on.
 */
import type { Overrides } from '../api/types.js';
import { parsePointer, type PatchOperation, PATCH_OPS } from './jsonpointer.js';

/**
 * Paths that overrides may not name, compared as written (as upstream does); a path below one of
 * them fails when applied, in its cluster, since those fields are strings.
 */
export const FORBIDDEN_OVERRIDE_PATHS: readonly string[] = [
  '/metadata/name',
  '/metadata/namespace',
  '/metadata/generateName',
  '/kind',
];

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What fails the overrides of every cluster (upstream's GetOverrides: a duplicate cluster, a
 * duplicate path within a cluster, a forbidden path; plus shapes the CRD schema already refuses),
 * each as `<field path>: <message>` (e.g. `spec.overrides[1].clusterOverrides[0].path: …`); empty
 * when there is none. With `perOperation`, also what fails one cluster's overrides whatever its
 * template (`operationProblem`), for the webhook to refuse up front.
 */
export function validateOverrides(
  overrides: Overrides | undefined | null,
  path = 'spec.overrides',
  { perOperation = false }: { perOperation?: boolean } = {},
): string[] {
  if (overrides === undefined || overrides === null) return [];
  if (!Array.isArray(overrides)) return [`${path}: must be a list`];
  const errors: string[] = [];
  const seenClusters = new Map<string, number>();
  overrides.forEach((item: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(item)) {
      errors.push(`${at}: must be an object with clusterName and clusterOverrides`);
      return;
    }
    // Upstream keys the entries by clusterName, "" when absent.
    const name = typeof item.clusterName === 'string' ? item.clusterName : '';
    if (item.clusterName !== undefined && item.clusterName !== null && typeof item.clusterName !== 'string') {
      errors.push(`${at}.clusterName: must be a string (a KubeFedCluster name)`);
    } else if (seenClusters.has(name)) {
      errors.push(
        `${at}.clusterName: Duplicate value: ${JSON.stringify(name)} (already at ${path}[${seenClusters.get(name)}])`,
      );
    } else {
      seenClusters.set(name, i);
    }
    const list = item.clusterOverrides;
    if (list === undefined || list === null) return;
    if (!Array.isArray(list)) {
      errors.push(`${at}.clusterOverrides: must be a list`);
      return;
    }
    const seenPaths = new Map<string, number>();
    list.forEach((o: unknown, j) => {
      const oat = `${at}.clusterOverrides[${j}]`;
      if (!isRecord(o)) {
        errors.push(`${oat}: must be an object with op, path and value`);
        return;
      }
      if (perOperation) {
        const problem = operationProblem(o);
        if (problem) errors.push(`${oat}.${problem.field}: ${problem.message}`);
      }
      if (typeof o.path !== 'string') {
        if (!perOperation) errors.push(`${oat}.path: Required value: a JSON pointer such as /spec/replicas`);
        return;
      }
      if (FORBIDDEN_OVERRIDE_PATHS.includes(o.path)) {
        errors.push(
          `${oat}.path: Forbidden: ${JSON.stringify(o.path)} ties the member object to its federated object and cannot be overridden`,
        );
      }
      if (seenPaths.has(o.path)) {
        errors.push(
          `${oat}.path: Duplicate value: ${JSON.stringify(o.path)} (already at ${at}.clusterOverrides[${seenPaths.get(o.path)}])`,
        );
      } else {
        seenPaths.set(o.path, j);
      }
    });
  });
  return errors;
}

/**
 * Why one override can never apply, whatever the template: an op other than add, remove, replace
 * (or ""); a path that is not a JSON pointer; the path "" (refused by us, see above). Such an
 * override fails its cluster only (ApplyOverridesFailed there), as upstream's patch would.
 */
export function operationProblem(o: Record<string, unknown>): { field: string; message: string } | undefined {
  const op = o.op === undefined || o.op === null || o.op === '' ? 'replace' : o.op;
  if (typeof op !== 'string' || !(PATCH_OPS as readonly string[]).includes(op)) {
    return {
      field: 'op',
      message: `Unsupported value: ${JSON.stringify(op)}: supported values: "add", "remove", "replace"`,
    };
  }
  if (typeof o.path !== 'string') {
    return { field: 'path', message: 'Required value: a JSON pointer such as /spec/replicas' };
  }
  if (o.path === '') {
    return {
      field: 'path',
      message:
        'Forbidden: "" names the whole object, including its name, namespace and kind; name a field such as /spec/replicas',
    };
  }
  const parsed = parsePointer(o.path);
  if (parsed.kind === 'invalid') return { field: 'path', message: parsed.message };
  return undefined;
}

/**
 * The patch operations for `cluster` (op defaulted to replace), in order; empty when the cluster
 * has no overrides. Does not validate: call `validateOverrides` first.
 */
export function overridesFor(overrides: Overrides | undefined | null, cluster: string): PatchOperation[] {
  if (!Array.isArray(overrides)) return [];
  const item = overrides.find((o) => isRecord(o) && o.clusterName === cluster);
  if (!item || !Array.isArray(item.clusterOverrides)) return [];
  return item.clusterOverrides.map((o) => ({
    op: o.op || 'replace',
    path: o.path,
    ...(o.value !== undefined ? { value: o.value } : {}),
  }));
}

/**
 * Entries that are valid but can never apply, each as `<field path>: <message>`: upstream accepts
 * them (an entry without clusterName names the cluster ""; a name that is not a DNS-1123 subdomain
 * names no KubeFedCluster), so they are not errors, but a user wants to know.
 */
export function overrideWarnings(overrides: Overrides | undefined | null, path = 'spec.overrides'): string[] {
  if (!Array.isArray(overrides)) return [];
  const warnings: string[] = [];
  overrides.forEach((item: unknown, i) => {
    if (!isRecord(item)) return;
    const name = item.clusterName;
    if (name === undefined || name === null || name === '') {
      warnings.push(`${path}[${i}].clusterName: not set, so these overrides apply to no cluster`);
    } else if (typeof name === 'string' && !DNS1123_SUBDOMAIN.test(name)) {
      warnings.push(
        `${path}[${i}].clusterName: ${JSON.stringify(name)} is not a DNS-1123 subdomain, so no KubeFedCluster has this name and these overrides apply to no cluster`,
      );
    }
  });
  return warnings;
}

const DNS1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
