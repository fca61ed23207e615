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

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Why `v` is not a DNS-1123 subdomain (`example.com`, `cluster-2`), or undefined. */
export function subdomainProblem(v: string): string | undefined {
  if (v.length <= 253 && DNS1123_SUBDOMAIN.test(v)) return undefined;
  return `${JSON.stringify(v)} is not a DNS-1123 subdomain: use at most 253 lowercase letters, digits, "-" and ".", starting and ending with a letter or digit (e.g. example.com)`;
}

/** Why `v` is not a DNS-1123 label (`cluster-2`), or undefined. */
export function labelProblem(v: string): string | undefined {
  if (v.length <= 63 && DNS1123_LABEL.test(v)) return undefined;
  return `${JSON.stringify(v)} is not a DNS-1123 label: use at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit (e.g. cluster-2)`;
}

/** Why `v` is not a DNS-1035 label (`v1beta1`, `deployments`), or undefined. */
export function dns1035Problem(v: string): string | undefined {
  if (v.length <= 63 && DNS1035_LABEL.test(v)) return undefined;
  return `${JSON.stringify(v)} is not a DNS-1035 label: use at most 63 lowercase letters, digits and "-", starting with a letter and ending with a letter or digit (e.g. v1beta1)`;
}

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
