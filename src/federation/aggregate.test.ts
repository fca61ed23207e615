import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/resource.js';
import {
  aggregate,
  aggregateChanged,
  pluralOf,
  replicaCounts,
  statusObject,
  statusObjectChanged,
  statusObjectContent,
} from './aggregate.js';

const deployment = (
  replicas: number | undefined,
  status: Record<string, unknown>,
  generation = 1,
): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'ns', generation },
  spec: replicas === undefined ? {} : { replicas },
  status: { observedGeneration: generation, ...status },
});

const ready = (n: number) => ({ readyReplicas: n, updatedReplicas: n, availableReplicas: n, replicas: n });

describe('replicaCounts', () => {
  it.each([
    [
      'Deployment',
      { spec: { replicas: 3 }, status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 1 } },
      [3, 2, 3, 1],
    ],
    ['Deployment', { spec: {}, status: {} }, [1, 0, 0, 0]],
    [
      'StatefulSet',
      { spec: { replicas: 2 }, status: { readyReplicas: 2, updatedReplicas: 1, availableReplicas: 2 } },
      [2, 2, 1, 2],
    ],
    [
      'ReplicaSet',
      { spec: { replicas: 4 }, status: { replicas: 4, readyReplicas: 3, availableReplicas: 2 } },
      [4, 3, 4, 2],
    ],
    [
      'DaemonSet',
      {
        spec: {},
        status: { desiredNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1 },
      },
      [2, 1, 2, 1],
    ],
    ['Job', { spec: { completions: 5 }, status: { succeeded: 3, active: 2 } }, [5, 3, 3, 3]],
    ['Job', { spec: {}, status: {} }, [1, 0, 0, 0]],
  ] as const)('%s %j counts desired/ready/updated/available %j', (kind, body, expected) => {
    const c = replicaCounts(kind, { metadata: { name: 'x' }, ...body });
    expect([c.desiredReplicas, c.readyReplicas, c.updatedReplicas, c.availableReplicas]).toEqual(expected);
  });
});

describe('aggregate', () => {
  it('sums workload replicas over placed clusters and counts healthy clusters for READY', () => {
    const a = aggregate({
      kind: 'Deployment',
      placed: ['cluster3', 'cluster2'],
      members: new Map([
        ['cluster2', deployment(2, ready(2))],
        ['cluster3', deployment(3, { readyReplicas: 1, updatedReplicas: 3, availableReplicas: 1 })],
      ]),
    });
    expect(a).toEqual({
      ready: '1/2',
      desiredReplicas: 5,
      readyReplicas: 3,
      updatedReplicas: 5,
      availableReplicas: 3,
      clusters: [
        {
          name: 'cluster2',
          exists: true,
          healthy: true,
          desiredReplicas: 2,
          readyReplicas: 2,
          updatedReplicas: 2,
          availableReplicas: 2,
        },
        {
          name: 'cluster3',
          exists: true,
          healthy: false,
          desiredReplicas: 3,
          readyReplicas: 1,
          updatedReplicas: 3,
          availableReplicas: 1,
        },
      ],
    });
  });

  it('reports a placed cluster without a copy as not existing, with zero replicas', () => {
    const a = aggregate({
      kind: 'Deployment',
      placed: ['cluster2', 'cluster3'],
      members: new Map([['cluster2', deployment(1, ready(1))]]),
    });
    expect(a.ready).toBe('1/2');
    expect(a.clusters[1]).toEqual({
      name: 'cluster3',
      exists: false,
      healthy: false,
      desiredReplicas: 0,
      readyReplicas: 0,
      updatedReplicas: 0,
      availableReplicas: 0,
    });
  });

  it('does not call a workload healthy before its controller observed the current generation', () => {
    const stale = deployment(1, ready(1), 2);
    (stale.status as Record<string, unknown>).observedGeneration = 1;
    const a = aggregate({ kind: 'Deployment', placed: ['c'], members: new Map([['c', stale]]) });
    expect(a.clusters[0]!.healthy).toBe(false);
    expect(a.ready).toBe('0/1');
  });

  it('summarizes other kinds by existence, a terminating copy counting as absent', () => {
    const cm = (deleting = false): KubeObject => ({
      metadata: { name: 'cm', ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    });
    const a = aggregate({
      kind: 'ConfigMap',
      placed: ['a', 'b', 'c'],
      members: new Map([
        ['a', cm()],
        ['b', cm(true)],
      ]),
    });
    expect(a).toEqual({
      ready: '1/3',
      clusters: [
        { name: 'a', exists: true, healthy: true },
        { name: 'b', exists: false, healthy: false },
        { name: 'c', exists: false, healthy: false },
      ],
    });
  });

  it('is 0/0 with no placed cluster', () => {
    expect(aggregate({ kind: 'Secret', placed: [], members: new Map() })).toEqual({
      ready: '0/0',
      clusters: [],
    });
  });
});

describe('aggregateChanged', () => {
  const next = aggregate({
    kind: 'Deployment',
    placed: ['a', 'b'],
    members: new Map([
      ['a', deployment(1, ready(1))],
      ['b', deployment(1, ready(0))],
    ]),
  });

  it('is false for the same view whatever the order of clusters and keys', () => {
    const shuffled = JSON.parse(
      JSON.stringify({ ...next, clusters: [...next.clusters].reverse() }),
    ) as Record<string, unknown>;
    const reordered = Object.fromEntries(Object.entries(shuffled).reverse());
    expect(aggregateChanged(reordered, next)).toBe(false);
  });

  it('is true when nothing was written yet or a count changed', () => {
    expect(aggregateChanged(undefined, next)).toBe(true);
    const changed = JSON.parse(JSON.stringify(next)) as typeof next;
    changed.clusters[1]!.readyReplicas = 1;
    expect(aggregateChanged(changed, next)).toBe(true);
  });
});

describe('status objects', () => {
  const owner: KubeObject = {
    apiVersion: 'types.kubefed.io/v1beta1',
    kind: 'FederatedDeployment',
    metadata: { name: 'web', namespace: 'ns', uid: 'uid-1' },
  };
  const members = new Map<string, KubeObject | undefined>([
    ['cluster3', deployment(1, ready(1))],
    ['cluster2', deployment(1, ready(0))],
  ]);

  it('lists every Ready cluster sorted by name with its copy status, {} without a copy', () => {
    const content = statusObjectContent(['cluster3', 'cluster1', 'cluster2'], members);
    expect(content.clusterStatus.map((c) => c.clusterName)).toEqual(['cluster1', 'cluster2', 'cluster3']);
    expect(content.clusterStatus[0]!.status).toEqual({});
    expect(content.clusterStatus[2]!.status).toEqual({ observedGeneration: 1, ...ready(1) });
  });

  it('names the object like its owner and points back to it', () => {
    const obj = statusObject(
      { apiVersion: 'types.kubefed.io/v1beta1', kind: 'FederatedDeploymentStatus' },
      owner,
      statusObjectContent(['cluster2'], members),
    );
    expect(obj.metadata).toEqual({
      name: 'web',
      namespace: 'ns',
      ownerReferences: [
        { apiVersion: 'types.kubefed.io/v1beta1', kind: 'FederatedDeployment', name: 'web', uid: 'uid-1' },
      ],
    });
    expect(obj.kind).toBe('FederatedDeploymentStatus');
  });

  it('is written when missing, changed, or not owned by this federated object; not otherwise', () => {
    const content = statusObjectContent(['cluster2', 'cluster3'], members);
    const existing = JSON.parse(
      JSON.stringify(statusObject({ apiVersion: 'v', kind: 'K' }, owner, content)),
    ) as ReturnType<typeof statusObject>;
    expect(statusObjectChanged(undefined, content, 'uid-1')).toBe(true);
    expect(statusObjectChanged(existing, content, 'uid-1')).toBe(false);
    expect(statusObjectChanged(existing, content, 'uid-2')).toBe(true);
    const other = statusObjectContent(['cluster2'], members);
    expect(statusObjectChanged(existing, other, 'uid-1')).toBe(true);
  });
});

describe('pluralOf', () => {
  it.each([
    ['FederatedServiceStatus', 'federatedservicestatuses'],
    ['FederatedDeploymentStatus', 'federateddeploymentstatuses'],
    ['FederatedPolicy', 'federatedpolicies'],
    ['FederatedThing', 'federatedthings'],
  ])('%s -> %s', (kind, plural) => expect(pluralOf(kind)).toBe(plural));
});
