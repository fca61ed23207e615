import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ClusterClient, KubeRequest } from './client.js';
import { KubeError } from './errors.js';
import {
  EventRecorder,
  EventSpamFilter,
  eventKey,
  objectReference,
  truncateMessage,
  type EventIdentity,
} from './events.js';
import type { KubeObject } from './resource.js';

const silent = pino({ level: 'silent' });

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

/** A fake API server for events: records requests, optionally slow or failing. */
function fakeEventsApi(opts: { delayMs?: number; fail?: (req: KubeRequest) => KubeError | undefined } = {}) {
  const requests: KubeRequest[] = [];
  const stored = new Map<string, KubeObject>();
  const client = {
    name: 'fake',
    request: async (req: KubeRequest): Promise<unknown> => {
      requests.push(req);
      await new Promise((r) => setTimeout(r, opts.delayMs ?? 5));
      const err = opts.fail?.(req);
      if (err) throw err;
      if (req.method === 'POST') {
        const obj = structuredClone(req.body) as KubeObject;
        stored.set(obj.metadata.name!, obj);
        return obj;
      }
      const name = req.path.split('/').pop()!;
      const obj = stored.get(name);
      if (!obj)
        throw new KubeError(
          'NotFound',
          'not found',
          { cluster: 'fake', method: 'PATCH', path: req.path },
          404,
        );
      Object.assign(obj, req.body);
      return obj;
    },
  };
  return { client: client as unknown as ClusterClient, requests, stored };
}

describe('EventRecorder', () => {
  it('coalesces a burst of identical events into one create and patches carrying the total count', async () => {
    const api = fakeEventsApi();
    const recorder = new EventRecorder({ client: api.client, component: 'test', log: silent });
    for (let i = 0; i < 10; i++) recorder.event(configMap, 'Warning', 'Failed', 'boom');
    await recorder.flush();
    expect(api.requests.map((r) => r.method)).toEqual(['POST', 'PATCH']);
    expect([...api.stored.values()]).toHaveLength(1);
    const event = [...api.stored.values()][0]!;
    expect(event).toMatchObject({
      metadata: { namespace: 'ns' },
      involvedObject: { apiVersion: 'v1', kind: 'ConfigMap', name: 'cm', namespace: 'ns', uid: 'u1' },
      source: { component: 'test' },
      type: 'Warning',
      reason: 'Failed',
      message: 'boom',
      count: 10,
    });
    expect(event.metadata.name).toMatch(/^cm\.[0-9a-f]+$/);
    expect(api.requests[1]!.contentType).toBe('application/merge-patch+json');
  });

  it('patches later identical events one by one, and creates a separate Event for another reason', async () => {
    const api = fakeEventsApi();
    const recorder = new EventRecorder({ client: api.client, component: 'test', log: silent });
    recorder.event(configMap, 'Warning', 'Failed', 'boom');
    await recorder.flush();
    recorder.event(configMap, 'Warning', 'Failed', 'boom');
    await recorder.flush();
    recorder.event(configMap, 'Normal', 'Synced', 'ok');
    await recorder.flush();
    expect(api.requests.map((r) => [r.method, (r.body as { count?: number }).count])).toEqual([
      ['POST', 1],
      ['PATCH', 2],
      ['POST', 1],
    ]);
  });

  it('drops events beyond the burst per object, keeping other objects unaffected', async () => {
    const api = fakeEventsApi();
    const recorder = new EventRecorder({ client: api.client, component: 'test', burst: 5, log: silent });
    for (let i = 0; i < 8; i++) recorder.event(configMap, 'Normal', 'Step', `step ${i}`);
    recorder.event(
      { ...configMap, metadata: { ...configMap.metadata, name: 'other', uid: 'u2' } },
      'Normal',
      'Step',
      'x',
    );
    await recorder.flush();
    expect(api.requests).toHaveLength(6);
  });

  it('puts events about cluster-scoped objects in default and truncates long messages', async () => {
    const api = fakeEventsApi();
    const recorder = new EventRecorder({
      client: api.client,
      component: 'test',
      host: 'node-1',
      log: silent,
    });
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', uid: 'u3' } };
    recorder.event(ns, 'Normal', 'Created', 'y'.repeat(2000));
    await recorder.flush();
    const event = [...api.stored.values()][0]!;
    expect(event.metadata.namespace).toBe('default');
    expect(event.involvedObject).toEqual({ apiVersion: 'v1', kind: 'Namespace', name: 'team', uid: 'u3' });
    expect(event.source).toEqual({ component: 'test', host: 'node-1' });
    expect(event.message).toBe('y'.repeat(1024));
  });

  it('never throws: failed writes are logged, and an Event deleted meanwhile is created afresh', async () => {
    let failCreate = true;
    const api = fakeEventsApi({
      fail: (req) =>
        req.method === 'POST' && failCreate
          ? new KubeError('Internal', 'boom', { cluster: 'fake', method: 'POST', path: req.path }, 500)
          : undefined,
    });
    const recorder = new EventRecorder({ client: api.client, component: 'test', log: silent });
    expect(() => recorder.event(configMap, 'Warning', 'Failed', 'boom')).not.toThrow();
    expect(() => recorder.event(null as unknown as KubeObject, 'Warning', 'Failed', 'boom')).not.toThrow();
    await recorder.flush();
    expect(api.stored.size).toBe(0);

    failCreate = false;
    recorder.event(configMap, 'Warning', 'Failed', 'boom');
    await recorder.flush();
    api.stored.clear(); // expired on the server
    recorder.event(configMap, 'Warning', 'Failed', 'boom');
    await recorder.flush();
    expect(api.requests.map((r) => r.method)).toEqual(['POST', 'POST', 'PATCH', 'POST']);
    expect([...api.stored.values()][0]).toMatchObject({ count: 2 });
  });

  it('returns at once: recording does not wait for the API', async () => {
    const api = fakeEventsApi({ delayMs: 1000 });
    const recorder = new EventRecorder({ client: api.client, component: 'test', log: silent });
    const started = performance.now();
    for (let i = 0; i < 100; i++) recorder.event(configMap, 'Normal', 'R', `m${i}`);
    expect(performance.now() - started).toBeLessThan(100);
    await recorder.flush();
    expect(api.requests).toHaveLength(25);
  });
});
