import { describe, expect, it } from 'vitest';
import type { FederatedObject, Overrides } from '../api/types.js';
import { isNamespaceTarget, renderForCluster, type RenderInput } from './render.js';

function fed(
  spec: FederatedObject['spec'],
  meta: Partial<FederatedObject['metadata']> = {},
): FederatedObject {
  return {
    apiVersion: 'types.kubefed.io/v1beta1',
    kind: 'FederatedDeployment',
    metadata: { name: 'web', namespace: 'apps', uid: 'fed-uid', generation: 4, ...meta },
    spec,
  };
}

const template = {
  metadata: { labels: { app: 'web' }, annotations: { team: 'a' } },
  spec: { replicas: 2, template: { spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
};

function render(input: Partial<RenderInput> & Pick<RenderInput, 'federated'>) {
  return renderForCluster({ targetApiVersion: 'apps/v1', targetKind: 'Deployment', cluster: 'c1', ...input });
}

describe('renderForCluster', () => {
  it('renders the template with the federated identity, target kind and managed label', () => {
    expect(render({ federated: fed({ template }) })).toEqual({
      kind: 'ok',
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: {
          name: 'web',
          namespace: 'apps',
          labels: { app: 'web', 'kubefed.io/managed': 'true' },
          annotations: {
            team: 'a',
            'kubefed.io/propagated-keys': '{"labels":["app"],"annotations":["team"]}',
          },
        },
        spec: template.spec,
      },
    });
  });

  it('an override of a member the template does not set sets it, as upstream (replace is lenient)', () => {
    const bare = { spec: { template: { spec: { containers: [{ name: 'c', image: 'nginx' }] } } } };
    const r = render({
      federated: fed({
        template: bare,
        overrides: [
          {
            clusterName: 'c1',
            clusterOverrides: [
              { path: '/metadata/labels', value: { env: 'prod' } },
              { op: 'replace', path: '/spec/template/spec/nodeSelector', value: { disk: 'ssd' } },
            ],
          },
        ],
      }),
    });
    if (r.kind !== 'ok') throw new Error(r.message);
    expect(r.object.metadata.labels).toEqual({ env: 'prod', 'kubefed.io/managed': 'true' });
    expect(r.object.spec).toEqual({
      template: { spec: { containers: [{ name: 'c', image: 'nginx' }], nodeSelector: { disk: 'ssd' } } },
    });
  });

  it('renders a FederatedNamespace as the Namespace named like it, without a namespace', () => {
    const r = render({
      federated: fed({ placement: { clusterSelector: {} } }, { name: 'ns1', namespace: 'ns1' }),
      targetApiVersion: 'v1',
      targetKind: 'Namespace',
    });
    expect(r).toEqual({
      kind: 'ok',
      object: {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'ns1', labels: { 'kubefed.io/managed': 'true' } },
      },
    });
  });

  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    [
      'template name/namespace/generateName are replaced',
      { metadata: { name: 'other', namespace: 'other', generateName: 'g-' } },
      { name: 'web', namespace: 'apps', labels: { 'kubefed.io/managed': 'true' } },
    ],
    [
      'finalizers and server-set fields are dropped',
      {
        metadata: {
          finalizers: ['x/y'],
          uid: 'u',
          resourceVersion: '9',
          generation: 3,
          creationTimestamp: 't',
          deletionTimestamp: 't',
          deletionGracePeriodSeconds: 30,
          selfLink: '/x',
          managedFields: [{}],
          ownerReferences: [{ name: 'kept' }],
        },
      },
      {
        name: 'web',
        namespace: 'apps',
        ownerReferences: [{ name: 'kept' }],
        labels: { 'kubefed.io/managed': 'true' },
      },
    ],
    [
      'a template managed label "false" is forced to "true"',
      { metadata: { labels: { 'kubefed.io/managed': 'false' } } },
      { name: 'web', namespace: 'apps', labels: { 'kubefed.io/managed': 'true' } },
    ],
  ])('%s', (_name, tmpl, metadata) => {
    const r = render({ federated: fed({ template: tmpl }) });
    expect(r.kind === 'ok' && r.object.metadata).toEqual(metadata);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['keeps the template apiVersion when it sets one', { apiVersion: 'apps/v1beta2' }, 'apps/v1beta2'],
    ['uses the target apiVersion when the template has none', {}, 'apps/v1'],
    ['uses the target apiVersion when the template has an empty one', { apiVersion: '' }, 'apps/v1'],
  ])('%s', (_name, tmpl, apiVersion) => {
    const r = render({ federated: fed({ template: tmpl }) });
    expect(r.kind === 'ok' && r.object.apiVersion).toBe(apiVersion);
  });

  it('always uses the target kind', () => {
    const r = render({ federated: fed({ template: { kind: 'ReplicaSet' } }) });
    expect(r.kind === 'ok' && r.object.kind).toBe('Deployment');
  });

  it('applies only the cluster’s overrides, in order, after the template', () => {
    const overrides: Overrides = [
      {
        clusterName: 'c1',
        clusterOverrides: [
          { path: '/spec/replicas', value: 5 },
          { op: 'add', path: '/metadata/annotations/zone', value: 'eu' },
          { op: 'remove', path: '/metadata/labels/app' },
          { op: 'replace', path: '/apiVersion', value: 'apps/v1beta2' },
        ],
      },
      { clusterName: 'c2', clusterOverrides: [{ path: '/spec/replicas', value: 9 }] },
    ];
    const r = render({ federated: fed({ template, overrides }) });
    expect(r).toEqual({
      kind: 'ok',
      object: {
        apiVersion: 'apps/v1beta2',
        kind: 'Deployment',
        metadata: {
          name: 'web',
          namespace: 'apps',
          labels: { 'kubefed.io/managed': 'true' },
          // The removed label is not recorded: a member's own "app" label would stay.
          annotations: {
            team: 'a',
            zone: 'eu',
            'kubefed.io/propagated-keys': '{"annotations":["team","zone"]}',
          },
        },
        spec: { ...template.spec, replicas: 5 },
      },
    });
  });

  it('prefers the overrides given over the federated object’s', () => {
    const r = render({
      federated: fed({
        template,
        overrides: [{ clusterName: 'c1', clusterOverrides: [{ path: '/spec/replicas', value: 5 }] }],
      }),
      overrides: [{ clusterName: 'c1', clusterOverrides: [{ path: '/spec/replicas', value: 7 }] }],
    });
    expect(r.kind === 'ok' && (r.object.spec as { replicas: number }).replicas).toBe(7);
  });

  it('keeps identity and the managed label when an override replaces all metadata', () => {
    const r = render({
      federated: fed({
        template,
        overrides: [
          { clusterName: 'c1', clusterOverrides: [{ path: '/metadata', value: { labels: { x: 'y' } } }] },
        ],
      }),
    });
    expect(r.kind === 'ok' && r.object.metadata).toEqual({
      name: 'web',
      namespace: 'apps',
      labels: { x: 'y', 'kubefed.io/managed': 'true' },
      annotations: { 'kubefed.io/propagated-keys': '{"labels":["x"]}' },
    });
  });

  it('never mutates the federated object', () => {
    const f = fed({
      template,
      overrides: [{ clusterName: 'c1', clusterOverrides: [{ path: '/spec/replicas', value: 5 }] }],
    });
    const before = JSON.stringify(f);
    const r = render({ federated: f });
    expect(JSON.stringify(f)).toBe(before);
    if (r.kind !== 'ok') throw new Error(r.message);
    (r.object.metadata.labels as Record<string, string>).x = 'y';
    expect(template.metadata.labels).toEqual({ app: 'web' });
  });

  it.each<[string, FederatedObject, 'ApplyOverridesFailed' | 'ComputeResourceFailed', string]>([
    [
      'a forbidden override path (any cluster’s) fails every cluster',
      fed({
        template,
        overrides: [{ clusterName: 'c2', clusterOverrides: [{ path: '/metadata/name', value: 'x' }] }],
      }),
      'ApplyOverridesFailed',
      'spec.overrides[0].clusterOverrides[0].path: Forbidden: "/metadata/name" ties the member object to its federated object and cannot be overridden',
    ],
    [
      'a duplicate cluster',
      fed({ template, overrides: [{ clusterName: 'c1' }, { clusterName: 'c1' }] }),
      'ApplyOverridesFailed',
      'spec.overrides[1].clusterName: Duplicate value: "c1" (already at spec.overrides[0])',
    ],
    [
      'a patch that does not apply',
      fed({
        template,
        overrides: [{ clusterName: 'c1', clusterOverrides: [{ path: '/spec/missing/x', value: 1 }] }],
      }),
      'ApplyOverridesFailed',
      'overrides for cluster "c1": replace "/spec/missing/x" (operation 0): /spec/missing does not exist',
    ],
    [
      'an override of the whole object (empty path)',
      fed({ template, overrides: [{ clusterName: 'c1', clusterOverrides: [{ path: '', value: 1 }] }] }),
      'ApplyOverridesFailed',
      'overrides for cluster "c1": replace "" (operation 0): path: Forbidden: "" names the whole object, including its name, namespace and kind; name a field such as /spec/replicas',
    ],
    [
      'an override that makes metadata a scalar',
      fed({
        template,
        overrides: [{ clusterName: 'c1', clusterOverrides: [{ path: '/metadata', value: 1 }] }],
      }),
      'ApplyOverridesFailed',
      'overrides for cluster "c1" made metadata a non-object',
    ],
    [
      'an override that makes labels a list',
      fed({
        template,
        overrides: [{ clusterName: 'c1', clusterOverrides: [{ path: '/metadata/labels', value: [] }] }],
      }),
      'ApplyOverridesFailed',
      'overrides for cluster "c1" made metadata.labels a non-object',
    ],
    [
      'a template that is not an object',
      fed({ template: [] as unknown as Record<string, unknown> }),
      'ComputeResourceFailed',
      'spec.template must be an object',
    ],
    [
      'template metadata that is not an object',
      fed({ template: { metadata: 'x' } }),
      'ComputeResourceFailed',
      'spec.template.metadata must be an object',
    ],
    [
      'template labels with a non-string value',
      fed({ template: { metadata: { labels: { a: 1 } } } }),
      'ComputeResourceFailed',
      'spec.template.metadata.labels must map keys to string values',
    ],
    [
      'template annotations that are a list',
      fed({ template: { metadata: { annotations: ['a'] } } }),
      'ComputeResourceFailed',
      'spec.template.metadata.annotations must map keys to string values',
    ],
    [
      'a template holding a non-JSON value',
      fed({ template: { spec: { x: Number.POSITIVE_INFINITY } } }),
      'ComputeResourceFailed',
      'spec.template is not JSON: /spec/x: Infinity is not a JSON number',
    ],
    [
      'a federated object without a name',
      { ...fed({ template }), metadata: { namespace: 'apps' } },
      'ComputeResourceFailed',
      'the federated object has no metadata.name',
    ],
  ])('fails: %s', (_name, federated, reason, message) => {
    expect(render({ federated })).toEqual({ kind: 'failed', reason, message });
  });
});

describe('isNamespaceTarget', () => {
  it.each<[string, string, boolean]>([
    ['v1', 'Namespace', true],
    ['v1', 'ConfigMap', false],
    ['example.com/v1', 'Namespace', false],
  ])('%s %s ⇒ %s', (apiVersion, kind, expected) => {
    expect(isNamespaceTarget(apiVersion, kind)).toBe(expected);
  });
});
