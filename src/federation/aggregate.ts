/**
 * Status collection, pure: from each placed member's copy of a federated object, the aggregated
 * view written to the federated object's `status.aggregate`, and the content of the
 * `Federated<Kind>Status` object (upstream's FederatedServiceStatus shape). Both are written only
 * when {@link aggregateChanged} / {@link statusObjectChanged} say so: an idle system makes no writes.
 */
import type { KubeObject, OwnerReference } from '../kube/resource.js';

/** Kinds whose copies are summarized by replica counts; every other kind by existence. */
export const WORKLOAD_KINDS = ['Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Job'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

export function isWorkloadKind(kind: string): kind is WorkloadKind {
  return (WORKLOAD_KINDS as readonly string[]).includes(kind);
}

export interface ReplicaCounts {
  desiredReplicas: number;
  readyReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
}

/** One placed cluster in the aggregated view. */
export interface ClusterAggregate extends Partial<ReplicaCounts> {
  name: string;
  /** The member holds a copy (not being deleted). */
  exists: boolean;
  /** Exists and, for workloads, the member controller has observed it and every replica is ready, updated and available. */
  healthy: boolean;
}

/** `status.aggregate` of a federated object. */
export interface Aggregate extends Partial<ReplicaCounts> {
  /** `healthy/placed` clusters, the READY printer column. */
  ready: string;
  clusters: ClusterAggregate[];
}

type Obj = Record<string, unknown>;

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const field = (o: Obj | undefined, key: string): Obj | undefined => {
  const v = o?.[key];
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
};

/**
 * A member workload's counts. Deployment, ReplicaSet, StatefulSet: `spec.replicas` (default 1)
 * and the status replica counts (a ReplicaSet runs one template, so all its pods count as updated).
 * DaemonSet: desired/ready/updated/available numbers scheduled. Job: completions (default 1) as
 * desired and succeeded pods as ready, updated and available.
 */
export function replicaCounts(kind: WorkloadKind, obj: KubeObject): ReplicaCounts {
  const spec = field(obj, 'spec');
  const status = field(obj, 'status');
  switch (kind) {
    case 'DaemonSet':
      return {
        desiredReplicas: num(status?.desiredNumberScheduled),
        readyReplicas: num(status?.numberReady),
        updatedReplicas: num(status?.updatedNumberScheduled),
        availableReplicas: num(status?.numberAvailable),
      };
    case 'Job': {
      const succeeded = num(status?.succeeded);
      return {
        desiredReplicas:
          spec?.completions === undefined || spec.completions === null ? 1 : num(spec.completions),
        readyReplicas: succeeded,
        updatedReplicas: succeeded,
        availableReplicas: succeeded,
      };
    }
    case 'ReplicaSet':
      return {
        desiredReplicas: spec?.replicas === undefined ? 1 : num(spec.replicas),
        readyReplicas: num(status?.readyReplicas),
        updatedReplicas: num(status?.replicas),
        availableReplicas: num(status?.availableReplicas),
      };
    default:
      return {
        desiredReplicas: spec?.replicas === undefined ? 1 : num(spec.replicas),
        readyReplicas: num(status?.readyReplicas),
        updatedReplicas: num(status?.updatedReplicas),
        availableReplicas: num(status?.availableReplicas),
      };
  }
}

/** Whether the member's controller has seen the current spec (a Job has no observedGeneration). */
function observed(kind: WorkloadKind, obj: KubeObject): boolean {
  if (kind === 'Job') return true;
  const og = field(obj, 'status')?.observedGeneration;
  return typeof og === 'number' && og >= (obj.metadata.generation ?? 0);
}

export interface AggregateInput {
  /** The target kind (Deployment, ConfigMap, …). */
  kind: string;
  /** Placed clusters, in any order. */
  placed: readonly string[];
  /** Each placed cluster's copy; undefined when it has none (or its cluster is not Ready). */
  members: ReadonlyMap<string, KubeObject | undefined>;
}

export function aggregate(input: AggregateInput): Aggregate {
  const workload = isWorkloadKind(input.kind) ? input.kind : undefined;
  const clusters = [...new Set(input.placed)].sort(byName).map((name): ClusterAggregate => {
    const obj = input.members.get(name);
    const exists = !!obj && !obj.metadata.deletionTimestamp;
    if (!workload) return { name, exists, healthy: exists };
    if (!exists)
      return {
        name,
        exists,
        healthy: false,
        desiredReplicas: 0,
        readyReplicas: 0,
        updatedReplicas: 0,
        availableReplicas: 0,
      };
    const c = replicaCounts(workload, obj);
    const healthy =
      observed(workload, obj) &&
      c.readyReplicas >= c.desiredReplicas &&
      c.updatedReplicas >= c.desiredReplicas &&
      c.availableReplicas >= c.desiredReplicas;
    return { name, exists, healthy, ...c };
  });
  const healthy = clusters.filter((c) => c.healthy).length;
  const result: Aggregate = { ready: `${healthy}/${clusters.length}`, clusters };
  if (workload) {
    const sum = (k: keyof ReplicaCounts) => clusters.reduce((n, c) => n + (c[k] ?? 0), 0);
    result.desiredReplicas = sum('desiredReplicas');
    result.readyReplicas = sum('readyReplicas');
    result.updatedReplicas = sum('updatedReplicas');
    result.availableReplicas = sum('availableReplicas');
  }
  return result;
}

/** Whether `next` differs from what the object holds (order of clusters and keys ignored). */
export function aggregateChanged(previous: unknown, next: Aggregate): boolean {
  const norm = (a: unknown) => {
    if (a === null || typeof a !== 'object') return canonical(a);
    const { clusters, ...rest } = a as Obj;
    const list = Array.isArray(clusters) ? [...(clusters as Obj[])] : [];
    const nameOf = (c: Obj | undefined) => (typeof c?.name === 'string' ? c.name : '');
    list.sort((x, y) => byName(nameOf(x), nameOf(y)));
    return canonical({ ...rest, clusters: list });
  };
  return norm(previous) !== norm(next);
}

/** What a `Federated<Kind>Status` object holds besides metadata (upstream §1.6). */
export interface StatusObjectContent {
  clusterStatus: { clusterName: string; status: Obj }[];
}

/**
 * Upstream's FederatedServiceStatus content, for any kind: one entry per Ready cluster sorted by
 * name, holding the member copy's `.status` (`{}` when the cluster has no copy or the copy has no
 * status, as the CRD requires the field).
 */
export function statusObjectContent(
  readyClusters: readonly string[],
  members: ReadonlyMap<string, KubeObject | undefined>,
): StatusObjectContent {
  return {
    clusterStatus: [...new Set(readyClusters)].sort(byName).map((clusterName) => {
      const obj = members.get(clusterName);
      const status = obj && !obj.metadata.deletionTimestamp ? field(obj, 'status') : undefined;
      return { clusterName, status: status ?? {} };
    }),
  };
}

export interface StatusObjectType {
  apiVersion: string;
  kind: string;
}

/** The whole `Federated<Kind>Status` object for a federated object, owned by it. */
export function statusObject(
  type: StatusObjectType,
  owner: KubeObject,
  content: StatusObjectContent,
): KubeObject & StatusObjectContent {
  const ownerRef: OwnerReference = {
    apiVersion: owner.apiVersion!,
    kind: owner.kind!,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
  };
  return {
    apiVersion: type.apiVersion,
    kind: type.kind,
    metadata: {
      name: owner.metadata.name!,
      ...(owner.metadata.namespace ? { namespace: owner.metadata.namespace } : {}),
      ownerReferences: [ownerRef],
    },
    ...content,
  };
}

/**
 * Whether the existing status object must be written: it is missing, its content differs, or it
 * lacks the owner reference to `ownerUid` (e.g. left by a federated object of the same name).
 */
export function statusObjectChanged(
  existing: (KubeObject & Partial<StatusObjectContent>) | undefined,
  next: StatusObjectContent,
  ownerUid: string,
): boolean {
  if (!existing) return true;
  if (!(existing.metadata.ownerReferences ?? []).some((r) => r.uid === ownerUid)) return true;
  return canonical(existing.clusterStatus ?? []) !== canonical(next.clusterStatus);
}

/** The plural of a status kind, as upstream derives it: lowercase + es/ies/s. */
export function pluralOf(kind: string): string {
  const k = kind.toLowerCase();
  if (/(s|x|z|ch|sh|o)$/.test(k)) return `${k}es`;
  if (k.endsWith('y')) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** JSON with object keys sorted: equal values give equal strings whatever their key order. */
function canonical(v: unknown): string {
  return (
    JSON.stringify(v, (_k, value: unknown) =>
      value !== null && typeof value === 'object' && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value as Obj).sort(([x], [y]) => byName(x, y)))
        : value,
    ) ?? 'undefined'
  );
}
