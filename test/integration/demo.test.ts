/**
 * `kubefed-local demo` (what `npm run demo` runs) end to end, in a private state dir so that its
 * clusters, its cluster-scoped control plane and its `down` never touch the shared clusters:
 * everything Propagated, the Deployment's pods Ready in the RSP split with cluster3's image override,
 * the table printed; a second run reuses what runs and converges; `down` leaves nothing running.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalState } from '../../src/cli/local/state.js';
import { isRunning } from '../../src/cli/local/processes.js';
import { kubefedLocal, processesMentioning, REPO_ROOT, run } from '../support/local.js';

let root = '';
let dir = '';
const readLocalState = () => JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as LocalState;

async function kubectl(context: string, args: readonly string[]): Promise<string> {
  const r = await run(inject('kubectl'), [
    '--kubeconfig',
    path.join(dir, 'kubeconfig'),
    '--context',
    context,
    ...args,
  ]);
  if (r.code !== 0) throw new Error(`kubectl --context ${context} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The rows of the printed table: cluster, object, propagation, ready. */
function tableRows(stdout: string): string[][] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => /^CLUSTER\s+OBJECT\s+PROPAGATION\s+READY$/.test(l));
  expect(start, `no status table in:\n${stdout}`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.trim()) break;
    rows.push(l.trim().split(/\s{2,}/));
  }
  return rows;
}

const EXPECTED_TABLE = [
  ['cluster1', 'Namespace/demo', 'Propagated', 'yes'],
  ['cluster1', 'ConfigMap/web-config', 'Propagated', 'yes'],
  ['cluster1', 'Deployment/web', 'not placed', '-'],
  ['cluster1', 'Service/web', 'Propagated', 'yes'],
  ['cluster2', 'Namespace/demo', 'Propagated', 'yes'],
  ['cluster2', 'ConfigMap/web-config', 'Propagated', 'yes'],
  ['cluster2', 'Deployment/web', 'Propagated', '4/4'],
  ['cluster2', 'Service/web', 'Propagated', 'yes'],
  ['cluster3', 'Namespace/demo', 'Propagated', 'yes'],
  ['cluster3', 'ConfigMap/web-config', 'Propagated', 'yes'],
  ['cluster3', 'Deployment/web', 'Propagated', '2/2'],
  ['cluster3', 'Service/web', 'Propagated', 'yes'],
];

describe('npm run demo (kubefed-local demo) in a private state dir', () => {
  let pidsStarted: { id: string; pid: number; binary: string }[] = [];

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'kubefed-demo-'));
    dir = path.join(root, 'state');
  });

  afterAll(async () => {
    // Best effort after a failure; the last test runs `down` itself.
    await kubefedLocal(['down', '--dir', dir]);
    rmSync(root, { recursive: true, force: true });
  });

  it('starts everything, federates the sample app and prints every object Propagated with Ready pods', async () => {
    const r = await kubefedLocal(['demo', '--dir', dir], { timeoutMs: 280_000 });
    expect(r.code, r.stderr).toBe(0);
    // Progress on stderr, step by step.
    for (const step of ['[1/6]', '[2/6]', '[3/6]', '[4/6]', '[5/6]', '[6/6]'])
      expect(r.stderr).toContain(step);
    expect(tableRows(r.stdout)).toEqual(EXPECTED_TABLE);
    expect(r.stdout).toContain('kubefedctl/main.js get clusters');
    expect(r.stdout).toContain('kubefedctl/main.js status deployments.apps web -n demo');
    expect(r.stdout).toContain('kubefedctl/main.js plan -n demo');
    // The plan it suggests: every object x cluster judged by dry runs, nothing left to do.
    const plan = await run(process.execPath, [
      path.join(REPO_ROOT, 'dist', 'cli', 'kubefedctl', 'main.js'),
      'plan',
      '-n',
      'demo',
      '--host-cluster-context',
      'cluster1',
      '--exit-code',
      '--kubeconfig',
      path.join(dir, 'kubeconfig'),
    ]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/^FederatedDeployment\/demo\/web\s+-\s+unchanged\s+unchanged$/m);
    expect(plan.stdout).toContain('4 objects: 0 to create, 0 to update, 0 to delete, 0 errors, 11 unchanged');
    expect(r.stdout).toContain(`npm run local -- down --dir ${dir}`);
    // The last thing printed: the dashboard's URL, serving the sample app from the manager's caches.
    const url = /Dashboard \(live, read-only[^)]*\): (http:\/\/127\.0\.0\.1:\d+\/)\n*$/.exec(r.stdout)?.[1];
    expect(url, r.stdout.slice(-400)).toBeDefined();
    const snapshot = (await (await fetch(`${url}api/snapshot`)).json()) as {
      objects: { name: string; kind: string; state: string }[];
    };
    expect(snapshot.objects.find((o) => o.kind === 'FederatedDeployment' && o.name === 'web')?.state).toBe(
      'propagated',
    );
    expect((await fetch(url!)).headers.get('content-type')).toContain('text/html');

    // What the table says, checked on the clusters themselves.
    for (const res of [
      'federatednamespaces/demo',
      'federatedconfigmaps/web-config',
      'federateddeployments/web',
      'federatedservices/web',
    ]) {
      const f = JSON.parse(await kubectl('cluster1', ['-n', 'demo', 'get', res, '-o', 'json'])) as {
        status?: { conditions?: { type: string; status: string }[] };
      };
      expect(f.status?.conditions?.find((c) => c.type === 'Propagation')?.status, res).toBe('True');
    }
    const deploy = async (c: string) =>
      JSON.parse(await kubectl(c, ['-n', 'demo', 'get', 'deployment', 'web', '-o', 'json'])) as {
        spec: { replicas: number; template: { spec: { containers: { image: string }[] } } };
        status: { readyReplicas?: number };
      };
    const [d2, d3] = [await deploy('cluster2'), await deploy('cluster3')];
    expect([d2.spec.replicas, d2.status.readyReplicas, d2.spec.template.spec.containers[0]!.image]).toEqual([
      4,
      4,
      'nginx:1.27',
    ]);
    expect([d3.spec.replicas, d3.status.readyReplicas, d3.spec.template.spec.containers[0]!.image]).toEqual([
      2,
      2,
      'nginx:1.27-alpine',
    ]);
    expect(await kubectl('cluster1', ['-n', 'demo', 'get', 'deployment', 'web', '--ignore-not-found'])).toBe(
      '',
    );
    const pods = await kubectl('cluster2', [
      '-n',
      'demo',
      'get',
      'pods',
      '-l',
      'app=web',
      '-o',
      'jsonpath={.items[*].status.phase}',
    ]);
    expect(pods.split(' ')).toEqual(['Running', 'Running', 'Running', 'Running']);

    // The control plane runs under the chart's identity, recorded in the state and healthy.
    const state = readLocalState();
    expect(state.kubefed?.processes.map((p) => p.id).sort()).toEqual([
      'kubefed/controller-manager',
      'kubefed/webhook',
    ]);
    expect(state.kubefed?.namespace).toBe('kube-federation-system');
    const status = await kubefedLocal(['status', '--dir', dir]);
    expect(status.code, status.stdout).toBe(0);
    expect(status.stdout).toMatch(/kubefed\/controller-manager\s+\d+\s+yes/);
    expect(status.stdout).toMatch(/kubefed\/webhook\s+\d+\s+yes/);
    const kubeconfig = readFileSync(path.join(dir, 'kubefed', 'controller-manager.kubeconfig'), 'utf8');
    expect(kubeconfig).toContain('token:');
    expect(kubeconfig).not.toContain('client-key-data');
    const whoami = await run(inject('kubectl'), [
      '--kubeconfig',
      path.join(dir, 'kubefed', 'controller-manager.kubeconfig'),
      'auth',
      'whoami',
      '-o',
      'jsonpath={.status.userInfo.username}',
    ]);
    expect(whoami.stdout, whoami.stderr).toBe(
      'system:serviceaccount:kube-federation-system:kubefed-controller',
    );
  }, 300_000);

  it('re-runs safely: reuses the clusters and the control plane, same outcome', async () => {
    const before = readLocalState();
    const r = await kubefedLocal(['demo', '--dir', dir], { timeoutMs: 170_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('control plane already running');
    expect(tableRows(r.stdout)).toEqual(EXPECTED_TABLE);
    const after = readLocalState();
    expect(after.components.map((c) => c.pid)).toEqual(before.components.map((c) => c.pid));
    expect(after.kubefed?.processes.map((p) => p.pid)).toEqual(before.kubefed?.processes.map((p) => p.pid));
    pidsStarted = [...after.components, ...(after.kubefed?.processes ?? [])];
  });

  it('down stops everything the demo started', async () => {
    // etcd, per cluster an API server, controller manager, scheduler and kwok; the KubeFed control plane.
    expect(pidsStarted.length).toBe(1 + 3 * 4 + 2);
    expect(pidsStarted.every(isRunning)).toBe(true);
    const r = await kubefedLocal(['down', '--dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`stopped ${pidsStarted.length} processes`);
    expect(pidsStarted.filter(isRunning).map((p) => p.id)).toEqual([]);
    expect(processesMentioning(dir)).toEqual([]);
  });
});

describe('kubefed-local install: namespaced scope, reuse, restart of a stopped process', () => {
  let root2 = '';
  let dir2 = '';
  beforeAll(() => {
    root2 = mkdtempSync(path.join(tmpdir(), 'kubefed-install-'));
    dir2 = path.join(root2, 'state');
  });
  const state2 = () => JSON.parse(readFileSync(path.join(dir2, 'state.json'), 'utf8')) as LocalState;
  const kubectl2 = async (args: readonly string[]) => {
    const r = await run(inject('kubectl'), [
      '--kubeconfig',
      path.join(dir2, 'kubeconfig'),
      '--context',
      'cluster1',
      ...args,
    ]);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  afterAll(async () => {
    await kubefedLocal(['down', '--dir', dir2]);
    rmSync(root2, { recursive: true, force: true });
  });

  it('installs a namespace-scoped control plane and reuses it on a second install', async () => {
    const up = await kubefedLocal(['up', '--dir', dir2, '--members', '0', '--no-workloads']);
    expect(up.code, up.stderr).toBe(0);
    const r = await kubefedLocal(['install', '--dir', dir2, '--scope', 'Namespaced'], { timeoutMs: 170_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Namespaced scope in namespace kube-federation-system');
    const config = JSON.parse(
      await kubectl2(['-n', 'kube-federation-system', 'get', 'kubefedconfig', 'kubefed', '-o', 'json']),
    ) as {
      spec: { scope: string };
    };
    expect(config.spec.scope).toBe('Namespaced');
    // The chart's namespaced webhook configurations, pointed at the local server.
    const hooks = JSON.parse(
      await kubectl2([
        'get',
        'validatingwebhookconfiguration',
        'validations.core.kubefed.io-kube-federation-system',
        '-o',
        'json',
      ]),
    ) as { webhooks: { clientConfig: { url: string }; failurePolicy: string }[] };
    const port = state2().kubefed!.webhookPort;
    for (const w of hooks.webhooks) {
      expect(w.clientConfig.url).toMatch(new RegExp(`^https://127\\.0\\.0\\.1:${port}/`));
      expect(w.failurePolicy).toBe('Fail');
    }

    const pids = state2().kubefed!.processes.map((p) => p.pid);
    const again = await kubefedLocal(['install', '--dir', dir2], { timeoutMs: 120_000 });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('control plane already running');
    expect(state2().kubefed!.processes.map((p) => p.pid)).toEqual(pids);

    const wrong = await kubefedLocal(['install', '--dir', dir2, '--scope', 'Cluster']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('global.scope=Namespaced, not Cluster');
    expect(wrong.stderr).toContain(`kubefed-local uninstall --dir ${dir2}`);
  }, 240_000);

  it('status names a stopped process and its log; install starts only what is missing', async () => {
    const before = state2().kubefed!.processes;
    const webhook = before.find((p) => p.kind === 'kubefed-webhook')!;
    const manager = before.find((p) => p.kind === 'kubefed-controller-manager')!;
    process.kill(webhook.pid, 'SIGTERM');
    for (let i = 0; i < 50 && isRunning(webhook); i++) await new Promise((r) => setTimeout(r, 100));
    const status = await kubefedLocal(['status', '--dir', dir2]);
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(
      new RegExp(`kubefed/webhook\\s+${webhook.pid}\\s+NO\\s+not running \\(log: ${webhook.log}\\)`),
    );

    const r = await kubefedLocal(['install', '--dir', dir2], { timeoutMs: 170_000 });
    expect(r.code, r.stderr).toBe(0);
    const after = state2().kubefed!.processes;
    expect(after.find((p) => p.kind === 'kubefed-controller-manager')!.pid).toBe(manager.pid);
    expect(after.find((p) => p.kind === 'kubefed-webhook')!.pid).not.toBe(webhook.pid);
    expect((await kubefedLocal(['status', '--dir', dir2])).code).toBe(0);
    // The restarted webhook answers the API server: an invalid object is refused.
    const bad = await run(
      inject('kubectl'),
      ['--kubeconfig', path.join(dir2, 'kubeconfig'), '--context', 'cluster1', 'apply', '-f', '-'],
      {
        input: JSON.stringify({
          apiVersion: 'core.kubefed.io/v1beta1',
          kind: 'KubeFedCluster',
          metadata: { name: 'bad', namespace: 'kube-federation-system' },
          spec: { apiEndpoint: 'not a url', secretRef: { name: 'x' } },
        }),
      },
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('denied the request');
  }, 240_000);
});
