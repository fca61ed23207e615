import { describe, expect, it } from 'vitest';
import type { KubeFedCluster } from '../api/core.js';
import type { Placement } from '../api/types.js';
import { clusterIsReady, computePlacement, namespacePlacementOf, type PlacementInput } from './placement.js';

function cluster(name: string, labels: Record<string, string> = {}, ready = true): KubeFedCluster {
  return {
    apiVersion: 'core.kubefed.io/v1beta1',
    kind: 'KubeFedCluster',
    metadata: { name, namespace: 'kube-federation-system', labels },
    spec: { apiEndpoint: `https://${name}`, secretRef: { name: `${name}-secret` } },
    status: {
      conditions: [
        {
          type: 'Ready',
          status: ready ? 'True' : 'False',
          lastProbeTime: '2026-01-01T00:00:00Z',
        },
      ],
    },
  };
}

const clusters = [
  cluster('cluster3', { region: 'eu', tier: 'edge' }, false),
  cluster('cluster1', { region: 'us' }),
  cluster('cluster2', { region: 'eu' }),
];

function place(placement: Placement | undefined, extra: Partial<PlacementInput> = {}) {
  return computePlacement({ placement, clusters, scope: 'Cluster', ...extra });
}

describe('clusterIsReady', () => {
  it.each<[string, KubeFedCluster['status'], boolean]>([
    ['Ready=True', { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: 't' }] }, true],
    ['Ready=False', { conditions: [{ type: 'Ready', status: 'False', lastProbeTime: 't' }] }, false],
    ['Offline only', { conditions: [{ type: 'Offline', status: 'True', lastProbeTime: 't' }] }, false],
    ['no conditions', {}, false],
    ['no status', undefined, false],
  ])('%s ⇒ %s', (_name, status, ready) => {
    expect(clusterIsReady({ status })).toBe(ready);
  });
});

describe('computePlacement precedence', () => {
  it.each<[string, Placement | undefined, string[], string[]]>([
    ['no placement ⇒ none', undefined, [], []],
    ['empty placement ⇒ none', {}, [], []],
    ['clusters: [] ⇒ none', { clusters: [] }, [], []],
    ['clusters: [] wins over a selector', { clusters: [], clusterSelector: {} }, [], []],
    [
      'listed names, sorted',
      { clusters: [{ name: 'cluster2' }, { name: 'cluster1' }] },
      ['cluster1', 'cluster2'],
      [],
    ],
    [
      'listed names win over a selector',
      { clusters: [{ name: 'cluster1' }], clusterSelector: { matchLabels: { region: 'eu' } } },
      ['cluster1'],
      [],
    ],
    [
      'unknown names are dropped and reported',
      { clusters: [{ name: 'cluster9' }, { name: 'cluster1' }, { name: 'cluster0' }] },
      ['cluster1'],
      ['cluster0', 'cluster9'],
    ],
    [
      'duplicate and empty names are ignored',
      { clusters: [{ name: 'cluster1' }, { name: 'cluster1' }, { name: '' }] },
      ['cluster1'],
      [],
    ],
    ['clusterSelector {} ⇒ all', { clusterSelector: {} }, ['cluster1', 'cluster2', 'cluster3'], []],
    [
      'clusterSelector matchLabels {} ⇒ all',
      { clusterSelector: { matchLabels: {} } },
      ['cluster1', 'cluster2', 'cluster3'],
      [],
    ],
    [
      'selector by label',
      { clusterSelector: { matchLabels: { region: 'eu' } } },
      ['cluster2', 'cluster3'],
      [],
    ],
    [
      'selector by expression',
      { clusterSelector: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] } },
      ['cluster1', 'cluster2'],
      [],
    ],
    ['selector matching nothing', { clusterSelector: { matchLabels: { region: 'ap' } } }, [], []],
  ])('%s', (_name, placement, expected, unknown) => {
    const r = place(placement);
    expect(r.kind).toBe('ok');
    if (r.kind !== 'ok') return;
    expect(r.clusters).toEqual(expected);
    expect(r.unknownClusters).toEqual(unknown);
    expect(r.reason).toBeUndefined();
  });

  it('splits the placed clusters by readiness', () => {
    expect(place({ clusterSelector: {} })).toEqual({
      kind: 'ok',
      clusters: ['cluster1', 'cluster2', 'cluster3'],
      unknownClusters: [],
      ready: ['cluster1', 'cluster2'],
      notReady: ['cluster3'],
    });
  });

  it('fails with ComputePlacementFailed on an invalid selector, naming the field', () => {
    expect(
      place({ clusterSelector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] } }),
    ).toEqual({
      kind: 'failed',
      reason: 'ComputePlacementFailed',
      message:
        'spec.placement.clusterSelector.matchExpressions[0].values: Required value: must be non-empty when operator is In',
    });
  });

  it('ignores a selector error when clusters is present (the selector is not used)', () => {
    const r = place({
      clusters: [{ name: 'cluster1' }],
      clusterSelector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] },
    });
    expect(r.kind).toBe('ok');
  });

  it('counts only registered clusters', () => {
    expect(computePlacement({ placement: { clusterSelector: {} }, clusters: [], scope: 'Cluster' })).toEqual({
      kind: 'ok',
      clusters: [],
      unknownClusters: [],
      ready: [],
      notReady: [],
    });
  });
});

describe('computePlacement with a FederatedNamespace', () => {
  const all: Placement = { clusterSelector: {} };
  it.each<[string, Partial<PlacementInput>, string[], 'NamespaceNotFederated' | undefined]>([
    [
      'intersects with the namespace placement',
      { namespacePlacement: ['cluster2', 'cluster9'] },
      ['cluster2'],
      undefined,
    ],
    ['an empty namespace placement ⇒ none', { namespacePlacement: [] }, [], undefined],
    [
      'unfederated namespace, cluster-scoped plane ⇒ none, NamespaceNotFederated',
      { namespacePlacement: 'unfederated', scope: 'Cluster' },
      [],
      'NamespaceNotFederated',
    ],
    [
      'unfederated namespace, namespace-scoped plane ⇒ own placement',
      { namespacePlacement: 'unfederated', scope: 'Namespaced' },
      ['cluster1', 'cluster2', 'cluster3'],
      undefined,
    ],
    [
      'namespace-scoped plane with a FederatedNamespace ⇒ intersection',
      { namespacePlacement: ['cluster1'], scope: 'Namespaced' },
      ['cluster1'],
      undefined,
    ],
  ])('%s', (_name, extra, expected, reason) => {
    const r = place(all, extra);
    expect(r.kind).toBe('ok');
    if (r.kind !== 'ok') return;
    expect(r.clusters).toEqual(expected);
    expect(r.reason).toEqual(reason);
  });

  it('still reports unknown names when the namespace is not federated', () => {
    const r = place({ clusters: [{ name: 'nope' }] }, { namespacePlacement: 'unfederated' });
    expect(r).toEqual({
      kind: 'ok',
      clusters: [],
      unknownClusters: ['nope'],
      ready: [],
      notReady: [],
      reason: 'NamespaceNotFederated',
    });
  });
});

describe('namespacePlacementOf', () => {
  const fns = (placement: Placement, deletionTimestamp?: string) => ({
    metadata: deletionTimestamp ? { deletionTimestamp } : {},
    spec: { placement },
  });
  it("is 'unfederated' without a FederatedNamespace or while it is deleted", () => {
    expect(namespacePlacementOf(undefined, clusters, 'Cluster')).toBe('unfederated');
    expect(
      namespacePlacementOf(fns({ clusterSelector: {} }, '2026-01-01T00:00:00Z'), clusters, 'Cluster'),
    ).toBe('unfederated');
  });
  it('is the clusters the FederatedNamespace places, or none when its placement cannot be computed', () => {
    expect(namespacePlacementOf(fns({ clusters: [{ name: 'cluster2' }] }), clusters, 'Cluster')).toEqual([
      'cluster2',
    ]);
    expect(
      namespacePlacementOf(
        fns({ clusterSelector: { matchExpressions: [{ key: 'x', operator: 'In', values: [] }] } }),
        clusters,
        'Cluster',
      ),
    ).toEqual([]);
  });
});
