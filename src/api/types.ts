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
  Int32,
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
  // A pattern, not an enum, so that "" (replace) is accepted as upstream's CRDs accept it.
  op: Type.Optional(
    Type.Unsafe<(typeof OVERRIDE_OPS)[number] | ''>({
      type: 'string',
      pattern: '^(add|remove|replace)?$',
      description: 'add, remove or replace, as in JSON patch; empty or absent means replace.',
    }),
  ),
  path: Type.String({ description: 'JSON pointer into the object, e.g. /spec/replicas.' }),
  value: Type.Optional(AnyValue('The value for add and replace; absent means null.')),
});
export type ClusterOverride = Static<typeof ClusterOverride>;

export const Overrides = Type.Array(
  Type.Object({
    clusterName: Type.Optional(
      Type.String({ description: 'The cluster these overrides apply to (absent: none).' }),
    ),
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

const replicas = (description: string) => Type.Optional(Int32(description, { minimum: 0 }));

/** Written by the status controller (FTC `statusCollection: Enabled`), only when it changes. */
export const AggregateStatus = Type.Object(
  {
    ready: Type.String({
      description: 'Healthy placed clusters / placed clusters, e.g. 2/3 (the READY column).',
    }),
    desiredReplicas: replicas('Workloads: desired replicas summed over placed clusters.'),
    readyReplicas: replicas('Workloads: ready replicas summed over placed clusters.'),
    updatedReplicas: replicas('Workloads: updated replicas summed over placed clusters.'),
    availableReplicas: replicas('Workloads: available replicas summed over placed clusters.'),
    clusters: Type.Array(
      Type.Object({
        name: Type.String({ description: 'Member cluster.' }),
        exists: Type.Boolean({ description: 'The member holds the object (not being deleted).' }),
        healthy: Type.Boolean({
          description:
            'Exists and, for workloads, observed with every desired replica ready, updated and available.',
        }),
        desiredReplicas: replicas('Workloads: desired replicas in this cluster.'),
        readyReplicas: replicas('Workloads: ready replicas in this cluster.'),
        updatedReplicas: replicas('Workloads: updated replicas in this cluster.'),
        availableReplicas: replicas('Workloads: available replicas in this cluster.'),
      }),
      { description: 'One entry per placed cluster, sorted by name.' },
    ),
  },
  { description: "The members' copies at a glance, when status collection is on." },
);

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
  aggregate: Type.Optional(AggregateStatus),
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
      { name: 'Ready', type: 'string', jsonPath: '.status.aggregate.ready' },
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

/**
 * `Federated<Kind>Status` (upstream's FederatedServiceStatus shape, any kind): what the status
 * controller writes per federated object when its FTC has statusCollection Enabled and no other
 * spec.statusType. Generate it for the default kinds (or at least the workloads) next to the
 * federated CRDs.
 */
export function federatedStatusDefinition(k: FederatedKind): ResourceDefinition {
  return {
    group: k.group ?? TYPES_GROUP,
    version: k.version ?? TYPES_VERSION,
    kind: `Federated${k.targetKind}Status`,
    plural: `federated${k.targetKind.toLowerCase()}statuses`,
    singular: `federated${k.targetKind.toLowerCase()}status`,
    scope: k.scope,
    description: `${k.targetKind} status collected from each member.`,
    fields: {
      clusterStatus: Type.Optional(
        Type.Array(
          Type.Object({
            clusterName: Type.String({ description: 'Member cluster.' }),
            status: Unstructured(`The member ${k.targetKind} status ({} without a copy).`),
          }),
          { description: 'Per Ready member, sorted by cluster name.' },
        ),
      ),
    },
    statusSubresource: false,
  };
}
