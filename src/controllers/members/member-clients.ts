/**
 * API clients for member clusters, built from what a KubeFedCluster holds (endpoint, CA bundle,
 * TLS exceptions, proxy) and its credential Secret's `data.token`. A client is rebuilt when the
 * cluster's spec or the Secret changes (credential rotation needs no restart) and reused otherwise.
 */
import type { KubeFedCluster } from '../../api/core.js';
import { ClusterClient, type ClientOptions } from '../../kube/client.js';
import type { ClusterCredentials, TLSValidation } from '../../kube/credentials.js';
import type { KubeObject } from '../../kube/resource.js';

export type MemberCredentials =
  { kind: 'ok'; credentials: ClusterCredentials } | { kind: 'malformed'; error: string };

/** The credentials a KubeFedCluster and its Secret describe, or why they are unusable. */
export function memberCredentials(
  cluster: KubeFedCluster,
  secret: KubeObject | undefined,
): MemberCredentials {
  const name = cluster.metadata.name ?? '';
  const spec = cluster.spec;
  if (!spec?.apiEndpoint) return { kind: 'malformed', error: 'spec.apiEndpoint is empty' };
  const secretName = spec.secretRef?.name;
  if (!secretName) return { kind: 'malformed', error: 'spec.secretRef.name is empty' };
  if (!secret)
    return { kind: 'malformed', error: `secret ${cluster.metadata.namespace}/${secretName} not found` };
  const token64 = (secret.data as Record<string, string> | undefined)?.token;
  // An empty value is present, not missing: it gets the "empty data.token" message below.
  if (token64 === undefined || token64 === null)
    return {
      kind: 'malformed',
      error: `secret ${cluster.metadata.namespace}/${secretName} has no data.token`,
    };
  const token = Buffer.from(token64, 'base64').toString('utf8').trim();
  if (!token)
    return {
      kind: 'malformed',
      error: `secret ${cluster.metadata.namespace}/${secretName} has an empty data.token`,
    };
  const disabled = (spec.disabledTLSValidations ?? []) as TLSValidation[];
  if (disabled.includes('*') && disabled.length > 1) {
    return {
      kind: 'malformed',
      error: 'spec.disabledTLSValidations: "*" cannot be combined with other values',
    };
  }
  // A caBundle without a PEM certificate would silently verify against nothing and surface
  // later as an unclear TLS error ("unable to verify the first certificate"): say so here.
  if (
    spec.caBundle &&
    !Buffer.from(spec.caBundle, 'base64').toString('latin1').includes('-----BEGIN CERTIFICATE-----')
  ) {
    return {
      kind: 'malformed',
      error:
        'spec.caBundle holds no PEM certificate: set it to the base64 of the PEM CA file (-----BEGIN CERTIFICATE-----…), or leave it empty to use the system roots',
    };
  }
  if (spec.proxyURL) {
    let proxy: URL;
    try {
      proxy = new URL(spec.proxyURL);
    } catch {
      return { kind: 'malformed', error: `spec.proxyURL "${spec.proxyURL}" is not a URL` };
    }
    if (!['http:', 'https:', 'socks5:'].includes(proxy.protocol)) {
      return {
        kind: 'malformed',
        error: `spec.proxyURL scheme "${proxy.protocol.replace(/:$/, '')}" is not supported (http, https, socks5)`,
      };
    }
  }
  return {
    kind: 'ok',
    credentials: {
      name,
      server: spec.apiEndpoint,
      token,
      ...(spec.caBundle ? { caData: Buffer.from(spec.caBundle, 'base64') } : {}),
      ...(disabled.length ? { disabledTLSValidations: disabled } : {}),
      ...(spec.proxyURL ? { proxyUrl: spec.proxyURL } : {}),
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
