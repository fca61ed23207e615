/**
 * Member clusters as kubefedctl reaches them: with each KubeFedCluster's own credentials (its
 * Secret in the control plane's namespace), exactly as the controllers do, never with the user's
 * kubeconfig contexts.
 */
import type { KubeFedCluster } from '../../api/core.js';
import { memberCredentials } from '../../controllers/members/member-clients.js';
import { ClusterClient } from '../../kube/client.js';
import { ResourceClient, type KubeObject } from '../../kube/resource.js';
import { VERSION } from '../../version.js';
import { causeOf } from './context.js';
import { REFS } from './membership.js';

export type MemberConnection = { kind: 'ok'; client: ClusterClient } | { kind: 'error'; message: string };

/** A client of the member `clusterName` (`cluster`: its KubeFedCluster, if registered). */
export async function connectMember(
  host: ClusterClient,
  kubefedNamespace: string,
  cluster: KubeFedCluster | undefined,
  clusterName: string,
): Promise<MemberConnection> {
  if (!cluster)
    return { kind: 'error', message: `KubeFedCluster ${kubefedNamespace}/${clusterName} not found` };
  try {
    const secretName = cluster.spec?.secretRef?.name;
    const secret = secretName
      ? await new ResourceClient(host, REFS.secrets).find(secretName, { namespace: kubefedNamespace })
      : undefined;
    const member = memberClientOf(cluster, secret);
    return member.kind === 'error'
      ? { kind: 'error', message: `KubeFedCluster ${clusterName}: ${member.message}` }
      : member;
  } catch (err) {
    return { kind: 'error', message: causeOf(err) };
  }
}

/**
 * kubefedctl's client of a member from its KubeFedCluster and credential Secret, by the
 * controllers' rules (the message says which field or Secret is wrong); close it after use.
 */
export function memberClientOf(cluster: KubeFedCluster, secret: KubeObject | undefined): MemberConnection {
  const creds = memberCredentials(cluster, secret);
  if (creds.kind === 'malformed') return { kind: 'error', message: creds.error };
  try {
    return {
      kind: 'ok',
      client: new ClusterClient(creds.credentials, {
        timeoutMs: 10_000,
        maxRetries: 1,
        userAgent: `kubefedctl/${VERSION}`,
      }),
    };
  } catch (err) {
    return { kind: 'error', message: causeOf(err) };
  }
}
