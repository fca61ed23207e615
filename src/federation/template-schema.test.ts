/**
 * The fixtures under testdata/ are real API server output (Kubernetes v1.34, the local clusters):
 * `kubectl get --raw /openapi/v3/apis/apps/v1` (and `/openapi/v3/api/v1`,
 * `/openapi/v3/apis/apiextensions.k8s.io/v1`), trimmed to the component schemas reachable from
 * Deployment, ConfigMap and CustomResourceDefinition respectively.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  findKindSchema,
  hasIntegerReplicas,
  TemplateSchemaError,
  templateSchemaFromCrd,
  templateSchemaFromOpenApi,
  type JsonSchema,
  type OpenApiV3Document,
} from './template-schema.js';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8')) as OpenApiV3Document;
const appsV1 = fixture('openapi-v3-apis-apps-v1.deployment.json');
const coreV1 = fixture('openapi-v3-api-v1.configmap.json');
const apiextensionsV1 = fixture('openapi-v3-apis-apiextensions.k8s.io-v1.customresourcedefinition.json');

const deployment = templateSchemaFromOpenApi(appsV1, { group: 'apps', version: 'v1', kind: 'Deployment' });
const configMap = templateSchemaFromOpenApi(coreV1, { group: '', version: 'v1', kind: 'ConfigMap' });

/** Follows `properties` / `items` / `additionalProperties` along a dotted path (`[]` = items, `{}` = values). */
function at(schema: JsonSchema, path: string): JsonSchema {
  let s = schema;
  for (const step of path.split('.')) {
    const next =
      step === '[]'
        ? s.items
        : step === '{}'
          ? s.additionalProperties
          : (s.properties as Record<string, unknown> | undefined)?.[step];
    if (typeof next !== 'object' || next === null) throw new Error(`no ${step} in ${path}`);
    s = next as JsonSchema;
  }
  return s;
}

/** Every node of a schema with its path. */
function* nodes(s: JsonSchema, where = '$'): Generator<[string, JsonSchema]> {
  yield [where, s];
  for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, JsonSchema>))
    yield* nodes(v, `${where}.${k}`);
  if (s.items && typeof s.items === 'object') yield* nodes(s.items as JsonSchema, `${where}[]`);
  if (s.additionalProperties && typeof s.additionalProperties === 'object')
    yield* nodes(s.additionalProperties as JsonSchema, `${where}{}`);
}

/** The rules apiextensions applies to a structural schema (the parts a converter can get wrong). */
function expectStructural(schema: JsonSchema) {
  for (const [where, s] of nodes(schema)) {
    for (const k of [
      '$ref',
      'allOf',
      'oneOf',
      'anyOf',
      'x-kubernetes-patch-strategy',
      'x-kubernetes-unions',
    ]) {
      expect(Object.keys(s), where).not.toContain(k);
    }
    if (!s['x-kubernetes-preserve-unknown-fields'] && !s['x-kubernetes-int-or-string']) {
      expect(s.type, `${where} has a type`).toBeDefined();
    }
    if (s.type === 'array') expect(s.items, `${where} has items`).toBeDefined();
    if (s['x-kubernetes-list-type']) expect(s.type, `${where} list marker on an array`).toBe('array');
    if (s.properties) expect(s.additionalProperties, `${where} not both`).toBeUndefined();
    expect(s.format, where).not.toBe('int-or-string');
  }
}

describe('templateSchemaFromOpenApi (Deployment, apps/v1)', () => {
  it('is one structural schema: refs resolved, unions and patch markers gone', () => {
    expectStructural(deployment);
    expect(deployment.type).toBe('object');
  });

  it('drops status and keeps metadata a loose object', () => {
    expect(Object.keys(deployment.properties as object).sort()).toEqual([
      'apiVersion',
      'kind',
      'metadata',
      'spec',
    ]);
    expect(at(deployment, 'metadata')).toMatchObject({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    });
    expect(at(deployment, 'metadata').properties).toBeUndefined();
  });

  it('types the fields of the target: replicas is an int32, the strategy an enum', () => {
    expect(at(deployment, 'spec.replicas')).toEqual({ type: 'integer', format: 'int32' });
    expect(at(deployment, 'spec.strategy.type')).toEqual({
      type: 'string',
      enum: ['Recreate', 'RollingUpdate'],
    });
    expect(at(deployment, 'spec').required).toEqual(['selector', 'template']);
    expect(at(deployment, 'spec.template.spec.containers.[]').required).toEqual(['name']);
    expect(hasIntegerReplicas(deployment)).toBe(true);
  });

  it('turns IntOrString into x-kubernetes-int-or-string and Quantity into any value', () => {
    expect(at(deployment, 'spec.strategy.rollingUpdate.maxSurge')).toEqual({
      'x-kubernetes-int-or-string': true,
    });
    expect(at(deployment, 'spec.template.spec.containers.[].resources.limits.{}')).toEqual({
      'x-kubernetes-preserve-unknown-fields': true,
    });
  });

  it('keeps list and map markers, and defaults only on list-map keys that need one', () => {
    const ports = at(deployment, 'spec.template.spec.containers.[].ports');
    expect(ports['x-kubernetes-list-type']).toBe('map');
    expect(ports['x-kubernetes-list-map-keys']).toEqual(['containerPort', 'protocol']);
    expect(at(ports, '[].protocol')).toEqual({
      type: 'string',
      default: 'TCP',
      enum: ['SCTP', 'TCP', 'UDP'],
    });
    expect(at(ports, '[].containerPort')).toEqual({ type: 'integer', format: 'int32' });
    expect(at(deployment, 'spec.selector')['x-kubernetes-map-type']).toBe('atomic');
    const defaults = [...nodes(deployment)].filter(([, s]) => s.default !== undefined).map(([w]) => w);
    expect(
      defaults.every((w) => /\.(protocol|name)$/.test(w)),
      defaults.join(', '),
    ).toBe(true);
  });

  it('drops server-managed fields from embedded ObjectMeta (the pod template metadata)', () => {
    const meta = at(deployment, 'spec.template.metadata');
    expect(Object.keys(meta.properties as object).sort()).toEqual([
      'annotations',
      'finalizers',
      'generateName',
      'labels',
      'name',
      'namespace',
      'ownerReferences',
    ]);
    expect(at(meta, 'labels')).toEqual({ type: 'object', additionalProperties: { type: 'string' } });
  });

  it('keeps descriptions only when asked (they make the CRD several times larger)', () => {
    expect([...nodes(deployment)].filter(([, s]) => s.description).map(([w]) => w)).toEqual([
      '$',
      '$.metadata',
    ]);
    const described = templateSchemaFromOpenApi(
      appsV1,
      { group: 'apps', version: 'v1', kind: 'Deployment' },
      { descriptions: true },
    );
    expect(at(described, 'spec.replicas').description).toMatch(/Number of desired pods/);
    expect(JSON.stringify(described).length).toBeGreaterThan(4 * JSON.stringify(deployment).length);
  });

  it('stops expanding references beyond maxRefDepth with a loose object', () => {
    const shallow = templateSchemaFromOpenApi(
      appsV1,
      { group: 'apps', version: 'v1', kind: 'Deployment' },
      { maxRefDepth: 2 },
    );
    expect(at(shallow, 'spec.replicas')).toEqual({ type: 'integer', format: 'int32' });
    expect(at(shallow, 'spec.template')).toEqual({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    });
    expectStructural(shallow);
  });

  it('fails naming the kind when the document does not have it', () => {
    expect(() => templateSchemaFromOpenApi(appsV1, { group: 'apps', version: 'v1', kind: 'Nope' })).toThrow(
      new TemplateSchemaError('the OpenAPI v3 document of apps/v1 has no schema for kind Nope'),
    );
    expect(findKindSchema(appsV1, { group: 'apps', version: 'v1', kind: 'Deployment' })?.name).toBe(
      'io.k8s.api.apps.v1.Deployment',
    );
  });
});

describe('templateSchemaFromOpenApi (ConfigMap, core v1)', () => {
  it('types data and binaryData as string maps, without the zero-value defaults', () => {
    expectStructural(configMap);
    expect(Object.keys(configMap.properties as object).sort()).toEqual([
      'apiVersion',
      'binaryData',
      'data',
      'immutable',
      'kind',
      'metadata',
    ]);
    expect(at(configMap, 'data')).toEqual({ type: 'object', additionalProperties: { type: 'string' } });
    expect(at(configMap, 'binaryData.{}')).toEqual({ type: 'string', format: 'byte' });
    expect(hasIntegerReplicas(configMap)).toBe(false);
  });
});

describe('templateSchemaFromOpenApi (CustomResourceDefinition: recursive schemas)', () => {
  const crd = templateSchemaFromOpenApi(apiextensionsV1, {
    group: 'apiextensions.k8s.io',
    version: 'v1',
    kind: 'CustomResourceDefinition',
  });

  it('cuts a recursive reference (JSONSchemaProps in JSONSchemaProps) into a loose object', () => {
    expectStructural(crd);
    const props = at(crd, 'spec.versions.[].schema.openAPIV3Schema');
    expect(at(props, 'type')).toEqual({ type: 'string' });
    expect(at(props, 'properties.{}')).toEqual({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    });
    expect(at(props, 'items')).toEqual({ 'x-kubernetes-preserve-unknown-fields': true });
  });

  it('turns a schema without a type (apiextensions JSON) into any value', () => {
    expect(at(crd, 'spec.versions.[].schema.openAPIV3Schema.default')).toEqual({
      'x-kubernetes-preserve-unknown-fields': true,
    });
  });
});

describe('templateSchemaFromOpenApi (shapes the fixtures lack)', () => {
  const doc = (spec: JsonSchema): OpenApiV3Document => ({
    components: {
      schemas: {
        'x.Thing': {
          type: 'object',
          properties: { spec },
          'x-kubernetes-group-version-kind': [{ group: 'x.io', version: 'v1', kind: 'Thing' }],
        },
      },
    },
  });
  const specOf = (spec: JsonSchema) =>
    at(templateSchemaFromOpenApi(doc(spec), { group: 'x.io', version: 'v1', kind: 'Thing' }), 'spec');

  it('drops list markers from []byte fields, which built-ins mark atomic', () => {
    expect(specOf({ type: 'string', format: 'byte', 'x-kubernetes-list-type': 'atomic' })).toEqual({
      type: 'string',
      format: 'byte',
    });
  });

  it('gives an array without items any items, and an object without fields any fields', () => {
    expect(specOf({ type: 'array' })).toEqual({
      type: 'array',
      items: { 'x-kubernetes-preserve-unknown-fields': true },
    });
    expect(specOf({ type: 'object' })).toEqual({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    });
  });

  it('makes a list-map plain when a key has neither required nor a usable default', () => {
    expect(
      specOf({
        type: 'array',
        items: { type: 'object', properties: { k: { type: 'string', default: '', enum: ['a'] } } },
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['k'],
      }),
    ).toEqual({
      type: 'array',
      items: { type: 'object', properties: { k: { type: 'string', enum: ['a'] } } },
    });
  });
});

describe('templateSchemaFromCrd', () => {
  const crdSchema: JsonSchema = {
    type: 'object',
    description: 'A MyType.',
    'x-kubernetes-validations': [{ rule: 'self.metadata.name.size() < 20' }],
    required: ['spec'],
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object', properties: { name: { type: 'string', maxLength: 20 } } },
      spec: {
        type: 'object',
        'x-kubernetes-validations': [{ rule: 'self.min <= self.max' }],
        properties: {
          min: { type: 'integer', default: 1 },
          max: { type: 'integer', minimum: 0, exclusiveMinimum: true },
          port: { anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true },
          properties: { type: 'string', description: 'A field named like a keyword.' },
          entries: {
            type: 'array',
            'x-kubernetes-list-type': 'map',
            'x-kubernetes-list-map-keys': ['key'],
            items: { type: 'object', properties: { key: { type: 'string', default: 'k' } } },
          },
        },
      },
      status: { type: 'object', properties: { ready: { type: 'boolean' } } },
    },
  };
  const template = templateSchemaFromCrd(crdSchema, 'MyType');

  it('keeps the CRD schema, without status, root rules and defaults; metadata loose', () => {
    expect(template).toEqual({
      type: 'object',
      description: 'The MyType to create in each placed cluster.',
      required: ['spec'],
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        metadata: {
          type: 'object',
          description:
            'Labels and annotations of the object; name and namespace are those of the federated object.',
          'x-kubernetes-preserve-unknown-fields': true,
        },
        spec: {
          type: 'object',
          'x-kubernetes-validations': [{ rule: 'self.min <= self.max' }],
          properties: {
            min: { type: 'integer' },
            max: { type: 'integer', minimum: 0, exclusiveMinimum: true },
            port: { anyOf: [{ type: 'integer' }, { type: 'string' }], 'x-kubernetes-int-or-string': true },
            properties: { type: 'string' },
            entries: {
              type: 'array',
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-list-map-keys': ['key'],
              items: { type: 'object', properties: { key: { type: 'string', default: 'k' } } },
            },
          },
        },
      },
    });
    expect(hasIntegerReplicas(template)).toBe(false);
  });

  it('detects an integer spec.replicas (scalable CRDs get retainReplicas)', () => {
    const scalable = templateSchemaFromCrd(
      {
        type: 'object',
        properties: { spec: { type: 'object', properties: { replicas: { type: 'integer' } } } },
      },
      'Scalable',
    );
    expect(hasIntegerReplicas(scalable)).toBe(true);
  });
});
