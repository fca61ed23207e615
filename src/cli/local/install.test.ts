import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { helmSets, kubefedNamespaceOf, tokenKubeconfig } from './install.js';

describe('kubefed-local install: helm values', () => {
  it('points the webhook configurations at the local server, runs no chart pods, allows the dashboard', () => {
    expect(helmSets({ webhookPort: 4443 })).toEqual([
      '--set',
      'controllermanager.webhook.url=https://127.0.0.1:4443',
      '--set',
      'controllermanager.controller.replicaCount=0',
      '--set',
      'controllermanager.controller.dashboard.enabled=true',
      '--set',
      'controllermanager.webhook.replicaCount=0',
    ]);
  });

  it('sets the scope and failure policy only when asked', () => {
    const sets = helmSets({ webhookPort: 1, scope: 'Namespaced', failurePolicy: 'Ignore' });
    expect(sets).toContain('global.scope=Namespaced');
    expect(sets).toContain('controllermanager.webhook.failurePolicy=Ignore');
  });
});

describe('kubefed-local install: the control plane namespace', () => {
  it('follows the chart: kubefedNamespace, else the release namespace, else kube-federation-system for default', () => {
    expect(kubefedNamespaceOf('default', {})).toBe('kube-federation-system');
    expect(kubefedNamespaceOf('my-fed', {})).toBe('my-fed');
    expect(kubefedNamespaceOf('default', { kubefedNamespace: 'other' })).toBe('other');
  });
});

describe('kubefed-local install: token kubeconfig', () => {
  it('holds only the bearer token of the chart ServiceAccount, in its namespace', () => {
    const kc = parse(
      tokenKubeconfig(
        { server: 'https://127.0.0.1:6443', caData: 'Q0E=' },
        'kubefed-controller',
        'tok',
        'kfns',
      ),
    ) as {
      clusters: { cluster: Record<string, string> }[];
      users: { name: string; user: Record<string, string> }[];
      contexts: { context: { namespace: string; user: string } }[];
      'current-context': string;
    };
    expect(kc.clusters[0]!.cluster).toEqual({
      server: 'https://127.0.0.1:6443',
      'certificate-authority-data': 'Q0E=',
    });
    expect(kc.users).toEqual([{ name: 'kubefed-controller', user: { token: 'tok' } }]);
    expect(kc.contexts[0]!.context).toEqual({
      cluster: 'cluster1',
      user: 'kubefed-controller',
      namespace: 'kfns',
    });
    expect(kc['current-context']).toBe('cluster1');
  });
});
