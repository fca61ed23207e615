/**
 * Propagation end to end: the real kubefed-controller-manager process, cluster1..3 joined, the
 * FederatedTypeConfigs `namespaces`, `configmaps` and `deployments.apps` applied by the test.
 * Federated objects reach exactly their placed clusters with per-cluster overrides; placement
 * changes, hand edits, deletion and orphaning are followed; adoption and override failures are
 * reported in status; an FTC switched to Disabled stops propagation and Enabled resumes it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FederatedTypeConfig, KubeFedCluster } from '../../src/api/core.js';
import type { FederatedObject } from '../../src/api/types.js';
import type { KubeObject } from '../../src/kube/resource.js';
import {
  apply,
  getObject,
  propagation,
  TestControlPlane,
  waitFor,
  type TargetType,
} from '../support/control-plane.js';
import { kubectl, uniqueName } from '../support/local.js';

const DEPLOYMENTS: TargetType = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  pluralName: 'deployments',
  scope: 'Namespaced',
};
const cp = new TestControlPlane({
  prefix: 'kf-prop',
  types: [{ version: 'v1', kind: 'ConfigMap', pluralName: 'configmaps', scope: 'Namespaced' }, DEPLOYMENTS],
});
const kfns = cp.kfns;
const GROUP = cp.group;
const FDEPLOY = cp.resource('deployments');
const FCM = cp.resource('configmaps');
const DEPLOYMENTS_FTC = cp.typeConfig(DEPLOYMENTS);
const testNamespaces = cp.testNamespaces;
const federatedNamespace = (clusters?: string[]) => cp.federatedNamespace(clusters);
const waitForStatus = (...args: Parameters<TestControlPlane['waitForStatus']>) => cp.waitForStatus(...args);

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

beforeAll(() => cp.setup());

afterAll(() => cp.teardown(), 300_000);

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
    // The PropagatedVersion is written alongside the status (not before it): wait for it.
    const expectedVersions = [
      { clusterName: 'cluster2', version: `gen:${d2!.metadata.generation}` },
      { clusterName: 'cluster3', version: `gen:${d3!.metadata.generation}` },
    ];
    const pv = await waitFor('the PropagatedVersion of deployment-web', async () => {
      const pv = await getObject<
        KubeObject & { status?: { clusterVersions?: { clusterName: string; version: string }[] } }
      >('cluster1', ['-n', ns, 'propagatedversion', 'deployment-web']);
      const seen = pv?.status?.clusterVersions;
      return [JSON.stringify(seen) === JSON.stringify(expectedVersions), pv!, JSON.stringify(seen)];
    });
    expect(pv.status?.clusterVersions).toEqual(expectedVersions);

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

  it('removes from members a label the template no longer sets, keeping labels members added', async () => {
    const ns = await federatedNamespace();
    const labelled = (labels: Record<string, string>) => {
      const f = fedConfigMap(ns, 'keys', ['cluster2']);
      return { ...f, spec: { ...f.spec, template: { ...f.spec.template, metadata: { labels } } } };
    };
    await apply('cluster1', labelled({ keep: 'a', drop: 'b' }));
    await waitForStatus(FCM, ns, 'keys', ['cluster2:'], 'True');
    await kubectl('cluster2', ['-n', ns, 'label', 'configmap', 'keys', 'local=c']);

    await apply('cluster1', labelled({ keep: 'a' }));
    const copy = await waitFor('the dropped label gone from cluster2', async () => {
      const c = await getObject('cluster2', ['-n', ns, 'configmap', 'keys']);
      const labels = c?.metadata.labels ?? {};
      return [labels.drop === undefined && labels.keep === 'a', c!, JSON.stringify(labels)];
    });
    expect(copy.metadata.labels).toEqual({ keep: 'a', local: 'c', 'kubefed.io/managed': 'true' });
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

  it('takes the managed label off a member copy that no federated object backs, keeping its data', async () => {
    const ns = await federatedNamespace(['cluster2']);
    await kubectl('cluster2', ['-n', ns, 'create', 'configmap', 'stray', '--from-literal=owner=member']);
    // Labelled by hand as if propagated; the member cache keeps no `data`, so a whole-object write
    // from it would wipe the data.
    await kubectl('cluster2', ['-n', ns, 'label', 'configmap', 'stray', 'kubefed.io/managed=true']);
    const cm = await waitFor('the stray copy unlabelled', async () => {
      const o = await getObject<KubeObject & { data: Record<string, string> }>('cluster2', [
        '-n',
        ns,
        'configmap',
        'stray',
      ]);
      return [
        o !== undefined && o.metadata.labels?.['kubefed.io/managed'] === undefined,
        o!,
        JSON.stringify(o?.metadata.labels),
      ];
    });
    expect(cm.data).toEqual({ owner: 'member' });
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

  it('propagates overrides of members the template does not set, as upstream (lenient replace)', async () => {
    const ns = await federatedNamespace(['cluster2', 'cluster3']);
    // No labels in the ConfigMap template; no nodeSelector in the Deployment's pod template.
    await apply(
      'cluster1',
      fedConfigMap(ns, 'labelled', ['cluster2', 'cluster3'], {
        overrides: [
          {
            clusterName: 'cluster3',
            clusterOverrides: [{ path: '/metadata/labels', value: { env: 'prod' } }],
          },
        ],
      }),
    );
    await apply(
      'cluster1',
      fedDeployment(ns, 'pinned', ['cluster2', 'cluster3'], {
        overrides: [
          {
            clusterName: 'cluster2',
            clusterOverrides: [{ path: '/spec/template/spec/nodeSelector', value: { disk: 'ssd' } }],
          },
        ],
      }),
    );
    await waitForStatus(FCM, ns, 'labelled', ['cluster2:', 'cluster3:'], 'True');
    await waitForStatus(FDEPLOY, ns, 'pinned', ['cluster2:', 'cluster3:'], 'True');
    const cm3 = await getObject('cluster3', ['-n', ns, 'configmap', 'labelled']);
    expect(cm3?.metadata.labels).toEqual({ env: 'prod', 'kubefed.io/managed': 'true' });
    const cm2 = await getObject('cluster2', ['-n', ns, 'configmap', 'labelled']);
    expect(cm2?.metadata.labels).toEqual({ 'kubefed.io/managed': 'true' });
    type Deploy = KubeObject & { spec: { template: { spec: { nodeSelector?: Record<string, string> } } } };
    const d2 = await getObject<Deploy>('cluster2', ['-n', ns, 'deployment', 'pinned']);
    expect(d2?.spec.template.spec.nodeSelector).toEqual({ disk: 'ssd' });
    const d3 = await getObject<Deploy>('cluster3', ['-n', ns, 'deployment', 'pinned']);
    expect(d3?.spec.template.spec.nodeSelector).toBeUndefined();
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
    expect(cp.log).not.toMatch(/"msg":"reconcile failed"/);
  });
});
