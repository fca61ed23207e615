/**
 * `kubefedctl disable TYPE`: stops propagation of a federated type (FederatedTypeConfig
 * `spec.propagation: Disabled`); objects already propagated to members stay. With `--delete-crd`
 * it also removes the FederatedTypeConfig and the federated CRD, only when no federated object of
 * the type is left anywhere on the host.
 */
import { Command } from 'commander';
import type { FederatedTypeConfig } from '../../api/core.js';
import { qualifiedName, typeConfigName, typeResources } from '../../federation/typeconfig.js';
import type { ClusterClient } from '../../kube/client.js';
import { Discovery, UnknownTypeError } from '../../kube/discovery.js';
import { isNotFound } from '../../kube/errors.js';
import { ResourceClient, type KubeObject } from '../../kube/resource.js';
import { pollUntil, PollTimeout } from '../../poll.js';
import {
  addBooleanFlag,
  addHostFlags,
  causeOf,
  CliError,
  closeAll,
  connect,
  loadKubeconfig,
  processOutput,
  requireKubeFedApi,
  requireNamespaceName,
  resolveContext,
  type HostFlags,
  type Output,
} from './context.js';
import { listTypeConfigs, resolveTargetType, TYPE_REFS } from './enable.js';

const STOP_TIMEOUT_MS = 10_000;

function getTypeConfig(
  host: ClusterClient,
  name: string,
  namespace: string,
): Promise<FederatedTypeConfig | undefined> {
  return new ResourceClient<FederatedTypeConfig>(host, TYPE_REFS.typeConfigs).find(name, { namespace });
}

/**
 * The FederatedTypeConfig TYPE names: one of that exact name (works after the target type is gone),
 * else the one of the type TYPE resolves to on the host (kind, short name, …).
 */
export async function findTypeConfig(
  host: ClusterClient,
  hostName: string,
  typeName: string,
  namespace: string,
): Promise<FederatedTypeConfig> {
  const exact = await getTypeConfig(host, typeName, namespace);
  if (exact) return exact;
  let name: string | undefined;
  try {
    name = typeConfigName(await resolveTargetType(new Discovery(host), typeName, undefined, hostName));
  } catch (err) {
    if (!(err instanceof CliError || err instanceof UnknownTypeError)) throw err;
  }
  const found = name ? await getTypeConfig(host, name, namespace) : undefined;
  if (!found) {
    throw new CliError(
      `type "${typeName}" is not enabled: no FederatedTypeConfig ${namespace}/${name ?? typeName} in host cluster "${hostName}" (enabled types: kubectl -n ${namespace} get federatedtypeconfigs)`,
    );
  }
  return found;
}

/** Federated objects of the type, counted per namespace ("" for cluster-scoped ones). */
export async function countFederatedObjects(
  host: ClusterClient,
  ftc: FederatedTypeConfig,
): Promise<Map<string, number>> {
  const rc = new ResourceClient(host, typeResources(ftc).federated);
  const counts = new Map<string, number>();
  let items: KubeObject[];
  try {
    items = (await rc.listAll()).items;
  } catch (err) {
    if (isNotFound(err)) return counts; // the CRD is gone already
    throw err;
  }
  for (const o of items) {
    const ns = o.metadata.namespace ?? '';
    counts.set(ns, (counts.get(ns) ?? 0) + 1);
  }
  return counts;
}

/** "3 FederatedDeployment objects remain (2 in namespace a, 1 in namespace b)". */
export function describeRemaining(kind: string, counts: Map<string, number>): string {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const where = [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([ns, n]) => (ns ? `${n} in namespace ${ns}` : `${n} cluster-scoped`))
    .join(', ');
  return `${total} ${kind} object${total === 1 ? '' : 's'} remain${total === 1 ? 's' : ''} (${where})`;
}

/** Waits until a controller that reports on the FederatedTypeConfig says propagation stopped. */
async function waitStopped(host: ClusterClient, ftc: FederatedTypeConfig): Promise<boolean> {
  const { name, namespace } = ftc.metadata as { name: string; namespace: string };
  try {
    await pollUntil(
      `the propagation controller of FederatedTypeConfig ${namespace}/${name} to stop`,
      async () => {
        const current = await getTypeConfig(host, name, namespace);
        const state = current?.status?.propagationController;
        return !current || state === 'NotRunning'
          ? { done: true, value: undefined }
          : { done: false, seen: `propagationController ${state ?? 'unset'}` };
      },
      { timeoutMs: STOP_TIMEOUT_MS, intervalMs: 200 },
    );
    return true;
  } catch (err) {
    if (err instanceof PollTimeout) return false;
    throw err;
  }
}

export interface DisableFlags extends HostFlags {
  deleteCrd: boolean;
}

export async function disable(typeName: string, flags: DisableFlags, io: Output): Promise<void> {
  requireNamespaceName(flags.kubefedNamespace);
  const ns = flags.kubefedNamespace;
  const kubeconfig = loadKubeconfig(flags.kubeconfig);
  const hostContext = resolveContext(kubeconfig, flags.hostClusterContext, '--host-cluster-context');
  const host = await connect(kubeconfig, hostContext, `host cluster "${hostContext}"`);
  try {
    await requireKubeFedApi(host, hostContext);
    const ftc = await findTypeConfig(host, hostContext, typeName, ns);
    const name = ftc.metadata.name!;
    const quoted = `"${ns}/${name}"`;
    const crdName = qualifiedName(ftc.spec.federatedType);
    let sharedWith: FederatedTypeConfig[] = [];
    if (flags.deleteCrd) {
      const remaining = await countFederatedObjects(host, ftc);
      if (remaining.size > 0) {
        throw new CliError(
          `cannot delete CRD ${crdName}: ${describeRemaining(ftc.spec.federatedType.kind, remaining)}; delete them first, or run disable without --delete-crd to only stop propagation (nothing was changed)`,
        );
      }
      sharedWith = (await listTypeConfigs(host, ns)).filter(
        (f) =>
          !(f.metadata.name === name && f.metadata.namespace === ns) &&
          qualifiedName(f.spec.federatedType) === crdName,
      );
    }

    if (ftc.spec.propagation === 'Disabled') {
      io.out(`Propagation already disabled for FederatedTypeConfig ${quoted}\n`);
    } else {
      await new ResourceClient<FederatedTypeConfig>(host, TYPE_REFS.typeConfigs).patch(
        name,
        'merge',
        { spec: { propagation: 'Disabled' } },
        { namespace: ns },
      );
      io.out(`Disabled propagation for FederatedTypeConfig ${quoted}\n`);
    }
    // Only a running controller reports a state; without one there is nothing to wait for.
    if (ftc.status?.propagationController === 'Running' && !(await waitStopped(host, ftc))) {
      const msg = `the propagation controller of FederatedTypeConfig ${quoted} did not report NotRunning within ${STOP_TIMEOUT_MS / 1000}s (is the controller manager running?)`;
      if (flags.deleteCrd)
        throw new CliError(`${msg}; the CRD and FederatedTypeConfig were kept, run disable again`);
      io.err(`note: ${msg}\n`);
    }
    if (!flags.deleteCrd) return;

    if (sharedWith.length > 0) {
      io.err(
        `note: CRD ${crdName} kept: FederatedTypeConfig ${sharedWith.map((f) => `${f.metadata.namespace}/${f.metadata.name}`).join(', ')} use${sharedWith.length === 1 ? 's' : ''} it too\n`,
      );
    } else {
      try {
        await new ResourceClient(host, TYPE_REFS.crds).delete(crdName);
        io.out(`customresourcedefinition.apiextensions.k8s.io/${crdName} deleted\n`);
      } catch (err) {
        if (!isNotFound(err)) throw err;
        io.out(`customresourcedefinition.apiextensions.k8s.io/${crdName} does not exist\n`);
      }
    }
    try {
      await new ResourceClient(host, TYPE_REFS.typeConfigs).delete(name, { namespace: ns });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    io.out(`federatedtypeconfig.core.kubefed.io/${name} deleted from namespace ${ns}\n`);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`disable ${typeName} failed: ${causeOf(err)}`);
  } finally {
    await closeAll(host);
  }
}

export function disableCommand(io: Output = processOutput): Command {
  const cmd = new Command('disable')
    .description(
      'Stop propagating a federated type (FederatedTypeConfig spec.propagation: Disabled); objects already in members stay.',
    )
    .argument(
      '<TYPE>',
      'the FederatedTypeConfig name (deployments.apps), or a name of the type resolved on the host (deploy, Deployment)',
    );
  addHostFlags(cmd);
  addBooleanFlag(
    cmd,
    'delete-crd',
    'also delete the FederatedTypeConfig and the federated CRD; refused while federated objects of the type exist',
    false,
  );
  cmd.addHelpText(
    'after',
    '\nExamples:\n  kubefedctl disable deployments.apps\n  kubefedctl disable deployments.apps --delete-crd',
  );
  return cmd.action((typeName: string, flags: DisableFlags) => disable(typeName, flags, io));
}
