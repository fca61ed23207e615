import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CRD_DIR, generatedFiles } from './generate.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('generated API artefacts', () => {
  it.each([...generatedFiles().keys()])('%s is up to date with src/api (run npm run generate)', (rel) => {
    const committed = readFileSync(path.join(root, rel), 'utf8');
    expect(committed).toBe(generatedFiles().get(rel));
  });

  it('emits structural schemas: no anyOf/patternProperties, every object typed', () => {
    const check = (s: Record<string, unknown>, where: string) => {
      expect(Object.keys(s), where).not.toContain('anyOf');
      expect(Object.keys(s), where).not.toContain('patternProperties');
      if (!s['x-kubernetes-preserve-unknown-fields']) expect(s.type, where).toBeDefined();
      for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, Record<string, unknown>>))
        check(v, `${where}.${k}`);
      if (s.items) check(s.items as Record<string, unknown>, `${where}[]`);
      if (typeof s.additionalProperties === 'object')
        check(s.additionalProperties as Record<string, unknown>, `${where}{}`);
    };
    for (const [rel, content] of generatedFiles()) {
      if (!rel.startsWith(`${CRD_DIR}/`)) continue;
      const crd = parse(content) as {
        spec: { versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[] };
      };
      check(crd.spec.versions[0]!.schema.openAPIV3Schema, rel);
    }
  });
});
