/**
 * Pure helpers of the sync controller: which federated key a member object or a FederatedNamespace
 * maps to, which FederatedNamespaces are ignored, and member delete options from the
 * `kubefed.io/deleteoption` annotation.
 */
import type { FederatedObject } from '../../api/types.js';
import type { DeleteOptions, KubeObject } from '../../kube/resource.js';

export const DELETE_OPTION_ANNOTATION = 'kubefed.io/deleteoption';

/** Namespaces whose FederatedNamespace is ignored (as upstream): system namespaces and the kubefed one. */
export function isIgnoredNamespace(namespace: string, kubefedNamespace: string): boolean {
  return ['kube-system', 'kube-public', 'default', kubefedNamespace].includes(namespace);
}

/**
 * The federated key of a member object: the same `namespace/name` (or `name` when cluster-scoped);
 * a member Namespace `ns` maps to its FederatedNamespace `ns/ns`.
 */
export function federatedKeyOf(member: Pick<KubeObject, 'metadata'>, namespaceTarget: boolean): string {
  const { name, namespace } = member.metadata;
  if (namespaceTarget) return `${name}/${name}`;
  return namespace ? `${namespace}/${name}` : (name ?? '');
}

/** The member object's namespace and name for a federated key. */
export function targetNameOf(
  key: string,
  namespaceTarget: boolean,
): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  const namespace = i < 0 ? undefined : key.slice(0, i);
  const name = i < 0 ? key : key.slice(i + 1);
  return namespaceTarget ? { namespace: undefined, name } : { namespace, name };
}

export type DeleteOptionsOutcome =
  { kind: 'ok'; options: Omit<DeleteOptions, 'namespace'> } | { kind: 'invalid'; message: string };

/** Member delete options from the `kubefed.io/deleteoption` annotation (JSON DeleteOptions). */
export function deleteOptionsOf(federated: Pick<KubeObject, 'metadata'>): DeleteOptionsOutcome {
  const raw = federated.metadata.annotations?.[DELETE_OPTION_ANNOTATION];
  if (raw === undefined || raw === '') return { kind: 'ok', options: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    return {
      kind: 'invalid',
      message: `annotation ${DELETE_OPTION_ANNOTATION} is not JSON: ${(e as Error).message}`,
    };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { kind: 'invalid', message: `annotation ${DELETE_OPTION_ANNOTATION} must be a JSON object` };
  }
  const p = parsed as Record<string, unknown>;
  const options: Omit<DeleteOptions, 'namespace'> = {};
  if (p.propagationPolicy !== undefined) {
    if (!['Orphan', 'Background', 'Foreground'].includes(p.propagationPolicy as string)) {
      return {
        kind: 'invalid',
        message: `annotation ${DELETE_OPTION_ANNOTATION}: propagationPolicy must be Orphan, Background or Foreground`,
      };
    }
    options.propagationPolicy = p.propagationPolicy as DeleteOptions['propagationPolicy'];
  }
  if (p.gracePeriodSeconds !== undefined) {
    if (!Number.isInteger(p.gracePeriodSeconds) || (p.gracePeriodSeconds as number) < 0) {
      return {
        kind: 'invalid',
        message: `annotation ${DELETE_OPTION_ANNOTATION}: gracePeriodSeconds must be a non-negative integer`,
      };
    }
    options.gracePeriodSeconds = p.gracePeriodSeconds as number;
  }
  if (p.preconditions !== undefined) {
    if (typeof p.preconditions !== 'object' || p.preconditions === null) {
      return {
        kind: 'invalid',
        message: `annotation ${DELETE_OPTION_ANNOTATION}: preconditions must be an object`,
      };
    }
    options.preconditions = p.preconditions;
  }
  return { kind: 'ok', options };
}

let lastSecond = Number.NaN;
let lastString = '';

/** RFC 3339 UTC without fractional seconds, as Kubernetes metav1.Time serializes. */
export function rfc3339(date: Date): string {
  // One string per second: every pass computes its status with the time of day.
  const second = Math.floor(date.getTime() / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    lastString = date.toISOString().replace(/\.\d+Z$/, 'Z');
  }
  return lastString;
}

/**
 * Whether an update of a federated object can change what its pass does. Not when only its
 * status changed to one written for its current generation (our own status write, seen again),
 * or only our finalizer was added (the pass that added it goes on with the patched object):
 * each new object would otherwise be looked at three times. A status changed by anyone else (no
 * observedGeneration, or another generation's) is looked at, and rewritten.
 */
export function updateNeedsPass(a: FederatedObject, b: FederatedObject, finalizer: string): boolean {
  const ma = a.metadata;
  const mb = b.metadata;
  if (ma.generation !== mb.generation || ma.deletionTimestamp !== mb.deletionTimestamp) return true;
  if (!sameRecord(ma.labels, mb.labels) || !sameRecord(ma.annotations, mb.annotations)) return true;
  const fa = (ma.finalizers ?? []).join('\n');
  const fb = mb.finalizers ?? [];
  const weAdded =
    !(ma.finalizers ?? []).includes(finalizer) &&
    fb.includes(finalizer) &&
    fb.filter((f) => f !== finalizer).join('\n') === fa;
  if (fa !== fb.join('\n') && !weAdded) return true;
  const observed = b.status?.observedGeneration;
  return JSON.stringify(a.status ?? null) !== JSON.stringify(b.status ?? null) && observed !== mb.generation;
}

function sameRecord(a: Record<string, string> | undefined, b: Record<string, string> | undefined): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => a![k] === b?.[k]);
}
