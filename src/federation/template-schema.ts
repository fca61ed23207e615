/**
 * The schema of `spec.template` of a Federated<Kind>, derived from the target type's own schema so
 * the host API server validates a template as the member API servers would validate the object.
 *
 * Built-in (and aggregated) types: the kind's schema from the API server's OpenAPI v3 document of
 * its group-version, with `$ref`s resolved into one structural schema. CRDs: the CRD's own
 * `openAPIV3Schema`, already structural. Either way the template drops `status` and `default`s
 * (the template holds what the user wrote; members apply their defaults), keeps the
 * `x-kubernetes-*` markers a CRD may carry, and keeps `metadata` a loose object. What structural
 * schemas cannot express becomes `x-kubernetes-preserve-unknown-fields` (any value).
 *
 * Pure: documents in, schema out.
 */

export type JsonSchema = Record<string, unknown>;

/** An OpenAPI v3 document as served at `/openapi/v3/apis/<group>/<version>` (only what we read). */
export interface OpenApiV3Document {
  components?: { schemas?: Record<string, JsonSchema> };
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface TemplateSchemaOptions {
  /**
   * How many `$ref`s deep a schema is expanded; deeper (and any recursive reference) becomes a
   * preserve-unknown object. Default 16: the deepest built-in chain (Deployment → PodSpec → …) is 9.
   */
  maxRefDepth?: number;
  /** Keep descriptions below the template's top level (default false: they make the CRD large). */
  descriptions?: boolean;
}

/** Thrown when a document does not describe the kind asked for. */
export class TemplateSchemaError extends Error {
  override name = 'TemplateSchemaError';
}

const REF_PREFIX = '#/components/schemas/';
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

/** ObjectMeta fields the API server owns: never part of what a user writes. */
const SERVER_MANAGED_METADATA = new Set([
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
]);

/**
 * Keywords copied as they are from built-in schemas (all valid in a structural schema); `default`s
 * are dropped afterwards except where a CRD needs them (see {@link withoutDefaults}).
 */
const VALUE_KEYWORDS = [
  'default',
  'format',
  'enum',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'nullable',
] as const;

/** The `x-kubernetes-*` extensions apiextensions accepts in a CRD schema (others, e.g. patch strategies, are dropped). */
const CRD_EXTENSIONS = [
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-validations',
] as const;

/** A loose object: any fields, kept as written. */
export function looseObject(description?: string): JsonSchema {
  return {
    type: 'object',
    ...(description ? { description } : {}),
    'x-kubernetes-preserve-unknown-fields': true,
  };
}

function anyValue(description?: string): JsonSchema {
  return { ...(description ? { description } : {}), 'x-kubernetes-preserve-unknown-fields': true };
}

const isObject = (v: unknown): v is JsonSchema => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The name of the component schema a node refers to (`$ref`, or the `allOf: [{$ref}]` wrapper). */
function refOf(node: JsonSchema): string | undefined {
  const direct = node.$ref;
  if (typeof direct === 'string') return direct;
  const allOf = node.allOf;
  if (Array.isArray(allOf) && allOf.length === 1 && isObject(allOf[0]) && typeof allOf[0].$ref === 'string') {
    return allOf[0].$ref;
  }
  return undefined;
}

/** Finds the component schema of a kind (by its `x-kubernetes-group-version-kind`). */
export function findKindSchema(
  doc: OpenApiV3Document,
  gvk: GroupVersionKind,
): { name: string; schema: JsonSchema } | undefined {
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
    const gvks = schema['x-kubernetes-group-version-kind'];
    if (!Array.isArray(gvks)) continue;
    const hit = gvks.some(
      (g) => isObject(g) && (g.group ?? '') === gvk.group && g.version === gvk.version && g.kind === gvk.kind,
    );
    if (hit) return { name, schema };
  }
  return undefined;
}

/** Converts OpenAPI v3 (with `$ref`, `allOf`, `oneOf`) into a structural schema. */
class OpenApiConverter {
  constructor(
    private readonly schemas: Record<string, JsonSchema>,
    private readonly maxRefDepth: number,
  ) {}

  private description(node: JsonSchema): string | undefined {
    return typeof node.description === 'string' ? node.description : undefined;
  }

  /** `stack`: the component names being expanded, outermost first (recursion guard). */
  convert(node: JsonSchema, stack: readonly string[]): JsonSchema {
    const ref = refOf(node);
    if (ref !== undefined) return this.convertRef(node, ref, stack);
    if (node.allOf !== undefined || node.not !== undefined) return anyValue(this.description(node));
    const alternatives = node.oneOf ?? node.anyOf;
    if (Array.isArray(alternatives) || node.format === 'int-or-string') {
      return this.convertUnion(node, Array.isArray(alternatives) ? alternatives : []);
    }
    const out: JsonSchema = {};
    const description = this.description(node);
    if (description) out.description = description;
    const type = node.type;
    if (
      type === 'object' ||
      (type === undefined && (isObject(node.properties) || isObject(node.additionalProperties)))
    ) {
      this.convertObject(node, out, stack);
    } else if (type === 'array') {
      out.type = 'array';
      out.items = isObject(node.items) ? this.convert(node.items, stack) : anyValue();
    } else if (typeof type === 'string') {
      out.type = type;
    } else if (node['x-kubernetes-int-or-string'] !== true) {
      // No type: any JSON value (e.g. apiextensions JSON).
      out['x-kubernetes-preserve-unknown-fields'] = true;
    }
    for (const k of VALUE_KEYWORDS) {
      if (node[k] !== undefined && !(k === 'format' && node[k] === 'int-or-string')) out[k] = node[k];
    }
    copyExtensions(node, out);
    return out;
  }

  private convertObject(node: JsonSchema, out: JsonSchema, stack: readonly string[]): void {
    out.type = 'object';
    const props = isObject(node.properties) ? node.properties : undefined;
    if (props && Object.keys(props).length > 0) {
      out.properties = Object.fromEntries(
        Object.entries(props).map(([name, p]) => [name, this.convert(isObject(p) ? p : {}, stack)]),
      );
      if (Array.isArray(node.required) && node.required.length > 0)
        out.required = [...(node.required as unknown[])];
      // A structural schema cannot have both; unknown fields are kept rather than refused.
      if (node.additionalProperties !== undefined && node.additionalProperties !== false) {
        out['x-kubernetes-preserve-unknown-fields'] = true;
      }
    } else if (isObject(node.additionalProperties)) {
      out.additionalProperties = this.convert(node.additionalProperties, stack);
    } else {
      // `type: object` with no fields (RawExtension, FieldsV1): an object of any shape.
      out['x-kubernetes-preserve-unknown-fields'] = true;
    }
  }

  /** `oneOf`/`anyOf`: int-or-string when the alternatives are integer and string, else any value. */
  private convertUnion(node: JsonSchema, alternatives: unknown[]): JsonSchema {
    const types = new Set(
      alternatives.map((a) => {
        if (!isObject(a)) return undefined;
        const ref = refOf(a);
        const target = ref !== undefined ? this.schemas[ref.slice(REF_PREFIX.length)] : a;
        return target?.type;
      }),
    );
    const description = this.description(node);
    const intOrString =
      node.format === 'int-or-string' || (types.size === 2 && types.has('integer') && types.has('string'));
    if (intOrString) {
      return { ...(description ? { description } : {}), 'x-kubernetes-int-or-string': true };
    }
    return anyValue(description);
  }

  private convertRef(node: JsonSchema, ref: string, stack: readonly string[]): JsonSchema {
    const name = ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref;
    const target = this.schemas[name];
    const description = this.description(node) ?? (target ? this.description(target) : undefined);
    if (!target) return anyValue(description);
    if (stack.includes(name) || stack.length >= this.maxRefDepth) {
      return target.type === 'object' || isObject(target.properties)
        ? looseObject(description)
        : anyValue(description);
    }
    let out = this.convert(target, [...stack, name]);
    if (name === OBJECT_META) out = withoutServerManagedFields(out);
    // Markers written beside the `allOf` wrapper (e.g. a list type on the referring property).
    copyExtensions(node, out);
    if (description) out = { description, ...withoutKey(out, 'description') };
    return out;
  }
}

/**
 * Copies the CRD-valid extensions, each only where apiextensions allows it: built-in schemas also
 * mark `[]byte` fields (type string) as atomic lists.
 */
function copyExtensions(from: JsonSchema, to: JsonSchema): void {
  for (const k of CRD_EXTENSIONS) {
    if (from[k] === undefined) continue;
    if ((k === 'x-kubernetes-list-type' || k === 'x-kubernetes-list-map-keys') && to.type !== 'array')
      continue;
    if (k === 'x-kubernetes-map-type' && to.type !== 'object') continue;
    to[k] = from[k];
  }
}

function withoutKey(s: JsonSchema, key: string): JsonSchema {
  const { [key]: _, ...rest } = s;
  return rest;
}

function withoutServerManagedFields(meta: JsonSchema): JsonSchema {
  if (!isObject(meta.properties)) return meta;
  return {
    ...meta,
    properties: Object.fromEntries(
      Object.entries(meta.properties).filter(([k]) => !SERVER_MANAGED_METADATA.has(k)),
    ),
  };
}

/**
 * The template schema of a kind from its group-version's OpenAPI v3 document. Throws
 * {@link TemplateSchemaError} when the document has no schema for the kind.
 */
export function templateSchemaFromOpenApi(
  doc: OpenApiV3Document,
  gvk: GroupVersionKind,
  options: TemplateSchemaOptions = {},
): JsonSchema {
  const found = findKindSchema(doc, gvk);
  if (!found) {
    const gv = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
    throw new TemplateSchemaError(`the OpenAPI v3 document of ${gv} has no schema for kind ${gvk.kind}`);
  }
  const converter = new OpenApiConverter(doc.components?.schemas ?? {}, options.maxRefDepth ?? 16);
  const converted = converter.convert(found.schema, [found.name]);
  return toTemplate(withoutDefaults(converted, options.descriptions ?? false), gvk.kind);
}

/**
 * The template schema of a CRD's kind from the `openAPIV3Schema` of the served version. The CRD
 * schema is structural already; rules on the root (`x-kubernetes-validations`) are dropped because
 * they may refer to `metadata` or `status`, which the template does not carry typed.
 */
export function templateSchemaFromCrd(
  openAPIV3Schema: JsonSchema,
  kind: string,
  options: TemplateSchemaOptions = {},
): JsonSchema {
  const root = withoutDefaults(openAPIV3Schema, options.descriptions ?? false);
  return toTemplate(withoutKey(root, 'x-kubernetes-validations'), kind);
}

/**
 * Deep copy without `default`s, and without descriptions unless asked. A default stays where a
 * CRD needs it: on a key of a `x-kubernetes-list-type: map` list that is not required (e.g. a
 * container port's `protocol`); a map list whose keys still lack one becomes a plain list.
 */
function withoutDefaults(node: JsonSchema, descriptions: boolean, keepDefault = false): JsonSchema {
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(node)) {
    if ((k === 'default' && !keepDefault) || (k === 'description' && !descriptions)) continue;
    if ((k === 'properties' || k === 'definitions') && isObject(v)) {
      out[k] = Object.fromEntries(
        Object.entries(v).map(([name, p]) => [name, isObject(p) ? withoutDefaults(p, descriptions) : p]),
      );
    } else if (k === 'items' && isObject(v)) {
      out[k] = listItems(node, v, descriptions);
    } else if ((k === 'additionalProperties' || k === 'not') && isObject(v)) {
      out[k] = withoutDefaults(v, descriptions);
    } else if ((k === 'allOf' || k === 'anyOf' || k === 'oneOf') && Array.isArray(v)) {
      out[k] = (v as unknown[]).map((x) => (isObject(x) ? withoutDefaults(x, descriptions) : x));
    } else {
      out[k] = v;
    }
  }
  if (out['x-kubernetes-list-type'] === 'map' && isObject(out.items) && !mapKeysPresent(out)) {
    delete out['x-kubernetes-list-type'];
    delete out['x-kubernetes-list-map-keys'];
  }
  return out;
}

const mapKeysOf = (list: JsonSchema): string[] =>
  list['x-kubernetes-list-type'] === 'map' && Array.isArray(list['x-kubernetes-list-map-keys'])
    ? (list['x-kubernetes-list-map-keys'] as unknown[]).filter((k): k is string => typeof k === 'string')
    : [];

function listItems(list: JsonSchema, items: JsonSchema, descriptions: boolean): JsonSchema {
  const keys = mapKeysOf(list);
  const stripped = withoutDefaults(items, descriptions);
  if (keys.length === 0 || !isObject(items.properties) || !isObject(stripped.properties)) return stripped;
  const required = Array.isArray(items.required) ? items.required : [];
  const properties = { ...stripped.properties };
  for (const key of keys) {
    const original = items.properties[key];
    // Built-in schemas also list Go zero values as defaults ("" outside an enum): not usable.
    const usable =
      isObject(original) &&
      original.default !== undefined &&
      (!Array.isArray(original.enum) || original.enum.includes(original.default));
    if (usable && !required.includes(key)) properties[key] = withoutDefaults(original, descriptions, true);
  }
  return { ...stripped, properties };
}

/** Every list-map key is required or defaulted, as apiextensions demands. */
function mapKeysPresent(list: JsonSchema): boolean {
  const items = list.items as JsonSchema;
  const required = Array.isArray(items.required) ? items.required : [];
  const props = isObject(items.properties) ? items.properties : {};
  return mapKeysOf(list).every((k) => {
    const key = props[k];
    return required.includes(k) || (isObject(key) && key.default !== undefined);
  });
}

/** The kind's schema as a template: no `status`, `metadata` loose, a description naming the kind. */
function toTemplate(kindSchema: JsonSchema, kind: string): JsonSchema {
  const properties = isObject(kindSchema.properties) ? { ...kindSchema.properties } : {};
  delete properties.status;
  properties.metadata = looseObject(
    'Labels and annotations of the object; name and namespace are those of the federated object.',
  );
  const required = Array.isArray(kindSchema.required)
    ? kindSchema.required.filter((r) => r !== 'status' && r !== 'metadata')
    : [];
  const rest = withoutKey(withoutKey(withoutKey(kindSchema, 'properties'), 'required'), 'description');
  return {
    type: 'object',
    description: `The ${kind} to create in each placed cluster.`,
    ...withoutKey(rest, 'type'),
    properties,
    ...(required.length > 0 ? { required } : {}),
  };
}

/** Whether the template's `spec.replicas` is an integer: the federated type then gets `spec.retainReplicas`. */
export function hasIntegerReplicas(template: JsonSchema): boolean {
  const spec = isObject(template.properties) ? template.properties.spec : undefined;
  const replicas = isObject(spec) && isObject(spec.properties) ? spec.properties.replicas : undefined;
  return isObject(replicas) && replicas.type === 'integer';
}
