/** Conformance checks: API objects and their validation (#2-#7), membership and kubefedctl (#33-#41), metrics (#43). */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { CLUSTERS, propagationOf, unique, type Obj, type Topology } from './harness.js';

const CORE = 'core.kubefed.io/v1beta1';
const TYPES = 'types.kubefed.io/v1beta1';
const CHART = fileURLToPath(new URL('../../charts/kubefed', import.meta.url));
const HOST = ['--host-cluster-context', 'cluster1'];

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string;
}
const conditionsOf = (o: Obj | undefined) => (o?.status?.conditions ?? []) as Condition[];
const summary = (cs: Condition[]) => cs.map((c) => `${c.type}=${c.status}/${c.reason ?? ''}`);

/** A 127.0.0.1 port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** kubectl that may fail: the checks assert on the refusal. */
async function kubectlResult(t: Topology, context: string, args: readonly string[], input?: string) {
  return t.run('kubectl', ['--context', context, ...args], input);
}

/** Applies one object and expects the admission webhook to refuse it with `message`. */
async function expectRefused(t: Topology, obj: Obj, message: RegExp): Promise<void> {
  const r = await kubectlResult(t, 'cluster1', ['apply', '-f', '-'], stringify(obj));
  expect(r.code, `${obj.kind} ${obj.metadata.name} was admitted:\n${r.stdout}`).not.toBe(0);
  // Refused by the admission webhook, or already by the CRD's schema.
  expect(r.stderr).toMatch(/admission webhook ".*" denied the request|is invalid/);
  expect(r.stderr).toMatch(message);
}

const deleteNamespace = (t: Topology, context: string, ns: string) =>
  t.kubectl(context, ['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']).catch(() => '');

/** The host's KubeFedCluster, or undefined. */
const kubeFedCluster = (t: Topology, name: string, ns = t.kfns) =>
  t.get('cluster1', ['-n', ns, 'kubefedclusters', name]);

const isReady = (kfc: Obj | undefined) =>
  conditionsOf(kfc).some((c) => c.type === 'Ready' && c.status === 'True');

/** Names that exist among `kinds/names` in a cluster (`kubectl get -o name`, missing ones skipped). */
async function existing(t: Topology, context: string, args: readonly string[]): Promise<string[]> {
  const out = await t.kubectl(context, ['get', ...args, '--ignore-not-found', '-o', 'name']);
  return out.split('\n').filter(Boolean).sort();
}

const memberGitVersion = async (t: Topology, context: string) =>
  (
    JSON.parse(await t.kubectl(context, ['version', '-o', 'json'])) as {
      serverVersion: { gitVersion: string };
    }
  ).serverVersion.gitVersion;

/** Where `kubefed-local install` serves the controller manager's /metrics and /healthz. */
function metricsUrl(t: Topology, p: string): string {
  const state = JSON.parse(readFileSync(path.join(t.dir, 'state.json'), 'utf8')) as {
    kubefed?: { metricsPort: number };
  };
  if (!state.kubefed) throw new Error(`${t.dir}/state.json records no control plane install`);
  return `http://127.0.0.1:${state.kubefed.metricsPort}${p}`;
}

export function controlPlaneChecks(t: Topology): void {
  const PLANE = [...HOST, `--kubefed-namespace=${t.kfns}`];
  it('#2 a KubeFedConfig created with a partial spec is stored fully defaulted, user values kept', async () => {
    const ns = unique('conf2');
    await t.kubectl('cluster1', ['create', 'namespace', ns]);
    try {
      await t.apply('cluster1', {
        apiVersion: CORE,
        kind: 'KubeFedConfig',
        metadata: { name: 'kubefed', namespace: ns },
        spec: {
          scope: 'Cluster',
          clusterHealthCheck: { period: '30s' },
          leaderElect: { retryPeriod: '2s' },
          featureGates: [{ name: 'RawResourceStatusCollection', configuration: 'Enabled' }],
        },
      });
      const stored = await t.get('cluster1', ['-n', ns, 'kubefedconfigs', 'kubefed']);
      expect(stored?.spec).toEqual({
        scope: 'Cluster',
        controllerDuration: { availableDelay: '20s', unavailableDelay: '60s', cacheSyncTimeout: '5m' },
        leaderElect: {
          leaseDuration: '15s',
          renewDeadline: '10s',
          retryPeriod: '2s',
          resourceLock: 'configmaps',
        },
        featureGates: [
          { name: 'PushReconciler', configuration: 'Enabled' },
          { name: 'RawResourceStatusCollection', configuration: 'Enabled' },
          { name: 'SchedulerPreferences', configuration: 'Enabled' },
        ],
        clusterHealthCheck: { period: '30s', failureThreshold: 3, successThreshold: 1, timeout: '3s' },
        syncController: { maxConcurrentReconciles: 1, adoptResources: 'Enabled' },
        statusController: { maxConcurrentReconciles: 1 },
      });
    } finally {
      await deleteNamespace(t, 'cluster1', ns);
    }
  });

  it('#3 a KubeFedConfig scope change, an unknown feature gate and a duplicate feature gate are rejected', async () => {
    const ns = unique('conf3');
    await t.kubectl('cluster1', ['create', 'namespace', ns]);
    const config = (name: string, spec: Record<string, unknown>): Obj => ({
      apiVersion: CORE,
      kind: 'KubeFedConfig',
      metadata: { name, namespace: ns },
      spec,
    });
    try {
      await t.apply('cluster1', config('kubefed', { scope: 'Cluster' }));
      await expectRefused(t, config('kubefed', { scope: 'Namespaced' }), /spec\.scope: .*immutable/);
      expect((await t.get('cluster1', ['-n', ns, 'kubefedconfigs', 'kubefed']))?.spec?.scope).toBe('Cluster');

      await expectRefused(
        t,
        config('unknown', {
          scope: 'Cluster',
          featureGates: [{ name: 'NoSuchGate', configuration: 'Enabled' }],
        }),
        /spec\.featureGates\[0\]\.name: .*"NoSuchGate"/,
      );
      await expectRefused(
        t,
        config('twice', {
          scope: 'Cluster',
          featureGates: [
            { name: 'PushReconciler', configuration: 'Enabled' },
            { name: 'PushReconciler', configuration: 'Disabled' },
          ],
        }),
        /spec\.featureGates\[1\]\.name: Duplicate value: "PushReconciler"/,
      );
      expect(await existing(t, 'cluster1', ['-n', ns, 'kubefedconfigs'])).toEqual([
        'kubefedconfig.core.kubefed.io/kubefed',
      ]);
    } finally {
      await deleteNamespace(t, 'cluster1', ns);
    }
  });

  it('#4 a FederatedTypeConfig not named plural[.group] of its target, or whose federated group has no dot, is rejected', async () => {
    const ns = unique('conf4');
    await t.kubectl('cluster1', ['create', 'namespace', ns]);
    const ftc = (name: string, group: string, targetGroup?: string): Obj => ({
      apiVersion: CORE,
      kind: 'FederatedTypeConfig',
      metadata: { name, namespace: ns },
      spec: {
        targetType: {
          ...(targetGroup ? { group: targetGroup } : {}),
          version: 'v1',
          kind: targetGroup ? 'Deployment' : 'ConfigMap',
          pluralName: targetGroup ? 'deployments' : 'configmaps',
          scope: 'Namespaced',
        },
        federatedType: {
          group,
          version: 'v1beta1',
          kind: targetGroup ? 'FederatedDeployment' : 'FederatedConfigMap',
          pluralName: targetGroup ? 'federateddeployments' : 'federatedconfigmaps',
          scope: 'Namespaced',
        },
        propagation: 'Enabled',
      },
    });
    try {
      await expectRefused(t, ftc('cms', 'types.kubefed.io'), /metadata\.name: .*"cms".*"configmaps"/);
      await expectRefused(
        t,
        ftc('deployments', 'types.kubefed.io', 'apps'),
        /metadata\.name: .*"deployments".*"deployments\.apps"/,
      );
      await expectRefused(t, ftc('configmaps', 'types'), /spec\.federatedType\.group: .*"types".*dot/);
      expect(await existing(t, 'cluster1', ['-n', ns, 'federatedtypeconfigs'])).toEqual([]);
      // The same objects, correctly named, are admitted (the refusals were about the names).
      await t.apply(
        'cluster1',
        ftc('configmaps', 'types.kubefed.io'),
        ftc('deployments.apps', 'types.kubefed.io', 'apps'),
      );
      expect(await existing(t, 'cluster1', ['-n', ns, 'federatedtypeconfigs'])).toEqual([
        'federatedtypeconfig.core.kubefed.io/configmaps',
        'federatedtypeconfig.core.kubefed.io/deployments.apps',
      ]);
    } finally {
      await deleteNamespace(t, 'cluster1', ns);
    }
  });

  it('#5 a KubeFedCluster disabling ["*","SubjectName"] or with an ftp proxyURL is rejected; a Namespaced install admits objects outside its namespace', async () => {
    const ns = unique('conf5');
    await t.kubectl('cluster1', ['create', 'namespace', ns]);
    const kfc = (name: string, spec: Record<string, unknown>): Obj => ({
      apiVersion: CORE,
      kind: 'KubeFedCluster',
      metadata: { name, namespace: ns },
      spec: { apiEndpoint: 'https://127.0.0.1:6443', secretRef: { name: `${name}-token` }, ...spec },
    });
    try {
      await expectRefused(
        t,
        kfc('star', { disabledTLSValidations: ['*', 'SubjectName'] }),
        /spec\.disabledTLSValidations/,
      );
      await expectRefused(t, kfc('ftp', { proxyURL: 'ftp://proxy.example:21' }), /spec\.proxyURL/);
      expect(await existing(t, 'cluster1', ['-n', ns, 'kubefedclusters'])).toEqual([]);
      await t.apply(
        'cluster1',
        kfc('star', { disabledTLSValidations: ['*'] }),
        kfc('socks', { disabledTLSValidations: ['SubjectName'], proxyURL: 'socks5://proxy.example:1080' }),
      );
      expect(await existing(t, 'cluster1', ['-n', ns, 'kubefedclusters'])).toEqual([
        'kubefedcluster.core.kubefed.io/socks',
        'kubefedcluster.core.kubefed.io/star',
      ]);
    } finally {
      await deleteNamespace(t, 'cluster1', ns);
    }
    // This topology is cluster-scoped; a Namespaced release's hooks see only its own namespace.
    const tenant = unique('conf5-tenant');
    const rendered = await t.ok('helm', [
      'template',
      'kubefed',
      CHART,
      '--namespace',
      tenant,
      '--set',
      'global.scope=Namespaced',
    ]);
    const hooks = parseAllDocuments(rendered)
      .map((d) => d.toJS() as Obj | null)
      .filter(
        (o): o is Obj =>
          o?.kind === 'ValidatingWebhookConfiguration' || o?.kind === 'MutatingWebhookConfiguration',
      )
      .flatMap((o) => o.webhooks as { name: string; namespaceSelector?: unknown }[]);
    expect(hooks.length).toBeGreaterThanOrEqual(4);
    for (const h of hooks)
      expect(h.namespaceSelector, h.name).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': tenant } });
  });

  it('#6 a healthy member has only Ready=True/ClusterReady and kubernetesVersion = its gitVersion, re-probed every period', async () => {
    const gitVersion = await memberGitVersion(t, 'cluster2');
    for (const c of CLUSTERS) {
      const kfc = await kubeFedCluster(t, c);
      const conditions = conditionsOf(kfc);
      expect(summary(conditions), c).toEqual(['Ready=True/ClusterReady']);
      expect(conditions[0]!.message).toBe('/healthz responded with ok');
      expect(conditions[0]!.lastProbeTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    expect((await kubeFedCluster(t, 'cluster2'))?.status?.kubernetesVersion).toBe(gitVersion);
    expect((await kubeFedCluster(t, 'cluster1'))?.status?.kubernetesVersion).toBe(
      await memberGitVersion(t, 'cluster1'),
    );
    // Re-probed: the stored status is brought back to the probe's result within a period. (We
    // write status only when it changes, so lastProbeTime does not advance on an idle member.)
    // A stale stored version is replaced by the next probe, readiness untouched.
    await t.kubectl('cluster1', [
      '-n',
      t.kfns,
      'patch',
      'kubefedclusters',
      'cluster2',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { kubernetesVersion: 'v0.0.0-stale' } }),
    ]);
    const started = Date.now();
    await t.wait('the next health probe to restore kubernetesVersion of cluster2', async () => {
      const kfc = await kubeFedCluster(t, 'cluster2');
      return [
        kfc?.status?.kubernetesVersion === gitVersion && isReady(kfc),
        kfc,
        JSON.stringify(kfc?.status),
      ];
    });
    expect(Date.now() - started).toBeLessThan(40_000);
  });

  it('#7 an unreachable member has only Offline=True/ClusterNotReachable; a Secret without token gives ConfigMalformed=True and event MalformedClusterConfig', async () => {
    const offline = unique('conf7-offline');
    const malformed = unique('conf7-malformed');
    const port = await closedPort();
    const cluster2 = await kubeFedCluster(t, 'cluster2');
    const secret = (name: string, stringData: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: t.kfns },
      type: 'Opaque',
      stringData,
    });
    try {
      await t.apply(
        'cluster1',
        secret(offline, { token: 'not-a-real-token' }),
        secret(malformed, { 'not-token': 'x' }),
        {
          apiVersion: CORE,
          kind: 'KubeFedCluster',
          metadata: { name: offline, namespace: t.kfns },
          spec: { apiEndpoint: `https://127.0.0.1:${port}`, secretRef: { name: offline } },
        },
        {
          apiVersion: CORE,
          kind: 'KubeFedCluster',
          metadata: { name: malformed, namespace: t.kfns },
          spec: { ...cluster2!.spec, secretRef: { name: malformed } },
        },
      );
      const off = await t.wait(`KubeFedCluster ${offline} probed`, async () => {
        const kfc = await kubeFedCluster(t, offline);
        return [conditionsOf(kfc).length > 0, kfc, JSON.stringify(kfc?.status)];
      });
      expect(summary(conditionsOf(off))).toEqual(['Offline=True/ClusterNotReachable']);
      expect(conditionsOf(off)[0]!.message).toMatch(/^cluster is not reachable: /);
      expect(off?.status?.kubernetesVersion).toBeUndefined();

      const bad = await t.wait(`KubeFedCluster ${malformed} probed`, async () => {
        const kfc = await kubeFedCluster(t, malformed);
        return [conditionsOf(kfc).length > 0, kfc, JSON.stringify(kfc?.status)];
      });
      expect(summary(conditionsOf(bad))).toEqual(['ConfigMalformed=True/ClusterConfigMalformed']);
      expect(conditionsOf(bad)[0]!.message).toMatch(/^cluster's configuration may be malformed/);
      await t.wait(`event MalformedClusterConfig for ${malformed}`, async () => {
        const events = await t.get<{ items: { reason: string; involvedObject: { kind: string } }[] }>(
          'cluster1',
          ['-n', t.kfns, 'events', '--field-selector', `involvedObject.name=${malformed}`],
        );
        const found = (events?.items ?? []).some(
          (e) => e.reason === 'MalformedClusterConfig' && e.involvedObject.kind === 'KubeFedCluster',
        );
        return [found, events, JSON.stringify(events?.items.map((e) => e.reason))];
      });
    } finally {
      for (const name of [offline, malformed]) {
        await t
          .kubectl('cluster1', ['-n', t.kfns, 'delete', 'kubefedclusters', name, '--ignore-not-found'])
          .catch(() => '');
        await t
          .kubectl('cluster1', ['-n', t.kfns, 'delete', 'secret', name, '--ignore-not-found'])
          .catch(() => '');
      }
    }
  });

  it('#33 kubefedctl enable deployments.apps -o yaml prints the FederatedTypeConfig, then the CRD federateddeployments.types.kubefed.io (fdeploy, spec.retainReplicas), creating nothing', async () => {
    const ns = unique('conf33');
    // A KubeFed namespace of its own: the output must not depend on what is installed.
    const out = await t.kubefedctl(
      'enable',
      'deployments.apps',
      '-o',
      'yaml',
      ...HOST,
      '--kubefed-namespace',
      ns,
    );
    const docs = parseAllDocuments(out).map((d) => d.toJS() as Obj);
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      'FederatedTypeConfig/deployments.apps',
      'CustomResourceDefinition/federateddeployments.types.kubefed.io',
    ]);
    const [ftc, crd] = docs as [Obj, Obj];
    expect(ftc.apiVersion).toBe(CORE);
    expect(ftc.metadata.namespace).toBe(ns);
    expect(ftc.spec).toMatchObject({
      targetType: {
        group: 'apps',
        version: 'v1',
        kind: 'Deployment',
        pluralName: 'deployments',
        scope: 'Namespaced',
      },
      federatedType: {
        group: 'types.kubefed.io',
        version: 'v1beta1',
        kind: 'FederatedDeployment',
        pluralName: 'federateddeployments',
        scope: 'Namespaced',
      },
      propagation: 'Enabled',
    });
    const installed = await t.get('cluster1', ['-n', t.kfns, 'federatedtypeconfigs', 'deployments.apps']);
    expect(ftc.spec!.targetType).toEqual(installed?.spec?.targetType);
    expect(ftc.spec!.federatedType).toEqual(installed?.spec?.federatedType);
    const crdSpec = crd.spec as {
      group: string;
      scope: string;
      names: { kind: string; shortNames?: string[] };
      versions: {
        name: string;
        schema: {
          openAPIV3Schema: { properties: { spec: { properties: Record<string, { type?: string }> } } };
        };
      }[];
    };
    expect(crdSpec.group).toBe('types.kubefed.io');
    expect(crdSpec.scope).toBe('Namespaced');
    expect(crdSpec.names).toMatchObject({ kind: 'FederatedDeployment', shortNames: ['fdeploy'] });
    const spec = crdSpec.versions[0]!.schema.openAPIV3Schema.properties.spec.properties;
    expect(Object.keys(spec).sort()).toEqual(['overrides', 'placement', 'retainReplicas', 'template']);
    expect(spec.retainReplicas?.type).toBe('boolean');
    expect(await existing(t, 'cluster1', ['namespace', ns])).toEqual([]);
  });

  it('#34 enabling an already-federated type into another federated group fails; disable --delete-crd refuses while instances exist', async () => {
    const group = `c${unique('x').slice(2).replace(/-/g, '')}.conformance.example.io`;
    const plural = 'gizmos';
    const type = `${plural}.${group}`;
    const fedCrd = `federated${plural}.types.kubefed.io`;
    const ns = await t.federatedNamespace('conf34');
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: type },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural, singular: 'gizmo', kind: 'Gizmo', listKind: 'GizmoList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } },
              },
            },
          },
        ],
      },
    };
    try {
      for (const c of CLUSTERS) {
        await t.apply(c, crd);
        await t.kubectl(c, ['wait', '--for=condition=Established', `crd/${type}`, '--timeout=60s']);
      }
      await t.kubefedctl('enable', type, ...PLANE);
      await t.wait(`FTC ${type} Running`, async () => {
        const f = await t.get('cluster1', ['-n', t.kfns, 'federatedtypeconfigs', type]);
        return [f?.status?.propagationController === 'Running', f, JSON.stringify(f?.status)];
      });

      const again = await t.kubefedctlRun(
        'enable',
        type,
        '--federated-group',
        'other.conformance.example.io',
        ...PLANE,
      );
      expect(again.code).not.toBe(0);
      expect(again.stderr).toContain(`FederatedTypeConfig ${t.kfns}/${type} already federates`);
      expect(
        await existing(t, 'cluster1', ['crd', `federated${plural}.other.conformance.example.io`]),
      ).toEqual([]);
      expect(
        (await t.get('cluster1', ['-n', t.kfns, 'federatedtypeconfigs', type]))?.spec?.federatedType,
      ).toMatchObject({
        group: 'types.kubefed.io',
      });

      await t.apply('cluster1', {
        apiVersion: TYPES,
        kind: 'FederatedGizmo',
        metadata: { name: 'g', namespace: ns },
        spec: { template: { spec: { size: 1 } }, placement: { clusterSelector: {} } },
      });
      const refused = await t.kubefedctlRun('disable', type, '--delete-crd', ...PLANE);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(
        `cannot delete CRD ${fedCrd}: 1 FederatedGizmo object remains (1 in namespace ${ns})`,
      );
      expect(await existing(t, 'cluster1', ['crd', fedCrd])).toEqual([
        `customresourcedefinition.apiextensions.k8s.io/${fedCrd}`,
      ]);
      const kept = await t.get('cluster1', ['-n', t.kfns, 'federatedtypeconfigs', type]);
      expect(kept?.spec?.propagation).toBe('Enabled');

      await t.kubectl('cluster1', [
        '-n',
        ns,
        'delete',
        `federatedgizmos.types.kubefed.io`,
        'g',
        '--wait=true',
        '--timeout=90s',
      ]);
      const disabled = await t.kubefedctl('disable', type, '--delete-crd', ...PLANE);
      expect(disabled).toContain(`customresourcedefinition.apiextensions.k8s.io/${fedCrd} deleted`);
      expect(await existing(t, 'cluster1', ['-n', t.kfns, 'federatedtypeconfigs', type])).toEqual([]);
    } finally {
      await t.kubefedctlRun('disable', type, '--delete-crd', ...PLANE);
      await deleteNamespace(t, 'cluster1', ns);
      for (const c of CLUSTERS)
        await t.kubectl(c, ['delete', 'crd', type, '--ignore-not-found', '--wait=false']).catch(() => '');
      await t
        .kubectl('cluster1', ['delete', 'crd', fedCrd, '--ignore-not-found', '--wait=false'])
        .catch(() => '');
    }
  });

  it('#35 kubefedctl federate configmap -o yaml prints a template without metadata except labels, placed by clusterSelector.matchLabels {}', async () => {
    const ns = unique('conf35');
    await t.kubectl('cluster1', ['create', 'namespace', ns]);
    try {
      await t.kubectl('cluster1', ['-n', ns, 'create', 'configmap', 'c', '--from-literal=color=blue']);
      await t.kubectl('cluster1', ['-n', ns, 'label', 'configmap', 'c', 'app=web']);
      const out = await t.kubefedctl('federate', 'configmap', 'c', '-n', ns, '-o', 'yaml', ...PLANE);
      const docs = parseAllDocuments(out).map((d) => d.toJS() as Obj);
      expect(docs).toHaveLength(1);
      expect(docs[0]).toEqual({
        apiVersion: TYPES,
        kind: 'FederatedConfigMap',
        metadata: { name: 'c', namespace: ns },
        spec: {
          template: { metadata: { labels: { app: 'web' } }, data: { color: 'blue' } },
          placement: { clusterSelector: { matchLabels: {} } },
        },
      });
      expect(await existing(t, 'cluster1', ['-n', ns, 'federatedconfigmaps'])).toEqual([]);
      // Deliberate difference: a user annotation stays in the template (upstream drops it).
      await t.kubectl('cluster1', ['-n', ns, 'annotate', 'configmap', 'c', 'team=blue']);
      const annotated = parseAllDocuments(
        await t.kubefedctl('federate', 'configmap', 'c', '-n', ns, '-o', 'yaml', ...PLANE),
      ).map((d) => d.toJS() as Obj);
      expect((annotated[0]!.spec!.template as Obj).metadata).toEqual({
        labels: { app: 'web' },
        annotations: { team: 'blue' },
      });
    } finally {
      await deleteNamespace(t, 'cluster1', ns);
    }
  });

  it('#36 kubefedctl federate namespace --contents federates the namespace and its objects, skipping events and endpoints', async () => {
    const ns = unique('conf36');
    await t.kubectl('cluster1', ['create', 'namespace', ns]);
    try {
      await t.kubectl('cluster1', ['-n', ns, 'create', 'configmap', 'settings', '--from-literal=a=b']);
      await t.kubectl('cluster1', ['-n', ns, 'create', 'secret', 'generic', 'creds', '--from-literal=x=y']);
      await t.kubectl('cluster1', ['-n', ns, 'create', 'service', 'clusterip', 'web', '--tcp=80:8080']);
      await t.apply('cluster1', {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'settings.1', namespace: ns },
        involvedObject: { apiVersion: 'v1', kind: 'ConfigMap', name: 'settings', namespace: ns },
        reason: 'Conformance',
        message: 'an event',
        type: 'Normal',
      });
      await t.wait(`endpoints ${ns}/web`, async () => {
        const names = await existing(t, 'cluster1', ['-n', ns, 'endpoints,events']);
        return [
          names.includes('endpoints/web') && names.some((n) => n.startsWith('event/')),
          names,
          names.join(','),
        ];
      });
      const out = await t.kubefedctl('federate', 'namespace', ns, '--contents', ...PLANE);
      expect(out).not.toMatch(/federatedendpoints|federatedevent/i);
      expect(
        await existing(t, 'cluster1', [
          '-n',
          ns,
          'federatednamespaces,federatedconfigmaps,federatedsecrets,federatedservices',
        ]),
      ).toEqual(
        [
          'federatedconfigmap.types.kubefed.io/settings',
          `federatednamespace.types.kubefed.io/${ns}`,
          'federatedsecret.types.kubefed.io/creds',
          'federatedservice.types.kubefed.io/web',
        ].sort(),
      );
      const fns = await t.get('cluster1', ['-n', ns, 'federatednamespaces', ns]);
      expect(fns?.spec?.placement).toEqual({ clusterSelector: { matchLabels: {} } });
      // The contents reach the member.
      await t.wait(
        `ConfigMap ${ns}/settings in cluster2`,
        async () => {
          const cm = await t.get('cluster2', ['-n', ns, 'configmap', 'settings']);
          return [
            cm?.data !== undefined && (cm.data as Record<string, string>).a === 'b',
            cm,
            JSON.stringify(cm?.data),
          ];
        },
        90_000,
      );
    } finally {
      await deleteNamespace(t, 'cluster1', ns);
    }
  });

  it('#37 kubefedctl join creates the member ServiceAccount, token Secret and ClusterRole/Binding <cluster>-<host>, and the host Secret <cluster>-<rand> and KubeFedCluster', async () => {
    const c = unique('conf37');
    const sa = `${c}-cluster1`;
    const role = `kubefed-controller-manager:${sa}`;
    try {
      await t.kubefedctl('join', c, '--cluster-context', 'cluster2', ...PLANE);
      const account = await t.get('cluster2', ['-n', t.kfns, 'serviceaccount', sa]);
      expect(account).toBeDefined();
      const token = await t.get('cluster2', ['-n', t.kfns, 'secret', sa]);
      expect(token?.type).toBe('kubernetes.io/service-account-token');
      expect(token?.metadata.annotations?.['kubernetes.io/service-account.name']).toBe(sa);
      const clusterRole = await t.get('cluster2', ['clusterrole', role]);
      expect(clusterRole?.rules).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }),
          expect.objectContaining({ nonResourceURLs: ['*'], verbs: ['get'] }),
        ]),
      );
      const binding = await t.get('cluster2', ['clusterrolebinding', role]);
      expect(binding?.roleRef).toEqual({
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: role,
      });
      expect(binding?.subjects).toEqual([{ kind: 'ServiceAccount', name: sa, namespace: t.kfns }]);

      const kfc = await kubeFedCluster(t, c);
      const spec = kfc?.spec as { apiEndpoint: string; secretRef: { name: string } };
      expect(spec.secretRef.name).toMatch(new RegExp(`^${c}-[a-z0-9]{5}$`));
      expect(spec.apiEndpoint).toBe((await kubeFedCluster(t, 'cluster2'))?.spec?.apiEndpoint);
      const hostSecret = await t.get('cluster1', ['-n', t.kfns, 'secret', spec.secretRef.name]);
      expect((hostSecret?.data as Record<string, string>).token).toBe(
        (token?.data as Record<string, string>).token,
      );
      // The credentials work: the control plane reaches the member with them.
      await t.wait(`KubeFedCluster ${c} Ready`, async () => {
        const k = await kubeFedCluster(t, c);
        return [isReady(k), k, JSON.stringify(k?.status)];
      });
    } finally {
      await t.kubefedctlRun('unjoin', c, '--cluster-context', 'cluster2', ...PLANE, '--force');
    }
    // The member's KubeFed namespace still holds cluster2's membership: it is kept, cluster2 stays Ready.
    expect(await existing(t, 'cluster2', ['-n', t.kfns, 'serviceaccounts'])).toContain(
      'serviceaccount/cluster2-cluster1',
    );
    expect(await existing(t, 'cluster2', ['clusterrole', role])).toEqual([]);
    expect(isReady(await kubeFedCluster(t, 'cluster2'))).toBe(true);
  });

  it('#38 a Namespaced join creates a Role/RoleBinding in the KubeFed namespace and the ClusterRole kubefed-controller-manager:<ns>:healthcheck-<cluster>-<host>', async () => {
    const ns = unique('conf38');
    const sa = 'cluster2-cluster1';
    const role = `kubefed-controller-manager:${sa}`;
    const health = `kubefed-controller-manager:${ns}:healthcheck-${sa}`;
    await t.kubectl('cluster1', ['create', 'namespace', ns]);
    try {
      // As upstream, join reads the scope from the KubeFedConfig of the KubeFed namespace.
      await t.apply('cluster1', {
        apiVersion: CORE,
        kind: 'KubeFedConfig',
        metadata: { name: 'kubefed', namespace: ns },
        spec: { scope: 'Namespaced' },
      });
      await t.kubefedctl(
        'join',
        'cluster2',
        '--cluster-context',
        'cluster2',
        ...HOST,
        '--kubefed-namespace',
        ns,
      );
      expect(await existing(t, 'cluster2', ['-n', ns, 'serviceaccount,secret,role,rolebinding'])).toEqual(
        expect.arrayContaining([
          `role.rbac.authorization.k8s.io/${role}`,
          `rolebinding.rbac.authorization.k8s.io/${role}`,
          `secret/${sa}`,
          `serviceaccount/${sa}`,
        ]),
      );
      const r = await t.get('cluster2', ['-n', ns, 'role', role]);
      expect(r?.rules).toEqual([
        expect.objectContaining({ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }),
      ]);
      const hc = await t.get('cluster2', ['clusterrole', health]);
      expect(hc?.rules).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ nonResourceURLs: expect.arrayContaining(['/healthz']) as unknown }),
          expect.objectContaining({ resources: ['nodes'], verbs: ['list'] }),
        ]),
      );
      const hcb = await t.get('cluster2', ['clusterrolebinding', health]);
      expect(hcb?.subjects).toEqual([{ kind: 'ServiceAccount', name: sa, namespace: ns }]);
      // No cluster-wide grant: the shared ClusterRole of the Cluster-scoped membership is not this join's.
      const shared = await t.get('cluster2', ['clusterrolebinding', role]);
      expect(shared?.subjects).toEqual([{ kind: 'ServiceAccount', name: sa, namespace: t.kfns }]);
      expect(await kubeFedCluster(t, 'cluster2', ns)).toBeDefined();

      const unjoin = await t.kubefedctlRun(
        'unjoin',
        'cluster2',
        '--cluster-context',
        'cluster2',
        ...HOST,
        '--kubefed-namespace',
        ns,
      );
      expect(unjoin.code, unjoin.stderr).toBe(0);
      expect(await existing(t, 'cluster2', ['clusterrole', health])).toEqual([]);
      expect(await existing(t, 'cluster2', ['-n', ns, 'role,rolebinding'])).toEqual([]);
      expect(await existing(t, 'cluster1', ['-n', ns, 'kubefedclusters'])).toEqual([]);
      // Deliberate difference: the same-named cluster-wide grant of the kube-federation-system
      // membership is kept (upstream deletes it by name, breaking that membership).
      expect(unjoin.stderr).toContain(`clusterrolebinding.rbac.authorization.k8s.io/${role} and`);
      const can = await t.kubectl('cluster2', [
        'auth',
        'can-i',
        'create',
        'namespaces',
        `--as=system:serviceaccount:${t.kfns}:${sa}`,
      ]);
      expect(can.trim()).toBe('yes');
    } finally {
      await t.kubefedctlRun(
        'unjoin',
        'cluster2',
        '--cluster-context',
        'cluster2',
        ...HOST,
        '--kubefed-namespace',
        ns,
        '--force',
      );
      await deleteNamespace(t, 'cluster1', ns);
      await deleteNamespace(t, 'cluster2', ns);
    }
    expect(isReady(await kubeFedCluster(t, 'cluster2'))).toBe(true);
  });

  it('#39 join fails when the member ServiceAccount exists, and succeeds with --error-on-existing=false', async () => {
    const ns = unique('conf39');
    const c = unique('conf39');
    const sa = `${c}-cluster1`;
    const role = `kubefed-controller-manager:${sa}`;
    const join = (...extra: string[]) =>
      t.kubefedctlRun(
        'join',
        c,
        '--cluster-context',
        'cluster2',
        ...HOST,
        '--kubefed-namespace',
        ns,
        ...extra,
      );
    await t.kubectl('cluster1', ['create', 'namespace', ns]);
    try {
      await t.apply('cluster1', {
        apiVersion: CORE,
        kind: 'KubeFedConfig',
        metadata: { name: 'kubefed', namespace: ns },
        spec: { scope: 'Cluster' },
      });
      await t.kubectl('cluster2', ['create', 'namespace', ns]);
      await t.kubectl('cluster2', ['-n', ns, 'create', 'serviceaccount', sa]);
      const refused = await join();
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(`serviceaccount/${sa}`);
      expect(refused.stderr).toContain('--error-on-existing=false');
      expect(await existing(t, 'cluster1', ['-n', ns, 'kubefedclusters'])).toEqual([]);
      expect(await existing(t, 'cluster2', ['clusterrole', role])).toEqual([]);

      const r = await join('--error-on-existing=false');
      expect(r.code, r.stderr).toBe(0);
      const account = await t.get('cluster2', ['-n', ns, 'serviceaccount', sa]);
      expect(account?.metadata.annotations?.['kubernetes.io/enforce-mountable-secrets']).toBe('true');
      expect(await existing(t, 'cluster2', ['clusterrole', role])).toEqual([
        `clusterrole.rbac.authorization.k8s.io/${role}`,
      ]);
      expect(await existing(t, 'cluster1', ['-n', ns, 'kubefedclusters'])).toEqual([
        `kubefedcluster.core.kubefed.io/${c}`,
      ]);
    } finally {
      await t.kubefedctlRun(
        'unjoin',
        c,
        '--cluster-context',
        'cluster2',
        ...HOST,
        '--kubefed-namespace',
        ns,
        '--force',
      );
      await deleteNamespace(t, 'cluster1', ns);
      await deleteNamespace(t, 'cluster2', ns);
    }
  });

  it('#40 unjoin removes the RBAC, ServiceAccount, member KubeFed namespace, host Secret and KubeFedCluster; propagated workloads stay', async () => {
    const ns = await t.federatedNamespace('conf40');
    const sa = 'cluster2-cluster1';
    const role = `kubefed-controller-manager:${sa}`;
    const rejoin = async () => {
      await t.wait(
        `namespace ${t.kfns} gone from cluster2`,
        async () => {
          const n = await t.get('cluster2', ['namespace', t.kfns]);
          return [n === undefined, n, JSON.stringify(n?.metadata)];
        },
        120_000,
      );
      if (!(await kubeFedCluster(t, 'cluster2')))
        await t.kubefedctl(
          'join',
          'cluster2',
          '--cluster-context=cluster2',
          '--host-cluster-context=cluster1',
          `--kubefed-namespace=${t.kfns}`,
        );
      await t.wait(
        'KubeFedCluster cluster2 Ready again',
        async () => {
          const k = await kubeFedCluster(t, 'cluster2');
          return [isReady(k), k, JSON.stringify(k?.status)];
        },
        120_000,
      );
    };
    let unjoined = false;
    try {
      await t.apply('cluster1', {
        apiVersion: TYPES,
        kind: 'FederatedConfigMap',
        metadata: { name: 'workload', namespace: ns },
        spec: { template: { data: { v: '1' } }, placement: { clusters: [{ name: 'cluster2' }] } },
      });
      await t.wait(
        `ConfigMap ${ns}/workload in cluster2`,
        async () => {
          const cm = await t.get('cluster2', ['-n', ns, 'configmap', 'workload']);
          return [cm !== undefined, cm, ''];
        },
        90_000,
      );
      const secretName = ((await kubeFedCluster(t, 'cluster2'))?.spec as { secretRef: { name: string } })
        .secretRef.name;

      unjoined = true;
      await t.kubefedctl(
        'unjoin',
        'cluster2',
        '--cluster-context=cluster2',
        '--host-cluster-context=cluster1',
        `--kubefed-namespace=${t.kfns}`,
      );
      expect(await existing(t, 'cluster2', ['clusterrole', role])).toEqual([]);
      expect(await existing(t, 'cluster2', ['clusterrolebinding', role])).toEqual([]);
      const memberNs = await t.get('cluster2', ['namespace', t.kfns]);
      expect(memberNs === undefined || Boolean(memberNs.metadata.deletionTimestamp)).toBe(true);
      expect(await existing(t, 'cluster2', ['-n', t.kfns, 'serviceaccount', sa])).toEqual([]);
      expect(await kubeFedCluster(t, 'cluster2')).toBeUndefined();
      expect(await existing(t, 'cluster1', ['-n', t.kfns, 'secret', secretName])).toEqual([]);
      // The host keeps its KubeFed namespace (the chart's), and the member keeps the workloads.
      expect(await existing(t, 'cluster1', ['namespace', t.kfns])).toEqual([`namespace/${t.kfns}`]);
      expect((await t.get('cluster2', ['-n', ns, 'configmap', 'workload']))?.data).toEqual({ v: '1' });
      expect(await existing(t, 'cluster2', ['namespace', ns])).toEqual([`namespace/${ns}`]);

      await rejoin();
      unjoined = false;
      // Propagation to the re-joined member works again.
      await t.kubectl('cluster1', [
        '-n',
        ns,
        'patch',
        'federatedconfigmaps',
        'workload',
        '--type=merge',
        '-p',
        JSON.stringify({ spec: { template: { data: { v: '2' } } } }),
      ]);
      await t.wait(
        'the re-joined cluster2 to receive the update',
        async () => {
          const cm = await t.get('cluster2', ['-n', ns, 'configmap', 'workload']);
          const f = await t.get('cluster1', ['-n', ns, 'federatedconfigmaps', 'workload']);
          const ok =
            (cm?.data as Record<string, string> | undefined)?.v === '2' &&
            propagationOf(f)?.status === 'True';
          return [ok, cm, JSON.stringify({ data: cm?.data, status: f?.status })];
        },
        120_000,
      );
    } finally {
      if (unjoined) await rejoin();
      await deleteNamespace(t, 'cluster1', ns);
    }
  });

  it('#41 orphaning-deletion status prints Enabled/Disabled and enable/disable toggle kubefed.io/orphan; get clusters is an addition', async () => {
    const ns = unique('conf41');
    await t.kubectl('cluster1', ['create', 'namespace', ns]);
    const orphan = async () =>
      (await t.get('cluster1', ['-n', ns, 'federatedconfigmaps', 'cm']))?.metadata.annotations?.[
        'kubefed.io/orphan'
      ];
    try {
      await t.apply('cluster1', {
        apiVersion: TYPES,
        kind: 'FederatedConfigMap',
        metadata: { name: 'cm', namespace: ns },
        spec: { template: { data: { a: 'b' } }, placement: { clusters: [] } },
      });
      const od = (...args: string[]) => t.kubefedctl('orphaning-deletion', ...args, 'cm', '-n', ns, ...PLANE);
      expect(await od('status', 'FederatedConfigMap')).toBe('Disabled\n');
      await od('enable', 'FederatedConfigMap');
      expect(await orphan()).toBe('true');
      expect(await od('status', 'federatedconfigmaps')).toBe('Enabled\n');
      await od('disable', 'FederatedConfigMap');
      expect(await orphan()).toBeUndefined();
      expect(await od('status', 'FederatedConfigMap')).toBe('Disabled\n');
    } finally {
      await deleteNamespace(t, 'cluster1', ns);
    }
    // Upstream has no `get clusters` (users read `kubectl get kubefedclusters`); ours adds it.
    const table = await t.kubefedctl('get', 'clusters', ...PLANE);
    const rows = table.trim().split('\n');
    expect(rows[0]!.split(/\s+/).slice(0, 2)).toEqual(['NAME', 'READY']);
    for (const c of CLUSTERS)
      expect(
        rows.some((r) => new RegExp(`^${c}\\s+True\\s`).test(r)),
        table,
      ).toBe(true);
    // Upstream's way: kubectl's table starts NAME, AGE, READY, KUBERNETES-VERSION, so a script
    // reading it by position (awk '{print $3}') reads the same cells; our columns come after.
    const wide = await t.kubectl('cluster1', ['-n', t.kfns, 'get', 'kubefedclusters']);
    const headerLine = wide.split('\n')[0]!;
    const header = headerLine.split(/\s+/).filter(Boolean);
    expect(header.slice(0, 4)).toEqual(['NAME', 'AGE', 'READY', 'KUBERNETES-VERSION']);
    // Cells may be empty (REGION, ZONES): read a column at its header's offset.
    const col = (row: string, name: string) =>
      row.slice(headerLine.search(new RegExp(`\\b${name}\\b`))).split(/\s+/)[0];
    for (const c of CLUSTERS) {
      const row = wide.split('\n').find((r) => r.startsWith(`${c} `))!;
      expect(col(row, 'READY'), row).toBe('True');
      expect(col(row, 'KUBERNETES-VERSION'), row).toMatch(/^v1\./);
    }
  });

  it('#43 the controller manager exposes kubefedcluster_total and controller_runtime_reconcile_total on /metrics and answers /healthz', async () => {
    const text = await t.wait('metrics with every cluster and a reconcile', async () => {
      const res = await fetch(metricsUrl(t, '/metrics'));
      const body = await res.text();
      const ok =
        res.status === 200 &&
        CLUSTERS.every((c) =>
          new RegExp(`^kubefedcluster_total\\{[^}]*cluster="${c}"[^}]*\\} 1$`, 'm').test(body),
        ) &&
        /^controller_runtime_reconcile_total\{[^}]*controller="[^"]+"[^}]*result="success"[^}]*\} \d+/m.test(
          body,
        );
      return [
        ok,
        body,
        body
          .split('\n')
          .filter((l) => /kubefedcluster_total|reconcile_total/.test(l))
          .join('\n'),
      ];
    });
    for (const c of CLUSTERS)
      expect(text).toMatch(
        new RegExp(
          `^kubefedcluster_total\\{[^}]*state="ready"[^}]*cluster="${c}"|^kubefedcluster_total\\{[^}]*cluster="${c}"[^}]*state="ready"`,
          'm',
        ),
      );
    const health = await fetch(metricsUrl(t, '/healthz'));
    expect(health.status).toBe(200);
    expect((await health.text()).trim().toLowerCase()).toBe('ok');
  });
}
