/** `scheduling.kubefed.io/v1alpha1` ReplicaSchedulingPreference, as upstream KubeFed v0.10. */
import { Type, type Static } from '@sinclair/typebox';
import type { KubeObject } from '../kube/resource.js';
import { AGE_COLUMN, Int32, Int64, StringEnum, type ResourceDefinition } from './schema.js';

export const SCHEDULING_GROUP = 'scheduling.kubefed.io';

export const ClusterPreferences = Type.Object({
  minReplicas: Type.Optional(Int64('Replicas the cluster gets at least (default 0).', { minimum: 0 })),
  maxReplicas: Type.Optional(Int64('Replicas the cluster gets at most (default unbounded).', { minimum: 0 })),
  weight: Type.Optional(
    Int64('Share of the replicas above the minimums, relative to the other clusters (default 0).', {
      minimum: 0,
    }),
  ),
});

export const ReplicaSchedulingPreferenceSpec = Type.Object({
  targetKind: StringEnum(['FederatedDeployment', 'FederatedReplicaSet'] as const, {
    description: 'Kind of the federated object (same name and namespace) whose replicas are scheduled.',
  }),
  totalReplicas: Int32('Replicas to spread across the clusters.', { minimum: 0 }),
  rebalance: Type.Optional(
    Type.Boolean({ description: 'Move replicas that cannot run where they are to clusters that can.' }),
  ),
  intersectWithClusterSelector: Type.Optional(
    Type.Boolean({ description: "Only schedule to clusters that the federated object's placement selects." }),
  ),
  clusters: Type.Optional(
    Type.Record(Type.String(), ClusterPreferences, {
      description:
        'Preferences by cluster name; "*" applies to every cluster without an entry. Empty = {"*": {weight: 1}}.',
    }),
  ),
});

export interface ReplicaSchedulingPreference extends KubeObject {
  spec: Static<typeof ReplicaSchedulingPreferenceSpec>;
  status?: Record<string, unknown>;
}

export const ReplicaSchedulingPreferenceDefinition: ResourceDefinition = {
  group: SCHEDULING_GROUP,
  version: 'v1alpha1',
  kind: 'ReplicaSchedulingPreference',
  plural: 'replicaschedulingpreferences',
  singular: 'replicaschedulingpreference',
  shortNames: ['rsp'],
  scope: 'Namespaced',
  description: 'How the replicas of a FederatedDeployment or FederatedReplicaSet are spread over clusters.',
  fields: {
    spec: ReplicaSchedulingPreferenceSpec,
    status: Type.Optional(
      Type.Unsafe<Record<string, unknown>>({
        type: 'object',
        description: 'What the scheduler computed and why.',
        'x-kubernetes-preserve-unknown-fields': true,
      }),
    ),
  },
  required: ['spec'],
  statusSubresource: true,
  printerColumns: [
    { name: 'Target', type: 'string', jsonPath: '.spec.targetKind' },
    { name: 'Total', type: 'integer', jsonPath: '.spec.totalReplicas' },
    AGE_COLUMN,
  ],
};
