/**
 * `core.kubefed.io`: KubeFedCluster, KubeFedConfig, FederatedTypeConfig (v1beta1) and the
 * bookkeeping kinds PropagatedVersion, ClusterPropagatedVersion, FederatedServiceStatus (v1alpha1).
 * Field names and meanings follow upstream KubeFed v0.10 so its YAML applies unchanged.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { KubeObject } from '../kube/resource.js';
import {
  AGE_COLUMN,
  Duration,
  Int64,
  LocalObjectReference,
  StringEnum,
  Timestamp,
  Unstructured,
  type ResourceDefinition,
} from './schema.js';

export const CORE_GROUP = 'core.kubefed.io';
export const DEFAULT_KUBEFED_NAMESPACE = 'kube-federation-system';
export const KUBEFED_CONFIG_NAME = 'kubefed';

// ---- KubeFedCluster ----

export const TLS_VALIDATIONS = ['*', 'SubjectName', 'ValidityPeriod'] as const;

export const KubeFedClusterSpec = Type.Object({
  apiEndpoint: Type.String({
    description: 'The API server address: host[:port], IP[:port] or URL; https is assumed without a scheme.',
  }),
  caBundle: Type.Optional(
    Type.String({
      format: 'byte',
      description:
        'PEM CA certificates (base64 in YAML) that verify the API server; system roots when empty.',
    }),
  ),
  secretRef: LocalObjectReference(
    'The Secret in the KubeFed namespace whose `data.token` is the bearer token for the cluster.',
  ),
  disabledTLSValidations: Type.Optional(
    Type.Array(StringEnum(TLS_VALIDATIONS), {
      description:
        'TLS checks to skip: `*` (all; alone), `SubjectName` (host name), `ValidityPeriod` (expiry).',
    }),
  ),
  proxyURL: Type.Optional(
    Type.String({ description: 'http, https or socks5 proxy through which the cluster is reached.' }),
  ),
});

export const CLUSTER_CONDITION_TYPES = ['Ready', 'Offline', 'ConfigMalformed'] as const;
export type ClusterConditionType = (typeof CLUSTER_CONDITION_TYPES)[number];

export const ClusterCondition = Type.Object({
  type: StringEnum(CLUSTER_CONDITION_TYPES, { description: 'Ready, Offline or ConfigMalformed.' }),
  status: StringEnum(['True', 'False', 'Unknown'] as const, { description: 'True, False or Unknown.' }),
  lastProbeTime: Timestamp('When the cluster was last probed.'),
  lastTransitionTime: Type.Optional(Timestamp('When the status last changed.')),
  reason: Type.Optional(
    Type.String({ description: 'A machine-readable reason, e.g. ClusterReady, ClusterNotReachable.' }),
  ),
  message: Type.Optional(Type.String({ description: 'A human-readable explanation.' })),
});
export type ClusterCondition = Static<typeof ClusterCondition>;

export const KubeFedClusterStatus = Type.Object({
  conditions: Type.Optional(
    Type.Array(ClusterCondition, { description: 'The result of the latest health probe.' }),
  ),
  kubernetesVersion: Type.Optional(
    Type.String({ description: 'The member API server version (gitVersion), set while healthy.' }),
  ),
  zones: Type.Optional(
    Type.Array(Type.String(), {
      description: 'Zones of the member nodes (label topology.kubernetes.io/zone).',
    }),
  ),
  region: Type.Optional(
    Type.String({ description: 'Region of the member nodes (label topology.kubernetes.io/region).' }),
  ),
});

export interface KubeFedCluster extends KubeObject {
  spec: Static<typeof KubeFedClusterSpec>;
  status?: Static<typeof KubeFedClusterStatus>;
}

export const KubeFedClusterDefinition: ResourceDefinition = {
  group: CORE_GROUP,
  version: 'v1beta1',
  kind: 'KubeFedCluster',
  plural: 'kubefedclusters',
  singular: 'kubefedcluster',
  shortNames: ['kfc'],
  scope: 'Namespaced',
  description: 'A member cluster: how the control plane reaches it, and its health.',
  fields: { spec: KubeFedClusterSpec, status: Type.Optional(KubeFedClusterStatus) },
  required: ['spec'],
  statusSubresource: true,
  // Upstream's order first (NAME AGE READY KUBERNETES-VERSION), so scripts that read
  // `kubectl get kubefedclusters` by column keep working; ours follow.
  printerColumns: [
    AGE_COLUMN,
    { name: 'Ready', type: 'string', jsonPath: ".status.conditions[?(@.type=='Ready')].status" },
    { name: 'Kubernetes-Version', type: 'string', jsonPath: '.status.kubernetesVersion' },
    { name: 'Region', type: 'string', jsonPath: '.status.region' },
    {
      name: 'Offline',
      type: 'string',
      jsonPath: ".status.conditions[?(@.type=='Offline')].status",
      priority: 1,
    },
    { name: 'Zones', type: 'string', jsonPath: '.status.zones', priority: 1 },
    { name: 'Endpoint', type: 'string', jsonPath: '.spec.apiEndpoint', priority: 1 },
  ],
};

// ---- KubeFedConfig ----

export const FEATURE_GATES = [
  'PushReconciler',
  'SchedulerPreferences',
  'RawResourceStatusCollection',
] as const;
const enabledDisabled = (description: string) =>
  StringEnum(['Enabled', 'Disabled'] as const, { description });

export const KubeFedConfigSpec = Type.Object({
  scope: StringEnum(['Cluster', 'Namespaced'] as const, {
    description:
      'Cluster: the control plane watches all namespaces; Namespaced: only its own namespace. Immutable.',
  }),
  controllerDuration: Type.Optional(
    Type.Object({
      availableDelay: Type.Optional(
        Duration('Delay before reconciling objects after a cluster becomes available (default 20s).'),
      ),
      unavailableDelay: Type.Optional(
        Duration('Delay before reconciling objects after a cluster becomes unavailable (default 60s).'),
      ),
      cacheSyncTimeout: Type.Optional(Duration('How long to wait for informer caches to sync (default 5m).')),
    }),
  ),
  leaderElect: Type.Optional(
    Type.Object({
      leaseDuration: Type.Optional(Duration('How long a lease is valid without renewal (default 15s).')),
      renewDeadline: Type.Optional(
        Duration('How long the leader retries renewing before giving up (default 10s).'),
      ),
      retryPeriod: Type.Optional(Duration('Interval between attempts to acquire or renew (default 5s).')),
      resourceLock: Type.Optional(
        StringEnum(['configmaps', 'endpoints', 'leases', 'configmapsleases', 'endpointsleases'] as const, {
          description: 'Lock kind; this implementation always uses a coordination.k8s.io Lease.',
        }),
      ),
    }),
  ),
  featureGates: Type.Optional(
    Type.Array(
      Type.Object({
        name: StringEnum(FEATURE_GATES, { description: 'The feature.' }),
        configuration: enabledDisabled('Enabled or Disabled.'),
      }),
    ),
  ),
  clusterHealthCheck: Type.Optional(
    Type.Object({
      period: Type.Optional(Duration('How often every member is probed (default 10s).')),
      failureThreshold: Type.Optional(
        Int64('Consecutive failed probes before a cluster is marked unhealthy (default 3).', { minimum: 1 }),
      ),
      successThreshold: Type.Optional(
        Int64('Consecutive successful probes before a cluster is marked healthy (default 1).', {
          minimum: 1,
        }),
      ),
      timeout: Type.Optional(Duration('Timeout of one probe (default 3s).')),
    }),
  ),
  syncController: Type.Optional(
    Type.Object({
      maxConcurrentReconciles: Type.Optional(
        Int64('Workers per federated type (default 1).', { minimum: 1 }),
      ),
      adoptResources: Type.Optional(
        enabledDisabled('Whether pre-existing member objects are adopted (default Enabled).'),
      ),
    }),
  ),
  statusController: Type.Optional(
    Type.Object({
      maxConcurrentReconciles: Type.Optional(
        Int64('Workers of the status controller (default 1).', { minimum: 1 }),
      ),
    }),
  ),
});
export type KubeFedConfigSpec = Static<typeof KubeFedConfigSpec>;

export interface KubeFedConfig extends KubeObject {
  spec: KubeFedConfigSpec;
}

export const KubeFedConfigDefinition: ResourceDefinition = {
  group: CORE_GROUP,
  version: 'v1beta1',
  kind: 'KubeFedConfig',
  plural: 'kubefedconfigs',
  singular: 'kubefedconfig',
  scope: 'Namespaced',
  description: 'Settings of the control plane (one, named "kubefed", in the KubeFed namespace).',
  fields: { spec: KubeFedConfigSpec },
  required: ['spec'],
  statusSubresource: false,
  printerColumns: [{ name: 'Scope', type: 'string', jsonPath: '.spec.scope' }, AGE_COLUMN],
};

// ---- FederatedTypeConfig ----

const APIResource = (description: string) =>
  Type.Object(
    {
      group: Type.Optional(Type.String({ description: 'API group (empty for the core group).' })),
      version: Type.String({ description: 'API version.' }),
      kind: Type.String({ description: 'Kind.' }),
      pluralName: Type.String({ description: 'Plural resource name.' }),
      scope: StringEnum(['Namespaced', 'Cluster'] as const, { description: 'Namespaced or Cluster.' }),
    },
    { description },
  );

export const FederatedTypeConfigSpec = Type.Object({
  targetType: APIResource('The type being federated (e.g. apps/v1 Deployment).'),
  propagation: enabledDisabled('Whether the sync controller propagates this type to members.'),
  federatedType: APIResource('The Federated<Kind> type holding template, placement and overrides.'),
  statusType: Type.Optional(
    Type.Object(
      {
        group: Type.Optional(Type.String({ description: 'API group.' })),
        version: Type.Optional(Type.String({ description: 'API version.' })),
        kind: Type.String({ description: 'Kind.' }),
        pluralName: Type.Optional(Type.String({ description: 'Plural resource name.' })),
        scope: Type.Optional(
          StringEnum(['Namespaced', 'Cluster'] as const, { description: 'Namespaced or Cluster.' }),
        ),
      },
      { description: 'The type that collects member status (e.g. FederatedServiceStatus).' },
    ),
  ),
  statusCollection: Type.Optional(enabledDisabled('Whether member status is collected for this type.')),
});

const controllerState = (description: string) =>
  StringEnum(['Running', 'NotRunning'] as const, { description });

export const FederatedTypeConfigStatus = Type.Object({
  observedGeneration: Type.Optional(Int64('The generation the status reflects.')),
  propagationController: controllerState('Whether the sync controller of this type runs.'),
  statusController: Type.Optional(controllerState('Whether the status controller of this type runs.')),
});

export interface FederatedTypeConfig extends KubeObject {
  spec: Static<typeof FederatedTypeConfigSpec>;
  status?: Static<typeof FederatedTypeConfigStatus>;
}

export const FederatedTypeConfigDefinition: ResourceDefinition = {
  group: CORE_GROUP,
  version: 'v1beta1',
  kind: 'FederatedTypeConfig',
  plural: 'federatedtypeconfigs',
  singular: 'federatedtypeconfig',
  shortNames: ['ftc'],
  scope: 'Namespaced',
  description: 'How one API type is federated; named <plural>.<group> of the target type.',
  fields: { spec: FederatedTypeConfigSpec, status: Type.Optional(FederatedTypeConfigStatus) },
  required: ['spec'],
  statusSubresource: true,
  printerColumns: [
    { name: 'Target', type: 'string', jsonPath: '.spec.targetType.kind' },
    { name: 'Propagation', type: 'string', jsonPath: '.spec.propagation' },
    { name: 'Controller', type: 'string', jsonPath: '.status.propagationController' },
    AGE_COLUMN,
  ],
};

// ---- PropagatedVersion / ClusterPropagatedVersion / FederatedServiceStatus (v1alpha1) ----

export const PropagatedVersionStatus = Type.Object({
  templateVersion: Type.Optional(Type.String({ description: 'Hash of the template last propagated.' })),
  overridesVersion: Type.Optional(Type.String({ description: 'Hash of the overrides last propagated.' })),
  clusterVersions: Type.Optional(
    Type.Array(
      Type.Object({
        clusterName: Type.String({ description: 'Member cluster.' }),
        version: Type.String({
          description: '`gen:<generation>` or `rv:<resourceVersion>` of the member object.',
        }),
      }),
      { description: 'Per member, the version of the object last written there.' },
    ),
  ),
});

const propagatedVersion = (
  kind: string,
  plural: string,
  scope: 'Namespaced' | 'Cluster',
): ResourceDefinition => ({
  group: CORE_GROUP,
  version: 'v1alpha1',
  kind,
  plural,
  singular: kind.toLowerCase(),
  scope,
  description:
    'The versions of a federated object last propagated to each member (bookkeeping of the sync controller).',
  fields: { status: Type.Optional(PropagatedVersionStatus) },
  // No status subresource (upstream has one): the create then carries the status, one write per
  // new federated object instead of two. The sync controller still falls back to /status when a
  // CRD with the subresource is installed.
  statusSubresource: false,
});
export const PropagatedVersionDefinition = propagatedVersion(
  'PropagatedVersion',
  'propagatedversions',
  'Namespaced',
);
export const ClusterPropagatedVersionDefinition = propagatedVersion(
  'ClusterPropagatedVersion',
  'clusterpropagatedversions',
  'Cluster',
);

export const FederatedServiceStatusDefinition: ResourceDefinition = {
  group: CORE_GROUP,
  version: 'v1alpha1',
  kind: 'FederatedServiceStatus',
  plural: 'federatedservicestatuses',
  singular: 'federatedservicestatus',
  scope: 'Namespaced',
  description: 'Service status collected from each member.',
  fields: {
    clusterStatus: Type.Optional(
      Type.Array(
        Type.Object({
          clusterName: Type.String({ description: 'Member cluster.' }),
          status: Unstructured('The member Service status.'),
        }),
        { description: 'Per member, the Service status there (sorted by cluster name).' },
      ),
    ),
  },
  statusSubresource: false,
};
