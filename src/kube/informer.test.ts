import { afterEach, describe, expect, it } from 'vitest';
import { pollUntil } from '../poll.js';
import type { ClusterClient } from './client.js';
import { Informer, UnlistedKeys } from './informer.js';
import type { KubeObject } from './resource.js';

/** A stand-in for the informer's sync signal: only `onceSynced` is read. */
function listing() {
  const waiting: (() => void)[] = [];
  return {
    onceSynced: (f: () => void) => void waiting.push(f),
    end: () => waiting.splice(0).forEach((f) => f()),
    waiting: () => waiting.length,
  };
}

describe('UnlistedKeys', () => {
  it('hands every parked key back once, when the initial list ends', () => {
    const informer = listing();
    const queued: string[] = [];
    const keys = new UnlistedKeys(informer, (k) => queued.push(k));
    keys.add('ns/a');
    keys.add('ns/b');
    keys.add('ns/a');
    expect(queued).toEqual([]);
    expect(informer.waiting()).toBe(1);
    informer.end();
    expect(queued).toEqual(['ns/a', 'ns/b']);
    informer.end();
    expect(queued).toEqual(['ns/a', 'ns/b']);
  });

  it('waits again for keys parked after a hand-back', () => {
    const informer = listing();
    const queued: string[] = [];
    const keys = new UnlistedKeys(informer, (k) => queued.push(k));
    keys.add('x');
    informer.end();
    keys.add('y');
    expect(queued).toEqual(['x']);
    informer.end();
    expect(queued).toEqual(['x', 'y']);
  });
});

const configMap = (name: string, resourceVersion: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', resourceVersion },
});

/**
 * A client whose list answers `listed` and whose watch streams the events the test sends, so an
 * informer runs its real list/watch loop without an API server.
 */
function fakeClient(listed: KubeObject[]) {
  const pending: string[] = [];
  let wake: (() => void) | undefined;
  let closed = false;
  const client = {
    name: 'fake',
    request: () =>
      Promise.resolve({ kind: 'ConfigMapList', metadata: { resourceVersion: '1' }, items: listed }),
    stream: ({ signal }: { signal?: AbortSignal }) => {
      signal?.addEventListener('abort', () => ((closed = true), wake?.()));
      async function* lines(): AsyncGenerator<string> {
        while (!closed) {
          const line = pending.shift();
          if (line !== undefined) yield line;
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      }
      return Promise.resolve({ lines: lines(), close: () => ((closed = true), wake?.()) });
    },
  } as unknown as ClusterClient;
  const send = (type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject) => {
    pending.push(JSON.stringify({ type, object }));
    wake?.();
  };
  return { client, send };
}

const until = (what: string, check: () => boolean, seen: () => string) =>
  pollUntil(what, () => (check() ? { done: true, value: undefined } : { done: false, seen: seen() }), {
    timeoutMs: 5_000,
    intervalMs: 2,
  });

describe('Informer handlers', () => {
  const informers: Informer[] = [];
  afterEach(async () => {
    await Promise.all(informers.splice(0).map((i) => i.stop()));
  });

  it('stops calling handlers once they are removed, while the others still get every event', async () => {
    const { client, send } = fakeClient([configMap('listed', '1')]);
    const informer = new Informer({
      client,
      resource: { group: '', version: 'v1', resource: 'configmaps', namespaced: true },
    });
    informers.push(informer);
    informer.start();
    await informer.waitForSync(5_000);

    const removedSaw: string[] = [];
    const keptSaw: string[] = [];
    const record = (into: string[]) => ({
      onAdd: (o: KubeObject) => into.push(`add ${o.metadata.name}`),
      onUpdate: (_a: KubeObject, b: KubeObject) => into.push(`update ${b.metadata.name}`),
      onDelete: (o: KubeObject) => into.push(`delete ${o.metadata.name}`),
    });
    const remove = informer.addHandlers(record(removedSaw));
    informer.addHandlers(record(keptSaw));
    send('ADDED', configMap('a', '2'));
    await until(
      'the kept handlers to see a',
      () => keptSaw.length === 2,
      () => keptSaw.join(', '),
    );
    expect(removedSaw).toEqual(['add listed', 'add a']);

    remove();
    remove(); // a second call does nothing
    send('MODIFIED', configMap('a', '3'));
    send('DELETED', configMap('listed', '4'));
    await until(
      'the kept handlers to see the update and the delete',
      () => keptSaw.length === 4,
      () => keptSaw.join(', '),
    );
    expect(keptSaw).toEqual(['add listed', 'add a', 'update a', 'delete listed']);
    expect(removedSaw).toEqual(['add listed', 'add a']);
  });

  it('does not call handlers that another handler removed during the same event', async () => {
    const { client, send } = fakeClient([]);
    const informer = new Informer({
      client,
      resource: { group: '', version: 'v1', resource: 'configmaps', namespaced: true },
    });
    informers.push(informer);
    informer.start();
    await informer.waitForSync(5_000);
    const calls: string[] = [];
    let removeSecond: () => void = () => undefined;
    informer.addHandlers({ onAdd: (o) => (calls.push(`first ${o.metadata.name}`), removeSecond()) });
    removeSecond = informer.addHandlers({ onAdd: (o) => void calls.push(`second ${o.metadata.name}`) });
    send('ADDED', configMap('a', '2'));
    send('ADDED', configMap('b', '3'));
    await until(
      'both events to reach the first handler',
      () => calls.length >= 2,
      () => calls.join(', '),
    );
    expect(calls).toEqual(['first a', 'first b']);
  });
});
