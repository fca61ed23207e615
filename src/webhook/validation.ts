/**
 * Field errors, the currency of every admission validator: `{field, message}` where `field` is the
 * API path (`spec.overrides[0].clusterOverrides[1].path`) and `message` says what is wrong and
 * what to write instead. Plus the name rules (DNS-1123, DNS-1035) the validators share.
 */

export interface FieldError {
  field: string;
  message: string;
}

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `spec.a[0].b["key with spaces"]: ` at the start of a message. */
const FIELD_PATH = /^([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*): /;

/**
 * Turns `field: message` strings, as the validators in src/api and src/federation return them,
 * into field errors (a string without `: ` becomes a message on `fallbackField`).
 */
export function fromMessages(messages: readonly string[], fallbackField = ''): FieldError[] {
  return messages.map((m) => {
    const path = FIELD_PATH.exec(m);
    return path
      ? { field: path[1]!, message: m.slice(path[0].length) }
      : { field: fallbackField, message: m };
  });
}

/** `field: message; field: message`, the denial text of an admission response. */
export function formatFieldErrors(errors: readonly FieldError[]): string {
  return errors.map((e) => (e.field ? `${e.field}: ${e.message}` : e.message)).join('; ');
}

// The name rules live beside the API types so the pure parsers in src/api can use them too.
export { dns1035Problem, labelProblem, subdomainProblem } from '../api/names.js';

/** Collects errors under a path prefix; keeps validators free of string plumbing. */
export class FieldErrors {
  readonly list: FieldError[] = [];
  add(field: string, message: string): void {
    this.list.push({ field, message });
  }
  /** `Required value: <hint>` on `field` when `v` is not a non-empty string; returns the string. */
  requiredString(field: string, v: unknown, hint: string): string | undefined {
    if (typeof v === 'string' && v !== '') return v;
    this.add(
      field,
      v === undefined || v === null || v === '' ? `Required value: ${hint}` : `must be a string: ${hint}`,
    );
    return undefined;
  }
  /** Requires `v` to be one of `values` (when present, or always with `required`). */
  oneOf(field: string, v: unknown, values: readonly string[], required: boolean): void {
    if (v === undefined && !required) return;
    if (typeof v === 'string' && values.includes(v)) return;
    const supported = values.map((s) => JSON.stringify(s)).join(', ');
    this.add(
      field,
      v === undefined || v === ''
        ? `Required value: set one of ${supported}`
        : `Unsupported value: ${JSON.stringify(v)}: supported values: ${supported}`,
    );
  }
}

/** Whether two JSON values are equal, whatever the order of object keys. */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (isRecord(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical(v[k])]),
    );
  return v;
}
