/**
 * The dashboard's JSON API: what the server sends and the browser renders. Types only (no code),
 * so that the browser bundle (web/) imports them without pulling in anything of Node.
 */

/** A member cluster's health, from its KubeFedCluster conditions (upstream's three types). */
export type ClusterState = 'Ready' | 'NotReady' | 'Offline' | 'ConfigMalformed' | 'Unknown';

export interface ClusterView {
  name: string;
  state: ClusterState;
  /** The condition's reason and message behind `state` (e.g. ClusterNotReachable: ...). */
  reason?: string;
  message?: string;
  apiEndpoint: string;
  kubernetesVersion?: string;
  region?: string;
  zones: string[];
  /** The probe that last changed the stored status (the controller writes only on change). */
  lastProbeTime?: string;
  lastTransitionTime?: string;
  /** Federated objects with an entry for this cluster in their status, by cell state. */
  objects: Record<CellState, number>;
}

export interface TypeView {
  /** The FederatedTypeConfig's name, e.g. `deployments.apps`. */
  name: string;
  target: { group: string; version: string; kind: string; namespaced: boolean };
  federatedKind: string;
  propagation: 'Enabled' | 'Disabled';
  statusCollection: 'Enabled' | 'Disabled';
  propagationController: 'Running' | 'NotRunning';
  statusController: 'Running' | 'NotRunning';
  /** Federated objects of this type in the cache (0 while its controller does not run). */
  objects: number;
}

/**
 * One cell of the object x cluster matrix:
 * - `propagated`: the member holds the object as desired (and, with status collection, healthy);
 * - `pending`: placed, but not there or not ready yet (no status yet, an older generation observed,
 *   replicas not ready, waiting for removal);
 * - `error`: the control plane could not make it so (`reason` is the status, e.g. ApplyOverridesFailed).
 */
export type CellState = 'propagated' | 'pending' | 'error';

export interface MatrixCell {
  cluster: string;
  state: CellState;
  /** The status reason (error, pending) or the replica count (e.g. `2/3 ready`). */
  reason?: string;
  /** The member API server's or the control plane's message for this cluster, when there is one. */
  message?: string;
}

export interface ObjectSummary {
  /** The FederatedTypeConfig name of the object's type. */
  type: string;
  kind: string;
  namespace?: string;
  name: string;
  /** Worst cell state (error > pending > propagated); `pending` when nothing is observed yet. */
  state: CellState;
  propagation?: { status: string; reason?: string; message?: string };
  /** Aggregated readiness from status collection, e.g. `2/2`. */
  ready?: string;
  cells: MatrixCell[];
  /**
   * The resourceVersion of the object's ReplicaSchedulingPreference, when it has one: the Object
   * page, which shows the RSP's split, reads again when it changes.
   */
  rspVersion?: string;
}

export interface ManagerView {
  ready: boolean;
  /** `ok`, `standing by: another replica leads`, or why not ready. */
  detail: string;
}

export interface Snapshot {
  generatedAt: string;
  namespace: string;
  manager: ManagerView;
  clusters: ClusterView[];
  types: TypeView[];
  objects: ObjectSummary[];
}

export interface ObjectEvent {
  type: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string;
  source?: string;
}

/** The member object as the member API server has it (metadata.managedFields left out). */
export type MemberObject =
  | { cluster: string; kind: 'found'; object: Record<string, unknown> }
  | { cluster: string; kind: 'absent' }
  | { cluster: string; kind: 'unavailable'; message: string };

export interface RspView {
  name: string;
  totalReplicas: number;
  rebalance: boolean;
  preferences: Record<string, { minReplicas?: number; maxReplicas?: number; weight?: number }>;
  condition?: { status: string; reason?: string; message?: string };
  clusters: { name: string; replicas: number; readyReplicas?: number; reasons: string[] }[];
}

export interface ObjectDetail {
  summary: ObjectSummary;
  federatedApiVersion: string;
  generation?: number;
  observedGeneration?: number;
  template: unknown;
  placement: unknown;
  overrides: unknown;
  /** `status.clusters` as written (with remoteStatus when collected). */
  clusterStatus: unknown[];
  aggregate?: unknown;
  /** Whether Secret values were replaced by a placeholder (the target kind is Secret). */
  redacted: boolean;
  members: MemberObject[];
  events: ObjectEvent[];
  rsp?: RspView;
}
