/**
 * The dashboard's view model, pure: from cached API objects (KubeFedClusters, FederatedTypeConfigs,
 * federated objects, RSPs) to what the pages show. No I/O; src/dashboard/source.ts feeds it from
 * the manager's informers.
 */
import type { ClusterCondition, FederatedTypeConfig, KubeFedCluster } from '../api/core.js';
import type { ReplicaSchedulingPreference } from '../api/scheduling.js';
import type { FederatedObject } from '../api/types.js';
import { clusterMessageParts } from '../federation/status.js';
import { typeResources } from '../federation/typeconfig.js';
import type {
  CellState,
  ClusterState,
  ClusterView,
  MatrixCell,
  ObjectSummary,
  RspView,
  TypeView,
} from './model.js';

/**
 * A cluster's state from its conditions, as `kubefedctl get clusters` reads them: ConfigMalformed
 * first (nothing else can be right), then Offline, then Ready True/False; no conditions: Unknown.
 */
export function clusterStateOf(cluster: Pick<KubeFedCluster, 'status'>): {
  state: ClusterState;
  condition?: ClusterCondition;
} {
  const conditions = cluster.status?.conditions ?? [];
  const find = (type: ClusterCondition['type']) =>
    conditions.find((c) => c.type === type && c.status === 'True');
  const malformed = find('ConfigMalformed');
  if (malformed) return { state: 'ConfigMalformed', condition: malformed };
  const offline = find('Offline');
  if (offline) return { state: 'Offline', condition: offline };
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return { state: 'Ready', condition: ready };
  if (ready) return { state: 'NotReady', condition: ready };
  return { state: 'Unknown' };
}

const noObjects = (): Record<CellState, number> => ({ propagated: 0, pending: 0, error: 0 });

/** What a cluster page row shows. Only what the status and the endpoint say: never the secretRef. */
export function clusterView(cluster: KubeFedCluster, objects: ObjectSummary[]): ClusterView {
  const { state, condition } = clusterStateOf(cluster);
  const name = cluster.metadata.name ?? '';
  const counts = noObjects();
  for (const o of objects) {
    const cell = o.cells.find((c) => c.cluster === name);
    if (cell) counts[cell.state]++;
  }
  const probeTimes = (cluster.status?.conditions ?? []).map((c) => c.lastProbeTime).filter(Boolean);
  return {
    name,
    state,
    ...(condition?.reason ? { reason: condition.reason } : {}),
    ...(condition?.message ? { message: condition.message } : {}),
    apiEndpoint: cluster.spec?.apiEndpoint ?? '',
    ...(cluster.status?.kubernetesVersion ? { kubernetesVersion: cluster.status.kubernetesVersion } : {}),
    ...(cluster.status?.region ? { region: cluster.status.region } : {}),
    zones: [...(cluster.status?.zones ?? [])],
    ...(probeTimes.length ? { lastProbeTime: probeTimes.sort().at(-1)! } : {}),
    ...(condition?.lastTransitionTime ? { lastTransitionTime: condition.lastTransitionTime } : {}),
    objects: counts,
  };
}

export function typeView(ftc: FederatedTypeConfig, objects: number): TypeView {
  const { target: t, targetKind, federatedKind } = typeResources(ftc);
  return {
    name: ftc.metadata.name ?? '',
    target: { group: t.group, version: t.version, kind: targetKind, namespaced: t.namespaced },
    federatedKind,
    propagation: ftc.spec.propagation === 'Enabled' ? 'Enabled' : 'Disabled',
    statusCollection: ftc.spec.statusCollection === 'Enabled' ? 'Enabled' : 'Disabled',
    propagationController: ftc.status?.propagationController === 'Running' ? 'Running' : 'NotRunning',
    statusController: ftc.status?.statusController === 'Running' ? 'Running' : 'NotRunning',
    objects,
  };
}

/** Statuses that say "not yet", not "failed": the control plane is still working on it. */
const PENDING_STATUSES = new Set(['WaitingForRemoval']);

/**
 * Per-cluster messages of the Propagation condition (src/federation/status.ts writes it as
 * `cluster: Status[: message]` joined by `; `), without the status word the cell shows anyway.
 */
export function clusterMessages(
  message: string | undefined,
  clusters: readonly string[],
): Map<string, string> {
  const out = new Map<string, string>();
  for (const [cluster, part] of clusterMessageParts(message, clusters))
    out.set(cluster, part.replace(/^[A-Za-z]+(?:: |$)/, ''));
  return out;
}

interface AggregateCluster {
  name: string;
  exists?: boolean;
  healthy?: boolean;
  desiredReplicas?: number;
  readyReplicas?: number;
}

const STATE_RANK: Record<CellState, number> = { propagated: 0, pending: 1, error: 2 };

export function worstState(states: readonly CellState[]): CellState {
  return states.reduce<CellState>((w, s) => (STATE_RANK[s] > STATE_RANK[w] ? s : w), 'propagated');
}

/**
 * One federated object as a matrix row. Its clusters are those of `status.clusters` (every placed
 * cluster, and those still being cleaned up), of `status.aggregate`, and those the placement names
 * that have no status yet (pending). With status collection a propagated cluster whose copy is not
 * healthy (replicas not ready) is pending, with the replica count as reason.
 */
export function objectSummary(type: string, kind: string, obj: FederatedObject): ObjectSummary {
  const status = obj.status;
  const entries = status?.clusters ?? [];
  const aggregate =
    (status?.aggregate as { ready?: string; clusters?: AggregateCluster[] } | undefined) ?? {};
  const health = new Map((aggregate.clusters ?? []).map((c) => [c.name, c]));
  const condition = status?.conditions?.find((c) => c.type === 'Propagation');
  const placed = (obj.spec?.placement?.clusters ?? []).map((c) => c.name).filter(Boolean);
  const names = [...new Set([...entries.map((e) => e.name), ...health.keys(), ...placed])].sort();
  const messages = clusterMessages(condition?.message, names);
  const observed =
    status?.observedGeneration === undefined || status.observedGeneration === obj.metadata.generation;

  const cells: MatrixCell[] = names.map((cluster) => {
    const entry = entries.find((e) => e.name === cluster);
    const message = messages.get(cluster);
    const withMessage = message ? { message } : {};
    if (!entry) return { cluster, state: 'pending', reason: 'NotPropagatedYet', ...withMessage };
    const s = entry.status ?? '';
    if (s !== '')
      return { cluster, state: PENDING_STATUSES.has(s) ? 'pending' : 'error', reason: s, ...withMessage };
    if (!observed) return { cluster, state: 'pending', reason: 'NewGenerationNotObserved' };
    const h = health.get(cluster);
    if (h && h.healthy === false) {
      const reason =
        h.exists === false
          ? 'NotInCluster'
          : h.desiredReplicas !== undefined
            ? `${h.readyReplicas ?? 0}/${h.desiredReplicas} ready`
            : 'NotHealthy';
      return { cluster, state: 'pending', reason };
    }
    if (h?.desiredReplicas !== undefined)
      return { cluster, state: 'propagated', reason: `${h.readyReplicas ?? 0}/${h.desiredReplicas} ready` };
    return { cluster, state: 'propagated' };
  });
  const state: CellState =
    cells.length === 0
      ? condition?.status === 'False'
        ? 'error'
        : 'pending'
      : worstState(cells.map((c) => c.state));
  return {
    type,
    kind,
    ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
    name: obj.metadata.name ?? '',
    state,
    ...(condition
      ? {
          propagation: {
            status: condition.status,
            ...(condition.reason ? { reason: condition.reason } : {}),
            ...(condition.message ? { message: condition.message } : {}),
          },
        }
      : {}),
    ...(aggregate.ready ? { ready: aggregate.ready } : {}),
    cells,
  };
}

export interface ObjectFilter {
  namespace?: string;
  type?: string;
  state?: CellState;
  /** A substring of the name (case-insensitive). */
  text?: string;
}

export function filterObjects(objects: readonly ObjectSummary[], filter: ObjectFilter): ObjectSummary[] {
  const text = filter.text?.trim().toLowerCase();
  return objects.filter(
    (o) =>
      (!filter.namespace || o.namespace === filter.namespace) &&
      (!filter.type || o.type === filter.type) &&
      (!filter.state || o.state === filter.state) &&
      (!text || o.name.toLowerCase().includes(text)),
  );
}

/** Sorted by type, namespace, name: the order of the Objects page. */
export function sortObjects(objects: ObjectSummary[]): ObjectSummary[] {
  const key = (o: ObjectSummary) => `${o.type}\u0000${o.namespace ?? ''}\u0000${o.name}`;
  return objects.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

export const REDACTED = '(redacted)';

/**
 * A copy of `value` with every Secret value replaced: `data` and `stringData` entries of a Secret
 * (or a Secret template), and override values whose path is under /data or /stringData. The
 * dashboard never shows Secret data, whoever asks.
 */
export function redactSecretObject(value: unknown): unknown {
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = { ...value };
  for (const field of ['data', 'stringData'])
    if (isRecord(out[field]))
      out[field] = Object.fromEntries(Object.keys(out[field]).map((k) => [k, REDACTED]));
  return out;
}

export function redactSecretOverrides(overrides: unknown): unknown {
  if (!Array.isArray(overrides)) return overrides;
  return overrides.map((o: unknown) => {
    if (!isRecord(o) || !Array.isArray(o.clusterOverrides)) return o;
    return {
      ...o,
      clusterOverrides: o.clusterOverrides.map((co: unknown) =>
        isRecord(co) &&
        typeof co.path === 'string' &&
        /^\/(data|stringData)(\/|$)/.test(co.path) &&
        'value' in co
          ? { ...co, value: REDACTED }
          : co,
      ),
    };
  });
}

/** Whether a target type holds secret values (core v1 Secret). */
export function isSecretType(target: { group?: string | undefined; kind: string }): boolean {
  return (target.group ?? '') === '' && target.kind === 'Secret';
}

/**
 * The RSP of a federated Deployment/ReplicaSet with ready replicas per cluster: from the federated
 * object's `status.aggregate` when status is collected, else the RSP status's `currentReplicas`.
 */
export function rspView(rsp: ReplicaSchedulingPreference, federated: FederatedObject | undefined): RspView {
  const status = (rsp.status ?? {}) as {
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    clusters?: { name: string; replicas: number; currentReplicas?: number; reasons?: string[] }[];
  };
  const aggregate = federated?.status?.aggregate as { clusters?: AggregateCluster[] } | undefined;
  const ready = new Map((aggregate?.clusters ?? []).map((c) => [c.name, c.readyReplicas]));
  const condition = status.conditions?.find((c) => c.type === 'Scheduled');
  return {
    name: rsp.metadata.name ?? '',
    totalReplicas: rsp.spec.totalReplicas,
    rebalance: rsp.spec.rebalance === true,
    preferences: { ...(rsp.spec.clusters ?? {}) },
    ...(condition
      ? {
          condition: {
            status: condition.status,
            ...(condition.reason ? { reason: condition.reason } : {}),
            ...(condition.message ? { message: condition.message } : {}),
          },
        }
      : {}),
    clusters: (status.clusters ?? []).map((c) => {
      const r = ready.has(c.name) ? (ready.get(c.name) ?? 0) : c.currentReplicas;
      return {
        name: c.name,
        replicas: c.replicas,
        ...(r !== undefined ? { readyReplicas: r } : {}),
        reasons: c.reasons ?? [],
      };
    }),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
