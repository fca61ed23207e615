/** Every kind this product defines, in one list: the source of the CRDs and the API reference. */
import {
  ClusterPropagatedVersionDefinition,
  FederatedServiceStatusDefinition,
  FederatedTypeConfigDefinition,
  KubeFedClusterDefinition,
  KubeFedConfigDefinition,
  PropagatedVersionDefinition,
} from './core.js';
import { ReplicaSchedulingPreferenceDefinition } from './scheduling.js';
import type { ResourceDefinition } from './schema.js';
import { DEFAULT_FEDERATED_KINDS, federatedDefinition, federatedStatusDefinition } from './types.js';

/** The 7 core.kubefed.io / scheduling.kubefed.io kinds. */
export const CORE_DEFINITIONS: ResourceDefinition[] = [
  KubeFedClusterDefinition,
  KubeFedConfigDefinition,
  FederatedTypeConfigDefinition,
  PropagatedVersionDefinition,
  ClusterPropagatedVersionDefinition,
  FederatedServiceStatusDefinition,
  ReplicaSchedulingPreferenceDefinition,
];

/** The Federated<Kind> CRDs of the default federated types. */
export const DEFAULT_FEDERATED_DEFINITIONS: ResourceDefinition[] =
  DEFAULT_FEDERATED_KINDS.map(federatedDefinition);

/** Kinds whose member status the status controller collects into Federated<Kind>Status by default. */
export const STATUS_COLLECTED_KINDS = ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job'];

/** The Federated<Kind>Status CRDs of the default workload types (FTC statusCollection: Enabled). */
export const DEFAULT_STATUS_DEFINITIONS: ResourceDefinition[] = DEFAULT_FEDERATED_KINDS.filter((k) =>
  STATUS_COLLECTED_KINDS.includes(k.targetKind),
).map(federatedStatusDefinition);

export function resourceRefOf(def: ResourceDefinition) {
  return {
    group: def.group,
    version: def.version,
    resource: def.plural,
    namespaced: def.scope === 'Namespaced',
  };
}
