/**
 * Security (issue #13, part 3), on the real local clusters:
 * - TLS verification is on by default: a KubeFedCluster whose caBundle is not its API server's CA
 *   is not Ready and says why (certificate); only `spec.disabledTLSValidations: ["*"]` relaxes it;
 * - the member identity a Namespaced join creates, used with its own token from the host Secret,
 *   may work in its namespace (and read /healthz and nodes for the health check) and is Forbidden
 *   everywhere else;
 * - member credentials never appear in the manager's log, Events, statuses or metrics, even after
 *   failures that quote errors (a rejected token, a TLS failure, a bad override).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KubeFedCluster } from '../../src/api/core.js';
import { roleName, serviceAccountName } from '../../src/cli/kubefedctl/membership.js';
import type { KubeObject } from '../../src/kube/resource.js';
import { apply, getObject, MEMBERS, TestControlPlane, waitFor } from '../support/control-plane.js';
import { FederatedSet, ROLES, seqNames } from '../support/convergence.js';
import { kubectl, run, uniqueName } from '../support/local.js';

// Roles: a type no other test federates (see test/support/convergence.ts).
const cp = new TestControlPlane({ prefix: 'kf-sec', types: [ROLES.target] });
const work = mkdtempSync(path.join(tmpdir(), 'kubefed-security-'));
/** Every credential the scan looks for, with a label that is safe to print. */
const credentials: { label: string; token: string }[] = [];

type Secret = KubeObject & { data?: Record<string, string> };
type FederatedObjectLike = KubeObject & { status?: unknown };

const conditions = (c: KubeFedCluster | undefined) =>
  (c?.status?.conditions ?? []).map((x) => `${x.type}=${x.status} ${x.reason ?? ''}: ${x.message ?? ''}`);

async function kubeFedCluster(ns: string, name: string): Promise<KubeFedCluster | undefined> {
  return getObject<KubeFedCluster>('cluster1', ['-n', ns, 'kubefedcluster', name]);
}

async function tokenOf(ns: string, cluster: string): Promise<string> {
  const kfc = await kubeFedCluster(ns, cluster);
  const secret = await getObject<Secret>('cluster1', ['-n', ns, 'secret', kfc!.spec.secretRef.name]);
  const token = Buffer.from(secret?.data?.token ?? '', 'base64').toString('utf8');
  if (!token) throw new Error(`KubeFedCluster ${ns}/${cluster}: its Secret holds no data.token`);
  return token;
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

// The two control planes of this file both federate Roles: one at a time, so neither removes the
// managed label from the other's copies.
describe('a Cluster-scoped control plane', () => {
  beforeAll(async () => {
    await cp.setup();
    for (const m of MEMBERS)
      credentials.push({ label: `token of member ${m}`, token: await tokenOf(cp.kfns, m) });
  });
  afterAll(() => cp.teardown(), 300_000);

  describe('TLS verification', () => {
    it('refuses a member whose caBundle is not its CA with a certificate message, and accepts it only with disabledTLSValidations ["*"]', async () => {
      // A CA that never signed anything of the local clusters.
      execFileSync('openssl', [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        path.join(work, 'wrong-ca.key'),
        '-out',
        path.join(work, 'wrong-ca.pem'),
        '-subj',
        '/CN=kubefed-test-wrong-ca',
        '-days',
        '1',
      ]);
      const wrongCa = readFileSync(path.join(work, 'wrong-ca.pem')).toString('base64');
      const cluster2 = await kubeFedCluster(cp.kfns, 'cluster2');
      const source = await getObject<Secret>('cluster1', [
        '-n',
        cp.kfns,
        'secret',
        cluster2!.spec.secretRef.name,
      ]);
      const name = uniqueName('tls');
      await apply('cluster1', {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name, namespace: cp.kfns },
        data: { token: source!.data!.token },
      });
      try {
        await apply('cluster1', {
          apiVersion: 'core.kubefed.io/v1beta1',
          kind: 'KubeFedCluster',
          metadata: { name, namespace: cp.kfns },
          spec: { apiEndpoint: cluster2!.spec.apiEndpoint, caBundle: wrongCa, secretRef: { name } },
        });
        const refused = await waitFor(`KubeFedCluster ${name} not reachable`, async () => {
          const c = await kubeFedCluster(cp.kfns, name);
          const seen = conditions(c);
          return [
            seen.some((x) => x.startsWith('Offline=True ClusterNotReachable')),
            seen,
            JSON.stringify(seen),
          ];
        });
        expect(refused.some((x) => x.startsWith('Ready=True'))).toBe(false);
        expect(refused.join('\n')).toMatch(/certificate/i);
        console.info(`wrong caBundle: ${refused.join(' | ')}`);

        // A token that works does not make it Ready: only the explicit exception does.
        await kubectl('cluster1', [
          '-n',
          cp.kfns,
          'patch',
          'kubefedcluster',
          name,
          '--type=merge',
          '-p',
          JSON.stringify({ spec: { disabledTLSValidations: ['*'] } }),
        ]);
        await waitFor(`KubeFedCluster ${name} Ready with disabledTLSValidations ["*"]`, async () => {
          const seen = conditions(await kubeFedCluster(cp.kfns, name));
          return [seen.some((x) => x.startsWith('Ready=True')), seen, JSON.stringify(seen)];
        });
      } finally {
        await kubectl('cluster1', ['-n', cp.kfns, 'delete', 'kubefedcluster', name, '--ignore-not-found']);
        await kubectl('cluster1', ['-n', cp.kfns, 'delete', 'secret', name, '--ignore-not-found']);
      }
    });
  });

  describe('the member identity of a Namespaced join', () => {
    const hostNs = uniqueName('kf-secns');
    const sa = `cluster2-${hostNs}`;
    const user = `system:serviceaccount:${hostNs}:${sa}`;
    const kubeconfig = path.join(work, 'member-identity.kubeconfig');
    const asMember = (...args: string[]) => run(inject('kubectl'), ['--kubeconfig', kubeconfig, ...args]);

    beforeAll(async () => {
      await kubectl('cluster1', ['create', 'namespace', hostNs]);
      const r = await cp.kubefedctl(
        'join',
        'cluster2',
        '--cluster-context',
        'cluster2',
        '--host-cluster-context',
        'cluster1',
        '--kubefed-namespace',
        hostNs,
        '--host-cluster-name',
        hostNs,
        '--scope',
        'Namespaced',
      );
      if (r.code !== 0) throw new Error(`namespaced join of cluster2 failed: ${r.stderr}`);
      const kfc = await kubeFedCluster(hostNs, 'cluster2');
      const token = await tokenOf(hostNs, 'cluster2');
      credentials.push({ label: 'token of the Namespaced join of cluster2', token });
      // Only what the host stores: endpoint, CA and the token, nothing of the test's admin identity.
      writeFileSync(
        kubeconfig,
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [
            {
              name: 'member',
              cluster: { server: kfc!.spec.apiEndpoint, 'certificate-authority-data': kfc!.spec.caBundle },
            },
          ],
          users: [{ name: 'member', user: { token } }],
          contexts: [{ name: 'member', context: { cluster: 'member', user: 'member' } }],
          'current-context': 'member',
        }),
        { mode: 0o600 },
      );
    });

    afterAll(async () => {
      await cp.kubefedctl(
        'unjoin',
        'cluster2',
        '--cluster-context',
        'cluster2',
        '--host-cluster-context',
        'cluster1',
        '--kubefed-namespace',
        hostNs,
        '--host-cluster-name',
        hostNs,
        '--force',
      );
      await kubectl('cluster1', ['delete', 'namespace', hostNs, '--ignore-not-found', '--wait=false']);
      await kubectl('cluster2', ['delete', 'namespace', hostNs, '--ignore-not-found', '--wait=false']);
    });

    it('is the service account join created, and may work in its namespace and read /healthz and nodes', async () => {
      const who = await asMember('auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}');
      expect(who.stderr).toBe('');
      expect(who.stdout).toBe(user);
      const create = await asMember('-n', hostNs, 'create', 'configmap', 'allowed', '--from-literal=k=v');
      expect(create.stderr).toBe('');
      expect((await asMember('-n', hostNs, 'get', 'configmap', 'allowed', '-o', 'name')).stdout.trim()).toBe(
        'configmap/allowed',
      );
      expect((await asMember('-n', hostNs, 'delete', 'configmap', 'allowed')).code).toBe(0);
      expect((await asMember('get', '--raw', '/healthz')).stdout).toBe('ok');
      expect((await asMember('get', 'nodes', '-o', 'name')).code).toBe(0);
    });

    it.each([
      ['read Secrets in kube-system', ['-n', 'kube-system', 'get', 'secrets']],
      ['read ConfigMaps in default', ['-n', 'default', 'get', 'configmaps']],
      ['write a ConfigMap in default', ['-n', 'default', 'create', 'configmap', 'refused']],
      ['list ConfigMaps of all namespaces', ['get', 'configmaps', '--all-namespaces']],
      ['create a Namespace', ['create', 'namespace', 'kubefed-security-refused']],
      ['read ClusterRoles', ['get', 'clusterroles']],
      [
        'bind itself cluster-wide',
        ['create', 'clusterrolebinding', 'refused', '--clusterrole=cluster-admin', '--user=intruder'],
      ],
      ['delete a Namespace', ['delete', 'namespace', 'default', '--dry-run=server']],
    ])('is Forbidden to %s', async (_what, args) => {
      const r = await asMember(...args);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/\(Forbidden\)|is forbidden/);
      expect(r.stderr).toContain(`User "${user}"`);
    });
  });

  describe('credentials', () => {
    it('never appear in the manager log, Events, statuses or metrics, even after failures that quote errors', async () => {
      const set = new FederatedSet(cp, await cp.federatedNamespace(['cluster2', 'cluster3'], 'sec'));
      await set.add(seqNames('obj', 3), ['cluster2', 'cluster3']);
      await set.waitForExactConvergence();
      // A failure that quotes what went wrong: an override of a path that does not exist.
      const badNs = await cp.federatedNamespace(['cluster2'], 'sec-bad');
      await apply('cluster1', {
        apiVersion: `${cp.group}/v1beta1`,
        kind: 'FederatedRole',
        metadata: { name: 'badpath', namespace: badNs },
        spec: {
          template: ROLES.template({ name: 'badpath' }),
          placement: { clusters: [{ name: 'cluster2' }] },
          overrides: [{ clusterName: 'cluster2', clusterOverrides: [{ path: '/spec/nothing', value: 'x' }] }],
        },
      });
      await cp.waitForStatus(
        set.federatedResource,
        badNs,
        'badpath',
        ['cluster2:ApplyOverridesFailed'],
        'False',
      );

      // A rejected token: the member answers 401 and the control plane reports it.
      const cluster3 = await kubeFedCluster(cp.kfns, 'cluster3');
      const secretName = cluster3!.spec.secretRef.name;
      const good = (
        await kubectl('cluster1', [
          '-n',
          cp.kfns,
          'get',
          'secret',
          secretName,
          '-o',
          'jsonpath={.data.token}',
        ])
      ).trim();
      const bogus = `bogus-${uniqueName('token')}-${'x'.repeat(24)}`;
      credentials.push({ label: 'a rejected token', token: bogus });
      const patchToken = (token64: string) =>
        kubectl('cluster1', [
          '-n',
          cp.kfns,
          'patch',
          'secret',
          secretName,
          '--type=merge',
          '-p',
          JSON.stringify({ data: { token: token64 } }),
        ]);
      await patchToken(Buffer.from(bogus).toString('base64'));
      try {
        await waitFor('cluster3 NotReady with the rejected token', async () => {
          const seen = conditions(await kubeFedCluster(cp.kfns, 'cluster3'));
          return [seen.some((x) => x.startsWith('Ready=False')), seen, JSON.stringify(seen)];
        });
        await cp.waitForStatus(
          set.federatedResource,
          set.ns,
          'obj-000',
          ['cluster2:', 'cluster3:ClusterNotReady'],
          'False',
        );
      } finally {
        await patchToken(good);
      }
      await set.waitForExactConvergence();

      // Everything the control plane wrote where users look.
      const sources: Record<string, string> = {
        'the manager log': cp.log,
        'the /metrics page': await cp.metrics(),
      };
      for (const ns of [cp.kfns, ...cp.testNamespaces])
        sources[`Events in ${ns}`] = await kubectl('cluster1', ['-n', ns, 'get', 'events', '-o', 'json']);
      sources['KubeFedClusters'] = await kubectl('cluster1', [
        '-n',
        cp.kfns,
        'get',
        'kubefedclusters',
        '-o',
        'json',
      ]);
      sources['FederatedTypeConfigs'] = await kubectl('cluster1', [
        '-n',
        cp.kfns,
        'get',
        'federatedtypeconfigs',
        '-o',
        'json',
      ]);
      for (const resource of [set.federatedResource, cp.resource('namespaces'), 'propagatedversions'])
        sources[`${resource} in ${set.ns}`] = await kubectl('cluster1', [
          '-n',
          set.ns,
          'get',
          resource,
          '-o',
          'json',
        ]);

      // The scan looked at the failures themselves (else it would prove nothing).
      const all = Object.values(sources).join('\n');
      expect(all).toContain('ApplyOverridesFailed');
      expect(all).toMatch(/Unauthorized/);
      expect(sources['the manager log']).toContain('promoted as leader');

      // Whole tokens, their base64, and each JWT part that is unique to a token (payload, signature).
      const needles = credentials.flatMap(({ label, token }) => [
        { label, text: token },
        { label: `${label} (base64)`, text: Buffer.from(token).toString('base64') },
        ...token
          .split('.')
          .slice(1)
          .filter((part) => part.length >= 16)
          .map((part, i) => ({ label: `${label} (JWT part ${i + 2})`, text: part })),
      ]);
      expect(needles.length).toBeGreaterThan(credentials.length * 2);
      // Positive control: the scan finds the token where it belongs, in cluster2's credential Secret.
      const cluster2Secret = await kubectl('cluster1', [
        '-n',
        cp.kfns,
        'get',
        'secret',
        (await kubeFedCluster(cp.kfns, 'cluster2'))!.spec.secretRef.name,
        '-o',
        'json',
      ]);
      expect(needles.filter((n) => cluster2Secret.includes(n.text)).map((n) => n.label)).toContain(
        'token of member cluster2 (base64)',
      );
      // Labels only: a failing run must not print the credential it found.
      const leaks = Object.entries(sources).flatMap(([where, text]) =>
        needles.filter((n) => text.includes(n.text)).map((n) => `${n.label} in ${where}`),
      );
      expect(leaks).toEqual([]);
    });
  });
});

describe('a Namespaced control plane', () => {
  const plane = new TestControlPlane({
    prefix: 'kf-secscope',
    types: [ROLES.target],
    kubeFedConfig: { scope: 'Namespaced' },
  });
  const outside = uniqueName('kf-outside');

  beforeAll(async () => {
    await plane.setup();
    await kubectl('cluster1', ['create', 'namespace', outside]);
    await kubectl('cluster2', ['create', 'namespace', outside]);
  });
  afterAll(async () => {
    await kubectl('cluster1', ['delete', 'namespace', outside, '--ignore-not-found', '--wait=false']);
    await kubectl('cluster2', ['delete', 'namespace', outside, '--ignore-not-found', '--wait=false']);
    await plane.teardown();
    // The member namespaces its joins created (unjoin keeps them while they hold anything).
    for (const m of ['cluster2', 'cluster3'])
      await kubectl(m, ['delete', 'namespace', plane.kfns, '--ignore-not-found', '--wait=false']);
  }, 300_000);

  it('propagates in its namespace only, with namespace grants only, and never meets a Forbidden', async () => {
    // Its joins followed the KubeFedConfig's scope: each member holds a Role of the control plane.
    const roles = MEMBERS.map((m) => roleName(serviceAccountName(m, plane.kfns)));
    for (const [i, m] of MEMBERS.entries())
      expect(await kubectl(m, ['-n', plane.kfns, 'get', 'role', roles[i]!, '-o', 'name'])).toContain(
        roles[i],
      );
    const set = new FederatedSet(plane, plane.kfns, { ...ROLES, builtIn: roles });
    await set.add(seqNames('obj', 3), ['cluster2', 'cluster3']);
    // A federated object outside its namespace, and a managed member object outside it.
    await apply('cluster1', {
      apiVersion: `${plane.group}/v1beta1`,
      kind: 'FederatedRole',
      metadata: { name: 'outside', namespace: outside },
      spec: {
        template: ROLES.template({ name: 'outside' }),
        placement: { clusters: [{ name: 'cluster2' }] },
      },
    });
    await apply('cluster2', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'outside', namespace: outside, labels: { 'kubefed.io/managed': 'true' } },
      rules: [],
    });
    await set.waitForExactConvergence();
    // Long enough for a reconcile of anything it would see (the inside objects converged already).
    await new Promise((r) => setTimeout(r, 3000));
    const fed = await getObject<FederatedObjectLike>('cluster1', [
      '-n',
      outside,
      set.federatedResource,
      'outside',
    ]);
    expect(fed?.metadata.finalizers).toBeUndefined();
    expect(fed?.status).toBeUndefined();
    const member = await getObject('cluster2', ['-n', outside, 'role', 'outside']);
    expect(member?.metadata.labels).toEqual({ 'kubefed.io/managed': 'true' });
    expect(await getObject('cluster3', ['-n', outside, 'role', 'outside'])).toBeUndefined();
    // Every member request it made was inside its grant: RBAC refused nothing.
    expect(plane.log).toContain('promoted as leader');
    expect(plane.log).not.toMatch(/forbidden/i);

    // Deleting the federated objects removes their copies (and nothing else) before teardown.
    await set.delete([...set.desired.keys()]);
    await set.waitForExactConvergence();
  });
});
