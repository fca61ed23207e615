/**
 * Diffs of a federated object against its members, as `kubefedctl diff` and `kubefedctl plan`
 * show them. Pure: the CLI plans with plan.ts, asks each member API server for a server-side dry
 * run of the planned write, and hands the answers here.
 *
 * Per cluster the outcome is one of
 * - `create`: the member has no copy; the diff is the object the API server would store;
 * - `update`: the copy would change; the diff is live copy -> the object the API server would store
 *   (render, overrides, retention, then the server's own defaulting and admission);
 * - `delete`: the cluster leaves the placement (or the federated object is being deleted);
 * - `unchanged`: nothing to write, or the write would store what is already there;
 * - `error`: the change cannot land there: the plan's skip reason (ApplyOverridesFailed,
 *   ClusterNotReady, AlreadyExists, …) or the member API server's refusal of the dry run;
 * and, for `diff --live` (drift), `drifted` (the copy was changed or removed out of band since the
 * control plane last propagated it) or `pending` (the control plane has not propagated the current
 * spec yet: a change, not drift).
 *
 * Server-managed fields (uid, resourceVersion, generation, creationTimestamp, managedFields,
 * selfLink) and `status` are left out of every diff: no write of ours sets them.
 */
import { createTwoFilesPatch } from 'diff';
import { stringify } from 'yaml';
import type { KubeObject } from '../kube/resource.js';
import type { ClusterAction } from './plan.js';

export type DiffAction = 'create' | 'update' | 'delete' | 'unchanged' | 'error' | 'drifted' | 'pending';

export interface ClusterDiff {
  cluster: string;
  action: DiffAction;
  /** For `error`: the status reason (e.g. ApplyOverridesFailed, UpdateFailed); for `drifted`: Changed or Deleted. */
  reason?: string;
  message?: string;
  /** A unified diff (create/update/delete/drifted). */
  diff?: string;
}

export interface ObjectDiff {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** Sorted by cluster name; only clusters where the object is or would be. */
  clusters: ClusterDiff[];
  /** The object as a whole could not be planned (e.g. the host refused it, placement failed). */
  error?: string;
}

/**
 * What a member API server said to the dry run of the planned write. `unjudged`: it could not
 * judge it, because the namespace the object goes into is not there yet (the FederatedNamespace
 * creates it first); the rendered object stands in for the server's answer.
 */
export type DryRun =
  | { kind: 'ok'; object?: KubeObject }
  | { kind: 'unjudged'; message: string }
  | {
      kind: 'refused';
      reason: 'CreationFailed' | 'UpdateFailed' | 'DeletionFailed' | 'LabelRemovalFailed';
      message: string;
    };

const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
] as const;

/** The object as a diff shows it: without `status` and server-managed metadata. */
export function comparable(obj: KubeObject | undefined): Record<string, unknown> | undefined {
  if (!obj) return undefined;
  const { status: _status, ...rest } = obj as KubeObject & { status?: unknown };
  const metadata: Record<string, unknown> = { ...(rest.metadata ?? {}) };
  for (const f of SERVER_METADATA) delete metadata[f];
  return { ...rest, metadata };
}

/** YAML with sorted keys, so the same object always prints the same way. */
export function diffText(obj: KubeObject | undefined): string {
  const c = comparable(obj);
  return c ? stringify(c, { sortMapEntries: true }) : '';
}

/**
 * A unified diff from `before` to `after` (either absent), with headers naming the cluster and
 * object, or undefined when both print the same.
 */
export function unifiedDiff(
  label: { cluster: string; object: string; before: string; after: string },
  before: KubeObject | undefined,
  after: KubeObject | undefined,
): string | undefined {
  const a = diffText(before);
  const b = diffText(after);
  if (a === b) return undefined;
  const patch = createTwoFilesPatch(
    `${label.before}/${label.cluster}/${label.object}`,
    `${label.after}/${label.cluster}/${label.object}`,
    a,
    b,
    undefined,
    undefined,
    { context: 3 },
  );
  // Drop jsdiff's "Index:"/"====" preamble: the ---/+++ headers already name the file.
  return patch.slice(patch.indexOf('--- '));
}

/** `<resource>/<namespace>/<name>` as the diff headers name a member object. */
export function objectLabel(resource: string, namespace: string | undefined, name: string): string {
  return namespace ? `${resource}/${namespace}/${name}` : `${resource}/${name}`;
}

/**
 * One cluster's outcome from its planned action, the live member copy (read from the member, not
 * a cache) and the member's answer to the dry run of the write (none for `none`/`skip`).
 *
 * `drift` (`diff --live`): the same, told apart by whether the control plane last propagated the
 * current spec to the cluster (`recorded`: its version is recorded for the current template and
 * overrides). A write wanted there means the copy moved out of band (`drifted`; the diff reads
 * propagated -> live, what was changed in the member); elsewhere the write is `pending`.
 */
export function clusterDiff(
  action: ClusterAction,
  live: KubeObject | undefined,
  dryRun: DryRun | undefined,
  object: string,
  drift?: { recorded: boolean },
): ClusterDiff {
  const { cluster } = action;
  if (action.kind === 'none') return { cluster, action: 'unchanged' };
  if (action.kind === 'skip') {
    // WaitingForRemoval is no failure: the copy is on its way out and comes back by itself.
    if (action.reason === 'WaitingForRemoval')
      return { cluster, action: 'unchanged', reason: action.reason, message: action.message };
    return { cluster, action: 'error', reason: action.reason, message: action.message };
  }
  if (!dryRun) return { cluster, action: 'error', reason: 'DryRunMissing', message: 'no dry run was made' };
  if (dryRun.kind === 'refused')
    return { cluster, action: 'error', reason: dryRun.reason, message: dryRun.message };
  const note = dryRun.kind === 'unjudged' ? { message: dryRun.message } : {};
  const answer = dryRun.kind === 'ok' ? dryRun.object : undefined;
  const planned = action.kind === 'delete' ? undefined : (answer ?? action.object);
  const changed = action.kind === 'update' || action.kind === 'removeManagedLabel' ? 'update' : action.kind;
  if (drift) {
    if (changed === 'update') {
      const diff = unifiedDiff({ cluster, object, before: 'propagated', after: 'live' }, planned, live);
      if (!diff) return { cluster, action: 'unchanged' };
      if (drift.recorded) return { cluster, action: 'drifted', reason: 'Changed', diff };
    }
    if (changed === 'create' && drift.recorded)
      return {
        cluster,
        action: 'drifted',
        reason: 'Deleted',
        message: `the copy in cluster ${cluster} was deleted out of band; the control plane creates it again`,
      };
    return {
      cluster,
      action: 'pending',
      reason: changed,
      message: `the control plane has not propagated the current spec to cluster ${cluster} yet`,
    };
  }
  const diff = unifiedDiff({ cluster, object, before: 'live', after: 'planned' }, live, planned);
  if (changed === 'update' && !diff) return { cluster, action: 'unchanged' };
  return { cluster, action: changed, ...note, ...(diff ? { diff } : {}) };
}

const CHANGES: ReadonlySet<DiffAction> = new Set(['create', 'update', 'delete', 'drifted']);

/** Exit status as kubectl diff's: 0 nothing would change, 1 something would, 2 something would fail. */
export function diffExitCode(objects: readonly ObjectDiff[]): 0 | 1 | 2 {
  if (objects.some((o) => o.error || o.clusters.some((c) => c.action === 'error'))) return 2;
  return objects.some((o) => o.clusters.some((c) => CHANGES.has(c.action))) ? 1 : 0;
}

export function describeObject(o: Pick<ObjectDiff, 'kind' | 'namespace' | 'name'>): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}

/** `FederatedDeployment demo/web: cluster2: update, cluster3: create` (or the object's error). */
export function summaryLine(o: ObjectDiff): string {
  if (o.error) return `${describeObject(o)}: error: ${o.error}`;
  if (o.clusters.length === 0) return `${describeObject(o)}: placed in no cluster`;
  return `${describeObject(o)}: ${o.clusters.map((c) => `${c.cluster}: ${c.action}`).join(', ')}`;
}

export interface Palette {
  added(s: string): string;
  removed(s: string): string;
  hunk(s: string): string;
  header(s: string): string;
}

export const PLAIN: Palette = { added: (s) => s, removed: (s) => s, hunk: (s) => s, header: (s) => s };

/** ANSI colours as git's: green additions, red removals, cyan hunk headers, bold file headers. */
export const ANSI: Palette = {
  added: (s) => `\u001b[32m${s}\u001b[0m`,
  removed: (s) => `\u001b[31m${s}\u001b[0m`,
  hunk: (s) => `\u001b[36m${s}\u001b[0m`,
  header: (s) => `\u001b[1m${s}\u001b[0m`,
};

function colourDiff(diff: string, p: Palette): string {
  return diff
    .split('\n')
    .map((l) =>
      l.startsWith('--- ') || l.startsWith('+++ ')
        ? p.header(l)
        : l.startsWith('@@')
          ? p.hunk(l)
          : l.startsWith('+')
            ? p.added(l)
            : l.startsWith('-')
              ? p.removed(l)
              : l,
    )
    .join('\n');
}

/** The text `kubefedctl diff` prints: per object, per cluster its outcome and diff; then the summaries. */
export function renderDiffText(objects: readonly ObjectDiff[], palette: Palette = PLAIN): string {
  let out = '';
  for (const o of objects) {
    out += palette.header(`# ${describeObject(o)}`) + '\n';
    if (o.error) {
      out += `error: ${o.error}\n\n`;
      continue;
    }
    for (const c of o.clusters) {
      const why = [c.reason, c.message].filter(Boolean).join(': ');
      out += `${c.cluster}: ${c.action}${why ? ` (${why})` : ''}\n`;
      if (c.diff) out += colourDiff(c.diff.endsWith('\n') ? c.diff : `${c.diff}\n`, palette);
    }
    out += '\n';
  }
  for (const o of objects) out += `${summaryLine(o)}\n`;
  return out;
}

/** Cells of `kubefedctl plan`: one row per object, one column per cluster (`-`: not there). */
export function planTable(objects: readonly ObjectDiff[]): { header: string[]; rows: string[][] } {
  const clusters = [...new Set(objects.flatMap((o) => o.clusters.map((c) => c.cluster)))].sort();
  const header = ['OBJECT', ...clusters.map((c) => c.toUpperCase())];
  const rows = objects.map((o) => {
    const name = `${o.kind}/${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
    if (o.error) return [name, ...clusters.map(() => 'error')];
    const by = new Map(o.clusters.map((c) => [c.cluster, c.action]));
    return [name, ...clusters.map((c) => by.get(c) ?? '-')];
  });
  return { header, rows };
}

/** `3 objects: 1 to create, 2 to update, 0 to delete, 1 error, 4 unchanged` (counts of cluster cells). */
export function planSummary(objects: readonly ObjectDiff[]): string {
  const count = (a: DiffAction) =>
    objects.reduce((n, o) => n + o.clusters.filter((c) => c.action === a).length, 0);
  const errors = count('error') + objects.filter((o) => o.error).length;
  return `${objects.length} object${objects.length === 1 ? '' : 's'}: ${count('create')} to create, ${count('update')} to update, ${count('delete')} to delete, ${errors} error${errors === 1 ? '' : 's'}, ${count('unchanged')} unchanged`;
}
