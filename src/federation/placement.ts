/**
 * Placement: which registered member clusters a federated object goes to.
 *
 * Precedence, as upstream KubeFed v0.10 (only registered KubeFedClusters ever count):
 * 1. `placement.clusters` present, even `[]` ⇒ exactly the listed names that are registered; the
 *    selector is ignored. Unregistered names are dropped and reported in `unknownClusters`.
 * 2. `clusters` absent and no `clusterSelector` ⇒ no cluster.
 * 3. `clusterSelector: {}` ⇒ every cluster.
 * 4. Otherwise the clusters whose KubeFedCluster labels match the selector.
 *
 * Namespaced federated objects are further limited by their FederatedNamespace (`<ns>/<ns>`):
 * the caller computes that placement with this same function and passes its `clusters` as
 * `namespacePlacement`; the result is the intersection. When the namespace is not federated
 * (`'unfederated'`): a cluster-scoped control plane places nothing (reason NamespaceNotFederated,
 * so existing copies are removed); a namespace-scoped plane uses the object's own placement, since
 * its single namespace exists in every member by definition.
 *
 * An invalid selector fails the whole computation (upstream: ComputePlacementFailed).
 */
import type { KubeFedCluster, KubeFedConfigSpec } from '../api/core.js';
import type { Placement } from '../api/types.js';
import { matches, parseLabelSelector } from './selector.js';

/** The control plane's scope (KubeFedConfig `spec.scope`): all namespaces, or only its own. */
export type ControlPlaneScope = KubeFedConfigSpec['scope'];

export interface PlacementInput {
  placement: Placement | undefined;
  /** The registered member clusters. */
  clusters: readonly KubeFedCluster[];
  /**
   * For namespaced federated objects: the clusters of the FederatedNamespace, or `'unfederated'`
   * when there is none. Leave undefined for cluster-scoped objects and FederatedNamespaces.
   */
  namespacePlacement?: readonly string[] | 'unfederated';
  /** The control plane's scope (KubeFedConfig spec.scope). */
  scope: ControlPlaneScope;
  /** Prefix of selector errors; default `spec.placement`. */
  path?: string;
}

export interface PlacementOk {
  kind: 'ok';
  /** Selected registered clusters, sorted by name. */
  clusters: string[];
  /** Names in `placement.clusters` that are not registered, sorted. */
  unknownClusters: string[];
  /** `clusters` that are Ready, and those that are not (both sorted). */
  ready: string[];
  notReady: string[];
  /** Set when a cluster-scoped plane places nothing because the namespace is not federated. */
  reason?: 'NamespaceNotFederated';
}

export interface PlacementFailed {
  kind: 'failed';
  reason: 'ComputePlacementFailed';
  message: string;
}

export type PlacementResult = PlacementOk | PlacementFailed;

/** "Ready" everywhere in KubeFed: the cluster has a Ready condition with status True. */
export function clusterIsReady(cluster: Pick<KubeFedCluster, 'status'>): boolean {
  return cluster.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * {@link PlacementInput.namespacePlacement} for an object in a namespace, from the namespace's
 * FederatedNamespace: `'unfederated'` when there is none or it is being deleted; a
 * FederatedNamespace whose own placement cannot be computed places nothing.
 */
export function namespacePlacementOf(
  fedNamespace: { metadata: { deletionTimestamp?: string }; spec?: { placement?: Placement } } | undefined,
  clusters: readonly KubeFedCluster[],
  scope: ControlPlaneScope,
): readonly string[] | 'unfederated' {
  if (!fedNamespace || fedNamespace.metadata.deletionTimestamp) return 'unfederated';
  const p = computePlacement({ placement: fedNamespace.spec?.placement, clusters, scope });
  return p.kind === 'ok' ? p.clusters : [];
}

export function computePlacement(input: PlacementInput): PlacementResult {
  const { placement, clusters, namespacePlacement, scope } = input;
  const path = input.path ?? 'spec.placement';
  const registered = new Map<string, KubeFedCluster>();
  for (const c of clusters) if (c.metadata.name) registered.set(c.metadata.name, c);

  let selected: Set<string>;
  const unknown = new Set<string>();
  if (placement?.clusters !== undefined && placement.clusters !== null) {
    selected = new Set();
    for (const ref of placement.clusters) {
      const name = ref?.name;
      if (typeof name !== 'string' || name === '') continue;
      if (registered.has(name)) selected.add(name);
      else unknown.add(name);
    }
  } else if (placement?.clusterSelector === undefined || placement.clusterSelector === null) {
    selected = new Set();
  } else {
    const parsed = parseLabelSelector(placement.clusterSelector, `${path}.clusterSelector`);
    if (parsed.kind === 'invalid') {
      return { kind: 'failed', reason: 'ComputePlacementFailed', message: parsed.errors.join('; ') };
    }
    selected = new Set(
      [...registered.values()]
        .filter((c) => matches(parsed.selector, c.metadata.labels))
        .map((c) => c.metadata.name!),
    );
  }

  let reason: PlacementOk['reason'];
  if (namespacePlacement === 'unfederated') {
    if (scope === 'Cluster') {
      selected = new Set();
      reason = 'NamespaceNotFederated';
    }
  } else if (namespacePlacement !== undefined) {
    const allowed = new Set(namespacePlacement);
    selected = new Set([...selected].filter((name) => allowed.has(name)));
  }

  const names = [...selected].sort(byName);
  const ready = names.filter((n) => clusterIsReady(registered.get(n)!));
  const notReady = names.filter((n) => !clusterIsReady(registered.get(n)!));
  return {
    kind: 'ok',
    clusters: names,
    unknownClusters: [...unknown].sort(byName),
    ready,
    notReady,
    ...(reason ? { reason } : {}),
  };
}
