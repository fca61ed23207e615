import { describe, expect, it } from 'vitest';
import type { KubeFedCluster } from '../api/core.js';
import type { FederatedObject } from '../api/types.js';
import type { KubeObject } from '../kube/resource.js';
import {
  metadataEquivalent,
  planForExisting,
  planPass,
  planPropagation,
  type ClusterAction,
  type PlanInput,
  type PropagationPlan,
} from './plan.js';
import { renderForCluster, type RenderOutcome } from './render.js';
import { federatedVersions, type PropagatedVersion } from './version.js';

function kfc(name: string, ready = true): KubeFedCluster {
  return {
    metadata: { name, namespace: 'kube-federation-system' },
    spec: { apiEndpoint: `https://${name}`, secretRef: { name } },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastProbeTime: 't' }] },
  };
}

function fedDeploy(
  meta: Partial<FederatedObject['metadata']> = {},
  spec: Partial<FederatedObject['spec']> = {},
) {
  const f: FederatedObject = {
    apiVersion: 'types.kubefed.io/v1beta1',
    kind: 'FederatedDeployment',
    metadata: {
      name: 'web',
      namespace: 'apps',
      generation: 1,
      finalizers: ['kubefed.io/sync-controller'],
      ...meta,
    },
    spec: {
      template: { metadata: { labels: { app: 'web' } }, spec: { replicas: 2 } },
      placement: { clusters: [{ name: 'c1' }, { name: 'c2' }] },
      ...spec,
    },
  };
  return f;
}

const fromMap =
  (m: ReadonlyMap<string, RenderOutcome>) =>
  (cluster: string): RenderOutcome | undefined =>
    m.get(cluster);

function rendered(f: FederatedObject, cluster: string): RenderOutcome {
  return renderForCluster({ federated: f, targetApiVersion: 'apps/v1', targetKind: 'Deployment', cluster });
}

function desired(f: FederatedObject, cluster: string): KubeObject {
  const r = rendered(f, cluster);
  if (r.kind !== 'ok') throw new Error(r.message);
  return r.object;
}

/** A member object as the API server would hold it after our write. */
function member(
  f: FederatedObject,
  cluster: string,
  meta: Partial<KubeObject['metadata']> = {},
  spec?: Record<string, unknown>,
): KubeObject {
  const d = desired(f, cluster);
  return {
    ...d,
    ...(spec ? { spec } : {}),
    metadata: { ...d.metadata, uid: `uid-${cluster}`, resourceVersion: '10', generation: 1, ...meta },
  };
}

function pv(f: FederatedObject, versions: Record<string, string>): PropagatedVersion {
  return {
    ...federatedVersions(f),
    clusterVersions: Object.entries(versions).map(([clusterName, version]) => ({ clusterName, version })),
  };
}

function input(f: FederatedObject, extra: Partial<PlanInput> = {}): PlanInput {
  const placed = extra.placement?.clusters ?? ['c1', 'c2'];
  return {
    federated: f,
    clusters: [kfc('c1'), kfc('c2'), kfc('c3')],
    placement: { clusters: placed },
    render: fromMap(new Map(placed.map((c) => [c, rendered(f, c)]))),
    observed: new Map(),
    adoptResources: 'Enabled',
    ...extra,
  };
}

const kinds = (plan: PropagationPlan) =>
  plan.actions.map((a) => `${a.cluster}:${a.kind}${a.kind === 'skip' ? `:${a.reason}` : ''}`);
const only = (plan: PropagationPlan, cluster: string): ClusterAction => {
  const a = plan.actions.find((x) => x.cluster === cluster);
  if (!a) throw new Error(`no action for ${cluster}: ${kinds(plan).join(', ')}`);
  return a;
};

describe('planPropagation: placed clusters', () => {
  const f = fedDeploy();

  it('creates the rendered object where there is none, and nothing in unplaced clusters without copies', () => {
    const plan = planPropagation(input(f));
    expect(plan).toEqual({
      mode: 'propagate',
      actions: [
        { kind: 'create', cluster: 'c1', object: desired(f, 'c1') },
        { kind: 'create', cluster: 'c2', object: desired(f, 'c2') },
      ],
      deferred: [],
      ensureFinalizer: false,
      removeFinalizer: false,
      ...federatedVersions(f),
    });
  });

  it.each<[string, Partial<PlanInput>, string]>([
    [
      'a placed cluster that is not Ready ⇒ ClusterNotReady',
      { clusters: [kfc('c1', false), kfc('c2')] },
      'c1:skip:ClusterNotReady',
    ],
    [
      'a failed render ⇒ its reason',
      {
        render: fromMap(
          new Map<string, RenderOutcome>([
            ['c1', { kind: 'failed', reason: 'ApplyOverridesFailed', message: 'bad path' }],
            ['c2', rendered(f, 'c2')],
          ]),
        ),
      },
      'c1:skip:ApplyOverridesFailed',
    ],
    [
      'a missing render ⇒ ComputeResourceFailed',
      { render: fromMap(new Map([['c2', rendered(f, 'c2')]])) },
      'c1:skip:ComputeResourceFailed',
    ],
    [
      'a terminating member object ⇒ WaitingForRemoval',
      { observed: new Map([['c1', member(f, 'c1', { deletionTimestamp: 't' })]]) },
      'c1:skip:WaitingForRemoval',
    ],
    [
      'a member object labelled managed "false" ⇒ ManagedLabelFalse',
      { observed: new Map([['c1', member(f, 'c1', { labels: { 'kubefed.io/managed': 'false' } })]]) },
      'c1:skip:ManagedLabelFalse',
    ],
    [
      'an unmanaged member object, adoption Disabled ⇒ AlreadyExists',
      { observed: new Map([['c1', member(f, 'c1', { labels: {} })]]), adoptResources: 'Disabled' },
      'c1:skip:AlreadyExists',
    ],
    [
      'an unmanaged member object, adoption Enabled ⇒ update (adopt)',
      { observed: new Map([['c1', member(f, 'c1', { labels: { other: 'x' } })]]) },
      'c1:update',
    ],
  ])('%s', (_name, extra, expected) => {
    const plan = planPropagation(input(f, extra));
    expect(kinds(plan)).toContain(expected);
  });

  it('reports the render failure message', () => {
    const plan = planPropagation(
      input(f, {
        render: fromMap(
          new Map<string, RenderOutcome>([
            ['c1', { kind: 'failed', reason: 'ApplyOverridesFailed', message: 'bad path' }],
          ]),
        ),
        placement: { clusters: ['c1'] },
      }),
    );
    expect(plan.actions).toEqual([
      { kind: 'skip', cluster: 'c1', reason: 'ApplyOverridesFailed', message: 'bad path' },
    ]);
  });

  it('adopts the host cluster’s own Namespace even when adoption is Disabled', () => {
    const ns: FederatedObject = {
      kind: 'FederatedNamespace',
      metadata: { name: 'apps', namespace: 'apps', finalizers: ['kubefed.io/sync-controller'] },
      spec: { placement: { clusters: [{ name: 'c1' }] } },
    };
    const r = renderForCluster({
      federated: ns,
      targetApiVersion: 'v1',
      targetKind: 'Namespace',
      cluster: 'c1',
    });
    const hostNs: KubeObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'apps', uid: 'host-ns', resourceVersion: '3' },
    };
    const plan = planPropagation({
      federated: ns,
      clusters: [kfc('c1')],
      placement: { clusters: ['c1'] },
      render: fromMap(new Map([['c1', r]])),
      observed: new Map([['c1', hostNs]]),
      adoptResources: 'Disabled',
      hostNamespaceUid: 'host-ns',
    });
    expect(plan.actions).toEqual([
      {
        kind: 'update',
        cluster: 'c1',
        adopt: true,
        object: {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'apps', resourceVersion: '3', labels: { 'kubefed.io/managed': 'true' } },
        },
        rendered: r.kind === 'ok' ? r.object : undefined,
      },
    ]);
  });

  it('retention failure is FieldRetentionFailed with the reason', () => {
    const svcFed = fedDeploy({}, { template: { spec: { ports: [{ port: 80 }] } } });
    const r = renderForCluster({
      federated: svcFed,
      targetApiVersion: 'v1',
      targetKind: 'Service',
      cluster: 'c1',
    });
    const observed: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'web',
        namespace: 'apps',
        labels: { 'kubefed.io/managed': 'true' },
        resourceVersion: '1',
      },
      spec: { clusterIP: 7 },
    };
    const plan = planPropagation(
      input(svcFed, {
        placement: { clusters: ['c1'] },
        render: fromMap(new Map([['c1', r]])),
        observed: new Map([['c1', observed]]),
      }),
    );
    expect(plan.actions).toEqual([
      {
        kind: 'skip',
        cluster: 'c1',
        reason: 'FieldRetentionFailed',
        message: 'member Service: spec.clusterIP is not a string',
      },
    ]);
  });
});

describe('planPropagation: version tracking', () => {
  const f = fedDeploy();
  const current = member(f, 'c1', { generation: 3 });

  it.each<[string, KubeObject, PropagatedVersion | undefined, 'none' | 'update']>([
    ['recorded version equals the member’s ⇒ none', current, pv(f, { c1: 'gen:3' }), 'none'],
    [
      'the member generation moved (out-of-band spec change) ⇒ update',
      current,
      pv(f, { c1: 'gen:2' }),
      'update',
    ],
    ['no version recorded for the cluster ⇒ update', current, pv(f, {}), 'update'],
    ['no PropagatedVersion ⇒ update', current, undefined, 'update'],
    [
      'the template changed since it was recorded ⇒ update',
      current,
      { ...pv(f, { c1: 'gen:3' }), templateVersion: 'old' },
      'update',
    ],
    [
      'the overrides changed since it was recorded ⇒ update',
      current,
      { ...pv(f, { c1: 'gen:3' }), overridesVersion: 'old' },
      'update',
    ],
    [
      'generation-versioned, a template label missing on the member ⇒ update',
      member(f, 'c1', { generation: 3, labels: { 'kubefed.io/managed': 'true' } }),
      pv(f, { c1: 'gen:3' }),
      'update',
    ],
    [
      'generation-versioned, a member-added annotation is retained ⇒ none',
      member(f, 'c1', { generation: 3, annotations: { 'deployment.kubernetes.io/revision': '3' } }),
      pv(f, { c1: 'gen:3' }),
      'none',
    ],
    [
      'resourceVersion-versioned and unchanged ⇒ none',
      member(f, 'c1', { generation: 0, resourceVersion: '77' }),
      pv(f, { c1: 'rv:77' }),
      'none',
    ],
    [
      'resourceVersion-versioned and changed (any out-of-band change) ⇒ update',
      member(f, 'c1', { generation: 0, resourceVersion: '78' }),
      pv(f, { c1: 'rv:77' }),
      'update',
    ],
    [
      'resourceVersion-versioned: metadata is not compared (any change moves the rv)',
      member(f, 'c1', { generation: 0, resourceVersion: '77', labels: { 'kubefed.io/managed': 'true' } }),
      pv(f, { c1: 'rv:77' }),
      'none',
    ],
  ])('%s', (_name, observed, propagatedVersion, expected) => {
    const plan = planPropagation(
      input(f, {
        placement: { clusters: ['c1'] },
        observed: new Map([['c1', observed]]),
        ...(propagatedVersion ? { propagatedVersion } : {}),
      }),
    );
    expect(plan.actions.map((a) => a.kind)).toEqual([expected]);
  });

  it('none carries the member version to record', () => {
    const plan = planPropagation(
      input(f, {
        placement: { clusters: ['c1'] },
        observed: new Map([['c1', current]]),
        propagatedVersion: pv(f, { c1: 'gen:3' }),
      }),
    );
    expect(plan.actions).toEqual([{ kind: 'none', cluster: 'c1', version: 'gen:3' }]);
  });

  it('renders only where the action needs it: not for a copy that is the recorded rv version', () => {
    const asked: string[] = [];
    const plan = planPropagation(
      input(f, {
        placement: { clusters: ['c1', 'c2'] },
        render: (c) => (asked.push(c), rendered(f, c)),
        observed: new Map([
          ['c1', member(f, 'c1', { generation: 0, resourceVersion: '77' })],
          ['c2', member(f, 'c2', { generation: 0, resourceVersion: '80' })],
        ]),
        propagatedVersion: pv(f, { c1: 'rv:77', c2: 'rv:79' }),
      }),
    );
    expect(kinds(plan)).toEqual(['c1:none', 'c2:update']);
    expect(asked).toEqual(['c2']);
  });

  it('still renders for a generation version (its metadata is compared) and for an unmanaged copy', () => {
    const asked: string[] = [];
    const plan = planPropagation(
      input(f, {
        placement: { clusters: ['c1', 'c2'] },
        render: (c) => (asked.push(c), rendered(f, c)),
        observed: new Map([
          ['c1', current],
          ['c2', member(f, 'c2', { generation: 0, resourceVersion: '80', labels: {} })],
        ]),
        propagatedVersion: pv(f, { c1: 'gen:3', c2: 'rv:80' }),
      }),
    );
    expect(kinds(plan)).toEqual(['c1:none', 'c2:update']);
    expect(plan.actions[1]).toMatchObject({ adopt: true });
    expect(asked).toEqual(['c1', 'c2']);
  });

  it('an update writes the retained object: member resourceVersion, finalizers, annotations; retainReplicas', () => {
    const fr = fedDeploy({}, { retainReplicas: true });
    const observed = member(
      fr,
      'c1',
      { generation: 3, resourceVersion: '55', finalizers: ['m/f'], annotations: { a: 'm' } },
      { replicas: 9 },
    );
    const plan = planPropagation(
      input(fr, { placement: { clusters: ['c1'] }, observed: new Map([['c1', observed]]) }),
    );
    expect(plan.actions).toEqual([
      {
        kind: 'update',
        cluster: 'c1',
        adopt: false,
        object: {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: {
            name: 'web',
            namespace: 'apps',
            labels: { app: 'web', 'kubefed.io/managed': 'true' },
            annotations: { a: 'm', 'kubefed.io/propagated-keys': '{"labels":["app"]}' },
            resourceVersion: '55',
            finalizers: ['m/f'],
          },
          spec: { replicas: 9 },
        },
        // Kept for planning again from a fresh read (dispatch, on Conflict).
        rendered: desired(fr, 'c1'),
      },
    ]);
  });

  it('passes the last propagated keys to retention', () => {
    const observed = member(f, 'c1', {
      generation: 3,
      labels: { app: 'web', 'kubefed.io/managed': 'true', old: 'x', local: 'y' },
    });
    const plan = planPropagation(
      input(f, {
        placement: { clusters: ['c1'] },
        observed: new Map([['c1', observed]]),
        propagatedVersion: pv(f, { c1: 'gen:3' }),
        lastPropagatedKeys: new Map([['c1', { labels: ['app', 'old', 'kubefed.io/managed'] }]]),
      }),
    );
    const a = only(plan, 'c1');
    expect(a.kind === 'update' && a.object.metadata.labels).toEqual({
      app: 'web',
      'kubefed.io/managed': 'true',
      local: 'y',
    });
  });
});

describe('planPropagation: clusters outside the placement', () => {
  const f = fedDeploy({}, { placement: { clusters: [{ name: 'c1' }] } });
  const base = (observed: KubeObject | undefined, ready = true, extra: Partial<PlanInput> = {}) =>
    planPropagation(
      input(f, {
        clusters: [kfc('c1'), kfc('c2', ready)],
        placement: { clusters: ['c1'] },
        observed: new Map([
          ['c1', member(f, 'c1')],
          ['c2', observed],
        ]),
        propagatedVersion: pv(f, { c1: 'gen:1' }),
        ...extra,
      }),
    );

  it.each<[string, KubeObject | undefined, boolean, string[], string[]]>([
    ['no copy ⇒ nothing', undefined, true, ['c1:none'], []],
    ['a managed copy ⇒ delete', member(f, 'c2'), true, ['c1:none', 'c2:delete'], []],
    [
      'a terminating managed copy ⇒ WaitingForRemoval',
      member(f, 'c2', { deletionTimestamp: 't' }),
      true,
      ['c1:none', 'c2:skip:WaitingForRemoval'],
      [],
    ],
    [
      'an unlabelled object is never deleted',
      member(f, 'c2', { labels: { app: 'web' } }),
      true,
      ['c1:none'],
      [],
    ],
    [
      'an object labelled managed "false" is never deleted',
      member(f, 'c2', { labels: { 'kubefed.io/managed': 'false' } }),
      true,
      ['c1:none'],
      [],
    ],
    ['an unready cluster with a managed copy ⇒ deferred', member(f, 'c2'), false, ['c1:none'], ['c2']],
    ['an unready cluster without a copy ⇒ nothing', undefined, false, ['c1:none'], []],
  ])('%s', (_name, observed, ready, expected, deferred) => {
    const plan = base(observed, ready);
    expect(kinds(plan)).toEqual(expected);
    expect(plan.deferred).toEqual(deferred);
  });

  it('the orphan annotation does not stop removal from a cluster that left the placement', () => {
    const fo = fedDeploy(
      { annotations: { 'kubefed.io/orphan': 'true' } },
      { placement: { clusters: [{ name: 'c1' }] } },
    );
    const plan = planPropagation(
      input(fo, { placement: { clusters: ['c1'] }, observed: new Map([['c2', member(fo, 'c2')]]) }),
    );
    expect(kinds(plan)).toEqual(['c1:create', 'c2:delete']);
  });

  it('the host’s own Namespace loses the label instead of being deleted', () => {
    const hostNs: KubeObject = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'apps', uid: 'host-ns', labels: { 'kubefed.io/managed': 'true', team: 'a' } },
    };
    const plan = base(hostNs, true, { hostNamespaceUid: 'host-ns' });
    expect(plan.actions[1]).toEqual({
      kind: 'removeManagedLabel',
      cluster: 'c2',
      object: {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'apps', uid: 'host-ns', labels: { team: 'a' } },
      },
    });
  });

  it('a terminating host Namespace outside the placement ⇒ WaitingForRemoval', () => {
    const hostNs: KubeObject = {
      kind: 'Namespace',
      metadata: {
        name: 'apps',
        uid: 'host-ns',
        deletionTimestamp: 't',
        labels: { 'kubefed.io/managed': 'true' },
      },
    };
    expect(kinds(base(hostNs, true, { hostNamespaceUid: 'host-ns' }))).toEqual([
      'c1:none',
      'c2:skip:WaitingForRemoval',
    ]);
  });

  it('ignores objects of clusters that are not registered', () => {
    const plan = planPropagation(
      input(f, { placement: { clusters: ['c1'] }, observed: new Map([['gone', member(f, 'gone')]]) }),
    );
    expect(kinds(plan)).toEqual(['c1:create']);
  });
});

describe('planPropagation: finalizer and determinism', () => {
  it('asks for the sync finalizer when it is missing', () => {
    expect(planPropagation(input(fedDeploy({ finalizers: [] }))).ensureFinalizer).toBe(true);
    expect(planPropagation(input(fedDeploy({ finalizers: undefined }))).ensureFinalizer).toBe(true);
    expect(planPropagation(input(fedDeploy())).ensureFinalizer).toBe(false);
  });

  it('sorts actions by cluster and does not mutate its input', () => {
    const f = fedDeploy({}, { placement: { clusters: [{ name: 'b' }, { name: 'a' }] } });
    const observed = member(f, 'b', { labels: { app: 'x' } });
    const i = input(f, {
      clusters: [kfc('b'), kfc('a'), kfc('c')],
      placement: { clusters: ['b', 'a'] },
      observed: new Map([
        ['b', observed],
        ['c', member(f, 'c')],
      ]),
    });
    const renders = () => ['a', 'b'].map((c) => i.render(c));
    const before = JSON.stringify([i.federated, [...i.observed], renders()]);
    const p1 = planPropagation(i);
    const p2 = planPropagation(i);
    expect(kinds(p1)).toEqual(['a:create', 'b:update', 'c:delete']);
    expect(p2).toEqual(p1);
    expect(JSON.stringify([i.federated, [...i.observed], renders()])).toBe(before);
  });
});

describe('planPropagation: deletion of the federated object', () => {
  const deleting = (annotations?: Record<string, string>, finalizers = ['kubefed.io/sync-controller']) =>
    fedDeploy({
      deletionTimestamp: '2026-01-01T00:00:00Z',
      finalizers,
      ...(annotations ? { annotations } : {}),
    });

  it('does nothing once the sync finalizer is gone', () => {
    const f = deleting(undefined, ['other']);
    const plan = planPropagation(input(f, { observed: new Map([['c1', member(f, 'c1')]]) }));
    expect(plan).toMatchObject({
      mode: 'finished',
      actions: [],
      deferred: [],
      removeFinalizer: false,
      ensureFinalizer: false,
    });
  });

  it.each<
    [
      string,
      KubeFedCluster[],
      Record<string, 'managed' | 'terminating' | 'unmanaged'>,
      string[],
      string[],
      boolean,
    ]
  >([
    [
      'deletes managed copies in placed and unplaced Ready clusters',
      [kfc('c1'), kfc('c2'), kfc('c3')],
      { c1: 'managed', c3: 'managed' },
      ['c1:delete', 'c3:delete'],
      [],
      false,
    ],
    ['nothing left ⇒ the finalizer may go', [kfc('c1'), kfc('c2')], {}, [], [], true],
    ['unmanaged objects are left alone', [kfc('c1')], { c1: 'unmanaged' }, [], [], true],
    [
      'a placed unready cluster blocks',
      [kfc('c1', false), kfc('c2')],
      {},
      ['c1:skip:ClusterNotReady'],
      [],
      false,
    ],
    [
      'an unplaced unready cluster never blocks',
      [kfc('c1'), kfc('c3', false)],
      { c3: 'managed' },
      [],
      ['c3'],
      true,
    ],
    [
      'a terminating copy is waited for',
      [kfc('c1')],
      { c1: 'terminating' },
      ['c1:skip:WaitingForRemoval'],
      [],
      false,
    ],
  ])('%s', (_name, clusters, spec, expected, deferred, removeFinalizer) => {
    const f = deleting();
    const objects = new Map<string, KubeObject | undefined>(
      Object.entries(spec).map(([c, what]) => [
        c,
        what === 'managed'
          ? member(f, c)
          : what === 'terminating'
            ? member(f, c, { deletionTimestamp: 't' })
            : member(f, c, { labels: {} }),
      ]),
    );
    const plan = planPropagation(input(f, { clusters, observed: objects }));
    expect(plan.mode).toBe('delete');
    expect(kinds(plan)).toEqual(expected);
    expect(plan.deferred).toEqual(deferred);
    expect(plan.removeFinalizer).toBe(removeFinalizer);
  });

  it('unlabels the host’s own Namespace instead of deleting it, and does not wait for it terminating', () => {
    const f = deleting();
    const hostNs = (extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
      kind: 'Namespace',
      metadata: { name: 'apps', uid: 'host-ns', labels: { 'kubefed.io/managed': 'true' }, ...extra },
    });
    const live = planPropagation(
      input(f, { observed: new Map([['c1', hostNs()]]), hostNamespaceUid: 'host-ns' }),
    );
    expect(kinds(live)).toEqual(['c1:removeManagedLabel']);
    const terminating = planPropagation(
      input(f, {
        observed: new Map([['c1', hostNs({ deletionTimestamp: 't' })]]),
        hostNamespaceUid: 'host-ns',
      }),
    );
    expect(kinds(terminating)).toEqual([]);
    expect(terminating.removeFinalizer).toBe(true);
  });

  it('orphan: removes the managed label everywhere Ready, never deletes, never blocks', () => {
    const f = deleting({ 'kubefed.io/orphan': 'true' });
    const plan = planPropagation(
      input(f, {
        clusters: [kfc('c1'), kfc('c2', false), kfc('c3'), kfc('c4')],
        observed: new Map([
          ['c1', member(f, 'c1')],
          ['c3', member(f, 'c3')],
          ['c4', member(f, 'c4', { deletionTimestamp: 't' })],
        ]),
      }),
    );
    expect(plan.mode).toBe('orphan');
    expect(kinds(plan)).toEqual(['c1:removeManagedLabel', 'c3:removeManagedLabel']);
    expect(plan.deferred).toEqual(['c2']);
    expect(plan.removeFinalizer).toBe(true);
    const a = only(plan, 'c1');
    expect(a.kind === 'removeManagedLabel' && a.object.metadata.labels).toEqual({ app: 'web' });
  });

  it('an orphan annotation other than "true" deletes', () => {
    const f = deleting({ 'kubefed.io/orphan': 'false' });
    expect(kinds(planPropagation(input(f, { observed: new Map([['c1', member(f, 'c1')]]) })))).toEqual([
      'c1:delete',
    ]);
  });
});

describe('planForExisting (also after a create met AlreadyExists)', () => {
  const f = fedDeploy();
  const base = {
    cluster: 'c1',
    desired: desired(f, 'c1'),
    adoptResources: 'Enabled' as const,
    hostNamespace: false,
    retainReplicas: false,
    recordedVersion: undefined,
  };
  it.each<[string, Partial<Parameters<typeof planForExisting>[0]>, string]>([
    ['adopts an unmanaged object', { observed: member(f, 'c1', { labels: {} }) }, 'update'],
    [
      'refuses when adoption is Disabled',
      { observed: member(f, 'c1', { labels: {} }), adoptResources: 'Disabled' },
      'skip:AlreadyExists',
    ],
    [
      'adopts the host Namespace even when Disabled',
      { observed: member(f, 'c1', { labels: {} }), adoptResources: 'Disabled', hostNamespace: true },
      'update',
    ],
    [
      'leaves managed "false" alone',
      { observed: member(f, 'c1', { labels: { 'kubefed.io/managed': 'false' } }) },
      'skip:ManagedLabelFalse',
    ],
    ['updates a managed object without a recorded version', { observed: member(f, 'c1') }, 'update'],
    ['leaves a current managed object', { observed: member(f, 'c1'), recordedVersion: 'gen:1' }, 'none'],
  ])('%s', (_name, extra, expected) => {
    const a = planForExisting({ ...base, observed: member(f, 'c1'), ...extra });
    expect(a.kind === 'skip' ? `skip:${a.reason}` : a.kind).toBe(expected);
    if (a.kind === 'update')
      expect(a.adopt).toBe(extra.observed?.metadata.labels?.['kubefed.io/managed'] !== 'true');
  });

  it('explains AlreadyExists', () => {
    expect(
      planForExisting({ ...base, observed: member(f, 'c1', { labels: {} }), adoptResources: 'Disabled' }),
    ).toEqual({
      kind: 'skip',
      cluster: 'c1',
      reason: 'AlreadyExists',
      message: 'an object not managed by KubeFed already exists in cluster c1 and adoptResources is Disabled',
    });
  });
});

describe('metadataEquivalent', () => {
  const o = (meta: Partial<KubeObject['metadata']>): KubeObject => ({
    metadata: { name: 'a', namespace: 'n', ...meta },
  });
  it.each<[string, KubeObject, KubeObject, boolean]>([
    ['same', o({ labels: { a: '1' } }), o({ labels: { a: '1' } }), true],
    ['absent and empty maps are equal', o({ labels: {} }), o({ annotations: {} }), true],
    ['name differs', o({}), o({ name: 'b' }), false],
    ['namespace differs', o({}), o({ namespace: 'm' }), false],
    ['label value differs', o({ labels: { a: '1' } }), o({ labels: { a: '2' } }), false],
    ['extra label', o({ labels: { a: '1' } }), o({ labels: { a: '1', b: '2' } }), false],
    ['annotation differs', o({ annotations: { a: '1' } }), o({}), false],
    ['other fields ignored', o({ resourceVersion: '1', finalizers: ['x'] }), o({}), true],
  ])('%s ⇒ %s', (_name, a, b, expected) => {
    expect(metadataEquivalent(a, b)).toBe(expected);
    expect(metadataEquivalent(b, a)).toBe(expected);
  });
});

describe('planPass: the decisions of one pass', () => {
  const clusters = [kfc('c1'), kfc('c2'), kfc('c3', false)];
  const base = (f: FederatedObject) => ({
    federated: f,
    clusters,
    scope: 'Cluster' as const,
    render: (c: string) => rendered(f, c),
    observed: new Map<string, KubeObject | undefined>(),
    adoptResources: 'Disabled' as const,
  });

  it('adds the finalizer first on an object without it, and creates in every placed Ready cluster', () => {
    const f = fedDeploy({ finalizers: [] }, { placement: { clusters: [{ name: 'c1' }, { name: 'c3' }] } });
    const p = planPass(base(f));
    if (p.kind !== 'planned') throw new Error(p.kind);
    expect(p.ensureFinalizer).toBe(true);
    expect(p.placement.ready).toEqual(['c1']);
    expect(p.plan.actions.map((a) => `${a.kind}:${a.cluster}`)).toEqual(['create:c1', 'skip:c3']);
  });

  it('never adds the finalizer to an object being deleted', () => {
    const f = fedDeploy({ finalizers: [], deletionTimestamp: '2026-01-01T00:00:00Z' });
    const p = planPass(base(f));
    expect(p.ensureFinalizer).toBe(false);
    expect(p.kind === 'planned' && p.plan.mode).toBe('finished');
  });

  it('reports a placement that cannot be computed; deleting needs none: every managed copy goes', () => {
    const bad = { placement: { clusterSelector: { matchLabels: { 'bad key!': 'x' } } } };
    const live = planPass(base(fedDeploy({}, bad)));
    expect(live).toMatchObject({ kind: 'placementFailed', ensureFinalizer: false });
    expect(live.kind === 'placementFailed' && live.message).toMatch(/bad key!/);
    const f = fedDeploy({ deletionTimestamp: '2026-01-01T00:00:00Z' }, bad);
    const deleting = planPass({
      ...base(f),
      observed: new Map([
        ['c1', member(f, 'c1', {})],
        ['c3', member(f, 'c3', {})],
      ]),
    });
    if (deleting.kind !== 'planned') throw new Error(deleting.kind);
    expect(deleting.plan.mode).toBe('delete');
    // c1 Ready: deleted; c3 not Ready: left for when it is.
    expect(deleting.plan.actions.map((a) => `${a.kind}:${a.cluster}`)).toEqual(['delete:c1']);
    expect(deleting.plan.deferred).toEqual(['c3']);
  });

  it('names unknown clusters to warn of, except while deleting', () => {
    const spec = { placement: { clusters: [{ name: 'c1' }, { name: 'nope' }] } };
    const live = planPass(base(fedDeploy({}, spec)));
    expect(live.kind === 'planned' && live.unknownClusters).toEqual(['nope']);
    const deleting = planPass(base(fedDeploy({ deletionTimestamp: '2026-01-01T00:00:00Z' }, spec)));
    expect(deleting.kind === 'planned' && deleting.unknownClusters).toEqual([]);
  });

  it('places nothing in a namespace that is not federated (cluster scope) and says why', () => {
    const p = planPass({ ...base(fedDeploy()), namespacePlacement: 'unfederated' });
    if (p.kind !== 'planned') throw new Error(p.kind);
    expect(p.placement.reason).toBe('NamespaceNotFederated');
    expect(p.plan.actions).toEqual([]);
  });

  it('limits placement to the FederatedNamespace clusters', () => {
    const p = planPass({ ...base(fedDeploy()), namespacePlacement: ['c2'] });
    if (p.kind !== 'planned') throw new Error(p.kind);
    expect(p.placement.clusters).toEqual(['c2']);
    expect(p.plan.actions.map((a) => `${a.kind}:${a.cluster}`)).toEqual(['create:c2']);
  });
});
