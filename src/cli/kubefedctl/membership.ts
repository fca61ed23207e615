/**
 * What `kubefedctl join` creates, as plain objects, and how an existing object is brought to the
 * desired state. Pure: names, scope and credentials in; objects and decisions out. join.ts writes
 * these objects, unjoin.ts deletes them by the same names, docs/membership.md explains them.
 *
 * Member side (ServiceAccount SA = `<cluster>-<hostClusterName>`): the KubeFed namespace, SA, a
 * token Secret named SA, and RBAC per control-plane scope. Host side: a Secret with SA's token and
 * the KubeFedCluster `<cluster>` pointing at it. Names follow upstream KubeFed v0.10 so clusters
 * joined by either tool can be unjoined by the other.
 */
import { KubeFedClusterDefinition, KubeFedConfigDefinition, type KubeFedCluster } from '../../api/core.js';
import { resourceRefOf } from '../../api/index.js';
import type { KubeObject, ResourceRef } from '../../kube/resource.js';
import type { ControlPlaneScope } from '../../federation/placement.js';

export const SCOPES: readonly ControlPlaneScope[] = ['Cluster', 'Namespaced'];

/** On everything join creates: unjoin and humans can tell join's objects from anyone else's. */
export const JOINED_BY_LABEL = 'kubefed.io/joined-by';
export const JOINED_BY = 'kubefedctl';
export const CLUSTER_LABEL = 'kubefed.io/cluster';

export const SA_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const ENFORCE_MOUNTABLE_SECRETS_ANNOTATION = 'kubernetes.io/enforce-mountable-secrets';
export const SERVICE_ACCOUNT_TOKEN_TYPE = 'kubernetes.io/service-account-token';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const RBAC_API_VERSION = `${RBAC_GROUP}/v1`;

const core = (resource: string, namespaced: boolean): ResourceRef => ({
  group: '',
  version: 'v1',
  resource,
  namespaced,
});
const rbac = (resource: string, namespaced: boolean): ResourceRef => ({
  group: RBAC_GROUP,
  version: 'v1',
  resource,
  namespaced,
});

export const REFS = {
  namespaces: core('namespaces', false),
  serviceAccounts: core('serviceaccounts', true),
  secrets: core('secrets', true),
  configMaps: core('configmaps', true),
  clusterRoles: rbac('clusterroles', false),
  clusterRoleBindings: rbac('clusterrolebindings', false),
  roles: rbac('roles', true),
  roleBindings: rbac('rolebindings', true),
  kubeFedClusters: resourceRefOf(KubeFedClusterDefinition),
  kubeFedConfigs: resourceRefOf(KubeFedConfigDefinition),
} satisfies Record<string, ResourceRef>;

/** One object of the plan and the resource it is written to. */
export interface PlannedObject {
  ref: ResourceRef;
  object: KubeObject;
}

export function serviceAccountName(clusterName: string, hostClusterName: string): string {
  return `${clusterName}-${hostClusterName}`;
}

/** Role, RoleBinding, ClusterRole and ClusterRoleBinding name of the full-access grant. */
export function roleName(saName: string): string {
  return `kubefed-controller-manager:${saName}`;
}

/** ClusterRole and ClusterRoleBinding name of the health-check grant of a Namespaced control plane. */
export function healthCheckRoleName(saName: string, namespace: string): string {
  return `kubefed-controller-manager:${namespace}:healthcheck-${saName}`;
}

export function joinLabels(clusterName: string): Record<string, string> {
  return { [JOINED_BY_LABEL]: JOINED_BY, [CLUSTER_LABEL]: clusterName };
}

export function isJoinedByKubefedctl(obj: KubeObject | undefined): boolean {
  return obj?.metadata.labels?.[JOINED_BY_LABEL] === JOINED_BY;
}

/** `serviceaccount/x`, `clusterrole.rbac.authorization.k8s.io/x`: how kubectl names an object. */
export function displayName(ref: ResourceRef, name: string, kind?: string): string {
  const singular = kind ? kind.toLowerCase() : ref.resource.replace(/s$/, '');
  return `${singular}${ref.group ? `.${ref.group}` : ''}/${name}`;
}

export function describePlanned(p: PlannedObject): string {
  return displayName(
    p.ref,
    p.object.metadata.name ?? `${p.object.metadata.generateName ?? ''}*`,
    p.object.kind,
  );
}

// ---- RBAC rules ----

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  nonResourceURLs?: string[];
}

/** Everything on every resource: what the sync controller needs to create any federated type. */
const ALL_RESOURCES: PolicyRule = { verbs: ['*'], apiGroups: ['*'], resources: ['*'] };

/** Cluster scope: all resources in all namespaces, and reading any non-resource URL (health, version). */
export const CLUSTER_SCOPE_RULES: PolicyRule[] = [ALL_RESOURCES, { verbs: ['get'], nonResourceURLs: ['*'] }];

/** Namespaced scope, bound in the KubeFed namespace only. */
export const NAMESPACED_SCOPE_RULES: PolicyRule[] = [ALL_RESOURCES];

/**
 * Namespaced scope, cluster-wide but minimal: the health check reads /healthz and /version and lists
 * nodes for zone and region. Upstream grants verb "Get", which RBAC (case-sensitive) never matches.
 */
export const HEALTH_CHECK_RULES: PolicyRule[] = [
  { verbs: ['get'], nonResourceURLs: ['/healthz', '/version'] },
  { verbs: ['list'], apiGroups: [''], resources: ['nodes'] },
];

// ---- member side ----

export interface MemberPlanInput {
  clusterName: string;
  hostClusterName: string;
  /** The KubeFed namespace (the same name in host and member). */
  namespace: string;
  scope: ControlPlaneScope;
}

function meta(name: string, clusterName: string, namespace?: string, annotations?: Record<string, string>) {
  return {
    name,
    ...(namespace ? { namespace } : {}),
    labels: joinLabels(clusterName),
    ...(annotations ? { annotations } : {}),
  };
}

function binding(
  kind: 'ClusterRoleBinding' | 'RoleBinding',
  name: string,
  roleKind: 'ClusterRole' | 'Role',
  input: MemberPlanInput,
  saName: string,
): KubeObject {
  return {
    apiVersion: RBAC_API_VERSION,
    kind,
    metadata: meta(name, input.clusterName, kind === 'RoleBinding' ? input.namespace : undefined),
    roleRef: { apiGroup: RBAC_GROUP, kind: roleKind, name },
    subjects: [{ kind: 'ServiceAccount', name: saName, namespace: input.namespace }],
  };
}

/** The member's objects in creation order: namespace, ServiceAccount, token Secret, RBAC. */
export function planMember(input: MemberPlanInput): PlannedObject[] {
  const sa = serviceAccountName(input.clusterName, input.hostClusterName);
  const ns = input.namespace;
  const plan: PlannedObject[] = [
    {
      ref: REFS.namespaces,
      object: { apiVersion: 'v1', kind: 'Namespace', metadata: meta(ns, input.clusterName) },
    },
    {
      ref: REFS.serviceAccounts,
      object: {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: meta(sa, input.clusterName, ns, { [ENFORCE_MOUNTABLE_SECRETS_ANNOTATION]: 'true' }),
        automountServiceAccountToken: false,
      },
    },
    {
      ref: REFS.secrets,
      object: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: meta(sa, input.clusterName, ns, { [SA_NAME_ANNOTATION]: sa }),
        type: SERVICE_ACCOUNT_TOKEN_TYPE,
      },
    },
  ];
  const name = roleName(sa);
  if (input.scope === 'Cluster') {
    plan.push(
      {
        ref: REFS.clusterRoles,
        object: {
          apiVersion: RBAC_API_VERSION,
          kind: 'ClusterRole',
          metadata: meta(name, input.clusterName),
          rules: CLUSTER_SCOPE_RULES,
        },
      },
      {
        ref: REFS.clusterRoleBindings,
        object: binding('ClusterRoleBinding', name, 'ClusterRole', input, sa),
      },
    );
  } else {
    const health = healthCheckRoleName(sa, ns);
    plan.push(
      {
        ref: REFS.roles,
        object: {
          apiVersion: RBAC_API_VERSION,
          kind: 'Role',
          metadata: meta(name, input.clusterName, ns),
          rules: NAMESPACED_SCOPE_RULES,
        },
      },
      { ref: REFS.roleBindings, object: binding('RoleBinding', name, 'Role', input, sa) },
      {
        ref: REFS.clusterRoles,
        object: {
          apiVersion: RBAC_API_VERSION,
          kind: 'ClusterRole',
          metadata: meta(health, input.clusterName),
          rules: HEALTH_CHECK_RULES,
        },
      },
      {
        ref: REFS.clusterRoleBindings,
        object: binding('ClusterRoleBinding', health, 'ClusterRole', input, sa),
      },
    );
  }
  return plan;
}

/** Object of one kind and name in a cluster, as unjoin looks for it. */
export interface ObjectKey {
  ref: ResourceRef;
  kind: string;
  name: string;
  namespace?: string;
}

export function describeKey(key: ObjectKey): string {
  return displayName(key.ref, key.name, key.kind);
}

/**
 * Every member object join may have created for this membership, whatever the scope was, in
 * deletion order (bindings before roles before the ServiceAccount). The namespace is not included:
 * whether it goes is decided separately.
 */
export function memberObjectKeys(
  clusterName: string,
  hostClusterName: string,
  namespace: string,
): ObjectKey[] {
  const sa = serviceAccountName(clusterName, hostClusterName);
  const name = roleName(sa);
  const health = healthCheckRoleName(sa, namespace);
  return [
    { ref: REFS.clusterRoleBindings, kind: 'ClusterRoleBinding', name },
    { ref: REFS.clusterRoles, kind: 'ClusterRole', name },
    { ref: REFS.clusterRoleBindings, kind: 'ClusterRoleBinding', name: health },
    { ref: REFS.clusterRoles, kind: 'ClusterRole', name: health },
    { ref: REFS.roleBindings, kind: 'RoleBinding', name, namespace },
    { ref: REFS.roles, kind: 'Role', name, namespace },
    { ref: REFS.secrets, kind: 'Secret', name: sa, namespace },
    { ref: REFS.serviceAccounts, kind: 'ServiceAccount', name: sa, namespace },
  ];
}

// ---- host side ----

/** How the control plane reaches the member: taken from the member's kubeconfig context. */
export interface MemberEndpoint {
  server: string;
  /** base64 PEM of the kubeconfig's CA, if it has one. */
  caData?: string;
  /** The kubeconfig says insecure-skip-tls-verify. */
  insecure: boolean;
  proxyUrl?: string;
}

export interface HostSecretInput {
  clusterName: string;
  namespace: string;
  /** A fixed name (`--secret-name`, or the Secret an earlier join created); else generateName `<cluster>-`. */
  secretName?: string;
  /** base64 values copied from the member's token Secret. */
  token: string;
  caCrt?: string;
}

export function hostNamespace(namespace: string, clusterName: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: meta(namespace, clusterName) };
}

export function hostSecret(input: HostSecretInput): KubeObject {
  const metadata = {
    ...(input.secretName ? { name: input.secretName } : { generateName: `${input.clusterName}-` }),
    namespace: input.namespace,
    labels: joinLabels(input.clusterName),
  };
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata,
    type: 'Opaque',
    data: { token: input.token, ...(input.caCrt ? { 'ca.crt': input.caCrt } : {}) },
  };
}

export interface KubeFedClusterInput {
  clusterName: string;
  namespace: string;
  secretName: string;
  endpoint: MemberEndpoint;
  /** The token Secret's `ca.crt`: the CA bundle when the kubeconfig has none. */
  tokenCaCrt?: string;
}

export function kubeFedCluster(input: KubeFedClusterInput): KubeFedCluster {
  const caBundle = input.endpoint.caData ?? input.tokenCaCrt;
  return {
    apiVersion: `${KubeFedClusterDefinition.group}/${KubeFedClusterDefinition.version}`,
    kind: KubeFedClusterDefinition.kind,
    metadata: meta(input.clusterName, input.clusterName, input.namespace),
    spec: {
      apiEndpoint: input.endpoint.server,
      ...(caBundle ? { caBundle } : {}),
      secretRef: { name: input.secretName },
      ...(input.endpoint.insecure ? { disabledTLSValidations: ['*' as const] } : {}),
      ...(input.endpoint.proxyUrl ? { proxyURL: input.endpoint.proxyUrl } : {}),
    },
  };
}

// ---- bringing an existing object to the desired state ----

export type Reconciliation =
  | { action: 'unchanged' }
  | { action: 'update'; object: KubeObject }
  /** A field that cannot change (a binding's roleRef, a Secret's type) differs: delete, then create. */
  | { action: 'recreate'; field: string };

const IMMUTABLE: Record<string, string[]> = {
  ClusterRoleBinding: ['roleRef'],
  RoleBinding: ['roleRef'],
  Secret: ['type'],
};

/** Drops what the API server treats as absent (null, '', [], {}) so defaulting does not look like drift. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalize).filter((v) => v !== undefined);
    return items.length ? items : undefined;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .map(([k, v]) => [k, normalize(v)] as const)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return entries.length ? Object.fromEntries(entries) : undefined;
  }
  return value === null || value === '' ? undefined : value;
}

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

/**
 * The update that makes `existing` what join wants: desired labels and annotations are added (others
 * kept); every other top-level field of `desired` replaces the existing one (fields `desired` lacks,
 * e.g. a token Secret's `data`, are left alone).
 */
export function reconcile(existing: KubeObject, desired: KubeObject): Reconciliation {
  for (const field of IMMUTABLE[desired.kind ?? ''] ?? []) {
    if (field in desired && !sameValue(existing[field], desired[field])) return { action: 'recreate', field };
  }
  const labels = { ...existing.metadata.labels, ...desired.metadata.labels };
  const annotations = { ...existing.metadata.annotations, ...desired.metadata.annotations };
  const updated: KubeObject = {
    ...existing,
    metadata: {
      ...existing.metadata,
      ...(Object.keys(labels).length ? { labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
  };
  let changed =
    !sameValue(existing.metadata.labels, labels) || !sameValue(existing.metadata.annotations, annotations);
  for (const [key, value] of Object.entries(desired)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
    if (!sameValue(existing[key], value)) changed = true;
    updated[key] = value;
  }
  return changed ? { action: 'update', object: updated } : { action: 'unchanged' };
}

// ---- what a namespace holds ----

/**
 * Objects Kubernetes puts in every namespace by itself: they do not make a namespace "in use".
 * `resource` is `plural` or `plural.group`.
 */
export function isNamespaceDefault(resource: string, obj: KubeObject): boolean {
  const name = obj.metadata.name;
  if (resource === 'configmaps' && name === 'kube-root-ca.crt') return true;
  if (resource === 'serviceaccounts' && name === 'default') return true;
  // Clusters before 1.24 generate a token Secret for the `default` ServiceAccount.
  if (
    resource === 'secrets' &&
    obj.type === SERVICE_ACCOUNT_TOKEN_TYPE &&
    obj.metadata.annotations?.[SA_NAME_ANNOTATION] === 'default'
  ) {
    return true;
  }
  return false;
}

/** Resource types whose objects never count as namespace contents (records, not state). */
export const IGNORED_NAMESPACE_RESOURCES = new Set(['events', 'events.events.k8s.io']);
