import { describe, expect, it } from 'vitest';
import type { ClusterAction } from '../../federation/plan.js';
import type { DispatchOutcome } from './dispatch.js';
import { MemberWrites } from './member-writes.js';

const FROM = { templateVersion: 't1', overridesVersion: 'o1' };
const obj = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name } });
const create = (cluster: string): ClusterAction => ({ kind: 'create', cluster, object: obj('x') });
const update = (cluster: string): ClusterAction => ({
  kind: 'update',
  cluster,
  object: obj('x'),
  adopt: false,
  rendered: obj('x'),
});
const created = (cluster: string, version: string): DispatchOutcome => ({
  cluster,
  status: '',
  version,
  wrote: true,
  events: [{ type: 'Normal', reason: 'CreateInCluster', message: `Created in cluster ${cluster}` }],
});

/** Lets settled writes reach their handlers. */
const flush = () => new Promise<void>((r) => setImmediate(r));

/** A write the test ends by hand. */
function deferred() {
  let resolve!: (o: DispatchOutcome) => void;
  const promise = new Promise<DispatchOutcome>((r) => (resolve = r));
  return { promise, resolve };
}

/** A MemberWrites whose passes wait `settleMs`, recording the keys it wakes and the writes it starts. */
function setup(settleMs = 20) {
  const woken: string[] = [];
  const writes = new MemberWrites((k) => woken.push(k), settleMs);
  const started: string[] = [];
  const slow = new Map<string, ReturnType<typeof deferred>>();
  const start = (a: ClusterAction) => {
    started.push(`${a.kind}:${a.cluster}`);
    if (a.kind === 'none')
      return Promise.resolve<DispatchOutcome>({
        cluster: a.cluster,
        status: '',
        version: a.version,
        wrote: false,
        events: [],
      });
    const d = slow.get(a.cluster);
    return d ? d.promise : Promise.resolve(created(a.cluster, `rv:${a.cluster}`));
  };
  return { woken, writes, started, slow, start };
}

/** A first pass whose create in c2 outlives it and then ends with `outcome`; `started` is cleared. */
async function afterSlowCreate(outcome: DispatchOutcome) {
  const s = setup();
  const d = deferred();
  s.slow.set('c2', d);
  await s.writes.dispatch('ns/a', [create('c2')], FROM, 8, s.start);
  d.resolve(outcome);
  s.slow.delete('c2');
  await flush();
  s.started.length = 0;
  return s;
}

describe('MemberWrites', () => {
  it('returns every outcome in action order when all writes finish in time, keeping nothing', async () => {
    const { writes, start, started, woken } = setup();
    const out = await writes.dispatch('ns/a', [create('c1'), create('c2')], FROM, 8, start);
    expect(out.map((o) => [o.cluster, o.status, o.version])).toEqual([
      ['c1', '', 'rv:c1'],
      ['c2', '', 'rv:c2'],
    ]);
    expect(started).toEqual(['create:c1', 'create:c2']);
    expect(writes.size).toBe(0);
    expect(woken).toEqual([]);
  });

  it('lets a slow write go on: the pass ends with it in progress, the others recorded', async () => {
    const { writes, start, slow, woken } = setup();
    slow.set('c2', deferred());
    const out = await writes.dispatch('ns/a', [create('c1'), create('c2'), create('c3')], FROM, 8, start);
    expect(out.map((o) => [o.cluster, o.status])).toEqual([
      ['c1', ''],
      ['c2', 'CreationInProgress'],
      ['c3', ''],
    ]);
    expect(out[1]!.wrote).toBe(false);
    expect(out[1]!.message).toMatch(/has not answered/);
    expect(writes.size).toBe(1);
    expect(woken).toEqual([]);
  });

  it('never writes twice to a cluster whose write is still running', async () => {
    const { writes, start, started, slow } = setup();
    slow.set('c2', deferred());
    await writes.dispatch('ns/a', [create('c1'), create('c2')], FROM, 8, start);
    started.length = 0;
    const again = await writes.dispatch('ns/a', [update('c1'), create('c2')], FROM, 8, start);
    expect(started).toEqual(['update:c1']);
    expect(again[1]!.status).toBe('CreationInProgress');
  });

  it('wakes the object when the slow write ends, and its next pass takes the outcome without writing', async () => {
    const { writes, start, started, slow, woken } = setup();
    const d = deferred();
    slow.set('c2', d);
    await writes.dispatch('ns/a', [create('c1'), create('c2')], FROM, 8, start);
    d.resolve(created('c2', 'rv:late'));
    await flush();
    expect(woken).toEqual(['ns/a']);
    started.length = 0;
    // The member cache may not show the copy yet (create) or show it unrecorded (update): either way
    // the finished write answers it.
    const next = await writes.dispatch(
      'ns/a',
      [{ kind: 'none', cluster: 'c1', version: 'rv:c1' }, create('c2')],
      FROM,
      8,
      start,
    );
    expect(started).toEqual([]);
    expect(next.map((o) => [o.cluster, o.status, o.version, o.wrote])).toEqual([
      ['c1', '', 'rv:c1', false],
      ['c2', '', 'rv:late', true],
    ]);
    expect(next[1]!.events.map((e) => e.reason)).toEqual(['CreateInCluster']);
    expect(writes.size).toBe(0);
  });

  it('plans afresh when the template changed while the slow write ran', async () => {
    const { writes, start, started } = await afterSlowCreate(created('c2', 'rv:old-template'));
    const next = await writes.dispatch('ns/a', [update('c2')], { ...FROM, templateVersion: 't2' }, 8, start);
    expect(started).toEqual(['update:c2']);
    expect(next[0]!.version).toBe('rv:c2');
  });

  it('plans afresh when the finished write does not answer the action (a create, now a delete)', async () => {
    const { writes, start, started } = await afterSlowCreate(created('c2', 'rv:1'));
    await writes.dispatch('ns/a', [{ kind: 'delete', cluster: 'c2' }], FROM, 8, start);
    expect(started).toEqual(['delete:c2']);
  });

  it('drops finished writes of an object it is told to forget', async () => {
    const { writes, start, started } = await afterSlowCreate(created('c2', 'rv:1'));
    writes.forget('ns/a');
    expect(writes.size).toBe(0);
    await writes.dispatch('ns/a', [create('c2')], FROM, 8, start);
    expect(started).toEqual(['create:c2']);
  });

  it('arms no timer for a pass without member writes', async () => {
    const writes = new MemberWrites(() => {}, 60_000);
    const t0 = Date.now();
    const out = await writes.dispatch(
      'ns/a',
      [
        { kind: 'none', cluster: 'c1', version: 'rv:1' },
        { kind: 'skip', cluster: 'c2', reason: 'ClusterNotReady', message: 'not ready' },
      ],
      FROM,
      8,
      (a) =>
        Promise.resolve(
          a.kind === 'none'
            ? { cluster: a.cluster, status: '', version: a.version, wrote: false, events: [] }
            : { cluster: a.cluster, status: 'ClusterNotReady', wrote: false, events: [] },
        ),
    );
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(out.map((o) => o.status)).toEqual(['', 'ClusterNotReady']);
  });

  it('keeps objects apart: a slow write of one never marks another in progress', async () => {
    const { writes, start, started, slow } = setup();
    slow.set('c2', deferred());
    await writes.dispatch('ns/a', [create('c2')], FROM, 8, start);
    slow.delete('c2');
    started.length = 0;
    const other = await writes.dispatch('ns/b', [create('c2')], FROM, 8, start);
    expect(started).toEqual(['create:c2']);
    expect(other[0]!.status).toBe('');
  });
});
