/**
 * What `kubefedctl diff` and `plan` are about: the federation as read from the host once (types,
 * clusters, settings, member clients) and the federated objects to preview, from files (plain
 * objects wrapped as `federate --filename` does) or live on the host.
 */
import type { FederatedTypeConfig, KubeFedCluster, KubeFedConfig } from '../../api/core.js';
import { defaultKubeFedConfig } from '../../api/kubefedconfig.js';
import type { FederatedObject } from '../../api/types.js';
import { federatedObjectOf } from '../../federation/federate.js';
import { cloneJson } from '../../federation/jsonpointer.js';
import { isNamespaceTarget } from '../../federation/render.js';
import type { ClusterClient } from '../../kube/client.js';
import { isNotFound } from '../../kube/errors.js';
import { ResourceClient, type KubeObject } from '../../kube/resource.js';
import {
  causeOf,
  CliError,
  closeAll,
  connect,
  loadKubeconfig,
  requireKubeFedApi,
  requireNamespaceName,
  resolveContext,
  type HostFlags,
} from './context.js';
import { findTypeConfig } from './disable.js';
import { listTypeConfigs } from './enable.js';
import { federatedKindOf, targetKindOf } from './federate.js';
import { typeResources } from '../../federation/typeconfig.js';
import { connectMember, type MemberConnection } from './members.js';
import { REFS } from './membership.js';
import type { ControlPlaneScope } from '../../federation/placement.js';

/** Everything a diff reads from the host once: types, clusters, settings, member clients. */
export class Federation {
  private readonly members = new Map<string, Promise<MemberConnection>>();

  constructor(
    readonly host: ClusterClient,
    readonly hostContext: string,
    readonly kubefedNamespace: string,
    readonly typeConfigs: readonly FederatedTypeConfig[],
    readonly clusters: readonly KubeFedCluster[],
    readonly scope: ControlPlaneScope,
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
    return this.typeConfigs.find((f) => {
      const types = typeResources(f);
      return types.federatedApiVersion === apiVersion && types.federatedKind === kind;
    });
  }

  /** The FederatedTypeConfig that federates `apiVersion`/`kind` (any version of its group). */
  byTargetKind(apiVersion: string, kind: string): FederatedTypeConfig | undefined {
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
    return this.typeConfigs.find(
      (f) => (f.spec.targetType.group ?? '') === group && f.spec.targetType.kind === kind,
    );
  }

  get namespaceType(): FederatedTypeConfig | undefined {
    return this.typeConfigs.find((f) => {
      const types = typeResources(f);
      return isNamespaceTarget(types.targetApiVersion, types.targetKind);
    });
  }

  async close(): Promise<void> {
    const clients = await Promise.all(this.members.values());
    await closeAll(...clients.map((m) => (m.kind === 'ok' ? m.client : undefined)));
  }
}

/** One federated object to diff, with its type; `fromFile`: not (necessarily) on the host yet. */
export interface Subject {
  ftc: FederatedTypeConfig;
  federated: FederatedObject;
  fromFile: boolean;
}

export const where = (o: KubeObject) =>
  `${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

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
      if (typeResources(ftc).federated.namespaced && !federated.metadata.namespace) {
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
      federated: federatedObjectOf(obj, targetKindOf(target), federatedKindOf(target), opts.namespace),
      fromFile: true,
    };
  });
}

/** Connects to the host, loads the federation, runs `fn`, closes everything. */
export async function withFederation<T>(
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
export function namespacesOf(subjects: readonly Subject[]): Map<string, FederatedObject> {
  const out = new Map<string, FederatedObject>();
  for (const s of subjects) {
    const types = typeResources(s.ftc);
    if (isNamespaceTarget(types.targetApiVersion, types.targetKind) && s.federated.metadata.namespace)
      out.set(s.federated.metadata.namespace, s.federated);
  }
  return out;
}

/** The federated objects `diff TYPE NAME` means. */
export async function liveSubject(
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
  const ref = typeResources(ftc).federated;
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

/** Every federated object of every enabled type in `namespace` (all namespaces: undefined). */
export async function hostSubjects(fed: Federation, namespace: string | undefined): Promise<Subject[]> {
  const out: Subject[] = [];
  for (const ftc of [...fed.typeConfigs].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1))) {
    const ref = typeResources(ftc).federated;
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
