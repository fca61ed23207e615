/** Which `Federated<Kind>Status` type an FTC's status controller writes: pure. */
import type { FederatedTypeConfig } from '../../api/core.js';
import { pluralOf } from '../../federation/aggregate.js';
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
  const f = spec.federatedType;
  const s = spec.statusType;
  const kind = s?.kind || `${f.kind}Status`;
  const group = s?.group ?? f.group ?? '';
  const version = s?.version || f.version;
  return {
    ref: {
      group,
      version,
      resource: s?.pluralName || pluralOf(kind),
      namespaced: (s?.scope ?? f.scope) === 'Namespaced',
    },
    apiVersion: group ? `${group}/${version}` : version,
    kind,
  };
}

/** Whether the FTC asks for status collection. */
export function statusCollectionEnabled(spec: FederatedTypeConfig['spec'] | undefined): boolean {
  return spec?.statusCollection === 'Enabled';
}
