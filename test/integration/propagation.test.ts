/**
 * Propagation end to end: the real kubefed-controller-manager process, cluster1..3 joined, the
 * FederatedTypeConfigs `namespaces`, `configmaps` and `deployments.apps` applied by the test.
 * Federated objects reach exactly their placed clusters with per-cluster overrides; placement
 * changes, hand edits, deletion and orphaning are followed; adoption and override failures are
 * reported in status; an FTC switched to Disabled stops propagation and Enabled resumes it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FederatedTypeConfig, KubeFedCluster } from '../../src/api/core.js';
import type { FederatedObject } from '../../src/api/types.js';
import { freePorts } from '../../src/cli/local/ports.js';
import type { KubeObject } from '../../src/kube/resource.js';
import { pollUntil } from '../../src/poll.js';
import { installCrds, kubectl, REPO_ROOT, run, uniqueName } from '../support/local.js';

const kfns = uniqueName('kf-prop');
/**
 * The federated types live in a group of this run only (CRDs copied from the chart's), so this
 * control plane, which watches every namespace, never acts on federated objects of other tests.
 */
const GROUP = `${kfns}.test.kubefed.io`;
const FEDERATED_PLURALS = ['federatednamespaces', 'federatedconfigmaps', 'federateddeployments'];
const FDEPLOY = `federateddeployments.${GROUP}`;
const FCM = `federatedconfigmaps.${GROUP}`;
const KUBEFEDCTL = path.join(REPO_ROOT, 'dist', 'cli', 'kubefedctl', 'main.js');
const MANAGER = path.join(REPO_ROOT, 'dist', 'cli', 'controller-manager.js');
const members = ['cluster1', 'cluster2', 'cluster3'];
const testNamespaces: string[] = [];
let manager: ChildProcess;
let managerLog = '';

const kubefedctl = (...args: string[]) =>
  run(process.execPath, [KUBEFEDCTL, ...args, '--kubeconfig', inject('kubeconfig')]);

const apply = (context: string, obj: unknown) => kubectl(context, ['apply', '-f', '-'], JSON.stringify(obj));

/** The object, or undefined when it does not exist. */
async function getObject<T = KubeObject>(context: string, args: string[]): Promise<T | undefined> {
  const out = await kubectl(context, ['get', ...args, '-o', 'json', '--ignore-not-found']);
  return out.trim() ? (JSON.parse(out) as T) : undefined;
}

async function waitFor<T>(what: string, probe: () => Promise<[boolean, T, string]>, timeoutMs = 45_000) {
  return pollUntil(
    what,
    async () => {
      const [ok, value, seen] = await probe();
      return ok ? { done: true, value } : { done: false, seen };
    },
    { timeoutMs, intervalMs: 500 },
  );
}

function typeConfig(
  name: string,
  target: {
    group?: string;
    version: string;
    kind: string;
    pluralName: string;
    scope: 'Namespaced' | 'Cluster';
  },
  federatedScope: 'Namespaced' | 'Cluster',
) {
  return {
    apiVersion: 'core.kubefed.io/v1beta1',
    kind: 'FederatedTypeConfig',
    metadata: { name, namespace: kfns },
    spec: {
      targetType: target,
      propagation: 'Enabled',
      federatedType: {
        group: GROUP,
        version: 'v1beta1',
        kind: `Federated${target.kind}`,
        pluralName: `federated${target.pluralName}`,
        scope: federatedScope,
      },
    },
  };
}

const DEPLOYMENTS_FTC = typeConfig(
  'deployments.apps',
  { group: 'apps', version: 'v1', kind: 'Deployment', pluralName: 'deployments', scope: 'Namespaced' },
  'Namespaced',
);

/** A host namespace whose FederatedNamespace places it on `clusters`. */
async function federatedNamespace(clusters = ['cluster2', 'cluster3']): Promise<string> {
  const ns = uniqueName('prop');
  testNamespaces.push(ns);
  await kubectl('cluster1', ['create', 'namespace', ns]);
  await apply('cluster1', {
    apiVersion: `${GROUP}/v1beta1`,
    kind: 'FederatedNamespace',
    metadata: { name: ns, namespace: ns },
    spec: { placement: { clusters: clusters.map((name) => ({ name })) } },
  });
  for (const c of clusters)
    await waitFor(`namespace ${ns} in ${c}`, async () => {
      const n = await getObject(c, ['namespace', ns]);
      return [n?.metadata.labels?.['kubefed.io/managed'] === 'true', n, JSON.stringify(n?.metadata.labels)];
    });
  return ns;
}

function fedDeployment(ns: string, name: string, clusters: string[], extra: Record<string, unknown> = {}) {
  return {
    apiVersion: `${GROUP}/v1beta1`,
    kind: 'FederatedDeployment',
    metadata: { name, namespace: ns },
    spec: {
      template: {
        metadata: { labels: { app: name } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'web', image: 'registry.invalid/web:1' }] },
          },
        },
      },
      placement: { clusters: clusters.map((c) => ({ name: c })) },
      ...extra,
    },
  };
}

function fedConfigMap(
  ns: string,
  name: string,
  clusters: string[],
  extra: { annotations?: Record<string, string>; overrides?: unknown; data?: Record<string, string> } = {},
) {
  return {
    apiVersion: `${GROUP}/v1beta1`,
    kind: 'FederatedConfigMap',
    metadata: { name, namespace: ns, ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      template: { data: extra.data ?? { greeting: 'hello' } },
      placement: { clusters: clusters.map((c) => ({ name: c })) },
      ...(extra.overrides ? { overrides: extra.overrides } : {}),
    },
  };
}

type Deployment = KubeObject & {
  spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
};

const image = (d: Deployment | undefined) => d?.spec.template.spec.containers[0]?.image;

const clusterStatuses = (f: FederatedObject | undefined) =>
  (f?.status?.clusters ?? []).map((c) => `${c.name}:${c.status ?? ''}`).sort();

const propagation = (f: FederatedObject | undefined) =>
  f?.status?.conditions?.find((c) => c.type === 'Propagation');

async function waitForStatus(
  kind: string,
  ns: string,
  name: string,
  expected: string[],
  condition: 'True' | 'False',
) {
  return waitFor(`${kind} ${ns}/${name} status ${expected.join(',')} Propagation=${condition}`, async () => {
    const f = await getObject<FederatedObject>('cluster1', ['-n', ns, kind, name]);
    const seen = clusterStatuses(f);
    return [
      JSON.stringify(seen) === JSON.stringify(expected) &&
        propagation(f)?.status === condition &&
        f?.status?.observedGeneration === f?.metadata.generation,
      f!,
      `${JSON.stringify(seen)} ${JSON.stringify(propagation(f))} observed ${f?.status?.observedGeneration}/${f?.metadata.generation}`,
    ];
  });
}

async function setAdoptResources(value: 'Enabled' | 'Disabled') {
  await kubectl('cluster1', [
    '-n',
    kfns,
    'patch',
    'kubefedconfig',
    'kubefed',
    '--type=merge',
    '-p',
    JSON.stringify({ spec: { syncController: { adoptResources: value } } }),
  ]);
}

async function installFederatedCrds(): Promise<void> {
  const dir = path.join(REPO_ROOT, 'charts', 'kubefed', 'crds');
  const docs = FEDERATED_PLURALS.map((plural) =>
    readFileSync(path.join(dir, `${plural}.types.kubefed.io.yaml`), 'utf8').replaceAll(
      'types.kubefed.io',
      GROUP,
    ),
  );
  await kubectl('cluster1', ['apply', '-f', '-'], docs.join('\n---\n'));
  await kubectl('cluster1', [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    ...FEDERATED_PLURALS.map((p) => `crd/${p}.${GROUP}`),
  ]);
}

beforeAll(async () => {
  await installCrds();
  await installFederatedCrds();
  await kubectl('cluster1', ['create', 'namespace', kfns]);
  await apply('cluster1', {
    apiVersion: 'core.kubefed.io/v1beta1',
    kind: 'KubeFedConfig',
    metadata: { name: 'kubefed', namespace: kfns },
    spec: {
      scope: 'Cluster',
      clusterHealthCheck: { period: '1s', failureThreshold: 2, successThreshold: 1, timeout: '2s' },
      controllerDuration: { availableDelay: '1s', unavailableDelay: '1s' },
      syncController: { adoptResources: 'Enabled' },
      leaderElect: { leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '1s' },
    },
  });
  for (const ftc of [
    typeConfig(
      'namespaces',
      { version: 'v1', kind: 'Namespace', pluralName: 'namespaces', scope: 'Cluster' },
      'Namespaced',
    ),
    typeConfig(
      'configmaps',
      { version: 'v1', kind: 'ConfigMap', pluralName: 'configmaps', scope: 'Namespaced' },
      'Namespaced',
    ),
    DEPLOYMENTS_FTC,
  ])
    await apply('cluster1', ftc);
  const port = (await freePorts(1))[0]!;
  manager = spawn(
    process.execPath,
    [
      MANAGER,
      '--kubeconfig',
      inject('kubeconfig'),
      '--context',
      'cluster1',
      '--kubefed-namespace',
      kfns,
      '--metrics-addr',
      `127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  manager.stderr!.on('data', (d: Buffer) => (managerLog = (managerLog + d.toString()).slice(-200_000)));
  for (const m of members) {
    const r = await kubefedctl(
      'join',
      m,
      '--cluster-context',
      m,
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      kfns,
    );
    if (r.code !== 0) throw new Error(`join ${m} failed: ${r.stderr}`);
  }
  await waitFor('all members Ready', async () => {
    const list = JSON.parse(
      await kubectl('cluster1', ['-n', kfns, 'get', 'kubefedclusters', '-o', 'json']),
    ) as {
      items: KubeObject[];
    };
    const ready = list.items.filter((c) =>
      (c.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions?.some(
        (x) => x.type === 'Ready' && x.status === 'True',
      ),
    );
    return [ready.length === members.length, ready, `${ready.length} Ready`];
  });
});

afterAll(async () => {
  // Delete the test namespaces while the manager still runs, so it removes member copies and its finalizers.
  await Promise.all(
    testNamespaces.map((ns) =>
      kubectl('cluster1', ['delete', 'namespace', ns, '--timeout=90s']).catch((err: Error) =>
        console.warn(`deleting ${ns}: ${err.message}`),
      ),
    ),
  );
  manager?.kill('SIGTERM');
  await new Promise((r) => manager?.once('exit', r));
  if (process.env.PROPAGATION_TEST_LOG) writeFileSync(process.env.PROPAGATION_TEST_LOG, managerLog);
  for (const m of members)
    await kubefedctl(
      'unjoin',
      m,
      '--cluster-context',
      m,
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      kfns,
      '--force',
    );
  // FTC finalizers would keep the kubefed namespace terminating once no manager runs.
  for (const name of ['namespaces', 'configmaps', 'deployments.apps'])
    await kubectl('cluster1', [
      '-n',
      kfns,
      'patch',
      'federatedtypeconfig',
      name,
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]).catch(() => undefined);
  await kubectl('cluster1', ['delete', 'namespace', kfns, '--wait=false']).catch(() => undefined);
  // Nothing of this run's group should be left; if something is, its finalizers must not pin the CRDs.
  for (const plural of FEDERATED_PLURALS) {
    const left = await kubectl('cluster1', ['get', `${plural}.${GROUP}`, '-A', '-o', 'json']).catch(() => '');
    const items = left ? (JSON.parse(left) as { items: KubeObject[] }).items : [];
    for (const o of items)
      await kubectl('cluster1', [
        '-n',
        o.metadata.namespace!,
        'patch',
        `${plural}.${GROUP}`,
        o.metadata.name!,
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":null}}',
      ]).catch(() => undefined);
  }
  await kubectl('cluster1', [
    'delete',
    'crd',
    '--wait=false',
    ...FEDERATED_PLURALS.map((p) => `${p}.${GROUP}`),
  ]).catch(() => undefined);
  for (const ns of testNamespaces)
    for (const c of ['cluster2', 'cluster3'])
      await kubectl(c, ['delete', 'namespace', ns, '--ignore-not-found', '--wait=false']).catch(
        () => undefined,
      );
}, 300_000);

describe('FederatedTypeConfig controller', () => {
  it('runs the sync controller of each enabled type and records it in the FTC status with its finalizer', async () => {
    for (const name of ['namespaces', 'configmaps', 'deployments.apps']) {
      const ftc = await waitFor(`FTC ${name} Running`, async () => {
        const f = await getObject<FederatedTypeConfig>('cluster1', ['-n', kfns, 'federatedtypeconfig', name]);
        return [
          f?.status?.propagationController === 'Running' &&
            f.status.observedGeneration === f.metadata.generation,
          f!,
          JSON.stringify(f?.status),
        ];
      });
      expect(ftc.metadata.finalizers).toContain('core.kubefed.io/federated-type-config');
    }
  });
});

describe('sync controller', () => {
  it('propagates a FederatedDeployment exactly to its placed clusters, with the overrides of each, and reports Propagation=True', async () => {
    const ns = await federatedNamespace();
    await apply(
      'cluster1',
      fedDeployment(ns, 'web', ['cluster2', 'cluster3'], {
        overrides: [
          {
            clusterName: 'cluster3',
            clusterOverrides: [
              { path: '/spec/replicas', value: 3 },
              { path: '/spec/template/spec/containers/0/image', value: 'registry.invalid/web:2' },
            ],
          },
        ],
      }),
    );
    const fed = await waitForStatus(FDEPLOY, ns, 'web', ['cluster2:', 'cluster3:'], 'True');
    expect(fed.metadata.finalizers).toContain('kubefed.io/sync-controller');
    const d2 = await getObject<Deployment>('cluster2', ['-n', ns, 'deployment', 'web']);
    const d3 = await getObject<Deployment>('cluster3', ['-n', ns, 'deployment', 'web']);
    expect(await getObject('cluster1', ['-n', ns, 'deployment', 'web'])).toBeUndefined();
    expect(d2?.spec.replicas).toBe(1);
    expect(image(d2)).toBe('registry.invalid/web:1');
    expect(d3?.spec.replicas).toBe(3);
    expect(image(d3)).toBe('registry.invalid/web:2');
    for (const d of [d2!, d3!]) {
      expect(d.metadata.labels).toEqual({ app: 'web', 'kubefed.io/managed': 'true' });
    }
    const pv = await getObject<
      KubeObject & { status: { clusterVersions: { clusterName: string; version: string }[] } }
    >('cluster1', ['-n', ns, 'propagatedversion', 'deployment-web']);
    expect(pv?.status.clusterVersions).toEqual([
      { clusterName: 'cluster2', version: `gen:${d2!.metadata.generation}` },
      { clusterName: 'cluster3', version: `gen:${d3!.metadata.generation}` },
    ]);

    // Idle: nothing is written while nothing changes.
    await new Promise((r) => setTimeout(r, 4000));
    const pvAfter = await getObject('cluster1', ['-n', ns, 'propagatedversion', 'deployment-web']);
    expect(pvAfter?.metadata.resourceVersion).toBe(pv?.metadata.resourceVersion);
    const fedAfter = await getObject<FederatedObject>('cluster1', ['-n', ns, FDEPLOY, 'web']);
    const d3After = await getObject<Deployment>('cluster3', ['-n', ns, 'deployment', 'web']);
    expect(fedAfter?.metadata.resourceVersion).toBe(fed.metadata.resourceVersion);
    expect(d3After?.metadata.resourceVersion).toBe(d3!.metadata.resourceVersion);
  });

  it('removes the copy from a cluster that leaves the placement', async () => {
    const ns = await federatedNamespace();
    await apply('cluster1', fedDeployment(ns, 'mover', ['cluster2', 'cluster3']));
    await waitForStatus(FDEPLOY, ns, 'mover', ['cluster2:', 'cluster3:'], 'True');
    await apply('cluster1', fedDeployment(ns, 'mover', ['cluster2']));
    await waitFor('the deployment gone from cluster3', async () => {
      const d = await getObject('cluster3', ['-n', ns, 'deployment', 'mover']);
      return [d === undefined, d, JSON.stringify(d?.metadata)];
    });
    await waitForStatus(FDEPLOY, ns, 'mover', ['cluster2:'], 'True');
    expect(await getObject('cluster2', ['-n', ns, 'deployment', 'mover'])).toBeDefined();
  });

  it('reverts a hand edit of a member copy', async () => {
    const ns = await federatedNamespace();
    await apply('cluster1', fedDeployment(ns, 'drift', ['cluster2']));
    await waitForStatus(FDEPLOY, ns, 'drift', ['cluster2:'], 'True');
    await kubectl('cluster2', ['-n', ns, 'scale', 'deployment', 'drift', '--replicas=5']);
    await waitFor('the hand edit reverted', async () => {
      const d = await getObject<Deployment>('cluster2', ['-n', ns, 'deployment', 'drift']);
      return [d?.spec.replicas === 1, d, `replicas ${d?.spec.replicas}`];
    });
  });

  it('deletes every copy when the federated object is deleted, then drops its finalizer', async () => {
    const ns = await federatedNamespace();
    await apply('cluster1', fedDeployment(ns, 'gone', ['cluster2', 'cluster3']));
    await waitForStatus(FDEPLOY, ns, 'gone', ['cluster2:', 'cluster3:'], 'True');
    await kubectl('cluster1', ['-n', ns, 'delete', FDEPLOY, 'gone', '--wait=false']);
    await waitFor('copies and the federated object gone', async () => {
      const left = [
        await getObject('cluster2', ['-n', ns, 'deployment', 'gone']),
        await getObject('cluster3', ['-n', ns, 'deployment', 'gone']),
        await getObject('cluster1', ['-n', ns, FDEPLOY, 'gone']),
      ];
      return [left.every((x) => x === undefined), left, left.map((x) => x?.kind ?? '-').join(',')];
    });
  });

  it('keeps the copies, without the managed label, when an orphaned federated object is deleted', async () => {
    const ns = await federatedNamespace();
    await apply(
      'cluster1',
      fedConfigMap(ns, 'kept', ['cluster2', 'cluster3'], { annotations: { 'kubefed.io/orphan': 'true' } }),
    );
    await waitForStatus(FCM, ns, 'kept', ['cluster2:', 'cluster3:'], 'True');
    await kubectl('cluster1', ['-n', ns, 'delete', FCM, 'kept', '--wait=false']);
    await waitFor('the federated object gone', async () => {
      const f = await getObject('cluster1', ['-n', ns, FCM, 'kept']);
      return [f === undefined, f, JSON.stringify(f?.metadata.finalizers)];
    });
    for (const c of ['cluster2', 'cluster3']) {
      const cm = await waitFor(`the copy in ${c} unlabelled`, async () => {
        const o = await getObject<KubeObject & { data: Record<string, string> }>(c, [
          '-n',
          ns,
          'configmap',
          'kept',
        ]);
        return [
          o !== undefined && o.metadata.labels?.['kubefed.io/managed'] === undefined,
          o!,
          JSON.stringify(o?.metadata.labels),
        ];
      });
      expect(cm.data).toEqual({ greeting: 'hello' });
    }
  });

  it('reports AlreadyExists and leaves a pre-existing object alone when adoptResources is Disabled', async () => {
    const ns = await federatedNamespace(['cluster2']);
    await kubectl('cluster2', ['-n', ns, 'create', 'configmap', 'local', '--from-literal=owner=member']);
    await setAdoptResources('Disabled');
    try {
      // Settings follow the KubeFedConfig: give the manager's informer a moment to see the change.
      await new Promise((r) => setTimeout(r, 1500));
      await apply('cluster1', fedConfigMap(ns, 'local', ['cluster2']));
      const fed = await waitForStatus(FCM, ns, 'local', ['cluster2:AlreadyExists'], 'False');
      expect(propagation(fed)?.reason).toBe('CheckClusters');
      const cm = await getObject<KubeObject & { data: Record<string, string> }>('cluster2', [
        '-n',
        ns,
        'configmap',
        'local',
      ]);
      expect(cm?.data).toEqual({ owner: 'member' });
      expect(cm?.metadata.labels?.['kubefed.io/managed']).toBeUndefined();
    } finally {
      await setAdoptResources('Enabled');
    }
  });

  it('reports ApplyOverridesFailed for an override of a path that does not exist', async () => {
    const ns = await federatedNamespace(['cluster2', 'cluster3']);
    await apply(
      'cluster1',
      fedConfigMap(ns, 'badpath', ['cluster2', 'cluster3'], {
        overrides: [
          { clusterName: 'cluster3', clusterOverrides: [{ path: '/spec/nothing/here', value: 'x' }] },
        ],
      }),
    );
    await waitForStatus(FCM, ns, 'badpath', ['cluster2:', 'cluster3:ApplyOverridesFailed'], 'False');
    expect(await getObject('cluster2', ['-n', ns, 'configmap', 'badpath'])).toBeDefined();
    expect(await getObject('cluster3', ['-n', ns, 'configmap', 'badpath'])).toBeUndefined();
    await waitFor('a Warning event ApplyOverridesFailed on the federated object', async () => {
      const out = await kubectl('cluster1', [
        '-n',
        ns,
        'get',
        'events',
        '--field-selector',
        'involvedObject.name=badpath,reason=ApplyOverridesFailed,type=Warning',
        '-o',
        'name',
      ]);
      return [out.trim() !== '', out, out];
    });
  });

  it('adopts a pre-existing unmanaged object when adoptResources is Enabled', async () => {
    const ns = await federatedNamespace(['cluster2']);
    await kubectl('cluster2', ['-n', ns, 'create', 'configmap', 'adopted', '--from-literal=owner=member']);
    await apply('cluster1', fedConfigMap(ns, 'adopted', ['cluster2']));
    await waitForStatus(FCM, ns, 'adopted', ['cluster2:'], 'True');
    const cm = await getObject<KubeObject & { data: Record<string, string> }>('cluster2', [
      '-n',
      ns,
      'configmap',
      'adopted',
    ]);
    expect(cm?.data).toEqual({ greeting: 'hello' });
    expect(cm?.metadata.labels?.['kubefed.io/managed']).toBe('true');
  });

  it('never touches an object labelled kubefed.io/managed=false (ManagedLabelFalse)', async () => {
    const ns = await federatedNamespace(['cluster2']);
    await apply('cluster2', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'mine', namespace: ns, labels: { 'kubefed.io/managed': 'false' } },
      data: { owner: 'member' },
    });
    await apply('cluster1', fedConfigMap(ns, 'mine', ['cluster2']));
    await waitForStatus(FCM, ns, 'mine', ['cluster2:ManagedLabelFalse'], 'False');
    const cm = await getObject<KubeObject & { data: Record<string, string> }>('cluster2', [
      '-n',
      ns,
      'configmap',
      'mine',
    ]);
    expect(cm?.data).toEqual({ owner: 'member' });
  });

  it('reports ClusterNotReady for a placed cluster that is not Ready, and converges once it is Ready again', async () => {
    const ns = await federatedNamespace(['cluster2', 'cluster3']);
    await apply('cluster1', fedConfigMap(ns, 'health', ['cluster2', 'cluster3'], { data: { v: '1' } }));
    await waitForStatus(FCM, ns, 'health', ['cluster2:', 'cluster3:'], 'True');
    const cluster3 = await getObject<KubeFedCluster>('cluster1', ['-n', kfns, 'kubefedcluster', 'cluster3']);
    const secret = cluster3!.spec.secretRef.name;
    const good = (
      await kubectl('cluster1', ['-n', kfns, 'get', 'secret', secret, '-o', 'jsonpath={.data.token}'])
    ).trim();
    const patchToken = (token64: string) =>
      kubectl('cluster1', [
        '-n',
        kfns,
        'patch',
        'secret',
        secret,
        '--type=merge',
        '-p',
        JSON.stringify({ data: { token: token64 } }),
      ]);
    const memberData = async (c: string) =>
      (await getObject<KubeObject & { data: Record<string, string> }>(c, ['-n', ns, 'configmap', 'health']))
        ?.data;
    await patchToken(Buffer.from('not-a-valid-token').toString('base64'));
    try {
      const fed = await waitForStatus(FCM, ns, 'health', ['cluster2:', 'cluster3:ClusterNotReady'], 'False');
      expect(propagation(fed)?.reason).toBe('CheckClusters');
      await apply('cluster1', fedConfigMap(ns, 'health', ['cluster2', 'cluster3'], { data: { v: '2' } }));
      await waitFor('the Ready cluster updated', async () => {
        const data = await memberData('cluster2');
        return [data?.v === '2', data, JSON.stringify(data)];
      });
    } finally {
      await patchToken(good);
    }
    // Ready again, with a rebuilt client: the member cache follows it and the copy converges.
    await waitForStatus(FCM, ns, 'health', ['cluster2:', 'cluster3:'], 'True');
    expect(await memberData('cluster3')).toEqual({ v: '2' });
  });

  it('propagates nothing from a namespace without a FederatedNamespace (NamespaceNotFederated)', async () => {
    const ns = uniqueName('prop');
    testNamespaces.push(ns);
    await kubectl('cluster1', ['create', 'namespace', ns]);
    await apply('cluster1', fedConfigMap(ns, 'lonely', ['cluster2']));
    const fed = await waitForStatus(FCM, ns, 'lonely', [], 'False');
    expect(propagation(fed)?.reason).toBe('NamespaceNotFederated');
    expect(await getObject('cluster2', ['-n', ns, 'configmap', 'lonely'])).toBeUndefined();
  });

  it('stops propagating a type whose FTC is Disabled, and converges again once it is Enabled', async () => {
    const ns = await federatedNamespace(['cluster2']);
    await apply('cluster1', fedConfigMap(ns, 'toggle', ['cluster2'], { data: { v: '1' } }));
    await waitForStatus(FCM, ns, 'toggle', ['cluster2:'], 'True');
    const patchFtc = (propagation: string) =>
      kubectl('cluster1', [
        '-n',
        kfns,
        'patch',
        'federatedtypeconfig',
        'configmaps',
        '--type=merge',
        '-p',
        JSON.stringify({ spec: { propagation } }),
      ]);
    const ftcState = (want: string) =>
      waitFor(`FTC configmaps ${want}`, async () => {
        const f = await getObject<FederatedTypeConfig>('cluster1', [
          '-n',
          kfns,
          'federatedtypeconfig',
          'configmaps',
        ]);
        return [
          f?.status?.propagationController === want && f.status.observedGeneration === f.metadata.generation,
          f,
          JSON.stringify(f?.status),
        ];
      });
    const memberData = async () =>
      (
        await getObject<KubeObject & { data: Record<string, string> }>('cluster2', [
          '-n',
          ns,
          'configmap',
          'toggle',
        ])
      )?.data;
    try {
      await patchFtc('Disabled');
      await ftcState('NotRunning');
      await apply('cluster1', fedConfigMap(ns, 'toggle', ['cluster2'], { data: { v: '2' } }));
      await new Promise((r) => setTimeout(r, 5000));
      expect(await memberData()).toEqual({ v: '1' });
    } finally {
      await patchFtc('Enabled');
    }
    await ftcState('Running');
    await waitFor('the template change propagated', async () => {
      const data = await memberData();
      return [data?.v === '2', data, JSON.stringify(data)];
    });
  });
});

describe('FederatedTypeConfig deletion', () => {
  it('stops the sync controller of a deleted FTC, drops its finalizer, and starts again when it is recreated', async () => {
    const ns = await federatedNamespace(['cluster2']);
    await apply('cluster1', fedDeployment(ns, 'last', ['cluster2']));
    await waitForStatus(FDEPLOY, ns, 'last', ['cluster2:'], 'True');
    await kubectl('cluster1', [
      '-n',
      kfns,
      'delete',
      'federatedtypeconfig',
      'deployments.apps',
      '--timeout=30s',
    ]);
    try {
      const changed = fedDeployment(ns, 'last', ['cluster2']);
      (changed.spec.template.spec as { replicas: number }).replicas = 2;
      await apply('cluster1', changed);
      await new Promise((r) => setTimeout(r, 4000));
      const d = await getObject<Deployment>('cluster2', ['-n', ns, 'deployment', 'last']);
      expect(d?.spec.replicas).toBe(1);
    } finally {
      // Back, so the federated deployments of every test are cleaned up by their controller.
      await apply('cluster1', DEPLOYMENTS_FTC);
    }
    await waitFor('the recreated FTC to converge the member copy', async () => {
      const d = await getObject<Deployment>('cluster2', ['-n', ns, 'deployment', 'last']);
      return [d?.spec.replicas === 2, d, `replicas ${d?.spec.replicas}`];
    });
  });
});

describe('the manager log', () => {
  it('has no crash of a reconcile', () => {
    expect(managerLog).not.toMatch(/"msg":"reconcile failed"/);
  });
});
