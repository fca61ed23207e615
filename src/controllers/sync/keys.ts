/**
 * Pure helpers of the sync controller: which federated key a member object or a FederatedNamespace
 * maps to, which FederatedNamespaces are ignored, and member delete options from the
 * `kubefed.io/deleteoption` annotation.
 */
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

/** RFC 3339 UTC without fractional seconds, as Kubernetes metav1.Time serializes. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, 'Z');
}
