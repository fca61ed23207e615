import { describe, expect, it } from 'vitest';
import type { FederatedObject } from '../../api/types.js';
import {
  deleteOptionsOf,
  federatedKeyOf,
  isIgnoredNamespace,
  rfc3339,
  targetNameOf,
  updateNeedsPass,
} from './keys.js';

describe('federated keys of member objects', () => {
  it('maps a namespaced member object to the same namespace/name', () => {
    expect(federatedKeyOf({ metadata: { name: 'web', namespace: 'apps' } }, false)).toBe('apps/web');
  });
  it('maps a cluster-scoped member object to its name', () => {
    expect(federatedKeyOf({ metadata: { name: 'reader' } }, false)).toBe('reader');
  });
  it('maps a member Namespace ns to the FederatedNamespace ns/ns', () => {
    expect(federatedKeyOf({ metadata: { name: 'apps' } }, true)).toBe('apps/apps');
  });
  it('maps a federated key back to the member object', () => {
    expect(targetNameOf('apps/web', false)).toEqual({ namespace: 'apps', name: 'web' });
    expect(targetNameOf('reader', false)).toEqual({ namespace: undefined, name: 'reader' });
    expect(targetNameOf('apps/apps', true)).toEqual({ namespace: undefined, name: 'apps' });
  });
});

describe('ignored FederatedNamespaces', () => {
  it.each([
    ['kube-system', true],
    ['kube-public', true],
    ['default', true],
    ['kube-federation-system', true],
    ['apps', false],
  ])('%s ⇒ %s', (ns, ignored) => {
    expect(isIgnoredNamespace(ns, 'kube-federation-system')).toBe(ignored);
  });
});

describe('deleteOptionsOf', () => {
  const withAnnotation = (v: string) => ({ metadata: { annotations: { 'kubefed.io/deleteoption': v } } });

  it('is empty without the annotation', () => {
    expect(deleteOptionsOf({ metadata: {} })).toEqual({ kind: 'ok', options: {} });
  });
  it('reads propagationPolicy, gracePeriodSeconds and preconditions', () => {
    expect(
      deleteOptionsOf(
        withAnnotation('{"propagationPolicy":"Orphan","gracePeriodSeconds":0,"preconditions":{"uid":"u"}}'),
      ),
    ).toEqual({
      kind: 'ok',
      options: { propagationPolicy: 'Orphan', gracePeriodSeconds: 0, preconditions: { uid: 'u' } },
    });
  });
  it.each([
    ['not JSON', '{', /is not JSON/],
    ['not an object', '[1]', /must be a JSON object/],
    ['an unknown policy', '{"propagationPolicy":"Later"}', /propagationPolicy must be/],
    ['a negative grace period', '{"gracePeriodSeconds":-1}', /gracePeriodSeconds must be/],
  ])('rejects %s', (_what, value, message) => {
    const r = deleteOptionsOf(withAnnotation(value));
    expect(r.kind).toBe('invalid');
    if (r.kind === 'invalid') expect(r.message).toMatch(message);
  });
});

describe('rfc3339', () => {
  it('drops fractional seconds', () => {
    expect(rfc3339(new Date('2026-01-02T03:04:05.678Z'))).toBe('2026-01-02T03:04:05Z');
  });
});

describe('updateNeedsPass', () => {
  const F = 'kubefed.io/sync-controller';
  const base: FederatedObject = {
    apiVersion: 'types.kubefed.io/v1beta1',
    kind: 'FederatedConfigMap',
    metadata: { name: 'cm', namespace: 'ns', generation: 2, resourceVersion: '10', labels: { a: '1' } },
    spec: { template: { data: { k: 'v' } } },
  };
  const next = (change: (o: FederatedObject) => void): FederatedObject => {
    const o = structuredClone(base);
    o.metadata.resourceVersion = '11';
    change(o);
    return o;
  };
  const ours = {
    observedGeneration: 2,
    conditions: [{ type: 'Propagation' as const, status: 'True' as const }],
  };

  it.each<[string, (o: FederatedObject) => void, boolean]>([
    ['our status for the current generation', (o) => (o.status = ours), false],
    ['only our finalizer added', (o) => (o.metadata.finalizers = [F]), false],
    ['a resync (nothing but the resourceVersion)', () => undefined, false],
    ['a new generation (spec change)', (o) => (o.metadata.generation = 3), true],
    ['a label change', (o) => (o.metadata.labels = { a: '2' }), true],
    [
      'an annotation (e.g. kubefed.io/orphan)',
      (o) => (o.metadata.annotations = { 'kubefed.io/orphan': 'true' }),
      true,
    ],
    ['deletion', (o) => (o.metadata.deletionTimestamp = '2026-12-03T12:00:00Z'), true],
    ['another finalizer added', (o) => (o.metadata.finalizers = ['other']), true],
    ['a status wiped by someone else', (o) => (o.status = { conditions: [] }), true],
    ['a status of another generation', (o) => (o.status = { ...ours, observedGeneration: 1 }), true],
  ])('%s', (_what, change, needs) => {
    expect(updateNeedsPass(base, next(change), F)).toBe(needs);
  });

  it('looks again when our finalizer is taken off', () => {
    const withF = next((o) => (o.metadata.finalizers = [F]));
    expect(
      updateNeedsPass(
        withF,
        next(() => undefined),
        F,
      ),
    ).toBe(true);
  });
});
