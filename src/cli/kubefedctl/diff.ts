/**
 * `kubefedctl diff` and `kubefedctl plan`: what a federated object (from files, or live on the
 * host) would do in every member cluster, before it does. The sync controller's own pure steps
 * decide (placement, render with overrides, plan with retention); each member API server then
 * judges the planned write with a server-side dry run (`dryRun=All`: admission, defaulting and
 * immutable fields as for the real write) and nothing is written anywhere. A federated object from
 * a file is first dry-run on the host too, so the CRD schema, defaults and the admission webhook
 * judge it as `kubectl apply` would.
 */
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import {
  ClusterPropagatedVersionDefinition,
  PropagatedVersionDefinition,
  type FederatedTypeConfig,
  type KubeFedCluster,
  type KubeFedConfig,
} from '../../api/core.js';
import { resourceRefOf } from '../../api/index.js';
import { defaultKubeFedConfig } from '../../api/kubefedconfig.js';
import type { FederatedObject } from '../../api/types.js';
import { removeManagedLabelPatch } from '../../controllers/sync/dispatch.js';
import { deleteOptionsOf } from '../../controllers/sync/keys.js';
import {
  ANSI,
  clusterDiff,
  diffExitCode,
  objectLabel,
  PLAIN,
  planSummary,
  planTable,
  renderDiffText,
  describeObject,
  type ClusterDiff,
  type DryRun,
  type ObjectDiff,
} from '../../federation/diff.js';
import { federatedObjectOf, ManifestError, parseManifests } from '../../federation/federate.js';
import { cloneJson } from '../../federation/jsonpointer.js';
import { computePlacement, namespacePlacementOf } from '../../federation/placement.js';
import { planPropagation, type ClusterAction } from '../../federation/plan.js';
import { isNamespaceTarget, renderForCluster, type RenderOutcome } from '../../federation/render.js';
import {
  federatedVersions,
  propagatedVersionName,
  recordedClusterVersions,
  type PropagatedVersion,
} from '../../federation/version.js';
import type { ClusterClient } from '../../kube/client.js';
import { isAlreadyExists, isNotFound, KubeError } from '../../kube/errors.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../kube/resource.js';
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
import { kindRefOf, readSources, targetKindOf } from './federate.js';
import { renderTable } from './get.js';
import { connectMember, type MemberConnection } from './members.js';
import { REFS } from './membership.js';

/** Member reads and dry runs in flight at once, per object. */
const MEMBER_CONCURRENCY = 8;

const refOf = (t: FederatedTypeConfig['spec']['targetType']): ResourceRef => ({
  group: t.group ?? '',
  version: t.version,
  resource: t.pluralName,
  namespaced: t.scope === 'Namespaced',
});

const apiVersionOf = (t: { group?: string; version: string }) =>
  t.group ? `${t.group}/${t.version}` : t.version;

/** Everything a diff reads from the host once: types, clusters, settings, member clients. */
class Federation {
  private readonly members = new Map<string, Promise<MemberConnection>>();

  constructor(
    readonly host: ClusterClient,
    readonly hostContext: string,
    readonly kubefedNamespace: string,
    readonly typeConfigs: readonly FederatedTypeConfig[],
    readonly clusters: readonly KubeFedCluster[],
    readonly scope: 'Cluster' | 'Namespaced',
    readonly adoptResources: 'Enabled' | 'Disabled',
  ) {}

  static async load(host: ClusterClient, hostContext: string, kubefedNamespace: string): Promise<Federation> {
    const typeConfigs = (await listTypeConfigs(host, kubefedNamespace)).filter(
      (f) => f.metadata.namespace === kubefedNamespace,
    );
    const clusters = (
      await new ResourceClient<KubeFedCluster>(host, REFS.kubeFedClusters).listAll({
        namespace: kubefedNamespace,
      })
    ).items;
    const config = await new ResourceClient<KubeFedConfig>(host, REFS.kubeFedConfigs).find('kubefed', {
      namespace: kubefedNamespace,
    });
    const spec = defaultKubeFedConfig(config?.spec ?? {});
    return new Federation(
      host,
      hostContext,
      kubefedNamespace,
      typeConfigs,
      clusters,
      spec.scope,
      spec.syncController.adoptResources ?? 'Enabled',
    );
  }

  member(name: string): Promise<MemberConnection> {
    let m = this.members.get(name);
    if (!m) {
      m = connectMember(
        this.host,
        this.kubefedNamespace,
        this.clusters.find((c) => c.metadata.name === name),
        name,
      );
      this.members.set(name, m);
    }
    return m;
  }

  /** The FederatedTypeConfig whose federated type is `apiVersion`/`kind`. */
  byFederatedKind(apiVersion: string, kind: string): FederatedTypeConfig | undefined {
    return this.typeConfigs.find(
      (f) => apiVersionOf(f.spec.federatedType) === apiVersion && f.spec.federatedType.kind === kind,
    );
  }

  /** The FederatedTypeConfig that federates `apiVersion`/`kind` (any version of its group). */
  byTargetKind(apiVersion: string, kind: string): FederatedTypeConfig | undefined {
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
    return this.typeConfigs.find(
      (f) => (f.spec.targetType.group ?? '') === group && f.spec.targetType.kind === kind,
    );
  }

  get namespaceType(): FederatedTypeConfig | undefined {
    return this.typeConfigs.find((f) =>
      isNamespaceTarget(apiVersionOf(f.spec.targetType), f.spec.targetType.kind),
    );
  }

  async close(): Promise<void> {
    const clients = await Promise.all(this.members.values());
    await closeAll(...clients.map((m) => (m.kind === 'ok' ? m.client : undefined)));
  }
}

/** One federated object to diff, with its type; `fromFile`: not (necessarily) on the host yet. */
interface Subject {
  ftc: FederatedTypeConfig;
  federated: FederatedObject;
  fromFile: boolean;
}

const where = (o: KubeObject) =>
  `${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

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
  const client = new ResourceClient<FederatedObject>(fed.host, refOf(s.ftc.spec.federatedType));
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
  const namespaced = s.ftc.spec.federatedType.scope === 'Namespaced';
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
  return new ResourceClient<FederatedObject>(fed.host, refOf(nsType.spec.federatedType)).find(namespace, {
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
    if (action.kind === 'create' && isAlreadyExists(err))
      return {
        kind: 'refused',
        reason,
        message: `the object appeared in the cluster meanwhile; run diff again`,
      };
    return { kind: 'refused', reason, message: refusal(err) };
  }
}

async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** What `s` would do in each member cluster; `drift`: classify as drift against the last propagation. */
async function diffSubject(
  fed: Federation,
  s: Subject,
  opts: { drift: boolean; federatedNamespaces: ReadonlyMap<string, FederatedObject> },
): Promise<ObjectDiff> {
  const t = s.ftc.spec.targetType;
  const head = {
    apiVersion: s.federated.apiVersion ?? apiVersionOf(s.ftc.spec.federatedType),
    kind: s.federated.kind ?? s.ftc.spec.federatedType.kind,
    ...(s.federated.metadata.namespace ? { namespace: s.federated.metadata.namespace } : {}),
    name: s.federated.metadata.name ?? '',
  };
  let federated = s.federated;
  let onHost = !s.fromFile;
  if (s.fromFile) {
    try {
      const r = await dryRunOnHost(fed, s);
      federated = r.federated;
      onHost = !!r.live;
    } catch (err) {
      if (err instanceof HostRefusal) return { ...head, clusters: [], error: err.message };
      throw err;
    }
  }
  const targetApiVersion = apiVersionOf(t);
  const namespaceTarget = isNamespaceTarget(targetApiVersion, t.kind);
  const name = federated.metadata.name!;
  const memberNs = namespaceTarget || t.scope !== 'Namespaced' ? undefined : federated.metadata.namespace;
  if (namespaceTarget && federated.metadata.namespace !== name)
    return {
      ...head,
      clusters: [],
      error: `a FederatedNamespace must be named like its namespace ("${federated.metadata.namespace}"), not "${name}"`,
    };

  const ns = federated.metadata.namespace;
  const namespacePlacement =
    t.scope === 'Namespaced' && ns
      ? namespacePlacementOf(
          await federatedNamespaceOf(fed, ns, opts.federatedNamespaces),
          fed.clusters,
          fed.scope,
        )
      : undefined;
  const placement = computePlacement({
    placement: federated.spec?.placement,
    clusters: fed.clusters,
    scope: fed.scope,
    ...(namespacePlacement !== undefined ? { namespacePlacement } : {}),
  });
  if (placement.kind === 'failed')
    return { ...head, clusters: [], error: `ComputePlacementFailed: ${placement.message}` };

  const rendered = new Map<string, RenderOutcome>();
  for (const c of placement.ready)
    rendered.set(c, renderForCluster({ federated, targetApiVersion, targetKind: t.kind, cluster: c }));

  // Live copies from every Ready member (an unplaced one may hold a copy to delete).
  const target = refOf(t);
  const ready = fed.clusters.filter(isReady);
  const reads = new Map<string, MemberRead>();
  await mapBounded(ready, MEMBER_CONCURRENCY, async (c) => {
    const name_ = c.metadata.name!;
    reads.set(name_, await readMember(await fed.member(name_), target, memberNs, name));
  });
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
    rendered,
    observed,
    ...(propagatedVersion ? { propagatedVersion } : {}),
    adoptResources: fed.adoptResources,
    ...(hostNamespaceUid ? { hostNamespaceUid } : {}),
  });
  const deleteOptions = deleteOptionsOf(federated);
  const recorded = recordedClusterVersions(propagatedVersion, federatedVersions(federated));
  const label = objectLabel(t.pluralName, memberNs, name);
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

const isReady = (c: KubeFedCluster) =>
  c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;

/** Federated objects from manifests: Federated<Kind> as they are, with `federate` plain objects wrapped. */
export function subjectsOfManifests(
  fed: Pick<Federation, 'byFederatedKind' | 'byTargetKind' | 'kubefedNamespace' | 'hostContext'>,
  objects: readonly { obj: KubeObject; source: string }[],
  opts: { federate: boolean; namespace: string | undefined },
): Subject[] {
  return objects.map(({ obj, source }) => {
    const what = `${source}: ${obj.kind} ${obj.metadata.name ?? ''} (${obj.apiVersion})`;
    const ftc = fed.byFederatedKind(obj.apiVersion ?? '', obj.kind ?? '');
    if (ftc) {
      const federated = cloneJson(obj) as unknown as FederatedObject;
      if (ftc.spec.federatedType.scope === 'Namespaced' && !federated.metadata.namespace) {
        if (!opts.namespace) throw new CliError(`${what} has no metadata.namespace; pass -n NAMESPACE`);
        federated.metadata.namespace = opts.namespace;
      }
      return { ftc, federated, fromFile: true };
    }
    const target = fed.byTargetKind(obj.apiVersion ?? '', obj.kind ?? '');
    if (!target)
      throw new CliError(
        `${what} is neither a federated type nor a type federated by a FederatedTypeConfig in namespace ${fed.kubefedNamespace} of host cluster "${fed.hostContext}"; enable its type first (kubefedctl enable)`,
      );
    if (!opts.federate)
      throw new CliError(
        `${what} is not a federated object; pass --federate to diff it as kubefedctl federate --filename would wrap it (placement: all clusters)`,
      );
    return {
      ftc: target,
      federated: federatedObjectOf(
        obj,
        targetKindOf(target),
        kindRefOf(target.spec.federatedType),
        opts.namespace,
      ),
      fromFile: true,
    };
  });
}

function readManifests(filename: string): { obj: KubeObject; source: string }[] {
  const objects: { obj: KubeObject; source: string }[] = [];
  for (const { source, text } of readSources(filename)) {
    try {
      for (const obj of parseManifests(text, source)) objects.push({ obj, source });
    } catch (err) {
      if (err instanceof ManifestError) throw new CliError(err.message);
      throw err;
    }
  }
  if (objects.length === 0) throw new CliError(`--filename ${filename}: no objects found`);
  return objects;
}

export interface DiffFlags extends HostFlags {
  namespace?: string;
  filename?: string;
  federate?: boolean;
  live?: boolean;
  output?: string;
  color?: string;
}

export interface PlanFlags extends HostFlags {
  namespace?: string;
  allNamespaces?: boolean;
  filename?: string;
  federate?: boolean;
  output?: string;
  exitCode?: boolean;
}

/** Connects to the host, loads the federation, runs `fn`, closes everything. */
async function withFederation<T>(
  flags: HostFlags,
  what: string,
  fn: (fed: Federation, defaultNamespace: string | undefined) => Promise<T>,
): Promise<T> {
  requireNamespaceName(flags.kubefedNamespace);
  const kubeconfig = loadKubeconfig(flags.kubeconfig);
  const hostContext = resolveContext(kubeconfig, flags.hostClusterContext, '--host-cluster-context');
  const host = await connect(kubeconfig, hostContext, `host cluster "${hostContext}"`);
  let fed: Federation | undefined;
  try {
    await requireKubeFedApi(host, hostContext);
    fed = await Federation.load(host, hostContext, flags.kubefedNamespace);
    return await fn(fed, kubeconfig.namespace(hostContext));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${what} failed: ${causeOf(err)}`);
  } finally {
    await fed?.close();
    await closeAll(host);
  }
}

/** Files' FederatedNamespaces by namespace, so a new namespace's placement counts before it is applied. */
function namespacesOf(subjects: readonly Subject[]): Map<string, FederatedObject> {
  const out = new Map<string, FederatedObject>();
  for (const s of subjects) {
    const t = s.ftc.spec.targetType;
    if (isNamespaceTarget(apiVersionOf(t), t.kind) && s.federated.metadata.namespace)
      out.set(s.federated.metadata.namespace, s.federated);
  }
  return out;
}

/** The federated objects `diff TYPE NAME` means. */
async function liveSubject(
  fed: Federation,
  typeName: string,
  name: string,
  namespace: string | undefined,
): Promise<Subject> {
  let ftc: FederatedTypeConfig | undefined;
  try {
    ftc = await findTypeConfig(fed.host, fed.hostContext, typeName, fed.kubefedNamespace);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    const lower = typeName.toLowerCase();
    ftc = fed.typeConfigs.find((f) =>
      [f.spec.federatedType.pluralName, f.spec.federatedType.kind.toLowerCase()].includes(lower),
    );
    if (!ftc) throw err;
  }
  const ref = refOf(ftc.spec.federatedType);
  const ns = ref.namespaced ? namespace : undefined;
  const federated = await new ResourceClient<FederatedObject>(fed.host, ref).find(
    name,
    ns ? { namespace: ns } : {},
  );
  if (!federated)
    throw new CliError(
      `${ftc.spec.federatedType.kind} "${ns ? `${ns}/` : ''}${name}" not found in host cluster "${fed.hostContext}"${ns ? ' (pass -n for another namespace)' : ''}`,
    );
  return { ftc, federated, fromFile: false };
}

function useColour(flag: string | undefined, io: Output): boolean {
  if (flag === 'always') return true;
  if (flag === 'never') return false;
  if (flag !== undefined && flag !== 'auto')
    throw new CliError(`--color must be auto, always or never, not "${flag}"`);
  return io === processOutput && !!process.stdout.isTTY && !process.env.NO_COLOR;
}

function renderMachine(objects: readonly ObjectDiff[], output: 'yaml' | 'json'): string {
  const doc = { objects };
  return output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc);
}

/** `kubefedctl diff`; returns the exit code (0 no change, 1 changes, 2 something would fail). */
export async function diff(
  args: { typeName?: string; name?: string },
  flags: DiffFlags,
  io: Output,
): Promise<0 | 1 | 2> {
  const output = parseOutputFormat(flags.output, ['yaml', 'json'] as const);
  const colour = useColour(flags.color, io);
  if (flags.filename !== undefined && args.typeName !== undefined)
    throw new CliError('diff takes either --filename or TYPE NAME, not both');
  if (flags.filename === undefined && (args.typeName === undefined || args.name === undefined))
    throw new CliError(
      'diff needs TYPE NAME (e.g. kubefedctl diff deployments.apps web -n demo) or --filename FILE',
    );
  if (flags.live && flags.filename !== undefined)
    throw new CliError(
      '--live compares the live object with its members: use it with TYPE NAME, not --filename',
    );
  if (flags.federate && flags.filename === undefined)
    throw new CliError('--federate only applies with --filename');
  const manifests = flags.filename !== undefined ? readManifests(flags.filename) : [];
  const what =
    flags.filename !== undefined ? `diff --filename ${flags.filename}` : `diff ${args.typeName} ${args.name}`;
  const objects = await withFederation(flags, what, async (fed, contextNs) => {
    const namespace = flags.namespace ?? contextNs;
    const subjects =
      flags.filename !== undefined
        ? subjectsOfManifests(fed, manifests, { federate: !!flags.federate, namespace })
        : [await liveSubject(fed, args.typeName!, args.name!, namespace ?? 'default')];
    const federatedNamespaces = namespacesOf(subjects);
    const out: ObjectDiff[] = [];
    for (const s of subjects)
      out.push(await diffSubject(fed, s, { drift: !!flags.live, federatedNamespaces }));
    return out;
  });
  io.out(output ? renderMachine(objects, output) : renderDiffText(objects, colour ? ANSI : PLAIN));
  return diffExitCode(objects);
}

/** Every federated object of every enabled type in `namespace` (all namespaces: undefined). */
async function hostSubjects(fed: Federation, namespace: string | undefined): Promise<Subject[]> {
  const out: Subject[] = [];
  for (const ftc of [...fed.typeConfigs].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1))) {
    const ref = refOf(ftc.spec.federatedType);
    if (namespace !== undefined && !ref.namespaced) continue;
    let items: FederatedObject[];
    try {
      items = (
        await new ResourceClient<FederatedObject>(fed.host, ref).listAll(
          namespace !== undefined ? { namespace } : {},
        )
      ).items;
    } catch (err) {
      if (isNotFound(err)) continue; // the federated CRD is not installed
      throw err;
    }
    if (fed.scope === 'Namespaced')
      items = items.filter((i) => i.metadata.namespace === fed.kubefedNamespace);
    items.sort((a, b) => (where(a) < where(b) ? -1 : 1));
    for (const federated of items) out.push({ ftc, federated, fromFile: false });
  }
  return out;
}

/** `kubefedctl plan`; returns the exit code: with `--exit-code` as diff's, else 0. */
export async function plan(flags: PlanFlags, io: Output): Promise<0 | 1 | 2> {
  const output = parseOutputFormat(flags.output, ['yaml', 'json'] as const);
  if (flags.federate && flags.filename === undefined)
    throw new CliError('--federate only applies with --filename');
  if (flags.allNamespaces && flags.filename !== undefined)
    throw new CliError('--all-namespaces lists the host; with --filename the files say what to plan');
  const manifests = flags.filename !== undefined ? readManifests(flags.filename) : [];
  const objects = await withFederation(flags, 'plan', async (fed, contextNs) => {
    const namespace = flags.namespace ?? contextNs ?? 'default';
    const subjects =
      flags.filename !== undefined
        ? subjectsOfManifests(fed, manifests, { federate: !!flags.federate, namespace })
        : await hostSubjects(fed, flags.allNamespaces ? undefined : namespace);
    const federatedNamespaces = namespacesOf(subjects);
    const out: ObjectDiff[] = [];
    for (const s of subjects) out.push(await diffSubject(fed, s, { drift: false, federatedNamespaces }));
    return out;
  });
  if (output) io.out(renderMachine(objects, output));
  else if (objects.length === 0) io.out('no federated objects found\n');
  else {
    const t = planTable(objects);
    io.out(renderTable(t.header, t.rows));
    for (const o of objects) {
      const failed = o.error
        ? [o.error]
        : o.clusters
            .filter((c) => c.action === 'error')
            .map((c) => `${c.cluster}: ${c.reason}: ${c.message}`);
      if (failed.length) io.out(`${describeObject(o)}:\n${failed.map((f) => `  ${f}\n`).join('')}`);
    }
    io.out(`${planSummary(objects)}\n`);
  }
  return flags.exitCode ? diffExitCode(objects) : 0;
}

const TYPE_HELP =
  'the enabled type (deployments.apps, Deployment, the FederatedTypeConfig name) or the federated type (federateddeployments)';

export function diffCommand(io: Output = processOutput): Command {
  const cmd = new Command('diff')
    .description(
      'Show what a federated object would change in every member cluster (create, update with a diff, delete, unchanged, error), judged by each member API server with a server-side dry run; writes nothing. Exit status: 0 no changes, 1 changes, 2 something would fail.',
    )
    .argument('[TYPE]', TYPE_HELP)
    .argument('[NAME]', 'the federated object')
    .option('-f, --filename <file>', 'Federated<Kind> manifests: a file, a directory of them, or - for stdin')
    .option(
      '--federate',
      'with --filename: diff plain objects as kubefedctl federate --filename would wrap them',
    )
    .option(
      '-n, --namespace <namespace>',
      'namespace of the federated object (default: the context namespace)',
    )
    .option(
      '--live',
      'drift: show where member copies were changed out of band since the control plane last propagated them',
    )
    .option('-o, --output <format>', 'yaml or json instead of the text')
    .addOption(
      new Option('--color <when>', 'colour the diff: auto (on a terminal), always or never').default('auto'),
    );
  addHostFlags(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n  kubefedctl diff -f web.yaml\n  kubefedctl federate --filename=web.yaml | kubefedctl diff -f -\n  kubefedctl diff --federate -f deployment.yaml -n demo\n  kubefedctl diff deployments.apps web -n demo\n  kubefedctl diff --live federateddeployments web -n demo',
  );
  return cmd.action(async (typeName: string | undefined, name: string | undefined, flags: DiffFlags) => {
    try {
      process.exitCode = await diff({ typeName, name }, flags, io);
    } catch (err) {
      // As kubectl diff: a failure of diff itself exits above 1, apart from "differences found".
      if (err instanceof CliError) throw new CliError(err.message, 2);
      throw err;
    }
  });
}

export function planCommand(io: Output = processOutput): Command {
  const cmd = new Command('plan')
    .description(
      'A table of what every federated object of a namespace (or of files) would do in each member cluster: create, update, delete, unchanged or error, from server-side dry runs; writes nothing.',
    )
    .option('-n, --namespace <namespace>', 'the namespace to plan (default: the context namespace)')
    .option('-A, --all-namespaces', 'every namespace, and cluster-scoped federated objects')
    .option(
      '-f, --filename <file>',
      'plan these Federated<Kind> manifests instead (a file, a directory, or -)',
    )
    .option(
      '--federate',
      'with --filename: plan plain objects as kubefedctl federate --filename would wrap them',
    )
    .option('--exit-code', 'exit 1 when something would change and 2 when something would fail (for CI)')
    .option('-o, --output <format>', 'yaml or json instead of the table');
  addHostFlags(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n  kubefedctl plan -n demo\n  kubefedctl plan -f manifests/ --exit-code\n  kubefedctl plan -A -o yaml',
  );
  return cmd.action(async (flags: PlanFlags) => {
    process.exitCode = await plan(flags, io);
  });
}
