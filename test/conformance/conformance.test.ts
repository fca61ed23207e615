/**
 * Upstream conformance: one check per item of the compatibility checklist of upstream KubeFed v0.10
 * (../shared/notes/kubefed-upstream.md §8), named by its number, run against our control plane as
 * an upstream user runs theirs: the chart installed with helm, members joined with kubefedctl,
 * everything else kubectl and YAML (harness.ts). docs/compatibility.md lists every item with its
 * check and any deliberate difference.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crudCycle, type FederatedTypeCase } from './crud.js';
import { KFNS, Topology, unique, type Obj } from './harness.js';
import { propagationChecks } from './propagation.js';
import { controlPlaneChecks } from './control-plane.js';

const t = new Topology();
const TYPES = 'types.kubefed.io/v1beta1';

const ftcType = (
  ftc: string,
  kind: string,
  target: FederatedTypeCase['target'],
  namespaced: boolean,
  template: Record<string, unknown>,
): FederatedTypeCase => ({
  ftc,
  kind: `Federated${kind}`,
  resource: `federated${ftc.split('.')[0]}.types.kubefed.io`,
  apiVersion: TYPES,
  target,
  namespaced,
  template,
});

const podSpec = { containers: [{ name: 'c', image: 'registry.invalid/conformance:1' }] };
const DEFAULT_TYPES: FederatedTypeCase[] = [
  ftcType('configmaps', 'ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', resource: 'configmaps' }, true, {
    data: { greeting: 'hello <&>' },
  }),
  ftcType('secrets', 'Secret', { apiVersion: 'v1', kind: 'Secret', resource: 'secrets' }, true, {
    type: 'Opaque',
    data: { token: Buffer.from('s3cr3t').toString('base64') },
  }),
  ftcType(
    'serviceaccounts',
    'ServiceAccount',
    { apiVersion: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts' },
    true,
    {
      automountServiceAccountToken: false,
    },
  ),
  ftcType('services', 'Service', { apiVersion: 'v1', kind: 'Service', resource: 'services' }, true, {
    spec: {
      selector: { app: 'web' },
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
    },
  }),
  ftcType(
    'deployments.apps',
    'Deployment',
    { apiVersion: 'apps/v1', kind: 'Deployment', resource: 'deployments.apps' },
    true,
    {
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: podSpec },
      },
    },
  ),
  ftcType(
    'replicasets.apps',
    'ReplicaSet',
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', resource: 'replicasets.apps' },
    true,
    {
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'rs' } },
        template: { metadata: { labels: { app: 'rs' } }, spec: podSpec },
      },
    },
  ),
  ftcType('jobs.batch', 'Job', { apiVersion: 'batch/v1', kind: 'Job', resource: 'jobs.batch' }, true, {
    spec: { suspend: true, template: { spec: { ...podSpec, restartPolicy: 'Never' } } },
  }),
  ftcType(
    'ingresses.networking.k8s.io',
    'Ingress',
    { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', resource: 'ingresses.networking.k8s.io' },
    true,
    {
      spec: {
        rules: [
          {
            host: 'web.example.com',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'web', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    },
  ),
  ftcType(
    'clusterroles.rbac.authorization.k8s.io',
    'ClusterRole',
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      resource: 'clusterroles.rbac.authorization.k8s.io',
    },
    false,
    { rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] }] },
  ),
];

const federatedNamespace = (prefix: string) => t.federatedNamespace(prefix);

describe('upstream conformance, cluster-scoped control plane in kube-federation-system', () => {
  beforeAll(async () => {
    await t.up();
  }, 600_000);

  afterAll(async () => {
    await t.down();
  });

  it('#1 the core, scheduling and default federated CRDs exist with upstream groups, versions, scopes and short names', async () => {
    const crds = JSON.parse(await t.kubectl('cluster1', ['get', 'crds', '-o', 'json'])) as {
      items: {
        metadata: { name: string };
        spec: {
          scope: string;
          names: { shortNames?: string[] };
          versions: { name: string; subresources?: { status?: unknown } }[];
        };
      }[];
    };
    const byName = new Map(crds.items.map((c) => [c.metadata.name, c]));
    const expected: [string, string, string, string[]?][] = [
      ['kubefedclusters.core.kubefed.io', 'Namespaced', 'v1beta1', ['kfc']],
      ['kubefedconfigs.core.kubefed.io', 'Namespaced', 'v1beta1'],
      ['federatedtypeconfigs.core.kubefed.io', 'Namespaced', 'v1beta1', ['ftc']],
      ['propagatedversions.core.kubefed.io', 'Namespaced', 'v1alpha1'],
      ['clusterpropagatedversions.core.kubefed.io', 'Cluster', 'v1alpha1'],
      ['federatedservicestatuses.core.kubefed.io', 'Namespaced', 'v1alpha1'],
      ['replicaschedulingpreferences.scheduling.kubefed.io', 'Namespaced', 'v1alpha1', ['rsp']],
      ['federatedclusterroles.types.kubefed.io', 'Cluster', 'v1beta1'],
      ['federatedconfigmaps.types.kubefed.io', 'Namespaced', 'v1beta1', ['fcm']],
      ['federateddeployments.types.kubefed.io', 'Namespaced', 'v1beta1', ['fdeploy']],
      ['federatedingresses.types.kubefed.io', 'Namespaced', 'v1beta1', ['fing']],
      ['federatedjobs.types.kubefed.io', 'Namespaced', 'v1beta1'],
      ['federatednamespaces.types.kubefed.io', 'Namespaced', 'v1beta1', ['fns']],
      ['federatedreplicasets.types.kubefed.io', 'Namespaced', 'v1beta1', ['frs']],
      ['federatedsecrets.types.kubefed.io', 'Namespaced', 'v1beta1'],
      ['federatedserviceaccounts.types.kubefed.io', 'Namespaced', 'v1beta1', ['fsa']],
      ['federatedservices.types.kubefed.io', 'Namespaced', 'v1beta1', ['fsvc']],
    ];
    for (const [name, scope, version, shortNames] of expected) {
      const crd = byName.get(name);
      expect(crd, name).toBeDefined();
      expect(crd!.spec.scope, name).toBe(scope);
      expect(
        crd!.spec.versions.map((v) => v.name),
        name,
      ).toContain(version);
      for (const s of shortNames ?? []) expect(crd!.spec.names.shortNames ?? [], name).toContain(s);
    }
    for (const name of [
      'kubefedclusters.core.kubefed.io',
      'federatedtypeconfigs.core.kubefed.io',
      'federatedconfigmaps.types.kubefed.io',
    ])
      expect(byName.get(name)!.spec.versions[0]!.subresources?.status, name).toBeDefined();
  });

  it('#8 every default FederatedTypeConfig is Running with its finalizer and observedGeneration', async () => {
    const names = ['namespaces', ...DEFAULT_TYPES.map((d) => d.ftc)];
    for (const name of names) {
      await t.wait(`FTC ${name} Running`, async () => {
        const f = await t.get<Obj>('cluster1', ['-n', KFNS, 'federatedtypeconfigs', name]);
        const ok =
          f?.status?.propagationController === 'Running' &&
          f.status.observedGeneration === f.metadata.generation &&
          (f.metadata.finalizers ?? []).includes('core.kubefed.io/federated-type-config');
        return [ok, f, JSON.stringify({ status: f?.status, finalizers: f?.metadata.finalizers })];
      });
    }
  });

  it('#7 a KubeFedCluster whose Secret has no token is ConfigMalformed, with the Event MalformedClusterConfig from kubefedcluster-controller', async () => {
    const name = unique('conf-malformed');
    await t.apply(
      'cluster1',
      { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: KFNS }, data: { other: 'eA==' } },
      {
        apiVersion: 'core.kubefed.io/v1beta1',
        kind: 'KubeFedCluster',
        metadata: { name, namespace: KFNS },
        spec: { apiEndpoint: 'https://127.0.0.1:1', secretRef: { name } },
      },
    );
    try {
      await t.wait(`KubeFedCluster ${name} ConfigMalformed=True only`, async () => {
        const kfc = await t.get<Obj>('cluster1', ['-n', KFNS, 'kubefedclusters', name]);
        const conditions = ((kfc?.status?.conditions ?? []) as { type: string; status: string }[]).map(
          (c) => `${c.type}=${c.status}`,
        );
        return [JSON.stringify(conditions) === '["ConfigMalformed=True"]', kfc, JSON.stringify(conditions)];
      });
      await t.wait('the Event MalformedClusterConfig from kubefedcluster-controller', async () => {
        const list = JSON.parse(
          await t.kubectl('cluster1', [
            '-n',
            KFNS,
            'get',
            'events',
            '--field-selector',
            `involvedObject.name=${name},reason=MalformedClusterConfig`,
            '-o',
            'json',
          ]),
        ) as { items: { type: string; source?: { component?: string } }[] };
        const found = list.items.find(
          (e) => e.type === 'Warning' && e.source?.component === 'kubefedcluster-controller',
        );
        return [found !== undefined, found, JSON.stringify(list.items.map((e) => e.source))];
      });
    } finally {
      await t.kubectl('cluster1', ['-n', KFNS, 'delete', 'kubefedcluster', name, '--ignore-not-found']);
      await t.kubectl('cluster1', ['-n', KFNS, 'delete', 'secret', name, '--ignore-not-found']);
    }
  });

  it("#42 the controller manager logs upstream's startup lines and holds the lock kubefed-controller-manager", async () => {
    const log = readFileSync(path.join(t.dir, 'logs', 'kubefed-controller-manager.log'), 'utf8');
    expect(log).toContain(`Using valid KubeFedConfig \\"${KFNS}/kubefed\\"`);
    expect(log).toContain('promoted as leader');
    expect(log).toContain('Starting cluster controller');
    // A coordination.k8s.io Lease (upstream's default lock was a ConfigMap: docs/compatibility.md).
    const lease = await t.get<{ spec: { holderIdentity?: string } }>('cluster1', [
      '-n',
      KFNS,
      'leases.coordination.k8s.io',
      'kubefed-controller-manager',
    ]);
    expect(lease?.spec.holderIdentity).toMatch(/^[^_]+_[0-9a-f-]{36}$/);
  });

  describe('#9 #12 #13 #17 #18 #19 #24 the create/update/shrink/delete cycle of every default type', () => {
    it('namespaces (FederatedNamespace; #27: the host Namespace is only unlabelled)', async () => {
      const ns = unique('conf-ns');
      await t.kubectl('cluster1', ['create', 'namespace', ns]);
      await crudCycle(
        t,
        ftcType(
          'namespaces',
          'Namespace',
          { apiVersion: 'v1', kind: 'Namespace', resource: 'namespaces' },
          false,
          {},
        ),
        ns,
      );
      // #28: deleting the FederatedNamespace removes the member namespace; the host keeps its own.
      await t.kubectl('cluster1', ['-n', ns, 'delete', 'federatednamespaces', ns, '--wait=false']);
      await t.wait(`namespace ${ns} removed from cluster2`, async () => {
        const o = await t.get<Obj>('cluster2', ['namespace', ns]);
        return [o === undefined || Boolean(o.metadata.deletionTimestamp), o, JSON.stringify(o?.metadata)];
      });
      await t.kubectl('cluster1', ['delete', 'namespace', ns, '--wait=false']);
    });

    for (const scope of ['Namespaced', 'Cluster'] as const) {
      const kind = scope === 'Namespaced' ? 'Widget' : 'Gadget';
      const plural = `${kind.toLowerCase()}s`;
      const group = 'conformance.example.io';
      it(`a ${scope.toLowerCase()} CRD (${kind}) enabled with kubefedctl enable`, async () => {
        const crd = {
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          metadata: { name: `${plural}.${group}` },
          spec: {
            group,
            scope,
            names: { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List` },
            versions: [
              {
                name: 'v1',
                served: true,
                storage: true,
                schema: {
                  openAPIV3Schema: {
                    type: 'object',
                    properties: {
                      spec: {
                        type: 'object',
                        properties: { size: { type: 'integer' }, colour: { type: 'string' } },
                      },
                    },
                  },
                },
              },
            ],
          },
        };
        for (const c of ['cluster1', 'cluster2']) {
          await t.apply(c, crd);
          await t.kubectl(c, [
            'wait',
            '--for=condition=Established',
            `crd/${plural}.${group}`,
            '--timeout=60s',
          ]);
        }
        const out = await t.kubefedctl('enable', `${plural}.${group}`, '--host-cluster-context=cluster1');
        expect(out).toContain(`federatedtypeconfig.core.kubefed.io/${plural}.${group} created`);
        await t.wait(`FTC ${plural}.${group} Running`, async () => {
          const f = await t.get<Obj>('cluster1', ['-n', KFNS, 'federatedtypeconfigs', `${plural}.${group}`]);
          return [f?.status?.propagationController === 'Running', f, JSON.stringify(f?.status)];
        });
        const tc: FederatedTypeCase = {
          ftc: `${plural}.${group}`,
          kind: `Federated${kind}`,
          resource: `federated${plural}.types.kubefed.io`,
          apiVersion: TYPES,
          target: { apiVersion: `${group}/v1`, kind, resource: `${plural}.${group}` },
          namespaced: scope === 'Namespaced',
          template: { spec: { size: 3, colour: 'blue' } },
        };
        const ns = tc.namespaced ? await federatedNamespace('conf-crd') : undefined;
        await crudCycle(t, tc, ns);
        if (ns) await t.kubectl('cluster1', ['delete', 'namespace', ns, '--wait=false']);
      });
    }

    for (const tc of DEFAULT_TYPES) {
      it(`${tc.ftc} (${tc.kind})`, async () => {
        const ns = tc.namespaced ? await federatedNamespace('conf') : undefined;
        await crudCycle(t, tc, ns);
        if (ns) await t.kubectl('cluster1', ['delete', 'namespace', ns, '--wait=false']);
      });
    }
  });

  describe('the control plane: API, validation, membership, kubefedctl, manager', () =>
    controlPlaneChecks(t));
  describe('propagation behaviours', () => propagationChecks(t));
});

describe('upstream conformance, namespace-scoped control plane in a namespace of its own', () => {
  const n = new Topology(unique('conf-plane'), 'Namespaced');

  beforeAll(async () => {
    await n.up();
  }, 600_000);

  afterAll(async () => {
    await n.down();
  });

  it('#8 (Namespaced plane) cluster-scoped FederatedTypeConfigs are NotRunning, namespaced ones Running', async () => {
    for (const [name, state] of [
      ['clusterroles.rbac.authorization.k8s.io', 'NotRunning'],
      ['configmaps', 'Running'],
      ['deployments.apps', 'Running'],
    ] as const) {
      await n.wait(`FTC ${name} ${state}`, async () => {
        const f = await n.get<Obj>('cluster1', ['-n', n.kfns, 'federatedtypeconfigs', name]);
        return [f?.status?.propagationController === state, f, JSON.stringify(f?.status)];
      });
    }
  });

  // The control plane's namespace is its only target, on the host and on the members; with no
  // FederatedNamespace there, an object's own placement applies.
  for (const tc of DEFAULT_TYPES.filter((d) => d.namespaced)) {
    it(`the create/update/shrink/delete cycle of ${tc.ftc} in the control plane's namespace`, async () => {
      await crudCycle(n, tc, n.kfns);
    });
  }
});
