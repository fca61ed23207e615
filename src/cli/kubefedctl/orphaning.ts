/**
 * `kubefedctl orphaning-deletion enable|disable|status TYPE NAME`: manages the
 * `kubefed.io/orphan: "true"` annotation of a federated object. With it, deleting the federated
 * object leaves its member copies in place (unmanaged) instead of deleting them.
 */
import { Command } from 'commander';
import { typeResources } from '../../federation/typeconfig.js';
import { apiVersionOf, Discovery, UnknownTypeError, type ResourceInfo } from '../../kube/discovery.js';
import { isNotFound } from '../../kube/errors.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../kube/resource.js';
import {
  addHostFlags,
  causeOf,
  CliError,
  closeAll,
  connect,
  loadKubeconfig,
  processOutput,
  requireKubeFedApi,
  resolveContext,
  type HostFlags,
  type Output,
} from './context.js';
import { findTypeConfig } from './disable.js';

export const ORPHAN_ANNOTATION = 'kubefed.io/orphan';
export type OrphaningAction = 'enable' | 'disable' | 'status';

/** The annotation patch for an action on an object, or undefined when nothing is to change. */
export function orphaningPatch(action: 'enable' | 'disable', obj: KubeObject): object | undefined {
  const current = obj.metadata.annotations?.[ORPHAN_ANNOTATION];
  if (action === 'enable')
    return current === 'true' ? undefined : { metadata: { annotations: { [ORPHAN_ANNOTATION]: 'true' } } };
  return current === undefined ? undefined : { metadata: { annotations: { [ORPHAN_ANNOTATION]: null } } };
}

export function orphaningStatus(obj: KubeObject): 'Enabled' | 'Disabled' {
  return obj.metadata.annotations?.[ORPHAN_ANNOTATION] === 'true' ? 'Enabled' : 'Disabled';
}

interface OrphaningFlags extends HostFlags {
  namespace?: string;
}

/** The federated resource TYPE names: via its FederatedTypeConfig, else as a resource on the host. */
async function federatedResource(
  host: Parameters<typeof findTypeConfig>[0],
  hostName: string,
  typeName: string,
  kubefedNamespace: string,
  io: Output,
): Promise<{ ref: ResourceRef; kind: string }> {
  try {
    const ftc = await findTypeConfig(host, hostName, typeName, kubefedNamespace);
    const types = typeResources(ftc);
    return { ref: types.federated, kind: types.federatedKind };
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
  }
  let info: ResourceInfo;
  try {
    info = await new Discovery(host).resolve(typeName);
  } catch (err) {
    if (err instanceof UnknownTypeError) {
      throw new CliError(
        `unknown type "${typeName}" in host cluster "${hostName}": give a federated type (federateddeployments) or an enabled type (deployments.apps)`,
      );
    }
    throw err;
  }
  if (!info.kind.startsWith('Federated')) {
    io.err(`warning: ${info.kind} (${apiVersionOf(info)}) does not look like a federated type\n`);
  }
  return { ref: info, kind: info.kind };
}

export async function orphaningDeletion(
  action: OrphaningAction,
  typeName: string,
  name: string,
  flags: OrphaningFlags,
  io: Output,
): Promise<void> {
  const kubeconfig = loadKubeconfig(flags.kubeconfig);
  const hostContext = resolveContext(kubeconfig, flags.hostClusterContext, '--host-cluster-context');
  const host = await connect(kubeconfig, hostContext, `host cluster "${hostContext}"`);
  try {
    await requireKubeFedApi(host, hostContext);
    const { ref, kind } = await federatedResource(host, hostContext, typeName, flags.kubefedNamespace, io);
    const namespace = ref.namespaced ? (flags.namespace ?? kubeconfig.namespace(hostContext)) : undefined;
    const where = namespace ? `"${namespace}/${name}"` : `"${name}"`;
    const objects = new ResourceClient(host, ref);
    let obj: KubeObject;
    try {
      obj = await objects.get(name, namespace ? { namespace } : {});
    } catch (err) {
      if (isNotFound(err)) throw new CliError(`${kind} ${where} not found in host cluster "${hostContext}"`);
      throw err;
    }
    if (action === 'status') {
      io.out(`${orphaningStatus(obj)}\n`);
      return;
    }
    const patch = orphaningPatch(action, obj);
    if (patch) await objects.patch(name, 'merge', patch, namespace ? { namespace } : {});
    const state = action === 'enable' ? 'enabled' : 'disabled';
    io.out(`Orphaning deletion ${patch ? '' : 'already '}${state} for ${kind} ${where}\n`);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`orphaning-deletion ${action} ${typeName} ${name} failed: ${causeOf(err)}`);
  } finally {
    await closeAll(host);
  }
}

export function orphaningDeletionCommand(io: Output = processOutput): Command {
  const cmd = new Command('orphaning-deletion').description(
    'Keep (enable) or delete (disable) the member copies of a federated object when it is deleted; status shows which.',
  );
  for (const action of ['enable', 'disable', 'status'] as const) {
    const sub = new Command(action)
      .description(
        action === 'enable'
          ? 'annotate the federated object kubefed.io/orphan: "true": deleting it leaves member copies in place, unmanaged'
          : action === 'disable'
            ? 'remove the annotation: deleting the federated object deletes its member copies'
            : 'print Enabled or Disabled',
      )
      .argument(
        '<TYPE>',
        'the federated type (federateddeployments, FederatedDeployment) or the enabled type (deployments.apps)',
      )
      .argument('<NAME>', 'the federated object')
      .option(
        '-n, --namespace <namespace>',
        'namespace of the federated object (default: the context namespace)',
      );
    addHostFlags(sub);
    sub.action((typeName: string, name: string, flags: OrphaningFlags) =>
      orphaningDeletion(action, typeName, name, flags, io),
    );
    cmd.addCommand(sub);
  }
  return cmd;
}
