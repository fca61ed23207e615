/** Pure decisions of unjoin; unjoin against real clusters is in test/integration/kubefedctl-join.test.ts. */
import { describe, expect, it } from 'vitest';
import type { ResourceInfo } from '../../kube/discovery.js';
import type { KubeObject } from '../../kube/resource.js';
import { memberObjectKeys } from './membership.js';
import {
  clusterGrantKeepReason,
  foreignIn,
  leftBehindMessage,
  namespaceContentTypes,
  namespaceKeepReason,
} from './unjoin.js';

describe('namespaceKeepReason', () => {
  it('keeps the host cluster namespace whatever it holds', () => {
    expect(namespaceKeepReason({ isHost: true, foreign: [] })).toBe(
      "it is the host cluster's KubeFed namespace",
    );
  });

  it('keeps a namespace holding objects join did not create, naming a few', () => {
    const foreign = [
      'configmaps/a',
      'configmaps/b',
      'deployments.apps/c',
      'secrets/d',
      'services/e',
      'pods/f',
    ];
    expect(namespaceKeepReason({ isHost: false, foreign })).toBe(
      'it still holds other objects: configmaps/a, configmaps/b, deployments.apps/c, secrets/d, services/e and 1 more',
    );
  });

  it('keeps a namespace whose contents could not be listed', () => {
    expect(
      namespaceKeepReason({ isHost: false, foreign: undefined, listProblem: 'cannot list pods' }),
    ).toMatch(/could not be checked \(cannot list pods\)/);
  });

  it('lets an empty member namespace go', () => {
    expect(namespaceKeepReason({ isHost: false, foreign: [] })).toBeUndefined();
  });
});

describe('leftBehindMessage', () => {
  it('lists every object join may have created in the unreachable member', () => {
    const msg = leftBehindMessage(
      'c2',
      'kf',
      memberObjectKeys('c2', 'c1', 'kf'),
      'cannot reach cluster "c2"',
    );
    expect(msg).toContain('cannot reach cluster "c2"');
    expect(msg).toContain('serviceaccount/c2-c1');
    expect(msg).toContain('clusterrole.rbac.authorization.k8s.io/kubefed-controller-manager:c2-c1');
    expect(msg).toContain('role.rbac.authorization.k8s.io/kubefed-controller-manager:c2-c1');
    expect(msg).toContain('namespace/kf');
  });
});

const info = (resource: string, group = '', extra: Partial<ResourceInfo> = {}): ResourceInfo => ({
  group,
  version: 'v1',
  kind: resource,
  resource,
  singular: resource,
  namespaced: true,
  verbs: ['get', 'list', 'watch'],
  shortNames: [],
  categories: [],
  subresources: [],
  preferred: true,
  ...extra,
});

describe('namespaceContentTypes', () => {
  it('keeps namespaced, listable, preferred types; drops subresources, events and cluster-scoped types', () => {
    const types = namespaceContentTypes([
      info('configmaps'),
      info('deployments', 'apps'),
      info('deployments', 'apps', { version: 'v1beta1', preferred: false }),
      info('pods/log', '', { verbs: ['get'] }),
      info('bindings', '', { verbs: ['create'] }),
      info('events'),
      info('events', 'events.k8s.io'),
      info('namespaces', '', { namespaced: false }),
      info('leases', 'coordination.k8s.io'),
    ]);
    expect(types.map((t) => `${t.resource}.${t.group}@${t.version}`)).toEqual([
      'configmaps.@v1',
      'deployments.apps@v1',
      'leases.coordination.k8s.io@v1',
    ]);
  });
});

describe('foreignIn', () => {
  const obj = (name: string, extra: Partial<KubeObject> = {}): KubeObject => ({
    metadata: { name },
    ...extra,
  });

  it("ignores namespace defaults, events and join's own objects; returns the rest sorted", () => {
    const result = foreignIn(
      [
        { type: 'serviceaccounts', items: [obj('default'), obj('c2-c1'), obj('builder')] },
        { type: 'deployments.apps', items: [obj('web')] },
        { type: 'configmaps', items: [obj('kube-root-ca.crt'), obj('app')] },
        { type: 'events', items: [obj('e1')] },
        {
          type: 'secrets',
          items: [
            obj('default-token-x', {
              type: 'kubernetes.io/service-account-token',
              metadata: {
                name: 'default-token-x',
                annotations: { 'kubernetes.io/service-account.name': 'default' },
              },
            }),
            obj('c2-c1'),
          ],
        },
      ],
      new Set(['serviceaccounts/c2-c1', 'secrets/c2-c1']),
    );
    expect(result).toEqual({
      foreign: ['configmaps/app', 'deployments.apps/web', 'serviceaccounts/builder'],
    });
  });

  it('is empty for a namespace holding only defaults', () => {
    expect(
      foreignIn(
        [
          { type: 'configmaps', items: [obj('kube-root-ca.crt')] },
          { type: 'serviceaccounts', items: [obj('default')] },
          { type: 'pods', items: [] },
        ],
        new Set(),
      ),
    ).toEqual({ foreign: [] });
  });

  it('reports the types it cannot list instead of guessing', () => {
    const result = foreignIn(
      [
        { type: 'configmaps', items: [obj('app')] },
        { type: 'secrets', problem: 'secrets is forbidden' },
        { type: 'pods', problem: 'pods is forbidden' },
      ],
      new Set(),
    );
    expect(result).toEqual({ problem: 'cannot list pods: pods is forbidden; secrets: secrets is forbidden' });
  });
});

describe('clusterGrantKeepReason', () => {
  const binding = (...subjects: { kind: string; name: string; namespace?: string }[]): KubeObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'kubefed-controller-manager:cluster2-cluster1' },
    subjects,
  });

  it('lets the grant go when it binds this membership or does not exist', () => {
    const sa = { kind: 'ServiceAccount', name: 'cluster2-cluster1', namespace: 'tenant' };
    expect(clusterGrantKeepReason(binding(sa), 'cluster2-cluster1', 'tenant')).toBeUndefined();
    expect(clusterGrantKeepReason(undefined, 'cluster2-cluster1', 'tenant')).toBeUndefined();
    expect(clusterGrantKeepReason(binding(), 'cluster2-cluster1', 'tenant')).toBeUndefined();
  });

  it('keeps the grant of the same ServiceAccount name in another KubeFed namespace, naming it', () => {
    const other = { kind: 'ServiceAccount', name: 'cluster2-cluster1', namespace: 'kube-federation-system' };
    expect(clusterGrantKeepReason(binding(other), 'cluster2-cluster1', 'tenant')).toBe(
      'it binds ServiceAccount kube-federation-system/cluster2-cluster1, the membership of another KubeFed namespace',
    );
  });
});
