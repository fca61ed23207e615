import { describe, expect, it } from 'vitest';
import type { KubeFedCluster } from '../api/core.js';
import type { FederatedObject } from '../api/types.js';
import type { KubeObject } from '../kube/resource.js';
import {
  FOLLOWERS_ANNOTATION,
  followerObject,
  followerRefs,
  LEADERS_ANNOTATION,
  planFollowers,
  type FollowerTypeState,
  type Leader,
} from './followers.js';
import { ORPHAN_ANNOTATION } from './plan.js';
import { GENERATED_BY_LABEL, RELEASING_ANNOTATION, type PolicyType } from './policy.js';

const cluster = (name: string): KubeFedCluster => ({
  metadata: { name },
  spec: { apiEndpoint: 'https://x', secretRef: { name } },
});
const CLUSTERS = [cluster('c1'), cluster('c2'), cluster('c3')];

const typeOf = (kind: string, resource: string): PolicyType => ({
  ftcName: resource,
  target: { group: '', version: 'v1', kind, resource, namespaced: true },
  federated: { group: 'types.kubefed.io', version: 'v1beta1', kind: `Federated${kind}`, namespaced: true },
});
const CONFIGMAPS = typeOf('ConfigMap', 'configmaps');
const SECRETS = typeOf('Secret', 'secrets');

const podSpec = {
  serviceAccountName: 'runner',
  imagePullSecrets: [{ name: 'pull' }],
  volumes: [
    { name: 'a', configMap: { name: 'vol-cm' } },
    { name: 'b', secret: { secretName: 'vol-secret' } },
    { name: 'c', persistentVolumeClaim: { claimName: 'data' } },
    {
      name: 'd',
      projected: { sources: [{ configMap: { name: 'proj-cm' } }, { secret: { name: 'proj-secret' } }] },
    },
    { name: 'e', emptyDir: {} },
  ],
  initContainers: [{ name: 'init', envFrom: [{ secretRef: { name: 'init-secret' } }] }],
  containers: [
    {
      name: 'app',
      envFrom: [{ configMapRef: { name: 'env-cm' } }],
      env: [
        { name: 'A', valueFrom: { configMapKeyRef: { name: 'key-cm', key: 'a' } } },
        { name: 'B', valueFrom: { secretKeyRef: { name: 'key-secret', key: 'b' } } },
        { name: 'C', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'D', value: 'plain' },
      ],
    },
  ],
};

describe('followerRefs', () => {
  it('finds every reference of a pod template, sorted and without duplicates', () => {
    expect(
      followerRefs({ group: 'apps', kind: 'Deployment' }, { spec: { template: { spec: podSpec } } }),
    ).toEqual([
      { kind: 'ConfigMap', name: 'env-cm' },
      { kind: 'ConfigMap', name: 'key-cm' },
      { kind: 'ConfigMap', name: 'proj-cm' },
      { kind: 'ConfigMap', name: 'vol-cm' },
      { kind: 'PersistentVolumeClaim', name: 'data' },
      { kind: 'Secret', name: 'init-secret' },
      { kind: 'Secret', name: 'key-secret' },
      { kind: 'Secret', name: 'proj-secret' },
      { kind: 'Secret', name: 'pull' },
      { kind: 'Secret', name: 'vol-secret' },
      { kind: 'ServiceAccount', name: 'runner' },
    ]);
  });

  it.each<[string, { group: string; kind: string }, unknown]>([
    ['StatefulSet', { group: 'apps', kind: 'StatefulSet' }, { spec: { template: { spec: podSpec } } }],
    ['DaemonSet', { group: 'apps', kind: 'DaemonSet' }, { spec: { template: { spec: podSpec } } }],
    ['Job', { group: 'batch', kind: 'Job' }, { spec: { template: { spec: podSpec } } }],
    [
      'CronJob',
      { group: 'batch', kind: 'CronJob' },
      { spec: { jobTemplate: { spec: { template: { spec: podSpec } } } } },
    ],
    ['Pod', { group: '', kind: 'Pod' }, { spec: podSpec }],
  ])('reads the pod template of a %s', (_name, target, template) => {
    expect(followerRefs(target, template)).toHaveLength(11);
  });

  it('follows nothing of other kinds, nor the default ServiceAccount', () => {
    expect(followerRefs({ group: '', kind: 'ConfigMap' }, { data: {} })).toEqual([]);
    expect(
      followerRefs(
        { group: 'apps', kind: 'Deployment' },
        { spec: { template: { spec: { serviceAccountName: 'default' } } } },
      ),
    ).toEqual([]);
    expect(followerRefs({ group: 'apps', kind: 'Deployment' }, undefined)).toEqual([]);
  });
});

const DEPLOYMENT = { group: 'apps', kind: 'Deployment' };
function leader(
  name: string,
  clusters: string[],
  refs: { cm?: string; secret?: string },
  extra: Partial<FederatedObject['metadata']> = {},
): Leader {
  return {
    target: DEPLOYMENT,
    object: {
      kind: 'FederatedDeployment',
      metadata: { name, namespace: 'app', ...extra },
      spec: {
        template: {
          spec: {
            template: {
              spec: {
                containers: [
                  {
                    name: 'c',
                    envFrom: [
                      ...(refs.cm ? [{ configMapRef: { name: refs.cm } }] : []),
                      ...(refs.secret ? [{ secretRef: { name: refs.secret } }] : []),
                    ],
                  },
                ],
              },
            },
          },
        },
        placement: { clusters: clusters.map((c) => ({ name: c })) },
      },
    },
  };
}
const native = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'app', uid: `uid-${name}`, resourceVersion: '1' },
  data: { k: 'v' },
});
const state = (
  type: PolicyType,
  objects: KubeObject[],
  federated: FederatedObject[] = [],
): FollowerTypeState => ({
  type,
  objects: new Map(objects.map((o) => [o.metadata.name!, o])),
  federated: new Map(federated.map((o) => [o.metadata.name!, o])),
});
const base = { clusters: CLUSTERS, scope: 'Cluster' as const };

describe('planFollowers', () => {
  it('generates a follower placed on the union of its leaders', () => {
    const { plans, missing } = planFollowers({
      ...base,
      leaders: [leader('web', ['c1', 'c2'], { cm: 'shared' }), leader('worker', ['c3'], { cm: 'shared' })],
      types: { ConfigMap: state(CONFIGMAPS, [native('shared')]) },
    });
    expect(missing).toEqual([]);
    expect(plans).toEqual([
      {
        type: CONFIGMAPS,
        name: 'shared',
        plan: {
          kind: 'create',
          object: followerObject(
            CONFIGMAPS,
            native('shared'),
            ['c1', 'c2', 'c3'],
            ['FederatedDeployment/web', 'FederatedDeployment/worker'],
          ),
        },
      },
    ]);
    const object = (plans[0]!.plan as { object: FederatedObject }).object;
    expect(object.metadata.labels).toEqual({ [GENERATED_BY_LABEL]: 'follower' });
    expect(object.metadata.annotations?.[LEADERS_ANNOTATION]).toBe(
      'FederatedDeployment/web,FederatedDeployment/worker',
    );
    expect(object.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'ConfigMap',
      name: 'shared',
      uid: 'uid-shared',
    });
    expect(object.spec).toEqual({
      template: { data: { k: 'v' } },
      placement: { clusters: [{ name: 'c1' }, { name: 'c2' }, { name: 'c3' }] },
    });
  });

  it('narrows the placement when a leader leaves a cluster that no other leader needs', () => {
    const existing = followerObject(
      CONFIGMAPS,
      native('shared'),
      ['c1', 'c2', 'c3'],
      ['FederatedDeployment/web', 'FederatedDeployment/worker'],
    );
    const { plans } = planFollowers({
      ...base,
      leaders: [leader('worker', ['c3'], { cm: 'shared' })],
      types: { ConfigMap: state(CONFIGMAPS, [native('shared')], [existing]) },
    });
    expect(plans[0]!.plan.kind).toBe('update');
    expect((plans[0]!.plan as { object: FederatedObject }).object.spec.placement).toEqual({
      clusters: [{ name: 'c3' }],
    });
  });

  it('deletes a follower no leader needs any more', () => {
    const existing = followerObject(CONFIGMAPS, native('shared'), ['c1'], ['FederatedDeployment/web']);
    const { plans } = planFollowers({
      ...base,
      leaders: [],
      types: { ConfigMap: state(CONFIGMAPS, [native('shared')], [existing]) },
    });
    expect(plans).toEqual([{ type: CONFIGMAPS, name: 'shared', plan: { kind: 'delete' } }]);
  });

  it('marks orphaning the followers of a leader let go of with kubefed.io/orphan, and deletes them once it is gone', () => {
    const existing = followerObject(CONFIGMAPS, native('shared'), ['c1'], ['FederatedDeployment/web']);
    const types = (f: FederatedObject) => ({ ConfigMap: state(CONFIGMAPS, [native('shared')], [f]) });
    const markers: Partial<FederatedObject['metadata']>[] = [
      { annotations: { [ORPHAN_ANNOTATION]: 'true', [RELEASING_ANNOTATION]: 'true' } },
      { deletionTimestamp: 'now', annotations: { [ORPHAN_ANNOTATION]: 'true' } },
    ];
    for (const marker of markers) {
      const going = leader('web', ['c1'], { cm: 'shared' }, marker);
      const marked = planFollowers({ ...base, leaders: [going], types: types(existing) }).plans[0]!.plan;
      expect(marked.kind).toBe('update');
      const object = (marked as { object: FederatedObject }).object;
      expect(object.metadata.annotations?.[ORPHAN_ANNOTATION]).toBe('true');
      // While the leader exists: kept (a reconcile seeing the leader live would not recreate it).
      expect(planFollowers({ ...base, leaders: [going], types: types(object) }).plans).toEqual([
        { type: CONFIGMAPS, name: 'shared', plan: { kind: 'unchanged' } },
      ]);
      // Once it is gone: deleted, and the mark leaves the member copies.
      expect(planFollowers({ ...base, leaders: [], types: types(object) }).plans).toEqual([
        { type: CONFIGMAPS, name: 'shared', plan: { kind: 'delete' } },
      ]);
    }
  });

  it('leaves an explicitly federated follower alone (user-written or policy-generated)', () => {
    const user: FederatedObject = { metadata: { name: 'shared', namespace: 'app' }, spec: {} };
    const byPolicy: FederatedObject = {
      metadata: { name: 'other', namespace: 'app', labels: { [GENERATED_BY_LABEL]: 'policy' } },
      spec: {},
    };
    const { plans } = planFollowers({
      ...base,
      leaders: [leader('web', ['c1'], { cm: 'shared' }), leader('api', ['c1'], { cm: 'other' })],
      types: { ConfigMap: state(CONFIGMAPS, [native('shared'), native('other')], [user, byPolicy]) },
    });
    expect(plans).toEqual([]);
  });

  it('generates nothing for a leader that opts out, on its object or in its template', () => {
    const optedOut = leader(
      'web',
      ['c1'],
      { cm: 'shared' },
      { annotations: { [FOLLOWERS_ANNOTATION]: 'disabled' } },
    );
    const inTemplate = leader('api', ['c1'], { cm: 'shared' });
    (inTemplate.object.spec.template as Record<string, unknown>).metadata = {
      annotations: { [FOLLOWERS_ANNOTATION]: 'disabled' },
    };
    const { plans } = planFollowers({
      ...base,
      leaders: [optedOut, inTemplate],
      types: { ConfigMap: state(CONFIGMAPS, [native('shared')]) },
    });
    expect(plans).toEqual([]);
  });

  it('generates nothing for an object that does not exist on the host, and reports kinds not federated', () => {
    const web = leader('web', ['c1'], { cm: 'absent', secret: 'token' });
    const { plans, missing } = planFollowers({
      ...base,
      leaders: [web],
      types: { ConfigMap: state(CONFIGMAPS, []) },
    });
    expect(plans).toEqual([]);
    expect(missing).toEqual([{ leader: web.object, ref: { kind: 'Secret', name: 'token' } }]);
  });

  it('follows nothing for a leader placed nowhere', () => {
    const { plans } = planFollowers({
      ...base,
      leaders: [leader('web', [], { secret: 'token' })],
      types: { Secret: state(SECRETS, [{ ...native('token'), kind: 'Secret' }]) },
    });
    expect(plans).toEqual([]);
  });
});
