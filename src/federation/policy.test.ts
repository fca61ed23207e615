import { describe, expect, it } from 'vitest';
import type { KubeFedCluster } from '../api/core.js';
import type { PropagationPolicy, PropagationPolicySpec } from '../api/policy.js';
import type { FederatedObject } from '../api/types.js';
import type { KubeObject } from '../kube/resource.js';
import { ORPHAN_ANNOTATION } from './plan.js';
import {
  DELETION_POLICY_ANNOTATION,
  expandOverrides,
  GENERATED_BY_LABEL,
  generatedObject,
  planNamespace,
  planObject,
  policyProblems,
  policySelects,
  policyStatusOf,
  PROPAGATED_BY_ANNOTATION,
  propagatedByPatch,
  winningPolicy,
  type PolicyEntry,
  type PolicyType,
} from './policy.js';

const DEPLOYMENTS: PolicyType = {
  ftcName: 'deployments.apps',
  target: { group: 'apps', version: 'v1', kind: 'Deployment', resource: 'deployments', namespaced: true },
  federated: { group: 'types.kubefed.io', version: 'v1beta1', kind: 'FederatedDeployment', namespaced: true },
};
const CONFIGMAPS: PolicyType = {
  ftcName: 'configmaps',
  target: { group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true },
  federated: { group: 'types.kubefed.io', version: 'v1beta1', kind: 'FederatedConfigMap', namespaced: true },
};
const NAMESPACE_KIND = {
  group: 'types.kubefed.io',
  version: 'v1beta1',
  kind: 'FederatedNamespace',
  namespaced: true,
};

const cluster = (name: string, labels: Record<string, string> = {}): KubeFedCluster => ({
  metadata: { name, labels },
  spec: { apiEndpoint: 'https://x', secretRef: { name } },
  status: { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: '2026-01-01T00:00:00Z' }] },
});
const CLUSTERS = [
  cluster('c1', { region: 'eu' }),
  cluster('c2', { region: 'us' }),
  cluster('c3', { region: 'eu' }),
];

function pp(name: string, spec: Partial<PropagationPolicySpec>, namespace = 'app'): PolicyEntry {
  return {
    kind: 'PropagationPolicy',
    policy: {
      metadata: { name, namespace, generation: 1 },
      spec: {
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
        placement: { clusters: [{ name: 'c1' }] },
        ...spec,
      },
    },
  };
}
function cpp(name: string, spec: Partial<PropagationPolicySpec>): PolicyEntry {
  const p = pp(name, spec);
  delete p.policy.metadata.namespace;
  return { kind: 'ClusterPropagationPolicy', policy: p.policy };
}

function deployment(name = 'web', extra: Partial<KubeObject['metadata']> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: 'app',
      uid: `uid-${name}`,
      resourceVersion: '7',
      labels: { app: name },
      ...extra,
    },
    spec: { replicas: 2, template: { spec: { containers: [{ name: 'c', image: 'nginx:1' }] } } },
    status: { readyReplicas: 2 },
  };
}

describe('policySelects', () => {
  it.each<[string, PolicyEntry, KubeObject, PolicyType, boolean]>([
    ['a selector of the kind', pp('p', {}), deployment(), DEPLOYMENTS, true],
    ['another kind', pp('p', {}), deployment(), CONFIGMAPS, false],
    [
      'the named object only',
      pp('p', { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'other' }] }),
      deployment(),
      DEPLOYMENTS,
      false,
    ],
    [
      'matching labels',
      pp('p', {
        resourceSelectors: [
          { apiVersion: 'apps/v1', kind: 'Deployment', labelSelector: { matchLabels: { app: 'web' } } },
        ],
      }),
      deployment(),
      DEPLOYMENTS,
      true,
    ],
    [
      'labels that do not match',
      pp('p', {
        resourceSelectors: [
          { apiVersion: 'apps/v1', kind: 'Deployment', labelSelector: { matchLabels: { app: 'db' } } },
        ],
      }),
      deployment(),
      DEPLOYMENTS,
      false,
    ],
    ['a PropagationPolicy of another namespace', pp('p', {}, 'other'), deployment(), DEPLOYMENTS, false],
    ['a ClusterPropagationPolicy in any namespace', cpp('p', {}), deployment(), DEPLOYMENTS, true],
    [
      'a ClusterPropagationPolicy limited to another namespace',
      cpp('p', { resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'other' }] }),
      deployment(),
      DEPLOYMENTS,
      false,
    ],
    [
      'never an object a controller owns',
      pp('p', {}),
      deployment('web', {
        ownerReferences: [{ apiVersion: 'x/v1', kind: 'X', name: 'x', uid: 'u', controller: true }],
      }),
      DEPLOYMENTS,
      false,
    ],
    [
      'never the per-cluster kube-root-ca.crt',
      pp('p', { resourceSelectors: [{ apiVersion: 'v1', kind: 'ConfigMap' }] }),
      { metadata: { name: 'kube-root-ca.crt', namespace: 'app' } },
      CONFIGMAPS,
      false,
    ],
    [
      'nothing while the policy is being deleted',
      {
        ...pp('p', {}),
        policy: { ...pp('p', {}).policy, metadata: { name: 'p', namespace: 'app', deletionTimestamp: 'x' } },
      },
      deployment(),
      DEPLOYMENTS,
      false,
    ],
  ])('%s', (_name, entry, obj, type, expected) => {
    expect(policySelects(entry, obj, type)).toBe(expected);
  });
});

describe('winningPolicy', () => {
  it.each<[string, PolicyEntry[], string | undefined]>([
    ['none selects', [pp('a', {}, 'other')], undefined],
    [
      'the highest priority',
      [pp('a', { priority: 1 }), pp('b', { priority: 5 }), cpp('c', { priority: 3 })],
      'b',
    ],
    ['priority 0 by default, below 1', [cpp('a', { priority: 1 }), pp('b', {})], 'a'],
    ['on a tie a PropagationPolicy before a ClusterPropagationPolicy', [cpp('a', {}), pp('z', {})], 'z'],
    ['on a tie of kinds the first name', [pp('b', {}), pp('a', {})], 'a'],
    [
      'not an invalid policy',
      [
        pp('a', { priority: 9, placement: { clusterSelector: { matchLabels: { 'bad key!': 'x' } } } }),
        pp('b', {}),
      ],
      'b',
    ],
  ])('%s', (_name, policies, expected) => {
    expect(winningPolicy(policies, deployment(), DEPLOYMENTS)?.policy.metadata.name).toBe(expected);
  });
});

describe('expandOverrides', () => {
  it('targets clusters by name and by label, merging entries per cluster in order', () => {
    const out = expandOverrides(
      [
        {
          clusterSelector: { matchLabels: { region: 'eu' } },
          clusterOverrides: [{ path: '/spec/replicas', value: 1 }],
        },
        {
          clusterName: 'c3',
          clusterOverrides: [
            { path: '/spec/replicas', value: 5 },
            { op: 'add', path: '/metadata/labels/x', value: 'y' },
          ],
        },
        { clusterName: 'unknown', clusterOverrides: [{ path: '/spec/replicas', value: 9 }] },
      ],
      CLUSTERS,
    );
    expect(out).toEqual([
      { clusterName: 'c1', clusterOverrides: [{ path: '/spec/replicas', value: 1 }] },
      {
        clusterName: 'c3',
        clusterOverrides: [
          { path: '/spec/replicas', value: 5 },
          { op: 'add', path: '/metadata/labels/x', value: 'y' },
        ],
      },
    ]);
  });

  it('is undefined without overrides or when none targets a cluster', () => {
    expect(expandOverrides(undefined, CLUSTERS)).toBeUndefined();
    expect(
      expandOverrides(
        [{ clusterSelector: { matchLabels: { region: 'mars' } }, clusterOverrides: [] }],
        CLUSTERS,
      ),
    ).toBeUndefined();
  });
});

describe('generatedObject', () => {
  it('is the object federated: stripped template, policy placement and overrides, label, owner', () => {
    const obj = deployment('web', {
      annotations: {
        [PROPAGATED_BY_ANNOTATION]: 'PropagationPolicy/app/p',
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
        keep: 'me',
      },
      labels: { app: 'web', 'kubefed.io/managed': 'true' },
    });
    const entry = pp('p', {
      placement: { clusterSelector: { matchLabels: { region: 'eu' } } },
      overrides: [{ clusterName: 'c1', clusterOverrides: [{ path: '/spec/replicas', value: 3 }] }],
      retainReplicas: true,
      deletionPolicy: 'Delete',
    });
    expect(generatedObject({ type: DEPLOYMENTS, object: obj, entry, clusters: CLUSTERS })).toEqual({
      apiVersion: 'types.kubefed.io/v1beta1',
      kind: 'FederatedDeployment',
      metadata: {
        name: 'web',
        namespace: 'app',
        labels: { [GENERATED_BY_LABEL]: 'policy' },
        annotations: {
          [PROPAGATED_BY_ANNOTATION]: 'PropagationPolicy/app/p',
          [DELETION_POLICY_ANNOTATION]: 'Delete',
        },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-web' }],
      },
      spec: {
        template: {
          metadata: { labels: { app: 'web' }, annotations: { keep: 'me' } },
          spec: { replicas: 2, template: { spec: { containers: [{ name: 'c', image: 'nginx:1' }] } } },
        },
        placement: { clusterSelector: { matchLabels: { region: 'eu' } } },
        overrides: [{ clusterName: 'c1', clusterOverrides: [{ path: '/spec/replicas', value: 3 }] }],
        retainReplicas: true,
      },
    });
  });

  it('sets retainReplicas only on objects with spec.replicas, deletionPolicy Orphan by default', () => {
    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', namespace: 'app', uid: 'u' },
      data: {},
    };
    const g = generatedObject({
      type: CONFIGMAPS,
      object: cm,
      entry: pp('p', { retainReplicas: true }),
      clusters: [],
    });
    expect(g.spec.retainReplicas).toBeUndefined();
    expect(g.metadata.annotations?.[DELETION_POLICY_ANNOTATION]).toBe('Orphan');
  });
});

describe('planObject', () => {
  const entry = pp('p', {});
  const generated = (obj = deployment()) =>
    generatedObject({ type: DEPLOYMENTS, object: obj, entry, clusters: CLUSTERS });
  const base = { type: DEPLOYMENTS, clusters: CLUSTERS, policies: [entry] };

  it('creates the generated object of a selected object', () => {
    const { plan, entry: winner } = planObject({ ...base, object: deployment(), existing: undefined });
    expect(plan).toEqual({ kind: 'create', object: generated() });
    expect(winner?.policy.metadata.name).toBe('p');
  });

  it('leaves an up-to-date generated object alone, whatever others added to it', () => {
    const existing = generated();
    existing.metadata.finalizers = ['kubefed.io/sync-controller'];
    existing.metadata.annotations = { ...existing.metadata.annotations, other: 'x' };
    existing.metadata.resourceVersion = '3';
    expect(planObject({ ...base, object: deployment(), existing }).plan).toEqual({ kind: 'unchanged' });
  });

  it('updates the template when the object changes, keeping finalizers', () => {
    const existing = {
      ...generated(),
      metadata: { ...generated().metadata, finalizers: ['f'], resourceVersion: '3' },
    };
    const changed = deployment();
    (changed.spec as { replicas: number }).replicas = 4;
    const { plan } = planObject({ ...base, object: changed, existing });
    expect(plan.kind).toBe('update');
    const updated = (plan as { object: FederatedObject }).object;
    expect((updated.spec.template as { spec: { replicas: number } }).spec.replicas).toBe(4);
    expect(updated.metadata.finalizers).toEqual(['f']);
    expect(updated.metadata.resourceVersion).toBe('3');
  });

  it('reports a conflict with a user-written federated object and does not touch it', () => {
    const existing: FederatedObject = {
      kind: 'FederatedDeployment',
      metadata: { name: 'web', namespace: 'app' },
      spec: {},
    };
    const { plan } = planObject({ ...base, object: deployment(), existing });
    expect(plan.kind).toBe('conflict');
    expect((plan as { message: string }).message).toContain('was not generated by a policy; it wins');
  });

  it('deletes the generated object when the object is gone, and only a generated one', () => {
    expect(planObject({ ...base, object: undefined, existing: generated() }).plan).toEqual({
      kind: 'delete',
    });
    const user: FederatedObject = { metadata: { name: 'web', namespace: 'app' }, spec: {} };
    expect(planObject({ ...base, object: undefined, existing: user }).plan).toEqual({ kind: 'none' });
    expect(planObject({ ...base, object: undefined, existing: undefined }).plan).toEqual({ kind: 'none' });
  });

  it('releases the generated object when no policy selects the object any more, by its deletion policy', () => {
    const orphan = planObject({ ...base, policies: [], object: deployment(), existing: generated() });
    expect(orphan.plan).toEqual({ kind: 'release', orphan: true });
    const del = generated();
    del.metadata.annotations![DELETION_POLICY_ANNOTATION] = 'Delete';
    expect(planObject({ ...base, policies: [], object: deployment(), existing: del }).plan).toEqual({
      kind: 'release',
      orphan: false,
    });
  });

  it('takes back an object selected again before its release finished', () => {
    const existing = generated();
    existing.metadata.annotations = {
      ...existing.metadata.annotations,
      [ORPHAN_ANNOTATION]: 'true',
      'policy.kubefed.io/releasing': 'true',
    };
    const { plan } = planObject({ ...base, object: deployment(), existing });
    expect(plan.kind).toBe('update');
    const annotations = (plan as { object: FederatedObject }).object.metadata.annotations;
    expect(annotations?.[ORPHAN_ANNOTATION]).toBeUndefined();
    expect(annotations?.['policy.kubefed.io/releasing']).toBeUndefined();
  });

  it('switches to the policy of higher priority', () => {
    const higher = pp('q', { priority: 10, placement: { clusters: [{ name: 'c2' }] } });
    const { plan } = planObject({
      ...base,
      policies: [entry, higher],
      object: deployment(),
      existing: generated(),
    });
    expect(plan.kind).toBe('update');
    const updated = (plan as { object: FederatedObject }).object;
    expect(updated.spec.placement).toEqual({ clusters: [{ name: 'c2' }] });
    expect(updated.metadata.annotations?.[PROPAGATED_BY_ANNOTATION]).toBe('PropagationPolicy/app/q');
  });

  it('keeps the placement and overrides a ReplicaSchedulingPreference wrote', () => {
    const existing = generated();
    existing.spec.placement = { clusters: [{ name: 'c1' }, { name: 'c2' }] };
    existing.spec.overrides = [
      { clusterName: 'c2', clusterOverrides: [{ path: '/spec/replicas', value: 1 }] },
    ];
    expect(planObject({ ...base, object: deployment(), existing, scheduledByRsp: true }).plan).toEqual({
      kind: 'unchanged',
    });
  });
});

describe('propagatedByPatch', () => {
  it('sets, keeps and removes the annotation', () => {
    expect(propagatedByPatch(deployment(), 'PropagationPolicy/app/p')).toEqual({
      metadata: { annotations: { [PROPAGATED_BY_ANNOTATION]: 'PropagationPolicy/app/p' } },
    });
    const annotated = deployment('web', { annotations: { [PROPAGATED_BY_ANNOTATION]: 'x' } });
    expect(propagatedByPatch(annotated, 'x')).toBeUndefined();
    expect(propagatedByPatch(annotated, undefined)).toEqual({
      metadata: { annotations: { [PROPAGATED_BY_ANNOTATION]: null } },
    });
  });
});

describe('policyStatusOf', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const entry = pp('p', {});
  const selected = (name: string, existing?: FederatedObject, winner: PolicyEntry | undefined = entry) => ({
    type: DEPLOYMENTS,
    object: deployment(name),
    winner,
    existing,
  });

  it('counts the objects it propagates, not those another policy wins', () => {
    const other = pp('q', { priority: 1 });
    const s = policyStatusOf({
      entry,
      selected: [selected('a'), selected('b'), selected('c', undefined, other)],
      disabledTypes: [],
      now,
    });
    expect(s).toEqual({
      observedGeneration: 1,
      matchedObjects: 2,
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Propagating',
          message: '2 object(s) propagated',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    });
  });

  it('lists conflicts with user-written federated objects', () => {
    const user: FederatedObject = { metadata: { name: 'a', namespace: 'app' }, spec: {} };
    const s = policyStatusOf({
      entry,
      selected: [selected('a', user), selected('b')],
      disabledTypes: [],
      now,
    });
    expect(s.matchedObjects).toBe(1);
    expect(s.conflicts).toEqual([
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'app',
        name: 'a',
        reason: 'FederatedObjectExists',
        message: 'a user-written FederatedDeployment app/a exists; it wins over the policy',
      },
    ]);
    expect(s.conditions?.[0]).toMatchObject({ status: 'False', reason: 'Conflict' });
  });

  it('says which type is not federated and how to federate it', () => {
    const s = policyStatusOf({
      entry,
      selected: [],
      disabledTypes: [{ apiVersion: 'batch/v1', kind: 'CronJob' }],
      now,
    });
    expect(s.conditions?.[0]).toMatchObject({ status: 'False', reason: 'TypeNotEnabled' });
    expect(s.conditions?.[0]?.message).toContain('kubefedctl enable CronJob');
  });

  it('refuses an invalid selector, naming the field', () => {
    const bad = pp('p', {
      resourceSelectors: [
        { apiVersion: 'apps/v1', kind: 'Deployment', labelSelector: { matchLabels: { 'a b': 'x' } } },
      ],
    });
    expect(policyProblems(bad.policy)[0]).toContain('spec.resourceSelectors[0].labelSelector');
    const s = policyStatusOf({ entry: bad, selected: [], disabledTypes: [], now });
    expect(s.conditions?.[0]).toMatchObject({ status: 'False', reason: 'InvalidSelector' });
  });

  it('keeps the transition time while the condition holds', () => {
    const policy: PropagationPolicy = {
      ...entry.policy,
      status: {
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Propagating',
            lastTransitionTime: '2025-01-01T00:00:00Z',
          },
        ],
      },
    };
    const s = policyStatusOf({ entry: { ...entry, policy }, selected: [], disabledTypes: [], now });
    expect(s.conditions?.[0]?.lastTransitionTime).toBe('2025-01-01T00:00:00Z');
  });
});

describe('planNamespace', () => {
  const gen = (name: string, clusters: string[], by = 'policy'): FederatedObject => ({
    metadata: { name, namespace: 'app', labels: { [GENERATED_BY_LABEL]: by } },
    spec: { placement: { clusters: clusters.map((c) => ({ name: c })) } },
  });
  const base = {
    namespace: 'app',
    federatedNamespace: NAMESPACE_KIND,
    clusters: CLUSTERS,
    scope: 'Cluster' as const,
  };

  it('creates a FederatedNamespace placed on the union of the policy-generated objects', () => {
    const plan = planNamespace({
      ...base,
      generated: [gen('a', ['c1']), gen('b', ['c3', 'c1']), gen('f', ['c2'], 'follower')],
      existing: undefined,
    });
    expect(plan).toEqual({
      kind: 'create',
      object: {
        apiVersion: 'types.kubefed.io/v1beta1',
        kind: 'FederatedNamespace',
        metadata: { name: 'app', namespace: 'app', labels: { [GENERATED_BY_LABEL]: 'namespace' } },
        spec: { placement: { clusters: [{ name: 'c1' }, { name: 'c3' }] } },
      },
    });
  });

  it('follows placement changes and leaves a user-written FederatedNamespace alone', () => {
    const existing = (
      planNamespace({ ...base, generated: [gen('a', ['c1'])], existing: undefined }) as {
        object: FederatedObject;
      }
    ).object;
    const moved = planNamespace({ ...base, generated: [gen('a', ['c2'])], existing });
    expect(moved.kind).toBe('update');
    expect((moved as { object: FederatedObject }).object.spec.placement).toEqual({
      clusters: [{ name: 'c2' }],
    });
    const user: FederatedObject = { metadata: { name: 'app', namespace: 'app' }, spec: {} };
    expect(planNamespace({ ...base, generated: [gen('a', ['c1'])], existing: user })).toEqual({
      kind: 'none',
    });
  });

  it('releases it, orphaning the member namespaces, when no generated object is left', () => {
    const existing = (
      planNamespace({ ...base, generated: [gen('a', ['c1'])], existing: undefined }) as {
        object: FederatedObject;
      }
    ).object;
    expect(planNamespace({ ...base, generated: [], existing })).toEqual({ kind: 'release', orphan: true });
    // Not while a generated object is still being released, or a follower is left.
    const releasing = {
      ...gen('a', ['c1']),
      metadata: { ...gen('a', ['c1']).metadata, deletionTimestamp: 'now' },
    };
    expect(planNamespace({ ...base, generated: [releasing], existing })).toEqual({ kind: 'unchanged' });
    expect(planNamespace({ ...base, generated: [gen('f', ['c1'], 'follower')], existing })).toEqual({
      kind: 'unchanged',
    });
    expect(planNamespace({ ...base, generated: [], existing: undefined })).toEqual({ kind: 'none' });
  });
});

// The orphaning annotation is the sync controller's: releasing relies on its meaning.
it('releases through the sync controller orphaning annotation', () => {
  expect(ORPHAN_ANNOTATION).toBe('kubefed.io/orphan');
});

describe('generated templates of claims', () => {
  it('leave out the binding a cluster makes: volumeName and the binding annotations', () => {
    const claims: PolicyType = {
      ftcName: 'persistentvolumeclaims',
      target: {
        group: '',
        version: 'v1',
        kind: 'PersistentVolumeClaim',
        resource: 'persistentvolumeclaims',
        namespaced: true,
      },
      federated: {
        group: 'types.kubefed.io',
        version: 'v1beta1',
        kind: 'FederatedPersistentVolumeClaim',
        namespaced: true,
      },
    };
    const claim: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: 'data',
        namespace: 'app',
        uid: 'u',
        finalizers: ['kubernetes.io/pvc-protection'],
        annotations: {
          'pv.kubernetes.io/bind-completed': 'yes',
          'pv.kubernetes.io/bound-by-controller': 'yes',
          'volume.kubernetes.io/storage-provisioner': 'x',
          keep: 'me',
        },
      },
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: '1Gi' } },
        volumeName: 'pv-123',
      },
      status: { phase: 'Bound' },
    };
    expect(
      generatedObject({ type: claims, object: claim, entry: pp('p', {}), clusters: [] }).spec.template,
    ).toEqual({
      metadata: { annotations: { keep: 'me' } },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
    });
  });
});

describe('invalid policies', () => {
  const badOverrides = pp('p', {
    overrides: [{ clusterName: 'c1', clusterOverrides: [{ op: 'move' as never, path: 'spec' }] }],
  });

  it('report overrides a Federated<Kind> would refuse, naming the field', () => {
    const s = policyStatusOf({ entry: badOverrides, selected: [], disabledTypes: [], now: new Date() });
    expect(s.conditions?.[0]).toMatchObject({ status: 'False', reason: 'InvalidOverrides' });
    expect(s.conditions?.[0]?.message).toContain('spec.overrides[0].clusterOverrides[0]');
  });

  it('hold what they generated until fixed, instead of releasing it', () => {
    const valid = pp('p', {});
    const existing = generatedObject({
      type: DEPLOYMENTS,
      object: deployment(),
      entry: valid,
      clusters: CLUSTERS,
    });
    const { plan, entry } = planObject({
      type: DEPLOYMENTS,
      object: deployment(),
      policies: [badOverrides],
      existing,
      clusters: CLUSTERS,
    });
    expect(plan).toEqual({ kind: 'unchanged' });
    expect(entry?.policy).toBe(badOverrides.policy);
    // Never generate from an invalid policy.
    expect(
      planObject({
        type: DEPLOYMENTS,
        object: deployment(),
        policies: [badOverrides],
        existing: undefined,
        clusters: CLUSTERS,
      }).plan,
    ).toEqual({ kind: 'none' });
  });
});
