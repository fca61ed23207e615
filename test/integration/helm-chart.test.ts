/**
 * The Helm chart charts/kubefed: `helm lint`, `helm template` over the main value combinations
 * (parsed and asserted structurally), and a real install into cluster1 in a namespace of this run
 * (Namespaced scope, so nothing cluster-wide of other tests is touched). No container runs here,
 * so the control plane runs as local processes under the chart's own identity: the controller
 * manager with a TokenRequest token of the chart's ServiceAccount, the webhook server with the
 * chart's generated serving certificate, reached through the chart's webhook configurations
 * (`controllermanager.webhook.url`). Join, propagation to cluster2 and a refused invalid object
 * prove the RBAC and the webhook wiring; `auth can-i` and a real request prove the RBAC is no
 * broader than the namespace. Then upgrade and uninstall, which leaves nothing of the release.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { tokenKubeconfig } from '../../src/cli/local/install.js';
import { freePorts } from '../../src/cli/local/ports.js';
import { defaultTypeConfigs } from '../../src/federation/typeconfig.js';
import type { KubeObject } from '../../src/kube/resource.js';
import { getObject, propagation, waitFor } from '../support/control-plane.js';
import { helm as runHelm, installCrds, kubectl, REPO_ROOT, run, uniqueName } from '../support/local.js';

const CHART = path.join(REPO_ROOT, 'charts', 'kubefed');
const MANAGER = path.join(REPO_ROOT, 'dist', 'cli', 'controller-manager.js');
const WEBHOOK = path.join(REPO_ROOT, 'dist', 'cli', 'webhook.js');
const KUBEFEDCTL = path.join(REPO_ROOT, 'dist', 'cli', 'kubefedctl', 'main.js');

/** helm against cluster1 of the shared local clusters (HELM_* state in a temp dir of this run). */
const helmHome = mkdtempSync(path.join(tmpdir(), 'kubefed-helm-'));
const helm = (args: readonly string[]) => runHelm(helmHome, args, { timeoutMs: 150_000 });

async function helmOk(args: readonly string[]): Promise<string> {
  const r = await helm(args);
  if (r.code !== 0) throw new Error(`helm ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
type Obj = KubeObject & Record<string, unknown>;

/** `helm template` of the chart, parsed. */
async function render(
  sets: Record<string, string> = {},
  namespace = 'kube-federation-system',
): Promise<Obj[]> {
  const out = await helmOk([
    'template',
    'kubefed',
    CHART,
    '--namespace',
    namespace,
    ...Object.entries(sets).flatMap(([k, v]) => ['--set', `${k}=${v}`]),
  ]);
  return parseAllDocuments(out)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

const ids = (objs: Obj[]) => objs.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const find = (objs: Obj[], kind: string, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} rendered; rendered: ${ids(objs).join(', ')}`);
  return o;
};
const CLUSTER_KINDS = new Set([
  'ClusterRole',
  'ClusterRoleBinding',
  'Namespace',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
]);
const rules = (o: Obj) => o.rules as Rule[];
/** Every (group, resource, verb) a set of rules grants. */
const grants = (rs: Rule[]) =>
  new Set(
    rs.flatMap((r) =>
      r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}|${res}|${v}`))),
    ),
  );

interface Webhook {
  name: string;
  clientConfig: {
    url?: string;
    service?: { name: string; namespace: string; path: string };
    caBundle: string;
  };
  rules: { apiGroups: string[]; resources: string[]; operations: string[]; scope: string }[];
  failurePolicy: string;
  namespaceSelector?: { matchLabels: Record<string, string> };
}
interface Container {
  command: string[];
  args: string[];
  image: string;
  livenessProbe: { httpGet: unknown };
  readinessProbe: { httpGet: unknown };
}
interface PodSpec {
  serviceAccountName: string;
  securityContext: { runAsNonRoot?: boolean };
  containers: Container[];
}
const podOf = (o: Obj) => (o.spec as { template: { spec: PodSpec } }).template.spec;
const webhooks = (o: Obj) => o.webhooks as Webhook[];
const pathOf = (w: Webhook) => w.clientConfig.service?.path ?? new URL(w.clientConfig.url!).pathname;

describe('helm chart: lint and rendering', () => {
  it('passes helm lint in both scopes, with and without the webhook', async () => {
    for (const sets of [[], ['global.scope=Namespaced'], ['controllermanager.webhook.enabled=false']]) {
      const r = await helm(['lint', CHART, ...sets.flatMap((s) => ['--set', s])]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('0 chart(s) failed');
      expect(r.stdout).not.toMatch(/\[(ERROR|WARNING)\]/);
    }
  });

  it('renders a cluster-scoped control plane by default', async () => {
    const ns = 'kube-federation-system';
    const objs = await render();
    expect(ids(objs)).toEqual(
      [
        'ClusterRole/kubefed-role',
        'ClusterRoleBinding/kubefed-rolebinding',
        'Deployment/kubefed-admission-webhook',
        'Deployment/kubefed-controller-manager',
        'KubeFedConfig/kubefed',
        'MutatingWebhookConfiguration/mutation.core.kubefed.io',
        'Role/kubefed-admission-webhook-role',
        'Role/kubefed-config-role',
        'RoleBinding/kubefed-admission-webhook-rolebinding',
        'RoleBinding/kubefed-config-rolebinding',
        'Secret/kubefed-admission-webhook-serving-cert',
        'Service/kubefed-admission-webhook',
        'Service/kubefed-controller-manager-metrics-service',
        'ServiceAccount/kubefed-admission-webhook',
        'ServiceAccount/kubefed-controller',
        'ValidatingWebhookConfiguration/validations.core.kubefed.io',
        ...defaultTypeConfigs().map((f) => `FederatedTypeConfig/${f.metadata.name}`),
      ].sort(),
    );
    for (const o of objs) {
      expect(o.metadata.labels?.['app.kubernetes.io/instance'], `${o.kind}/${o.metadata.name}`).toBe(
        'kubefed',
      );
      if (!CLUSTER_KINDS.has(o.kind!)) expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBe(ns);
    }
    // Every default FTC, as generated from src/api.
    const ftcs = objs.filter((o) => o.kind === 'FederatedTypeConfig');
    expect(ftcs.map((f) => f.spec)).toEqual(defaultTypeConfigs().map((f) => f.spec));

    const config = find(objs, 'KubeFedConfig', 'kubefed').spec as Record<string, Record<string, unknown>>;
    expect(config.scope).toBe('Cluster');
    expect(config.clusterHealthCheck).toEqual({
      period: '10s',
      failureThreshold: 3,
      successThreshold: 1,
      timeout: '3s',
    });
    expect(config.leaderElect).toEqual({ leaseDuration: '15s', renewDeadline: '10s', retryPeriod: '5s' });
    expect(config.featureGates).toEqual([
      { name: 'PushReconciler', configuration: 'Enabled' },
      { name: 'RawResourceStatusCollection', configuration: 'Disabled' },
      { name: 'SchedulerPreferences', configuration: 'Enabled' },
    ]);

    // RBAC: the KubeFed APIs and Namespaces cluster-wide; Secrets and Leases only in the namespace.
    const cluster = grants(rules(find(objs, 'ClusterRole', 'kubefed-role')));
    for (const g of [
      'core.kubefed.io|kubefedclusters/status|update',
      'core.kubefed.io|federatedtypeconfigs|patch',
      'core.kubefed.io|kubefedconfigs|create',
      'core.kubefed.io|clusterpropagatedversions|create',
      'types.kubefed.io|*|update',
      'scheduling.kubefed.io|replicaschedulingpreferences/status|update',
      '|namespaces|get',
      '|events|create',
    ])
      expect(cluster, g).toContain(g);
    expect([...cluster].filter((g) => g.includes('secrets') || g.includes('leases'))).toEqual([]);
    const binding = find(objs, 'ClusterRoleBinding', 'kubefed-rolebinding');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'kubefed-controller', namespace: ns }]);
    const config_ = grants(rules(find(objs, 'Role', 'kubefed-config-role')));
    expect(config_).toContain('|secrets|get');
    expect(config_).toContain('coordination.k8s.io|leases|update');
    expect(config_).not.toContain('|secrets|create');
    // The webhook only reads FederatedTypeConfigs, in the namespace.
    expect([...grants(rules(find(objs, 'Role', 'kubefed-admission-webhook-role')))].sort()).toEqual([
      'core.kubefed.io|federatedtypeconfigs|get',
      'core.kubefed.io|federatedtypeconfigs|list',
      'core.kubefed.io|federatedtypeconfigs|watch',
    ]);
    expect(find(objs, 'RoleBinding', 'kubefed-admission-webhook-rolebinding').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'kubefed-admission-webhook', namespace: ns },
    ]);

    // The controller manager: flags it has, leader election on, probes on the metrics address.
    const manager = find(objs, 'Deployment', 'kubefed-controller-manager');
    expect((manager.spec as { replicas: number }).replicas).toBe(2);
    const pod = podOf(manager);
    expect(pod.serviceAccountName).toBe('kubefed-controller');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    const c = pod.containers[0]!;
    expect(c.command).toEqual(['kubefed-controller-manager']);
    expect(c.args).toEqual([
      `--kubefed-namespace=${ns}`,
      '--scope=Cluster',
      '--metrics-addr=:9090',
      '--log-level=info',
      '--member-qps=20',
      '--member-burst=30',
    ]);
    expect(c.args).not.toContain('--no-leader-elect');
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(c.image).toBe('kubefed-ts:0.1.0');
    const help = await run(process.execPath, [MANAGER, '--help']);
    for (const flag of c.args) expect(help.stdout).toContain(flag.split('=')[0]);

    // The webhook: server flags, HTTPS readiness, certificate signed by the CA in every caBundle.
    const w = podOf(find(objs, 'Deployment', 'kubefed-admission-webhook')).containers[0]!;
    expect(w.command).toEqual(['kubefed-webhook']);
    expect(w.args).toEqual(
      expect.arrayContaining([
        '--secure-port=8443',
        '--bind-address=0.0.0.0',
        '--cert-dir=/var/serving-cert',
        `--kubefed-namespace=${ns}`,
      ]),
    );
    expect(w.readinessProbe.httpGet).toEqual({
      path: '/readyz',
      port: 'https',
      scheme: 'HTTPS',
    });
    const secret = find(objs, 'Secret', 'kubefed-admission-webhook-serving-cert').data as Record<
      string,
      string
    >;
    const ca = new X509Certificate(Buffer.from(secret['ca.crt']!, 'base64'));
    const leaf = new X509Certificate(Buffer.from(secret['tls.crt']!, 'base64'));
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.subjectAltName).toContain(`DNS:kubefed-admission-webhook.${ns}.svc`);
    const validating = webhooks(find(objs, 'ValidatingWebhookConfiguration', 'validations.core.kubefed.io'));
    const mutating = webhooks(find(objs, 'MutatingWebhookConfiguration', 'mutation.core.kubefed.io'));
    expect(validating.map(pathOf).sort()).toEqual(
      [
        '/validate-federated',
        '/validate-federatedtypeconfigs',
        '/validate-kubefedcluster',
        '/validate-kubefedconfig',
        '/validate-replicaschedulingpreferences',
      ].sort(),
    );
    expect(mutating.map(pathOf)).toEqual(['/default-kubefedconfig', '/mutate-federated']);
    for (const w of [...validating, ...mutating]) {
      expect(w.clientConfig.service).toMatchObject({ name: 'kubefed-admission-webhook', namespace: ns });
      expect(w.clientConfig.caBundle).toBe(secret['ca.crt']);
      // The sync finalizer has a fallback (the controller adds it): a hook that is down never blocks.
      expect(w.failurePolicy, pathOf(w)).toBe(pathOf(w) === '/mutate-federated' ? 'Ignore' : 'Fail');
      expect(w.namespaceSelector).toBeUndefined();
    }
    expect(mutating.find((w) => pathOf(w) === '/mutate-federated')!.rules).toEqual([
      {
        apiGroups: ['types.kubefed.io'],
        apiVersions: ['*'],
        operations: ['CREATE'],
        resources: ['*'],
        scope: '*',
      },
    ]);
    const federated = validating.find((w) => pathOf(w) === '/validate-federated')!;
    expect(federated.rules).toEqual([
      {
        apiGroups: ['types.kubefed.io'],
        apiVersions: ['*'],
        operations: ['CREATE', 'UPDATE'],
        resources: ['*'],
        scope: '*',
      },
    ]);
  });

  it('renders a namespace-scoped control plane with Roles only and suffixed webhook configurations', async () => {
    const ns = 'kf-tenant';
    const objs = await render({ 'global.scope': 'Namespaced' }, ns);
    const clusterWide = objs.filter((o) => CLUSTER_KINDS.has(o.kind!));
    expect(ids(clusterWide)).toEqual([
      `MutatingWebhookConfiguration/mutation.core.kubefed.io-${ns}`,
      `ValidatingWebhookConfiguration/validations.core.kubefed.io-${ns}`,
    ]);
    for (const o of objs.filter((x) => !CLUSTER_KINDS.has(x.kind!))) expect(o.metadata.namespace).toBe(ns);
    expect((find(objs, 'KubeFedConfig', 'kubefed').spec as { scope: string }).scope).toBe('Namespaced');
    const role = grants(rules(find(objs, 'Role', 'kubefed-role')));
    expect(
      [...role].filter((g) => g.includes('namespaces') || g.includes('clusterpropagatedversions')),
    ).toEqual([]);
    expect(find(objs, 'RoleBinding', 'kubefed-rolebinding').roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: 'kubefed-role',
    });
    // The cluster-scoped role grants everything the namespaced one does.
    const cluster = grants(rules(find(await render({}, ns), 'ClusterRole', 'kubefed-role')));
    for (const g of role) expect(cluster, g).toContain(g);

    const manager = find(objs, 'Deployment', 'kubefed-controller-manager');
    expect(JSON.stringify(manager)).toContain('--scope=Namespaced');
    for (const kind of ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'])
      for (const w of webhooks(objs.find((o) => o.kind === kind)!)) {
        expect(w.namespaceSelector).toEqual({ matchLabels: { 'kubernetes.io/metadata.name': ns } });
        for (const r of w.rules) expect(r.scope).toBe('Namespaced');
      }
  });

  it('renders no webhook objects when the webhook is off', async () => {
    const objs = await render({ 'controllermanager.webhook.enabled': 'false' });
    expect(ids(objs).filter((i) => /webhook|Webhook/.test(i))).toEqual([]);
    expect(ids(objs)).toContain('Deployment/kubefed-controller-manager');
  });

  it('points the webhook configurations at webhook.url, with a certificate for its host', async () => {
    const objs = await render({
      'controllermanager.webhook.url': 'https://127.0.0.1:18443/',
      'controllermanager.webhook.failurePolicy': 'Ignore',
    });
    expect(ids(objs)).not.toContain('Deployment/kubefed-admission-webhook');
    expect(ids(objs)).not.toContain('Service/kubefed-admission-webhook');
    const secret = find(objs, 'Secret', 'kubefed-admission-webhook-serving-cert').data as Record<
      string,
      string
    >;
    const leaf = new X509Certificate(Buffer.from(secret['tls.crt']!, 'base64'));
    expect(leaf.subjectAltName).toContain('IP Address:127.0.0.1');
    const all = [
      ...webhooks(find(objs, 'ValidatingWebhookConfiguration', 'validations.core.kubefed.io')),
      ...webhooks(find(objs, 'MutatingWebhookConfiguration', 'mutation.core.kubefed.io')),
    ];
    for (const w of all) {
      expect(w.clientConfig.service).toBeUndefined();
      expect(w.clientConfig.url).toBe(`https://127.0.0.1:18443${pathOf(w)}`);
      expect(w.failurePolicy).toBe('Ignore');
    }
  });

  it('installs into kube-federation-system when released into "default", creating that namespace', async () => {
    const objs = await render({}, 'default');
    expect(find(objs, 'Namespace', 'kube-federation-system')).toBeDefined();
    for (const o of objs.filter((x) => !CLUSTER_KINDS.has(x.kind!)))
      expect(o.metadata.namespace).toBe('kube-federation-system');
    expect(ids(await render({}, 'other')).filter((i) => i.startsWith('Namespace/'))).toEqual([]);
    const explicit = await render({ kubefedNamespace: 'fed-x' }, 'default');
    expect(find(explicit, 'KubeFedConfig', 'kubefed').metadata.namespace).toBe('fed-x');
  });

  it('passes the member client rate limit for a big fleet to the controller manager', async () => {
    const objs = await render({
      'controllermanager.controller.memberQps': '200',
      'controllermanager.controller.memberBurst': '400',
    });
    const args = podOf(find(objs, 'Deployment', 'kubefed-controller-manager')).containers[0]!.args;
    expect(args).toEqual(expect.arrayContaining(['--member-qps=200', '--member-burst=400']));
  });

  it('turns the dashboard on: loopback by default with Events readable, token reviews only when exposed', async () => {
    const managerArgs = (objs: Obj[]) =>
      podOf(find(objs, 'Deployment', 'kubefed-controller-manager')).containers[0]!.args;
    const off = await render();
    expect(managerArgs(off).some((a) => a.startsWith('--dashboard-addr'))).toBe(false);
    expect(grants(rules(find(off, 'ClusterRole', 'kubefed-role')))).not.toContain('|events|list');

    const loopback = await render({ 'controllermanager.controller.dashboard.enabled': 'true' });
    expect(managerArgs(loopback)).toContain('--dashboard-addr=8090');
    expect(grants(rules(find(loopback, 'ClusterRole', 'kubefed-role')))).toContain('|events|list');
    expect(loopback.filter((o) => o.metadata.name?.startsWith('kubefed-dashboard-auth'))).toEqual([]);

    for (const [namespace, suffix] of [
      ['kube-federation-system', ''],
      ['fed-ns', '-fed-ns'],
    ] as const) {
      const exposed = await render(
        {
          'controllermanager.controller.dashboard.enabled': 'true',
          'controllermanager.controller.dashboard.addr': '0.0.0.0:8090',
          ...(suffix ? { 'global.scope': 'Namespaced' } : {}),
        },
        namespace,
      );
      const pod = podOf(find(exposed, 'Deployment', 'kubefed-controller-manager'));
      expect(pod.containers[0]!.args).toContain('--dashboard-addr=0.0.0.0:8090');
      expect((pod.containers[0] as unknown as { ports: unknown[] }).ports).toContainEqual({
        name: 'dashboard',
        containerPort: 8090,
        protocol: 'TCP',
      });
      const auth = find(exposed, 'ClusterRole', `kubefed-dashboard-auth${suffix}`);
      expect([...grants(rules(auth))].sort()).toEqual([
        'authentication.k8s.io|tokenreviews|create',
        'authorization.k8s.io|subjectaccessreviews|create',
      ]);
      expect(find(exposed, 'ClusterRoleBinding', `kubefed-dashboard-auth${suffix}`).subjects).toEqual([
        { kind: 'ServiceAccount', name: 'kubefed-controller', namespace },
      ]);
    }
  });

  it('turns propagation policies on in cluster scope only, with host-wide read and patch', async () => {
    const managerArgs = (objs: Obj[]) =>
      podOf(find(objs, 'Deployment', 'kubefed-controller-manager')).containers[0]!.args;
    const off = await render();
    expect(managerArgs(off)).not.toContain('--propagation-policies');
    const offGrants = grants(rules(find(off, 'ClusterRole', 'kubefed-role')));
    expect([...offGrants].filter((g) => g.startsWith('*|') || g.startsWith('policy.kubefed.io'))).toEqual([]);
    expect(offGrants).not.toContain('types.kubefed.io|*|delete');

    const on = await render({ 'controllermanager.controller.propagationPolicies.enabled': 'true' });
    expect(managerArgs(on)).toContain('--propagation-policies');
    const onGrants = grants(rules(find(on, 'ClusterRole', 'kubefed-role')));
    for (const g of [
      'policy.kubefed.io|propagationpolicies|watch',
      'policy.kubefed.io|clusterpropagationpolicies/status|update',
      'types.kubefed.io|*|delete',
      '*|*|list',
      '*|*|patch',
    ])
      expect(onGrants, g).toContain(g);
    expect(onGrants).not.toContain('*|*|create');
    const help = await run(process.execPath, [MANAGER, '--help']);
    expect(help.stdout).toContain('--propagation-policies');

    const namespaced = await render(
      { 'controllermanager.controller.propagationPolicies.enabled': 'true', 'global.scope': 'Namespaced' },
      'kf-tenant',
    );
    expect(managerArgs(namespaced)).not.toContain('--propagation-policies');
    expect(
      [...grants(rules(find(namespaced, 'Role', 'kubefed-role')))].filter((g) => g.startsWith('*|')),
    ).toEqual([]);
  });

  it('leaves out the default FederatedTypeConfigs when federatedTypeConfigs.enabled=false', async () => {
    const objs = await render({ 'federatedTypeConfigs.enabled': 'false' });
    expect(objs.filter((o) => o.kind === 'FederatedTypeConfig')).toEqual([]);
  });

  it('refuses a bad scope or failure policy with a message naming the value', async () => {
    const scope = await helm(['template', 'kubefed', CHART, '--set', 'global.scope=Global']);
    expect(scope.code).not.toBe(0);
    expect(scope.stderr).toContain('global.scope: "Global" is not a scope; set it to Cluster or Namespaced');
    const policy = await helm([
      'template',
      'kubefed',
      CHART,
      '--set',
      'controllermanager.webhook.failurePolicy=Never',
    ]);
    expect(policy.code).not.toBe(0);
    expect(policy.stderr).toContain('controllermanager.webhook.failurePolicy: "Never"');
  });
});

/** GET https://127.0.0.1:port/readyz trusting only `ca`. */
function readyz(port: number, ca: Buffer): Promise<number> {
  return new Promise((resolve) => {
    https
      .get({ host: '127.0.0.1', port, path: '/readyz', ca, timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', () => resolve(0));
  });
}

describe('helm chart: namespace-scoped install on cluster1, control plane under the chart identity', () => {
  const ns = uniqueName('kf-helm');
  const release = ns;
  const hostName = `h${ns.slice(-8)}`;
  const dir = mkdtempSync(path.join(tmpdir(), 'kubefed-helm-run-'));
  const managerKubeconfig = path.join(dir, 'kubeconfig');
  const webhookKubeconfig = path.join(dir, 'webhook-kubeconfig');
  const certDir = path.join(dir, 'cert');
  let webhookPort = 0;
  let metricsPort = 0;
  let manager: ChildProcess | undefined;
  let webhook: ChildProcess | undefined;
  let managerLog = '';
  let webhookLog = '';
  let servingCert = '';

  const asChart = (args: readonly string[]) =>
    run(inject('kubectl'), ['--kubeconfig', managerKubeconfig, ...args]);
  const kubefedctl = (...args: string[]) =>
    run(process.execPath, [KUBEFEDCTL, ...args, '--kubeconfig', inject('kubeconfig')], {
      timeoutMs: 150_000,
    });
  /** Fails the wait at once, with its log, when a local process of the control plane died. */
  const assertRunning = () => {
    for (const [name, p, log] of [
      ['kubefed-controller-manager', manager, managerLog],
      ['kubefed-webhook', webhook, webhookLog],
    ] as const)
      if (p && (p.exitCode !== null || p.signalCode !== null))
        throw new Error(`${name} exited (${p.exitCode ?? p.signalCode}): ${log.slice(-2000)}`);
  };
  const stop = async (p: ChildProcess | undefined) => {
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  };

  beforeAll(async () => {
    [webhookPort = 0, metricsPort = 0] = await freePorts(2);
    // --skip-crds: the CRDs are cluster-wide and installed here, not by this release (on clusters
    // fresh for this file alone, no other test has installed them yet).
    await installCrds();
    await helmOk([
      'install',
      release,
      CHART,
      '--namespace',
      ns,
      '--create-namespace',
      '--skip-crds',
      '--set',
      'global.scope=Namespaced',
      '--set',
      `controllermanager.webhook.url=https://127.0.0.1:${webhookPort}`,
      '--set',
      'controllermanager.clusterHealthCheckPeriod=1s',
      '--set',
      'controllermanager.clusterAvailableDelay=1s',
      '--set',
      'controllermanager.clusterUnavailableDelay=1s',
    ]);

    // The webhook server, serving the chart's generated certificate at webhook.url.
    const secret = JSON.parse(
      await kubectl('cluster1', [
        '-n',
        ns,
        'get',
        'secret',
        'kubefed-admission-webhook-serving-cert',
        '-o',
        'json',
      ]),
    ) as { data: Record<string, string> };
    servingCert = secret.data['tls.crt']!;
    mkdirSync(certDir);
    for (const f of ['tls.crt', 'tls.key'])
      writeFileSync(path.join(certDir, f), Buffer.from(secret.data[f]!, 'base64'));
    // Kubeconfigs holding only a TokenRequest token of one of the chart's ServiceAccounts.
    const admin = JSON.parse(
      await kubectl('cluster1', ['config', 'view', '--raw', '--minify', '-o', 'json']),
    ) as { clusters: { cluster: { server: string; 'certificate-authority-data': string } }[] };
    const { server, 'certificate-authority-data': caData } = admin.clusters[0]!.cluster;
    const writeTokenKubeconfig = async (file: string, serviceAccount: string) => {
      const token = (
        await kubectl('cluster1', ['-n', ns, 'create', 'token', serviceAccount, '--duration', '2h'])
      ).trim();
      writeFileSync(file, tokenKubeconfig({ server, caData }, serviceAccount, token, ns), { mode: 0o600 });
    };
    await writeTokenKubeconfig(managerKubeconfig, 'kubefed-controller');
    await writeTokenKubeconfig(webhookKubeconfig, 'kubefed-admission-webhook');
    webhook = spawn(
      process.execPath,
      [
        WEBHOOK,
        '--secure-port',
        String(webhookPort),
        '--bind-address',
        '127.0.0.1',
        '--cert-dir',
        certDir,
        // The chart's webhook identity: it reads the FederatedTypeConfigs for the sync finalizer.
        '--kubeconfig',
        webhookKubeconfig,
        '--kubefed-namespace',
        ns,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const onWebhookLog = (d: Buffer) => (webhookLog = (webhookLog + d.toString()).slice(-100_000));
    webhook.stdout!.on('data', onWebhookLog);
    webhook.stderr!.on('data', onWebhookLog);
    const ca = Buffer.from(secret.data['ca.crt']!, 'base64');
    await waitFor('webhook server ready', async () => {
      const code = await readyz(webhookPort, ca);
      return [code === 200, code, `readyz ${code}; log: ${webhookLog.slice(-500)}`];
    });

    manager = spawn(
      process.execPath,
      [
        MANAGER,
        '--kubeconfig',
        managerKubeconfig,
        '--kubefed-namespace',
        ns,
        '--metrics-addr',
        `127.0.0.1:${metricsPort}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    manager.stderr!.on('data', (d: Buffer) => (managerLog = (managerLog + d.toString()).slice(-200_000)));
  });

  afterAll(async () => {
    // Best effort: whatever a failed test left behind.
    await kubefedctl(
      'unjoin',
      'cluster2',
      '--cluster-context',
      'cluster2',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
      '--host-cluster-name',
      hostName,
      '--force',
    );
    await kubectl('cluster1', ['-n', ns, 'delete', 'federatedtypeconfigs', '--all', '--timeout=30s']).catch(
      () => undefined,
    );
    await stop(manager);
    await stop(webhook);
    const left = await kubectl('cluster1', [
      '-n',
      ns,
      'get',
      'federatedtypeconfigs,federatedconfigmaps',
      '-o',
      'name',
    ]).catch(() => '');
    for (const name of left.split('\n').filter(Boolean))
      await kubectl('cluster1', [
        '-n',
        ns,
        'patch',
        name,
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      ]).catch(() => undefined);
    await helm(['uninstall', release, '--namespace', ns]);
    await kubectl('cluster1', ['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']).catch(
      () => undefined,
    );
    await kubectl('cluster2', ['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']).catch(
      () => undefined,
    );
    // The token kubeconfig and the serving key must not outlive the run.
    rmSync(dir, { recursive: true, force: true });
    rmSync(helmHome, { recursive: true, force: true });
    if (process.env.HELM_TEST_LOG)
      writeFileSync(process.env.HELM_TEST_LOG, `${managerLog}\n---\n${webhookLog}`);
  });

  it('joins cluster2 and propagates a FederatedConfigMap under the chart ServiceAccount', async () => {
    const join = await kubefedctl(
      'join',
      'cluster2',
      '--cluster-context',
      'cluster2',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
      '--host-cluster-name',
      hostName,
    );
    expect(join.code, join.stderr).toBe(0);
    await waitFor(
      'KubeFedCluster cluster2 Ready',
      async () => {
        const c = await getObject<{ status?: { conditions?: { type: string; status: string }[] } }>(
          'cluster1',
          ['-n', ns, 'kubefedclusters', 'cluster2'],
        );
        assertRunning();
        const ready = c?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;
        return [ready, c, `${JSON.stringify(c?.status)}; manager: ${managerLog.slice(-800)}`];
      },
      60_000,
    );

    // The webhook stores it with the sync finalizer already (the create's own answer has it): the
    // controller need not write it.
    await waitFor('the webhook to list the FederatedTypeConfigs', () => {
      assertRunning();
      const listed = webhookLog.includes('listed the FederatedTypeConfigs');
      return Promise.resolve([listed, listed, webhookLog.slice(-800)]);
    });
    const created = JSON.parse(
      await kubectl(
        'cluster1',
        ['create', '-o', 'json', '-f', '-'],
        JSON.stringify({
          apiVersion: 'types.kubefed.io/v1beta1',
          kind: 'FederatedConfigMap',
          metadata: { name: 'greeting', namespace: ns },
          spec: {
            template: { data: { hello: 'from the chart' } },
            placement: { clusters: [{ name: 'cluster2' }] },
          },
        }),
      ),
    ) as { metadata: { finalizers?: string[] } };
    expect(created.metadata.finalizers).toEqual(['kubefed.io/sync-controller']);
    const fed = await waitFor(
      'FederatedConfigMap greeting Propagation=True',
      async () => {
        const f = await getObject<Parameters<typeof propagation>[0]>('cluster1', [
          '-n',
          ns,
          // Qualified: other tests' per-run groups define FederatedConfigMaps too.
          'federatedconfigmaps.types.kubefed.io',
          'greeting',
        ]);
        assertRunning();
        return [
          propagation(f)?.status === 'True',
          f,
          `${JSON.stringify(f?.status)}; manager: ${managerLog.slice(-800)}`,
        ];
      },
      60_000,
    );
    expect(fed?.status?.clusters).toEqual([{ name: 'cluster2' }]);
    const copy = await getObject<{ data: Record<string, string> }>('cluster2', [
      '-n',
      ns,
      'configmap',
      'greeting',
    ]);
    expect(copy?.data).toEqual({ hello: 'from the chart' });
    // Leader election ran under the chart identity too.
    expect(managerLog).toContain('promoted as leader');
    const lease = await getObject<{ spec: { holderIdentity: string } }>('cluster1', [
      '-n',
      ns,
      'lease',
      'kubefed-controller-manager',
    ]);
    expect(lease?.spec.holderIdentity).toBeTruthy();
  });

  it("reports the chart's FederatedTypeConfigs: namespaced types Running, cluster-scoped NotRunning", async () => {
    const states = await waitFor('every default FTC with a propagationController status', async () => {
      assertRunning();
      const list = JSON.parse(
        await kubectl('cluster1', ['-n', ns, 'get', 'federatedtypeconfigs', '-o', 'json']),
      ) as {
        items: {
          metadata: { name: string; finalizers?: string[] };
          spec: { targetType: { scope: string } };
          status?: { propagationController?: string };
        }[];
      };
      const seen = list.items.map((f) => `${f.metadata.name}:${f.status?.propagationController ?? '-'}`);
      return [
        list.items.length === defaultTypeConfigs().length &&
          list.items.every((f) => f.status?.propagationController),
        list.items,
        seen.join(' '),
      ];
    });
    for (const f of states) {
      const expected = f.spec.targetType.scope === 'Namespaced' ? 'Running' : 'NotRunning';
      expect(`${f.metadata.name}:${f.status?.propagationController}`).toBe(`${f.metadata.name}:${expected}`);
      if (expected === 'Running')
        expect(f.metadata.finalizers, f.metadata.name).toContain('core.kubefed.io/federated-type-config');
    }
  });

  it('sets the sync finalizer only on objects of a propagated type: none once the type is Disabled', async () => {
    const dryRunFinalizers = async () => {
      const out = JSON.parse(
        await kubectl(
          'cluster1',
          ['create', '--dry-run=server', '-o', 'json', '-f', '-'],
          JSON.stringify({
            apiVersion: 'types.kubefed.io/v1beta1',
            kind: 'FederatedSecret',
            metadata: { name: 'token', namespace: ns },
            spec: { template: { stringData: { a: 'b' } }, placement: { clusters: [{ name: 'cluster2' }] } },
          }),
        ),
      ) as { metadata: { finalizers?: string[] } };
      return out.metadata.finalizers;
    };
    expect(await dryRunFinalizers()).toEqual(['kubefed.io/sync-controller']);
    const setPropagation = (p: string) =>
      kubectl('cluster1', [
        '-n',
        ns,
        'patch',
        'federatedtypeconfigs.core.kubefed.io',
        'secrets',
        '--type=merge',
        '-p',
        JSON.stringify({ spec: { propagation: p } }),
      ]);
    await setPropagation('Disabled');
    try {
      // No controller would remove it: an object created now must be deletable at once.
      await waitFor('the webhook to see secrets Disabled', async () => {
        assertRunning();
        const f = await dryRunFinalizers();
        return [f === undefined, f, JSON.stringify(f)];
      });
    } finally {
      await setPropagation('Enabled');
    }
    await waitFor('the webhook to see secrets Enabled again', async () => {
      const f = await dryRunFinalizers();
      return [f?.[0] === 'kubefed.io/sync-controller', f, JSON.stringify(f)];
    });
  });

  it("refuses an invalid object through the chart's webhook configuration", async () => {
    const bad = await run(
      inject('kubectl'),
      ['--kubeconfig', inject('kubeconfig'), '--context', 'cluster1', 'apply', '-f', '-'],
      {
        input: JSON.stringify({
          apiVersion: 'core.kubefed.io/v1beta1',
          kind: 'FederatedTypeConfig',
          metadata: { name: 'not-configmaps', namespace: ns },
          spec: {
            targetType: { version: 'v1', kind: 'ConfigMap', pluralName: 'configmaps', scope: 'Namespaced' },
            propagation: 'Enabled',
            federatedType: {
              group: 'types.kubefed.io',
              version: 'v1beta1',
              kind: 'FederatedConfigMap',
              pluralName: 'federatedconfigmaps',
              scope: 'Namespaced',
            },
          },
        }),
      },
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('denied the request');
    expect(bad.stderr).toContain('metadata.name');
  });

  it('grants the chart ServiceAccount nothing outside its namespace', async () => {
    const canI = async (...args: string[]) => (await asChart(['auth', 'can-i', ...args])).stdout.trim();
    expect(await canI('get', 'secrets', '-n', ns)).toBe('yes');
    expect(await canI('update', 'kubefedclusters.core.kubefed.io', '--subresource=status', '-n', ns)).toBe(
      'yes',
    );
    for (const args of [
      ['get', 'secrets', '-n', 'default'],
      ['list', 'secrets', '--all-namespaces'],
      ['create', 'configmaps', '-n', 'default'],
      ['get', 'configmaps', '-n', 'default'],
      ['list', 'federatedconfigmaps.types.kubefed.io', '-n', 'default'],
      ['list', 'kubefedclusters.core.kubefed.io', '--all-namespaces'],
      ['get', 'namespaces'],
      ['create', 'clusterroles'],
      ['create', 'secrets', '-n', ns],
      ['delete', 'federatedconfigmaps.types.kubefed.io', '-n', ns],
    ])
      expect(await canI(...args), args.join(' ')).toBe('no');
    for (const args of [
      ['-n', 'default', 'get', 'secrets'],
      ['-n', 'default', 'create', 'configmap', `x-${ns}`],
    ]) {
      const r = await asChart(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toMatch(/forbidden/i);
    }
  });

  it('upgrades with changed values, keeping the serving certificate', async () => {
    await helmOk([
      'upgrade',
      release,
      CHART,
      '--namespace',
      ns,
      '--skip-crds',
      '--reuse-values',
      '--set',
      'controllermanager.controller.replicaCount=1',
      '--set',
      'controllermanager.clusterHealthCheckPeriod=2s',
    ]);
    const deployment = await getObject<{ spec: { replicas: number } }>('cluster1', [
      '-n',
      ns,
      'deployment',
      'kubefed-controller-manager',
    ]);
    expect(deployment?.spec.replicas).toBe(1);
    const config = await getObject<{ spec: { clusterHealthCheck: { period: string } } }>('cluster1', [
      '-n',
      ns,
      'kubefedconfig',
      'kubefed',
    ]);
    expect(config?.spec.clusterHealthCheck.period).toBe('2s');
    const secret = await getObject<{ data: Record<string, string> }>('cluster1', [
      '-n',
      ns,
      'secret',
      'kubefed-admission-webhook-serving-cert',
    ]);
    expect(secret?.data['tls.crt']).toBe(servingCert);
    const history = JSON.parse(await helmOk(['history', release, '--namespace', ns, '-o', 'json'])) as {
      revision: number;
      status: string;
    }[];
    expect(history.map((h) => h.status)).toEqual(['superseded', 'deployed']);
  });

  it('uninstalls, leaving no object of the release (CRDs stay, as Helm does)', async () => {
    await kubectl('cluster1', [
      '-n',
      ns,
      'delete',
      'federatedconfigmaps.types.kubefed.io',
      'greeting',
      '--ignore-not-found',
      '--timeout=60s',
    ]);
    await waitFor('configmap greeting removed from cluster2', async () => {
      const c = await getObject('cluster2', ['-n', ns, 'configmap', 'greeting']);
      return [!c, c, JSON.stringify(c?.metadata)];
    });
    const unjoin = await kubefedctl(
      'unjoin',
      'cluster2',
      '--cluster-context',
      'cluster2',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
      '--host-cluster-name',
      hostName,
    );
    expect(unjoin.code, unjoin.stderr).toBe(0);
    // As the chart README says: FTCs first, while the manager still removes their finalizers.
    await kubectl('cluster1', ['-n', ns, 'delete', 'federatedtypeconfigs', '--all', '--timeout=60s']);
    await helmOk(['uninstall', release, '--namespace', ns, '--wait', '--timeout', '90s']);

    const selector = `app.kubernetes.io/instance=${release}`;
    const namespaced = await kubectl('cluster1', [
      '-n',
      ns,
      'get',
      '-l',
      selector,
      '-o',
      'name',
      'deployments,services,serviceaccounts,secrets,configmaps,roles,rolebindings,kubefedconfigs.core.kubefed.io,federatedtypeconfigs.core.kubefed.io',
    ]);
    expect(namespaced.trim()).toBe('');
    const clusterWide = await kubectl('cluster1', [
      'get',
      '-l',
      selector,
      '-o',
      'name',
      'clusterroles,clusterrolebindings,validatingwebhookconfigurations,mutatingwebhookconfigurations,namespaces',
    ]);
    expect(clusterWide.trim()).toBe('');
    expect(await helm(['status', release, '--namespace', ns]).then((r) => r.code)).not.toBe(0);
    // The CRDs are not the release's: Helm never deletes crds/.
    expect(
      await kubectl('cluster1', ['get', 'crd', 'federatedtypeconfigs.core.kubefed.io', '-o', 'name']),
    ).toContain('federatedtypeconfigs.core.kubefed.io');
  });
});
