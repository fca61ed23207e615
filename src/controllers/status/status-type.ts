/** Which `Federated<Kind>Status` type an FTC's status controller writes: pure. */
import type { FederatedTypeConfig } from '../../api/core.js';
import { typeResources } from '../../federation/typeconfig.js';
import type { ResourceRef } from '../../kube/resource.js';

export interface StatusType {
  ref: ResourceRef;
  apiVersion: string;
  kind: string;
}

/**
 * `spec.statusType` with upstream's defaults (group and version of the federated type, plural
 * from the kind, the federated type's scope); without one, `<FederatedKind>Status` in the
 * federated type's group and version.
 */
export function statusTypeOf(spec: FederatedTypeConfig['spec']): StatusType {
  const r = typeResources({ spec: { ...spec, statusCollection: 'Enabled' } });
  return { ref: r.status!, apiVersion: r.statusApiVersion!, kind: r.statusKind! };
}

/** Whether the FTC asks for status collection. */
export function statusCollectionEnabled(spec: FederatedTypeConfig['spec'] | undefined): boolean {
  return spec?.statusCollection === 'Enabled';
}
