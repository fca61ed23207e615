/**
 * `kubefedctl unjoin CLUSTER_NAME`: removes what join created. Member side: the RBAC objects of
 * either scope, the token Secret, the ServiceAccount and the KubeFed namespace (kept when the member
 * is the host, or when it holds anything join did not create). Host side: the credential Secret the
 * KubeFedCluster references and the KubeFedCluster. Workloads propagated to the member stay.
 */
import { Command } from 'commander';
import type { KubeFedCluster } from '../../api/core.js';
import type { ClusterClient } from '../../kube/client.js';
import { Discovery, type ResourceInfo } from '../../kube/discovery.js';
import { isNotFound } from '../../kube/errors.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../kube/resource.js';
import { pollUntil, PollTimeout } from '../../poll.js';
import {
  addBooleanFlag,
  addHostFlags,
  causeOf,
  CliError,
  closeAll,
  connect,
  hostClusterNameOf,
  processOutput,
  requireKubeFedApi,
  requireNamespaceName,
  resolveContext,
  loadKubeconfig,
  type HostFlags,
  type Output,
} from './context.js';
import {
  describeKey,
  IGNORED_NAMESPACE_RESOURCES,
  isJoinedByKubefedctl,
  isNamespaceDefault,
  memberObjectKeys,
  REFS,
  roleName,
  serviceAccountName,
  type ObjectKey,
} from './membership.js';

const NAMESPACE_GONE_TIMEOUT_MS = 60_000;
const LIST_CONCURRENCY = 8;

export interface UnjoinTarget {
  clusterName: string;
  hostClusterName: string;
  namespace: string;
  host: ClusterClient;
  /** Absent when the member cannot be reached (only with `force`). */
  member?: ClusterClient;
  /** Why the member cannot be reached. */
  memberProblem?: string;
  force: boolean;
  dryRun: boolean;
  /** How long to wait for a deleted namespace to be gone (default 60 s). */
  namespaceTimeoutMs?: number;
}

/** Why a namespace is kept, or `undefined` when it may go. Pure: the caller gathers the facts. */
export function namespaceKeepReason(facts: {
  isHost: boolean;
  /** `resource/name` of objects join did not create; `undefined` when they could not be listed. */
  foreign: string[] | undefined;
  listProblem?: string;
}): string | undefined {
  if (facts.isHost) return "it is the host cluster's KubeFed namespace";
  if (facts.foreign === undefined) {
    return `its contents could not be checked (${facts.listProblem ?? 'unknown error'})`;
  }
  if (facts.foreign.length > 0) {
    const shown = facts.foreign.slice(0, 5).join(', ');
    const more = facts.foreign.length > 5 ? ` and ${facts.foreign.length - 5} more` : '';
    return `it still holds other objects: ${shown}${more}`;
  }
  return undefined;
}

/** What a force unjoin leaves in an unreachable member, for the user to clean up. */
export function leftBehindMessage(
  clusterName: string,
  namespace: string,
  keys: ObjectKey[],
  problem: string,
) {
  return `warning: cluster "${clusterName}" was not cleaned up (${problem}); left behind there: ${keys
    .map(describeKey)
    .join(', ')} and namespace/${namespace} if join created it\n`;
}

/** True when both clients reach the same cluster (their kube-system namespaces have one UID). */
async function sameCluster(a: ClusterClient, b: ClusterClient): Promise<boolean> {
  const uid = async (c: ClusterClient) =>
    (await new ResourceClient(c, REFS.namespaces).get('kube-system')).metadata.uid;
  const [ua, ub] = await Promise.all([uid(a), uid(b)]);
  return ua !== undefined && ua === ub;
}

function getOrUndefined<T extends KubeObject>(
  client: ClusterClient,
  ref: ResourceRef,
  name: string,
  namespace?: string,
): Promise<T | undefined> {
  return new ResourceClient<T>(client, ref).find(name, namespace ? { namespace } : {});
}

/** `plural` or `plural.group`: how types are named in messages and in {@link IGNORED_NAMESPACE_RESOURCES}. */
function typeName(r: Pick<ResourceInfo, 'group' | 'resource'>): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

/**
 * The types whose objects make up a namespace's contents: namespaced, preferred versions that can
 * be listed, not subresources, not records such as events. Pure: `resources` come from discovery.
 */
export function namespaceContentTypes(resources: readonly ResourceInfo[]): ResourceInfo[] {
  return resources.filter(
    (r) =>
      r.namespaced &&
      r.preferred &&
      r.verbs.includes('list') &&
      !r.resource.includes('/') &&
      !IGNORED_NAMESPACE_RESOURCES.has(typeName(r)),
  );
}

/** One type's objects in the namespace, or why they could not be listed. */
export interface TypeListing {
  /** `plural` or `plural.group`. */
  type: string;
  items?: KubeObject[];
  problem?: string;
}

/**
 * `type/name` of what the listings hold besides namespace defaults and `ours`, sorted; or, when
 * some type could not be listed, why (a namespace whose contents are unknown is not "empty"). Pure.
 */
export function foreignIn(
  listings: readonly TypeListing[],
  ours: ReadonlySet<string>,
): { foreign?: string[]; problem?: string } {
  const problems = listings.filter((l) => l.problem !== undefined).map((l) => `${l.type}: ${l.problem}`);
  if (problems.length > 0) return { problem: `cannot list ${problems.sort().join('; ')}` };
  const foreign: string[] = [];
  for (const { type, items = [] } of listings) {
    if (IGNORED_NAMESPACE_RESOURCES.has(type)) continue;
    for (const obj of items) {
      const key = `${type}/${obj.metadata.name}`;
      if (!ours.has(key) && !isNamespaceDefault(type, obj)) foreign.push(key);
    }
  }
  return { foreign: foreign.sort() };
}

/**
 * `resource[.group]/name` of everything in `namespace` that is neither a namespace default nor in
 * `ours`; `undefined` (with the reason) when some type could not be listed.
 */
export async function foreignObjects(
  client: ClusterClient,
  namespace: string,
  ours: Set<string>,
): Promise<{ foreign?: string[]; problem?: string }> {
  const queue = namespaceContentTypes(await new Discovery(client).resources());
  const listings: TypeListing[] = [];
  const worker = async () => {
    for (let r = queue.shift(); r; r = queue.shift()) {
      const type = typeName(r);
      const ref = { group: r.group, version: r.version, resource: r.resource, namespaced: true };
      try {
        const list = await new ResourceClient(client, ref).list({ namespace, limit: 100 });
        listings.push({ type, items: list.items });
      } catch (err) {
        listings.push(isNotFound(err) ? { type, items: [] } : { type, problem: causeOf(err) });
      }
    }
  };
  await Promise.all(Array.from({ length: LIST_CONCURRENCY }, worker));
  return foreignIn(listings, ours);
}

/**
 * Why the cluster-wide grant `kubefed-controller-manager:<sa>` (ClusterRoleBinding and ClusterRole)
 * is kept, or `undefined` when it goes. Its name does not say which KubeFed namespace it serves: a
 * member joined to control planes in two namespaces under one host name has one such binding, for
 * the ServiceAccount of a Cluster-scoped plane. Unjoining from another namespace must not take the
 * other plane's permissions away (upstream deletes it by name). Pure: the caller reads the binding.
 */
export function clusterGrantKeepReason(
  binding: KubeObject | undefined,
  saName: string,
  namespace: string,
): string | undefined {
  const subjects = (binding?.subjects ?? []) as { kind?: string; name?: string; namespace?: string }[];
  const accounts = subjects.filter((s) => s.kind === 'ServiceAccount');
  if (!binding || accounts.length === 0) return undefined;
  if (accounts.some((s) => s.name === saName && s.namespace === namespace)) return undefined;
  const bound = accounts.map((s) => `${s.namespace ?? ''}/${s.name ?? ''}`).join(', ');
  return `it binds ServiceAccount ${bound}, the membership of another KubeFed namespace`;
}

function ourKeys(keys: ObjectKey[]): Set<string> {
  return new Set(
    keys.map((k) => `${k.ref.group ? `${k.ref.resource}.${k.ref.group}` : k.ref.resource}/${k.name}`),
  );
}

class Remover {
  removed = 0;
  readonly failed: string[] = [];

  constructor(
    private readonly io: Output,
    private readonly force: boolean,
    private readonly dryRun: boolean,
  ) {}

  /** Deletes one object if it exists; a failure is fatal unless forced. */
  async remove(client: ClusterClient, where: string, key: ObjectKey): Promise<void> {
    const label = describeKey(key);
    const opts = key.namespace ? { namespace: key.namespace } : {};
    try {
      if (this.dryRun) {
        if (!(await getOrUndefined(client, key.ref, key.name, key.namespace))) return;
      } else {
        await new ResourceClient(client, key.ref).delete(key.name, opts);
      }
    } catch (err) {
      if (isNotFound(err)) return;
      if (!this.force) {
        throw new CliError(
          `could not delete ${label} in ${where}: ${causeOf(err)}; fix that and unjoin again, or pass --force to skip it`,
        );
      }
      this.failed.push(`${label} in ${where} (${causeOf(err)})`);
      return;
    }
    this.removed++;
    this.io.out(`${label} deleted from ${where}${this.dryRun ? ' (dry run)' : ''}\n`);
  }
}

/**
 * Deletes `namespace` unless there is a reason to keep it. Returns a wait for it to be gone
 * (namespaces terminate asynchronously), so the member's and the host's can be awaited together.
 */
async function removeNamespace(
  target: UnjoinTarget,
  client: ClusterClient,
  where: string,
  remover: Remover,
  facts: { isHost: boolean; ours: Set<string> },
  io: Output,
): Promise<() => Promise<void>> {
  const none = () => Promise.resolve();
  const ns = await getOrUndefined(client, REFS.namespaces, target.namespace);
  if (!ns || ns.metadata.deletionTimestamp) return none;
  const { foreign, problem } = await foreignObjects(client, target.namespace, facts.ours);
  const reason = namespaceKeepReason({
    isHost: facts.isHost,
    foreign,
    ...(problem ? { listProblem: problem } : {}),
  });
  if (reason) {
    io.err(`namespace/${target.namespace} kept in ${where}: ${reason}\n`);
    return none;
  }
  await remover.remove(client, where, { ref: REFS.namespaces, kind: 'Namespace', name: target.namespace });
  if (target.dryRun) return none;
  return async () => {
    try {
      await pollUntil(
        `namespace ${target.namespace} in ${where} to be deleted`,
        async () => {
          const left = await getOrUndefined(client, REFS.namespaces, target.namespace);
          if (!left) return { done: true, value: undefined };
          return { done: false, seen: `phase ${(left.status as { phase?: string } | undefined)?.phase}` };
        },
        { timeoutMs: target.namespaceTimeoutMs ?? NAMESPACE_GONE_TIMEOUT_MS, intervalMs: 500 },
      );
    } catch (err) {
      if (!(err instanceof PollTimeout)) throw err;
      io.err(`note: namespace/${target.namespace} is still terminating in ${where}\n`);
    }
  };
}

export async function unjoinCluster(target: UnjoinTarget, io: Output): Promise<void> {
  const remover = new Remover(io, target.force, target.dryRun);
  const ns = target.namespace;
  const cluster = await getOrUndefined<KubeObject & KubeFedCluster>(
    target.host,
    REFS.kubeFedClusters,
    target.clusterName,
    ns,
  );
  const keys = memberObjectKeys(target.clusterName, target.hostClusterName, ns);
  const isHost = target.member ? await sameCluster(target.host, target.member) : false;

  const waits: (() => Promise<void>)[] = [];
  if (target.member) {
    const sa = serviceAccountName(target.clusterName, target.hostClusterName);
    const grant = roleName(sa);
    const keep = clusterGrantKeepReason(
      await getOrUndefined(target.member, REFS.clusterRoleBindings, grant),
      sa,
      ns,
    );
    if (keep)
      io.err(
        `clusterrolebinding.rbac.authorization.k8s.io/${grant} and clusterrole.rbac.authorization.k8s.io/${grant} kept in ${target.clusterName}: ${keep}\n`,
      );
    const isGrant = (k: ObjectKey) =>
      !k.namespace && k.name === grant && (k.ref === REFS.clusterRoles || k.ref === REFS.clusterRoleBindings);
    for (const key of keys) {
      if (keep && isGrant(key)) continue;
      await remover.remove(target.member, target.clusterName, key);
    }
    waits.push(
      await removeNamespace(
        target,
        target.member,
        target.clusterName,
        remover,
        { isHost, ours: ourKeys(keys) },
        io,
      ),
    );
  }

  if (cluster) {
    const secretName = cluster.spec.secretRef.name;
    await remover.remove(target.host, target.hostClusterName, {
      ref: REFS.secrets,
      kind: 'Secret',
      name: secretName,
      namespace: ns,
    });
    await remover.remove(target.host, target.hostClusterName, {
      ref: REFS.kubeFedClusters,
      kind: 'KubeFedCluster',
      name: target.clusterName,
      namespace: ns,
    });
  } else if (remover.removed > 0) {
    io.err(`note: no KubeFedCluster ${ns}/${target.clusterName} in host cluster ${target.hostClusterName}\n`);
  }
  // The host namespace goes only if join created it and nothing else lives there.
  const hostNs = isHost ? undefined : await getOrUndefined(target.host, REFS.namespaces, ns);
  if (hostNs && isJoinedByKubefedctl(hostNs) && remover.removed > 0) {
    const ours = new Set([`kubefedclusters.${REFS.kubeFedClusters.group}/${target.clusterName}`]);
    if (cluster) ours.add(`secrets/${cluster.spec.secretRef.name}`);
    waits.push(
      await removeNamespace(
        target,
        target.host,
        target.hostClusterName,
        remover,
        { isHost: false, ours },
        io,
      ),
    );
  }
  await Promise.all(waits.map((wait) => wait()));

  if (!target.member) {
    io.err(leftBehindMessage(target.clusterName, ns, keys, target.memberProblem ?? 'unreachable'));
  }
  if (remover.failed.length > 0) {
    io.err(`warning: --force skipped what could not be deleted: ${remover.failed.join(', ')}\n`);
  }
  if (!cluster && remover.removed === 0) {
    throw new CliError(
      `cluster "${target.clusterName}" is not joined: no KubeFedCluster ${ns}/${target.clusterName} in host cluster ${target.hostClusterName}${target.member ? ` and none of join's objects in ${target.clusterName}` : ''} (check --kubefed-namespace and --host-cluster-name)`,
    );
  }
}

export interface UnjoinFlags extends HostFlags {
  clusterContext?: string;
  hostClusterName?: string;
  force: boolean;
  dryRun: boolean;
}

export async function unjoin(clusterName: string, flags: UnjoinFlags, io: Output): Promise<void> {
  requireNamespaceName(flags.kubefedNamespace);
  const kubeconfig = loadKubeconfig(flags.kubeconfig);
  const hostContext = resolveContext(kubeconfig, flags.hostClusterContext, '--host-cluster-context');
  const hostClusterName = hostClusterNameOf(flags.hostClusterName, hostContext);
  let host: ClusterClient | undefined;
  let member: ClusterClient | undefined;
  try {
    host = await connect(kubeconfig, hostContext, `host cluster "${hostClusterName}"`);
    let memberProblem: string | undefined;
    try {
      const memberContext = resolveContext(
        kubeconfig,
        flags.clusterContext ?? clusterName,
        '--cluster-context',
      );
      member = await connect(kubeconfig, memberContext, `cluster "${clusterName}"`);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      if (!flags.force) {
        throw new CliError(
          `${err.message}; to remove the cluster from the host anyway, pass --force (what join created in ${clusterName} is then left behind)`,
        );
      }
      memberProblem = err.message;
    }
    await requireKubeFedApi(host, hostClusterName);
    await unjoinCluster(
      {
        clusterName,
        hostClusterName,
        namespace: flags.kubefedNamespace,
        host,
        ...(member ? { member } : {}),
        ...(memberProblem ? { memberProblem } : {}),
        force: flags.force,
        dryRun: flags.dryRun,
      },
      io,
    );
  } finally {
    await closeAll(host, member);
  }
}

export function unjoinCommand(io: Output = processOutput): Command {
  const cmd = new Command('unjoin')
    .description(
      'Remove a cluster from a KubeFed control plane: what join created in the member and the KubeFedCluster and its Secret in the host. Workloads propagated to the member stay.',
    )
    .argument('<CLUSTER_NAME>', 'name of the KubeFedCluster')
    .option('--cluster-context <context>', 'kubeconfig context of the cluster (default: CLUSTER_NAME)')
    .option(
      '--host-cluster-name <name>',
      'name of the host in member object names, as given to join (default: the host context)',
    );
  addHostFlags(cmd);
  addBooleanFlag(
    cmd,
    'force',
    'remove the host side even if the member cannot be reached or some member object cannot be deleted',
    false,
  );
  addBooleanFlag(cmd, 'dry-run', 'say what unjoin would delete; delete nothing', false);
  return cmd.action((clusterName: string, flags: UnjoinFlags) => unjoin(clusterName, flags, io));
}
