import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../kube/resource.js';
import {
  CLUSTER_LABEL,
  describePlanned,
  healthCheckRoleName,
  hostSecret,
  isNamespaceDefault,
  JOINED_BY_LABEL,
  kubeFedCluster,
  memberObjectKeys,
  planMember,
  reconcile,
  roleName,
  sameValue,
  serviceAccountName,
} from './membership.js';

const input = { clusterName: 'cluster2', hostClusterName: 'cluster1', namespace: 'kube-federation-system' };

describe('names', () => {
  it('follow upstream: SA <cluster>-<host>, roles kubefed-controller-manager:<SA>', () => {
    expect(serviceAccountName('c2', 'c1')).toBe('c2-c1');
    expect(roleName('c2-c1')).toBe('kubefed-controller-manager:c2-c1');
    expect(healthCheckRoleName('c2-c1', 'kf')).toBe('kubefed-controller-manager:kf:healthcheck-c2-c1');
  });
});

describe('planMember', () => {
  it('Cluster scope: namespace, SA, token Secret, ClusterRole and ClusterRoleBinding, all labelled', () => {
    const plan = planMember({ ...input, scope: 'Cluster' });
    expect(plan.map(describePlanned)).toEqual([
      'namespace/kube-federation-system',
      'serviceaccount/cluster2-cluster1',
      'secret/cluster2-cluster1',
      'clusterrole.rbac.authorization.k8s.io/kubefed-controller-manager:cluster2-cluster1',
      'clusterrolebinding.rbac.authorization.k8s.io/kubefed-controller-manager:cluster2-cluster1',
    ]);
    for (const { object } of plan) {
      expect(object.metadata.labels).toEqual({
        [JOINED_BY_LABEL]: 'kubefedctl',
        [CLUSTER_LABEL]: 'cluster2',
      });
    }
    const [, sa, secret, role, binding] = plan.map((p) => p.object);
    expect(sa!.metadata.annotations).toEqual({ 'kubernetes.io/enforce-mountable-secrets': 'true' });
    expect(sa!.automountServiceAccountToken).toBe(false);
    expect(secret!.type).toBe('kubernetes.io/service-account-token');
    expect(secret!.metadata.annotations).toEqual({
      'kubernetes.io/service-account.name': 'cluster2-cluster1',
    });
    expect(role!.rules).toEqual([
      { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
      { verbs: ['get'], nonResourceURLs: ['*'] },
    ]);
    expect(binding!.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'kubefed-controller-manager:cluster2-cluster1',
    });
    expect(binding!.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'cluster2-cluster1', namespace: 'kube-federation-system' },
    ]);
  });

  it('Namespaced scope: Role and RoleBinding in the namespace plus a health-check ClusterRole', () => {
    const plan = planMember({ ...input, scope: 'Namespaced' });
    expect(plan.slice(3).map(describePlanned)).toEqual([
      'role.rbac.authorization.k8s.io/kubefed-controller-manager:cluster2-cluster1',
      'rolebinding.rbac.authorization.k8s.io/kubefed-controller-manager:cluster2-cluster1',
      'clusterrole.rbac.authorization.k8s.io/kubefed-controller-manager:kube-federation-system:healthcheck-cluster2-cluster1',
      'clusterrolebinding.rbac.authorization.k8s.io/kubefed-controller-manager:kube-federation-system:healthcheck-cluster2-cluster1',
    ]);
    const [role, binding, health] = plan.slice(3).map((p) => p.object);
    expect(role!.metadata.namespace).toBe('kube-federation-system');
    expect(binding!.metadata.namespace).toBe('kube-federation-system');
    expect(health!.rules).toEqual([
      { verbs: ['get'], nonResourceURLs: ['/healthz', '/version'] },
      { verbs: ['list'], apiGroups: [''], resources: ['nodes'] },
    ]);
  });

  it('memberObjectKeys covers what either scope creates, bindings before roles before the SA', () => {
    const keys = memberObjectKeys('cluster2', 'cluster1', 'kf').map((k) => `${k.kind}/${k.name}`);
    const planned = [
      ...planMember({ ...input, namespace: 'kf', scope: 'Cluster' }),
      ...planMember({ ...input, namespace: 'kf', scope: 'Namespaced' }),
    ]
      .filter((p) => p.object.kind !== 'Namespace')
      .map((p) => `${p.object.kind}/${p.object.metadata.name}`);
    expect(new Set(keys)).toEqual(new Set(planned));
    expect(keys.indexOf('ClusterRoleBinding/kubefed-controller-manager:cluster2-cluster1')).toBeLessThan(
      keys.indexOf('ClusterRole/kubefed-controller-manager:cluster2-cluster1'),
    );
    expect(keys.at(-1)).toBe('ServiceAccount/cluster2-cluster1');
  });
});

describe('host objects', () => {
  it('the Secret has a generated name unless one is given, and holds the token and CA', () => {
    const generated = hostSecret({ clusterName: 'c2', namespace: 'kf', token: 'dG9r', caCrt: 'Y2E=' });
    expect(generated.metadata).toMatchObject({ generateName: 'c2-', namespace: 'kf' });
    expect(generated.metadata.name).toBeUndefined();
    expect(generated.data).toEqual({ token: 'dG9r', 'ca.crt': 'Y2E=' });
    expect(
      hostSecret({ clusterName: 'c2', namespace: 'kf', secretName: 's', token: 'dG9r' }).metadata.name,
    ).toBe('s');
  });

  it('the KubeFedCluster takes endpoint, CA, TLS and proxy from the kubeconfig, else the token CA', () => {
    const fromKubeconfig = kubeFedCluster({
      clusterName: 'c2',
      namespace: 'kf',
      secretName: 'c2-abcde',
      endpoint: { server: 'https://10.0.0.2:6443', caData: 'a3ViZWNvbmZpZw==', insecure: false },
      tokenCaCrt: 'dG9rZW4=',
    });
    expect(fromKubeconfig.spec).toEqual({
      apiEndpoint: 'https://10.0.0.2:6443',
      caBundle: 'a3ViZWNvbmZpZw==',
      secretRef: { name: 'c2-abcde' },
    });
    const fromToken = kubeFedCluster({
      clusterName: 'c2',
      namespace: 'kf',
      secretName: 's',
      endpoint: { server: 'https://x', insecure: true, proxyUrl: 'socks5://proxy:1080' },
      tokenCaCrt: 'dG9rZW4=',
    });
    expect(fromToken.spec).toEqual({
      apiEndpoint: 'https://x',
      caBundle: 'dG9rZW4=',
      secretRef: { name: 's' },
      disabledTLSValidations: ['*'],
      proxyURL: 'socks5://proxy:1080',
    });
    expect(fromToken.apiVersion).toBe('core.kubefed.io/v1beta1');
  });
});

describe('reconcile', () => {
  const desired = planMember({ ...input, scope: 'Cluster' })[4]!.object;
  const stored = (o: KubeObject): KubeObject => ({
    ...structuredClone(o),
    metadata: { ...structuredClone(o.metadata), uid: 'u', resourceVersion: '7' },
  });

  it('is unchanged when the server only added defaults and metadata', () => {
    const existing = stored(desired);
    (existing.subjects as Record<string, unknown>[])[0]!.apiGroup = '';
    existing.metadata.annotations = {};
    expect(reconcile(existing, desired)).toEqual({ action: 'unchanged' });
  });

  it('adds missing labels, keeps foreign ones and replaces managed fields', () => {
    const existing = stored(desired);
    existing.metadata.labels = { team: 'a' };
    existing.subjects = [];
    const r = reconcile(existing, desired);
    expect(r.action).toBe('update');
    if (r.action !== 'update') return;
    expect(r.object.metadata.labels).toEqual({ team: 'a', ...desired.metadata.labels });
    expect(r.object.subjects).toEqual(desired.subjects);
    expect(r.object.metadata.resourceVersion).toBe('7');
  });

  it('asks for a re-create when an immutable field (roleRef, Secret type) differs', () => {
    const existing = stored(desired);
    existing.roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'other' };
    expect(reconcile(existing, desired)).toEqual({ action: 'recreate', field: 'roleRef' });
  });

  it('leaves fields the plan does not set (the token in a token Secret)', () => {
    const secret = planMember({ ...input, scope: 'Cluster' })[2]!.object;
    const existing = { ...stored(secret), data: { token: 'dA==' } };
    expect(reconcile(existing, secret)).toEqual({ action: 'unchanged' });
  });

  it('sameValue ignores empty values and key order', () => {
    expect(sameValue({ a: 1, b: '', c: [] }, { a: 1 })).toBe(true);
    expect(sameValue({ a: 1, b: { x: 1, y: 2 } }, { b: { y: 2, x: 1 }, a: 1 })).toBe(true);
    expect(sameValue([1, 2], [2, 1])).toBe(false);
  });
});

describe('isNamespaceDefault', () => {
  const obj = (name: string, extra: Partial<KubeObject> = {}): KubeObject => ({
    metadata: { name },
    ...extra,
  });
  it('ignores what Kubernetes creates in every namespace', () => {
    expect(isNamespaceDefault('configmaps', obj('kube-root-ca.crt'))).toBe(true);
    expect(isNamespaceDefault('serviceaccounts', obj('default'))).toBe(true);
    expect(
      isNamespaceDefault(
        'secrets',
        obj('default-token-abc', {
          type: 'kubernetes.io/service-account-token',
          metadata: {
            name: 'default-token-abc',
            annotations: { 'kubernetes.io/service-account.name': 'default' },
          },
        }),
      ),
    ).toBe(true);
    expect(isNamespaceDefault('configmaps', obj('app-config'))).toBe(false);
    expect(isNamespaceDefault('deployments.apps', obj('default'))).toBe(false);
  });
});
