/**
 * Propagation statuses that only a refusing or slow member produces, provoked for real: a
 * ValidatingAdmissionPolicy in cluster3 (bound to this run's namespaces only) refuses deletes and
 * label removals, a finalizer holds a member copy, an invalid cluster selector fails placement.
 * Also the `kubefed.io/deleteoption` annotation, honoured by members' garbage collection.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FederatedObject } from '../../src/api/types.js';
import type { KubeObject } from '../../src/kube/resource.js';
import {
  apply,
  clusterStatuses,
  getObject,
  propagation,
  TestControlPlane,
  waitFor,
} from '../support/control-plane.js';
import { kubectl } from '../support/local.js';

const cp = new TestControlPlane({
  prefix: 'kf-pfail',
  types: [
    { version: 'v1', kind: 'ConfigMap', pluralName: 'configmaps', scope: 'Namespaced' },
    { group: 'apps', version: 'v1', kind: 'Deployment', pluralName: 'deployments', scope: 'Namespaced' },
  ],
});
const FCM = () => cp.resource('configmaps');
const FDEPLOY = () => cp.resource('deployments');
/** Label of this run's namespaces, which the admission policy in cluster3 is bound to. */
const RUN_LABEL = 'kubefed-test-run';
const POLICY = `${cp.kfns}-refuse`;

function fedConfigMap(ns: string, name: string, clusters: string[], annotations?: Record<string, string>) {
  return {
    apiVersion: `${cp.group}/v1beta1`,
    kind: 'FederatedConfigMap',
    metadata: { name, namespace: ns, ...(annotations ? { annotations } : {}) },
    spec: {
      template: { metadata: { labels: { refuse: name } }, data: { k: 'v' } },
      placement: { clusters: clusters.map((c) => ({ name: c })) },
    },
  };
}

async function fedStatus(resource: string, ns: string, name: string) {
  return getObject<FederatedObject>('cluster1', ['-n', ns, resource, name]);
}

/** A namespace federated to cluster2+3 and labelled for the admission policy. */
async function namespace(): Promise<string> {
  const ns = await cp.federatedNamespace(['cluster2', 'cluster3'], 'pfail');
  await kubectl('cluster3', ['label', 'namespace', ns, `${RUN_LABEL}=${cp.kfns}`]);
  return ns;
}

beforeAll(async () => {
  await cp.setup();
  // cluster3 refuses, in this run's namespaces only, deleting ConfigMaps labelled refuse=delete and
  // removing the managed label from ConfigMaps labelled refuse=unlabel.
  await apply('cluster3', {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicy',
    metadata: { name: POLICY },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: {
        resourceRules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['DELETE', 'UPDATE'],
            resources: ['configmaps'],
          },
        ],
      },
      validations: [
        {
          expression:
            "request.operation != 'DELETE' || !has(oldObject.metadata.labels) || !('refuse' in oldObject.metadata.labels) || oldObject.metadata.labels['refuse'] != 'delete'",
          message: 'deleting this ConfigMap is refused by policy (test)',
        },
        {
          expression:
            "request.operation != 'UPDATE' || !has(oldObject.metadata.labels) || !('refuse' in oldObject.metadata.labels) || oldObject.metadata.labels['refuse'] != 'unlabel' || (has(object.metadata.labels) && 'kubefed.io/managed' in object.metadata.labels && object.metadata.labels['kubefed.io/managed'] == 'true')",
          message: 'removing the managed label is refused by policy (test)',
        },
      ],
    },
  });
  await apply('cluster3', {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingAdmissionPolicyBinding',
    metadata: { name: POLICY },
    spec: {
      policyName: POLICY,
      validationActions: ['Deny'],
      matchResources: { namespaceSelector: { matchLabels: { [RUN_LABEL]: cp.kfns } } },
    },
  });
});

afterAll(async () => {
  await kubectl('cluster3', ['delete', 'validatingadmissionpolicybinding', POLICY, '--ignore-not-found']);
  await kubectl('cluster3', ['delete', 'validatingadmissionpolicy', POLICY, '--ignore-not-found']);
  await cp.teardown();
}, 300_000);

/** Deleting a ConfigMap in cluster3 the policy protects, until it is refused (the policy is active). */
async function policyActive(ns: string) {
  await kubectl('cluster3', ['-n', ns, 'create', 'configmap', 'probe']);
  await kubectl('cluster3', ['-n', ns, 'label', 'configmap', 'probe', 'refuse=delete']);
  await waitFor('the admission policy to refuse a delete in cluster3', async () => {
    const out = await kubectl('cluster3', [
      '-n',
      ns,
      'delete',
      'configmap',
      'probe',
      '--dry-run=server',
    ]).then(
      () => 'allowed',
      (err: Error) => err.message,
    );
    return [out.includes('refused by policy'), out, out.slice(0, 200)];
  });
  await kubectl('cluster3', ['-n', ns, 'label', 'configmap', 'probe', 'refuse-']);
}

describe('statuses of members that refuse or hold on', () => {
  it('reports DeletionFailed with the member message when a member refuses to delete its copy, and finishes once it allows it', async () => {
    const ns = await namespace();
    await policyActive(ns);
    await apply('cluster1', fedConfigMap(ns, 'delete', ['cluster2', 'cluster3']));
    await cp.waitForStatus(FCM(), ns, 'delete', ['cluster2:', 'cluster3:'], 'True');

    await kubectl('cluster1', ['-n', ns, 'delete', FCM(), 'delete', '--wait=false']);
    const f = await waitFor('DeletionFailed for cluster3', async () => {
      const f = await fedStatus(FCM(), ns, 'delete');
      return [clusterStatuses(f).includes('cluster3:DeletionFailed'), f!, JSON.stringify(f?.status)];
    });
    expect(propagation(f)?.reason).toBe('CheckClusters');
    expect(propagation(f)?.message).toContain('refused by policy');
    // cluster2 let it go; the federated object waits, holding its finalizer.
    expect(await getObject('cluster2', ['-n', ns, 'configmap', 'delete'])).toBeUndefined();
    expect(f.metadata.deletionTimestamp).toBeDefined();

    await kubectl('cluster3', ['-n', ns, 'label', 'configmap', 'delete', 'refuse-']);
    await waitFor(
      'the federated object gone once cluster3 allows the delete',
      async () => {
        const f = await fedStatus(FCM(), ns, 'delete');
        const copy = await getObject('cluster3', ['-n', ns, 'configmap', 'delete']);
        return [f === undefined && copy === undefined, f, JSON.stringify(f?.status ?? copy?.metadata.labels)];
      },
      90_000,
    );
  });

  it('reports LabelRemovalFailed when a member refuses to release an orphaned copy', async () => {
    const ns = await namespace();
    await policyActive(ns);
    await apply(
      'cluster1',
      fedConfigMap(ns, 'unlabel', ['cluster2', 'cluster3'], { 'kubefed.io/orphan': 'true' }),
    );
    await cp.waitForStatus(FCM(), ns, 'unlabel', ['cluster2:', 'cluster3:'], 'True');

    await kubectl('cluster1', ['-n', ns, 'delete', FCM(), 'unlabel', '--wait=false']);
    const f = await waitFor('LabelRemovalFailed for cluster3', async () => {
      const f = await fedStatus(FCM(), ns, 'unlabel');
      return [clusterStatuses(f).includes('cluster3:LabelRemovalFailed'), f!, JSON.stringify(f?.status)];
    });
    expect(propagation(f)?.message).toContain('removing the managed label is refused');
    const released = await getObject('cluster2', ['-n', ns, 'configmap', 'unlabel']);
    expect(released?.metadata.labels?.['kubefed.io/managed']).toBeUndefined();

    await kubectl('cluster3', ['-n', ns, 'label', 'configmap', 'unlabel', 'refuse-']);
    await waitFor(
      'cluster3 copy released and the federated object gone',
      async () => {
        const f = await fedStatus(FCM(), ns, 'unlabel');
        const copy = await getObject('cluster3', ['-n', ns, 'configmap', 'unlabel']);
        return [
          f === undefined && copy !== undefined && copy.metadata.labels?.['kubefed.io/managed'] === undefined,
          copy,
          JSON.stringify(f?.status ?? copy?.metadata.labels),
        ];
      },
      90_000,
    );
  });

  it('reports WaitingForRemoval while a member copy is held by a finalizer, and finishes when it goes', async () => {
    const ns = await namespace();
    await apply('cluster1', fedConfigMap(ns, 'held', ['cluster2', 'cluster3']));
    await cp.waitForStatus(FCM(), ns, 'held', ['cluster2:', 'cluster3:'], 'True');
    await kubectl('cluster3', [
      '-n',
      ns,
      'patch',
      'configmap',
      'held',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":["example.com/hold"]}}',
    ]);

    await kubectl('cluster1', ['-n', ns, 'delete', FCM(), 'held', '--wait=false']);
    await waitFor('WaitingForRemoval for cluster3', async () => {
      const f = await fedStatus(FCM(), ns, 'held');
      return [clusterStatuses(f).includes('cluster3:WaitingForRemoval'), f, JSON.stringify(f?.status)];
    });

    await kubectl('cluster3', [
      '-n',
      ns,
      'patch',
      'configmap',
      'held',
      '--type=merge',
      '-p',
      '{"metadata":{"finalizers":null}}',
    ]);
    await waitFor(
      'the federated object gone once the member copy is',
      async () => {
        const f = await fedStatus(FCM(), ns, 'held');
        return [f === undefined, f, JSON.stringify(f?.status)];
      },
      90_000,
    );
  });

  it('reports ComputePlacementFailed for a cluster selector that cannot be used, and recovers when fixed', async () => {
    const ns = await namespace();
    const base = fedConfigMap(ns, 'badselector', []);
    const obj: Omit<typeof base, 'spec'> & {
      spec: Omit<typeof base.spec, 'placement'> & { placement: unknown };
    } = base;
    // The CRD schema takes any string as a label value; a selector cannot.
    obj.spec.placement = { clusterSelector: { matchLabels: { region: 'not a label value!' } } };
    await apply('cluster1', obj);
    const f = await waitFor('ComputePlacementFailed', async () => {
      const f = await fedStatus(FCM(), ns, 'badselector');
      const c = propagation(f);
      return [c?.status === 'False' && c.reason === 'ComputePlacementFailed', f!, JSON.stringify(f?.status)];
    });
    expect(propagation(f)?.message).toContain('not a label value!');

    obj.spec.placement = { clusterSelector: {} };
    await apply('cluster1', obj);
    // Every cluster, limited by the FederatedNamespace to cluster2+3.
    await cp.waitForStatus(FCM(), ns, 'badselector', ['cluster2:', 'cluster3:'], 'True');

    // Broken again, then deleted: deletion needs no placement, so the copies go and so does it.
    obj.spec.placement = { clusterSelector: { matchLabels: { region: 'not a label value!' } } };
    await apply('cluster1', obj);
    await waitFor('ComputePlacementFailed again', async () => {
      const f = await fedStatus(FCM(), ns, 'badselector');
      return [propagation(f)?.reason === 'ComputePlacementFailed', f, JSON.stringify(f?.status)];
    });
    await kubectl('cluster1', ['-n', ns, 'delete', FCM(), 'badselector', '--wait=false']);
    await waitFor('badselector and its member copies gone', async () => {
      const left = await Promise.all([
        getObject('cluster1', ['-n', ns, FCM(), 'badselector']),
        getObject('cluster2', ['-n', ns, 'configmap', 'badselector']),
        getObject('cluster3', ['-n', ns, 'configmap', 'badselector']),
      ]);
      return [left.every((o) => o === undefined), left, JSON.stringify(left.map((o) => o?.metadata))];
    });
  });
});

describe('kubefed.io/deleteoption', () => {
  it('passes the delete options to members: propagationPolicy Orphan keeps the ReplicaSets of a deleted Deployment', async () => {
    const ns = await namespace();
    await apply('cluster1', {
      apiVersion: `${cp.group}/v1beta1`,
      kind: 'FederatedDeployment',
      metadata: {
        name: 'keep-rs',
        namespace: ns,
        annotations: { 'kubefed.io/deleteoption': '{"propagationPolicy":"Orphan"}' },
      },
      spec: {
        template: {
          spec: {
            replicas: 1,
            selector: { matchLabels: { app: 'keep-rs' } },
            template: {
              metadata: { labels: { app: 'keep-rs' } },
              spec: { containers: [{ name: 'c', image: 'registry.invalid/c:1' }] },
            },
          },
        },
        placement: { clusters: [{ name: 'cluster2' }] },
      },
    });
    await waitFor('a ReplicaSet of keep-rs in cluster2', async () => {
      const out = await kubectl('cluster2', [
        '-n',
        ns,
        'get',
        'replicasets',
        '-l',
        'app=keep-rs',
        '-o',
        'name',
      ]);
      return [out.trim() !== '', out, out];
    });

    await kubectl('cluster1', ['-n', ns, 'delete', FDEPLOY(), 'keep-rs']);
    await waitFor('the member Deployment gone', async () => {
      const d = await getObject('cluster2', ['-n', ns, 'deployment', 'keep-rs']);
      return [d === undefined, d, JSON.stringify(d?.metadata)];
    });
    // Orphaned, not collected: the ReplicaSet stays, without its owner reference.
    const rs = JSON.parse(
      await kubectl('cluster2', ['-n', ns, 'get', 'replicasets', '-l', 'app=keep-rs', '-o', 'json']),
    ) as { items: KubeObject[] };
    expect(rs.items).toHaveLength(1);
    expect(rs.items[0]!.metadata.ownerReferences ?? []).toEqual([]);
  });
});
