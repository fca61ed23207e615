/** The generated CRDs install on a real API server and accept upstream KubeFed v0.10 YAML unchanged. */
import { beforeAll, describe, expect, it } from 'vitest';
import { installCrds, kubectl, uniqueName } from '../support/local.js';

const ns = uniqueName('api');

beforeAll(async () => {
  await installCrds();
  await kubectl('cluster1', ['create', 'namespace', ns]);
  return async () => {
    await kubectl('cluster1', ['delete', 'namespace', ns, '--wait=false']);
  };
});

const upstreamYaml = (n: string) => `
apiVersion: core.kubefed.io/v1beta1
kind: KubeFedCluster
metadata:
  name: cluster2
  namespace: ${n}
spec:
  apiEndpoint: https://172.17.0.3:6443
  caBundle: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
  secretRef:
    name: cluster2-shxp4
  disabledTLSValidations: ["SubjectName"]
---
apiVersion: core.kubefed.io/v1beta1
kind: KubeFedConfig
metadata:
  name: kubefed
  namespace: ${n}
spec:
  scope: Cluster
  controllerDuration: {availableDelay: 20s, unavailableDelay: 60s, cacheSyncTimeout: 5m}
  leaderElect: {leaseDuration: 15s, renewDeadline: 10s, retryPeriod: 5s, resourceLock: configmaps}
  featureGates:
  - {name: PushReconciler, configuration: Enabled}
  - {name: SchedulerPreferences, configuration: Enabled}
  - {name: RawResourceStatusCollection, configuration: Disabled}
  clusterHealthCheck: {period: 10s, failureThreshold: 3, successThreshold: 1, timeout: 3s}
  syncController: {maxConcurrentReconciles: 1, adoptResources: Enabled}
  statusController: {maxConcurrentReconciles: 1}
---
apiVersion: core.kubefed.io/v1beta1
kind: FederatedTypeConfig
metadata:
  name: deployments.apps
  namespace: ${n}
spec:
  federatedType: {group: types.kubefed.io, kind: FederatedDeployment, pluralName: federateddeployments, scope: Namespaced, version: v1beta1}
  propagation: Enabled
  targetType: {group: apps, kind: Deployment, pluralName: deployments, scope: Namespaced, version: v1}
---
apiVersion: types.kubefed.io/v1beta1
kind: FederatedDeployment
metadata:
  name: test-deployment
  namespace: ${n}
spec:
  template:
    metadata:
      labels: {app: nginx}
    spec:
      replicas: 3
      selector: {matchLabels: {app: nginx}}
      template:
        metadata: {labels: {app: nginx}}
        spec:
          containers: [{image: nginx, name: nginx}]
  placement:
    clusters: [{name: cluster2}, {name: cluster1}]
  overrides:
  - clusterName: cluster2
    clusterOverrides:
    - path: "/spec/replicas"
      value: 5
    - path: "/spec/template/spec/containers/0/image"
      value: "nginx:1.17.0-alpine"
    - path: "/metadata/annotations"
      op: "add"
      value: {foo: bar}
---
apiVersion: scheduling.kubefed.io/v1alpha1
kind: ReplicaSchedulingPreference
metadata:
  name: test-deployment
  namespace: ${n}
spec:
  targetKind: FederatedDeployment
  totalReplicas: 10
  clusters:
    A: {minReplicas: 2, maxReplicas: 4, weight: 2}
    B: {minReplicas: 3, weight: 1}
`;

describe('generated CRDs', () => {
  it('accept upstream KubeFed YAML unchanged and keep every field', async () => {
    await kubectl('cluster1', ['apply', '-f', '-'], upstreamYaml(ns));
    const fd = JSON.parse(
      // Fully qualified: other tests' per-run federated groups define FederatedDeployments too.
      await kubectl('cluster1', [
        '-n',
        ns,
        'get',
        'federateddeployments.types.kubefed.io',
        'test-deployment',
        '-o',
        'json',
      ]),
    ) as {
      spec: {
        template: { spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } };
        overrides: { clusterOverrides: { value: unknown }[] }[];
      };
    };
    expect(fd.spec.template.spec.replicas).toBe(3);
    expect(fd.spec.template.spec.template.spec.containers[0]!.image).toBe('nginx');
    expect(fd.spec.overrides[0]!.clusterOverrides.map((o) => o.value)).toEqual([
      5,
      'nginx:1.17.0-alpine',
      { foo: 'bar' },
    ]);
    const rsp = JSON.parse(
      await kubectl('cluster1', ['-n', ns, 'get', 'rsp', 'test-deployment', '-o', 'json']),
    ) as { spec: { clusters: Record<string, unknown> } };
    expect(rsp.spec.clusters).toEqual({
      A: { minReplicas: 2, maxReplicas: 4, weight: 2 },
      B: { minReplicas: 3, weight: 1 },
    });
    const kfc = JSON.parse(await kubectl('cluster1', ['-n', ns, 'get', 'kfc', 'cluster2', '-o', 'json'])) as {
      spec: { disabledTLSValidations: string[] };
    };
    expect(kfc.spec.disabledTLSValidations).toEqual(['SubjectName']);
  });

  it("print useful columns: upstream's for clusters then REGION, PROPAGATED for federated objects", async () => {
    await kubectl('cluster1', ['apply', '-f', '-'], upstreamYaml(ns));
    expect((await kubectl('cluster1', ['-n', ns, 'get', 'kubefedclusters'])).split('\n')[0]).toMatch(
      /^NAME\s+AGE\s+READY\s+KUBERNETES-VERSION\s+REGION$/,
    );
    expect(
      (await kubectl('cluster1', ['-n', ns, 'get', 'kubefedclusters', '-o', 'wide'])).split('\n')[0],
    ).toMatch(/^NAME\s+AGE\s+READY\s+KUBERNETES-VERSION\s+REGION\s+OFFLINE\s+ZONES\s+ENDPOINT$/);
    expect(
      (await kubectl('cluster1', ['-n', ns, 'get', 'federateddeployments.types.kubefed.io'])).split('\n')[0],
    ).toMatch(/^NAME\s+PROPAGATED\s+REASON\s+READY\s+AGE/);
    expect((await kubectl('cluster1', ['-n', ns, 'get', 'ftc'])).split('\n')[1]).toMatch(
      /^deployments\.apps\s+Deployment\s+Enabled/,
    );
  });

  it('refuse invalid objects naming the field', async () => {
    const bad = `
apiVersion: types.kubefed.io/v1beta1
kind: FederatedConfigMap
metadata: {name: bad, namespace: ${ns}}
spec:
  overrides:
  - clusterName: cluster2
    clusterOverrides: [{op: bogus, path: /data/x, value: y}]
`;
    await expect(kubectl('cluster1', ['apply', '-f', '-'], bad)).rejects.toThrow(
      // Upstream's pattern: "" (and absent) mean replace.
      /spec\.overrides\[0\]\.clusterOverrides\[0\]\.op: Invalid value: "bogus": .* should match '\^\(add\|remove\|replace\)\?\$'/,
    );
    const badCluster = `
apiVersion: core.kubefed.io/v1beta1
kind: KubeFedCluster
metadata: {name: c9, namespace: ${ns}}
spec: {apiEndpoint: https://x, secretRef: {}}
`;
    await expect(kubectl('cluster1', ['apply', '-f', '-'], badCluster)).rejects.toThrow(
      /spec\.secretRef\.name: Required value/,
    );
  });
});
