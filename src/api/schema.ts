/**
 * Building blocks for the API schemas. Every schema is a TypeBox value: it is the JSON Schema the
 * CRDs embed (structural, as apiextensions requires) and, through `Static`, the TypeScript type.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** A string restricted to `values`: a structural `enum`, typed as the union of the values. */
export function StringEnum<const T extends readonly string[]>(
  values: T,
  options: { description?: string; default?: T[number] } = {},
) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

/** A Go-style duration such as `10s`, `1m30s` or `500ms`. */
export const Duration = (description: string) =>
  Type.String({ description, pattern: '^([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$' });

/** An object whose fields the API server keeps as given (e.g. a federated template). */
export const Unstructured = (description: string) =>
  Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    description,
    'x-kubernetes-preserve-unknown-fields': true,
  });

/** Any JSON value (override values). */
export const AnyValue = (description: string) =>
  Type.Unsafe<unknown>({ description, 'x-kubernetes-preserve-unknown-fields': true });

export const Int32 = (description: string, extra: object = {}) =>
  Type.Integer({ format: 'int32', description, ...extra });
export const Int64 = (description: string, extra: object = {}) =>
  Type.Integer({ format: 'int64', description, ...extra });
export const Timestamp = (description: string) => Type.String({ format: 'date-time', description });

export const LabelSelectorRequirement = Type.Object({
  key: Type.String({ description: 'The label key the selector applies to.' }),
  operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist'] as const, {
    description: 'How the key relates to the values.',
  }),
  values: Type.Optional(
    Type.Array(Type.String(), { description: 'Values for In and NotIn; empty for Exists and DoesNotExist.' }),
  ),
});

export const LabelSelector = Type.Object(
  {
    matchLabels: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: 'Labels that must all match exactly.' }),
    ),
    matchExpressions: Type.Optional(
      Type.Array(LabelSelectorRequirement, { description: 'Requirements that must all hold.' }),
    ),
  },
  { description: 'A label selector, as in Kubernetes. An empty selector matches everything.' },
);
export type LabelSelector = Static<typeof LabelSelector>;

export const LocalObjectReference = (description: string) =>
  Type.Object({ name: Type.String({ description: 'Name of the referent.' }) }, { description });

/** What a CRD declares for one kind: the single place groups, names, scope and columns come from. */
export interface ResourceDefinition {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
  scope: 'Namespaced' | 'Cluster';
  description: string;
  /** The top-level fields besides apiVersion/kind/metadata (spec, status, or others). */
  fields: Record<string, TSchema>;
  required?: string[];
  statusSubresource: boolean;
  printerColumns?: {
    name: string;
    type: 'string' | 'integer' | 'date' | 'boolean' | 'number';
    jsonPath: string;
    description?: string;
    priority?: number;
  }[];
}

export const AGE_COLUMN = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' } as const;
