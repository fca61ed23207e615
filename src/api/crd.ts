/** CustomResourceDefinition manifests from {@link ResourceDefinition}s: structural, as apiextensions/v1 requires. */
import type { TSchema } from '@sinclair/typebox';
import type { ResourceDefinition } from './schema.js';

export type JsonSchema = Record<string, unknown>;

const KEEP = new Set([
  'type',
  'format',
  'description',
  'properties',
  'required',
  'items',
  'additionalProperties',
  'enum',
  'default',
  'minimum',
  'maximum',
  'pattern',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'nullable',
]);

/**
 * Rewrites a TypeBox schema into structural OpenAPI v3: records become `additionalProperties`,
 * keywords apiextensions does not accept are dropped, `x-kubernetes-*` extensions are kept.
 */
export function toStructural(schema: TSchema | JsonSchema): JsonSchema {
  const s = schema as JsonSchema;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'patternProperties') {
      const values = Object.values(v as Record<string, JsonSchema>);
      if (values.length !== 1) throw new Error('records must have exactly one value schema');
      out.additionalProperties = toStructural(values[0]!);
    } else if (k === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(v as Record<string, JsonSchema>).map(([p, ps]) => [p, toStructural(ps)]),
      );
    } else if (k === 'items' || (k === 'additionalProperties' && typeof v === 'object')) {
      out[k] = toStructural(v as JsonSchema);
    } else if (KEEP.has(k) || k.startsWith('x-kubernetes-')) {
      out[k] = v;
    }
  }
  if (Array.isArray(out.required) && out.required.length === 0) delete out.required;
  return out;
}

export function openApiSchema(def: ResourceDefinition): JsonSchema {
  return {
    type: 'object',
    description: def.description,
    properties: {
      apiVersion: {
        type: 'string',
        description: 'The versioned schema of this representation of an object.',
      },
      kind: { type: 'string', description: 'The REST resource this object represents.' },
      metadata: { type: 'object' },
      ...Object.fromEntries(Object.entries(def.fields).map(([k, v]) => [k, toStructural(v)])),
    },
    ...(def.required?.length ? { required: def.required } : {}),
  };
}

export function crdManifest(def: ResourceDefinition): JsonSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${def.plural}.${def.group}` },
    spec: {
      group: def.group,
      names: {
        kind: def.kind,
        listKind: def.listKind ?? `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        ...(def.shortNames?.length ? { shortNames: def.shortNames } : {}),
        ...(def.categories?.length ? { categories: def.categories } : {}),
      },
      scope: def.scope,
      versions: [
        {
          name: def.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: openApiSchema(def) },
          ...(def.statusSubresource ? { subresources: { status: {} } } : {}),
          ...(def.printerColumns?.length ? { additionalPrinterColumns: def.printerColumns } : {}),
        },
      ],
    },
  };
}
