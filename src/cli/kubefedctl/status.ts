/**
 * `kubefedctl status TYPE NAME [-n NS] [-w] [-o yaml|json]`: where a federated object stands in
 * each cluster. It reads the federated object on the host (its propagation status per cluster) and,
 * with each KubeFedCluster's own credentials, the member copy itself, so the numbers are the
 * members' live ones, not the control plane's last report. `-w` prints the table again whenever it
 * changes, until interrupted.
 */
import { Command } from 'commander';
import { stringify } from 'yaml';
import type { KubeFedCluster } from '../../api/core.js';
import type { FederatedObject } from '../../api/types.js';
import { isWorkloadKind, replicaCounts, type ReplicaCounts } from '../../federation/aggregate.js';
import { computePlacement } from '../../federation/placement.js';
import { clusterMessageParts } from '../../federation/status.js';
import { qualifiedName, typeResources } from '../../federation/typeconfig.js';
import type { ClusterClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../kube/resource.js';
import { sleep } from '../../poll.js';
import {
  addHostFlags,
  causeOf,
  CliError,
  closeAll,
  connect,
  loadKubeconfig,
  parseOutputFormat,
  processOutput,
  requireKubeFedApi,
  requireNamespaceName,
  resolveContext,
  type HostFlags,
  type Output,
} from './context.js';
import { findTypeConfig } from './disable.js';
import { listTypeConfigs } from './enable.js';
import { renderTable } from './get.js';
import { connectMember } from './members.js';
import { REFS } from './membership.js';

/** What reading the member copy gave. */
export type MemberRead =
  { kind: 'found'; object: KubeObject } | { kind: 'absent' } | { kind: 'error'; message: string };

export interface ClusterStatusRow extends Partial<ReplicaCounts> {
  cluster: string;
  /** The sync controller's status for the cluster: `OK`, a reason such as `CreationFailed`, or `Pending` (not reported yet). */
  propagation: string;
  exists: boolean;
  lastError: string;
}

export interface StatusReport {
  kind: string;
  namespace?: string;
  name: string;
  /** The Propagation condition: `True`, `False` or `Unknown` (not reported yet). */
  propagated: string;
  reason?: string;
  workload: boolean;
  clusters: ClusterStatusRow[];
  totals?: ReplicaCounts;
}

/**
 * The clusters to show: those the sync controller reports in `status.clusters` (every placed
 * cluster, and any still being cleaned up); before it has reported, those `spec.placement` selects.
 */
export function clustersToShow(fed: FederatedObject, registered: readonly KubeFedCluster[]): string[] {
  const reported = (fed.status?.clusters ?? []).map((c) => c.name);
  if (reported.length > 0) return [...new Set(reported)].sort();
  const p = computePlacement({ placement: fed.spec?.placement, clusters: registered, scope: 'Cluster' });
  const names = p.kind === 'ok' ? [...p.clusters, ...p.unknownClusters] : [];
  return [...new Set(names)].sort();
}

/** A failing condition of the member copy (e.g. a Deployment's ReplicaFailure), as one line. */
function memberConditionError(obj: KubeObject): string {
  const conditions = (obj.status as { conditions?: unknown } | undefined)?.conditions;
  if (!Array.isArray(conditions)) return '';
  for (const c of conditions as { type?: string; status?: string; reason?: string; message?: string }[]) {
    const bad =
      (c.type === 'ReplicaFailure' && c.status === 'True') ||
      (c.type === 'Failed' && c.status === 'True') ||
      (c.type === 'Progressing' && c.status === 'False');
    if (bad) return `${c.type}: ${c.reason ?? ''}${c.message ? `: ${c.message}` : ''}`;
  }
  return '';
}

export function statusReport(input: {
  targetKind: string;
  federated: FederatedObject;
  clusters: readonly string[];
  reads: ReadonlyMap<string, MemberRead>;
}): StatusReport {
  const { federated: fed, targetKind } = input;
  const workload = isWorkloadKind(targetKind) ? targetKind : undefined;
  const condition = fed.status?.conditions?.find((c) => c.type === 'Propagation');
  const reported = new Map((fed.status?.clusters ?? []).map((c) => [c.name, c.status ?? '']));
  const messages = clusterMessageParts(condition?.message, input.clusters);
  const rows = input.clusters.map((cluster): ClusterStatusRow => {
    const status = reported.get(cluster);
    const propagation = status === undefined ? 'Pending' : status === '' ? 'OK' : status;
    const read = input.reads.get(cluster) ?? { kind: 'absent' };
    const exists = read.kind === 'found' && !read.object.metadata.deletionTimestamp;
    const lastError =
      read.kind === 'error'
        ? `reading the member copy: ${read.message}`
        : messages.get(cluster) || (read.kind === 'found' ? memberConditionError(read.object) : '');
    const row: ClusterStatusRow = { cluster, propagation, exists, lastError };
    if (workload) {
      Object.assign(
        row,
        exists && read.kind === 'found'
          ? replicaCounts(workload, read.object)
          : { desiredReplicas: 0, readyReplicas: 0, updatedReplicas: 0, availableReplicas: 0 },
      );
    }
    return row;
  });
  const report: StatusReport = {
    kind: fed.kind ?? '',
    ...(fed.metadata.namespace ? { namespace: fed.metadata.namespace } : {}),
    name: fed.metadata.name ?? '',
    propagated: condition?.status ?? 'Unknown',
    ...(condition?.reason ? { reason: condition.reason } : {}),
    workload: !!workload,
    clusters: rows,
  };
  if (workload) {
    const sum = (k: keyof ReplicaCounts) => rows.reduce((n, r) => n + (r[k] ?? 0), 0);
    report.totals = {
      desiredReplicas: sum('desiredReplicas'),
      readyReplicas: sum('readyReplicas'),
      updatedReplicas: sum('updatedReplicas'),
      availableReplicas: sum('availableReplicas'),
    };
  }
  return report;
}

/** The table: READY as ready/desired, UPDATED and AVAILABLE counts (as kubectl shows Deployments), or EXISTS. */
export function renderStatusTable(report: StatusReport): string {
  const where = report.namespace ? `${report.namespace}/${report.name}` : report.name;
  const head = `${report.kind} ${where}: Propagation=${report.propagated}${report.reason ? ` (${report.reason})` : ''}\n`;
  if (report.workload) {
    const rows = report.clusters.map((r) => [
      r.cluster,
      r.propagation,
      `${r.readyReplicas}/${r.desiredReplicas}`,
      String(r.updatedReplicas),
      String(r.availableReplicas),
      r.lastError,
    ]);
    const t = report.totals!;
    rows.push([
      'TOTAL',
      '',
      `${t.readyReplicas}/${t.desiredReplicas}`,
      String(t.updatedReplicas),
      String(t.availableReplicas),
      '',
    ]);
    return (
      head + renderTable(['CLUSTER', 'PROPAGATION', 'READY', 'UPDATED', 'AVAILABLE', 'LAST ERROR'], rows)
    );
  }
  const rows = report.clusters.map((r) => [r.cluster, r.propagation, r.exists ? 'yes' : 'no', r.lastError]);
  return head + renderTable(['CLUSTER', 'PROPAGATION', 'EXISTS', 'LAST ERROR'], rows);
}

export function renderStatus(report: StatusReport, output: 'yaml' | 'json' | undefined): string {
  if (output === 'json') return `${JSON.stringify(report, null, 2)}\n`;
  if (output === 'yaml') return stringify(report);
  return renderStatusTable(report);
}

export interface StatusFlags extends HostFlags {
  namespace?: string;
  watch?: boolean;
  output?: string;
}

/** How often `-w` reads again. */
const WATCH_INTERVAL_MS = 2_000;

interface Target {
  federatedRef: ResourceRef;
  federatedKind: string;
  targetRef: ResourceRef;
  targetKind: string;
}

/** TYPE as `enable`/`disable` accept it (deployments.apps, Deployment, deploy, the FTC name), or the federated type's plural or kind. */
async function resolveType(
  host: ClusterClient,
  hostContext: string,
  typeName: string,
  kubefedNamespace: string,
): Promise<Target> {
  let ftc;
  try {
    ftc = await findTypeConfig(host, hostContext, typeName, kubefedNamespace);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    const lower = typeName.toLowerCase();
    ftc = (await listTypeConfigs(host, kubefedNamespace)).find(
      (f) =>
        f.metadata.namespace === kubefedNamespace &&
        [
          f.spec.federatedType.pluralName,
          f.spec.federatedType.kind.toLowerCase(),
          qualifiedName(f.spec.federatedType),
        ].includes(lower),
    );
    if (!ftc) throw err;
  }
  const types = typeResources(ftc);
  return {
    federatedRef: types.federated,
    federatedKind: types.federatedKind,
    targetRef: types.target,
    targetKind: types.targetKind,
  };
}

async function readMember(
  host: ClusterClient,
  kubefedNamespace: string,
  cluster: KubeFedCluster | undefined,
  clusterName: string,
  target: Target,
  namespace: string | undefined,
  name: string,
): Promise<MemberRead> {
  const member = await connectMember(host, kubefedNamespace, cluster, clusterName);
  if (member.kind === 'error') return member;
  const client = member.client;
  try {
    const object = await new ResourceClient(client, target.targetRef).get(
      name,
      namespace ? { namespace } : {},
    );
    return { kind: 'found', object };
  } catch (err) {
    return isNotFound(err) ? { kind: 'absent' } : { kind: 'error', message: causeOf(err) };
  } finally {
    await closeAll(client);
  }
}

/** The federated object's name in members: a FederatedNamespace's copy is the Namespace itself. */
function memberName(target: Target, fed: FederatedObject): { namespace: string | undefined; name: string } {
  if (target.targetKind === 'Namespace' && !target.targetRef.namespaced)
    return { namespace: undefined, name: fed.metadata.name! };
  return {
    namespace: target.targetRef.namespaced ? fed.metadata.namespace : undefined,
    name: fed.metadata.name!,
  };
}

async function collect(
  host: ClusterClient,
  hostContext: string,
  flags: StatusFlags,
  target: Target,
  namespace: string | undefined,
  name: string,
): Promise<StatusReport> {
  const where = namespace ? `"${namespace}/${name}"` : `"${name}"`;
  const fed = await new ResourceClient<FederatedObject>(host, target.federatedRef).find(
    name,
    namespace ? { namespace } : {},
  );
  if (!fed)
    throw new CliError(
      `${target.federatedKind} ${where} not found in host cluster "${hostContext}"${namespace ? ' (pass -n for another namespace)' : ''}`,
    );
  const registered = (
    await new ResourceClient<KubeFedCluster>(host, REFS.kubeFedClusters).listAll({
      namespace: flags.kubefedNamespace,
    })
  ).items;
  const clusters = clustersToShow(fed, registered);
  const member = memberName(target, fed);
  const reads = new Map<string, MemberRead>();
  await Promise.all(
    clusters.map(async (c) =>
      reads.set(
        c,
        await readMember(
          host,
          flags.kubefedNamespace,
          registered.find((r) => r.metadata.name === c),
          c,
          target,
          member.namespace,
          member.name,
        ),
      ),
    ),
  );
  return statusReport({ targetKind: target.targetKind, federated: fed, clusters, reads });
}

export async function status(
  typeName: string,
  name: string,
  flags: StatusFlags,
  io: Output,
  signal?: AbortSignal,
): Promise<void> {
  requireNamespaceName(flags.kubefedNamespace);
  const output = parseOutputFormat(flags.output, ['yaml', 'json'] as const);
  const kubeconfig = loadKubeconfig(flags.kubeconfig);
  const hostContext = resolveContext(kubeconfig, flags.hostClusterContext, '--host-cluster-context');
  const host = await connect(kubeconfig, hostContext, `host cluster "${hostContext}"`);
  try {
    await requireKubeFedApi(host, hostContext);
    const target = await resolveType(host, hostContext, typeName, flags.kubefedNamespace);
    const namespace = target.federatedRef.namespaced
      ? (flags.namespace ?? kubeconfig.namespace(hostContext))
      : undefined;
    let last = '';
    for (;;) {
      const text = renderStatus(await collect(host, hostContext, flags, target, namespace, name), output);
      if (text !== last) {
        // Successive reports under -w: tables apart by a blank line, YAML as separate documents.
        const separator = !last ? '' : output === 'yaml' ? '---\n' : output === 'json' ? '' : '\n';
        io.out(separator + text);
        last = text;
      }
      if (!flags.watch || signal?.aborted) return;
      await sleep(WATCH_INTERVAL_MS, signal).catch(() => undefined);
      if (signal?.aborted) return;
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`status ${typeName} ${name} failed: ${causeOf(err)}`);
  } finally {
    await closeAll(host);
  }
}

export function statusCommand(io: Output = processOutput): Command {
  const cmd = new Command('status')
    .description(
      'Show a federated object per member cluster: propagation state, the member copy (replicas or existence) and the last error',
    )
    .argument(
      '<TYPE>',
      'the enabled type (deployments.apps, Deployment, the FederatedTypeConfig name) or the federated type (federateddeployments)',
    )
    .argument('<NAME>', 'the federated object')
    .option(
      '-n, --namespace <namespace>',
      'namespace of the federated object (default: the context namespace)',
    )
    .option('-w, --watch', 'print again whenever something changes, until interrupted')
    .option('-o, --output <format>', 'yaml or json instead of the table');
  addHostFlags(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n  kubefedctl status deployments.apps web -n demo\n  kubefedctl status federateddeployments web -n demo -w',
  );
  return cmd.action(async (typeName: string, name: string, flags: StatusFlags) => {
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await status(typeName, name, flags, io, stop.signal);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}
