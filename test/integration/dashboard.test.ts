/**
 * The dashboard end to end, in a browser (Debian's Chromium driven by playwright-core) against a
 * real kubefed-controller-manager on the local clusters, its dashboard exposed beyond loopback so
 * that every request needs a bearer token checked by the host (TokenReview, SubjectAccessReview):
 * - the API answers 401 without a token, 403 for a user without rights, 200 with them, and never
 *   carries the member clusters' credentials;
 * - the browser signs in with a token, then sees a federated Deployment appear and turn green per
 *   cluster, an override error with its reason and message, the Object page with the member
 *   object and Events, the Types page, and a stopped member turning its cluster Offline.
 * Screenshots of each page go to test-output/dashboard/ (git-ignored).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePorts } from '../../src/cli/local/ports.js';
import { apply, TestControlPlane, waitFor, type TargetType } from '../support/control-plane.js';
import { kubectl, kubefedLocal, REPO_ROOT } from '../support/local.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = path.join(REPO_ROOT, 'test-output', 'dashboard');

const DEPLOYMENTS: TargetType = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  pluralName: 'deployments',
  scope: 'Namespaced',
};
const MEMBERS = ['cluster2', 'cluster3'];

let port = 0;
const cp = new TestControlPlane({
  prefix: 'kf-dash',
  types: [DEPLOYMENTS],
  // Get the port before the manager starts (managerArgs is read in setup).
  get managerArgs() {
    return ['--dashboard-addr', `0.0.0.0:${port}`];
  },
});
const base = () => `http://127.0.0.1:${port}/`;
let ns = '';
let context: BrowserContext;
let page: Page;
let userDataDir = '';
/** Bearer tokens of two ServiceAccounts: one allowed to list FTCs in the KubeFed namespace, one not. */
const tokens = { viewer: '', nobody: '' };

function fedDeployment(name: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: `${cp.group}/v1beta1`,
    kind: 'FederatedDeployment',
    metadata: { name, namespace: ns },
    spec: {
      template: {
        metadata: { labels: { app: name } },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] },
          },
        },
      },
      placement: { clusters: MEMBERS.map((c) => ({ name: c })) },
      ...extra,
    },
  };
}

const cell = (object: string, cluster: string) =>
  page.locator(`td[data-object="${ns}/${object}"][data-cluster="${cluster}"]`);

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

async function serviceAccountToken(name: string): Promise<string> {
  await kubectl('cluster1', ['-n', cp.kfns, 'create', 'serviceaccount', name]);
  return (await kubectl('cluster1', ['-n', cp.kfns, 'create', 'token', name, '--duration', '1h'])).trim();
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  [port] = (await freePorts(1)) as [number];
  await cp.setup();
  // Status collection for Deployments: the matrix turns green only once the replicas are ready.
  await kubectl('cluster1', [
    '-n',
    cp.kfns,
    'patch',
    'federatedtypeconfig',
    'deployments.apps',
    '--type=merge',
    '-p',
    '{"spec":{"statusCollection":"Enabled"}}',
  ]);
  ns = await cp.federatedNamespace(MEMBERS, 'dash');
  tokens.nobody = await serviceAccountToken('dash-nobody');
  tokens.viewer = await serviceAccountToken('dash-viewer');
  await kubectl('cluster1', [
    '-n',
    cp.kfns,
    'create',
    'role',
    'dash-viewer',
    '--verb=list',
    '--resource=federatedtypeconfigs.core.kubefed.io',
  ]);
  await kubectl('cluster1', [
    '-n',
    cp.kfns,
    'create',
    'rolebinding',
    'dash-viewer',
    '--role=dash-viewer',
    `--serviceaccount=${cp.kfns}:dash-viewer`,
  ]);
  await waitFor('the dashboard to listen', async () => {
    const r = await fetch(`${base()}api/snapshot`).catch((err: Error) => err);
    return [!(r instanceof Error), r, r instanceof Error ? r.message : `HTTP ${r.status}`];
  });

  userDataDir = mkdtempSync(path.join(tmpdir(), 'kubefed-dash-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60_000);
}, 300_000);

afterAll(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await cp.teardown();
}, 300_000);

describe('dashboard', () => {
  it('exposed beyond loopback, answers 401 without a token, 403 without rights, 200 with them', async () => {
    const get = (p: string, token?: string) =>
      fetch(`${base()}${p}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    const none = await get('api/snapshot');
    expect(none.status).toBe(401);
    expect(((await none.json()) as { message: string }).message).toContain('Authorization: Bearer');
    expect((await get('api/snapshot', 'not-a-token')).status).toBe(401);
    const forbidden = await get('api/snapshot', tokens.nobody);
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { message: string }).message).toContain(
      `system:serviceaccount:${cp.kfns}:dash-nobody may not list federatedtypeconfigs`,
    );
    expect((await get('api/events', tokens.nobody)).status).toBe(403);
    const ok = await get('api/snapshot', tokens.viewer);
    expect(ok.status).toBe(200);
    const text = await ok.text();
    // The clusters are there, their credentials are not: no Secret name, no token.
    const snapshot = JSON.parse(text) as { clusters: { name: string }[] };
    expect(snapshot.clusters.map((c) => c.name).sort()).toEqual(['cluster1', 'cluster2', 'cluster3']);
    const secrets = JSON.parse(
      await kubectl('cluster1', ['-n', cp.kfns, 'get', 'secrets', '-o', 'json']),
    ) as {
      items: { metadata: { name: string }; data?: Record<string, string> }[];
    };
    for (const s of secrets.items.filter((x) => x.data?.token)) {
      expect(text).not.toContain(s.metadata.name);
      expect(text).not.toContain(Buffer.from(s.data!.token!, 'base64').toString());
    }
    // Read-only, whoever asks.
    expect((await fetch(`${base()}api/snapshot`, { method: 'DELETE' })).status).toBe(405);
  });

  it('reads caches: page views and the live stream open no watch on any cluster', async () => {
    // Watches only: every informer holds one, so a page view that made its own informer (or a
    // kubefedctl that watched per user) would add some. Lists are no measure here: the health
    // controller lists each member's nodes on every probe (once a second in this control plane).
    const watches = async () =>
      (await cp.metrics())
        .split('\n')
        .filter((l) => /^rest_client_requests_total\{.*verb="watch"/.test(l))
        .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    // Controllers still starting (the FTC change of beforeAll restarts them) open watches: wait until
    // the count holds for 3 s, so that what follows is the page views' doing alone.
    let last = -1;
    const before = await waitFor('the manager to open no more watches for 3 s', async () => {
      const n = await watches();
      const settled = n === last;
      last = n;
      if (!settled) await new Promise((r) => setTimeout(r, 3000));
      return [settled, n, `${n} watches`];
    });
    expect(before, 'the informers have opened watches').toBeGreaterThan(0);
    const auth = { headers: { authorization: `Bearer ${tokens.viewer}` } };
    for (let i = 0; i < 20; i++) expect((await fetch(`${base()}api/snapshot`, auth)).status).toBe(200);
    const stream = await fetch(`${base()}api/events`, auth);
    const chunks = (stream.body as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    const first = await chunks.next();
    expect(Buffer.from(first.value as Uint8Array).toString()).toContain('event: snapshot');
    await chunks.return?.();
    expect(await watches()).toBe(before);
  });

  it('signs in with a token, then shows a federated Deployment appear and turn green in each cluster', async () => {
    await page.goto(`${base()}#/objects`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot('sign-in');
    await page.getByLabel('Bearer token').fill(tokens.viewer);
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.getByRole('heading', { name: 'Objects' }).waitFor();
    await page.getByText('Live', { exact: true }).waitFor();

    // Created after the page is open: the live stream brings it in.
    await apply('cluster1', fedDeployment('web'));
    for (const c of MEMBERS) await cell('web', c).waitFor();
    const states = async () => Promise.all(MEMBERS.map((c) => cell('web', c).getAttribute('data-state')));
    await waitFor(
      'web green in cluster2 and cluster3',
      async () => {
        const s = await states();
        return [s.every((x) => x === 'propagated'), s, JSON.stringify(s)];
      },
      120_000,
    );
    for (const c of MEMBERS) await expect(cell('web', c).innerText()).resolves.toContain('2/2 ready');
    await shot('objects');
  });

  it('shows an override error with its reason in the matrix and its message on the Object page', async () => {
    await apply(
      'cluster1',
      fedDeployment('broken', {
        overrides: [{ clusterName: 'cluster3', clusterOverrides: [{ path: '/spec/nope/deeper', value: 1 }] }],
      }),
    );
    await waitFor('broken is an error in cluster3', async () => {
      const s = await cell('broken', 'cluster3')
        .getAttribute('data-state', { timeout: 1000 })
        .catch(() => undefined);
      return [s === 'error', s, `${s}`];
    });
    await expect(cell('broken', 'cluster3').innerText()).resolves.toContain('ApplyOverridesFailed');
    await expect(cell('broken', 'cluster2').getAttribute('data-state')).resolves.not.toBe('error');
    // The matrix with both: docs/dashboard-objects.png is this screenshot.
    await shot('objects-matrix');
    // Filters: only objects with errors.
    await page.getByLabel('State').selectOption('error');
    await expect(page.locator('table.matrix tbody tr').count()).resolves.toBe(1);
    expect(page.url()).toContain('state=error');
    await shot('objects-errors');
    await page.getByRole('link', { name: 'broken' }).click();
    await page.getByRole('heading', { name: `${ns}/broken` }).waitFor();
    const row = page.locator('tr[data-cluster="cluster3"]').first();
    await expect(row.getAttribute('data-state')).resolves.toBe('error');
    await expect(row.innerText()).resolves.toMatch(/ApplyOverridesFailed[\s\S]*nope/);
    await shot('object-error');
  });

  it('shows the Object page: placement, template, the member object per cluster and Events', async () => {
    await page.goto(`${base()}#/object/deployments.apps/${ns}/web`);
    await page.getByRole('heading', { name: `${ns}/web` }).waitFor();
    await page.getByRole('heading', { name: 'Recent Events' }).waitFor();
    for (const c of MEMBERS)
      await expect(page.locator(`details[data-cluster="${c}"] summary`).innerText()).resolves.toContain(
        'the member object',
      );
    await page.locator('details[data-cluster="cluster2"] summary').click();
    await expect(page.locator('details[data-cluster="cluster2"] pre').innerText()).resolves.toContain(
      '"readyReplicas": 2',
    );
    await expect(page.getByLabel('template', { exact: true }).innerText()).resolves.toContain('nginx:1.27');
    // The sync controller's Events about the object (created in the members).
    await waitFor('Events on the Object page', async () => {
      const t = await page.locator('section[aria-labelledby="events"]').innerText();
      return [t.includes('CreateInCluster'), t, t.slice(0, 200)];
    });
    await shot('object');
  });

  it('shows the ReplicaSchedulingPreference split with ready replicas per cluster, live', async () => {
    // The Object page of web is open: the RSP arrives, the split follows, then the ready replicas.
    await apply('cluster1', {
      apiVersion: 'scheduling.kubefed.io/v1alpha1',
      kind: 'ReplicaSchedulingPreference',
      metadata: { name: 'web', namespace: ns },
      spec: {
        targetKind: 'FederatedDeployment',
        totalReplicas: 6,
        clusters: { cluster2: { weight: 2 }, cluster3: { weight: 1 } },
      },
    });
    const split = page.locator('table[data-testid="rsp"]');
    const rows = async () =>
      Promise.all(
        MEMBERS.map(async (c) =>
          (
            await split
              .locator(`tr[data-cluster="${c}"]`)
              .innerText({ timeout: 1000 })
              .catch(() => '')
          )
            .split(/\s+/)
            .filter(Boolean),
        ),
      );
    // Cluster, preference (weight n), replicas, ready; then why (e.g. KeptCurrentReplicas: …).
    await waitFor(
      'the RSP split 4/2 with every replica ready on the Object page',
      async () => {
        const r = (await rows()).map((cells) => cells.slice(0, 5));
        return [
          JSON.stringify(r) ===
            JSON.stringify([
              ['cluster2', 'weight', '2', '4', '4'],
              ['cluster3', 'weight', '1', '2', '2'],
            ]),
          r,
          JSON.stringify(r),
        ];
      },
      120_000,
    );
    await expect(page.getByRole('heading', { name: 'Replica scheduling' }).isVisible()).resolves.toBe(true);
    await shot('object-rsp');
  });

  it('shows the Types page with the controllers running', async () => {
    await page.goto(`${base()}#/types`);
    const row = page.locator('tr[data-type="deployments.apps"]');
    await row.waitFor();
    await expect(row.innerText()).resolves.toMatch(/FederatedDeployment[\s\S]*Running[\s\S]*Running/);
    await shot('types');
  });

  it('shows a stopped member cluster turn Offline on the Clusters page, and Ready again', async () => {
    await page.goto(`${base()}#/clusters`);
    const row = (c: string) => page.locator(`tr[data-cluster="${c}"]`);
    for (const c of ['cluster1', ...MEMBERS])
      await waitFor(`${c} Ready on the page`, async () => {
        const s = await row(c).getAttribute('data-state');
        return [s === 'Ready', s, `${s}`];
      });
    await expect(row('cluster2').innerText()).resolves.toMatch(/v1\.\d+/);
    await shot('clusters');

    const dir = inject('localDir');
    const stopped = await kubefedLocal(['stop', 'cluster3/kube-apiserver', '--dir', dir]);
    expect(stopped.code, stopped.stderr).toBe(0);
    try {
      await waitFor('cluster3 Offline on the page', async () => {
        const s = await row('cluster3').getAttribute('data-state');
        return [s === 'Offline', s, `${s}`];
      });
      await expect(row('cluster3').innerText()).resolves.toContain('ClusterNotReachable');
      await shot('clusters-offline');
    } finally {
      const started = await kubefedLocal(['start', 'cluster3/kube-apiserver', '--dir', dir], {
        timeoutMs: 180_000,
      });
      expect(started.code, started.stderr).toBe(0);
    }
    await waitFor('cluster3 Ready again on the page', async () => {
      const s = await row('cluster3').getAttribute('data-state');
      return [s === 'Ready', s, `${s}`];
    });
  });

  it('is usable on a narrow screen: the matrix scrolls inside the page, the navigation stays', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${base()}#/objects`);
    await cell('web', 'cluster3').waitFor();
    // Browser expressions as strings: this file is type-checked without the DOM library.
    const widths = await page.evaluate<{ page: number; viewport: number; wide: string[] }>(
      `({
        page: document.documentElement.scrollWidth,
        viewport: window.innerWidth,
        wide: [...document.querySelectorAll('body *')]
          .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
          .filter((e) => !e.closest('.scroll') || getComputedStyle(e).position !== 'static')
          .map((e) => e.tagName + '.' + e.className + ': ' + (e.textContent ?? '').slice(0, 40)),
      })`,
    );
    expect(widths.page, `wider than the screen: ${widths.wide.join('; ')}`).toBeLessThanOrEqual(
      widths.viewport,
    );
    await expect(page.getByRole('navigation', { name: 'Pages' }).isVisible()).resolves.toBe(true);
    // Keyboard: on a freshly loaded page the skip link comes first.
    await page.reload();
    await cell('web', 'cluster3').waitFor();
    await page.keyboard.press('Tab');
    await expect(page.evaluate<string>('document.activeElement?.textContent')).resolves.toBe(
      'Skip to content',
    );
    await shot('objects-narrow');
    await page.setViewportSize({ width: 1280, height: 800 });
  });
});
