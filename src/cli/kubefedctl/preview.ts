/**
 * The preview of one federated object in every member cluster: the sync controller's own
 * placement, render and plan against member copies read live, then each planned write sent to its
 * member API server as a server-side dry run (`dryRun=All`). Nothing is stored anywhere.
 */
import { ClusterPropagatedVersionDefinition, PropagatedVersionDefinition } from '../../api/core.js';
import { resourceRefOf } from '../../api/index.js';
import type { FederatedObject } from '../../api/types.js';
import { mapBounded, removeManagedLabelPatch } from '../../controllers/sync/dispatch.js';
import { deleteOptionsOf } from '../../controllers/sync/keys.js';
import {
  clusterDiff,
  objectLabel,
  type ClusterDiff,
  type DryRun,
  type ObjectDiff,
} from '../../federation/diff.js';
import { cloneJson } from '../../federation/jsonpointer.js';
import {
  clusterIsReady,
  computePlacement,
  namespacePlacementOf,
  type PlacementResult,
} from '../../federation/placement.js';
import { planPropagation, type ClusterAction } from '../../federation/plan.js';
import { isNamespaceTarget, renderForCluster, type RenderOutcome } from '../../federation/render.js';
import {
  federatedVersions,
  propagatedVersionName,
  recordedClusterVersions,
  type PropagatedVersion,
} from '../../federation/version.js';
import { isAlreadyExists, isNotFound, KubeError } from '../../kube/errors.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../kube/resource.js';
import { causeOf } from './context.js';
import type { MemberConnection } from './members.js';
import { REFS } from './membership.js';
import { typeResources } from '../../federation/typeconfig.js';
import { where, type Federation, type Subject } from './preview-subjects.js';

/** Member reads and dry runs in flight at once, per object. */
const MEMBER_CONCURRENCY = 8;

function refusal(err: unknown): string {
  return err instanceof KubeError ? err.serverMessage || causeOf(err) : causeOf(err);
}

/**
 * A federated object from a file as the host would store it: a server-side dry-run create, or
 * an update of the live object carrying the file's labels, annotations and spec.
 */
async function dryRunOnHost(
  fed: Federation,
  s: Subject,
): Promise<{ federated: FederatedObject; live?: FederatedObject }> {
  const client = new ResourceClient<FederatedObject>(fed.host, typeResources(s.ftc).federated);
  const ns = s.federated.metadata.namespace ? { namespace: s.federated.metadata.namespace } : {};
  const live = await client.find(s.federated.metadata.name!, ns);
  try {
    if (!live) return { federated: await client.create(s.federated, { ...ns, dryRun: true }) };
    const desired = cloneJson(live) as unknown as FederatedObject;
    const { labels, annotations } = s.federated.metadata;
    if (labels) desired.metadata.labels = labels;
    else delete desired.metadata.labels;
    if (annotations) desired.metadata.annotations = annotations;
    else delete desired.metadata.annotations;
    desired.spec = s.federated.spec;
    return { federated: await client.update(desired, { ...ns, dryRun: true }), live };
  } catch (err) {
    throw new HostRefusal(
      `host cluster "${fed.hostContext}" refused ${s.federated.kind} ${where(s.federated)}: ${refusal(err)}`,
    );
  }
}

class HostRefusal extends Error {}

async function readPropagatedVersion(
  fed: Federation,
  s: Subject,
  federated: FederatedObject,
): Promise<PropagatedVersion | undefined> {
  const namespaced = typeResources(s.ftc).federated.namespaced;
  const client = new ResourceClient(
    fed.host,
    resourceRefOf(namespaced ? PropagatedVersionDefinition : ClusterPropagatedVersionDefinition),
  );
  const pv = await client.find(
    propagatedVersionName(s.ftc.spec.targetType.kind, federated.metadata.name!),
    namespaced ? { namespace: federated.metadata.namespace! } : {},
  );
  return pv?.status as PropagatedVersion | undefined;
}

/** The FederatedNamespace that limits a namespaced object's placement: from the files first, else the host. */
async function federatedNamespaceOf(
  fed: Federation,
  namespace: string,
  fromFiles: ReadonlyMap<string, FederatedObject>,
): Promise<FederatedObject | undefined> {
  if (fromFiles.has(namespace)) return fromFiles.get(namespace);
  const nsType = fed.namespaceType;
  if (!nsType) return undefined;
  return new ResourceClient<FederatedObject>(fed.host, typeResources(nsType).federated).find(namespace, {
    namespace,
  });
}

type MemberRead = { kind: 'ok'; object: KubeObject | undefined } | { kind: 'error'; message: string };

async function readMember(
  conn: MemberConnection,
  target: ResourceRef,
  ns: string | undefined,
  name: string,
): Promise<MemberRead> {
  if (conn.kind === 'error') return conn;
  try {
    return {
      kind: 'ok',
      object: await new ResourceClient(conn.client, target).find(name, ns ? { namespace: ns } : {}),
    };
  } catch (err) {
    return { kind: 'error', message: causeOf(err) };
  }
}

/** The API server's NotFound for the namespace `ns` itself (not for the object). */
function isMissingNamespace(err: unknown, ns: string): boolean {
  return (
    isNotFound(err) &&
    err instanceof KubeError &&
    err.status?.details?.kind === 'namespaces' &&
    err.status.details.name === ns
  );
}

/** The member API server's judgement of the planned write, with nothing stored. */
async function dryRunAction(
  conn: MemberConnection,
  target: ResourceRef,
  action: ClusterAction,
  ns: string | undefined,
  name: string,
  deleteOptions: Record<string, unknown>,
): Promise<DryRun | undefined> {
  if (action.kind === 'none' || action.kind === 'skip') return undefined;
  const reason = (
    {
      create: 'CreationFailed',
      update: 'UpdateFailed',
      delete: 'DeletionFailed',
      removeManagedLabel: 'LabelRemovalFailed',
    } as const
  )[action.kind];
  if (conn.kind === 'error') return { kind: 'refused', reason, message: conn.message };
  const client = new ResourceClient(conn.client, target);
  const opts = { ...(ns ? { namespace: ns } : {}), dryRun: true };
  try {
    switch (action.kind) {
      case 'create':
        return { kind: 'ok', object: await client.create(action.object, opts) };
      case 'update':
        return { kind: 'ok', object: await client.update(action.object, opts) };
      case 'removeManagedLabel':
        return {
          kind: 'ok',
          object: await client.patch(name, 'merge', removeManagedLabelPatch(action.object), opts),
        };
      case 'delete':
        await client.delete(name, { ...opts, ...deleteOptions });
        return { kind: 'ok' };
    }
  } catch (err) {
    // A namespaced create is planned only where the namespace's FederatedNamespace places the
    // namespace, so the control plane creates the namespace there first.
    if (action.kind === 'create' && ns && isMissingNamespace(err, ns))
      return {
        kind: 'unjudged',
        message: `namespace ${ns} is not in the cluster yet (its FederatedNamespace creates it first), so the member API server could not judge this create; shown as rendered`,
      };
    if (action.kind === 'create' && isAlreadyExists(err))
      return {
        kind: 'refused',
        reason,
        message: `the object appeared in the cluster meanwhile; run diff again`,
      };
    return { kind: 'refused', reason, message: refusal(err) };
  }
}

/** The object as the host would store it (a file's is dry-run there first); a refusal as `error`. */
async function asStored(
  fed: Federation,
  s: Subject,
): Promise<{ federated: FederatedObject; onHost: boolean } | { error: string }> {
  if (!s.fromFile) return { federated: s.federated, onHost: true };
  try {
    const r = await dryRunOnHost(fed, s);
    return { federated: r.federated, onHost: !!r.live };
  } catch (err) {
    if (err instanceof HostRefusal) return { error: err.message };
    throw err;
  }
}

/** Placement as the sync controller computes it, limited by the namespace's FederatedNamespace. */
async function placementOf(
  fed: Federation,
  federated: FederatedObject,
  namespaced: boolean,
  federatedNamespaces: ReadonlyMap<string, FederatedObject>,
): Promise<PlacementResult> {
  const ns = federated.metadata.namespace;
  const namespacePlacement =
    namespaced && ns
      ? namespacePlacementOf(
          await federatedNamespaceOf(fed, ns, federatedNamespaces),
          fed.clusters,
          fed.scope,
        )
      : undefined;
  return computePlacement({
    placement: federated.spec?.placement,
    clusters: fed.clusters,
    scope: fed.scope,
    ...(namespacePlacement !== undefined ? { namespacePlacement } : {}),
  });
}

/** The live copy in every Ready member (an unplaced one may hold a copy to delete). */
async function readCopies(
  fed: Federation,
  target: ResourceRef,
  namespace: string | undefined,
  name: string,
): Promise<Map<string, MemberRead>> {
  const reads = new Map<string, MemberRead>();
  await mapBounded(fed.clusters.filter(clusterIsReady), MEMBER_CONCURRENCY, async (c) => {
    const cluster = c.metadata.name!;
    reads.set(cluster, await readMember(await fed.member(cluster), target, namespace, name));
  });
  return reads;
}

/** What `s` would do in each member cluster; `drift`: classify as drift against the last propagation. */
export async function diffSubject(
  fed: Federation,
  s: Subject,
  opts: { drift: boolean; federatedNamespaces: ReadonlyMap<string, FederatedObject> },
): Promise<ObjectDiff> {
  const types = typeResources(s.ftc);
  const head = {
    apiVersion: s.federated.apiVersion ?? types.federatedApiVersion,
    kind: s.federated.kind ?? types.federatedKind,
    ...(s.federated.metadata.namespace ? { namespace: s.federated.metadata.namespace } : {}),
    name: s.federated.metadata.name ?? '',
  };
  const stored = await asStored(fed, s);
  if ('error' in stored) return { ...head, clusters: [], error: stored.error };
  const { federated, onHost } = stored;
  const { target, targetApiVersion, targetKind } = types;
  const namespaceTarget = isNamespaceTarget(targetApiVersion, targetKind);
  const name = federated.metadata.name!;
  const memberNs = namespaceTarget || !target.namespaced ? undefined : federated.metadata.namespace;
  if (namespaceTarget && federated.metadata.namespace !== name)
    return {
      ...head,
      clusters: [],
      error: `a FederatedNamespace must be named like its namespace ("${federated.metadata.namespace}"), not "${name}"`,
    };

  const placement = await placementOf(fed, federated, target.namespaced, opts.federatedNamespaces);
  if (placement.kind === 'failed')
    return { ...head, clusters: [], error: `ComputePlacementFailed: ${placement.message}` };

  const rendered = new Map<string, RenderOutcome>();
  for (const c of placement.ready)
    rendered.set(c, renderForCluster({ federated, targetApiVersion, targetKind, cluster: c }));

  const reads = await readCopies(fed, target, memberNs, name);
  const observed = new Map<string, KubeObject | undefined>();
  for (const [c, r] of reads) observed.set(c, r.kind === 'ok' ? r.object : undefined);

  const propagatedVersion = onHost ? await readPropagatedVersion(fed, s, federated) : undefined;
  const hostNamespaceUid = namespaceTarget
    ? (await new ResourceClient(fed.host, REFS.namespaces).find(name))?.metadata.uid
    : undefined;
  const plan = planPropagation({
    federated,
    clusters: fed.clusters,
    placement,
    render: (c) => rendered.get(c),
    observed,
    ...(propagatedVersion ? { propagatedVersion } : {}),
    adoptResources: fed.adoptResources,
    ...(hostNamespaceUid ? { hostNamespaceUid } : {}),
  });
  const deleteOptions = deleteOptionsOf(federated);
  const recorded = recordedClusterVersions(propagatedVersion, federatedVersions(federated));
  const label = objectLabel(target.resource, memberNs, name);
  // A cluster whose copy could not be read is an error whatever the plan says there (unread, an
  // unplaced copy would silently drop out of the plan).
  const unread: ClusterDiff[] = [];
  for (const [cluster, r] of reads)
    if (r.kind === 'error')
      unread.push({ cluster, action: 'error', reason: 'RetrievalFailed', message: r.message });
  const planned = await mapBounded(
    plan.actions.filter((a) => reads.get(a.cluster)?.kind !== 'error'),
    MEMBER_CONCURRENCY,
    async (action): Promise<ClusterDiff> => {
      const dryRun = await dryRunAction(
        await fed.member(action.cluster),
        target,
        action,
        memberNs,
        name,
        deleteOptions.kind === 'ok' ? deleteOptions.options : {},
      );
      return clusterDiff(
        action,
        observed.get(action.cluster),
        dryRun,
        label,
        opts.drift ? { recorded: recorded.has(action.cluster) } : undefined,
      );
    },
  );
  const clusters = [...planned, ...unread].sort((a, b) =>
    a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0,
  );
  return { ...head, clusters };
}
