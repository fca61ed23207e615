import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { federateCommand } from './federate.js';
import { normalizeBooleanFlags } from './context.js';

/** Runs `federate ARGS` with captured output; --kubeconfig /nonexistent proves no cluster is used. */
async function run(args: string[]): Promise<{ out: string; err: string; error?: string }> {
  let out = '';
  let err = '';
  const cmd = federateCommand({ out: (t) => void (out += t), err: (t) => void (err += t) });
  cmd.exitOverride();
  const argv = ['node', 'federate', ...args, '--kubeconfig', '/nonexistent'];
  try {
    await cmd.parseAsync(normalizeBooleanFlags(argv, cmd), { from: 'node' });
    return { out, err };
  } catch (e) {
    return { out, err, error: e instanceof Error ? e.message : String(e) };
  }
}

const dir = mkdtempSync(path.join(tmpdir(), 'federate-test-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe('kubefedctl federate --filename', () => {
  it('prints the federated objects of default types without a cluster', async () => {
    const f = file(
      'two.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: ns}\nspec: {replicas: 1}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {a: b}\n',
    );
    const r = await run(['--filename', f]);
    expect(r.error).toBeUndefined();
    const docs = parseAllDocuments(r.out).map((d) => d.toJS() as { kind: string; metadata: unknown });
    expect(docs.map((d) => [d.kind, d.metadata])).toEqual([
      ['FederatedDeployment', { name: 'web', namespace: 'ns' }],
      ['FederatedConfigMap', { name: 'cm' }],
    ]);
  });

  it('puts objects without a namespace into -n', async () => {
    const f = file('cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n');
    const r = await run(['-f', f, '-n', 'team', '-o', 'json']);
    expect(JSON.parse(r.out)).toMatchObject({
      kind: 'List',
      items: [{ metadata: { name: 'cm', namespace: 'team' } }],
    });
  });

  it('reads every manifest of a directory, in name order', async () => {
    const d = mkdtempSync(path.join(dir, 'd-'));
    writeFileSync(
      path.join(d, 'b.json'),
      JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'b' } }),
    );
    writeFileSync(path.join(d, 'a.yml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n');
    writeFileSync(path.join(d, 'notes.txt'), 'ignored');
    const r = await run(['-f', d]);
    expect(r.out.match(/^kind: .*$/gm)).toEqual(['kind: FederatedConfigMap', 'kind: FederatedSecret']);
  });

  it.each([
    ['malformed YAML', ['-f', 'BAD'], /bad\.yaml: line \d+, column \d+: malformed YAML/],
    [
      'a missing file',
      ['-f', '/nonexistent/x.yaml'],
      /--filename \/nonexistent\/x\.yaml: no such file or directory/,
    ],
    ['TYPE NAME with --filename', ['configmaps', 'x', '-f', 'BAD'], /--filename takes no TYPE or NAME/],
    ['--contents with --filename', ['-f', 'BAD', '--contents'], /--contents cannot be used with --filename/],
    [
      'a kind that needs the host',
      ['-f', 'FOO'],
      /kind Foo \(example\.com\/v1\) of x is not a default federated type; .*needs the host cluster/,
    ],
    ['no TYPE NAME and no --filename', [], /federate needs TYPE and NAME/],
    [
      '--skip-api-resources without --contents',
      ['namespace', 'x', '--skip-api-resources', 'secrets'],
      /--skip-api-resources only applies with --contents/,
    ],
    ['an unknown -o', ['-f', 'GOOD', '-o', 'table'], /-o\/--output must be one of yaml, json/],
  ])('fails on %s, writing nothing', async (_, args, message) => {
    const files: Record<string, string> = {
      BAD: file('bad.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [a\n  x: y\n'),
      FOO: file('foo.yaml', 'apiVersion: example.com/v1\nkind: Foo\nmetadata: {name: x}\n'),
      GOOD: file('good.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n'),
    };
    const r = await run(args.map((a) => files[a] ?? a));
    expect(r.error).toMatch(message);
    expect(r.out).toBe('');
  });
});
