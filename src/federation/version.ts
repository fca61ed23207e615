/**
 * Versions the sync controller records in (Cluster)PropagatedVersion objects, byte-compatible with
 * upstream KubeFed v0.10 so a control plane taking over from upstream sees no change:
 *
 * - `templateVersion` = hex MD5 of what Go's `json.NewEncoder(w).Encode(template)` writes for the
 *   `spec.template` map: keys sorted (by bytes) at every level, compact, `<` `>` `&` U+2028 U+2029
 *   escaped as `\u003c` `\u003e` `\u0026` `\u2028` `\u2029`, control characters as `\n` `\r` `\t`
 *   or `\u00XX` (Go before 1.22, which upstream was built with, also writes `\u0008` and `\u000c`),
 *   numbers as Go writes float64 (shortest round-trip, exponent form below 1e-6 and from 1e21:
 *   `1e-7`, `1e+21`), and a trailing newline. `""` when there is no template.
 * - `overridesVersion` = the same hash of `{"overrides": X}` where X is `spec.overrides` re-encoded
 *   through upstream's structs: item `{"clusterName","clusterOverrides"}` (the latter omitted when
 *   empty), override `{"op","path","value"}` (op omitted when empty, value when null or absent).
 *   X is `null` when `spec.overrides` is absent and `[]` when it is an empty list (Go's nil versus
 *   empty slice).
 * - a member object's version: `gen:<generation>` when its generation is non-zero, else
 *   `rv:<resourceVersion>`.
 *
 * Known, accepted divergence: JavaScript numbers are float64, so integers beyond 2^53 (which Go
 * keeps exactly as int64) are already rounded when parsed, and -0 is written as `0`.
 */
import { hash } from 'node:crypto';
import type { PropagatedVersionStatus } from '../api/core.js';
import type { Static } from '@sinclair/typebox';
import type { FederatedObject, Overrides } from '../api/types.js';
import type { KubeObject } from '../kube/resource.js';

export type PropagatedVersion = Static<typeof PropagatedVersionStatus>;

/** Go's `json.Encoder` output for `value` (HTML-escaping on), including the trailing newline. */
export function encodeGoJson(value: unknown): string {
  try {
    return `${encode(value)}\n`;
  } catch (err) {
    // Hot (every pass hashes its template): paths are only worked out for the error message.
    if (err instanceof TypeError) throw new TypeError(`${unencodableAt(value, '') || '/'}: ${err.message}`);
    throw err;
  }
}

function encode(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return goFloat(value);
    case 'string':
      return goString(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) out += (i > 0 ? ',' : '') + encode(value[i]);
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort(compareCodePoints);
      let out = '{';
      for (let i = 0; i < keys.length; i++)
        out += `${i > 0 ? ',' : ''}${goString(keys[i]!)}:${encode(record[keys[i]!])}`;
      return `${out}}`;
    }
    default:
      throw new TypeError(`a ${typeof value} cannot be encoded as JSON`);
  }
}

/** The pointer of the first value {@link encode} refuses. */
function unencodableAt(value: unknown, at: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  switch (typeof value) {
    case 'boolean':
    case 'string':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : at;
    case 'object':
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const found = unencodableAt(v, `${at}/${k}`);
        if (found !== undefined) return found;
      }
      return undefined;
    default:
      return at;
  }
}

/**
 * Go sorts map keys as byte strings, i.e. by UTF-8 — the same order as by code point. UTF-16
 * code units order the same way except surrogates (U+10000 and above), which must sort after
 * U+E000–U+FFFF: shifted so, the code units compare in code point order.
 */
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x += x >= 0xe000 ? -0x800 : 0x2000;
    if (y >= 0xd800) y += y >= 0xe000 ? -0x800 : 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

/**
 * Go's float64 encoding: `strconv.FormatFloat(f, 'f', -1, 64)` in [1e-6, 1e21), else the 'e' form
 * with a two-digit minimum exponent trimmed to one (`1e-07` ⇒ `1e-7`). JavaScript's
 * Number#toString switches to exponent form at exactly the same bounds and also prints the
 * shortest round-trip digits, so only the exponent sign and -0 need care.
 */
function goFloat(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError(`${n} is not a JSON number`);
  if (n === 0) return '0';
  return String(n); // e.g. 1e+21, 1e-7, 1.5e-10, 0.000001, 100000000000000000000
}

const HEX = '0123456789abcdef';

/** Characters {@link goString} writes other than as themselves. */
// eslint-disable-next-line no-control-regex -- the control characters are what Go escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;

/** Go's encodeState.string with escapeHTML: true (Go ≤ 1.21 escapes \b and \f as \u00XX). */
function goString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += s[i]! + s[i + 1]!;
        i++;
      } else {
        out += '\ufffd'; // a lone surrogate: Go's decoder would have produced U+FFFD
      }
      continue;
    }
    if (c >= 0xdc00 && c <= 0xdfff) {
      out += '\ufffd';
      continue;
    }
    switch (c) {
      case 0x22:
        out += '\\"';
        continue;
      case 0x5c:
        out += '\\\\';
        continue;
      case 0x0a:
        out += '\\n';
        continue;
      case 0x0d:
        out += '\\r';
        continue;
      case 0x09:
        out += '\\t';
        continue;
    }
    if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
      out += `\\u${HEX[(c >> 12) & 15]}${HEX[(c >> 8) & 15]}${HEX[(c >> 4) & 15]}${HEX[c & 15]}`;
      continue;
    }
    out += s[i];
  }
  return `${out}"`;
}

export function md5Hex(text: string): string {
  return hash('md5', text, 'hex');
}

/** The templateVersion of a federated object's `spec.template`; `""` when there is none. */
export function templateVersion(template: Record<string, unknown> | undefined | null): string {
  if (template === undefined || template === null) return '';
  return md5Hex(encodeGoJson(template));
}

/** `spec.overrides` as upstream's Go structs re-encode it (see the module comment). */
function upstreamOverridesShape(overrides: Overrides | undefined | null): unknown {
  if (overrides === undefined || overrides === null) return null;
  return overrides.map((item) => {
    // Struct field order, not sorted: encode as an ordered list of pairs.
    const fields: [string, unknown][] = [['clusterName', item.clusterName ?? '']];
    const list = item.clusterOverrides ?? [];
    if (list.length > 0) {
      fields.push([
        'clusterOverrides',
        list.map((o) => {
          const f: [string, unknown][] = [];
          if (o.op !== undefined && o.op !== null && (o.op as string) !== '') f.push(['op', o.op]);
          f.push(['path', o.path ?? '']);
          if (o.value !== undefined && o.value !== null) f.push(['value', o.value]);
          return new OrderedFields(f);
        }),
      ]);
    }
    return new OrderedFields(fields);
  });
}

/** A Go struct value: fields in declaration order (maps inside are still sorted). */
class OrderedFields {
  constructor(readonly fields: [string, unknown][]) {}
}

function encodeWithStructs(value: unknown): string {
  if (value instanceof OrderedFields) {
    return `{${value.fields.map(([k, v]) => `${goString(k)}:${encodeWithStructs(v)}`).join(',')}}`;
  }
  if (Array.isArray(value)) return `[${value.map(encodeWithStructs).join(',')}]`;
  return encode(value);
}

/** The overridesVersion of `spec.overrides` (absent ⇒ the hash of `{"overrides":null}`). */
export function overridesVersion(overrides: Overrides | undefined | null): string {
  const body = `{"overrides":${encodeWithStructs(upstreamOverridesShape(overrides))}}\n`;
  return md5Hex(body);
}

/** Both versions of a federated object; `""` for both when it has no spec. */
export function federatedVersions(federated: Pick<FederatedObject, 'spec'>): {
  templateVersion: string;
  overridesVersion: string;
} {
  if (federated.spec === undefined || federated.spec === null) {
    return { templateVersion: '', overridesVersion: '' };
  }
  return {
    templateVersion: templateVersion(federated.spec.template),
    overridesVersion: overridesVersion(federated.spec.overrides),
  };
}

/** `gen:<generation>` when the generation is non-zero, else `rv:<resourceVersion>`. */
export function memberVersion(obj: Pick<KubeObject, 'metadata'>): string {
  const generation = obj.metadata.generation;
  if (generation !== undefined && generation !== null && generation !== 0) return `gen:${generation}`;
  return `rv:${obj.metadata.resourceVersion ?? ''}`;
}

/** Whether a member version is generation-based (then metadata changes need a separate check). */
export const isGenerationVersion = (version: string) => version.startsWith('gen:');

/** The (Cluster)PropagatedVersion name: `<lowercase target kind>-<federated name>`. */
export function propagatedVersionName(targetKind: string, name: string): string {
  return `${targetKind.toLowerCase()}-${name}`;
}

/**
 * The per-cluster versions recorded in `status`, or none when they were recorded for another
 * template or overrides (upstream discards them then, so every member is checked again).
 */
export function recordedClusterVersions(
  status: PropagatedVersion | undefined,
  current: { templateVersion: string; overridesVersion: string },
): Map<string, string> {
  const out = new Map<string, string>();
  if (
    !status ||
    (status.templateVersion ?? '') !== current.templateVersion ||
    (status.overridesVersion ?? '') !== current.overridesVersion
  ) {
    return out;
  }
  for (const v of status.clusterVersions ?? []) out.set(v.clusterName, v.version);
  return out;
}

/**
 * The PropagatedVersion status to write after a pass, or undefined when it equals `previous`.
 * Versions: those written in this pass, plus the still-valid recorded ones of clusters that are
 * still placed (as upstream); sorted by cluster name.
 */
export function nextPropagatedVersion(input: {
  previous: PropagatedVersion | undefined;
  templateVersion: string;
  overridesVersion: string;
  placed: readonly string[];
  /** Cluster ⇒ version of the object this pass created, updated or found current. */
  written: ReadonlyMap<string, string>;
}): PropagatedVersion | undefined {
  const current = { templateVersion: input.templateVersion, overridesVersion: input.overridesVersion };
  const recorded = recordedClusterVersions(input.previous, current);
  const versions = new Map<string, string>();
  const placed = new Set(input.placed);
  for (const [cluster, version] of recorded) if (placed.has(cluster)) versions.set(cluster, version);
  for (const [cluster, version] of input.written) versions.set(cluster, version);
  const next: PropagatedVersion = {
    templateVersion: input.templateVersion,
    overridesVersion: input.overridesVersion,
    clusterVersions: [...versions]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([clusterName, version]) => ({ clusterName, version })),
  };
  const prev = input.previous;
  const same =
    prev !== undefined &&
    (prev.templateVersion ?? '') === next.templateVersion &&
    (prev.overridesVersion ?? '') === next.overridesVersion &&
    sameClusterVersions(prev.clusterVersions ?? [], next.clusterVersions ?? []);
  return same ? undefined : next;
}

function sameClusterVersions(
  a: NonNullable<PropagatedVersion['clusterVersions']>,
  b: NonNullable<PropagatedVersion['clusterVersions']>,
): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++)
    if (a[i]!.clusterName !== b[i]!.clusterName || a[i]!.version !== b[i]!.version) return false;
  return true;
}

/**
 * A PropagatedVersion status as one string, `template\toverrides\tcluster=version\t…`, for
 * keeping one per federated object in memory (a string costs a third of the object, its array and
 * its entries). Tabs and `=` appear in none of the parts: hashes are hex, cluster names DNS labels.
 */
export function packVersion(v: PropagatedVersion | undefined): string | undefined {
  if (!v) return undefined;
  const parts = [v.templateVersion ?? '', v.overridesVersion ?? ''];
  for (const c of v.clusterVersions ?? []) parts.push(`${c.clusterName}=${c.version}`);
  return parts.join('\t');
}

export function unpackVersion(packed: string | undefined): PropagatedVersion | undefined {
  if (packed === undefined) return undefined;
  const [templateVersion = '', overridesVersion = '', ...clusters] = packed.split('\t');
  return {
    templateVersion,
    overridesVersion,
    clusterVersions: clusters.map((c) => {
      const i = c.indexOf('=');
      return { clusterName: c.slice(0, i), version: c.slice(i + 1) };
    }),
  };
}
