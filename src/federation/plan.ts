/**
 * The propagation planner: from everything the sync controller read (federated object, clusters,
 * placement, rendered objects, cached member objects, recorded versions), one action per cluster.
 * Pure and deterministic; the dispatcher performs the actions and turns their results into
 * cluster statuses (create/update/label removal ok ⇒ '', delete accepted ⇒ WaitingForRemoval).
 *
 * Propagation (no deletionTimestamp), per registered cluster:
 * - placed, not Ready ⇒ skip ClusterNotReady (nothing attempted);
 * - placed, Ready: rendering failed ⇒ skip with its reason; no member object ⇒ create; member
 *   object terminating ⇒ skip WaitingForRemoval (it is recreated once gone); labelled
 *   `kubefed.io/managed: "false"` ⇒ skip ManagedLabelFalse (never touched); not labelled managed ⇒
 *   adopt (forced update) when adoptResources is Enabled or it is the host's own Namespace, else
 *   skip AlreadyExists; managed ⇒ retention (retain.ts; failure ⇒ FieldRetentionFailed), then
 *   update only if needed (below), else none;
 * - not placed, Ready, with a managed copy: terminating ⇒ skip WaitingForRemoval; the host's own
 *   Namespace ⇒ removeManagedLabel (never deleted); else delete. Unmanaged objects are never
 *   deleted;
 * - not placed, not Ready, with a (cached) managed copy ⇒ `deferred`: handled when it is Ready
 *   again, without a status entry.
 *
 * An update is needed when the member version (`gen:`/`rv:`) differs from the one recorded for the
 * cluster — recorded versions count only while the PropagatedVersion's template and overrides
 * hashes equal the current ones, so a template or overrides change updates every member — or,
 * for generation-versioned objects (metadata changes do not bump the generation), when name,
 * namespace, labels or annotations differ from the desired ones (absent = empty), as upstream.
 *
 * Deletion (deletionTimestamp set): without the `kubefed.io/sync-controller` finalizer there is
 * nothing to do (`finished`). With `kubefed.io/orphan: "true"` (`orphan`): the managed label is
 * removed from every Ready cluster's copy and the finalizer may go at once (as upstream; unready
 * clusters keep their labelled copies). Otherwise (`delete`): every Ready cluster holding a managed
 * copy, placed or not, gets delete (the host's own Namespace: removeManagedLabel; a terminating
 * copy: WaitingForRemoval); a placed cluster that is not Ready blocks (ClusterNotReady) because its
 * copy cannot be removed; unplaced unready clusters never block. The finalizer may be removed when
 * no action is left (the dispatcher should still confirm with live reads, as upstream).
 */
import type { KubeFedCluster } from '../api/core.js';
import type { FederatedObject } from '../api/types.js';
import type { KubeObject } from '../kube/resource.js';
import { cloneJson } from './jsonpointer.js';
import { clusterIsReady, computePlacement, type ControlPlaneScope, type PlacementOk } from './placement.js';
import { MANAGED_LABEL, type RenderOutcome } from './render.js';
import { PROPAGATED_KEYS_ANNOTATION, retainMemberFields, type PropagatedKeys } from './retain.js';
import type { PropagationStatus } from './status.js';
import {
  federatedVersions,
  isGenerationVersion,
  memberVersion,
  recordedClusterVersions,
  type PropagatedVersion,
} from './version.js';

export const SYNC_FINALIZER = 'kubefed.io/sync-controller';
export const ORPHAN_ANNOTATION = 'kubefed.io/orphan';

export type SkipReason = Exclude<PropagationStatus, ''>;

export type ClusterAction =
  | { kind: 'create'; cluster: string; object: KubeObject }
  /**
   * `object` carries the member's resourceVersion; `adopt`: the member object was not managed;
   * `rendered`: the desired object before retention, to plan again from a fresh read when the
   * member object changed under the update (Conflict).
   */
  | { kind: 'update'; cluster: string; object: KubeObject; adopt: boolean; rendered: KubeObject }
  | { kind: 'delete'; cluster: string }
  /** `object` is the member object without the managed label, to write back. */
  | { kind: 'removeManagedLabel'; cluster: string; object: KubeObject }
  /** Already as desired; `version` is the member object's, to record. */
  | { kind: 'none'; cluster: string; version: string }
  | { kind: 'skip'; cluster: string; reason: SkipReason; message: string };

export type PlanMode = 'propagate' | 'delete' | 'orphan' | 'finished';

export interface PlanInput {
  federated: FederatedObject;
  /** Every registered KubeFedCluster. */
  clusters: readonly KubeFedCluster[];
  /** The placement (placement.ts `computePlacement` ok result, or `{clusters: []}`). */
  placement: { readonly clusters: readonly string[] };
  /**
   * The rendered object of a placed Ready cluster (render.ts). Asked only where the action needs
   * it: a copy that is the version recorded for the current template and overrides needs none
   * (after a restart, nearly every copy; a render clones the template and applies the overrides).
   */
  render: (cluster: string) => RenderOutcome | undefined;
  /** The cached member object per cluster; absent = none there. */
  observed: ReadonlyMap<string, KubeObject | undefined>;
  /** The (Cluster)PropagatedVersion status, if any. */
  propagatedVersion?: PropagatedVersion;
  adoptResources: 'Enabled' | 'Disabled';
  /** For a Namespace target: the UID of the host cluster's own Namespace (never deleted). */
  hostNamespaceUid?: string;
  /** Per cluster, the metadata keys the last propagation set (see retain.ts). */
  lastPropagatedKeys?: ReadonlyMap<string, PropagatedKeys>;
}

export interface PropagationPlan {
  mode: PlanMode;
  /** One per cluster that belongs in status.clusters, sorted by cluster name. */
  actions: ClusterAction[];
  /** Unready clusters whose copies are dealt with once they are Ready; sorted. */
  deferred: string[];
  /** propagate: the federated object lacks the sync finalizer. */
  ensureFinalizer: boolean;
  /** delete/orphan: nothing blocks removing the sync finalizer any more. */
  removeFinalizer: boolean;
  templateVersion: string;
  overridesVersion: string;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const isManaged = (obj: KubeObject) => obj.metadata.labels?.[MANAGED_LABEL] === 'true';
const isExplicitlyUnmanaged = (obj: KubeObject) => obj.metadata.labels?.[MANAGED_LABEL] === 'false';
const isTerminating = (obj: KubeObject) => !!obj.metadata.deletionTimestamp;

export function planPropagation(input: PlanInput): PropagationPlan {
  const { federated } = input;
  const versions = federatedVersions(federated);
  const hasFinalizer = federated.metadata.finalizers?.includes(SYNC_FINALIZER) ?? false;
  const deleting = !!federated.metadata.deletionTimestamp;
  const orphan = federated.metadata.annotations?.[ORPHAN_ANNOTATION] === 'true';
  const mode: PlanMode = !deleting ? 'propagate' : !hasFinalizer ? 'finished' : orphan ? 'orphan' : 'delete';
  const base = { mode, ...versions };
  if (mode === 'finished') {
    return { ...base, actions: [], deferred: [], ensureFinalizer: false, removeFinalizer: false };
  }

  const placed = new Set(input.placement.clusters);
  const recorded = recordedClusterVersions(input.propagatedVersion, versions);
  const registered = [...input.clusters]
    .filter((c) => !!c.metadata.name)
    .sort((a, b) => byName(a.metadata.name!, b.metadata.name!));

  const actions: ClusterAction[] = [];
  const deferred: string[] = [];
  for (const kfc of registered) {
    const cluster = kfc.metadata.name!;
    const ready = clusterIsReady(kfc);
    const isPlaced = placed.has(cluster);
    const observed = input.observed.get(cluster);
    const managedCopy = observed !== undefined && isManaged(observed);
    const hostNamespace =
      observed !== undefined &&
      input.hostNamespaceUid !== undefined &&
      observed.metadata.uid === input.hostNamespaceUid;

    if (!ready) {
      if (isPlaced && mode !== 'orphan') {
        actions.push({
          kind: 'skip',
          cluster,
          reason: 'ClusterNotReady',
          message: `cluster ${cluster} is not Ready`,
        });
      } else if (managedCopy || (isPlaced && mode === 'orphan')) {
        deferred.push(cluster);
      }
      continue;
    }

    if (mode === 'orphan') {
      if (managedCopy && !isTerminating(observed)) {
        actions.push({ kind: 'removeManagedLabel', cluster, object: withoutManagedLabel(observed) });
      }
      continue;
    }

    if (mode === 'delete' || !isPlaced) {
      if (!managedCopy) continue;
      if (hostNamespace) {
        if (mode === 'delete' && isTerminating(observed)) continue; // not waited for, as upstream
        if (!isTerminating(observed)) {
          actions.push({ kind: 'removeManagedLabel', cluster, object: withoutManagedLabel(observed) });
          continue;
        }
      }
      if (isTerminating(observed)) {
        actions.push({
          kind: 'skip',
          cluster,
          reason: 'WaitingForRemoval',
          message: `the ${observed.kind ?? 'object'} is being deleted in cluster ${cluster}`,
        });
      } else {
        actions.push({ kind: 'delete', cluster });
      }
      continue;
    }

    // The copy we last wrote for these template and overrides hashes (a resourceVersion-based
    // version: a generation does not move with metadata, which planForExisting compares): it
    // rendered and retained then as it would now, and is as desired.
    if (observed !== undefined && managedCopy && !isTerminating(observed)) {
      const version = memberVersion(observed);
      if (!isGenerationVersion(version) && recorded.get(cluster) === version) {
        actions.push({ kind: 'none', cluster, version });
        continue;
      }
    }
    const rendered = input.render(cluster);
    if (rendered === undefined) {
      actions.push({
        kind: 'skip',
        cluster,
        reason: 'ComputeResourceFailed',
        message: `no object was rendered for cluster ${cluster}`,
      });
      continue;
    }
    if (rendered.kind === 'failed') {
      actions.push({ kind: 'skip', cluster, reason: rendered.reason, message: rendered.message });
      continue;
    }
    if (observed === undefined) {
      actions.push({ kind: 'create', cluster, object: rendered.object });
      continue;
    }
    actions.push(
      planForExisting({
        cluster,
        desired: rendered.object,
        observed,
        adoptResources: input.adoptResources,
        hostNamespace,
        retainReplicas: federated.spec?.retainReplicas === true,
        recordedVersion: recorded.get(cluster),
        lastPropagatedKeys: input.lastPropagatedKeys?.get(cluster),
      }),
    );
  }

  return {
    ...base,
    actions,
    deferred,
    ensureFinalizer: mode === 'propagate' && !hasFinalizer,
    removeFinalizer: mode === 'orphan' || (mode === 'delete' && actions.length === 0),
  };
}

export interface ExistingInput {
  cluster: string;
  /** The rendered object for the cluster. */
  desired: KubeObject;
  /** The member object that exists in the cluster (from the cache, or read after AlreadyExists). */
  observed: KubeObject;
  adoptResources: 'Enabled' | 'Disabled';
  /** The observed object is the host cluster's own Namespace (always adopted). */
  hostNamespace: boolean;
  retainReplicas: boolean;
  /** The version recorded for this cluster (already checked against the current hashes). */
  recordedVersion: string | undefined;
  lastPropagatedKeys?: PropagatedKeys;
}

/**
 * The action for a placed Ready cluster where the object exists. Also for the dispatcher after a
 * create met AlreadyExists and it read the object: adoption or AlreadyExists / ManagedLabelFalse.
 */
export function planForExisting(input: ExistingInput): ClusterAction {
  const { cluster, observed } = input;
  if (isTerminating(observed)) {
    return {
      kind: 'skip',
      cluster,
      reason: 'WaitingForRemoval',
      message: `the ${observed.kind ?? 'object'} is being deleted in cluster ${cluster}; it is created again once gone`,
    };
  }
  if (isExplicitlyUnmanaged(observed)) {
    return {
      kind: 'skip',
      cluster,
      reason: 'ManagedLabelFalse',
      message: `the object in cluster ${cluster} is labelled ${MANAGED_LABEL}: "false" and is left alone`,
    };
  }
  const adopt = !isManaged(observed);
  if (adopt && input.adoptResources !== 'Enabled' && !input.hostNamespace) {
    return {
      kind: 'skip',
      cluster,
      reason: 'AlreadyExists',
      message: `an object not managed by KubeFed already exists in cluster ${cluster} and adoptResources is Disabled`,
    };
  }
  const retained = retainMemberFields({
    desired: input.desired,
    observed,
    retainReplicas: input.retainReplicas,
    ...(input.lastPropagatedKeys ? { lastPropagatedKeys: input.lastPropagatedKeys } : {}),
  });
  if (retained.kind === 'failed') {
    return { kind: 'skip', cluster, reason: 'FieldRetentionFailed', message: retained.message };
  }
  const version = memberVersion(observed);
  const needed =
    adopt ||
    input.recordedVersion !== version ||
    (isGenerationVersion(version) && !metadataEquivalent(retained.object, observed));
  return needed
    ? { kind: 'update', cluster, object: retained.object, adopt, rendered: input.desired }
    : { kind: 'none', cluster, version };
}

/**
 * Upstream's ObjectMetaObjEquivalent: name, namespace, labels, annotations (absent = empty). Our
 * record of propagated keys is left out: on its own it never calls for a write, so members written
 * by upstream KubeFed are not all rewritten when this control plane takes over.
 */
export function metadataEquivalent(a: KubeObject, b: KubeObject): boolean {
  const sameMap = (x: Record<string, string> | undefined, y: Record<string, string> | undefined) => {
    const xe = Object.entries(x ?? {}).filter(([k]) => k !== PROPAGATED_KEYS_ANNOTATION);
    const ye = { ...(y ?? {}) };
    delete ye[PROPAGATED_KEYS_ANNOTATION];
    return xe.length === Object.keys(ye).length && xe.every(([k, v]) => Object.hasOwn(ye, k) && ye[k] === v);
  };
  return (
    (a.metadata.name ?? '') === (b.metadata.name ?? '') &&
    (a.metadata.namespace ?? '') === (b.metadata.namespace ?? '') &&
    sameMap(a.metadata.labels, b.metadata.labels) &&
    sameMap(a.metadata.annotations, b.metadata.annotations)
  );
}

function withoutManagedLabel(obj: KubeObject): KubeObject {
  const copy = cloneJson(obj) as unknown as KubeObject;
  const labels = { ...(copy.metadata.labels ?? {}) };
  delete labels[MANAGED_LABEL];
  if (Object.keys(labels).length > 0) copy.metadata.labels = labels;
  else delete copy.metadata.labels;
  return copy;
}

/** What a pass read (caches, the recorded version); {@link planPass} decides everything from it. */
export interface PassInput extends Omit<PlanInput, 'placement'> {
  scope: ControlPlaneScope;
  /** Namespaced types: the FederatedNamespace's clusters, or `'unfederated'` (placement.ts). */
  namespacePlacement?: readonly string[] | 'unfederated';
}

/**
 * A pass's decisions: whether the finalizer must be added first (before any member write), the
 * placement, and one action per cluster; or why no placement could be computed.
 */
export type PassPlan =
  | {
      kind: 'placementFailed';
      ensureFinalizer: boolean;
      /** Why, for the status and an Event (never while deleting: deletion needs no placement). */
      message: string;
    }
  | {
      kind: 'planned';
      ensureFinalizer: boolean;
      placement: PlacementOk;
      /** Names in spec.placement.clusters that are not joined, to warn of (not while deleting). */
      unknownClusters: string[];
      plan: PropagationPlan;
    };

/**
 * The object's first pass: not being deleted and without the sync finalizer, which is added before
 * any member write (so no PropagatedVersion, only ever written after it, exists yet).
 */
export function needsFinalizer(federated: Pick<FederatedObject, 'metadata'>): boolean {
  return !federated.metadata.deletionTimestamp && !federated.metadata.finalizers?.includes(SYNC_FINALIZER);
}

const NOTHING_PLACED: PlacementOk = {
  kind: 'ok',
  clusters: [],
  unknownClusters: [],
  ready: [],
  notReady: [],
};

export function planPass(input: PassInput): PassPlan {
  const { federated } = input;
  const deleting = !!federated.metadata.deletionTimestamp;
  const ensureFinalizer = needsFinalizer(federated);
  const computed = computePlacement({
    placement: federated.spec?.placement,
    clusters: input.clusters,
    scope: input.scope,
    ...(input.namespacePlacement !== undefined ? { namespacePlacement: input.namespacePlacement } : {}),
  });
  if (computed.kind === 'failed' && !deleting)
    return { kind: 'placementFailed', ensureFinalizer, message: computed.message };
  // Deletion needs no placement: every managed copy goes, as upstream, so an object whose
  // placement cannot be computed (an unusable selector) can still be deleted.
  const placement: PlacementOk = computed.kind === 'ok' ? computed : NOTHING_PLACED;
  const { scope: _scope, namespacePlacement: _ns, ...rest } = input;
  return {
    kind: 'planned',
    ensureFinalizer,
    placement,
    unknownClusters: deleting ? [] : placement.unknownClusters,
    plan: planPropagation({ ...rest, placement }),
  };
}
