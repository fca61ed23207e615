/**
 * Rendering: the object a member cluster should hold, from a federated object, for one cluster.
 *
 * Steps, in order (upstream KubeFed v0.10's ObjectForCluster, with the differences marked):
 * 1. Start from a copy of `spec.template` (`{}` when absent, e.g. FederatedNamespace).
 * 2. Identity: `metadata.name` = the federated object's name; `metadata.namespace` = its namespace,
 *    except for a Namespace target (a FederatedNamespace `ns/ns` renders the Namespace `ns`);
 *    `kind` = the target kind; `apiVersion` = the template's when it sets one, else the target's.
 * 3. Template `metadata.finalizers` are dropped (upstream: event FinalizersNotSupported), as are
 *    fields only an API server sets (uid, resourceVersion, generation, creationTimestamp,
 *    deletionTimestamp, deletionGracePeriodSeconds, selfLink, managedFields) — a template copied
 *    from a live object would otherwise fail to create.
 *    Difference: template `metadata.annotations` are KEPT and propagated (upstream drops them).
 * 4. The cluster's overrides (see overrides.ts); any invalid override ⇒ ApplyOverridesFailed.
 * 5. The identity of step 2 (name, namespace, kind) is set again, so an override of a whole parent
 *    such as `/metadata` cannot detach the member object; then the label
 *    `kubefed.io/managed: "true"` is forced.
 *
 * Retention of member-owned fields (retain.ts) is a separate step applied to updates only.
 */
import type { FederatedObject, Overrides } from '../api/types.js';
import type { KubeObject } from '../kube/resource.js';
import { applyPatch, cloneJson } from './jsonpointer.js';
import { operationProblem, overridesFor, validateOverrides } from './overrides.js';
import { encodePropagatedKeys, PROPAGATED_KEYS_ANNOTATION } from './retain.js';

export const MANAGED_LABEL = 'kubefed.io/managed';
export const MANAGED_LABEL_VALUE = 'true';

/** Metadata fields that only an API server sets; never copied from a template. */
const SERVER_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
  'managedFields',
] as const;

export interface RenderInput {
  federated: FederatedObject;
  /** The target API version, `<group>/<version>` or `v1` for the core group. */
  targetApiVersion: string;
  targetKind: string;
  cluster: string;
  /** The overrides to apply; default: `federated.spec.overrides`. */
  overrides?: Overrides;
}

export type RenderOutcome =
  | { kind: 'ok'; object: KubeObject }
  | { kind: 'failed'; reason: 'ApplyOverridesFailed' | 'ComputeResourceFailed'; message: string };

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Whether the target is the core Namespace (rendered without a namespace, named like it). */
export function isNamespaceTarget(targetApiVersion: string, targetKind: string): boolean {
  return targetKind === 'Namespace' && targetApiVersion === 'v1';
}

export function renderForCluster(input: RenderInput): RenderOutcome {
  const { federated, targetApiVersion, targetKind, cluster } = input;
  const fail = (message: string): RenderOutcome => ({
    kind: 'failed',
    reason: 'ComputeResourceFailed',
    message,
  });
  const name = federated.metadata?.name;
  if (!name) return fail('the federated object has no metadata.name');
  const namespaceTarget = isNamespaceTarget(targetApiVersion, targetKind);
  const namespace = namespaceTarget ? undefined : federated.metadata.namespace;

  const template: unknown = federated.spec?.template ?? {};
  if (!isRecord(template)) return fail('spec.template must be an object');
  let object: Record<string, unknown>;
  try {
    object = cloneJson(template) as Record<string, unknown>;
  } catch (e) {
    return fail(`spec.template is not JSON: ${(e as Error).message}`);
  }
  const metadata = object.metadata ?? {};
  if (!isRecord(metadata)) return fail('spec.template.metadata must be an object');
  for (const field of ['labels', 'annotations'] as const) {
    const map = metadata[field];
    if (map === undefined || map === null) continue;
    if (!isRecord(map) || Object.values(map).some((v) => typeof v !== 'string')) {
      return fail(`spec.template.metadata.${field} must map keys to string values`);
    }
  }
  for (const field of [...SERVER_METADATA, 'finalizers']) delete metadata[field];
  object.metadata = metadata;
  if (typeof object.apiVersion !== 'string' || object.apiVersion === '') object.apiVersion = targetApiVersion;
  setIdentity(object, name, namespace, targetKind);

  const overrides = input.overrides ?? federated.spec?.overrides;
  const errors = validateOverrides(overrides);
  if (errors.length > 0) {
    return { kind: 'failed', reason: 'ApplyOverridesFailed', message: errors.join('; ') };
  }
  const ops = overridesFor(overrides, cluster);
  if (ops.length > 0) {
    for (const [index, op] of ops.entries()) {
      const problem = operationProblem(op as unknown as Record<string, unknown>);
      if (problem) {
        return {
          kind: 'failed',
          reason: 'ApplyOverridesFailed',
          message: `overrides for cluster ${JSON.stringify(cluster)}: ${op.op} ${JSON.stringify(op.path)} (operation ${index}): ${problem.field}: ${problem.message}`,
        };
      }
    }
    const patched = applyPatch(object, ops);
    if (patched.kind === 'failed') {
      return {
        kind: 'failed',
        reason: 'ApplyOverridesFailed',
        message: `overrides for cluster ${JSON.stringify(cluster)}: ${patched.message}`,
      };
    }
    if (!isRecord(patched.value)) {
      return {
        kind: 'failed',
        reason: 'ApplyOverridesFailed',
        message: `overrides for cluster ${JSON.stringify(cluster)} made the object a non-object`,
      };
    }
    object = patched.value;
    if (object.metadata !== undefined && !isRecord(object.metadata)) {
      return {
        kind: 'failed',
        reason: 'ApplyOverridesFailed',
        message: `overrides for cluster ${JSON.stringify(cluster)} made metadata a non-object`,
      };
    }
    const labels = object.metadata?.labels;
    if (labels !== undefined && labels !== null && !isRecord(labels)) {
      return {
        kind: 'failed',
        reason: 'ApplyOverridesFailed',
        message: `overrides for cluster ${JSON.stringify(cluster)} made metadata.labels a non-object`,
      };
    }
    setIdentity(object, name, namespace, targetKind);
  }

  const meta = object.metadata as Record<string, unknown>;
  meta.labels = { ...(meta.labels ?? {}), [MANAGED_LABEL]: MANAGED_LABEL_VALUE };
  // Recorded so that a key the template stops setting can be removed from members (retain.ts).
  // (A template copied from a member may carry an old record: never propagate that one.)
  const annotations = { ...((meta.annotations as Record<string, string> | undefined) ?? {}) };
  delete annotations[PROPAGATED_KEYS_ANNOTATION];
  const keys = encodePropagatedKeys({ labels: meta.labels, annotations }, { labels: [MANAGED_LABEL] });
  if (keys) annotations[PROPAGATED_KEYS_ANNOTATION] = keys;
  if (Object.keys(annotations).length > 0) meta.annotations = annotations;
  else delete meta.annotations;
  return { kind: 'ok', object: object as KubeObject };
}

function setIdentity(
  object: Record<string, unknown>,
  name: string,
  namespace: string | undefined,
  kind: string,
): void {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  metadata.name = name;
  if (namespace) metadata.namespace = namespace;
  else delete metadata.namespace;
  delete metadata.generateName;
  object.metadata = metadata;
  object.kind = kind;
}
