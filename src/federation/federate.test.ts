import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/resource.js';
import {
  compareApiVersions,
  contentObjectSkipReason,
  contentTypeSkipReason,
  defaultFederatedKind,
  federatedObjectOf,
  highestVersions,
  LAST_APPLIED_ANNOTATION,
  ManifestError,
  parseManifests,
  parseSkipList,
  skipEntryFor,
  templateOf,
  type ContentType,
} from './federate.js';

const serverMeta = {
  uid: 'u-1',
  resourceVersion: '42',
  generation: 3,
  creationTimestamp: '2024-01-01T00:00:00Z',
  managedFields: [{ manager: 'kubectl' }],
  selfLink: '/api/v1/x',
  ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'u' }],
  finalizers: ['f'],
};

describe('templateOf', () => {
  const cases: { name: string; target: { group: string; kind: string }; obj: KubeObject; want: unknown }[] = [
    {
      name: 'drops server-set metadata, apiVersion, kind and status; keeps labels and annotations',
      target: { group: '', kind: 'ConfigMap' },
      obj: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'c',
          namespace: 'ns',
          labels: { app: 'a' },
          annotations: { note: 'keep', [LAST_APPLIED_ANNOTATION]: '{}' },
          ...serverMeta,
        },
        data: { k: 'v' },
        status: { x: 1 },
      },
      want: { metadata: { labels: { app: 'a' }, annotations: { note: 'keep' } }, data: { k: 'v' } },
    },
    {
      name: 'omits metadata when nothing is left of it',
      target: { group: '', kind: 'ConfigMap' },
      obj: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'c', annotations: { [LAST_APPLIED_ANNOTATION]: '{}' } },
      },
      want: {},
    },
    {
      name: 'Namespace: drops spec.finalizers',
      target: { group: '', kind: 'Namespace' },
      obj: {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'n' },
        spec: { finalizers: ['kubernetes'] },
      },
      want: { spec: {} },
    },
    {
      name: 'ServiceAccount: drops secrets, keeps imagePullSecrets',
      target: { group: '', kind: 'ServiceAccount' },
      obj: {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 's' },
        secrets: [{ name: 's-token' }],
        imagePullSecrets: [{ name: 'pull' }],
      },
      want: { imagePullSecrets: [{ name: 'pull' }] },
    },
    {
      name: 'Service: drops allocated IPs and node ports',
      target: { group: '', kind: 'Service' },
      obj: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 's' },
        spec: {
          type: 'LoadBalancer',
          clusterIP: '10.0.0.1',
          clusterIPs: ['10.0.0.1'],
          healthCheckNodePort: 31000,
          ports: [{ port: 80, nodePort: 30080 }],
        },
      },
      want: { spec: { type: 'LoadBalancer', ports: [{ port: 80 }] } },
    },
    {
      name: 'Service: keeps a headless clusterIP None',
      target: { group: '', kind: 'Service' },
      obj: {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 's' },
        spec: { clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 80 }] },
      },
      want: { spec: { clusterIP: 'None', clusterIPs: ['None'], ports: [{ port: 80 }] } },
    },
    {
      name: 'Job: drops the generated selector and controller labels',
      target: { group: 'batch', kind: 'Job' },
      obj: {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: {
          name: 'j',
          labels: { 'controller-uid': 'u', 'job-name': 'j', 'batch.kubernetes.io/job-name': 'j', team: 't' },
        },
        spec: {
          selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } },
          template: {
            metadata: {
              creationTimestamp: null,
              labels: { 'batch.kubernetes.io/controller-uid': 'u', 'controller-uid': 'u', app: 'x' },
            },
            spec: { containers: [] },
          },
        },
      },
      want: {
        metadata: { labels: { team: 't' } },
        spec: { template: { metadata: { labels: { app: 'x' } }, spec: { containers: [] } } },
      },
    },
    {
      name: 'Job: keeps a manual selector',
      target: { group: 'batch', kind: 'Job' },
      obj: {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'j' },
        spec: { manualSelector: true, selector: { matchLabels: { app: 'x' } } },
      },
      want: { spec: { manualSelector: true, selector: { matchLabels: { app: 'x' } } } },
    },
    {
      name: 'Deployment: drops the revision annotation and a null pod template creationTimestamp',
      target: { group: 'apps', kind: 'Deployment' },
      obj: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd', annotations: { 'deployment.kubernetes.io/revision': '1' } },
        spec: { replicas: 2, template: { metadata: { creationTimestamp: null } } },
      },
      want: { spec: { replicas: 2, template: { metadata: {} } } },
    },
  ];
  it.each(cases)('$name', ({ target, obj, want }) => {
    expect(templateOf(obj, target)).toEqual(want);
  });

  it('does not modify its input', () => {
    const obj: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's' },
      spec: { clusterIP: '1.2.3.4' },
    };
    templateOf(obj, { group: '', kind: 'Service' });
    expect(obj.spec).toEqual({ clusterIP: '1.2.3.4' });
  });
});

describe('federatedObjectOf', () => {
  const fcm = { group: 'types.kubefed.io', version: 'v1beta1', kind: 'FederatedConfigMap', namespaced: true };
  it('keeps name and namespace and places on all clusters', () => {
    const obj = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'ns' },
      data: { a: 'b' },
    };
    expect(federatedObjectOf(obj, { group: '', kind: 'ConfigMap', resource: 'configmaps' }, fcm)).toEqual({
      apiVersion: 'types.kubefed.io/v1beta1',
      kind: 'FederatedConfigMap',
      metadata: { name: 'c', namespace: 'ns' },
      spec: { template: { data: { a: 'b' } }, placement: { clusterSelector: { matchLabels: {} } } },
    });
  });
  it('uses the given namespace when the object has none', () => {
    const obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } };
    const fed = federatedObjectOf(obj, { group: '', kind: 'ConfigMap', resource: 'configmaps' }, fcm, 'dflt');
    expect(fed.metadata).toEqual({ name: 'c', namespace: 'dflt' });
  });
  it('puts a FederatedNamespace in the namespace it federates', () => {
    const obj = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } };
    const fed = federatedObjectOf(
      obj,
      { group: '', kind: 'Namespace', resource: 'namespaces' },
      { ...fcm, kind: 'FederatedNamespace' },
      'other',
    );
    expect(fed.metadata).toEqual({ name: 'team-a', namespace: 'team-a' });
  });
  it('gives a cluster-scoped federated object no namespace', () => {
    const obj = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } };
    const fed = federatedObjectOf(
      obj,
      { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', resource: 'clusterroles' },
      { ...fcm, kind: 'FederatedClusterRole', namespaced: false },
      'ns',
    );
    expect(fed.metadata).toEqual({ name: 'r' });
  });
});

describe('defaultFederatedKind', () => {
  it.each([
    ['apps', 'Deployment', 'FederatedDeployment', 'deployments', true],
    ['', 'ConfigMap', 'FederatedConfigMap', 'configmaps', true],
    ['', 'Namespace', 'FederatedNamespace', 'namespaces', true],
    ['rbac.authorization.k8s.io', 'ClusterRole', 'FederatedClusterRole', 'clusterroles', false],
  ])('%s %s -> %s', (group, kind, fedKind, plural, namespaced) => {
    expect(defaultFederatedKind(group, kind)).toEqual({
      target: { group, kind, resource: plural },
      federated: { group: 'types.kubefed.io', version: 'v1beta1', kind: fedKind, namespaced },
    });
  });
  it('knows no other kinds', () => {
    expect(defaultFederatedKind('example.com', 'Foo')).toBeUndefined();
    expect(defaultFederatedKind('', 'Deployment')).toBeUndefined();
  });
});

const type = (over: Partial<ContentType>): ContentType => ({
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  resource: 'configmaps',
  singular: 'configmap',
  shortNames: ['cm'],
  namespaced: true,
  verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'],
  ...over,
});

describe('skip lists', () => {
  it('parses comma separated names, trimmed and lowercased', () => {
    expect(parseSkipList(' Secrets, events ,,deployments.apps ')).toEqual([
      'secrets',
      'events',
      'deployments.apps',
    ]);
    expect(parseSkipList(undefined)).toEqual([]);
  });
  const deploy = type({
    group: 'apps',
    kind: 'Deployment',
    resource: 'deployments',
    singular: 'deployment',
    shortNames: ['deploy'],
  });
  it.each([
    ['plural', deploy, 'deployments', 'deployments'],
    ['kind', deploy, 'deployment', 'deployment'],
    ['short name', deploy, 'deploy', 'deploy'],
    ['plural.group', deploy, 'deployments.apps', 'deployments.apps'],
    ['whole group', deploy, 'apps', 'apps'],
    ['another type', deploy, 'configmaps', undefined],
    ['another group of the same plural', deploy, 'deployments.example.com', undefined],
    ['core short name', type({}), 'cm', 'cm'],
    ['core group by name', type({}), 'core', 'core'],
    [
      'events of both groups by plural',
      type({ group: 'events.k8s.io', kind: 'Event', resource: 'events' }),
      'events',
      'events',
    ],
  ])('%s', (_, t, entry, want) => {
    expect(skipEntryFor(t, [entry])).toBe(want);
  });
});

describe('contentTypeSkipReason', () => {
  it.each([
    ['a ConfigMap', type({}), undefined],
    ['a cluster-scoped type', type({ namespaced: false }), 'not namespaced'],
    ['a type without list', type({ verbs: ['create'] }), 'not listable'],
    [
      'the extensions group',
      type({ group: 'extensions', kind: 'Ingress', resource: 'ingresses' }),
      'deprecated extensions group',
    ],
    [
      'a federated type',
      type({ group: 'types.kubefed.io', kind: 'FederatedConfigMap', resource: 'federatedconfigmaps' }),
      'KubeFed type',
    ],
    [
      'a federated type of another group',
      type({ group: 'x.kubefed.io', kind: 'FederatedConfigMap', resource: 'federatedconfigmaps' }),
      'KubeFed type',
    ],
    [
      'an FTC',
      type({ group: 'core.kubefed.io', kind: 'FederatedTypeConfig', resource: 'federatedtypeconfigs' }),
      'KubeFed type',
    ],
    ['core events', type({ kind: 'Event', resource: 'events' }), 'generated by the cluster'],
    [
      'events.k8s.io events',
      type({ group: 'events.k8s.io', kind: 'Event', resource: 'events' }),
      'generated by the cluster',
    ],
    ['endpoints', type({ kind: 'Endpoints', resource: 'endpoints' }), 'generated by the cluster'],
    [
      'endpointslices',
      type({ group: 'discovery.k8s.io', kind: 'EndpointSlice', resource: 'endpointslices' }),
      'generated by the cluster',
    ],
    [
      'leases',
      type({ group: 'coordination.k8s.io', kind: 'Lease', resource: 'leases' }),
      'generated by the cluster',
    ],
    [
      'a user skip',
      type({ kind: 'Secret', resource: 'secrets', shortNames: [] }),
      'named by --skip-api-resources',
    ],
  ])('%s', (_, t, want) => {
    expect(contentTypeSkipReason(t, ['secrets'], new Set(['types.kubefed.io', 'x.kubefed.io']))).toBe(want);
  });
});

describe('highestVersions', () => {
  it('orders GA over beta over alpha, then by number', () => {
    const sorted = ['v1alpha1', 'v2', 'v1beta2', 'v1', 'v1beta1', 'v2beta1', 'foo'].sort(compareApiVersions);
    expect(sorted).toEqual(['foo', 'v1alpha1', 'v1beta1', 'v1beta2', 'v2beta1', 'v1', 'v2']);
  });
  it('keeps one entry per plural.group', () => {
    const got = highestVersions([
      { group: 'autoscaling', version: 'v1', resource: 'horizontalpodautoscalers' },
      { group: 'autoscaling', version: 'v2', resource: 'horizontalpodautoscalers' },
      { group: 'x.io', version: 'v1beta1', resource: 'widgets' },
      { group: 'x.io', version: 'v1alpha1', resource: 'widgets' },
      { group: '', version: 'v1', resource: 'pods/log' },
    ]);
    expect(got.map((t) => `${t.resource}.${t.group}/${t.version}`)).toEqual([
      'horizontalpodautoscalers.autoscaling/v2',
      'widgets.x.io/v1beta1',
    ]);
  });
});

describe('contentObjectSkipReason', () => {
  const obj = (metadata: KubeObject['metadata'], extra: Record<string, unknown> = {}): KubeObject => ({
    metadata,
    ...extra,
  });
  const controller = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u', controller: true }];
  it.each([
    ['a plain ConfigMap', 'ConfigMap', '', obj({ name: 'c' }), undefined],
    [
      'a Pod of a ReplicaSet',
      'Pod',
      '',
      obj({ name: 'p', ownerReferences: controller }),
      'owned by a controller',
    ],
    [
      'an object with a non-controller owner',
      'ConfigMap',
      '',
      obj({ name: 'c', ownerReferences: [{ ...controller[0]!, controller: false }] }),
      undefined,
    ],
    ['kube-root-ca.crt', 'ConfigMap', '', obj({ name: 'kube-root-ca.crt' }), 'generated by the cluster'],
    [
      'the default ServiceAccount',
      'ServiceAccount',
      '',
      obj({ name: 'default' }),
      'generated by the cluster',
    ],
    ['another ServiceAccount', 'ServiceAccount', '', obj({ name: 'app' }), undefined],
    [
      'a token Secret',
      'Secret',
      '',
      obj({ name: 't' }, { type: 'kubernetes.io/service-account-token' }),
      'service account token',
    ],
    ['an Opaque Secret', 'Secret', '', obj({ name: 't' }, { type: 'Opaque' }), undefined],
    [
      'a name with a colon',
      'Role',
      'rbac.authorization.k8s.io',
      obj({ name: 'system:x' }),
      'name not valid for a federated object',
    ],
  ])('%s', (_, kind, group, o, want) => {
    expect(contentObjectSkipReason(o, { group, kind })).toBe(want);
  });
});

describe('parseManifests', () => {
  it('reads multi-document YAML, skipping empty documents', () => {
    const text =
      '---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: b}\n';
    expect(parseManifests(text, 'f.yaml').map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ConfigMap/a',
      'Deployment/b',
    ]);
  });
  it('reads JSON and expands Lists', () => {
    const text = JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' } },
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b' } },
      ],
    });
    expect(parseManifests(text, 'f.json').map((o) => o.metadata.name)).toEqual(['a', 'b']);
  });
  it.each([
    [
      'malformed YAML, with the line',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: [x\nb: c: d\n',
      /^f\.yaml: line \d+, column \d+: malformed YAML: /,
    ],
    [
      'no kind',
      'apiVersion: v1\nmetadata: {name: a}\n',
      /^f\.yaml: line 1: the object has no apiVersion or kind/,
    ],
    [
      'no name',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n',
      /^f\.yaml: line 1: ConfigMap has no metadata.name/,
    ],
    ['a scalar document', 'just text\n', /^f\.yaml: line 1: expected a Kubernetes object/],
    [
      'a bad List item',
      'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1}\n',
      /^f\.yaml: line 1: items\[0\]: /,
    ],
  ])('rejects %s', (_, text, message) => {
    expect(() => parseManifests(text, 'f.yaml')).toThrow(ManifestError);
    expect(() => parseManifests(text, 'f.yaml')).toThrow(message);
  });
  it('names the line of the document that lacks a name', () => {
    const text =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n';
    expect(() => parseManifests(text, 'f.yaml')).toThrow(/^f\.yaml: line 5: ConfigMap has no metadata.name/);
  });
});
