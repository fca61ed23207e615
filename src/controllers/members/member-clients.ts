/**
 * API clients for member clusters, built from what a KubeFedCluster holds (endpoint, CA bundle,
 * TLS exceptions, proxy) and its credential Secret's `data.token`. A client is rebuilt when the
 * cluster's spec or the Secret changes (credential rotation needs no restart) and reused otherwise.
 */
import type { KubeFedCluster } from '../../api/core.js';
import { parseClusterConnection } from '../../api/kubefedcluster.js';
import { ClusterClient, type ClientOptions } from '../../kube/client.js';
import type { ClusterCredentials } from '../../kube/credentials.js';
import type { KubeObject } from '../../kube/resource.js';

export type MemberCredentials =
  { kind: 'ok'; credentials: ClusterCredentials } | { kind: 'malformed'; error: string };

/**
 * The credentials a KubeFedCluster and its Secret describe, or why they are unusable: the spec's
 * rules are the admission webhook's (one parser), so the message names the field and the fix.
 */
export function memberCredentials(
  cluster: KubeFedCluster,
  secret: KubeObject | undefined,
): MemberCredentials {
  const parsed = parseClusterConnection(cluster.spec);
  if (parsed.kind === 'invalid') return { kind: 'malformed', error: parsed.errors.join('; ') };
  const { apiEndpoint, secretName, caData, disabledTLSValidations, proxyURL } = parsed.connection;
  const secretKey = `${cluster.metadata.namespace}/${secretName}`;
  if (!secret) return { kind: 'malformed', error: `secret ${secretKey} not found` };
  const token64 = (secret.data as Record<string, string> | undefined)?.token;
  // An empty value is present, not missing: it gets the "empty data.token" message below.
  if (token64 === undefined || token64 === null)
    return { kind: 'malformed', error: `secret ${secretKey} has no data.token` };
  const token = Buffer.from(token64, 'base64').toString('utf8').trim();
  if (!token) return { kind: 'malformed', error: `secret ${secretKey} has an empty data.token` };
  return {
    kind: 'ok',
    credentials: {
      name: cluster.metadata.name ?? '',
      server: apiEndpoint,
      token,
      ...(caData ? { caData } : {}),
      ...(disabledTLSValidations.length ? { disabledTLSValidations } : {}),
      ...(proxyURL ? { proxyUrl: proxyURL } : {}),
    },
  };
}

export type MemberClient = { kind: 'ok'; client: ClusterClient } | { kind: 'malformed'; error: string };

export class MemberClients {
  private readonly clients = new Map<string, { fingerprint: string; client: ClusterClient }>();

  constructor(private readonly options: ClientOptions = {}) {}

  /** The client of `cluster`, rebuilt when its spec or Secret changed since the last call. */
  get(cluster: KubeFedCluster, secret: KubeObject | undefined): MemberClient {
    const name = cluster.metadata.name ?? '';
    // The spec's generation (KubeFedClusters have a status subresource: only spec changes bump
    // it) instead of the spec itself, which holds the CA bundle: this runs for every member write.
    const gen = cluster.metadata.generation;
    const fingerprint = `${cluster.metadata.uid ?? ''}/${gen !== undefined ? gen : JSON.stringify(cluster.spec)}/${secret?.metadata.uid ?? ''}/${secret?.metadata.resourceVersion ?? ''}`;
    const cached = this.clients.get(name);
    if (cached?.fingerprint === fingerprint) return { kind: 'ok', client: cached.client };
    const creds = memberCredentials(cluster, secret);
    if (creds.kind === 'malformed') {
      this.forget(name);
      return creds;
    }
    let client: ClusterClient;
    try {
      client = new ClusterClient(creds.credentials, this.options);
    } catch (err) {
      this.forget(name);
      return { kind: 'malformed', error: (err as Error).message };
    }
    if (cached) void cached.client.close();
    this.clients.set(name, { fingerprint, client });
    return { kind: 'ok', client };
  }

  /** The current client of a cluster, if one was built. */
  current(name: string): ClusterClient | undefined {
    return this.clients.get(name)?.client;
  }

  forget(name: string): void {
    const cached = this.clients.get(name);
    if (cached) void cached.client.close();
    this.clients.delete(name);
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.client.close()));
    this.clients.clear();
  }
}
