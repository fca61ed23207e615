/**
 * Retention: before an update, keep the values a member cluster owns in the desired object, so
 * propagation does not fight the member's API server and controllers (upstream KubeFed v0.10's
 * dispatch/retain.go, plus metadata merging and Jobs).
 *
 * Every kind:
 * - `metadata.resourceVersion` from the member object (the update is a compare-and-swap);
 * - `metadata.finalizers` from the member object (set by member controllers);
 * - `metadata.labels` and `metadata.annotations` are merged: keys the desired object sets win;
 *   keys only the member object has stay (added by a member user or controller), except keys that
 *   the last propagation set and the desired object no longer sets (removed from the template or
 *   overrides), which are removed. The last-propagated key set is an input, else it is read from
 *   the member object's `kubefed.io/propagated-keys` annotation, which render.ts writes with every
 *   propagation; without either (an object adopted, or written by upstream KubeFed) nothing is
 *   removed. (Upstream keeps member annotations wholesale and drops member-added labels, and never
 *   removes a key the template stopped setting.)
 *
 * The template marker `metadata.annotations.retain: "true"` (user guide, "Keeping local values")
 * means: the member's labels and annotations are never removed or rewritten by propagation except
 * for the keys the desired object sets. Concretely it turns off the removal of previously
 * propagated keys above, so a key that a member user took over (e.g. edited locally) is never
 * silently dropped when the template stops setting it. It does not retain spec fields: those
 * follow the per-field rules below and `spec.retainReplicas`.
 *
 * Per kind (core `Service` / `ServiceAccount`, `batch` `Job`; other groups' kinds of the same name
 * are left alone):
 * - Service: `spec.clusterIP` and `spec.clusterIPs` when the member has them (allocated there),
 *   `spec.healthCheckNodePort` when > 0, and each `spec.ports[].nodePort`, matched to the desired
 *   port on (name, protocol, port) as upstream, then on name, then on (port, protocol); protocol
 *   defaults to TCP. As upstream, the member's allocated values win over the template's.
 * - ServiceAccount: `secrets` when the desired object has none (the member's token controller
 *   fills it). `imagePullSecrets` are not retained, as upstream.
 * - Job: the generated `spec.selector` (unless the template sets one) and the generated pod
 *   template labels `controller-uid`, `job-name`, `batch.kubernetes.io/controller-uid`,
 *   `batch.kubernetes.io/job-name`; both are immutable, so without them every update would fail.
 * - Any kind, when `retainReplicas`: `spec.replicas` from the member object (e.g. set by an HPA).
 *
 * A member value of an unexpected type fails with FieldRetentionFailed rather than being guessed.
 */
import type { KubeObject } from '../kube/resource.js';
import { cloneJson } from './jsonpointer.js';

export const RETAIN_ANNOTATION = 'retain';
/** On member objects: the label and annotation keys the propagation set, as JSON. */
export const PROPAGATED_KEYS_ANNOTATION = 'kubefed.io/propagated-keys';

/** The metadata keys a previous propagation set on a member object. */
export interface PropagatedKeys {
  labels?: readonly string[];
  annotations?: readonly string[];
}

/**
 * The annotation value recording the keys `metadata` sets (sorted; the bookkeeping keys of
 * propagation itself excluded), or undefined when it sets none.
 */
export function encodePropagatedKeys(
  metadata: { labels?: unknown; annotations?: unknown },
  exclude: { labels?: readonly string[] } = {},
): string | undefined {
  const keysOf = (m: unknown, skip: readonly string[]) =>
    isRecord(m)
      ? Object.keys(m)
          .filter((k) => !skip.includes(k))
          .sort()
      : [];
  const labels = keysOf(metadata.labels, exclude.labels ?? []);
  const annotations = keysOf(metadata.annotations, [PROPAGATED_KEYS_ANNOTATION]);
  if (labels.length === 0 && annotations.length === 0) return undefined;
  return JSON.stringify({
    ...(labels.length ? { labels } : {}),
    ...(annotations.length ? { annotations } : {}),
  });
}

/** The keys recorded by {@link encodePropagatedKeys}; undefined when absent or unreadable. */
export function decodePropagatedKeys(value: unknown): PropagatedKeys | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    if (!isRecord(parsed)) return undefined;
    const list = (v: unknown) => (Array.isArray(v) && v.every((k) => typeof k === 'string') ? v : undefined);
    const labels = list(parsed.labels);
    const annotations = list(parsed.annotations);
    return { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
  } catch {
    return undefined;
  }
}

export interface RetainInput {
  /** The rendered object (render.ts); not mutated. */
  desired: KubeObject;
  /** The object in the member cluster; not mutated. */
  observed: KubeObject;
  /** The federated object's `spec.retainReplicas`. */
  retainReplicas: boolean;
  lastPropagatedKeys?: PropagatedKeys;
}

export type RetainOutcome =
  { kind: 'ok'; object: KubeObject } | { kind: 'failed'; reason: 'FieldRetentionFailed'; message: string };

export const JOB_GENERATED_LABELS = [
  'controller-uid',
  'job-name',
  'batch.kubernetes.io/controller-uid',
  'batch.kubernetes.io/job-name',
] as const;

class RetentionError extends Error {}

type Obj = Record<string, unknown>;
const isRecord = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const groupOf = (apiVersion: unknown) =>
  typeof apiVersion === 'string' && apiVersion.includes('/') ? apiVersion.split('/')[0]! : '';

export function retainMemberFields(input: RetainInput): RetainOutcome {
  try {
    const desired = cloneJson(input.desired) as Obj;
    const observed = input.observed as unknown as Obj;
    retainMetadata(desired, observed, input.lastPropagatedKeys);
    const kind = desired.kind;
    const group = groupOf(desired.apiVersion);
    if (group === '' && kind === 'Service') retainService(desired, observed);
    else if (group === '' && kind === 'ServiceAccount') retainServiceAccount(desired, observed);
    else if (group === 'batch' && kind === 'Job') retainJob(desired, observed);
    if (input.retainReplicas) retainReplicas(desired, observed);
    return { kind: 'ok', object: desired as KubeObject };
  } catch (e) {
    if (e instanceof RetentionError)
      return { kind: 'failed', reason: 'FieldRetentionFailed', message: e.message };
    throw e;
  }
}

/** `obj[...path]` checked to be a record (or absent). */
function nested(obj: Obj, path: readonly string[], what: string): Obj | undefined {
  let cur: unknown = obj;
  for (const [i, key] of path.entries()) {
    if (cur === undefined || cur === null) return undefined;
    if (!isRecord(cur)) throw new RetentionError(`${what}: ${path.slice(0, i).join('.')} is not an object`);
    cur = cur[key];
  }
  if (cur === undefined || cur === null) return undefined;
  if (!isRecord(cur)) throw new RetentionError(`${what}: ${path.join('.')} is not an object`);
  return cur;
}

/** `obj[...path]` as a record, created when absent. */
function ensure(obj: Obj, path: readonly string[], what: string): Obj {
  let cur = obj;
  for (const [i, key] of path.entries()) {
    const next = cur[key];
    if (next === undefined || next === null) cur[key] = {};
    else if (!isRecord(next))
      throw new RetentionError(`${what}: ${path.slice(0, i + 1).join('.')} is not an object`);
    cur = cur[key] as Obj;
  }
  return cur;
}

function stringMap(v: unknown, what: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw new RetentionError(`${what} must map keys to string values`);
  }
  return v as Record<string, string>;
}

function retainMetadata(desired: Obj, observed: Obj, given: PropagatedKeys | undefined): void {
  const dMeta = ensure(desired, ['metadata'], 'desired object');
  const oMeta = nested(observed, ['metadata'], 'member object') ?? {};
  const oAnnotations = isRecord(oMeta.annotations) ? oMeta.annotations : {};
  const last = given ?? decodePropagatedKeys(oAnnotations[PROPAGATED_KEYS_ANNOTATION]);

  const rv = oMeta.resourceVersion;
  if (typeof rv === 'string' && rv !== '') dMeta.resourceVersion = rv;
  else delete dMeta.resourceVersion;

  const finalizers = oMeta.finalizers;
  if (finalizers === undefined || finalizers === null) delete dMeta.finalizers;
  else if (Array.isArray(finalizers) && finalizers.every((f) => typeof f === 'string')) {
    dMeta.finalizers = [...finalizers];
  } else throw new RetentionError('member object: metadata.finalizers must be a list of strings');

  const retain = stringMap(dMeta.annotations, 'desired metadata.annotations')?.[RETAIN_ANNOTATION] === 'true';
  for (const field of ['labels', 'annotations'] as const) {
    const want = stringMap(dMeta[field], `desired metadata.${field}`) ?? {};
    const have = stringMap(oMeta[field], `member metadata.${field}`) ?? {};
    const dropped = retain ? [] : (last?.[field] ?? []).filter((k) => !Object.hasOwn(want, k));
    const merged: Record<string, string> = {};
    for (const [k, v] of Object.entries(have)) if (!dropped.includes(k)) merged[k] = v;
    // The record of propagated keys is propagation's own: always the desired one, or none.
    if (field === 'annotations') delete merged[PROPAGATED_KEYS_ANNOTATION];
    Object.assign(merged, want);
    if (Object.keys(merged).length > 0) dMeta[field] = merged;
    else delete dMeta[field];
  }
}

function retainService(desired: Obj, observed: Obj): void {
  const oSpec = nested(observed, ['spec'], 'member Service');
  if (!oSpec) return;
  const dSpec = ensure(desired, ['spec'], 'desired Service');

  const hc = oSpec.healthCheckNodePort;
  if (hc !== undefined && hc !== null) {
    if (typeof hc !== 'number')
      throw new RetentionError('member Service: spec.healthCheckNodePort is not a number');
    if (hc > 0) dSpec.healthCheckNodePort = hc;
  }
  const ip = oSpec.clusterIP;
  if (ip !== undefined && ip !== null) {
    if (typeof ip !== 'string') throw new RetentionError('member Service: spec.clusterIP is not a string');
    if (ip !== '') dSpec.clusterIP = ip;
  }
  const ips = oSpec.clusterIPs;
  if (ips !== undefined && ips !== null) {
    if (!Array.isArray(ips) || ips.some((x) => typeof x !== 'string')) {
      throw new RetentionError('member Service: spec.clusterIPs is not a list of strings');
    }
    if (ips.length > 0) dSpec.clusterIPs = [...(ips as string[])];
  }

  const oPorts = oSpec.ports;
  if (oPorts === undefined || oPorts === null) return;
  if (!Array.isArray(oPorts) || !oPorts.every(isRecord)) {
    throw new RetentionError('member Service: spec.ports is not a list of objects');
  }
  const dPorts = dSpec.ports;
  if (dPorts === undefined || dPorts === null) return;
  if (!Array.isArray(dPorts) || !dPorts.every(isRecord)) {
    throw new RetentionError('desired Service: spec.ports is not a list of objects');
  }
  const norm = (p: Obj) => ({
    name: typeof p.name === 'string' ? p.name : '',
    protocol: typeof p.protocol === 'string' && p.protocol !== '' ? p.protocol : 'TCP',
    port: p.port,
  });
  const candidates = oPorts.filter((p) => p.nodePort !== undefined && p.nodePort !== null);
  const used = new Set<Obj>();
  const rules: ((d: ReturnType<typeof norm>, o: ReturnType<typeof norm>) => boolean)[] = [
    (d, o) => d.name === o.name && d.protocol === o.protocol && d.port === o.port,
    (d, o) => d.name !== '' && d.name === o.name,
    (d, o) => d.port === o.port && d.protocol === o.protocol,
  ];
  const assigned = new Set<Obj>();
  for (const rule of rules) {
    for (const dp of dPorts) {
      if (assigned.has(dp)) continue;
      const match = candidates.find((op) => !used.has(op) && rule(norm(dp), norm(op)));
      if (!match) continue;
      if (typeof match.nodePort !== 'number') {
        throw new RetentionError('member Service: spec.ports[].nodePort is not a number');
      }
      dp.nodePort = match.nodePort;
      used.add(match);
      assigned.add(dp);
    }
  }
}

function retainServiceAccount(desired: Obj, observed: Obj): void {
  const want = desired.secrets;
  if (want !== undefined && want !== null && (!Array.isArray(want) || want.length > 0)) return;
  const have = observed.secrets;
  if (have === undefined || have === null) return;
  if (!Array.isArray(have)) throw new RetentionError('member ServiceAccount: secrets is not a list');
  if (have.length > 0) desired.secrets = cloneJson(have);
}

function retainJob(desired: Obj, observed: Obj): void {
  const oSpec = nested(observed, ['spec'], 'member Job');
  if (!oSpec) return;
  const dSpec = ensure(desired, ['spec'], 'desired Job');
  const selector = oSpec.selector;
  if (
    (dSpec.selector === undefined || dSpec.selector === null) &&
    selector !== undefined &&
    selector !== null
  ) {
    if (!isRecord(selector)) throw new RetentionError('member Job: spec.selector is not an object');
    dSpec.selector = cloneJson(selector);
  }
  const oLabels = stringMap(
    nested(observed, ['spec', 'template', 'metadata'], 'member Job')?.labels,
    'member Job spec.template.metadata.labels',
  );
  const generated = JOB_GENERATED_LABELS.filter((k) => oLabels && Object.hasOwn(oLabels, k));
  if (generated.length === 0) return;
  const dMeta = ensure(dSpec, ['template', 'metadata'], 'desired Job spec');
  const dLabels = stringMap(dMeta.labels, 'desired Job spec.template.metadata.labels') ?? {};
  const labels: Record<string, string> = { ...dLabels };
  for (const k of generated) if (!Object.hasOwn(labels, k)) labels[k] = oLabels![k]!;
  dMeta.labels = labels;
}

function retainReplicas(desired: Obj, observed: Obj): void {
  const oSpec = nested(observed, ['spec'], 'member object');
  const replicas = oSpec?.replicas;
  if (replicas === undefined || replicas === null) return;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas)) {
    throw new RetentionError('member object: spec.replicas is not an integer');
  }
  ensure(desired, ['spec'], 'desired object').replicas = replicas;
}
