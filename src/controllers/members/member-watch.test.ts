import { describe, expect, it } from 'vitest';
import type { KubeFedCluster } from '../../api/core.js';
import { Store } from '../../kube/store.js';
import { managedCopySelection, MemberWatch, type MemberWatchOptions } from './member-watch.js';

const cluster = (name: string, ready: boolean): KubeFedCluster =>
  ({
    metadata: { name, namespace: 'kube-federation-system' },
    spec: { apiEndpoint: 'https://127.0.0.1:1', secretRef: { name: `${name}-secret` } },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  }) as KubeFedCluster;

/** Only the caches' stores are read: informers that never start. */
function watchOf(clusters: KubeFedCluster[] = []): MemberWatch {
  const store = new Store<KubeFedCluster>();
  for (const c of clusters) store.upsert(c);
  return new MemberWatch({
    kubefedNamespace: 'kube-federation-system',
    members: { get: () => ({ kind: 'malformed', error: 'not built in this test' }) },
    clusters: { store },
    secrets: { store: new Store() },
  } as unknown as MemberWatchOptions);
}

describe('MemberWatch readiness', () => {
  it('says first, then only transitions, then removed', () => {
    const w = watchOf();
    expect(w.knows('a')).toBe(false);
    expect(w.observe(cluster('a', false))).toBe('first');
    expect(w.knows('a')).toBe(true);
    expect(w.observe(cluster('a', false))).toBeUndefined();
    expect(w.observe(cluster('a', true))).toBe('ready');
    expect(w.observe(cluster('a', true))).toBeUndefined();
    expect(w.observe(cluster('a', false))).toBe('unready');
    expect(w.observe(cluster('a', false), true)).toBe('removed');
    expect(w.knows('a')).toBe(false);
    // A deletion of a cluster never seen changes nothing.
    expect(w.observe(cluster('b', true), true)).toBeUndefined();
  });

  it('names an unregistered cluster instead of building a client', () => {
    expect(watchOf([cluster('a', true)]).client('zz')).toEqual({
      kind: 'malformed',
      error: 'cluster zz is not registered',
    });
  });
});

describe('managedCopySelection', () => {
  const ref = (namespaced: boolean) => ({ group: '', version: 'v1', resource: 'x', namespaced });
  it('limits a Namespaced control plane to its namespace for namespaced types only', () => {
    expect(managedCopySelection('Namespaced', 'kf', ref(true))).toEqual({
      labelSelector: 'kubefed.io/managed=true',
      namespaceIndex: false,
      namespace: 'kf',
    });
    expect(managedCopySelection('Namespaced', 'kf', ref(false))).toEqual({
      labelSelector: 'kubefed.io/managed=true',
      namespaceIndex: false,
    });
    expect(managedCopySelection('Cluster', 'kf', ref(true), ['data'])).toEqual({
      labelSelector: 'kubefed.io/managed=true',
      namespaceIndex: false,
      dropFields: ['data'],
    });
  });
});
