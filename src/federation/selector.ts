/**
 * Label selectors as a value type: `parseLabelSelector` turns the API shape (`matchLabels` +
 * `matchExpressions`) into a validated list of requirements, or into field errors that name the
 * offending path; `matches` evaluates a parsed selector against a label set.
 *
 * Semantics are Kubernetes' (`metav1.LabelSelectorAsSelector`): all requirements must hold; an
 * empty selector (`{}`) matches everything; `In` needs the key present with one of the values;
 * `NotIn` holds when the key is absent or its value is not listed; `Exists` / `DoesNotExist` test
 * presence only. Validation follows apimachinery: keys are qualified names (optional DNS-1123
 * subdomain prefix + `/` + name of at most 63 characters), values are label values (at most 63
 * characters, alphanumeric at both ends, `-_.` inside, or empty); `In`/`NotIn` need at least one
 * value and `Exists`/`DoesNotExist` none.
 */
import type { LabelSelector } from '../api/schema.js';

export const SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
export type SelectorOperator = (typeof SELECTOR_OPERATORS)[number];

export interface Requirement {
  readonly key: string;
  readonly operator: SelectorOperator;
  /** Sorted and deduplicated; empty for Exists and DoesNotExist. */
  readonly values: readonly string[];
}

/** A validated selector: the conjunction of its requirements (none: matches everything). */
export interface Selector {
  readonly requirements: readonly Requirement[];
}

export type SelectorParse = { kind: 'ok'; selector: Selector } | { kind: 'invalid'; errors: string[] };

/** The selector that matches every label set (`{}`). */
export const EVERYTHING: Selector = { requirements: [] };

const NAME_MAX = 63;
const SUBDOMAIN_MAX = 253;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a valid label key, or undefined when it is. */
export function labelKeyError(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    if (prefix.length === 0) return `invalid label key ${JSON.stringify(key)}: prefix part must be non-empty`;
    if (prefix.length > SUBDOMAIN_MAX || !DNS1123_SUBDOMAIN.test(prefix)) {
      return `invalid label key ${JSON.stringify(key)}: prefix part must be a lowercase DNS-1123 subdomain (e.g. example.com)`;
    }
  }
  if (name.length === 0) return `invalid label key ${JSON.stringify(key)}: name part must be non-empty`;
  if (name.length > NAME_MAX) {
    return `invalid label key ${JSON.stringify(key)}: name part must be no more than ${NAME_MAX} characters`;
  }
  if (!QUALIFIED_NAME.test(name)) {
    return `invalid label key ${JSON.stringify(key)}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined when it is. */
export function labelValueError(value: string): string | undefined {
  if (value.length > NAME_MAX) {
    return `invalid label value ${JSON.stringify(value)}: must be no more than ${NAME_MAX} characters`;
  }
  if (!LABEL_VALUE.test(value)) {
    return `invalid label value ${JSON.stringify(value)}: must be empty or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`;
  }
  return undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates `sel` and returns its requirements (matchLabels first, in key order, then
 * matchExpressions in order). `path` prefixes every error, e.g. `spec.placement.clusterSelector`.
 */
export function parseLabelSelector(sel: LabelSelector | undefined, path = 'selector'): SelectorParse {
  if (sel === undefined) return { kind: 'ok', selector: EVERYTHING };
  const errors: string[] = [];
  const requirements: Requirement[] = [];
  if (!isRecord(sel)) return { kind: 'invalid', errors: [`${path}: must be an object`] };

  const matchLabels: unknown = sel.matchLabels;
  if (matchLabels !== undefined && matchLabels !== null) {
    if (!isRecord(matchLabels)) {
      errors.push(`${path}.matchLabels: must be a map of label keys to values`);
    } else {
      for (const key of Object.keys(matchLabels).sort()) {
        const value = matchLabels[key];
        const at = `${path}.matchLabels[${JSON.stringify(key)}]`;
        const keyError = labelKeyError(key);
        if (keyError) errors.push(`${at}: ${keyError}`);
        if (typeof value !== 'string') {
          errors.push(`${at}: must be a string`);
          continue;
        }
        const valueError = labelValueError(value);
        if (valueError) errors.push(`${at}: ${valueError}`);
        if (!keyError && !valueError) requirements.push({ key, operator: 'In', values: [value] });
      }
    }
  }

  const expressions: unknown = sel.matchExpressions;
  if (expressions !== undefined && expressions !== null) {
    if (!Array.isArray(expressions)) {
      errors.push(`${path}.matchExpressions: must be a list`);
    } else {
      expressions.forEach((expr: unknown, i) => {
        const at = `${path}.matchExpressions[${i}]`;
        const parsed = parseRequirement(expr, at);
        if (Array.isArray(parsed)) errors.push(...parsed);
        else requirements.push(parsed);
      });
    }
  }
  return errors.length > 0 ? { kind: 'invalid', errors } : { kind: 'ok', selector: { requirements } };
}

function parseRequirement(expr: unknown, at: string): Requirement | string[] {
  if (!isRecord(expr)) return [`${at}: must be an object with key, operator and values`];
  const errors: string[] = [];
  const { key, operator, values } = expr;
  if (typeof key !== 'string' || key === '') {
    errors.push(`${at}.key: Required value`);
  } else {
    const keyError = labelKeyError(key);
    if (keyError) errors.push(`${at}.key: ${keyError}`);
  }
  if (typeof operator !== 'string' || !(SELECTOR_OPERATORS as readonly string[]).includes(operator)) {
    errors.push(
      `${at}.operator: Unsupported value: ${JSON.stringify(operator ?? null)}: supported values: ${SELECTOR_OPERATORS.map((o) => `"${o}"`).join(', ')}`,
    );
    return errors;
  }
  const op = operator as SelectorOperator;
  let list: string[] = [];
  if (values !== undefined && values !== null) {
    if (!Array.isArray(values)) {
      errors.push(`${at}.values: must be a list of strings`);
    } else {
      values.forEach((v: unknown, j) => {
        if (typeof v !== 'string') {
          errors.push(`${at}.values[${j}]: must be a string`);
          return;
        }
        const valueError = labelValueError(v);
        if (valueError) errors.push(`${at}.values[${j}]: ${valueError}`);
        list.push(v);
      });
    }
  }
  const valueCount = Array.isArray(values) ? values.length : 0;
  const listOrAbsent = values === undefined || values === null || Array.isArray(values);
  if ((op === 'In' || op === 'NotIn') && valueCount === 0 && listOrAbsent) {
    errors.push(`${at}.values: Required value: must be non-empty when operator is ${op}`);
  }
  if ((op === 'Exists' || op === 'DoesNotExist') && list.length > 0) {
    errors.push(`${at}.values: Forbidden: must be empty when operator is ${op}`);
  }
  if (errors.length > 0) return errors;
  list = [...new Set(list)].sort();
  return { key: key as string, operator: op, values: list };
}

/** Whether `labels` satisfy every requirement of `selector`. */
export function matches(selector: Selector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const has = (k: string) => labels !== undefined && Object.hasOwn(labels, k);
  return selector.requirements.every((r) => {
    switch (r.operator) {
      case 'In':
        return has(r.key) && r.values.includes(labels![r.key]!);
      case 'NotIn':
        return !has(r.key) || !r.values.includes(labels![r.key]!);
      case 'Exists':
        return has(r.key);
      case 'DoesNotExist':
        return !has(r.key);
    }
  });
}

/** The selector in kubectl's string syntax (`a=b,c in (d,e),!f`), for messages and list calls. */
export function formatSelector(selector: Selector): string {
  return selector.requirements
    .map((r) => {
      switch (r.operator) {
        case 'In':
          return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
        case 'NotIn':
          return `${r.key} notin (${r.values.join(',')})`;
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
      }
    })
    .join(',');
}
