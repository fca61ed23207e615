/**
 * The pure parts of event recording. The EventRecorder against an API server (create then patch,
 * re-create, rate limiting, refused writes, not blocking) is tested on a real one:
 * test/integration/kube-events.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { EventSpamFilter, eventKey, objectReference, truncateMessage, type EventIdentity } from './events.js';
import type { KubeObject } from './resource.js';

const configMap: KubeObject = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'cm', namespace: 'ns', uid: 'u1', resourceVersion: '7' },
};

describe('eventKey', () => {
  const base: EventIdentity = {
    involved: { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', namespace: 'ns', uid: 'u1' },
    type: 'Warning',
    reason: 'Failed',
    message: 'boom',
    component: 'c',
  };

  it('is the same for the same object, type, reason, message and source, whatever the resourceVersion', () => {
    expect(eventKey({ ...base, involved: { ...base.involved, resourceVersion: '9' } })).toBe(eventKey(base));
  });

  it('differs when any identifying field differs', () => {
    const variants: EventIdentity[] = [
      { ...base, type: 'Normal' },
      { ...base, reason: 'Other' },
      { ...base, message: 'bang' },
      { ...base, component: 'd' },
      { ...base, host: 'h' },
      { ...base, involved: { ...base.involved, uid: 'u2' } },
      { ...base, involved: { ...base.involved, namespace: 'other' } },
      { ...base, involved: { ...base.involved, kind: 'Secret' } },
    ];
    const keys = new Set([base, ...variants].map(eventKey));
    expect(keys.size).toBe(variants.length + 1);
  });

  it('cannot be confused by separators inside fields', () => {
    expect(eventKey({ ...base, reason: 'a', message: 'bc' })).not.toBe(
      eventKey({ ...base, reason: 'ab', message: 'c' }),
    );
  });
});

describe('truncateMessage', () => {
  it('keeps messages up to 1024 characters and cuts longer ones to 1024', () => {
    expect(truncateMessage('x'.repeat(1024))).toHaveLength(1024);
    expect(truncateMessage('x'.repeat(5000))).toBe('x'.repeat(1024));
    expect(truncateMessage('short')).toBe('short');
  });

  it('never splits a surrogate pair', () => {
    const cut = truncateMessage('x'.repeat(1023) + '😀😀');
    expect(cut).toBe('x'.repeat(1023));
  });
});

describe('objectReference', () => {
  it('takes apiVersion, kind, name, namespace, uid and resourceVersion', () => {
    expect(objectReference(configMap)).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'cm',
      namespace: 'ns',
      uid: 'u1',
      resourceVersion: '7',
    });
  });

  it('refuses an object without apiVersion/kind (as list items come) or name', () => {
    expect(objectReference({ metadata: { name: 'x' } })).toMatch(/no apiVersion or kind/);
    expect(objectReference({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} })).toMatch(
      /no metadata.name/,
    );
  });
});

describe('EventSpamFilter', () => {
  it('allows a burst per object, then one per refill period', () => {
    let now = 0;
    const filter = new EventSpamFilter(3, 1000, () => now);
    expect([1, 2, 3, 4].map(() => filter.allow('a'))).toEqual([true, true, true, false]);
    expect(filter.allow('b')).toBe(true);
    now = 999;
    expect(filter.allow('a')).toBe(false);
    now = 1000;
    expect(filter.allow('a')).toBe(true);
    expect(filter.allow('a')).toBe(false);
    now = 100_000;
    expect([1, 2, 3, 4].map(() => filter.allow('a'))).toEqual([true, true, true, false]);
  });

  it('charges nothing for a dropped event', () => {
    let now = 0;
    const filter = new EventSpamFilter(1, 1000, () => now);
    expect(filter.allow('a')).toBe(true);
    for (let i = 0; i < 10; i++) expect(filter.allow('a')).toBe(false);
    now = 1000;
    expect(filter.allow('a')).toBe(true);
  });
});
