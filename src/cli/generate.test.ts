import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import {
  allGeneratedFiles,
  CHART_TYPE_CONFIGS_TEMPLATE,
  CLI_DOCS_DIR,
  cliReferenceFiles,
  CRD_DIR,
  DEFAULT_TYPE_CONFIGS_FILE,
  generatedFiles,
} from './generate.js';
import { defaultTypeConfigs } from '../federation/typeconfig.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('generated API artefacts', () => {
  it.each([...allGeneratedFiles().keys()])('%s is up to date with src/api (run npm run generate)', (rel) => {
    const committed = readFileSync(path.join(root, rel), 'utf8');
    expect(committed).toBe(allGeneratedFiles().get(rel));
  });

  it("the chart's FederatedTypeConfig template holds the default FederatedTypeConfigs", () => {
    // Substitute what Helm would for a release in kube-federation-system, then compare objects.
    const rendered = allGeneratedFiles()
      .get(CHART_TYPE_CONFIGS_TEMPLATE)!
      .split('\n')
      .filter((l) => !l.startsWith('{{-') && !l.includes('include "kubefed.labels"'))
      .join('\n')
      .replaceAll('{{ $namespace | quote }}', 'kube-federation-system')
      .replaceAll('    labels:\n', '');
    const fromChart = parseAllDocuments(rendered)
      .map((d) => d.toJS() as { metadata: { labels?: unknown } } | null)
      .filter((o) => o !== null)
      .map((o) => ({ ...o, metadata: { ...o.metadata, labels: undefined } }));
    const fromConfig = parseAllDocuments(generatedFiles().get(DEFAULT_TYPE_CONFIGS_FILE)!)
      .map((d) => d.toJS() as { metadata: Record<string, unknown> })
      .map((o) => ({ ...o, metadata: { ...o.metadata, labels: undefined } }));
    expect(fromChart.length).toBeGreaterThanOrEqual(10);
    expect(fromChart).toEqual(fromConfig);
  });

  it("the chart's appVersion is the package version", () => {
    const chart = parse(readFileSync(path.join(root, 'charts/kubefed/Chart.yaml'), 'utf8')) as {
      appVersion: string;
    };
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(chart.appVersion).toBe(pkg.version);
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

describe('generated CLI reference (docs/cli)', () => {
  // Rendered once: kubefed-controller-manager and kubefed-webhook are run (built) with --help.
  const cli = cliReferenceFiles();

  it.each([...cli.keys()])("%s is the command's current --help (run npm run generate)", (rel) => {
    const committed = readFileSync(path.join(root, rel), 'utf8');
    expect(committed).toBe(cli.get(rel));
  });

  it('holds no page of a command that no longer exists', () => {
    const committed = readdirSync(path.join(root, CLI_DOCS_DIR)).map((f) => `${CLI_DOCS_DIR}/${f}`);
    expect(committed.filter((rel) => !cli.has(rel))).toEqual([]);
  });

  it('documents every program and its options', () => {
    for (const program of ['kubefedctl', 'kubefed-controller-manager', 'kubefed-webhook', 'kubefed-local'])
      expect(cli.get(`${CLI_DOCS_DIR}/${program}.md`), program).toContain(`Usage: ${program} [options]`);
    expect(cli.get(`${CLI_DOCS_DIR}/kubefedctl_join.md`)).toContain('--cluster-context');
    expect(cli.get(`${CLI_DOCS_DIR}/kubefed-controller-manager.md`)).toContain('--kubefed-namespace');
    expect(cli.get(`${CLI_DOCS_DIR}/kubefed-webhook.md`)).toContain('--cert-dir');
  });
});

describe('the default FederatedTypeConfigs file', () => {
  it(`is what defaultTypeConfigs() gives (${DEFAULT_TYPE_CONFIGS_FILE})`, () => {
    const docs = parseAllDocuments(generatedFiles().get(DEFAULT_TYPE_CONFIGS_FILE)!).map(
      (d) => d.toJS() as unknown,
    );
    expect(docs).toEqual(defaultTypeConfigs('kube-federation-system'));
  });
});
