/**
 * The generic shape of `types.kubefed.io` Federated<Kind>: a template of the target object, a
 * placement (which clusters) and overrides (per-cluster changes), plus the propagation status.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { KubeObject } from '../kube/resource.js';
import {
  AGE_COLUMN,
  Int64,
  LabelSelector,
  StringEnum,
  Timestamp,
  Unstructured,
  AnyValue,
  type ResourceDefinition,
} from './schema.js';

export const TYPES_GROUP = 'types.kubefed.io';
export const TYPES_VERSION = 'v1beta1';

export const Placement = Type.Object(
  {
    clusters: Type.Optional(
      Type.Array(Type.Object({ name: Type.String({ description: 'A KubeFedCluster name.' }) }), {
        description: 'The clusters by name. When present (even empty) it wins over clusterSelector.',
      }),
    ),
    clusterSelector: Type.Optional(
      Type.Object(
        { ...LabelSelector.properties },
        {
          description:
            'KubeFedClusters by label; {} selects every cluster. Used only when clusters is absent.',
        },
      ),
    ),
  },
  { description: 'Which clusters receive the object. Neither field set: no cluster.' },
);
export type Placement = Static<typeof Placement>;

export const OVERRIDE_OPS = ['add', 'remove', 'replace'] as const;

export const ClusterOverride = Type.Object({
  op: Type.Optional(
    StringEnum(OVERRIDE_OPS, { description: 'add, remove or replace (default replace), as in JSON patch.' }),
  ),
  path: Type.String({ description: 'JSON pointer into the object, e.g. /spec/replicas.' }),
  value: Type.Optional(AnyValue('The value for add and replace.')),
});
export type ClusterOverride = Static<typeof ClusterOverride>;

export const Overrides = Type.Array(
  Type.Object({
    clusterName: Type.String({ description: 'The cluster these overrides apply to.' }),
    clusterOverrides: Type.Optional(
      Type.Array(ClusterOverride, { description: 'Changes applied in order.' }),
    ),
  }),
  { description: 'Per-cluster changes to the template.' },
);
export type Overrides = Static<typeof Overrides>;

export const PROPAGATION_REASONS = [
  'CheckClusters',
  'ClusterRetrievalFailed',
  'ComputePlacementFailed',
  'NamespaceNotFederated',
] as const;

export const PropagationCondition = Type.Object({
  type: StringEnum(['Propagation'] as const, { description: 'Propagation.' }),
  status: StringEnum(['True', 'False', 'Unknown'] as const, {
    description: 'True when every placed cluster is as desired.',
  }),
  reason: Type.Optional(Type.String({ description: 'Why not, e.g. CheckClusters (see status.clusters).' })),
  message: Type.Optional(Type.String({ description: 'A human-readable explanation.' })),
  lastUpdateTime: Type.Optional(Timestamp('When the condition was last written.')),
  lastTransitionTime: Type.Optional(Timestamp('When status or reason last changed.')),
});

export const FederatedStatus = Type.Object({
  observedGeneration: Type.Optional(Int64('The generation the status reflects.')),
  conditions: Type.Optional(Type.Array(PropagationCondition, { description: 'The Propagation condition.' })),
  clusters: Type.Optional(
    Type.Array(
      Type.Object({
        name: Type.String({ description: 'Member cluster.' }),
        status: Type.Optional(
          Type.String({
            description: 'Empty when the cluster is as desired, else why not (e.g. CreationFailed).',
          }),
        ),
        remoteStatus: Type.Optional(Unstructured('The member object status, when status collection is on.')),
      }),
      { description: 'One entry per placed cluster, and per cluster still being cleaned up.' },
    ),
  ),
});

export interface FederatedObject extends KubeObject {
  spec: {
    template?: Record<string, unknown>;
    placement?: Placement;
    overrides?: Overrides;
    retainReplicas?: boolean;
  };
  status?: Static<typeof FederatedStatus>;
}

export interface FederatedKind {
  /** The target kind, e.g. Deployment -> FederatedDeployment. */
  targetKind: string;
  /** The target plural, e.g. deployments -> federateddeployments. */
  targetPlural: string;
  scope: 'Namespaced' | 'Cluster';
  shortNames?: string[];
  /** Adds `spec.retainReplicas` (targets with an integer spec.replicas). */
  retainReplicas?: boolean;
  group?: string;
  version?: string;
  /** The template schema; default: any object (preserve-unknown-fields). */
  template?: ReturnType<typeof Unstructured>;
}

/** The CRD definition of a Federated<Kind>. */
export function federatedDefinition(k: FederatedKind): ResourceDefinition {
  const spec = Type.Object(
    {
      template: Type.Optional(
        k.template ?? Unstructured(`The ${k.targetKind} to create in each placed cluster.`),
      ),
      placement: Type.Optional(Placement),
      overrides: Type.Optional(Overrides),
      ...(k.retainReplicas
        ? {
            retainReplicas: Type.Optional(
              Type.Boolean({ description: 'Keep the replicas each member has (e.g. set by an HPA).' }),
            ),
          }
        : {}),
    },
    { description: `What ${k.targetKind} to create, where, and how it differs per cluster.` },
  );
  return {
    group: k.group ?? TYPES_GROUP,
    version: k.version ?? TYPES_VERSION,
    kind: `Federated${k.targetKind}`,
    plural: `federated${k.targetPlural}`,
    singular: `federated${k.targetKind.toLowerCase()}`,
    ...(k.shortNames ? { shortNames: k.shortNames } : {}),
    categories: ['federated'],
    scope: k.scope,
    description: `A ${k.targetKind} federated to member clusters.`,
    fields: { spec, status: Type.Optional(FederatedStatus) },
    required: ['spec'],
    statusSubresource: true,
    printerColumns: [
      { name: 'Propagated', type: 'string', jsonPath: ".status.conditions[?(@.type=='Propagation')].status" },
      { name: 'Reason', type: 'string', jsonPath: ".status.conditions[?(@.type=='Propagation')].reason" },
      AGE_COLUMN,
    ],
  };
}

/**
 * The types federated by default: upstream v0.10's chart set plus the RBAC bindings and Roles
 * (ClusterRoleBinding, Role, RoleBinding), which a federated ClusterRole is rarely useful without.
 * Ordered by FederatedTypeConfig name.
 */
export const DEFAULT_FEDERATED_KINDS: (FederatedKind & {
  targetGroup: string;
  targetVersion: string;
  targetScope: 'Namespaced' | 'Cluster';
})[] = [
  {
    targetGroup: 'rbac.authorization.k8s.io',
    targetVersion: 'v1',
    targetKind: 'ClusterRoleBinding',
    targetPlural: 'clusterrolebindings',
    targetScope: 'Cluster',
    scope: 'Cluster',
  },
  {
    targetGroup: 'rbac.authorization.k8s.io',
    targetVersion: 'v1',
    targetKind: 'ClusterRole',
    targetPlural: 'clusterroles',
    targetScope: 'Cluster',
    scope: 'Cluster',
  },
  {
    targetGroup: '',
    targetVersion: 'v1',
    targetKind: 'ConfigMap',
    targetPlural: 'configmaps',
    targetScope: 'Namespaced',
    scope: 'Namespaced',
    shortNames: ['fcm'],
  },
  {
    targetGroup: 'apps',
    targetVersion: 'v1',
    targetKind: 'Deployment',
    targetPlural: 'deployments',
    targetScope: 'Namespaced',
    scope: 'Namespaced',
    shortNames: ['fdeploy'],
    retainReplicas: true,
  },
  {
    targetGroup: 'networking.k8s.io',
    targetVersion: 'v1',
    targetKind: 'Ingress',
    targetPlural: 'ingresses',
    targetScope: 'Namespaced',
    scope: 'Namespaced',
    shortNames: ['fing'],
  },
  {
    targetGroup: 'batch',
    targetVersion: 'v1',
    targetKind: 'Job',
    targetPlural: 'jobs',
    targetScope: 'Namespaced',
    scope: 'Namespaced',
  },
  {
    targetGroup: '',
    targetVersion: 'v1',
    targetKind: 'Namespace',
    targetPlural: 'namespaces',
    targetScope: 'Cluster',
    scope: 'Namespaced',
    shortNames: ['fns'],
  },
  {
    targetGroup: 'apps',
    targetVersion: 'v1',
    targetKind: 'ReplicaSet',
    targetPlural: 'replicasets',
    targetScope: 'Namespaced',
    scope: 'Namespaced',
    shortNames: ['frs'],
    retainReplicas: true,
  },
  {
    targetGroup: 'rbac.authorization.k8s.io',
    targetVersion: 'v1',
    targetKind: 'RoleBinding',
    targetPlural: 'rolebindings',
    targetScope: 'Namespaced',
    scope: 'Namespaced',
  },
  {
    targetGroup: 'rbac.authorization.k8s.io',
    targetVersion: 'v1',
    targetKind: 'Role',
    targetPlural: 'roles',
    targetScope: 'Namespaced',
    scope: 'Namespaced',
  },
  {
    targetGroup: '',
    targetVersion: 'v1',
    targetKind: 'Secret',
    targetPlural: 'secrets',
    targetScope: 'Namespaced',
    scope: 'Namespaced',
  },
  {
    targetGroup: '',
    targetVersion: 'v1',
    targetKind: 'ServiceAccount',
    targetPlural: 'serviceaccounts',
    targetScope: 'Namespaced',
    scope: 'Namespaced',
    shortNames: ['fsa'],
  },
  {
    targetGroup: '',
    targetVersion: 'v1',
    targetKind: 'Service',
    targetPlural: 'services',
    targetScope: 'Namespaced',
    scope: 'Namespaced',
    shortNames: ['fsvc'],
  },
];
