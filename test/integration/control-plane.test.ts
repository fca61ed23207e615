/**
 * kubefed-controller-manager on the real local clusters: members joined with kubefedctl become
 * Ready with their region and zones; a stopped member API server goes Offline after the failure
 * threshold while the others stay Ready, and comes back; credential rotation and a broken Secret
 * are picked up without a restart; an idle federation writes no status.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KubeFedCluster } from '../../src/api/core.js';
import { freePorts } from '../../src/cli/local/ports.js';
import { pollUntil } from '../../src/poll.js';
import { installCrds, kubectl, kubefedLocal, REPO_ROOT, run, uniqueName } from '../support/local.js';

const ns = uniqueName('kf-cp');
const KUBEFEDCTL = path.join(REPO_ROOT, 'dist', 'cli', 'kubefedctl', 'main.js');
const MANAGER = path.join(REPO_ROOT, 'dist', 'cli', 'controller-manager.js');
const members = ['cluster1', 'cluster2', 'cluster3'];
let manager: ChildProcess;
let managerLog = '';
let port: number;

const kubefedctl = (...args: string[]) =>
  run(process.execPath, [KUBEFEDCTL, ...args, '--kubeconfig', inject('kubeconfig')]);

async function clusters(): Promise<Map<string, KubeFedCluster>> {
  const list = JSON.parse(await kubectl('cluster1', ['-n', ns, 'get', 'kubefedclusters', '-o', 'json'])) as {
    items: KubeFedCluster[];
  };
  return new Map(list.items.map((c) => [c.metadata.name!, c]));
}

const condition = (c: KubeFedCluster | undefined, type: string) =>
  c?.status?.conditions?.find((x) => x.type === type)?.status;

async function waitFor(
  what: string,
  pred: (m: Map<string, KubeFedCluster>) => boolean,
  timeoutMs = 30_000,
): Promise<Map<string, KubeFedCluster>> {
  return pollUntil(
    what,
    async () => {
      const m = await clusters();
      return pred(m)
        ? { done: true, value: m }
        : {
            done: false,
            seen: [...m.values()]
              .map(
                (c) =>
                  `${c.metadata.name}: ${JSON.stringify(c.status?.conditions?.map((x) => `${x.type}=${x.status}`))}`,
              )
              .join('; '),
          };
    },
    { timeoutMs, intervalMs: 250 },
  );
}

beforeAll(async () => {
  await installCrds();
  await kubectl('cluster1', ['create', 'namespace', ns]);
  // Fast health checks for the test: 1 s period, 2 failures to go unhealthy.
  await kubectl(
    'cluster1',
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'core.kubefed.io/v1beta1',
      kind: 'KubeFedConfig',
      metadata: { name: 'kubefed', namespace: ns },
      spec: {
        scope: 'Cluster',
        clusterHealthCheck: { period: '1s', failureThreshold: 2, successThreshold: 1, timeout: '1s' },
        leaderElect: { leaseDuration: '4s', renewDeadline: '3s', retryPeriod: '1s' },
      },
    }),
  );
  port = (await freePorts(1))[0]!;
  manager = spawn(
    process.execPath,
    [
      MANAGER,
      '--kubeconfig',
      inject('kubeconfig'),
      '--context',
      'cluster1',
      '--kubefed-namespace',
      ns,
      '--metrics-addr',
      `127.0.0.1:${port}`,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  manager.stderr!.on('data', (d: Buffer) => (managerLog += d.toString()));
  for (const m of members) {
    const r = await kubefedctl(
      'join',
      m,
      '--cluster-context',
      m,
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    );
    if (r.code !== 0) throw new Error(`join ${m} failed: ${r.stderr}`);
  }
});

afterAll(async () => {
  manager?.kill('SIGTERM');
  await new Promise((r) => manager?.once('exit', r));
  for (const m of members)
    await kubefedctl(
      'unjoin',
      m,
      '--cluster-context',
      m,
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
      '--force',
    );
  await kubectl('cluster1', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
});

describe('kubefed-controller-manager', () => {
  it('logs its KubeFedConfig, leadership and controllers', async () => {
    await pollUntil(
      'the manager to lead',
      () =>
        managerLog.includes('promoted as leader')
          ? { done: true, value: 1 }
          : { done: false, seen: managerLog.slice(-300) },
      { timeoutMs: 20_000 },
    );
    expect(managerLog).toContain(`Using valid KubeFedConfig \\"${ns}/kubefed\\"`);
    expect(managerLog).toContain('Starting cluster controller');
  });

  it('marks joined members Ready with version, region and zones; get clusters shows them', async () => {
    const m = await waitFor('all members Ready', (m) =>
      members.every((n) => condition(m.get(n), 'Ready') === 'True'),
    );
    for (const n of members) {
      const c = m.get(n)!;
      expect(c.status!.kubernetesVersion).toMatch(/^v1\.34\./);
      expect(c.status!.region).toBe(`region-${n}`);
      expect(c.status!.zones).toEqual([`region-${n}-a`, `region-${n}-b`]);
    }
    const table = await kubefedctl(
      'get',
      'clusters',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      ns,
    );
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+READY\s+AGE\s+REGION\s+ZONES/);
    for (const n of members)
      expect(table.stdout).toMatch(
        new RegExp(`^${n}\\s+True\\s+\\S+\\s+region-${n}\\s+region-${n}-a,region-${n}-b`, 'm'),
      );
  });

  it('writes no status while nothing changes', async () => {
    const before = await waitFor('all members Ready', (m) =>
      members.every((n) => condition(m.get(n), 'Ready') === 'True'),
    );
    await new Promise((r) => setTimeout(r, 4000)); // four health periods
    const after = await clusters();
    for (const n of members)
      expect(after.get(n)!.metadata.resourceVersion).toBe(before.get(n)!.metadata.resourceVersion);
  });

  it('takes a stopped member Offline after the failure threshold, keeps the others Ready, and recovers', async () => {
    const dir = inject('localDir');
    expect((await kubefedLocal(['stop', 'cluster3/kube-apiserver', '--dir', dir])).code).toBe(0);
    try {
      const m = await waitFor(
        'cluster3 Offline',
        (m) => condition(m.get('cluster3'), 'Offline') === 'True',
        20_000,
      );
      expect(m.get('cluster3')!.status!.conditions![0]!.reason).toBe('ClusterNotReachable');
      expect(condition(m.get('cluster1'), 'Ready')).toBe('True');
      expect(condition(m.get('cluster2'), 'Ready')).toBe('True');
    } finally {
      const r = await kubefedLocal(['start', 'cluster3/kube-apiserver', '--dir', dir]);
      expect(r.code, r.stderr).toBe(0);
    }
    await waitFor('cluster3 Ready again', (m) => condition(m.get('cluster3'), 'Ready') === 'True', 30_000);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/kubefedcluster_total\{state="ready",cluster="cluster3"\} 1/);
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).text()).toBe('ok');
  });

  it('follows credential rotation in the Secret without a restart, and reports a broken Secret', async () => {
    const secret = (await clusters()).get('cluster2')!.spec.secretRef.name;
    const good = (
      await kubectl('cluster1', ['-n', ns, 'get', 'secret', secret, '-o', 'jsonpath={.data.token}'])
    ).trim();
    const patchToken = (token64: string) =>
      kubectl('cluster1', [
        '-n',
        ns,
        'patch',
        'secret',
        secret,
        '--type=merge',
        '-p',
        JSON.stringify({ data: { token: token64 } }),
      ]);
    await patchToken(Buffer.from('not-a-valid-token').toString('base64'));
    let m = await waitFor(
      'cluster2 not Ready with a bad token',
      (m) => condition(m.get('cluster2'), 'Ready') === 'False',
    );
    expect(m.get('cluster2')!.status!.conditions!.map((c) => c.reason)).toContain('ClusterNotReady');
    await patchToken(good);
    await waitFor(
      'cluster2 Ready with the rotated-back token',
      (m) => condition(m.get('cluster2'), 'Ready') === 'True',
    );

    await kubectl('cluster1', [
      '-n',
      ns,
      'patch',
      'secret',
      secret,
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/data/token"}]',
    ]);
    m = await waitFor(
      'cluster2 ConfigMalformed',
      (m) => condition(m.get('cluster2'), 'ConfigMalformed') === 'True',
    );
    expect(m.get('cluster2')!.status!.conditions![0]!.message).toContain('has no data.token');
    const events = await kubectl('cluster1', [
      '-n',
      ns,
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=cluster2,reason=MalformedClusterConfig',
      '-o',
      'name',
    ]);
    expect(events.trim()).not.toBe('');
    await patchToken(good);
    await waitFor(
      'cluster2 Ready after the Secret is fixed',
      (m) => condition(m.get('cluster2'), 'Ready') === 'True',
    );
  });
});

describe('kubefed-controller-manager with a bad KubeFedConfig', () => {
  it('exits non-zero naming the invalid field', async () => {
    const badNs = uniqueName('kf-bad');
    await kubectl('cluster1', ['create', 'namespace', badNs]);
    try {
      await kubectl(
        'cluster1',
        ['apply', '-f', '-'],
        JSON.stringify({
          apiVersion: 'core.kubefed.io/v1beta1',
          kind: 'KubeFedConfig',
          metadata: { name: 'kubefed', namespace: badNs },
          spec: {
            scope: 'Cluster',
            leaderElect: { leaseDuration: '5s', renewDeadline: '10s', retryPeriod: '2s' },
          },
        }),
      );
      const r = await run(
        process.execPath,
        [
          MANAGER,
          '--kubeconfig',
          inject('kubeconfig'),
          '--context',
          'cluster1',
          '--kubefed-namespace',
          badNs,
          '--metrics-addr',
          '127.0.0.1:0',
        ],
        { timeoutMs: 30_000 },
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `KubeFedConfig \\"${badNs}/kubefed\\" is invalid: spec.leaderElect.leaseDuration: must be greater than renewDeadline`,
      );
    } finally {
      await kubectl('cluster1', ['delete', 'namespace', badNs, '--wait=false']);
    }
  });
});
