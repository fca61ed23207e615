import { describe, expect, it } from 'vitest';
import type { KubeObject, ResourceRef } from '../../kube/resource.js';
import { packVersion } from '../../federation/version.js';
import { noVersionYet, partitionVersions, VersionLists } from './versions.js';

const PV: ResourceRef = {
  group: 'core.kubefed.io',
  version: 'v1alpha1',
  resource: 'propagatedversions',
  namespaced: true,
};

function pv(name: string, namespace: string, template: string): KubeObject {
  return {
    apiVersion: 'core.kubefed.io/v1alpha1',
    kind: 'PropagatedVersion',
    metadata: { name, namespace },
    status: {
      templateVersion: template,
      overridesVersion: 'o',
      clusterVersions: [{ clusterName: 'cluster2', version: 'rv:7' }],
    },
  };
}

const ITEMS = [
  pv('configmap-a', 'ns1', 't1'),
  pv('configmap-my-app', 'ns2', 't2'),
  pv('deployment-a', 'ns1', 't3'),
  pv('notakindname', 'ns1', 'tx'),
];

describe('noVersionYet: when a pass need not read a PropagatedVersion', () => {
  const fed = (finalizers: string[], status?: object, deleting = false) => ({
    metadata: {
      name: 'cm',
      finalizers,
      ...(deleting ? { deletionTimestamp: '2026-12-07T00:00:00Z' } : {}),
    },
    ...(status ? { status } : {}),
  });
  const F = 'kubefed.io/sync-controller';

  it('none before the finalizer, nor before any status (a new object the webhook gave the finalizer)', () => {
    expect(noVersionYet(fed([]))).toBe(true);
    expect(noVersionYet(fed([], { conditions: [] }))).toBe(true);
    expect(noVersionYet(fed([F]))).toBe(true);
  });

  it('maybe one once a pass wrote a status with the finalizer set, and while deleting', () => {
    expect(noVersionYet(fed([F], { conditions: [] }))).toBe(false);
    expect(noVersionYet(fed([F], {}))).toBe(false);
    expect(noVersionYet(fed([F], { conditions: [] }, true))).toBe(false);
    expect(noVersionYet(fed([], { conditions: [] }, true))).toBe(false);
  });
});

describe('partitionVersions', () => {
  it('splits by the kind before the first dash and keys like the federated objects', () => {
    const parts = partitionVersions(ITEMS);
    expect([...parts.keys()].sort()).toEqual(['configmap', 'deployment']);
    expect([...parts.get('configmap')!.keys()]).toEqual(['ns1/a', 'ns2/my-app']);
    expect(parts.get('deployment')!.get('ns1/a')).toBe(packVersion(ITEMS[2]!.status as never));
  });
});

function counting(items: readonly KubeObject[]) {
  const calls: (string | undefined)[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const lists = new VersionLists(async (_ref, namespace) => {
    calls.push(namespace);
    await gate;
    return items;
  }, 50);
  return { lists, calls, release };
}

describe('VersionLists', () => {
  it('serves every type priming at once with one LIST, each its own part', async () => {
    const { lists, calls, release } = counting(ITEMS);
    const cm = lists.take(PV, undefined, 'ConfigMap');
    const deploy = lists.take(PV, undefined, 'Deployment');
    const secret = lists.take(PV, undefined, 'Secret');
    release();
    expect([...(await cm).keys()]).toEqual(['ns1/a', 'ns2/my-app']);
    expect([...(await deploy).keys()]).toEqual(['ns1/a']);
    expect((await secret).size).toBe(0);
    expect(calls).toHaveLength(1);
  });

  it('never hands a part out twice: a second controller of a type lists again', async () => {
    const { lists, calls, release } = counting(ITEMS);
    release();
    await lists.take(PV, undefined, 'ConfigMap');
    const again = await lists.take(PV, undefined, 'ConfigMap');
    expect(again.size).toBe(2);
    expect(calls).toHaveLength(2);
  });

  it('drops untaken parts after the hold time, and lists per namespace', async () => {
    const { lists, calls, release } = counting(ITEMS);
    release();
    await lists.take(PV, 'kube-federation-system', 'ConfigMap');
    await lists.take(PV, 'other', 'ConfigMap');
    expect(calls).toEqual(['kube-federation-system', 'other']);
    await new Promise((r) => setTimeout(r, 80));
    await lists.take(PV, 'other', 'Deployment');
    expect(calls).toHaveLength(3);
  });

  it('a failed LIST rejects its takers and is not kept', async () => {
    let fail = true;
    let calls = 0;
    const lists = new VersionLists(() => {
      calls++;
      return fail ? Promise.reject(new Error('boom')) : Promise.resolve(ITEMS);
    });
    await expect(lists.take(PV, undefined, 'ConfigMap')).rejects.toThrow('boom');
    fail = false;
    expect((await lists.take(PV, undefined, 'Deployment')).size).toBe(1);
    expect(calls).toBe(2);
  });
});
