import { describe, expect, it } from 'vitest';
import type { KubeObject } from './resource.js';
import { labelIndex, NAMESPACE_INDEX, Store } from './store.js';

const obj = (namespace: string, name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { namespace, name, labels },
});

describe('Store', () => {
  it('files objects under their namespace by default, and under the indexes asked for', () => {
    const store = new Store<KubeObject>({ app: labelIndex('app') });
    store.upsert(obj('a', 'x', { app: 'web' }));
    store.upsert(obj('a', 'y'));
    store.upsert(obj('b', 'x', { app: 'web' }));
    expect(store.byIndex(NAMESPACE_INDEX, 'a').map((o) => o.metadata.name)).toEqual(['x', 'y']);
    expect(store.byIndex('app', 'web').map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'a/x',
      'b/x',
    ]);
    store.remove('a/x');
    expect(store.byIndex(NAMESPACE_INDEX, 'a').map((o) => o.metadata.name)).toEqual(['y']);
  });

  it('without the namespace index, looks up by key only and refuses a namespace query', () => {
    const store = new Store<KubeObject>({}, { namespaceIndex: false });
    store.upsert(obj('a', 'x'));
    expect(store.getByName('x', 'a')?.metadata.name).toBe('x');
    expect(() => store.byIndex(NAMESPACE_INDEX, 'a')).toThrow(/no index named "namespace"/);
  });
});
