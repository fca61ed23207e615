/**
 * `kubefedctl join CLUSTER_NAME`: gives the control plane an identity and permissions in the member
 * cluster and registers the member in the host as a KubeFedCluster with a credential Secret.
 *
 * Everything is validated (contexts, reachability, CRDs, existing objects) before the first write;
 * a failure midway deletes what this run created. See docs/membership.md.
 */
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import { KUBEFED_CONFIG_NAME, type KubeFedCluster, type KubeFedConfig } from '../../api/core.js';
import { parseDuration } from '../../api/kubefedconfig.js';
import { parseClusterConnection } from '../../api/kubefedcluster.js';
import type { ControlPlaneScope } from '../../federation/placement.js';
import type { ClusterClient } from '../../kube/client.js';
import { isAlreadyExists, isNotFound } from '../../kube/errors.js';
import { ResourceClient, type KubeObject } from '../../kube/resource.js';
import { pollUntil, PollTimeout } from '../../poll.js';
import {
  addBooleanFlag,
  addHostFlags,
  causeOf,
  CliError,
  closeAll,
  connect,
  hostClusterNameOf,
  isDnsSubdomain,
  loadKubeconfig,
  parseOutputFormat,
  processOutput,
  requireKubeFedApi,
  requireNamespaceName,
  resolveContext,
  type HostFlags,
  type Output,
} from './context.js';
import {
  describePlanned,
  displayName,
  hostNamespace,
  hostSecret,
  kubeFedCluster,
  planMember,
  reconcile,
  REFS,
  SCOPES,
  serviceAccountName,
  type MemberEndpoint,
  type PlannedObject,
} from './membership.js';

const TOKEN_TIMEOUT_MS = 30_000;

/** Everything join needs, resolved and connected. */
export interface JoinTarget {
  clusterName: string;
  /** Stands for the host in member object names and in messages. */
  hostClusterName: string;
  namespace: string;
  scope: ControlPlaneScope;
  /** `--secret-name`; else the Secret an earlier join created, else generated. */
  secretName?: string;
  errorOnExisting: boolean;
  endpoint: MemberEndpoint;
  host: ClusterClient;
  member: ClusterClient;
  /** How long to wait for the member's token controller (default 30 s). */
  tokenTimeoutMs?: number;
}

export interface JoinMode {
  dryRun: boolean;
  output?: 'yaml' | 'json';
}

/** The state of both clusters before join writes anything. */
interface Observed {
  /** Existing member objects by plan index (the namespace at 0). */
  member: (KubeObject | undefined)[];
  hostNamespace?: KubeObject;
  cluster?: KubeFedCluster;
  secretName?: string;
  secret?: KubeObject;
}

async function getOrUndefined<T extends KubeObject>(
  client: ClusterClient,
  p: Pick<PlannedObject, 'ref'>,
  name: string,
  namespace?: string,
): Promise<T | undefined> {
  try {
    return await new ResourceClient<T>(client, p.ref).get(name, namespace ? { namespace } : {});
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function observe(target: JoinTarget, memberPlan: PlannedObject[]): Promise<Observed> {
  const ns = target.namespace;
  const [member, hostNs, cluster] = await Promise.all([
    Promise.all(
      memberPlan.map((p) =>
        getOrUndefined(target.member, p, p.object.metadata.name!, p.object.metadata.namespace),
      ),
    ),
    getOrUndefined(target.host, { ref: REFS.namespaces }, ns),
    getOrUndefined<KubeFedCluster>(target.host, { ref: REFS.kubeFedClusters }, target.clusterName, ns),
  ]);
  const secretName = target.secretName ?? cluster?.spec.secretRef.name;
  const secret = secretName
    ? await getOrUndefined(target.host, { ref: REFS.secrets }, secretName, ns)
    : undefined;
  return {
    member,
    ...(hostNs ? { hostNamespace: hostNs } : {}),
    ...(cluster ? { cluster } : {}),
    ...(secretName ? { secretName } : {}),
    ...(secret ? { secret } : {}),
  };
}

/** Objects that exist already and would make a default (`--error-on-existing`) join fail. */
function conflicts(target: JoinTarget, plan: PlannedObject[], seen: Observed): string[] {
  const found: string[] = [];
  if (seen.cluster) {
    found.push(
      `${displayName(REFS.kubeFedClusters, target.clusterName, 'KubeFedCluster')} in ${target.hostClusterName}`,
    );
  }
  if (target.secretName && seen.secret) {
    found.push(`${displayName(REFS.secrets, target.secretName, 'Secret')} in ${target.hostClusterName}`);
  }
  plan.forEach((p, i) => {
    if (i > 0 && seen.member[i]) found.push(`${describePlanned(p)} in ${target.clusterName}`);
  });
  return found;
}

/** Objects this run created, deleted again (newest first) when a later step fails. */
class Journal {
  private readonly created: { client: ClusterClient; where: string; p: PlannedObject; name: string }[] = [];

  record(client: ClusterClient, where: string, p: PlannedObject, name: string): void {
    this.created.push({ client, where, p, name });
  }

  async rollback(io: Output): Promise<{ deleted: number; failed: string[] }> {
    let deleted = 0;
    const failed: string[] = [];
    for (const { client, where, p, name } of [...this.created].reverse()) {
      const label = displayName(p.ref, name, p.object.kind);
      try {
        await new ResourceClient(client, p.ref).delete(
          name,
          p.object.metadata.namespace ? { namespace: p.object.metadata.namespace } : {},
        );
        deleted++;
        io.out(`${label} deleted from ${where} (rollback)\n`);
      } catch (err) {
        if (isNotFound(err)) continue;
        failed.push(`${label} in ${where} (${causeOf(err)})`);
      }
    }
    return { deleted, failed };
  }
}

type Outcome = 'created' | 'configured' | 'unchanged';

/** Creates `p`, or brings the existing object to it; returns the object as stored. */
async function put(
  client: ClusterClient,
  where: string,
  p: PlannedObject,
  existing: KubeObject | undefined,
  journal: Journal,
  io: Output,
): Promise<KubeObject> {
  const rc = new ResourceClient(client, p.ref);
  const report = (obj: KubeObject, outcome: Outcome) =>
    io.out(`${displayName(p.ref, obj.metadata.name!, p.object.kind)} ${outcome} in ${where}\n`);
  const create = async () => {
    const created = await rc.create(p.object);
    journal.record(client, where, p, created.metadata.name!);
    return created;
  };
  if (!existing) {
    const created = await create();
    report(created, 'created');
    return created;
  }
  const r = reconcile(existing, p.object);
  if (r.action === 'unchanged') {
    report(existing, 'unchanged');
    return existing;
  }
  if (r.action === 'update') {
    const updated = await rc.update(r.object);
    report(updated, 'configured');
    return updated;
  }
  // roleRef and Secret type are immutable: replace the object.
  await rc.delete(existing.metadata.name!, { namespace: existing.metadata.namespace });
  const recreated = await rc.create(p.object);
  report(recreated, 'configured');
  return recreated;
}

/** Creates the namespace unless it exists; refuses one that is being deleted. */
async function ensureNamespace(
  client: ClusterClient,
  where: string,
  p: PlannedObject,
  journal: Journal,
  io: Output,
): Promise<boolean> {
  const name = p.object.metadata.name!;
  const existing = await getOrUndefined(client, p, name);
  if (existing?.metadata.deletionTimestamp) {
    throw new CliError(
      `namespace "${name}" in ${where} is being deleted (an unjoin?); wait until it is gone, then join again`,
    );
  }
  if (existing) return false;
  try {
    await new ResourceClient(client, p.ref).create(p.object);
  } catch (err) {
    if (isAlreadyExists(err)) return false;
    throw err;
  }
  journal.record(client, where, p, name);
  io.out(`${displayName(p.ref, name, 'Namespace')} created in ${where}\n`);
  return true;
}

/** Waits for the token controller to fill the member's token Secret. */
async function waitForToken(
  target: JoinTarget,
  p: PlannedObject,
): Promise<{ token: string; caCrt?: string }> {
  const name = p.object.metadata.name!;
  const ns = target.namespace;
  const timeoutMs = target.tokenTimeoutMs ?? TOKEN_TIMEOUT_MS;
  try {
    return await pollUntil(
      `the token of secret ${ns}/${name} in ${target.clusterName}`,
      async () => {
        const secret = await new ResourceClient(target.member, p.ref).get(name, { namespace: ns });
        const data = (secret.data ?? {}) as Record<string, string>;
        if (data.token && data['ca.crt'])
          return { done: true, value: { token: data.token, caCrt: data['ca.crt'] } };
        return { done: false, seen: `data has ${Object.keys(data).join(', ') || 'no keys'}` };
      },
      { timeoutMs, intervalMs: 500 },
    );
  } catch (err) {
    if (err instanceof PollTimeout) {
      throw new CliError(
        `${err.message}: is the member's kube-controller-manager running its token controller (--service-account-private-key-file)?`,
      );
    }
    throw err;
  }
}

/** Desired host objects; `token`/`caCrt` are placeholders in a dry run. */
function hostPlan(
  target: JoinTarget,
  secretName: string | undefined,
  token: string,
  caCrt: string | undefined,
): { namespace: PlannedObject; secret: PlannedObject; cluster: (name: string) => PlannedObject } {
  const base = { clusterName: target.clusterName, namespace: target.namespace };
  return {
    namespace: { ref: REFS.namespaces, object: hostNamespace(target.namespace, target.clusterName) },
    secret: {
      ref: REFS.secrets,
      object: hostSecret({
        ...base,
        ...(secretName ? { secretName } : {}),
        token,
        ...(caCrt ? { caCrt } : {}),
      }),
    },
    cluster: (name) => ({
      ref: REFS.kubeFedClusters,
      object: kubeFedCluster({
        ...base,
        secretName: name,
        endpoint: target.endpoint,
        ...(caCrt ? { tokenCaCrt: caCrt } : {}),
      }),
    }),
  };
}

function printDryRun(
  target: JoinTarget,
  memberPlan: PlannedObject[],
  seen: Observed,
  mode: JoinMode,
  io: Output,
) {
  const sa = serviceAccountName(target.clusterName, target.hostClusterName);
  const from = `secret ${target.namespace}/${sa} in ${target.clusterName}`;
  // Printed objects carry placeholders; the summary compares with the real token when it exists.
  const tokenSecret = seen.member[memberPlan.findIndex((p) => p.ref === REFS.secrets)];
  const tokenData = (mode.output ? undefined : tokenSecret?.data) as Record<string, string> | undefined;
  const host = hostPlan(
    target,
    seen.secretName,
    tokenData?.token ?? `<token of ${from}>`,
    tokenData?.['ca.crt'] ?? (target.endpoint.caData ? undefined : `<ca.crt of ${from}>`),
  );
  const member = memberPlan.filter((_, i) => i > 0 || !seen.member[0]);
  // Joining the host itself: the member's namespace is the host's.
  const sameCluster = target.host.server.href === target.member.server.href;
  const hostObjects = [
    ...(seen.hostNamespace || (sameCluster && !seen.member[0]) ? [] : [host.namespace]),
    host.secret,
    host.cluster(seen.secretName ?? `<generated: ${target.clusterName}-xxxxx>`),
  ];
  if (mode.output === 'json') {
    const doc = {
      member: { cluster: target.clusterName, objects: member.map((p) => p.object) },
      host: { cluster: target.hostClusterName, objects: hostObjects.map((p) => p.object) },
    };
    io.out(`${JSON.stringify(doc, null, 2)}\n`);
    return;
  }
  if (mode.output === 'yaml') {
    const docs = [
      ...member.map((p) => `# in ${target.clusterName} (member)\n${stringify(p.object)}`),
      ...hostObjects.map((p) => `# in ${target.hostClusterName} (host)\n${stringify(p.object)}`),
    ];
    io.out(docs.join('---\n'));
    return;
  }
  const line = (p: PlannedObject, existing: KubeObject | undefined, where: string) => {
    const outcome = existing
      ? reconcile(existing, p.object).action === 'unchanged'
        ? 'unchanged'
        : 'configured'
      : 'created';
    io.out(`${describePlanned(p)} ${outcome} in ${where} (dry run)\n`);
  };
  member.forEach((p) => line(p, seen.member[memberPlan.indexOf(p)], target.clusterName));
  hostObjects.forEach((p) =>
    line(
      p,
      p === host.secret ? seen.secret : p.ref === REFS.kubeFedClusters ? seen.cluster : undefined,
      target.hostClusterName,
    ),
  );
}

/**
 * Refuses, before anything is written, a member endpoint the control plane could not use: the
 * KubeFedCluster join would write is checked by the parser the webhook and the controllers use.
 */
export function checkMemberEndpoint(clusterName: string, namespace: string, endpoint: MemberEndpoint): void {
  // The Secret's name is only known later; a valid stand-in keeps its rule out of the check.
  const spec = kubeFedCluster({ clusterName, namespace, secretName: 'stand-in', endpoint }).spec;
  const parsed = parseClusterConnection(spec);
  if (parsed.kind === 'ok') return;
  throw new CliError(
    `cannot join cluster "${clusterName}": the KubeFedCluster made from its kubeconfig entry would be refused: ${parsed.errors.join('; ')}. Fix the cluster's server, certificate-authority-data or proxy-url in the kubeconfig`,
  );
}

/** Joins with connected clients: checks, then writes member and host objects (or prints them). */
export async function joinCluster(target: JoinTarget, mode: JoinMode, io: Output): Promise<void> {
  checkMemberEndpoint(target.clusterName, target.namespace, target.endpoint);
  const memberPlan = planMember(target);
  const seen = await observe(target, memberPlan);
  for (const [ns, where] of [
    [seen.member[0], target.clusterName],
    [seen.hostNamespace, target.hostClusterName],
  ] as const) {
    if (ns?.metadata.deletionTimestamp) {
      throw new CliError(
        `namespace "${target.namespace}" in ${where} is being deleted (an unjoin?); wait until it is gone, then join again`,
      );
    }
  }
  if (target.errorOnExisting) {
    const found = conflicts(target, memberPlan, seen);
    if (found.length > 0) {
      const shown = found.slice(0, 2).join(', ') + (found.length > 2 ? ` and ${found.length - 2} more` : '');
      throw new CliError(
        `cluster "${target.clusterName}" looks joined already: ${shown} exist${found.length === 1 ? 's' : ''}; pass --error-on-existing=false to update them, or unjoin first`,
      );
    }
  }
  if (seen.cluster && target.secretName && seen.cluster.spec.secretRef.name !== target.secretName) {
    io.err(
      `note: KubeFedCluster ${target.clusterName} used secret ${seen.cluster.spec.secretRef.name}; it now uses ${target.secretName} (the old secret is left in place)\n`,
    );
  }
  if (mode.dryRun || mode.output) {
    printDryRun(target, memberPlan, seen, mode, io);
    return;
  }

  const journal = new Journal();
  try {
    const [nsPlan, ...rest] = memberPlan;
    await ensureNamespace(target.member, target.clusterName, nsPlan!, journal, io);
    let token: { token: string; caCrt?: string } | undefined;
    for (const p of rest) {
      await put(target.member, target.clusterName, p, seen.member[memberPlan.indexOf(p)], journal, io);
      if (p.ref === REFS.secrets) token = await waitForToken(target, p);
    }
    const host = hostPlan(target, seen.secretName, token!.token, token!.caCrt);
    if (await ensureNamespace(target.host, target.hostClusterName, host.namespace, journal, io)) {
      io.err(
        `note: the KubeFed namespace "${target.namespace}" did not exist in host cluster ${target.hostClusterName}; join created it (install the control plane into it)\n`,
      );
    }
    const secret = await put(target.host, target.hostClusterName, host.secret, seen.secret, journal, io);
    await put(
      target.host,
      target.hostClusterName,
      host.cluster(secret.metadata.name!),
      seen.cluster,
      journal,
      io,
    );
  } catch (err) {
    const { deleted, failed } = await journal.rollback(io);
    const undo =
      deleted > 0 || failed.length > 0
        ? `; rolled back ${deleted} object${deleted === 1 ? '' : 's'} this run created${failed.length ? `, could not delete ${failed.join(', ')}` : ''}`
        : '';
    throw new CliError(`join of cluster "${target.clusterName}" failed: ${causeOf(err)}${undo}`);
  }
}

/** `--scope`, else the scope of the host's KubeFedConfig, else Cluster. */
async function scopeOf(
  host: ClusterClient,
  namespace: string,
  flag: string | undefined,
): Promise<ControlPlaneScope> {
  if (flag !== undefined) {
    if (!(SCOPES as readonly string[]).includes(flag)) {
      throw new CliError(`--scope must be Cluster or Namespaced, not "${flag}"`);
    }
    return flag as ControlPlaneScope;
  }
  const config = await getOrUndefined<KubeObject & KubeFedConfig>(
    host,
    { ref: REFS.kubeFedConfigs },
    KUBEFED_CONFIG_NAME,
    namespace,
  );
  return config?.spec.scope ?? 'Cluster';
}

export interface JoinFlags extends HostFlags {
  clusterContext?: string;
  hostClusterName?: string;
  secretName?: string;
  scope?: string;
  errorOnExisting: boolean;
  dryRun: boolean;
  output?: string;
  tokenTimeout?: string;
}

/** `--token-timeout` as milliseconds: a positive Go duration (`30s`, `1m`, `500ms`). */
export function parseTokenTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch {
    throw new CliError(`--token-timeout "${value}" is not a duration (examples: 30s, 2m, 500ms)`);
  }
  if (!(ms >= 1)) throw new CliError(`--token-timeout must be at least 1ms, not "${value}"`);
  return Math.round(ms);
}

export async function join(clusterName: string, flags: JoinFlags, io: Output): Promise<void> {
  if (!isDnsSubdomain(clusterName) || clusterName.length > 63) {
    throw new CliError(
      `cluster name "${clusterName}" must be a DNS-1123 subdomain of at most 63 characters (lowercase letters, digits, '-' and '.')`,
    );
  }
  requireNamespaceName(flags.kubefedNamespace);
  const output = parseOutputFormat(flags.output, ['yaml', 'json'] as const);
  const tokenTimeoutMs = parseTokenTimeout(flags.tokenTimeout);
  if (flags.secretName !== undefined && !isDnsSubdomain(flags.secretName)) {
    throw new CliError(
      `--secret-name "${flags.secretName}" is not a valid Secret name (a DNS-1123 subdomain)`,
    );
  }
  if (flags.scope !== undefined && !(SCOPES as readonly string[]).includes(flags.scope)) {
    throw new CliError(`--scope must be Cluster or Namespaced, not "${flags.scope}"`);
  }
  const kubeconfig = loadKubeconfig(flags.kubeconfig);
  const hostContext = resolveContext(kubeconfig, flags.hostClusterContext, '--host-cluster-context');
  const memberContext = resolveContext(kubeconfig, flags.clusterContext ?? clusterName, '--cluster-context');
  const hostClusterName = hostClusterNameOf(flags.hostClusterName, hostContext);
  const sa = serviceAccountName(clusterName, hostClusterName);
  if (!isDnsSubdomain(sa)) {
    throw new CliError(
      `ServiceAccount name "${sa}" (CLUSTER_NAME-host cluster name) is not valid; choose a shorter --host-cluster-name`,
    );
  }
  const creds = kubeconfig.credentials(memberContext);
  const endpoint: MemberEndpoint = {
    server: creds.server,
    ...(creds.caData ? { caData: creds.caData.toString('base64') } : {}),
    insecure: creds.disabledTLSValidations?.includes('*') ?? false,
    ...(creds.proxyUrl ? { proxyUrl: creds.proxyUrl } : {}),
  };
  const [hostResult, memberResult] = await Promise.allSettled([
    connect(kubeconfig, hostContext, `host cluster "${hostClusterName}"`),
    connect(kubeconfig, memberContext, `cluster "${clusterName}"`),
  ]);
  const host = hostResult.status === 'fulfilled' ? hostResult.value : undefined;
  const member = memberResult.status === 'fulfilled' ? memberResult.value : undefined;
  try {
    if (hostResult.status === 'rejected') throw hostResult.reason;
    if (memberResult.status === 'rejected') throw memberResult.reason;
    await requireKubeFedApi(host!, hostClusterName);
    const scope = await scopeOf(host!, flags.kubefedNamespace, flags.scope);
    await joinCluster(
      {
        clusterName,
        hostClusterName,
        namespace: flags.kubefedNamespace,
        scope,
        ...(flags.secretName ? { secretName: flags.secretName } : {}),
        errorOnExisting: flags.errorOnExisting,
        endpoint,
        host: host!,
        member: member!,
        ...(tokenTimeoutMs !== undefined ? { tokenTimeoutMs } : {}),
      },
      { dryRun: flags.dryRun, ...(output ? { output } : {}) },
      io,
    );
  } finally {
    await closeAll(host, member);
  }
}

export function joinCommand(io: Output = processOutput): Command {
  const cmd = new Command('join')
    .description(
      'Register a cluster with a KubeFed control plane: a ServiceAccount with the permissions of the control plane in the member, a KubeFedCluster and its credential Secret in the host.',
    )
    .argument('<CLUSTER_NAME>', 'name of the KubeFedCluster (a DNS-1123 subdomain)')
    .option(
      '--cluster-context <context>',
      'kubeconfig context of the joining cluster (default: CLUSTER_NAME)',
    )
    .option(
      '--host-cluster-name <name>',
      'name of the host in member object names (default: the host context; required if it contains ":" or "/")',
    )
    .option(
      '--secret-name <name>',
      "name of the host Secret holding the member's token (default: generated, CLUSTER_NAME-xxxxx)",
    )
    .addOption(
      new Option(
        '--scope <scope>',
        'Cluster or Namespaced permissions (default: the scope of the KubeFedConfig in the host, else Cluster)',
      ),
    )
    .option('-o, --output <format>', 'print the objects join would create (yaml or json); create nothing')
    .option(
      '--token-timeout <duration>',
      "advanced: how long to wait for the member's token controller to fill the ServiceAccount token Secret (default 30s)",
    );
  addHostFlags(cmd);
  addBooleanFlag(
    cmd,
    'error-on-existing',
    'fail if objects join creates exist already; with =false, update them to the desired state',
    true,
  );
  addBooleanFlag(cmd, 'dry-run', 'say what join would create or change; change nothing', false);
  cmd.addHelpText(
    'after',
    '\nExamples:\n  kubefedctl join cluster2 --host-cluster-context cluster1\n  kubefedctl join cluster2 --cluster-context ctx2 --dry-run -o yaml',
  );
  return cmd.action((clusterName: string, flags: JoinFlags) => join(clusterName, flags, io));
}
