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
import { DEFAULT_FEDERATED_KINDS, federatedDefinition } from './types.js';

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

export function resourceRefOf(def: ResourceDefinition) {
  return {
    group: def.group,
    version: def.version,
    resource: def.plural,
    namespaced: def.scope === 'Namespaced',
  };
}
