/**
 * Conformance checks: propagation behaviours beyond the CRUD cycle (#10, #11, #14-#16, #20-#23,
 * #25, #26, #29-#32, #44), each driven as an upstream user drives KubeFed: kubectl and YAML against
 * the host (cluster1) and the member (cluster2). Every check works in namespaces of its own and
 * restores whatever shared state it changes (KubeFedConfig, FederatedTypeConfigs, KubeFedCluster
 * labels, a fake member) before it ends.
 */
import { createServer } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { expect, it } from 'vitest';
import { clusterStatusesOf, CLUSTERS, propagationOf, unique, type Obj, type Topology } from './harness.js';

const TYPES = 'types.kubefed.io/v1beta1';
const FCM = 'federatedconfigmaps.types.kubefed.io';
const FDEPLOY = 'federateddeployments.types.kubefed.io';
const FSVC = 'federatedservices.types.kubefed.io';
const FSA = 'federatedserviceaccounts.types.kubefed.io';
const RSP = 'replicaschedulingpreferences.scheduling.kubefed.io';
const MANAGED = 'kubefed.io/managed';

type Placement = Record<string, unknown>;
type ConfigMap = Obj & { data?: Record<string, string> };
type Deployment = Obj & {
  spec: { replicas?: number; template: { spec: { containers: { image: string }[] } } };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const to = (...clusters: string[]): Placement => ({ clusters: clusters.map((name) => ({ name })) });
const everywhere: Placement = { clusterSelector: {} };

function federated(
  kind: string,
  ns: string,
  name: string,
  spec: Record<string, unknown>,
  annotations?: Record<string, string>,
) {
  return {
    apiVersion: TYPES,
    kind,
    metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) },
    spec,
  };
}

const fedConfigMap = (ns: string, name: string, placement: Placement, extra: Record<string, unknown> = {}) =>
  federated('FederatedConfigMap', ns, name, { template: { data: { v: '1' } }, placement, ...extra });

function deploymentTemplate(name: string, replicas: number, labels: Record<string, string> = {}) {
  return {
    metadata: { labels: { app: name, ...labels } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'c', image: 'registry.invalid/conformance:1' }] },
      },
    },
  };
}

const fedDeployment = (ns: string, name: string, placement: Placement, extra: Record<string, unknown> = {}) =>
  federated('FederatedDeployment', ns, name, {
    template: deploymentTemplate(name, 1),
    placement,
    ...extra,
  });

/**
 * Waits until the federated object has been reconciled at its current generation with `clusters`
 * (sorted `<name>:<status>`) and the Propagation condition `status`.
 */
function waitStatus(
  t: Topology,
  resource: string,
  ns: string,
  name: string,
  clusters: string[],
  status: 'True' | 'False',
  timeoutMs = 60_000,
): Promise<Obj> {
  const want = [...clusters].sort();
  return t.wait(
    `${resource} ${ns}/${name}: Propagation=${status}, clusters ${JSON.stringify(want)}`,
    async () => {
      const f = await t.get('cluster1', ['-n', ns, resource, name]);
      const ok =
        f !== undefined &&
        f.status?.observedGeneration === f.metadata.generation &&
        propagationOf(f)?.status === status &&
        isDeepStrictEqual(clusterStatusesOf(f), want);
      return [ok, f!, JSON.stringify(f?.status)];
    },
    timeoutMs,
  );
}

const member = <T = Obj>(t: Topology, cluster: string, ns: string, resource: string, name: string) =>
  t.get<T>(cluster, ['-n', ns, resource, name]);

/** Waits until the member object satisfies `ok`. */
function waitMember<T extends Obj>(
  t: Topology,
  cluster: string,
  ns: string,
  resource: string,
  name: string,
  what: string,
  ok: (o: T | undefined) => boolean,
  timeoutMs = 60_000,
): Promise<T | undefined> {
  return t.wait(
    `${resource} ${ns}/${name} in ${cluster}: ${what}`,
    async () => {
      const o = await member<T>(t, cluster, ns, resource, name);
      return [ok(o), o, JSON.stringify(o ?? 'absent')];
    },
    timeoutMs,
  );
}

const deleteNamespace = (t: Topology, ns: string) =>
  t.kubectl('cluster1', ['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);

/** A host namespace with no FederatedNamespace. */
async function plainNamespace(t: Topology, prefix: string): Promise<string> {
  const ns = unique(prefix);
  await t.kubectl('cluster1', ['create', 'namespace', ns]);
  return ns;
}

/** A TCP port on 127.0.0.1 nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

interface FakeMember {
  name: string;
  remove(): Promise<void>;
}

/**
 * A third member that is joined but not Ready: a KubeFedCluster `conf-offline-<x>` whose API
 * endpoint is a closed local port, with a token Secret, as `kubefedctl join` would write them.
 * Waits for its Offline=True condition. `remove()` deletes both (as `unjoin --force` would).
 */
async function offlineMember(t: Topology): Promise<FakeMember> {
  const name = unique('conf-offline');
  const port = await closedPort();
  const remove = async () => {
    await t.kubectl('cluster1', ['-n', t.kfns, 'delete', 'kubefedcluster', name, '--ignore-not-found']);
    await t.kubectl('cluster1', ['-n', t.kfns, 'delete', 'secret', name, '--ignore-not-found']);
  };
  try {
    await t.apply(
      'cluster1',
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: t.kfns },
        data: { token: Buffer.from('conformance-offline').toString('base64') },
      },
      {
        apiVersion: 'core.kubefed.io/v1beta1',
        kind: 'KubeFedCluster',
        metadata: { name, namespace: t.kfns },
        spec: {
          apiEndpoint: `https://127.0.0.1:${port}`,
          secretRef: { name },
          disabledTLSValidations: ['*'],
        },
      },
    );
    await t.wait(`KubeFedCluster ${name} Offline`, async () => {
      const kfc = await t.get('cluster1', ['-n', t.kfns, 'kubefedclusters', name]);
      const conditions = (kfc?.status?.conditions ?? []) as { type: string; status: string }[];
      const offline = conditions.some((c) => c.type === 'Offline' && c.status === 'True');
      const ready = conditions.some((c) => c.type === 'Ready' && c.status === 'True');
      return [offline && !ready, kfc, JSON.stringify(kfc?.status)];
    });
  } catch (err) {
    await remove();
    throw err;
  }
  return { name, remove };
}

/** Patches the KubeFedConfig `kubefed` (merge patch of `spec`). */
const patchKubeFedConfig = (t: Topology, spec: Record<string, unknown>) =>
  t.kubectl('cluster1', [
    '-n',
    t.kfns,
    'patch',
    'kubefedconfig',
    'kubefed',
    '--type=merge',
    '-p',
    JSON.stringify({ spec }),
  ]);

type Gate = { name: string; configuration: string };
const featureGatesOf = async (t: Topology): Promise<Gate[]> =>
  ((await t.get('cluster1', ['-n', t.kfns, 'kubefedconfigs', 'kubefed']))?.spec?.featureGates ??
    []) as Gate[];

/** Merge-patches an FTC's spec and waits until its controllers restarted on the new generation. */
async function patchFtc(t: Topology, ftc: string, spec: Record<string, unknown>): Promise<Obj> {
  await t.kubectl('cluster1', [
    '-n',
    t.kfns,
    'patch',
    'federatedtypeconfigs',
    ftc,
    '--type=merge',
    '-p',
    JSON.stringify({ spec }),
  ]);
  return t.wait(`FTC ${ftc} Running at its new generation`, async () => {
    const f = await t.get('cluster1', ['-n', t.kfns, 'federatedtypeconfigs', ftc]);
    const ok =
      f?.status?.observedGeneration === f?.metadata.generation &&
      f?.status?.propagationController === 'Running';
    return [ok, f!, JSON.stringify({ generation: f?.metadata.generation, status: f?.status })];
  });
}

/** The total `count` of Warning Events `reason` on the federated object `name` in `ns`. */
async function warningCount(t: Topology, ns: string, name: string, reason: string): Promise<number> {
  const list = JSON.parse(
    await t.kubectl('cluster1', [
      '-n',
      ns,
      'get',
      'events',
      '--field-selector',
      `involvedObject.name=${name},reason=${reason},type=Warning`,
      '-o',
      'json',
    ]),
  ) as { items: { count?: number }[] };
  return list.items.reduce((n, e) => n + (e.count ?? 1), 0);
}

/** Replicas per cluster the federated object asks for: its `/spec/replicas` overrides. */
function overriddenReplicas(f: Obj | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  const overrides = (f?.spec?.overrides ?? []) as {
    clusterName?: string;
    clusterOverrides?: { path: string; value?: unknown }[];
  }[];
  for (const o of overrides)
    for (const co of o.clusterOverrides ?? [])
      if (co.path === '/spec/replicas') out[o.clusterName ?? ''] = co.value as number;
  return out;
}

const placedClusters = (f: Obj | undefined) =>
  ((f?.spec?.placement as { clusters?: { name: string }[] } | undefined)?.clusters ?? [])
    .map((c) => c.name)
    .sort();

const rsp = (ns: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'scheduling.kubefed.io/v1alpha1',
  kind: 'ReplicaSchedulingPreference',
  metadata: { name, namespace: ns },
  spec: { targetKind: 'FederatedDeployment', ...spec },
});

/** Waits until the RSP wrote `expected` (cluster -> replicas) into the FederatedDeployment, and members follow. */
async function waitSplit(
  t: Topology,
  ns: string,
  name: string,
  expected: Record<string, number>,
): Promise<void> {
  await t.wait(`FederatedDeployment ${ns}/${name} split ${JSON.stringify(expected)}`, async () => {
    const f = await t.get('cluster1', ['-n', ns, FDEPLOY, name]);
    const ok =
      isDeepStrictEqual(overriddenReplicas(f), expected) &&
      isDeepStrictEqual(placedClusters(f), Object.keys(expected).sort());
    return [ok, f, JSON.stringify({ placement: f?.spec?.placement, overrides: f?.spec?.overrides })];
  });
  for (const [cluster, replicas] of Object.entries(expected))
    await waitMember<Deployment>(
      t,
      cluster,
      ns,
      'deployments.apps',
      name,
      `spec.replicas ${replicas}`,
      (d) => d?.spec.replicas === replicas,
    );
}

export function propagationChecks(t: Topology): void {
  it('#10 placement: clusterSelector {} selects all, no placement none, clusters [] none even with a selector, unknown names ignored', async () => {
    const ns = await t.federatedNamespace('conf-place');
    try {
      await t.apply(
        'cluster1',
        fedConfigMap(ns, 'all', everywhere),
        fedConfigMap(ns, 'nothing', {}),
        fedConfigMap(ns, 'empty-list', { clusters: [], clusterSelector: {} }),
        fedConfigMap(ns, 'unknown', to('cluster2', 'conf-no-such-cluster')),
      );
      await waitStatus(t, FCM, ns, 'all', ['cluster1:', 'cluster2:'], 'True');
      await waitStatus(t, FCM, ns, 'nothing', [], 'True');
      await waitStatus(t, FCM, ns, 'empty-list', [], 'True');
      await waitStatus(t, FCM, ns, 'unknown', ['cluster2:'], 'True');
      for (const c of CLUSTERS) {
        expect(await member(t, c, ns, 'configmaps', 'all'), `all in ${c}`).toBeDefined();
        expect(await member(t, c, ns, 'configmaps', 'nothing'), `nothing in ${c}`).toBeUndefined();
        expect(await member(t, c, ns, 'configmaps', 'empty-list'), `empty-list in ${c}`).toBeUndefined();
      }
      expect(await member(t, 'cluster2', ns, 'configmaps', 'unknown')).toBeDefined();
      expect(await member(t, 'cluster1', ns, 'configmaps', 'unknown')).toBeUndefined();
    } finally {
      await deleteNamespace(t, ns);
    }
  });

  it('#11 a namespace without FederatedNamespace: Propagation False / NamespaceNotFederated, nothing propagated', async () => {
    const ns = await plainNamespace(t, 'conf-nofns');
    try {
      await t.apply('cluster1', fedConfigMap(ns, 'lonely', everywhere));
      const f = await waitStatus(t, FCM, ns, 'lonely', [], 'False');
      expect(propagationOf(f)?.reason).toBe('NamespaceNotFederated');
      for (const c of CLUSTERS) expect(await member(t, c, ns, 'configmaps', 'lonely'), c).toBeUndefined();
      expect(await t.get('cluster2', ['namespace', ns])).toBeUndefined();
    } finally {
      await deleteNamespace(t, ns);
    }
  });

  it('#14 member annotations and finalizers survive updates; overrides still add and remove annotation keys', async () => {
    const ns = await t.federatedNamespace('conf-keep');
    const hold = 'conformance.kubefed.io/hold';
    try {
      await t.apply('cluster1', fedConfigMap(ns, 'kept', to('cluster2')));
      await waitStatus(t, FCM, ns, 'kept', ['cluster2:'], 'True');
      await t.kubectl('cluster2', [
        '-n',
        ns,
        'annotate',
        'configmap',
        'kept',
        'conformance.kubefed.io/member-note=kept',
      ]);
      await t.kubectl('cluster2', [
        '-n',
        ns,
        'patch',
        'configmap',
        'kept',
        '--type=merge',
        '-p',
        JSON.stringify({ metadata: { finalizers: [hold] } }),
      ]);
      await t.apply('cluster1', {
        ...fedConfigMap(ns, 'kept', to('cluster2')),
        spec: { template: { data: { v: '2' } }, placement: to('cluster2') },
      });
      const updated = await waitMember<ConfigMap>(
        t,
        'cluster2',
        ns,
        'configmaps',
        'kept',
        'data v=2',
        (o) => o?.data?.v === '2',
      );
      expect(updated?.metadata.annotations?.['conformance.kubefed.io/member-note']).toBe('kept');
      expect(updated?.metadata.finalizers).toContain(hold);

      // An override adds an annotation on update, next to the member's; dropping the override
      // removes the key it added and keeps the member's. (Upstream v0.10 replaces the desired
      // annotations with the member's wholesale on update: a deliberate difference, see retain.ts.)
      const withOverride = (overrides: unknown[]) => ({
        ...fedConfigMap(ns, 'kept', to('cluster2')),
        spec: { template: { data: { v: '2' } }, placement: to('cluster2'), overrides },
      });
      await t.apply(
        'cluster1',
        withOverride([
          {
            clusterName: 'cluster2',
            clusterOverrides: [
              {
                op: 'add',
                path: '/metadata/annotations',
                value: { 'conformance.kubefed.io/added': 'by-override' },
              },
            ],
          },
        ]),
      );
      const overridden = await waitMember<ConfigMap>(
        t,
        'cluster2',
        ns,
        'configmaps',
        'kept',
        'annotation added by the override',
        (o) => o?.metadata.annotations?.['conformance.kubefed.io/added'] === 'by-override',
      );
      expect(overridden?.metadata.annotations?.['conformance.kubefed.io/member-note']).toBe('kept');
      expect(overridden?.metadata.finalizers).toContain(hold);
      await waitStatus(t, FCM, ns, 'kept', ['cluster2:'], 'True');
      await t.apply('cluster1', withOverride([]));
      const dropped = await waitMember<ConfigMap>(
        t,
        'cluster2',
        ns,
        'configmaps',
        'kept',
        'annotation of the dropped override removed',
        (o) => o !== undefined && o.metadata.annotations?.['conformance.kubefed.io/added'] === undefined,
      );
      expect(dropped?.metadata.annotations?.['conformance.kubefed.io/member-note']).toBe('kept');
      expect(dropped?.metadata.finalizers).toContain(hold);
      expect(dropped?.data?.v).toBe('2');
    } finally {
      await t
        .kubectl('cluster2', [
          '-n',
          ns,
          'patch',
          'configmap',
          'kept',
          '--type=merge',
          '-p',
          '{"metadata":{"finalizers":null}}',
        ])
        .catch(() => undefined);
      await deleteNamespace(t, ns);
    }
  });

  it('#15 member-owned values are kept: Service clusterIP(s)/nodePort/healthCheckNodePort, ServiceAccount secrets, replicas with retainReplicas', async () => {
    const ns = await t.federatedNamespace('conf-retain');
    try {
      type Service = Obj & {
        spec: {
          clusterIP?: string;
          clusterIPs?: string[];
          healthCheckNodePort?: number;
          selector?: Record<string, string>;
          ports: { name: string; nodePort?: number }[];
        };
      };
      type ServiceAccount = Obj & { secrets?: { name: string }[]; automountServiceAccountToken?: boolean };
      const svc = (app: string) =>
        federated('FederatedService', ns, 'lb', {
          template: {
            spec: {
              type: 'LoadBalancer',
              externalTrafficPolicy: 'Local',
              selector: { app },
              ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
            },
          },
          placement: to('cluster2'),
        });
      const sa = (automount: boolean) =>
        federated('FederatedServiceAccount', ns, 'robot', {
          template: { automountServiceAccountToken: automount },
          placement: to('cluster2'),
        });
      const deploy = (labels: Record<string, string>) =>
        federated('FederatedDeployment', ns, 'scaled', {
          template: deploymentTemplate('scaled', 1, labels),
          placement: to('cluster1', 'cluster2'),
          retainReplicas: true,
        });
      await t.apply('cluster1', svc('web'), sa(false), deploy({}));
      await waitStatus(t, FSVC, ns, 'lb', ['cluster2:'], 'True');
      await waitStatus(t, FSA, ns, 'robot', ['cluster2:'], 'True');
      await waitStatus(t, FDEPLOY, ns, 'scaled', ['cluster1:', 'cluster2:'], 'True');

      const before = (await member<Service>(t, 'cluster2', ns, 'services', 'lb'))!;
      expect(before.spec.clusterIP).toMatch(/\d/);
      expect(before.spec.ports[0]?.nodePort).toBeGreaterThan(0);
      expect(before.spec.healthCheckNodePort).toBeGreaterThan(0);
      await t.kubectl('cluster2', [
        '-n',
        ns,
        'patch',
        'serviceaccount',
        'robot',
        '--type=merge',
        '-p',
        JSON.stringify({ secrets: [{ name: 'conformance-member-token' }] }),
      ]);
      await t.kubectl('cluster2', ['-n', ns, 'scale', 'deployment', 'scaled', '--replicas=3']);

      // Template updates of all three: the member-owned values stay.
      await t.apply('cluster1', svc('web2'), sa(true), deploy({ rev: '2' }));
      const after = await waitMember<Service>(
        t,
        'cluster2',
        ns,
        'services',
        'lb',
        'selector app=web2',
        (o) => o?.spec.selector?.app === 'web2',
      );
      expect(after?.metadata.uid).toBe(before.metadata.uid);
      expect(after?.spec.clusterIP).toBe(before.spec.clusterIP);
      expect(after?.spec.clusterIPs).toEqual(before.spec.clusterIPs);
      expect(after?.spec.ports[0]?.nodePort).toBe(before.spec.ports[0]?.nodePort);
      expect(after?.spec.healthCheckNodePort).toBe(before.spec.healthCheckNodePort);

      const robot = await waitMember<ServiceAccount>(
        t,
        'cluster2',
        ns,
        'serviceaccounts',
        'robot',
        'automount true',
        (o) => o?.automountServiceAccountToken === true,
      );
      expect(robot?.secrets).toEqual([{ name: 'conformance-member-token' }]);

      const scaled = await waitMember<Deployment>(
        t,
        'cluster2',
        ns,
        'deployments.apps',
        'scaled',
        'label rev=2',
        (o) => o?.metadata.labels?.rev === '2',
      );
      expect(scaled?.spec.replicas).toBe(3);
      const other = await waitMember<Deployment>(
        t,
        'cluster1',
        ns,
        'deployments.apps',
        'scaled',
        'label rev=2',
        (o) => o?.metadata.labels?.rev === '2',
      );
      expect(other?.spec.replicas).toBe(1);
      await waitStatus(t, FDEPLOY, ns, 'scaled', ['cluster1:', 'cluster2:'], 'True');
    } finally {
      await deleteNamespace(t, ns);
    }
  });

  it('#16 an out-of-band spec change (generation bump) and any change of an rv-versioned copy are reverted', async () => {
    const ns = await t.federatedNamespace('conf-drift');
    try {
      await t.apply(
        'cluster1',
        fedDeployment(ns, 'web', to('cluster2')),
        fedConfigMap(ns, 'cfg', to('cluster2')),
      );
      await waitStatus(t, FDEPLOY, ns, 'web', ['cluster2:'], 'True');
      await waitStatus(t, FCM, ns, 'cfg', ['cluster2:'], 'True');
      const d0 = (await member<Deployment>(t, 'cluster2', ns, 'deployments.apps', 'web'))!;
      await t.kubectl('cluster2', [
        '-n',
        ns,
        'set',
        'image',
        'deployment/web',
        'c=registry.invalid/drifted:9',
      ]);
      await t.kubectl('cluster2', ['-n', ns, 'scale', 'deployment', 'web', '--replicas=4']);
      await t.kubectl('cluster2', [
        '-n',
        ns,
        'patch',
        'configmap',
        'cfg',
        '--type=merge',
        '-p',
        JSON.stringify({ data: { v: 'drifted', extra: 'x' } }),
      ]);
      const d = await waitMember<Deployment>(
        t,
        'cluster2',
        ns,
        'deployments.apps',
        'web',
        'image and replicas reverted',
        (o) =>
          o?.spec.template.spec.containers[0]?.image === 'registry.invalid/conformance:1' &&
          o.spec.replicas === 1 &&
          (o.metadata.generation ?? 0) > (d0.metadata.generation ?? 0) + 1,
        90_000,
      );
      expect(d?.metadata.uid).toBe(d0.metadata.uid);
      await waitMember<ConfigMap>(
        t,
        'cluster2',
        ns,
        'configmaps',
        'cfg',
        'data reverted',
        (o) => isDeepStrictEqual(o?.data, { v: '1' }),
        90_000,
      );
    } finally {
      await deleteNamespace(t, ns);
    }
  });

  it('#20 a placed cluster that is not Ready is ClusterNotReady with reason CheckClusters; the others propagate', async () => {
    const ns = await t.federatedNamespace('conf-unready');
    const fake = await offlineMember(t);
    try {
      await t.apply('cluster1', fedConfigMap(ns, 'cfg', to('cluster2', fake.name)));
      const f = await waitStatus(t, FCM, ns, 'cfg', ['cluster2:', `${fake.name}:ClusterNotReady`], 'False');
      expect(propagationOf(f)?.reason).toBe('CheckClusters');
      expect(await member(t, 'cluster2', ns, 'configmaps', 'cfg')).toBeDefined();
    } finally {
      await fake.remove();
    }
    try {
      // Once the member is gone, it is no longer placed.
      await waitStatus(t, FCM, ns, 'cfg', ['cluster2:'], 'True', 90_000);
    } finally {
      await deleteNamespace(t, ns);
    }
  });

  it('#21 a pre-existing unlabelled member object is adopted with adoptResources Enabled, and reported AlreadyExists and left alone with Disabled', async () => {
    const ns = await t.federatedNamespace('conf-adopt');
    try {
      await t.kubectl('cluster2', [
        '-n',
        ns,
        'create',
        'configmap',
        'adopted',
        '--from-literal=owner=member',
      ]);
      await t.kubectl('cluster2', ['-n', ns, 'create', 'configmap', 'left', '--from-literal=owner=member']);
      await t.apply('cluster1', fedConfigMap(ns, 'adopted', to('cluster2')));
      await waitStatus(t, FCM, ns, 'adopted', ['cluster2:'], 'True');
      const adopted = await member<ConfigMap>(t, 'cluster2', ns, 'configmaps', 'adopted');
      expect(adopted?.data).toEqual({ v: '1' });
      expect(adopted?.metadata.labels?.[MANAGED]).toBe('true');

      // Upstream reads adoptResources at manager start; this manager follows the KubeFedConfig.
      await patchKubeFedConfig(t, { syncController: { adoptResources: 'Disabled' } });
      try {
        await sleep(5_000);
        await t.apply('cluster1', fedConfigMap(ns, 'left', to('cluster2')));
        const f = await waitStatus(t, FCM, ns, 'left', ['cluster2:AlreadyExists'], 'False');
        expect(propagationOf(f)?.reason).toBe('CheckClusters');
        const left = await member<ConfigMap>(t, 'cluster2', ns, 'configmaps', 'left');
        expect(left?.data).toEqual({ owner: 'member' });
        expect(left?.metadata.labels?.[MANAGED]).toBeUndefined();
      } finally {
        await patchKubeFedConfig(t, { syncController: { adoptResources: 'Enabled' } });
      }
    } finally {
      await deleteNamespace(t, ns);
    }
  });

  it('#22 an object labelled kubefed.io/managed=false is never modified: ManagedLabelFalse', async () => {
    const ns = await t.federatedNamespace('conf-unmanaged');
    try {
      await t.apply('cluster2', {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'mine', namespace: ns, labels: { [MANAGED]: 'false' } },
        data: { owner: 'member' },
      });
      const before = await member<ConfigMap>(t, 'cluster2', ns, 'configmaps', 'mine');
      await t.apply('cluster1', fedConfigMap(ns, 'mine', everywhere));
      const f = await waitStatus(t, FCM, ns, 'mine', ['cluster1:', 'cluster2:ManagedLabelFalse'], 'False');
      expect(propagationOf(f)?.reason).toBe('CheckClusters');
      const after = await member<ConfigMap>(t, 'cluster2', ns, 'configmaps', 'mine');
      expect(after?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
      expect(after?.data).toEqual({ owner: 'member' });
      expect((await member<ConfigMap>(t, 'cluster1', ns, 'configmaps', 'mine'))?.data).toEqual({ v: '1' });
    } finally {
      await deleteNamespace(t, ns);
    }
  });

  it('#23 an unlabelled member object outside the placement is never deleted; a labelled one without federated object loses its label', async () => {
    const ns = await t.federatedNamespace('conf-stray');
    try {
      await t.kubectl('cluster2', ['-n', ns, 'create', 'configmap', 'local', '--from-literal=owner=member']);
      const local0 = await member<ConfigMap>(t, 'cluster2', ns, 'configmaps', 'local');
      await t.apply('cluster1', fedConfigMap(ns, 'local', to('cluster1')));
      await waitStatus(t, FCM, ns, 'local', ['cluster1:'], 'True');
      await t.kubectl('cluster2', ['-n', ns, 'create', 'configmap', 'stray', '--from-literal=owner=member']);
      await t.kubectl('cluster2', ['-n', ns, 'label', 'configmap', 'stray', `${MANAGED}=true`]);
      const stray = await waitMember<ConfigMap>(
        t,
        'cluster2',
        ns,
        'configmaps',
        'stray',
        'managed label removed',
        (o) => o !== undefined && o.metadata.labels?.[MANAGED] === undefined,
      );
      expect(stray?.data).toEqual({ owner: 'member' });
      expect(stray?.metadata.deletionTimestamp).toBeUndefined();
      // The unplaced, unlabelled `local` outlived reconciles of its federated namesake.
      const local = await member<ConfigMap>(t, 'cluster2', ns, 'configmaps', 'local');
      expect(local?.metadata.uid).toBe(local0?.metadata.uid);
      expect(local?.data).toEqual({ owner: 'member' });
      expect(local?.metadata.deletionTimestamp).toBeUndefined();
    } finally {
      await deleteNamespace(t, ns);
    }
  });

  it('#25 kubefed.io/deleteoption {"propagationPolicy":"Orphan"} is honoured on member deletes', async () => {
    const ns = await t.federatedNamespace('conf-delopt');
    const replicaSets = async (app: string) =>
      (
        JSON.parse(
          await t.kubectl('cluster2', ['-n', ns, 'get', 'replicasets', '-l', `app=${app}`, '-o', 'json']),
        ) as { items: Obj[] }
      ).items;
    try {
      await t.apply(
        'cluster1',
        fedDeployment(ns, 'orphaned', to('cluster2'), {}),
        fedDeployment(ns, 'collected', to('cluster2'), {}),
      );
      await t.kubectl('cluster1', [
        '-n',
        ns,
        'annotate',
        FDEPLOY,
        'orphaned',
        'kubefed.io/deleteoption={"propagationPolicy":"Orphan"}',
      ]);
      for (const app of ['orphaned', 'collected'])
        await t.wait(`a ReplicaSet of ${app} in cluster2`, async () => {
          const items = await replicaSets(app);
          return [items.length > 0, items, `${items.length} ReplicaSets`];
        });
      await t.kubectl('cluster1', ['-n', ns, 'delete', FDEPLOY, 'orphaned', 'collected', '--wait=false']);
      for (const app of ['orphaned', 'collected'])
        await waitMember(t, 'cluster2', ns, 'deployments.apps', app, 'deleted', (o) => o === undefined);
      // Background deletion (the default) lets the garbage collector take the ReplicaSet…
      await t.wait('the ReplicaSet of collected garbage-collected', async () => {
        const items = await replicaSets('collected');
        return [items.length === 0, items, `${items.length} ReplicaSets`];
      });
      // …Orphan keeps it, without its owner reference.
      const kept = await replicaSets('orphaned');
      expect(kept).toHaveLength(1);
      expect(kept[0]!.metadata).not.toHaveProperty('deletionTimestamp');
      expect(
        (kept[0] as { metadata: { ownerReferences?: unknown[] } }).metadata.ownerReferences ?? [],
      ).toEqual([]);
    } finally {
      await deleteNamespace(t, ns);
    }
  });

  it('#26 deletion ignores an unready cluster outside the placement and waits for a placed unready one', async () => {
    const ns = await t.federatedNamespace('conf-delunready');
    const fake = await offlineMember(t);
    try {
      await t.apply(
        'cluster1',
        fedConfigMap(ns, 'unplaced', to('cluster2')),
        fedConfigMap(ns, 'placed', to('cluster2', fake.name)),
      );
      await waitStatus(t, FCM, ns, 'unplaced', ['cluster2:'], 'True');
      await waitStatus(t, FCM, ns, 'placed', ['cluster2:', `${fake.name}:ClusterNotReady`], 'False');
      await t.kubectl('cluster1', ['-n', ns, 'delete', FCM, 'unplaced', 'placed', '--wait=false']);
      await t.wait('unplaced and its copy deleted', async () => {
        const f = await t.get('cluster1', ['-n', ns, FCM, 'unplaced']);
        const o = await member(t, 'cluster2', ns, 'configmaps', 'unplaced');
        return [
          f === undefined && o === undefined,
          f,
          `federated ${f ? 'present' : 'gone'}, copy ${o ? 'present' : 'gone'}`,
        ];
      });
      // Well past a reconcile and its retries: the placed unready cluster still holds the deletion.
      await sleep(15_000);
      const held = await t.get('cluster1', ['-n', ns, FCM, 'placed']);
      expect(held?.metadata.deletionTimestamp).toBeDefined();
      expect(held?.metadata.finalizers).toContain('kubefed.io/sync-controller');
    } finally {
      await fake.remove();
    }
    try {
      // Once the cluster is gone (unjoined), nothing holds the deletion any more.
      await t.wait(
        'placed deleted once its unready cluster is unjoined',
        async () => {
          const f = await t.get('cluster1', ['-n', ns, FCM, 'placed']);
          return [f === undefined, f, JSON.stringify(f?.status)];
        },
        120_000,
      );
    } finally {
      await deleteNamespace(t, ns);
    }
  }, 300_000);

  it("#29 RawResourceStatusCollection + FTC statusCollection Enabled: status.clusters[].remoteStatus mirrors each member's .status", async () => {
    const ftc = 'deployments.apps';
    const original = (await t.get('cluster1', ['-n', t.kfns, 'federatedtypeconfigs', ftc]))?.spec
      ?.statusCollection;
    expect(
      (await featureGatesOf(t)).find((g) => g.name === 'RawResourceStatusCollection')?.configuration,
    ).toBe('Enabled');
    const ns = await t.federatedNamespace('conf-remote');
    try {
      await patchFtc(t, ftc, { statusCollection: 'Enabled' });
      await t.apply('cluster1', fedDeployment(ns, 'web', everywhere));
      type Entry = { name: string; status?: string; remoteStatus?: unknown };
      await t.wait('remoteStatus equal to each member Deployment status, Propagation True', async () => {
        const f = await t.get('cluster1', ['-n', ns, FDEPLOY, 'web']);
        const entries = (f?.status?.clusters ?? []) as Entry[];
        const members = await Promise.all(CLUSTERS.map((c) => member(t, c, ns, 'deployments.apps', 'web')));
        const same =
          entries.length === CLUSTERS.length &&
          CLUSTERS.every((c, i) => {
            const status = members[i]?.status;
            return (
              status !== undefined &&
              isDeepStrictEqual(entries.find((e) => e.name === c)?.remoteStatus, status)
            );
          });
        return [same && propagationOf(f)?.status === 'True', f, JSON.stringify(f?.status)];
      });
    } finally {
      await patchFtc(t, ftc, { statusCollection: original ?? null });
      await deleteNamespace(t, ns);
    }
  });

  it('#30 gate off + services FTC with statusCollection and statusType FederatedServiceStatus: a FederatedServiceStatus with name-sorted clusterStatus', async () => {
    const gates = await featureGatesOf(t);
    const original = (await t.get('cluster1', ['-n', t.kfns, 'federatedtypeconfigs', 'services']))?.spec;
    const ns = await t.federatedNamespace('conf-fss');
    try {
      // Upstream needs a manager restart for a gate change; this manager follows the KubeFedConfig.
      await patchKubeFedConfig(t, {
        featureGates: gates.map((g) =>
          g.name === 'RawResourceStatusCollection' ? { ...g, configuration: 'Disabled' } : g,
        ),
      });
      const f = await patchFtc(t, 'services', {
        statusCollection: 'Enabled',
        statusType: {
          group: 'core.kubefed.io',
          version: 'v1alpha1',
          kind: 'FederatedServiceStatus',
          pluralName: 'federatedservicestatuses',
          scope: 'Namespaced',
        },
      });
      await t.wait('FTC services statusController Running', async () => {
        const x = await t.get('cluster1', ['-n', t.kfns, 'federatedtypeconfigs', 'services']);
        return [x?.status?.statusController === 'Running', x, JSON.stringify(x?.status)];
      });
      expect(f.status?.propagationController).toBe('Running');
      await t.apply(
        'cluster1',
        federated('FederatedService', ns, 'web', {
          template: {
            spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
          },
          placement: everywhere,
        }),
      );
      const fed = await waitStatus(t, FSVC, ns, 'web', ['cluster1:', 'cluster2:'], 'True');
      type Fss = Obj & {
        metadata: Obj['metadata'] & { ownerReferences?: { kind: string; name: string; uid: string }[] };
        clusterStatus?: { clusterName: string; status?: unknown }[];
      };
      const fss = await t.wait(
        'FederatedServiceStatus with both clusters and their Service status',
        async () => {
          const s = await t.get<Fss>('cluster1', [
            '-n',
            ns,
            'federatedservicestatuses.core.kubefed.io',
            'web',
          ]);
          const members = await Promise.all(CLUSTERS.map((c) => member(t, c, ns, 'services', 'web')));
          const want = CLUSTERS.map((c, i) => ({ clusterName: c, status: members[i]?.status }));
          return [isDeepStrictEqual(s?.clusterStatus, want), s!, JSON.stringify(s?.clusterStatus)];
        },
      );
      expect(fss.metadata.ownerReferences?.map((o) => [o.kind, o.name, o.uid])).toEqual([
        ['FederatedService', 'web', fed.metadata.uid],
      ]);
      // Raw collection is off: no remoteStatus.
      expect(
        ((fed.status?.clusters ?? []) as { remoteStatus?: unknown }[]).every(
          (c) => c.remoteStatus === undefined,
        ),
      ).toBe(true);
    } finally {
      await patchFtc(t, 'services', {
        statusCollection: original?.statusCollection ?? null,
        statusType: original?.statusType ?? null,
      });
      await patchKubeFedConfig(t, { featureGates: gates });
      await deleteNamespace(t, ns);
    }
  });

  it('#31 RSP over two clusters: total 4 without preferences => 2/2; 6 with weights 2:1 => 4/2; plus minReplicas 3 each => 3/3', async () => {
    const ns = await t.federatedNamespace('conf-rsp');
    try {
      const names = ['even', 'weighted', 'minimums'];
      await t.apply(
        'cluster1',
        ...names.map((n) =>
          federated('FederatedDeployment', ns, n, {
            template: deploymentTemplate(n, 0),
            placement: everywhere,
          }),
        ),
      );
      await t.apply(
        'cluster1',
        rsp(ns, 'even', { totalReplicas: 4 }),
        rsp(ns, 'weighted', {
          totalReplicas: 6,
          clusters: { cluster1: { weight: 2 }, cluster2: { weight: 1 } },
        }),
        rsp(ns, 'minimums', {
          totalReplicas: 6,
          clusters: { cluster1: { minReplicas: 3, weight: 2 }, cluster2: { minReplicas: 3, weight: 1 } },
        }),
      );
      await waitSplit(t, ns, 'even', { cluster1: 2, cluster2: 2 });
      await waitSplit(t, ns, 'weighted', { cluster1: 4, cluster2: 2 });
      await waitSplit(t, ns, 'minimums', { cluster1: 3, cluster2: 3 });
    } finally {
      await deleteNamespace(t, ns);
    }
  });

  it('#32 RSP intersectWithClusterSelector with a selector matching one cluster gives it every replica; another targetKind changes nothing', async () => {
    const ns = await t.federatedNamespace('conf-rsp-sel');
    const label = unique('conformance.kubefed.io/rsp');
    try {
      await t.kubectl('cluster1', ['-n', t.kfns, 'label', 'kubefedcluster', 'cluster2', `${label}=selected`]);
      await t.apply(
        'cluster1',
        federated('FederatedDeployment', ns, 'selected', {
          template: deploymentTemplate('selected', 0),
          placement: { clusterSelector: { matchLabels: { [label]: 'selected' } } },
        }),
        federated('FederatedDeployment', ns, 'other-kind', {
          template: deploymentTemplate('other-kind', 1),
          placement: everywhere,
        }),
      );
      await waitStatus(t, FDEPLOY, ns, 'selected', ['cluster2:'], 'True');
      const other0 = await waitStatus(t, FDEPLOY, ns, 'other-kind', ['cluster1:', 'cluster2:'], 'True');
      await t.apply(
        'cluster1',
        rsp(ns, 'selected', { totalReplicas: 6, intersectWithClusterSelector: true }),
        rsp(ns, 'other-kind', { targetKind: 'FederatedReplicaSet', totalReplicas: 6 }),
      );
      await waitSplit(t, ns, 'selected', { cluster2: 6 });
      expect(await member(t, 'cluster1', ns, 'deployments.apps', 'selected')).toBeUndefined();

      // The RSP for FederatedReplicaSet other-kind has been looked at (ours reports it; upstream's
      // status stays empty) and the FederatedDeployment of that name is untouched.
      await t.wait('RSP other-kind reconciled', async () => {
        const r = await t.get('cluster1', ['-n', ns, RSP, 'other-kind']);
        return [r?.status?.observedGeneration === r?.metadata.generation, r, JSON.stringify(r?.status)];
      });
      await sleep(5_000);
      const other = await t.get('cluster1', ['-n', ns, FDEPLOY, 'other-kind']);
      expect(other?.metadata.generation).toBe(other0.metadata.generation);
      expect(other?.spec?.overrides ?? []).toEqual([]);
      expect(other?.spec?.placement).toEqual(everywhere);
      for (const c of CLUSTERS)
        expect((await member<Deployment>(t, c, ns, 'deployments.apps', 'other-kind'))?.spec.replicas, c).toBe(
          1,
        );
    } finally {
      await t.kubectl('cluster1', ['-n', t.kfns, 'label', 'kubefedcluster', 'cluster2', `${label}-`]);
      await deleteNamespace(t, ns);
    }
  });

  it('#44 a recoverable failure (CreationFailed: the member refuses the object) is retried with backoff and recovers once the cause is fixed', async () => {
    const ns = await t.federatedNamespace('conf-backoff');
    try {
      // The member's ResourceQuota forbids ConfigMaps in the namespace.
      await t.apply('cluster2', {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'no-configmaps', namespace: ns },
        spec: { hard: { configmaps: '0' } },
      });
      await t.apply('cluster1', fedConfigMap(ns, 'refused', everywhere));
      const failed = await waitStatus(
        t,
        FCM,
        ns,
        'refused',
        ['cluster1:', 'cluster2:CreationFailed'],
        'False',
      );
      expect(propagationOf(failed)?.reason).toBe('CheckClusters');
      // Retried with backoff (per key, 5 s doubling to 60 s; the first reconciles, brought by the
      // object's own finalizer and status writes, already count as failures), without any change
      // to the federated object: a later failed attempt comes, and no hot loop.
      await sleep(3_000);
      const before = await warningCount(t, ns, 'refused', 'CreateInClusterFailed');
      const after = await t.wait(
        `a further failed creation attempt (Warning CreateInClusterFailed count > ${before})`,
        async () => {
          const n = await warningCount(t, ns, 'refused', 'CreateInClusterFailed');
          return [n > before, n, `count ${n}`];
        },
        90_000,
      );
      expect(after - before).toBeLessThanOrEqual(3);
      const still = await t.get('cluster1', ['-n', ns, FCM, 'refused']);
      expect(clusterStatusesOf(still)).toEqual(['cluster1:', 'cluster2:CreationFailed']);
      await t.kubectl('cluster2', ['-n', ns, 'delete', 'resourcequota', 'no-configmaps']);
      const recovered = await waitStatus(t, FCM, ns, 'refused', ['cluster1:', 'cluster2:'], 'True', 120_000);
      expect(recovered.metadata.generation).toBe(failed.metadata.generation);
      expect((await member<ConfigMap>(t, 'cluster2', ns, 'configmaps', 'refused'))?.data).toEqual({ v: '1' });
    } finally {
      await deleteNamespace(t, ns);
    }
  }, 300_000);
}
