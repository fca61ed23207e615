/**
 * `policy.kubefed.io/v1alpha1`: PropagationPolicy (namespaced) and ClusterPropagationPolicy
 * (cluster-scoped) propagate ordinary Kubernetes objects, with no Federated<Kind> written by the
 * user. Our own API group: upstream KubeFed has no such kinds (Karmada's are the model). The
 * policy controller (controllers/policy) turns each selected object into a generated
 * Federated<Kind>; docs/policies.md tells the whole story.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { KubeObject } from '../kube/resource.js';
import { ClusterOverride, Placement } from './types.js';
import {
  AGE_COLUMN,
  Int32,
  Int64,
  LabelSelector,
  StringEnum,
  Timestamp,
  type ResourceDefinition,
} from './schema.js';

export const POLICY_GROUP = 'policy.kubefed.io';
export const POLICY_VERSION = 'v1alpha1';

export const ResourceSelector = Type.Object(
  {
    apiVersion: Type.String({ description: 'API version of the objects, e.g. apps/v1 or v1.' }),
    kind: Type.String({ description: 'Kind of the objects, e.g. Deployment.' }),
    name: Type.Optional(Type.String({ description: 'Only the object of this name.' })),
    namespace: Type.Optional(
      Type.String({
        description:
          'Only objects in this namespace (ClusterPropagationPolicy; a PropagationPolicy selects in its own namespace only).',
      }),
    ),
    labelSelector: Type.Optional(
      Type.Object(
        { ...LabelSelector.properties },
        { description: 'Only objects whose labels match; absent: any labels.' },
      ),
    ),
  },
  { description: 'Objects of one type that the policy propagates; every given field must match.' },
);
export type ResourceSelector = Static<typeof ResourceSelector>;

export const PolicyOverride = Type.Object(
  {
    clusterName: Type.Optional(Type.String({ description: 'The cluster these overrides apply to.' })),
    clusterSelector: Type.Optional(
      Type.Object(
        { ...LabelSelector.properties },
        {
          description:
            'Or: the KubeFedClusters whose labels match ({} = every cluster). Used only when clusterName is absent.',
        },
      ),
    ),
    clusterOverrides: Type.Array(ClusterOverride, {
      description: 'Changes applied in order, as in a Federated<Kind>.',
    }),
  },
  {
    description:
      'Per-cluster changes to the object. Entries that target the same cluster apply in the order of the list.',
  },
);
export type PolicyOverride = Static<typeof PolicyOverride>;

export const DELETION_POLICIES = ['Orphan', 'Delete'] as const;
export type DeletionPolicy = (typeof DELETION_POLICIES)[number];

export const PropagationPolicySpec = Type.Object({
  resourceSelectors: Type.Array(ResourceSelector, {
    minItems: 1,
    description: 'The objects to propagate: those any selector matches.',
  }),
  placement: Placement,
  overrides: Type.Optional(Type.Array(PolicyOverride, { description: 'Per-cluster changes.' })),
  priority: Type.Optional(
    Int32(
      'When several policies select an object, the highest priority propagates it (default 0); on a tie a PropagationPolicy wins over a ClusterPropagationPolicy, then the first name in alphabetical order.',
    ),
  ),
  retainReplicas: Type.Optional(
    Type.Boolean({
      description: 'Keep the replicas each member has (e.g. set by an HPA), for objects with spec.replicas.',
    }),
  ),
  deletionPolicy: Type.Optional(
    StringEnum(DELETION_POLICIES, {
      description:
        'When the policy stops propagating an object (policy deleted, or the object no longer selected): Orphan (default) leaves the member copies in place, unmanaged; Delete removes them. Deleting the object itself always removes its copies.',
    }),
  ),
});
export type PropagationPolicySpec = Static<typeof PropagationPolicySpec>;

export const POLICY_CONFLICT_REASONS = ['FederatedObjectExists'] as const;

export const PolicyCondition = Type.Object({
  type: StringEnum(['Ready'] as const, { description: 'Ready.' }),
  status: StringEnum(['True', 'False', 'Unknown'] as const, {
    description: 'True when every selected object is propagated by the policy.',
  }),
  reason: Type.Optional(
    Type.String({
      description: 'Why: Propagating, TypeNotEnabled, InvalidSelector, InvalidOverrides or Conflict.',
    }),
  ),
  message: Type.Optional(Type.String({ description: 'A human-readable explanation.' })),
  lastTransitionTime: Type.Optional(Timestamp('When status or reason last changed.')),
});
export type PolicyCondition = Static<typeof PolicyCondition>;

export const PolicyConflict = Type.Object({
  apiVersion: Type.String({ description: 'API version of the selected object.' }),
  kind: Type.String({ description: 'Kind of the selected object.' }),
  namespace: Type.Optional(Type.String({ description: 'Namespace of the selected object.' })),
  name: Type.String({ description: 'Name of the selected object.' }),
  reason: StringEnum(POLICY_CONFLICT_REASONS, {
    description: 'FederatedObjectExists: a user-written Federated<Kind> of the same name wins.',
  }),
  message: Type.String({ description: 'A human-readable explanation.' }),
});
export type PolicyConflict = Static<typeof PolicyConflict>;

export const PropagationPolicyStatus = Type.Object({
  observedGeneration: Type.Optional(Int64('The generation the status reflects.')),
  matchedObjects: Type.Optional(
    Int32('Objects this policy propagates (selected, and not won by another policy or a conflict).', {
      minimum: 0,
    }),
  ),
  conflicts: Type.Optional(
    Type.Array(PolicyConflict, { description: 'Selected objects the policy does not propagate, and why.' }),
  ),
  conditions: Type.Optional(Type.Array(PolicyCondition, { description: 'The Ready condition.' })),
});
export type PropagationPolicyStatus = Static<typeof PropagationPolicyStatus>;

export interface PropagationPolicy extends KubeObject {
  spec: PropagationPolicySpec;
  status?: PropagationPolicyStatus;
}

const columns: ResourceDefinition['printerColumns'] = [
  { name: 'Priority', type: 'integer', jsonPath: '.spec.priority' },
  { name: 'Matched', type: 'integer', jsonPath: '.status.matchedObjects' },
  { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
  { name: 'Reason', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].reason" },
  AGE_COLUMN,
];

export const PropagationPolicyDefinition: ResourceDefinition = {
  group: POLICY_GROUP,
  version: POLICY_VERSION,
  kind: 'PropagationPolicy',
  plural: 'propagationpolicies',
  singular: 'propagationpolicy',
  shortNames: ['pp'],
  scope: 'Namespaced',
  description: 'Propagates ordinary objects of its namespace to member clusters, without Federated<Kind>.',
  fields: { spec: PropagationPolicySpec, status: Type.Optional(PropagationPolicyStatus) },
  required: ['spec'],
  statusSubresource: true,
  printerColumns: columns,
};

export const ClusterPropagationPolicyDefinition: ResourceDefinition = {
  ...PropagationPolicyDefinition,
  kind: 'ClusterPropagationPolicy',
  plural: 'clusterpropagationpolicies',
  singular: 'clusterpropagationpolicy',
  shortNames: ['cpp'],
  scope: 'Cluster',
  description:
    'Propagates ordinary objects of any namespace (and cluster-scoped ones) to member clusters, without Federated<Kind>.',
};

export const POLICY_DEFINITIONS = [PropagationPolicyDefinition, ClusterPropagationPolicyDefinition];
