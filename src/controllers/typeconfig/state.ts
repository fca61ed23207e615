/** What the FederatedTypeConfig controller should do with one FTC: pure. */
import type { FederatedTypeConfig } from '../../api/core.js';
import type { ControlPlaneScope } from '../../federation/placement.js';

export const FTC_FINALIZER = 'core.kubefed.io/federated-type-config';
/** The FTC every namespaced federated type depends on. */
export const NAMESPACES_FTC = 'namespaces';

export type TypeConfigState =
  /** Deleting: stop its controllers and drop the finalizer. */
  | { action: 'finalize' }
  /** `run`: whether the sync controller should run; `addFinalizer`: the finalizer is missing. */
  | { action: 'reconcile'; run: boolean; addFinalizer: boolean; why?: string };

export function desiredTypeConfigState(input: {
  ftc: FederatedTypeConfig;
  scope: ControlPlaneScope;
  /** The `namespaces` FTC exists and is not being deleted. */
  namespacesFtcPresent: boolean;
}): TypeConfigState {
  const { ftc, scope } = input;
  const targetScope = ftc.spec?.targetType?.scope;
  if (scope === 'Namespaced' && targetScope === 'Cluster') {
    // Upstream runs nothing for these and adds no finalizer.
    return ftc.metadata.deletionTimestamp
      ? { action: 'finalize' }
      : {
          action: 'reconcile',
          run: false,
          addFinalizer: false,
          why: 'cluster-scoped type in a Namespaced control plane',
        };
  }
  if (ftc.metadata.deletionTimestamp) return { action: 'finalize' };
  const addFinalizer = !(ftc.metadata.finalizers ?? []).includes(FTC_FINALIZER);
  if (ftc.spec?.propagation !== 'Enabled')
    return { action: 'reconcile', run: false, addFinalizer, why: 'propagation is Disabled' };
  if (targetScope === 'Namespaced' && !input.namespacesFtcPresent) {
    return {
      action: 'reconcile',
      run: false,
      addFinalizer,
      why: `namespaced types need the "${NAMESPACES_FTC}" FederatedTypeConfig`,
    };
  }
  return { action: 'reconcile', run: true, addFinalizer };
}
