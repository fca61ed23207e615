/**
 * docs/troubleshooting.md must explain every status reason the control plane can write: the
 * reasons are read from the code (the status constants and unions, and the literals the
 * controllers write), so a new reason without documentation fails here. Also: docs/README.md
 * indexes every page, and the links of the pages written with it resolve.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROPAGATION_STATUSES } from './status.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const source = (rel: string) => readFileSync(path.join(root, rel), 'utf8');
const doc = source('docs/troubleshooting.md');

/** The string literals (capitalised) of `export type <name> = …` in a source file, up to the next blank line. */
function unionLiterals(rel: string, name: string): string[] {
  const text = source(rel);
  const start = text.indexOf(`export type ${name} =`);
  if (start < 0) throw new Error(`no type ${name} in ${rel}`);
  const end = text.indexOf('\n\n', start);
  const block = text.slice(start, end < 0 ? undefined : end);
  return [...block.matchAll(/'([A-Z][A-Za-z]*)'/g)].map((x) => x[1]!);
}

/** Every `reason: 'X'` literal in a source file. */
const reasonLiterals = (rel: string) => [...source(rel).matchAll(/reason: '([A-Za-z]+)'/g)].map((m) => m[1]!);

/** The reasons of Events recorded with a literal reason: `.event(obj, 'Warning', 'Reason', …)`. */
const eventLiterals = (rel: string) =>
  [...source(rel).matchAll(/\.event\(\s*[\w.]+,\s*'(?:Normal|Warning)',\s*'([A-Za-z]+)'/g)].map((m) => m[1]!);

/** The sync dispatcher's event reasons: OP_EVENT's values, each also with `Failed`, and timeouts. */
function dispatchEventReasons(): string[] {
  const text = source('src/controllers/sync/dispatch.ts');
  const block = /const OP_EVENT[^{]*\{([^}]*)\}/.exec(text);
  if (!block) throw new Error('no OP_EVENT in src/controllers/sync/dispatch.ts');
  const ops = [...block[1]!.matchAll(/: '([A-Za-z]+)'/g)].map((m) => m[1]!);
  return [
    ...ops,
    ...ops.map((o) => `${o}Failed`),
    ...reasonLiterals('src/controllers/sync/dispatch.ts'),
    'OperationTimeoutError',
  ];
}

const documented = (reason: string) => doc.includes(`\`${reason}\``);

const groups: Record<string, { reasons: string[]; expected: string[] }> = {
  'per-cluster propagation statuses (PROPAGATION_STATUSES)': {
    reasons: PROPAGATION_STATUSES.filter((s) => s !== ''),
    expected: ['CreationFailed', 'ClusterNotReady', 'LabelRemovalTimedOut'],
  },
  'Propagation condition reasons (AggregateReason) and the RemoteStatusMissing marker': {
    reasons: [
      ...unionLiterals('src/federation/status.ts', 'AggregateReason'),
      ...[...source('src/federation/status.ts').matchAll(/'(RemoteStatusMissing)'/g)].map((m) => m[1]!),
    ],
    expected: ['CheckClusters', 'NamespaceNotFederated', 'RemoteStatusMissing'],
  },
  'planner and renderer skip reasons': {
    reasons: [...reasonLiterals('src/federation/plan.ts'), ...reasonLiterals('src/federation/render.ts')],
    expected: ['ManagedLabelFalse', 'ApplyOverridesFailed'],
  },
  'sync controller Events': {
    reasons: [
      ...dispatchEventReasons(),
      ...eventLiterals('src/controllers/sync/controller.ts'),
      ...eventLiterals('src/controllers/sync/reconciler.ts'),
    ],
    expected: ['CreateInCluster', 'UpdateInClusterFailed', 'DeleteOptionsInvalid', 'WaitForRemovalInCluster'],
  },
  'KubeFedCluster condition reasons and Events': {
    reasons: [
      ...reasonLiterals('src/controllers/cluster/health.ts'),
      ...eventLiterals('src/controllers/cluster/controller.ts'),
    ],
    expected: ['ClusterReady', 'ClusterNotReachable', 'ClusterConfigMalformed', 'MalformedClusterConfig'],
  },
  'KubeFedCluster condition types': {
    reasons: [...source('src/controllers/cluster/health.ts').matchAll(/type: '([A-Za-z]+)'/g)].map(
      (m) => m[1]!,
    ),
    expected: ['Ready', 'Offline', 'ConfigMalformed'],
  },
  'FederatedTypeConfig controller states': {
    reasons: [...source('src/controllers/typeconfig/controller.ts').matchAll(/'((?:Not)?Running)'/g)].map(
      (m) => m[1]!,
    ),
    expected: ['Running', 'NotRunning'],
  },
  'PropagationPolicy reasons, conflict reasons and Events': {
    reasons: [
      ...reasonLiterals('src/federation/policy.ts'),
      ...readdirSync(path.join(root, 'src/controllers/policy'))
        .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
        .flatMap((f) => eventLiterals(`src/controllers/policy/${f}`)),
    ],
    expected: [
      'TypeNotEnabled',
      'FederatedObjectExists',
      'Conflict',
      'PropagationStopped',
      'FollowerTypeNotEnabled',
    ],
  },
  'ReplicaSchedulingPreference reasons, per-cluster reasons and Events': {
    reasons: [
      ...reasonLiterals('src/controllers/scheduling/status.ts'),
      ...unionLiterals('src/controllers/scheduling/status.ts', 'ScheduledReason'),
      ...unionLiterals('src/scheduling/planner.ts', 'ClusterReason'),
      ...eventLiterals('src/controllers/scheduling/controller.ts'),
    ],
    expected: ['InvalidPreference', 'NoClusters', 'PartiallyScheduled', 'CappedByCapacity', 'UpdateFailed'],
  },
};

describe('docs/troubleshooting.md', () => {
  it.each(Object.entries(groups))('explains every one of the %s', (_name, { reasons, expected }) => {
    // The extraction itself must work, or this test would assert nothing.
    expect(reasons).toEqual(expect.arrayContaining(expected));
    const missing = [...new Set(reasons)].filter((r) => !documented(r));
    expect(missing, 'reasons without an explanation in docs/troubleshooting.md').toEqual([]);
  });
});

describe('docs/README.md and the pages written with it', () => {
  const docsDir = path.join(root, 'docs');

  it('the index links every page in docs/ and the CLI reference', () => {
    const index = source('docs/README.md');
    const pages = readdirSync(docsDir).filter((f) => f.endsWith('.md') && f !== 'README.md');
    expect(pages.length).toBeGreaterThanOrEqual(10);
    expect(pages.filter((p) => !index.includes(`](${p})`))).toEqual([]);
    expect(index).toContain('](cli/README.md)');
  });

  it.each(['README.md', 'concepts.md', 'quickstart.md', 'troubleshooting.md', 'real-clusters.md'])(
    'every relative link of docs/%s points at a file and heading that exist',
    (page) => {
      const slug = (heading: string) =>
        heading
          .trim()
          .toLowerCase()
          .replace(/[^\w\- ]/g, '')
          .replace(/ /g, '-');
      const broken: string[] = [];
      for (const [, link] of source(`docs/${page}`).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^https?:/.test(link!)) continue;
        const [file, anchor] = link!.split('#') as [string, string | undefined];
        const target = file ? path.resolve(docsDir, file) : path.join(docsDir, page);
        if (!existsSync(target)) {
          broken.push(link!);
          continue;
        }
        if (anchor === undefined) continue;
        const headings = readFileSync(target, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('#'))
          .map((l) => slug(l.replace(/^#+/, '').replace(/`/g, '')));
        if (!headings.includes(anchor)) broken.push(link!);
      }
      expect(broken).toEqual([]);
    },
  );
});

describe('docs/architecture.md', () => {
  const page = source('docs/architecture.md');
  /** The `src/...` paths it names (each file by its whole path). */
  const named = (): string[] => [...page.matchAll(/`(src\/[\w./-]+)`/g)].map((m) => m[1]!);

  it('names only source files and folders that exist', () => {
    const paths = named();
    expect(paths.length).toBeGreaterThan(30);
    expect(paths.filter((p) => !existsSync(path.join(root, p)))).toEqual([]);
  });

  it('names every file of the sync controller', () => {
    const files = readdirSync(path.join(root, 'src/controllers/sync')).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'),
    );
    const paths = new Set(named());
    expect(files.filter((f) => !paths.has(`src/controllers/sync/${f}`))).toEqual([]);
  });
});
