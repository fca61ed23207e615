/**
 * `kubefedctl get clusters`: the joined clusters and their health as the cluster controller reports
 * it (status of each KubeFedCluster in the KubeFed namespace of the host).
 */
import { Command } from 'commander';
import { stringify } from 'yaml';
import type { ClusterCondition, KubeFedCluster } from '../../api/core.js';
import type { ClusterClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import { ResourceClient, type KubeObject } from '../../kube/resource.js';
import {
  addHostFlags,
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
import { REFS } from './membership.js';

const CLUSTER_RESOURCE_NAMES = ['clusters', 'cluster', 'kubefedclusters', 'kubefedcluster', 'kfc'];

const condition = (c: KubeFedCluster, type: ClusterCondition['type']) =>
  c.status?.conditions?.find((x) => x.type === type);

/**
 * The READY column: `Offline` when the cluster is unreachable, `ConfigMalformed` when the control
 * plane cannot build a client for it, else the Ready condition's status; empty before the first probe.
 */
export function readyOf(c: KubeFedCluster): string {
  if (condition(c, 'Offline')?.status === 'True') return 'Offline';
  if (condition(c, 'ConfigMalformed')?.status === 'True') return 'ConfigMalformed';
  return condition(c, 'Ready')?.status ?? '';
}

/** The message of the condition that decided READY. */
function messageOf(c: KubeFedCluster): string {
  for (const type of ['Offline', 'ConfigMalformed'] as const) {
    const cond = condition(c, type);
    if (cond?.status === 'True') return cond.message ?? '';
  }
  return condition(c, 'Ready')?.message ?? '';
}

/** kubectl's age format (HumanDuration): 45s, 5m3s, 75m, 5h3m, 30h, 4d5h, 200d, 2y30d, 10y. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  if (y < 8) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
  return `${y}y`;
}

/** Columns padded like kubectl (three spaces between columns), trailing spaces trimmed. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [headers, ...rows]
    .map((cells) =>
      cells
        .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]! + 3)))
        .join('')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

export function renderClusters(clusters: KubeFedCluster[], wide: boolean, now: number): string {
  const headers = ['NAME', 'READY', 'AGE', 'REGION', 'ZONES'];
  if (wide) headers.push('KUBERNETES-VERSION', 'ENDPOINT', 'MESSAGE');
  const rows = clusters.map((c) => {
    const created = c.metadata.creationTimestamp ? Date.parse(c.metadata.creationTimestamp) : Number.NaN;
    const row = [
      c.metadata.name ?? '',
      readyOf(c),
      Number.isFinite(created) ? formatAge(now - created) : '<unknown>',
      c.status?.region ?? '',
      (c.status?.zones ?? []).join(','),
    ];
    if (wide) row.push(c.status?.kubernetesVersion ?? '', c.spec.apiEndpoint, messageOf(c));
    return row;
  });
  return renderTable(headers, rows);
}

function withoutManagedFields(c: KubeFedCluster): KubeFedCluster {
  const { managedFields: _, ...metadata } = c.metadata;
  return { ...c, metadata };
}

export interface GetFlags extends HostFlags {
  output?: string;
}

async function listClusters(host: ClusterClient, namespace: string, names: string[], hostName: string) {
  const rc = new ResourceClient<KubeObject & KubeFedCluster>(host, REFS.kubeFedClusters);
  if (names.length === 0) {
    const list = await rc.listAll({ namespace });
    return list.items.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  }
  return Promise.all(
    names.map(async (name) => {
      try {
        return await rc.get(name, { namespace });
      } catch (err) {
        if (isNotFound(err)) {
          throw new CliError(
            `KubeFedCluster "${name}" not found in namespace ${namespace} of host cluster ${hostName}; see 'kubefedctl get clusters'`,
          );
        }
        throw err;
      }
    }),
  );
}

export async function getClusters(names: string[], flags: GetFlags, io: Output): Promise<void> {
  requireNamespaceName(flags.kubefedNamespace);
  const output = parseOutputFormat(flags.output, ['wide', 'yaml', 'json'] as const);
  const kubeconfig = loadKubeconfig(flags.kubeconfig);
  const hostContext = resolveContext(kubeconfig, flags.hostClusterContext, '--host-cluster-context');
  let host: ClusterClient | undefined;
  try {
    host = await connect(kubeconfig, hostContext, `host cluster "${hostContext}"`);
    await requireKubeFedApi(host, hostContext);
    const clusters = (await listClusters(host, flags.kubefedNamespace, names, hostContext)).map(
      withoutManagedFields,
    );
    if (output === 'yaml' || output === 'json') {
      const doc =
        names.length === 1 ? clusters[0] : { apiVersion: 'v1', kind: 'List', metadata: {}, items: clusters };
      io.out(output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc));
      return;
    }
    if (clusters.length === 0) {
      io.err(`No clusters joined in namespace ${flags.kubefedNamespace} of host cluster ${hostContext}.\n`);
      return;
    }
    io.out(renderClusters(clusters, output === 'wide', Date.now()));
  } finally {
    await closeAll(host);
  }
}

export function getCommand(io: Output = processOutput): Command {
  const cmd = new Command('get')
    .description('Show the clusters joined to the KubeFed control plane and their health')
    .argument('<RESOURCE>', 'what to show: clusters')
    .argument('[NAME...]', 'only these clusters')
    .option('-o, --output <format>', 'wide (more columns), yaml or json');
  addHostFlags(cmd);
  cmd.addHelpText('after', '\nExamples:\n  kubefedctl get clusters\n  kubefedctl get clusters -o wide');
  return cmd.action((resource: string, names: string[], flags: GetFlags) => {
    if (!CLUSTER_RESOURCE_NAMES.includes(resource.toLowerCase())) {
      throw new CliError(`unknown resource type "${resource}"; kubefedctl get shows: clusters`);
    }
    return getClusters(names, flags, io);
  });
}
