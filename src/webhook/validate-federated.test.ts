import { describe, expect, it } from 'vitest';
import { validateFederatedObject } from './validate-federated.js';

const FCM = { group: 'types.kubefed.io', kind: 'FederatedConfigMap' };
const FDEPLOY = { group: 'types.kubefed.io', kind: 'FederatedDeployment' };
const obj = (spec: unknown) => ({ metadata: { name: 'web', namespace: 'ns1' }, spec });
const override = (o: Record<string, unknown>) => ({
  overrides: [{ clusterName: 'cluster2', clusterOverrides: [o] }],
});

describe('validateFederatedObject', () => {
  it.each([
    ['an empty spec', {}],
    ['clusters by name', { placement: { clusters: [{ name: 'cluster1' }, { name: 'cluster2' }] } }],
    ['an empty cluster list', { placement: { clusters: [] } }],
    ['a match-everything selector', { placement: { clusterSelector: {} } }],
    [
      'a selector with expressions',
      {
        placement: {
          clusterSelector: {
            matchLabels: { 'kubefed.io/region': 'eu' },
            matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['dev'] }],
          },
        },
      },
    ],
    ['a replace override (op defaults to replace)', override({ path: '/data/greeting', value: 'hi' })],
    ['a remove override', override({ op: 'remove', path: '/metadata/labels/app' })],
    ['an apiVersion override (upstream allows it)', override({ path: '/apiVersion', value: 'v1' })],
    // As upstream (its CRD pattern ^(add|remove|replace)?$ and its patch library):
    ['op "" (replace)', override({ op: '', path: '/data/a', value: 'x' })],
    ['add without a value (sets null)', override({ op: 'add', path: '/data/a' })],
    [
      'a "~" that escapes nothing (an ordinary character)',
      override({ path: '/metadata/labels/a~2b', value: '1' }),
    ],
    [
      'an override below /metadata/generateName (fails in its cluster, when applied)',
      override({ path: '/metadata/generateName/0', value: 'x' }),
    ],
    [
      'a template with matching kind and apiVersion',
      { template: { apiVersion: 'v1', kind: 'ConfigMap', data: {} } },
    ],
  ])('accepts %s', (_, spec) => {
    expect(validateFederatedObject(obj(spec), FCM)).toEqual({ errors: [], warnings: [] });
  });

  it.each([
    [
      'an override without clusterName',
      { overrides: [{ clusterOverrides: [] }] },
      /not set, so these overrides apply to no cluster; use the name of a KubeFedCluster/,
    ],
    [
      'an override clusterName with capitals',
      { overrides: [{ clusterName: 'C1' }] },
      /"C1" is not a DNS-1123 subdomain, so no KubeFedCluster has this name/,
    ],
  ])('accepts with a warning %s', (_, spec, message) => {
    expect(validateFederatedObject(obj(spec), FCM)).toEqual({
      errors: [],
      warnings: [
        { field: 'spec.overrides[0].clusterName', message: expect.stringMatching(message) as string },
      ],
    });
  });

  it.each([
    ['no spec', undefined, 'spec', /Required value/],
    [
      'a cluster without a name',
      { placement: { clusters: [{}] } },
      'spec.placement.clusters[0].name',
      /Required value/,
    ],
    [
      'a cluster name with capitals',
      { placement: { clusters: [{ name: 'Cluster2' }] } },
      'spec.placement.clusters[0].name',
      /not a DNS-1123 subdomain/,
    ],
    [
      'a cluster listed twice',
      { placement: { clusters: [{ name: 'c1' }, { name: 'c1' }] } },
      'spec.placement.clusters[1].name',
      /Duplicate value: "c1" \(already at spec.placement.clusters\[0\]\); list each cluster once/,
    ],
    [
      'a selector label key with spaces',
      { placement: { clusterSelector: { matchLabels: { 'my region': 'eu' } } } },
      'spec.placement.clusterSelector.matchLabels["my region"]',
      /invalid label key/,
    ],
    [
      'a selector label value too long',
      { placement: { clusterSelector: { matchLabels: { region: 'x'.repeat(64) } } } },
      'spec.placement.clusterSelector.matchLabels["region"]',
      /no more than 63 characters/,
    ],
    [
      'In without values',
      { placement: { clusterSelector: { matchExpressions: [{ key: 'tier', operator: 'In' }] } } },
      'spec.placement.clusterSelector.matchExpressions[0].values',
      /must be non-empty when operator is In/,
    ],
    [
      'Exists with values',
      {
        placement: {
          clusterSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists', values: ['a'] }] },
        },
      },
      'spec.placement.clusterSelector.matchExpressions[0].values',
      /must be empty when operator is Exists/,
    ],
    [
      'an override of /metadata/name',
      override({ path: '/metadata/name', value: 'x' }),
      'spec.overrides[0].clusterOverrides[0].path',
      /Forbidden: "\/metadata\/name".*cannot be overridden; remove this override/,
    ],
    [
      'an override of /metadata/namespace',
      override({ path: '/metadata/namespace', value: 'x' }),
      'spec.overrides[0].clusterOverrides[0].path',
      /Forbidden: "\/metadata\/namespace"/,
    ],
    [
      'an override of /kind',
      override({ path: '/kind', value: 'Secret' }),
      'spec.overrides[0].clusterOverrides[0].path',
      /Forbidden: "\/kind"/,
    ],
    [
      'a path that is not a JSON pointer',
      override({ path: 'spec.replicas', value: 1 }),
      'spec.overrides[0].clusterOverrides[0].path',
      /must be empty or start with "\/"/,
    ],
    [
      'op "move"',
      override({ op: 'move', path: '/data/a', value: 1 }),
      'spec.overrides[0].clusterOverrides[0].op',
      /Unsupported value: "move": supported values: "add", "remove", "replace"/,
    ],
    [
      'a cluster overridden twice',
      { overrides: [{ clusterName: 'c1' }, { clusterName: 'c1' }] },
      'spec.overrides[1].clusterName',
      /Duplicate value: "c1".*merge the entries of this cluster into one/,
    ],
    [
      'a path overridden twice',
      {
        overrides: [
          {
            clusterName: 'c1',
            clusterOverrides: [
              { path: '/data/a', value: 1 },
              { path: '/data/a', value: 2 },
            ],
          },
        ],
      },
      'spec.overrides[0].clusterOverrides[1].path',
      /Duplicate value.*merge the two overrides into one/,
    ],
    [
      'a template of another kind',
      { template: { kind: 'Secret' } },
      'spec.template.kind',
      /a FederatedConfigMap holds a ConfigMap; set "ConfigMap" or omit kind/,
    ],
    [
      'a template apiVersion of another group',
      { template: { apiVersion: 'apps/v1' } },
      'spec.template.apiVersion',
      /holds a ConfigMap of API group ""; set e.g. "v1" or omit apiVersion/,
    ],
    [
      'a malformed template apiVersion',
      { template: { apiVersion: 'a/b/c' } },
      'spec.template.apiVersion',
      /must be <group>\/<version>/,
    ],
    ['a template that is not an object', { template: 'ConfigMap' }, 'spec.template', /must be an object/],
    [
      'template labels with a number value',
      { template: { metadata: { labels: { tier: 1 } } } },
      'spec.template.metadata.labels["tier"]',
      /Invalid value: 1: labels map keys to string values; quote the value/,
    ],
    [
      'template annotations that are a list',
      { template: { metadata: { annotations: ['a'] } } },
      'spec.template.metadata.annotations',
      /annotations map keys to string values/,
    ],
    [
      'template metadata that is a string',
      { template: { metadata: 'x' } },
      'spec.template.metadata',
      /must be an object/,
    ],
  ])('refuses %s', (_, spec, field, message) => {
    expect(validateFederatedObject(obj(spec), FCM).errors).toContainEqual({
      field,
      message: expect.stringMatching(message) as string,
    });
  });

  it('checks the template group of default kinds only in their default federated group', () => {
    const spec = { template: { apiVersion: 'extensions/v1beta1', kind: 'Deployment' } };
    expect(validateFederatedObject(obj(spec), FDEPLOY).errors).toEqual([
      {
        field: 'spec.template.apiVersion',
        message:
          'Invalid value: "extensions/v1beta1": a FederatedDeployment holds a Deployment of API group "apps"; set e.g. "apps/v1" or omit apiVersion',
      },
    ]);
    expect(
      validateFederatedObject(obj(spec), { group: 'other.example.io', kind: 'FederatedDeployment' }).errors,
    ).toEqual([]);
  });

  it('reports every problem of the object at once, in field order of the spec', () => {
    const { errors } = validateFederatedObject(
      obj({
        placement: { clusters: [{ name: 'c1' }, { name: 'c1' }] },
        overrides: [{ clusterName: 'c1', clusterOverrides: [{ path: '/metadata/name', value: 'x' }] }],
      }),
      FCM,
    );
    expect(errors.map((e) => e.field)).toEqual([
      'spec.placement.clusters[1].name',
      'spec.overrides[0].clusterOverrides[0].path',
    ]);
  });
});
