import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/resource.js';
import {
  ANSI,
  clusterDiff,
  comparable,
  diffExitCode,
  objectLabel,
  planSummary,
  planTable,
  renderDiffText,
  summaryLine,
  unifiedDiff,
  type ObjectDiff,
} from './diff.js';
import type { ClusterAction } from './plan.js';

const cm = (data: Record<string, string>, meta: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'web', namespace: 'demo', labels: { 'kubefed.io/managed': 'true' }, ...meta },
  data,
});

/** What a member API server adds to a stored object. */
const stored = (obj: KubeObject, rv = '42'): KubeObject => ({
  ...obj,
  metadata: {
    ...obj.metadata,
    uid: 'u-1',
    resourceVersion: rv,
    creationTimestamp: '2026-12-03T10:00:00Z',
    managedFields: [{ manager: 'kubefed', operation: 'Update' }],
  },
  status: { whatever: true },
});

const LABEL = objectLabel('configmaps', 'demo', 'web');

describe('comparable', () => {
  it('leaves out status and the metadata only an API server sets', () => {
    expect(comparable(stored(cm({ a: '1' })))).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'web', namespace: 'demo', labels: { 'kubefed.io/managed': 'true' } },
      data: { a: '1' },
    });
    expect(comparable(undefined)).toBeUndefined();
  });
});

describe('unifiedDiff', () => {
  it('is undefined when only server-managed fields differ', () => {
    const label = { cluster: 'c2', object: LABEL, before: 'live', after: 'planned' };
    expect(unifiedDiff(label, stored(cm({ a: '1' }), '1'), stored(cm({ a: '1' }), '2'))).toBeUndefined();
  });

  it('names the cluster and object in its headers and shows the changed line', () => {
    const label = { cluster: 'c2', object: LABEL, before: 'live', after: 'planned' };
    const d = unifiedDiff(label, cm({ a: '1', b: 'x' }), cm({ a: '2', b: 'x' }))!;
    expect(d.split('\n').slice(0, 2)).toEqual([
      '--- live/c2/configmaps/demo/web',
      '+++ planned/c2/configmaps/demo/web',
    ]);
    expect(d).toContain('\n-  a: "1"\n+  a: "2"\n');
    expect(d).toMatch(/^@@ -\d+,\d+ \+\d+,\d+ @@$/m);
  });
});

describe('clusterDiff', () => {
  const create: ClusterAction = { kind: 'create', cluster: 'cluster3', object: cm({ a: '1' }) };
  const update: ClusterAction = {
    kind: 'update',
    cluster: 'cluster2',
    object: cm({ a: '2' }, { resourceVersion: '42' }),
    adopt: false,
    rendered: cm({ a: '2' }),
  };

  it('a cluster without a copy: create, the diff is the object the API server would store', () => {
    const r = clusterDiff(create, undefined, { kind: 'ok', object: stored(cm({ a: '1' })) }, LABEL);
    expect(r.action).toBe('create');
    expect(r.diff).toContain('+++ planned/cluster3/configmaps/demo/web');
    expect(r.diff).toContain('+  a: "1"');
    expect(r.diff).not.toContain('uid');
    expect(r.diff).not.toMatch(/^-[^-]/m);
  });

  it('a create the member could not judge (its namespace comes first) shows the rendered object, saying so', () => {
    const r = clusterDiff(
      create,
      undefined,
      { kind: 'unjudged', message: 'namespace demo is not in the cluster yet' },
      LABEL,
    );
    expect(r.action).toBe('create');
    expect(r.message).toBe('namespace demo is not in the cluster yet');
    expect(r.diff).toContain('+  a: "1"');
  });

  it('an update the API server would store as the live copy is unchanged', () => {
    const live = stored(cm({ a: '2' }), '42');
    const r = clusterDiff(update, live, { kind: 'ok', object: stored(cm({ a: '2' }), '43') }, LABEL);
    expect(r).toEqual({ cluster: 'cluster2', action: 'unchanged' });
  });

  it('an update that changes the copy shows live -> planned', () => {
    const live = stored(cm({ a: '1' }));
    const r = clusterDiff(update, live, { kind: 'ok', object: stored(cm({ a: '2' })) }, LABEL);
    expect(r.action).toBe('update');
    expect(r.diff).toContain('-  a: "1"\n+  a: "2"');
  });

  it('a delete shows the whole copy going', () => {
    const live = stored(cm({ a: '1' }));
    const r = clusterDiff({ kind: 'delete', cluster: 'cluster4' }, live, { kind: 'ok' }, LABEL);
    expect(r.action).toBe('delete');
    expect(r.diff).toContain('-  a: "1"');
    expect(r.diff).not.toMatch(/^\+[^+]/m);
  });

  it("the member API server's refusal of the dry run is an error with its message", () => {
    const r = clusterDiff(
      update,
      stored(cm({ a: '1' })),
      { kind: 'refused', reason: 'UpdateFailed', message: 'spec.template: field is immutable' },
      LABEL,
    );
    expect(r).toEqual({
      cluster: 'cluster2',
      action: 'error',
      reason: 'UpdateFailed',
      message: 'spec.template: field is immutable',
    });
  });

  it("the plan's skip reasons are errors, except a copy on its way out", () => {
    expect(
      clusterDiff(
        {
          kind: 'skip',
          cluster: 'c',
          reason: 'ApplyOverridesFailed',
          message: 'overrides for cluster "c": …',
        },
        undefined,
        undefined,
        LABEL,
      ),
    ).toEqual({
      cluster: 'c',
      action: 'error',
      reason: 'ApplyOverridesFailed',
      message: 'overrides for cluster "c": …',
    });
    expect(
      clusterDiff(
        { kind: 'skip', cluster: 'c', reason: 'WaitingForRemoval', message: 'm' },
        undefined,
        undefined,
        LABEL,
      ).action,
    ).toBe('unchanged');
    expect(clusterDiff({ kind: 'none', cluster: 'c', version: 'rv:1' }, undefined, undefined, LABEL)).toEqual(
      {
        cluster: 'c',
        action: 'unchanged',
      },
    );
  });

  describe('drift', () => {
    it('a recorded cluster whose copy would be put back drifted; the diff reads propagated -> live', () => {
      const live = stored(cm({ a: 'edited' }));
      const r = clusterDiff(update, live, { kind: 'ok', object: stored(cm({ a: '2' })) }, LABEL, {
        recorded: true,
      });
      expect(r.action).toBe('drifted');
      expect(r.reason).toBe('Changed');
      expect(r.diff).toContain('--- propagated/cluster2/configmaps/demo/web');
      expect(r.diff).toContain('+++ live/cluster2/configmaps/demo/web');
      expect(r.diff).toContain('-  a: "2"\n+  a: edited');
    });

    it('a recorded copy that is gone drifted (Deleted)', () => {
      const r = clusterDiff(create, undefined, { kind: 'ok', object: cm({ a: '1' }) }, LABEL, {
        recorded: true,
      });
      expect(r).toMatchObject({ action: 'drifted', reason: 'Deleted' });
    });

    it('a write the control plane has not made yet is pending, not drift', () => {
      const live = stored(cm({ a: '1' }));
      const r = clusterDiff(update, live, { kind: 'ok', object: stored(cm({ a: '2' })) }, LABEL, {
        recorded: false,
      });
      expect(r).toMatchObject({ action: 'pending', reason: 'update' });
      expect(clusterDiff(create, undefined, { kind: 'ok' }, LABEL, { recorded: false }).action).toBe(
        'pending',
      );
    });

    it('a recorded copy equal to what would be written is unchanged', () => {
      const live = stored(cm({ a: '2' }));
      expect(
        clusterDiff(update, live, { kind: 'ok', object: stored(cm({ a: '2' })) }, LABEL, { recorded: true })
          .action,
      ).toBe('unchanged');
    });
  });
});

const obj = (clusters: ObjectDiff['clusters'], error?: string): ObjectDiff => ({
  apiVersion: 'types.kubefed.io/v1beta1',
  kind: 'FederatedConfigMap',
  namespace: 'demo',
  name: 'web',
  clusters,
  ...(error ? { error } : {}),
});

describe('exit code, summary and plan table', () => {
  it('0 when nothing changes, 1 for a change, 2 when something would fail', () => {
    expect(diffExitCode([obj([{ cluster: 'a', action: 'unchanged' }])])).toBe(0);
    expect(diffExitCode([obj([{ cluster: 'a', action: 'pending' }])])).toBe(0);
    for (const action of ['create', 'update', 'delete', 'drifted'] as const)
      expect(
        diffExitCode([
          obj([
            { cluster: 'a', action: 'unchanged' },
            { cluster: 'b', action },
          ]),
        ]),
      ).toBe(1);
    expect(
      diffExitCode([
        obj([
          { cluster: 'a', action: 'create' },
          { cluster: 'b', action: 'error' },
        ]),
      ]),
    ).toBe(2);
    expect(diffExitCode([obj([], 'host cluster refused it')])).toBe(2);
  });

  it('the summary names every cluster with its action', () => {
    expect(
      summaryLine(
        obj([
          { cluster: 'cluster2', action: 'update' },
          { cluster: 'cluster3', action: 'create' },
          { cluster: 'cluster4', action: 'unchanged' },
        ]),
      ),
    ).toBe('FederatedConfigMap demo/web: cluster2: update, cluster3: create, cluster4: unchanged');
    expect(summaryLine(obj([]))).toBe('FederatedConfigMap demo/web: placed in no cluster');
    expect(summaryLine(obj([], 'boom'))).toBe('FederatedConfigMap demo/web: error: boom');
  });

  it('the plan table has a column per cluster and - where the object is not', () => {
    const t = planTable([
      obj([
        { cluster: 'cluster2', action: 'delete' },
        { cluster: 'cluster3', action: 'create' },
      ]),
      { ...obj([{ cluster: 'cluster1', action: 'unchanged' }]), name: 'db' },
      { ...obj([], 'refused'), name: 'bad' },
    ]);
    expect(t.header).toEqual(['OBJECT', 'CLUSTER1', 'CLUSTER2', 'CLUSTER3']);
    expect(t.rows).toEqual([
      ['FederatedConfigMap/demo/web', '-', 'delete', 'create'],
      ['FederatedConfigMap/demo/db', 'unchanged', '-', '-'],
      ['FederatedConfigMap/demo/bad', 'error', 'error', 'error'],
    ]);
    expect(
      planSummary([
        obj([
          { cluster: 'a', action: 'create' },
          { cluster: 'b', action: 'error' },
        ]),
      ]),
    ).toBe('1 object: 1 to create, 0 to update, 0 to delete, 1 error, 0 unchanged');
  });

  it('the text shows each cluster, its reason and its diff, coloured on request', () => {
    const d = unifiedDiff(
      { cluster: 'cluster2', object: LABEL, before: 'live', after: 'planned' },
      cm({ a: '1' }),
      cm({ a: '2' }),
    )!;
    const objects = [
      obj([
        { cluster: 'cluster2', action: 'update', diff: d },
        { cluster: 'cluster3', action: 'error', reason: 'ApplyOverridesFailed', message: 'bad path' },
      ]),
    ];
    const plain = renderDiffText(objects);
    expect(plain).toContain('# FederatedConfigMap demo/web\ncluster2: update\n--- live/cluster2/');
    expect(plain).toContain('cluster3: error (ApplyOverridesFailed: bad path)\n');
    expect(plain.trimEnd().split('\n').at(-1)).toBe(
      'FederatedConfigMap demo/web: cluster2: update, cluster3: error',
    );
    expect(plain).not.toContain('\u001b[');
    const coloured = renderDiffText(objects, ANSI);
    expect(coloured).toContain('\u001b[31m-  a: "1"\u001b[0m');
    expect(coloured).toContain('\u001b[32m+  a: "2"\u001b[0m');
  });
});
