import { Command } from 'commander';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KubeError } from '../../kube/errors.js';
import {
  addBooleanFlag,
  causeOf,
  CliError,
  hostClusterNameOf,
  isDnsSubdomain,
  loadKubeconfig,
  normalizeBooleanFlags,
  parseOutputFormat,
  resolveContext,
} from './context.js';

function program() {
  const root = new Command('kubefedctl');
  const join = new Command('join').argument('<name>').option('--secret-name <name>');
  addBooleanFlag(join, 'error-on-existing', 'd', true);
  addBooleanFlag(join, 'dry-run', 'd', false);
  root.addCommand(join);
  return root;
}

describe('normalizeBooleanFlags', () => {
  it('turns --flag=false into --no-flag and --flag=true into --flag', () => {
    expect(
      normalizeBooleanFlags(
        ['node', 'k', 'join', 'c2', '--error-on-existing=false', '--dry-run=true', '--secret-name=x=false'],
        program(),
      ),
    ).toEqual(['node', 'k', 'join', 'c2', '--no-error-on-existing', '--dry-run', '--secret-name=x=false']);
  });

  it('rejects a value that is not a boolean, naming the flag', () => {
    expect(() => normalizeBooleanFlags(['--dry-run=maybe'], program())).toThrow(
      /--dry-run takes true or false, not "maybe"/,
    );
  });

  it('gives commander flags that default as declared and negate', () => {
    const parse = (args: string[]) => {
      const root = program();
      let seen: Record<string, unknown> = {};
      root.commands[0]!.action((_n: string, o: Record<string, unknown>) => {
        seen = o;
      });
      root.parse(normalizeBooleanFlags(['node', 'k', 'join', 'c2', ...args], root));
      return seen;
    };
    expect(parse([])).toMatchObject({ errorOnExisting: true, dryRun: false });
    expect(parse(['--error-on-existing=false', '--dry-run'])).toMatchObject({
      errorOnExisting: false,
      dryRun: true,
    });
  });
});

describe('names and formats', () => {
  it('the host cluster name defaults to the context, which may not contain ":" or "/"', () => {
    expect(hostClusterNameOf(undefined, 'cluster1')).toBe('cluster1');
    expect(hostClusterNameOf('host', 'arn:aws:eks/x')).toBe('host');
    expect(() => hostClusterNameOf(undefined, 'arn:aws:eks/x')).toThrow(/pass --host-cluster-name/);
    expect(() => hostClusterNameOf('a/b', 'c')).toThrow(/--host-cluster-name "a\/b" may not contain/);
  });

  it('validates -o against the allowed formats', () => {
    expect(parseOutputFormat('yaml', ['yaml', 'json'])).toBe('yaml');
    expect(parseOutputFormat(undefined, ['yaml'])).toBeUndefined();
    expect(() => parseOutputFormat('table', ['yaml', 'json'])).toThrow(
      /-o\/--output must be one of yaml, json/,
    );
  });

  it('accepts DNS-1123 subdomains only', () => {
    expect(isDnsSubdomain('cluster-2.example')).toBe(true);
    expect(isDnsSubdomain('Cluster2')).toBe(false);
    expect(isDnsSubdomain('-x')).toBe(false);
  });

  it('causeOf drops the client prefix of Kubernetes errors', () => {
    const err = new KubeError(
      'NotFound',
      'secrets "x" not found',
      { cluster: 'c', method: 'GET', path: '/p' },
      404,
    );
    expect(causeOf(err)).toBe('secrets "x" not found');
    expect(causeOf(new Error('plain'))).toBe('plain');
  });
});

describe('resolveContext', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kubefedctl-ctx-'));
  const file = path.join(dir, 'kubeconfig');
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      'current-context: a',
      'clusters: [{name: a, cluster: {server: "https://127.0.0.1:1"}}]',
      'users: [{name: a, user: {token: t}}]',
      'contexts: [{name: a, context: {cluster: a, user: a}}, {name: b, context: {cluster: a, user: a}}]',
    ].join('\n'),
  );

  it('defaults to the current context and names the flag and the available contexts when missing', () => {
    const kc = loadKubeconfig(file);
    expect(resolveContext(kc, undefined, '--host-cluster-context')).toBe('a');
    expect(resolveContext(kc, 'b', '--cluster-context')).toBe('b');
    expect(() => resolveContext(kc, 'nope', '--cluster-context')).toThrow(
      /context "nope" \(--cluster-context\) not found in .*kubeconfig; available contexts: a, b/,
    );
  });

  it('reports a missing kubeconfig as a CliError', () => {
    expect(() => loadKubeconfig(path.join(dir, 'missing'))).toThrow(CliError);
  });
});
