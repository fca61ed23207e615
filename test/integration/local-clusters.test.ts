/** The shared local clusters behave like real Kubernetes clusters (issue: foundation acceptance). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { readState } from '../../src/cli/local/state.js';
import { pollUntil } from '../../src/poll.js';
import { kubectl, kubefedLocal, REPO_ROOT, run, uniqueName } from '../support/local.js';

const pinned = /^KUBE_VERSION=(\S+)$/m.exec(
  readFileSync(path.join(REPO_ROOT, 'hack/toolchain/versions.env'), 'utf8'),
)![1]!;
const contexts = ['cluster1', 'cluster2', 'cluster3'];
const cleanup: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  await Promise.all(cleanup.map((f) => f().catch(() => undefined)));
});

async function namespace(context: string, prefix: string): Promise<string> {
  const ns = uniqueName(prefix);
  await kubectl(context, ['create', 'namespace', ns]);
  cleanup.push(() => kubectl(context, ['delete', 'namespace', ns, '--wait=false']));
  return ns;
}

describe('kubefed-local clusters', () => {
  it.each(contexts)('%s reports the pinned Kubernetes server version', async (ctx) => {
    const version = JSON.parse(await kubectl(ctx, ['version', '-o', 'json'])) as {
      serverVersion: { gitVersion: string };
    };
    expect(version.serverVersion.gitVersion).toBe(pinned);
  });

  it('runs a Deployment in cluster2 to readyReplicas 3 on kwok nodes', async () => {
    const ns = await namespace('cluster2', 'deploy');
    await kubectl('cluster2', ['-n', ns, 'create', 'deployment', 'web', '--image=nginx', '--replicas=3']);
    const ready = await pollUntil(
      `deployment ${ns}/web in cluster2 to have readyReplicas 3`,
      async () => {
        const d = JSON.parse(
          await kubectl('cluster2', ['-n', ns, 'get', 'deployment', 'web', '-o', 'json']),
        ) as {
          status: { readyReplicas?: number; replicas?: number };
        };
        return d.status.readyReplicas === 3
          ? { done: true, value: d.status }
          : { done: false, seen: JSON.stringify(d.status) };
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    expect(ready.readyReplicas).toBe(3);
    const pods = JSON.parse(await kubectl('cluster2', ['-n', ns, 'get', 'pods', '-o', 'json'])) as {
      items: { spec: { nodeName: string }; status: { phase: string } }[];
    };
    expect(pods.items).toHaveLength(3);
    for (const p of pods.items) {
      expect(p.status.phase).toBe('Running');
      expect(p.spec.nodeName).toMatch(/^cluster2-node-\d$/);
    }
  });

  it('deletes a namespace created and deleted in cluster1 (namespace controller runs)', async () => {
    const ns = uniqueName('gone');
    await kubectl('cluster1', ['create', 'namespace', ns]);
    await kubectl('cluster1', ['-n', ns, 'create', 'configmap', 'c', '--from-literal=a=b']);
    await kubectl('cluster1', ['delete', 'namespace', ns, '--wait=false']);
    await pollUntil(
      `namespace ${ns} in cluster1 to disappear`,
      async () => {
        const r = await run(inject('kubectl'), [
          '--kubeconfig',
          inject('kubeconfig'),
          '--context',
          'cluster1',
          'get',
          'namespace',
          ns,
          '-o',
          'jsonpath={.status.phase}',
        ]);
        return r.code !== 0 && r.stderr.includes('NotFound')
          ? { done: true, value: undefined }
          : { done: false, seen: r.stdout || r.stderr };
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });

  it('fills a kubernetes.io/service-account-token Secret with a token that authenticates as the account', async () => {
    const ns = await namespace('cluster3', 'token');
    await kubectl('cluster3', ['-n', ns, 'create', 'serviceaccount', 'joiner']);
    await kubectl(
      'cluster3',
      ['-n', ns, 'apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/service-account-token',
        metadata: { name: 'joiner-token', annotations: { 'kubernetes.io/service-account.name': 'joiner' } },
      }),
    );
    const token = await pollUntil(
      `secret ${ns}/joiner-token in cluster3 to get data.token`,
      async () => {
        const t = await kubectl('cluster3', [
          '-n',
          ns,
          'get',
          'secret',
          'joiner-token',
          '-o',
          'jsonpath={.data.token}',
        ]);
        return t
          ? { done: true, value: Buffer.from(t, 'base64').toString() }
          : { done: false, seen: 'no data.token' };
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    // The token is real: cluster3 authenticates it as the service account; cluster2 (other issuer and key) does not.
    const server = (ctx: string) =>
      kubectl(ctx, ['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}']);
    const whoami = async (ctx: string) =>
      run(inject('kubectl'), [
        '--kubeconfig',
        '/dev/null',
        '--server',
        await server(ctx),
        '--insecure-skip-tls-verify',
        '--token',
        token,
        'auth',
        'whoami',
        '-o',
        'jsonpath={.status.userInfo.username}',
      ]);
    const own = await whoami('cluster3');
    expect(own.stdout).toBe(`system:serviceaccount:${ns}:joiner`);
    const other = await whoami('cluster2');
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/Unauthorized/i);
  });

  it('labels two fake nodes per cluster with a zone and a region distinct per cluster', async () => {
    const regions = new Set<string>();
    for (const ctx of contexts) {
      const nodes = JSON.parse(await kubectl(ctx, ['get', 'nodes', '-o', 'json'])) as {
        items: { metadata: { name: string; labels: Record<string, string> } }[];
      };
      expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual([`${ctx}-node-0`, `${ctx}-node-1`]);
      const zones = new Set(nodes.items.map((n) => n.metadata.labels['topology.kubernetes.io/zone']));
      const region = new Set(nodes.items.map((n) => n.metadata.labels['topology.kubernetes.io/region']));
      expect(zones.size).toBe(2);
      expect(region.size).toBe(1);
      regions.add([...region][0]!);
    }
    expect(regions.size).toBe(contexts.length);
  });
});

describe('kubefed-local commands on running clusters', () => {
  const dir = () => inject('localDir');

  it('up when already up says so and exits 0', async () => {
    const r = await kubefedLocal(['up', '--dir', dir()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('already up');
  });

  it('status shows every component healthy', async () => {
    const r = await kubefedLocal(['status', '--dir', dir(), '-o', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as {
      healthy: boolean;
      components: { id: string; healthy: boolean }[];
    };
    expect(report.healthy).toBe(true);
    const ids = report.components.map((c) => c.id);
    expect(ids).toContain('etcd');
    for (const ctx of contexts) {
      for (const k of ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'])
        expect(ids).toContain(`${ctx}/${k}`);
    }
  });

  it('kubeconfig prints the path of the kubeconfig with every context', async () => {
    const r = await kubefedLocal(['kubeconfig', '--dir', dir()]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(inject('kubeconfig'));
    const ctxs = await run(inject('kubectl'), [
      '--kubeconfig',
      r.stdout.trim(),
      'config',
      'get-contexts',
      '-o',
      'name',
    ]);
    expect(ctxs.stdout.trim().split('\n').sort()).toEqual(contexts);
  });

  it('env prints KUBECONFIG and a PATH with the toolchain (helm, kube-apiserver) first', async () => {
    const r = await kubefedLocal(['env', '--dir', dir()]);
    expect(r.code).toBe(0);
    const sh = await run('bash', [
      '-c',
      `${r.stdout}\nprintf '%s\\n' "$KUBECONFIG" "$(command -v helm)" "$(kube-apiserver --version)"`,
    ]);
    const [kubeconfig, helm, apiserver] = sh.stdout.trim().split('\n');
    expect(kubeconfig).toBe(inject('kubeconfig'));
    expect(helm).toBe(path.join(readState(dir())!.binDir, 'helm'));
    expect(apiserver).toBe(`Kubernetes ${pinned}`);
  });
});
