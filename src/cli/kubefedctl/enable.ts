/**
 * `kubefedctl enable TYPE`: federates an API type (built-in or CRD). Creates the CRD of its
 * Federated<Kind>, whose `spec.template` schema is derived from the target type's schema, and the
 * FederatedTypeConfig that tells the control plane to propagate it.
 *
 * Everything is checked before the first write: the type resolves on the host, every joined
 * member serves it, and no other FederatedTypeConfig claims the same names. See
 * docs/type-federation.md.
 */
import { Command } from 'commander';
import { stringify } from 'yaml';
import {
  FederatedTypeConfigDefinition,
  type FederatedTypeConfig,
  type KubeFedCluster,
} from '../../api/core.js';
import { resourceRefOf } from '../../api/index.js';
import { TYPES_GROUP, TYPES_VERSION } from '../../api/types.js';
import {
  hasIntegerReplicas,
  looseObject,
  TemplateSchemaError,
  templateSchemaFromCrd,
  templateSchemaFromOpenApi,
  type JsonSchema,
  type OpenApiV3Document,
} from '../../federation/template-schema.js';
import {
  federatedCrd,
  federatedGroupProblem,
  federatedTypeConfig,
  federatedVersionProblem,
  qualifiedName,
  type APIResource,
} from '../../federation/typeconfig.js';
import type { ClusterClient } from '../../kube/client.js';
import { apiVersionOf, Discovery, UnknownTypeError, type ResourceInfo } from '../../kube/discovery.js';
import { isAlreadyExists, isConflict, isForbidden, isNotFound, KubeError } from '../../kube/errors.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../kube/resource.js';
import { pollUntil, PollAbort, PollTimeout, sleep } from '../../poll.js';
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
import { memberClientOf } from './members.js';
import { REFS } from './membership.js';

export const TYPE_REFS = {
  crds: {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    resource: 'customresourcedefinitions',
    namespaced: false,
  },
  typeConfigs: resourceRefOf(FederatedTypeConfigDefinition),
} satisfies Record<string, ResourceRef>;

/** The verbs the sync controller needs on a target type. */
const REQUIRED_VERBS = ['get', 'list', 'watch', 'create', 'update', 'delete'];
/** API groups of KubeFed itself: federating them makes no sense. */
const KUBEFED_GROUPS = new Set(['core.kubefed.io', 'scheduling.kubefed.io', TYPES_GROUP]);
const ESTABLISHED_TIMEOUT_MS = 60_000;
const MEMBER_CHECK_CONCURRENCY = 8;
const NOT_SERVED_RECHECK_MS = 2_000;

export interface CustomResourceDefinition extends KubeObject {
  spec: {
    group: string;
    names: { kind: string; plural: string };
    versions: { name: string; schema?: { openAPIV3Schema?: JsonSchema } }[];
  };
  status?: { conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/** `deployments.apps/v1`, `configmaps/v1`: a target type as the user reads it. */
export function describeTarget(r: Pick<ResourceInfo, 'group' | 'version' | 'resource'>): string {
  return `${r.group ? `${r.resource}.${r.group}` : r.resource}/${r.version}`;
}

/**
 * Resolves TYPE on the host the way kubectl does (plural, singular, kind, short name or
 * plural.group; a core-group hit wins); `version` pins the target's API version.
 */
export async function resolveTargetType(
  discovery: Discovery,
  typeName: string,
  version: string | undefined,
  hostName: string,
): Promise<ResourceInfo> {
  let found: ResourceInfo;
  try {
    found = await discovery.resolve(typeName);
  } catch (err) {
    if (!(err instanceof UnknownTypeError)) throw err;
    // Unknown or ambiguous; discovery's message says which.
    throw new CliError(
      `cannot resolve type "${typeName}": ${err.message}; list the types the host serves with kubectl api-resources (a CRD must be installed in the host first)`,
    );
  }
  if (version === undefined || found.version === version) return found;
  const versions = (await discovery.resources()).filter(
    (r) => r.group === found.group && r.resource === found.resource,
  );
  const pinned = versions.find((r) => r.version === version);
  if (!pinned) {
    throw new CliError(
      `--version ${version}: host cluster "${hostName}" does not serve ${describeTarget({ ...found, version })}; served versions: ${versions.map((r) => r.version).join(', ')}`,
    );
  }
  return pinned;
}

/** Why a resolved type cannot be federated, or undefined. */
export function unfederatableReason(target: ResourceInfo, federatedGroup: string): string | undefined {
  if (KUBEFED_GROUPS.has(target.group)) return `it belongs to KubeFed's own API group ${target.group}`;
  if (target.group === federatedGroup) {
    return `it is in the group federated types are created in (--federated-group ${federatedGroup})`;
  }
  const missing = REQUIRED_VERBS.filter((v) => !target.verbs.includes(v));
  if (missing.length > 0) {
    return `the API server does not allow ${missing.join(', ')} on it (propagation needs ${REQUIRED_VERBS.join(', ')})`;
  }
  return undefined;
}

async function getOrUndefined<T extends KubeObject>(
  client: ClusterClient,
  ref: ResourceRef,
  name: string,
  namespace?: string,
): Promise<T | undefined> {
  try {
    return await new ResourceClient<T>(client, ref).get(name, namespace ? { namespace } : {});
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export type TemplateSource =
  { kind: 'crd'; crdName: string } | { kind: 'openapi'; path: string } | { kind: 'none'; why: string };

/** The template schema of `target`: from its CRD, else from the host's OpenAPI v3, else any object. */
export async function templateSchemaFor(
  host: ClusterClient,
  target: ResourceInfo,
): Promise<{ schema: JsonSchema; source: TemplateSource }> {
  const gvk = { group: target.group, version: target.version, kind: target.kind };
  const fallback = (why: string) => ({
    schema: { ...looseObject(`The ${target.kind} to create in each placed cluster.`) },
    source: { kind: 'none', why } as const,
  });
  if (target.group) {
    const crdName = `${target.resource}.${target.group}`;
    const crd = await getOrUndefined<CustomResourceDefinition>(host, TYPE_REFS.crds, crdName);
    if (crd) {
      const schema = crd.spec.versions.find((v) => v.name === target.version)?.schema?.openAPIV3Schema;
      if (!schema) return fallback(`CRD ${crdName} has no schema for version ${target.version}`);
      return { schema: templateSchemaFromCrd(schema, target.kind), source: { kind: 'crd', crdName } };
    }
  }
  const path = target.group
    ? `/openapi/v3/apis/${target.group}/${target.version}`
    : `/openapi/v3/api/${target.version}`;
  let doc: OpenApiV3Document;
  try {
    doc = await host.request<OpenApiV3Document>({ method: 'GET', path, timeoutMs: 60_000 });
  } catch (err) {
    if (isNotFound(err)) return fallback(`the host serves no OpenAPI v3 document at ${path}`);
    throw err;
  }
  try {
    return { schema: templateSchemaFromOpenApi(doc, gvk), source: { kind: 'openapi', path } };
  } catch (err) {
    if (err instanceof TemplateSchemaError) return fallback(err.message);
    throw err;
  }
}

/** The two objects enable writes, derived from the target type. */
export interface EnablePlan {
  target: ResourceInfo;
  typeConfig: FederatedTypeConfig;
  crd: KubeObject;
  crdName: string;
  source: TemplateSource;
}

export function planEnable(
  target: ResourceInfo,
  template: { schema: JsonSchema; source: TemplateSource },
  options: { namespace: string; federatedGroup: string; federatedVersion: string },
): EnablePlan {
  const gv = { group: options.federatedGroup, version: options.federatedVersion };
  const typeConfig = federatedTypeConfig(target, options.namespace, gv);
  const crd = federatedCrd(target, {
    ...gv,
    template: template.schema,
    retainReplicas: hasIntegerReplicas(template.schema),
  }) as KubeObject;
  return {
    target,
    typeConfig,
    crd,
    crdName: qualifiedName(typeConfig.spec.federatedType),
    source: template.source,
  };
}

/** `-o yaml|json`: the FederatedTypeConfig, then the CRD. */
export function renderPlan(plan: EnablePlan, format: 'yaml' | 'json'): string {
  if (format === 'json') {
    const list = { apiVersion: 'v1', kind: 'List', items: [plan.typeConfig, plan.crd] };
    return `${JSON.stringify(list, null, 2)}\n`;
  }
  return [plan.typeConfig, plan.crd].map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('');
}

const sameFederatedType = (a: APIResource, b: APIResource) =>
  (a.group ?? '') === (b.group ?? '') &&
  a.version === b.version &&
  a.kind === b.kind &&
  a.pluralName === b.pluralName;

const describeFederatedType = (t: APIResource) => `${t.kind} (${qualifiedName(t)}/${t.version})`;

/** What exists already; refuses names that another type holds. */
async function checkExisting(
  host: ClusterClient,
  hostName: string,
  plan: EnablePlan,
): Promise<{ typeConfig?: FederatedTypeConfig; crd?: CustomResourceDefinition }> {
  const { name, namespace } = plan.typeConfig.metadata as { name: string; namespace: string };
  const wanted = plan.typeConfig.spec.federatedType;
  const existing = await getOrUndefined<FederatedTypeConfig>(host, TYPE_REFS.typeConfigs, name, namespace);
  if (existing && !sameFederatedType(existing.spec.federatedType, wanted)) {
    const has = existing.spec.federatedType;
    throw new CliError(
      `FederatedTypeConfig ${namespace}/${name} already federates ${name} as ${describeFederatedType(has)}; changing it to ${describeFederatedType(wanted)} is not supported: enable with --federated-group ${has.group ?? ''} --federated-version ${has.version}, or first run kubefedctl disable ${name} --delete-crd`,
    );
  }
  const others = await listTypeConfigs(host, namespace);
  const claimant = others.find(
    (f) => f.metadata.name !== name && qualifiedName(f.spec.federatedType) === plan.crdName,
  );
  if (claimant) {
    throw new CliError(
      `cannot enable ${name}: FederatedTypeConfig ${claimant.metadata.namespace}/${claimant.metadata.name} already uses the federated CRD ${plan.crdName} for another type with the same plural; pass a different --federated-group (e.g. --federated-group ${suggestGroup(plan.target)}) to enable ${name}`,
    );
  }
  const crd = await getOrUndefined<CustomResourceDefinition>(host, TYPE_REFS.crds, plan.crdName);
  if (crd && crd.spec.names.kind !== wanted.kind) {
    throw new CliError(
      `CRD ${plan.crdName} in host cluster "${hostName}" defines kind ${crd.spec.names.kind}, not ${wanted.kind}; pass a different --federated-group (e.g. --federated-group ${suggestGroup(plan.target)})`,
    );
  }
  return { ...(existing ? { typeConfig: existing } : {}), ...(crd ? { crd } : {}) };
}

function suggestGroup(target: ResourceInfo): string {
  return `${target.group ? target.group.split('.')[0] : 'core'}.${TYPES_GROUP}`;
}

/** FederatedTypeConfigs of every control plane on the host (CRDs are cluster-wide), else of `namespace`. */
export async function listTypeConfigs(
  host: ClusterClient,
  namespace: string,
): Promise<FederatedTypeConfig[]> {
  const rc = new ResourceClient<FederatedTypeConfig>(host, TYPE_REFS.typeConfigs);
  try {
    return (await rc.listAll()).items;
  } catch (err) {
    if (!isForbidden(err)) throw err;
    return (await rc.listAll({ namespace })).items;
  }
}

export type MemberServing =
  | { cluster: string; kind: 'serves' }
  | { cluster: string; kind: 'not-served'; why: string }
  | { cluster: string; kind: 'unreachable'; why: string }
  | { cluster: string; kind: 'unchecked'; why: string };

/** Whether one member serves the target's group/version/kind (its discovery document says so). */
export async function memberServes(client: ClusterClient, target: ResourceInfo): Promise<MemberServing> {
  const cluster = client.name;
  const gv = apiVersionOf(target);
  const path = target.group ? `/apis/${target.group}/${target.version}` : `/api/${target.version}`;
  try {
    const list = await client.request<{ resources?: { name: string; kind: string }[] }>({
      method: 'GET',
      path,
      verb: 'discovery',
    });
    const hit = (list.resources ?? []).some((r) => r.name === target.resource && r.kind === target.kind);
    return hit
      ? { cluster, kind: 'serves' }
      : {
          cluster,
          kind: 'not-served',
          why: `${gv} is served without ${target.resource} (kind ${target.kind})`,
        };
  } catch (err) {
    if (isNotFound(err)) return { cluster, kind: 'not-served', why: `${gv} is not served` };
    if (err instanceof KubeError && err.code === 0)
      return { cluster, kind: 'unreachable', why: causeOf(err) };
    return { cluster, kind: 'unchecked', why: causeOf(err) };
  }
}

/**
 * Checks every KubeFedCluster in `namespace`, at most a few at a time. A cluster that does not
 * serve the type is asked once more after a moment: a CRD is Established a little before its
 * group-version appears in discovery, and "install the CRD, then enable" is the usual order.
 */
export async function checkMembers(
  host: ClusterClient,
  namespace: string,
  target: ResourceInfo,
): Promise<MemberServing[]> {
  const clusters = (
    await new ResourceClient<KubeFedCluster>(host, REFS.kubeFedClusters).listAll({ namespace })
  ).items;
  const checkAll = async (todo: KubeFedCluster[]) => {
    const results = new Map<KubeFedCluster, MemberServing>();
    const queue = [...todo];
    const worker = async () => {
      for (let cluster = queue.shift(); cluster; cluster = queue.shift()) {
        results.set(cluster, await checkMember(host, namespace, cluster, target));
      }
    };
    await Promise.all(Array.from({ length: MEMBER_CHECK_CONCURRENCY }, worker));
    return results;
  };
  const results = await checkAll(clusters);
  const notServed = clusters.filter((c) => results.get(c)?.kind === 'not-served');
  if (notServed.length > 0) {
    await sleep(NOT_SERVED_RECHECK_MS);
    for (const [cluster, result] of await checkAll(notServed)) results.set(cluster, result);
  }
  return [...results.values()].sort((a, b) => a.cluster.localeCompare(b.cluster));
}

async function checkMember(
  host: ClusterClient,
  namespace: string,
  cluster: KubeFedCluster,
  target: ResourceInfo,
): Promise<MemberServing> {
  const name = cluster.metadata.name ?? '';
  const secretName = cluster.spec?.secretRef?.name;
  const secret = secretName ? await getOrUndefined(host, REFS.secrets, secretName, namespace) : undefined;
  const member = memberClientOf(cluster, secret);
  if (member.kind === 'error') return { cluster: name, kind: 'unchecked', why: member.message };
  try {
    return await memberServes(member.client, target);
  } finally {
    await closeAll(member.client);
  }
}

/** One line naming each member that does not serve the target, and why; undefined when all do. */
export function membersProblem(target: ResourceInfo, results: MemberServing[]): string | undefined {
  const failing = results.filter((r): r is Exclude<MemberServing, { kind: 'serves' }> => r.kind !== 'serves');
  if (failing.length === 0) return undefined;
  const label = {
    'not-served': 'not served',
    unreachable: 'unreachable',
    unchecked: 'cannot check',
  } as const;
  const each = failing.map((r) => `${r.cluster} (${label[r.kind]}: ${r.why})`).join('; ');
  const notServed = failing.some((r) => r.kind === 'not-served');
  return `not every joined cluster serves ${describeTarget(target)} (kind ${target.kind}): ${each}; ${
    notServed ? 'install the type in those clusters' : 'make those clusters reachable'
  } (or unjoin them), then run enable again`;
}

/** Creates the CRD, or replaces the spec of the existing one. */
async function applyCrd(
  host: ClusterClient,
  crd: KubeObject,
  existing: CustomResourceDefinition | undefined,
): Promise<'created' | 'updated'> {
  const rc = new ResourceClient<KubeObject>(host, TYPE_REFS.crds);
  const name = crd.metadata.name!;
  if (!existing) {
    try {
      await rc.create(crd);
      return 'created';
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  for (let attempt = 0; ; attempt++) {
    const current = existing ?? (await rc.get(name));
    try {
      await rc.update({ ...current, spec: crd.spec });
      return 'updated';
    } catch (err) {
      if (!isConflict(err) || attempt >= 4) throw err;
      existing = undefined;
    }
  }
}

/** Waits until the API server serves the CRD; fails at once if its names are refused. */
async function waitEstablished(host: ClusterClient, name: string): Promise<void> {
  try {
    await pollUntil(
      `CRD ${name} to be Established`,
      async () => {
        const crd = await new ResourceClient<CustomResourceDefinition>(host, TYPE_REFS.crds).get(name);
        const conditions = crd.status?.conditions ?? [];
        const names = conditions.find((c) => c.type === 'NamesAccepted');
        if (names?.status === 'False') {
          throw new PollAbort(`CRD ${name}: names not accepted (${names.reason}): ${names.message}`);
        }
        if (conditions.some((c) => c.type === 'Established' && c.status === 'True'))
          return { done: true, value: undefined };
        return {
          done: false,
          seen: conditions.map((c) => `${c.type}=${c.status}`).join(', ') || 'no conditions',
        };
      },
      { timeoutMs: ESTABLISHED_TIMEOUT_MS, intervalMs: 250 },
    );
  } catch (err) {
    if (err instanceof PollAbort || err instanceof PollTimeout) throw new CliError(err.message);
    throw err;
  }
}

/** Creates the FederatedTypeConfig, or merge-patches the existing one's spec (re-enabling it). */
async function applyTypeConfig(
  host: ClusterClient,
  typeConfig: FederatedTypeConfig,
  exists: boolean,
): Promise<'created' | 'updated'> {
  const rc = new ResourceClient<FederatedTypeConfig>(host, TYPE_REFS.typeConfigs);
  const { name, namespace } = typeConfig.metadata as { name: string; namespace: string };
  if (!exists) {
    try {
      await rc.create(typeConfig);
      return 'created';
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
  const { spec } = typeConfig;
  // null removes a group the existing object has and this one does not (merge patch semantics).
  const patch = {
    spec: {
      targetType: { group: null, ...spec.targetType },
      federatedType: { group: null, ...spec.federatedType },
      propagation: spec.propagation,
    },
  };
  await rc.patch(name, 'merge', patch, { namespace });
  return 'updated';
}

export interface EnableFlags extends HostFlags {
  federatedGroup: string;
  federatedVersion: string;
  version?: string;
  output?: string;
}

export async function enable(typeName: string, flags: EnableFlags, io: Output): Promise<void> {
  requireNamespaceName(flags.kubefedNamespace);
  const output = parseOutputFormat(flags.output, ['yaml', 'json'] as const);
  const groupProblem = federatedGroupProblem(flags.federatedGroup);
  if (groupProblem) throw new CliError(`--federated-group "${flags.federatedGroup}" ${groupProblem}`);
  const versionProblem = federatedVersionProblem(flags.federatedVersion);
  if (versionProblem) throw new CliError(`--federated-version "${flags.federatedVersion}" ${versionProblem}`);
  if (flags.version !== undefined && federatedVersionProblem(flags.version)) {
    throw new CliError(`--version "${flags.version}" is not an API version (e.g. v1, v1beta1)`);
  }
  const kubeconfig = loadKubeconfig(flags.kubeconfig);
  const hostContext = resolveContext(kubeconfig, flags.hostClusterContext, '--host-cluster-context');
  const host = await connect(kubeconfig, hostContext, `host cluster "${hostContext}"`);
  try {
    const target = await resolveTargetType(new Discovery(host), typeName, flags.version, hostContext);
    await enableTarget(host, hostContext, target, { ...flags, output }, io);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`enable ${typeName} failed: ${causeOf(err)}`);
  } finally {
    await closeAll(host);
  }
}

/**
 * Enables a resolved target type on a connected host: the checks, then the CRD and the FTC, one
 * output line each (or, with `output`, prints both and writes nothing). Shared by `enable` and
 * `federate --enable-type`. Returns the FederatedTypeConfig as planned.
 */
export async function enableTarget(
  host: ClusterClient,
  hostContext: string,
  target: ResourceInfo,
  flags: Pick<EnableFlags, 'kubefedNamespace' | 'federatedGroup' | 'federatedVersion'> & {
    output?: 'yaml' | 'json' | undefined;
  },
  io: Output,
): Promise<FederatedTypeConfig> {
  const reason = unfederatableReason(target, flags.federatedGroup);
  if (reason) throw new CliError(`cannot enable ${describeTarget(target)}: ${reason}`);
  const template = await templateSchemaFor(host, target);
  if (template.source.kind === 'none') {
    io.err(
      `note: ${template.source.why}; the template of Federated${target.kind} accepts any fields (not validated)\n`,
    );
  }
  const plan = planEnable(target, template, {
    namespace: flags.kubefedNamespace,
    federatedGroup: flags.federatedGroup,
    federatedVersion: flags.federatedVersion,
  });
  if (flags.output) {
    io.out(renderPlan(plan, flags.output));
    return plan.typeConfig;
  }
  await requireKubeFedApi(host, hostContext);
  if (!(await getOrUndefined(host, REFS.namespaces, flags.kubefedNamespace))) {
    throw new CliError(
      `the KubeFed namespace "${flags.kubefedNamespace}" does not exist in host cluster "${hostContext}"; install the control plane there or pass --kubefed-namespace`,
    );
  }
  const existing = await checkExisting(host, hostContext, plan);
  const problem = membersProblem(target, await checkMembers(host, flags.kubefedNamespace, target));
  if (problem) throw new CliError(`cannot enable ${plan.typeConfig.metadata.name}: ${problem}`);

  const crdOutcome = await applyCrd(host, plan.crd, existing.crd);
  io.out(`customresourcedefinition.apiextensions.k8s.io/${plan.crdName} ${crdOutcome}\n`);
  await waitEstablished(host, plan.crdName);
  const ftcOutcome = await applyTypeConfig(host, plan.typeConfig, existing.typeConfig !== undefined);
  io.out(
    `federatedtypeconfig.core.kubefed.io/${plan.typeConfig.metadata.name} ${ftcOutcome} in namespace ${flags.kubefedNamespace}\n`,
  );
  return plan.typeConfig;
}

export function enableCommand(io: Output = processOutput): Command {
  const cmd = new Command('enable')
    .description(
      'Federate an API type (built-in or CRD): create the CRD of its Federated<Kind>, with a template schema derived from the type, and a FederatedTypeConfig that propagates it.',
    )
    .argument(
      '<TYPE>',
      'the type, as plural.group (deployments.apps), plural, singular, kind or short name (resolved on the host)',
    )
    .option('--federated-group <group>', 'API group of the federated type', TYPES_GROUP)
    .option('--federated-version <version>', 'API version of the federated type', TYPES_VERSION)
    .option('--version <version>', "API version of the target type (default: the group's preferred version)")
    .option(
      '-o, --output <format>',
      'print the FederatedTypeConfig and CRD (yaml or json) instead of creating them; no member check',
    );
  addHostFlags(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n  kubefedctl enable deployments.apps\n  kubefedctl enable mytypes.mygroup.mydomain.io --host-cluster-context cluster1\n  kubefedctl enable deploy -o yaml | kubectl apply --server-side -f -',
  );
  return cmd.action((typeName: string, flags: EnableFlags) => enable(typeName, flags, io));
}
