/**
 * The admission webhook end to end: the real `kubefed-webhook` process serving TLS on 127.0.0.1,
 * registered on cluster1 by a ValidatingWebhookConfiguration and a MutatingWebhookConfiguration
 * of this run. Their namespaceSelector matches only a label on this test's own namespace, so the
 * hooks never see objects of other tests (whose KubeFed objects all live in namespaces) even if
 * this test crashes before cleaning up. Invalid objects are refused at `kubectl apply` with the
 * field-specific message; valid ones are stored; a KubeFedConfig is stored with its defaults.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pollUntil } from '../../src/poll.js';
import { installCrds, kubectl, run, uniqueName, type RunResult } from '../support/local.js';
import { makeServingCert, startLocalWebhook, type LocalWebhook } from '../support/webhook.js';

const runId = uniqueName('kf-webhook');
const ns = runId;
/** A namespace without the selector label: objects there must never reach the webhook. */
const otherNs = `${runId}-other`;
/** A namespace put under the hooks only after it holds an invalid object. */
const lateNs = `${runId}-late`;
const SELECTOR_LABEL = 'kubefed-webhook-test';
const configName = `kubefed-webhook-test-${runId}`;
const work = mkdtempSync(path.join(tmpdir(), 'kubefed-webhook-it-'));
let server: LocalWebhook | undefined;

const kubectlRun = (args: string[], input?: unknown): Promise<RunResult> =>
  run(
    inject('kubectl'),
    ['--kubeconfig', inject('kubeconfig'), '--context', 'cluster1', ...args],
    input === undefined ? {} : { input: JSON.stringify(input) },
  );
const apply = (obj: unknown, ...flags: string[]) => kubectlRun(['apply', ...flags, '-f', '-'], obj);

interface Hook {
  path: string;
  group: string;
  version: string;
  resources: string[];
  operations?: string[];
}

function webhooks(port: number, caBundle: string, hooks: Hook[]) {
  return hooks.map((h) => ({
    name: `${h.path.slice(1)}.${runId}.test.kubefed.io`,
    admissionReviewVersions: ['v1'],
    clientConfig: { url: `https://127.0.0.1:${port}${h.path}`, caBundle },
    rules: [
      {
        apiGroups: [h.group],
        apiVersions: [h.version],
        operations: h.operations ?? ['CREATE', 'UPDATE'],
        resources: h.resources,
        scope: 'Namespaced',
      },
    ],
    namespaceSelector: { matchLabels: { [SELECTOR_LABEL]: runId } },
    failurePolicy: 'Fail',
    sideEffects: 'None',
    timeoutSeconds: 10,
  }));
}

const CORE = 'core.kubefed.io';
const cluster = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: `${CORE}/v1beta1`,
  kind: 'KubeFedCluster',
  metadata: { name, namespace: ns },
  spec: { apiEndpoint: 'https://127.0.0.1:6443', secretRef: { name: `${name}-token` }, ...spec },
});
const kubefedConfig = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: `${CORE}/v1beta1`,
  kind: 'KubeFedConfig',
  metadata: { name, namespace: ns },
  spec,
});
const configMapsFtc = (name: string, federatedGroup = 'types.kubefed.io') => ({
  apiVersion: `${CORE}/v1beta1`,
  kind: 'FederatedTypeConfig',
  metadata: { name, namespace: ns },
  spec: {
    targetType: { version: 'v1', kind: 'ConfigMap', pluralName: 'configmaps', scope: 'Namespaced' },
    federatedType: {
      group: federatedGroup,
      version: 'v1beta1',
      kind: 'FederatedConfigMap',
      pluralName: 'federatedconfigmaps',
      scope: 'Namespaced',
    },
    propagation: 'Enabled',
  },
});
const rsp = (name: string, clusters: Record<string, unknown>) => ({
  apiVersion: 'scheduling.kubefed.io/v1alpha1',
  kind: 'ReplicaSchedulingPreference',
  metadata: { name, namespace: ns },
  spec: { targetKind: 'FederatedDeployment', totalReplicas: 6, clusters },
});
const fedConfigMap = (name: string, spec: Record<string, unknown>, namespace = ns) => ({
  apiVersion: 'types.kubefed.io/v1beta1',
  kind: 'FederatedConfigMap',
  metadata: { name, namespace },
  spec: {
    template: { data: { greeting: 'hello' } },
    placement: { clusters: [{ name: 'cluster2' }] },
    ...spec,
  },
});
const fedDeployment = (name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'types.kubefed.io/v1beta1',
  kind: 'FederatedDeployment',
  metadata: { name, namespace: ns },
  spec: {
    template: {
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] },
        },
      },
    },
    placement: { clusterSelector: {} },
    ...spec,
  },
});

beforeAll(async () => {
  await installCrds();
  await kubectl('cluster1', ['create', 'namespace', ns]);
  await kubectl('cluster1', ['label', 'namespace', ns, `${SELECTOR_LABEL}=${runId}`]);
  await kubectl('cluster1', ['create', 'namespace', otherNs]);
  const certDir = path.join(work, 'serving');
  const { caPem } = makeServingCert(certDir, 'webhook-test-ca');
  server = await startLocalWebhook(certDir, ['--log-level', 'debug']);
  const port = server.port;
  const caBundle = Buffer.from(caPem).toString('base64');
  const validating = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: configName },
    webhooks: webhooks(port, caBundle, [
      {
        path: '/validate-kubefedcluster',
        group: CORE,
        version: 'v1beta1',
        resources: ['kubefedclusters', 'kubefedclusters/status'],
      },
      { path: '/validate-kubefedconfig', group: CORE, version: 'v1beta1', resources: ['kubefedconfigs'] },
      {
        path: '/validate-federatedtypeconfigs',
        group: CORE,
        version: 'v1beta1',
        resources: ['federatedtypeconfigs', 'federatedtypeconfigs/status'],
      },
      {
        path: '/validate-replicaschedulingpreferences',
        group: 'scheduling.kubefed.io',
        version: 'v1alpha1',
        resources: ['replicaschedulingpreferences'],
      },
      { path: '/validate-federated', group: 'types.kubefed.io', version: 'v1beta1', resources: ['*'] },
    ]),
  };
  const mutating = {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: configName },
    webhooks: webhooks(port, caBundle, [
      {
        path: '/default-kubefedconfig',
        group: CORE,
        version: 'v1beta1',
        resources: ['kubefedconfigs'],
        operations: ['CREATE'],
      },
    ]),
  };
  for (const c of [validating, mutating]) {
    const r = await apply(c);
    expect(r.code, r.stderr).toBe(0);
  }
  // The API server picks up webhook configurations asynchronously: wait until both are in force.
  await pollUntil(
    'the webhook configurations to take effect on cluster1',
    async () => {
      const denied = await apply(cluster('probe', { apiEndpoint: 'ftp://probe' }), '--dry-run=server');
      const defaulted = await kubectlRun(
        ['create', '--dry-run=server', '-o', 'json', '-f', '-'],
        kubefedConfig('probe', { scope: 'Cluster' }),
      );
      const ok =
        denied.code !== 0 &&
        denied.stderr.includes('spec.apiEndpoint') &&
        defaulted.code === 0 &&
        defaulted.stdout.includes('"featureGates"');
      return ok ? { done: true, value: true } : { done: false, seen: `${denied.stderr}${defaulted.stderr}` };
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
});

afterAll(async () => {
  for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration'])
    await kubectl('cluster1', ['delete', kind, configName, '--ignore-not-found']).catch(() => '');
  for (const n of [ns, otherNs, lateNs])
    await kubectl('cluster1', ['delete', 'namespace', n, '--wait=false', '--ignore-not-found']).catch(
      () => '',
    );
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
}

/** `kind.version.group`: unambiguous, although other tests add federated kinds in other groups. */
const qualifiedType = (obj: Manifest) => {
  const [group, version] = obj.apiVersion.split('/');
  return `${obj.kind.toLowerCase()}.${version}.${group}`;
};

/** Applies `obj` and expects the webhook to refuse it with `message` naming the field. */
async function expectRefused(obj: Manifest, message: RegExp): Promise<void> {
  const r = await apply(obj);
  expect(r.code, `${obj.kind} ${obj.metadata.name} was accepted:\n${r.stdout}`).not.toBe(0);
  expect(r.stderr).toMatch(/admission webhook ".*\.test\.kubefed\.io" denied the request/);
  expect(r.stderr).toMatch(new RegExp(`${obj.kind} "${ns}/${obj.metadata.name}".* is invalid: `));
  expect(r.stderr).toMatch(message);
}

/** The object's `-o name`, or '' when it is not stored. */
async function storedName(obj: Manifest): Promise<string> {
  const out = await kubectl('cluster1', [
    'get',
    qualifiedType(obj),
    obj.metadata.name,
    '-n',
    ns,
    '--ignore-not-found',
    '-o',
    'name',
  ]);
  return out.trim();
}

describe('kubefed-webhook on cluster1', () => {
  it.each([
    [
      'a KubeFedCluster with an ftp endpoint',
      cluster('ftp', { apiEndpoint: 'ftp://10.0.0.1' }),
      /spec\.apiEndpoint: Invalid value: "ftp:\/\/10\.0\.0\.1": scheme ftp is not supported; use https:\/\//,
    ],
    [
      'a KubeFedCluster disabling "*" and SubjectName',
      cluster('star', { disabledTLSValidations: ['*', 'SubjectName'] }),
      /spec\.disabledTLSValidations: Invalid value: "\*" disables every TLS check and must be the only entry; remove the others/,
    ],
    [
      'a KubeFedCluster with an ftp proxy',
      cluster('proxy', { proxyURL: 'ftp://proxy.example' }),
      /spec\.proxyURL: Unsupported value: "ftp:\/\/proxy\.example": the scheme must be http, https or socks5/,
    ],
    [
      'a KubeFedCluster whose secretRef is not a Secret name',
      cluster('secret', { secretRef: { name: 'My_Token' } }),
      /spec\.secretRef\.name: "My_Token" is not a DNS-1123 subdomain/,
    ],
    [
      'a KubeFedConfig whose renewDeadline is not below leaseDuration',
      kubefedConfig('lease', {
        scope: 'Cluster',
        leaderElect: { leaseDuration: '10s', renewDeadline: '10s' },
      }),
      /spec\.leaderElect\.leaseDuration: must be greater than renewDeadline/,
    ],
    [
      'a KubeFedConfig listing a feature gate twice',
      kubefedConfig('gates', {
        scope: 'Cluster',
        featureGates: [
          { name: 'PushReconciler', configuration: 'Enabled' },
          { name: 'PushReconciler', configuration: 'Disabled' },
        ],
      }),
      /spec\.featureGates\[1\]\.name: Duplicate value: "PushReconciler" is listed twice \(also at spec\.featureGates\[0\]\); keep one/,
    ],
    [
      'a FederatedTypeConfig not named plural.group of its target',
      configMapsFtc('cms'),
      /metadata\.name: Invalid value: "cms": must be "configmaps"/,
    ],
    [
      'a FederatedTypeConfig whose federated group has no dot',
      configMapsFtc('configmaps', 'types'),
      /spec\.federatedType\.group: Invalid value: "types": must contain a dot, e.g\. types\.kubefed\.io/,
    ],
    [
      'a ReplicaSchedulingPreference with minReplicas above maxReplicas',
      rsp('web', { cluster2: { minReplicas: 4, maxReplicas: 2 } }),
      /spec\.clusters\[cluster2\]\.minReplicas: must not exceed maxReplicas \(4 > 2\): lower minReplicas or raise maxReplicas/,
    ],
    [
      'a ReplicaSchedulingPreference with an empty cluster name',
      rsp('web2', { '': { weight: 1 } }),
      /spec\.clusters\[\]: the cluster name must not be empty \(use "\*" for every other cluster\)/,
    ],
    [
      'a FederatedConfigMap overriding /metadata/name',
      fedConfigMap('rename', {
        overrides: [
          {
            clusterName: 'cluster2',
            clusterOverrides: [
              { path: '/data/greeting', value: 'hi' },
              { path: '/metadata/name', value: 'other' },
            ],
          },
        ],
      }),
      /spec\.overrides\[0\]\.clusterOverrides\[1\]\.path: Forbidden: "\/metadata\/name".*; remove this override/,
    ],
    [
      'a FederatedConfigMap whose selector uses In without values',
      fedConfigMap('selector', {
        placement: { clusterSelector: { matchExpressions: [{ key: 'region', operator: 'In' }] } },
      }),
      /spec\.placement\.clusterSelector\.matchExpressions\[0\]\.values: Required value: must be non-empty when operator is In/,
    ],
    [
      'a FederatedConfigMap placing a cluster twice',
      fedConfigMap('twice', { placement: { clusters: [{ name: 'cluster2' }, { name: 'cluster2' }] } }),
      /spec\.placement\.clusters\[1\]\.name: Duplicate value: "cluster2"/,
    ],
    [
      'a FederatedConfigMap whose template is a Secret',
      fedConfigMap('secret', { template: { kind: 'Secret', data: {} } }),
      /spec\.template\.kind: Invalid value: "Secret": a FederatedConfigMap holds a ConfigMap; set "ConfigMap" or omit kind/,
    ],
    [
      'a FederatedDeployment overriding a path that is not a JSON pointer',
      fedDeployment('pointer', {
        overrides: [{ clusterName: 'cluster3', clusterOverrides: [{ path: 'spec/replicas', value: 3 }] }],
      }),
      /spec\.overrides\[0\]\.clusterOverrides\[0\]\.path: invalid JSON pointer "spec\/replicas": must be empty or start with "\/"/,
    ],
  ])('refuses %s, naming the field', async (_, obj, message) => {
    await expectRefused(obj, message);
    expect(await storedName(obj), 'a refused object must not be stored').toBe('');
  });

  it('stores valid objects of every kind', async () => {
    for (const obj of [
      cluster('cluster2', {
        disabledTLSValidations: ['SubjectName'],
        proxyURL: 'socks5://proxy.example:1080',
      }),
      configMapsFtc('configmaps'),
      rsp('web', { '*': { weight: 1 }, cluster2: { minReplicas: 1, maxReplicas: 3 } }),
      fedConfigMap('valid', {
        placement: { clusterSelector: { matchLabels: { region: 'eu' } } },
        overrides: [{ clusterName: 'cluster2', clusterOverrides: [{ path: '/data/greeting', value: 'hi' }] }],
      }),
      fedDeployment('web', {
        overrides: [{ clusterName: 'cluster3', clusterOverrides: [{ path: '/spec/replicas', value: 3 }] }],
      }),
    ]) {
      const r = await apply(obj);
      expect(r.code, `${obj.kind} ${obj.metadata.name}: ${r.stderr}`).toBe(0);
    }
    const names = await kubectl('cluster1', [
      'get',
      // Qualified: other tests' runs add federateddeployments in groups of their own.
      'kubefedclusters.core.kubefed.io,federatedtypeconfigs.core.kubefed.io,replicaschedulingpreferences.scheduling.kubefed.io,federatedconfigmaps.types.kubefed.io,federateddeployments.types.kubefed.io',
      '-n',
      ns,
      '-o',
      'name',
    ]);
    expect(names.trim().split('\n').sort()).toEqual([
      'federatedconfigmap.types.kubefed.io/valid',
      'federateddeployment.types.kubefed.io/web',
      'federatedtypeconfig.core.kubefed.io/configmaps',
      'kubefedcluster.core.kubefed.io/cluster2',
      'replicaschedulingpreference.scheduling.kubefed.io/web',
    ]);
  });

  it('stores a ReplicaSchedulingPreference the planner cannot meet in full, with a warning', async () => {
    const r = await apply(
      rsp('tight', { cluster2: { minReplicas: 4, weight: 1 }, cluster3: { minReplicas: 4, weight: 1 } }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /Warning: spec\.totalReplicas: the minReplicas of the clusters add up to 8, more than totalReplicas 6/,
    );
  });

  it('stores a KubeFedConfig with every default filled in and the user values kept', async () => {
    const r = await apply(
      kubefedConfig('kubefed', { scope: 'Namespaced', clusterHealthCheck: { period: '30s' } }),
    );
    expect(r.code, r.stderr).toBe(0);
    const stored = JSON.parse(
      await kubectl('cluster1', ['get', 'kubefedconfig', 'kubefed', '-n', ns, '-o', 'json']),
    ) as {
      spec: Record<string, unknown>;
    };
    expect(stored.spec).toEqual({
      scope: 'Namespaced',
      controllerDuration: { availableDelay: '20s', unavailableDelay: '60s', cacheSyncTimeout: '5m' },
      leaderElect: {
        leaseDuration: '15s',
        renewDeadline: '10s',
        retryPeriod: '5s',
        resourceLock: 'configmaps',
      },
      featureGates: [
        { name: 'PushReconciler', configuration: 'Enabled' },
        { name: 'RawResourceStatusCollection', configuration: 'Disabled' },
        { name: 'SchedulerPreferences', configuration: 'Enabled' },
      ],
      clusterHealthCheck: { period: '30s', failureThreshold: 3, successThreshold: 1, timeout: '3s' },
      syncController: { maxConcurrentReconciles: 1, adoptResources: 'Enabled' },
      statusController: { maxConcurrentReconciles: 1 },
    });
  });

  it('refuses a KubeFedConfig scope change on update', async () => {
    const r = await apply(kubefedConfig('scoped', { scope: 'Cluster' }));
    expect(r.code, r.stderr).toBe(0);
    await expectRefused(
      kubefedConfig('scoped', { scope: 'Namespaced' }),
      /spec\.scope: Invalid value: "Namespaced": field is immutable \(was "Cluster"\); delete and recreate the KubeFedConfig to change the scope/,
    );
    const scope = await kubectl('cluster1', [
      'get',
      'kubefedconfig',
      'scoped',
      '-n',
      ns,
      '-o',
      'jsonpath={.spec.scope}',
    ]);
    expect(scope).toBe('Cluster');
  });

  it('applies the status rules to KubeFedCluster status writes', async () => {
    const r = await apply(cluster('probed', {}));
    expect(r.code, r.stderr).toBe(0);
    const probe = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const ready = { type: 'Ready', status: 'True', reason: 'ClusterReady', lastProbeTime: probe };
    const patch = (conditions: unknown[]) =>
      kubectlRun([
        'patch',
        'kubefedcluster',
        'probed',
        '-n',
        ns,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status: { conditions } }),
      ]);
    const good = await patch([ready]);
    expect(good.code, good.stderr).toBe(0);
    const bad = await patch([ready, { ...ready, status: 'False' }]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(
      new RegExp(
        `KubeFedCluster "${ns}/probed" status is invalid: status\\.conditions\\[1\\]\\.type: Duplicate value: "Ready"; keep one`,
      ),
    );
  });

  it('leaves namespaces without the selector label alone', async () => {
    // The same object the hook refuses in the test namespace is stored elsewhere: the hooks of
    // this run cannot affect other tests, whatever they create.
    const r = await apply(
      fedConfigMap(
        'rename',
        {
          overrides: [
            { clusterName: 'cluster2', clusterOverrides: [{ path: '/metadata/name', value: 'x' }] },
          ],
        },
        otherNs,
      ),
    );
    expect(r.code, r.stderr).toBe(0);
  });

  it('lets an invalid object that predates the hooks be relabelled and deleted, but not changed', async () => {
    await kubectl('cluster1', ['create', 'namespace', lateNs]);
    const stale = fedConfigMap(
      'stale',
      { overrides: [{ clusterName: 'cluster2', clusterOverrides: [{ path: '/kind', value: 'Secret' }] }] },
      lateNs,
    );
    const withFinalizer = {
      ...stale,
      metadata: { ...stale.metadata, finalizers: ['kubefed.io/webhook-test'] },
    };
    let r = await apply(withFinalizer);
    expect(r.code, r.stderr).toBe(0);
    await kubectl('cluster1', ['label', 'namespace', lateNs, `${SELECTOR_LABEL}=${runId}`]);
    await pollUntil(
      `a spec change in ${lateNs} to be refused by the hook`,
      async () => {
        const changed = await apply({
          ...withFinalizer,
          spec: { ...withFinalizer.spec, placement: { clusters: [] } },
        });
        return changed.code !== 0 &&
          /spec\.overrides\[0\]\.clusterOverrides\[0\]\.path: Forbidden: "\/kind"/.test(changed.stderr)
          ? { done: true, value: true }
          : { done: false, seen: `exit ${changed.code}: ${changed.stderr}` };
      },
      { timeoutMs: 30_000 },
    );
    const fcm = ['federatedconfigmaps.v1beta1.types.kubefed.io', 'stale', '-n', lateNs];
    await kubectl('cluster1', ['label', ...fcm, 'touched=yes']);
    await kubectl('cluster1', ['delete', ...fcm, '--wait=false']);
    await kubectl('cluster1', ['patch', ...fcm, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    r = await kubectlRun(['get', ...fcm, '--ignore-not-found', '-o', 'name']);
    expect(r.stdout.trim()).toBe('');
  });

  it('logged every review it answered', () => {
    expect(server!.log()).toMatch(/"path":"\/validate-federated","status":200/);
    expect(server!.log()).toMatch(/"path":"\/default-kubefedconfig","status":200/);
  });
});
