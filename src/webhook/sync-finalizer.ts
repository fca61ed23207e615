/**
 * The sync controller's finalizer, set when a Federated<Kind> is created instead of by the
 * controller's first pass. Upstream's sync controller adds `kubefed.io/sync-controller` with an
 * update before it writes to any member; set at admission, the object is stored with it and that
 * write (with its watch event, and the validating webhook call it makes) is saved for every new
 * federated object. The controller still adds it when it is missing (no webhook, the hook failed or
 * ignored, an object created before the hook was installed), so this is an optimisation of who
 * writes it, never a condition of propagation.
 *
 * Only objects of a type whose sync controller runs get it: a finalizer that no controller removes
 * would hang the object's deletion. The decision is the FederatedTypeConfig controller's own
 * (`desiredTypeConfigState`): propagation Enabled, not being deleted, and for namespaced types the
 * `namespaces` FTC present. While the hook does not know the FTCs yet (not listed, no access), it
 * adds nothing.
 */
import type { FederatedTypeConfig } from '../api/core.js';
import { SYNC_FINALIZER } from '../federation/plan.js';
import { desiredTypeConfigState, NAMESPACES_FTC } from '../controllers/typeconfig/state.js';
import type { JsonPatchOperation } from './validate-config.js';
import { isRecord } from './validation.js';

/** Answers whether the sync controller propagates a federated resource (group + plural). */
export interface PropagatedTypes {
  /** `undefined` while the answer is not known (the FTCs are not listed yet). */
  propagates(group: string, resource: string): boolean | undefined;
}

/** The answer from a list of the control plane's FederatedTypeConfigs. */
export function propagatesFrom(
  ftcs: readonly FederatedTypeConfig[],
  group: string,
  resource: string,
): boolean {
  const ftc = ftcs.find(
    (f) => f.spec?.federatedType?.group === group && f.spec.federatedType.pluralName === resource,
  );
  if (!ftc) return false;
  const namespacesFtcPresent = ftcs.some(
    (f) => f.metadata.name === NAMESPACES_FTC && !f.metadata.deletionTimestamp,
  );
  // The chart's hook only sees cluster-scoped objects in a Cluster-scoped plane (its rules are
  // `Namespaced` in a Namespaced one), so the plane's scope is Cluster for every request here.
  const state = desiredTypeConfigState({ ftc, scope: 'Cluster', namespacesFtcPresent });
  return state.action === 'reconcile' && state.run;
}

/**
 * The JSON patch adding the sync finalizer to a Federated<Kind> being created, or none: not a
 * CREATE, a subresource, the type not propagated (or not known yet), or the finalizer already set.
 */
export function syncFinalizerPatch(
  req: {
    operation?: string;
    subResource?: string;
    resource?: { group?: string; resource?: string };
    object?: unknown;
  },
  types: PropagatedTypes | undefined,
): JsonPatchOperation[] {
  if (req.operation !== 'CREATE' || req.subResource || !types) return [];
  if (types.propagates(req.resource?.group ?? '', req.resource?.resource ?? '') !== true) return [];
  const meta = isRecord(req.object) && isRecord(req.object.metadata) ? req.object.metadata : undefined;
  if (!meta) return [];
  const finalizers = meta.finalizers;
  if (!Array.isArray(finalizers) || finalizers.length === 0)
    return [{ op: 'add', path: '/metadata/finalizers', value: [SYNC_FINALIZER] }];
  if (finalizers.includes(SYNC_FINALIZER)) return [];
  return [{ op: 'add', path: '/metadata/finalizers/-', value: SYNC_FINALIZER }];
}
