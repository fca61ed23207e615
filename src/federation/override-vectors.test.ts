/**
 * Our overrides against upstream's own results: every case of testdata/override-cases.json was
 * applied by upstream KubeFed v0.10's code (ApplyJsonPatch over evanphx/json-patch v4.12.0) with
 * hack/override-vectors; testdata/override-vectors.json holds what it did. Where upstream applied
 * the overrides, we must produce the same object; where it failed, we must fail.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyPatch, type PatchOperation } from './jsonpointer.js';

interface Case {
  name: string;
  doc: unknown;
  overrides: { op?: string; path: string; value?: unknown }[];
}
interface Vector extends Case {
  result?: unknown;
  error?: string;
}

const read = <T>(file: string) =>
  JSON.parse(readFileSync(new URL(`./testdata/${file}`, import.meta.url), 'utf8')) as T;
const cases = read<Case[]>('override-cases.json');
const vectors = read<Vector[]>('override-vectors.json');

/** As upstream: op "" (or absent) means replace; a null value is omitted, like an absent one. */
const toOps = (overrides: Case['overrides']): PatchOperation[] =>
  overrides.map((o) => ({
    op: (o.op || 'replace') as PatchOperation['op'],
    path: o.path,
    ...(o.value !== undefined && o.value !== null ? { value: o.value } : {}),
  }));

describe('override vectors (upstream KubeFed v0.10 results)', () => {
  it('were generated from the current cases (regenerate with hack/override-vectors)', () => {
    expect(vectors.map(({ name, doc, overrides }) => ({ name, doc, overrides }))).toEqual(cases);
  });

  it.each(vectors.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const got = applyPatch(v.doc, toOps(v.overrides));
    if (v.error !== undefined) {
      expect(got.kind, `upstream failed with: ${v.error}`).toBe('failed');
    } else {
      expect(got).toEqual({ kind: 'ok', value: v.result });
    }
  });
});
