/**
 * Federated overrides: per-cluster JSON patches (`spec.overrides`) applied to the template.
 *
 * Rules, as upstream KubeFed v0.10: `op` is add, remove or replace and defaults to replace; a
 * cluster name may appear once; a path may appear once per cluster; the paths that tie a member
 * object to its federated object — `/metadata/name`, `/metadata/namespace`,
 * `/metadata/generateName` — and `/kind` may not be overridden (`/apiVersion` may). We also refuse
 * paths below those (e.g. `/metadata/name/0`), which upstream would only fail at patch time.
 * add and replace need a `value` (`null` is a value; an absent field is not).
 *
 * Upstream reads the overrides of all clusters at once, so any invalid entry fails rendering for
 * every cluster (ApplyOverridesFailed); `validateOverrides` checks the whole list for that reason.
 */
import type { Overrides } from '../api/types.js';
import { parsePointer, type PatchOperation, PATCH_OPS } from './jsonpointer.js';

/** Paths (as token lists) that overrides may not touch, nor anything below them. */
export const FORBIDDEN_OVERRIDE_PATHS: readonly (readonly string[])[] = [
  ['metadata', 'name'],
  ['metadata', 'namespace'],
  ['metadata', 'generateName'],
  ['kind'],
];

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every problem in `overrides`, each as `<field path>: <message>` (e.g.
 * `spec.overrides[1].clusterOverrides[0].path: …`); empty when they are valid.
 */
export function validateOverrides(
  overrides: Overrides | undefined | null,
  path = 'spec.overrides',
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
    const name = item.clusterName;
    if (typeof name !== 'string' || name === '') {
      errors.push(`${at}.clusterName: Required value`);
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
      const op = o.op ?? 'replace';
      if (typeof op !== 'string' || !(PATCH_OPS as readonly string[]).includes(op)) {
        errors.push(
          `${oat}.op: Unsupported value: ${JSON.stringify(op)}: supported values: "add", "remove", "replace"`,
        );
      }
      if (typeof o.path !== 'string' || o.path === '') {
        errors.push(`${oat}.path: Required value: a JSON pointer such as /spec/replicas`);
      } else {
        const parsed = parsePointer(o.path);
        if (parsed.kind === 'invalid') {
          errors.push(`${oat}.path: ${parsed.message}`);
        } else {
          const forbidden = FORBIDDEN_OVERRIDE_PATHS.find((f) =>
            f.every((t, k) => parsed.pointer.tokens[k] === t),
          );
          if (forbidden) {
            errors.push(
              `${oat}.path: Forbidden: ${JSON.stringify(o.path)}: /${forbidden.join('/')} ties the member object to its federated object and cannot be overridden`,
            );
          }
          const key = parsed.pointer.tokens.join('\u0000');
          if (seenPaths.has(key)) {
            errors.push(
              `${oat}.path: Duplicate value: ${JSON.stringify(o.path)} (already at ${at}.clusterOverrides[${seenPaths.get(key)}])`,
            );
          } else {
            seenPaths.set(key, j);
          }
        }
      }
      if ((op === 'add' || op === 'replace') && o.value === undefined) {
        errors.push(`${oat}.value: Required value: op ${op} needs a value`);
      }
    });
  });
  return errors;
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
    op: o.op ?? 'replace',
    path: o.path,
    ...(o.value !== undefined ? { value: o.value } : {}),
  }));
}
