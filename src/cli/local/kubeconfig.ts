/** Kubeconfig files for the local clusters: one merged file with every context, one per cluster. */
import { readFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { ClusterPki } from './pki.js';

export interface KubeconfigCluster {
  name: string;
  server: string;
  pki: Pick<ClusterPki, 'caCert' | 'adminCert' | 'adminKey'>;
}

const b64 = async (file: string) => (await readFile(file)).toString('base64');

/**
 * Renders a kubeconfig holding one context per cluster (context = cluster name), credentials
 * embedded. User names are unique per cluster so clients that cache credentials by user name
 * never mix clusters up. The first cluster is the current context.
 */
export async function renderKubeconfig(clusters: readonly KubeconfigCluster[]): Promise<string> {
  const entries = await Promise.all(
    clusters.map(async (c) => ({
      cluster: {
        name: c.name,
        cluster: { server: c.server, 'certificate-authority-data': await b64(c.pki.caCert) },
      },
      user: {
        name: `kubefed-local-admin@${c.name}`,
        user: {
          'client-certificate-data': await b64(c.pki.adminCert),
          'client-key-data': await b64(c.pki.adminKey),
        },
      },
      context: { name: c.name, context: { cluster: c.name, user: `kubefed-local-admin@${c.name}` } },
    })),
  );
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    'current-context': clusters[0]?.name ?? '',
    clusters: entries.map((e) => e.cluster),
    users: entries.map((e) => e.user),
    contexts: entries.map((e) => e.context),
  });
}
