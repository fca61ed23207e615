/**
 * The user guide's three `kubefedctl federate` commands (§6), run as the guide writes them, end to
 * end: a real kubefed-controller-manager propagates what they produce to the members. Two additions
 * keep the run apart from other tests: `--kubefed-namespace` (this run's control plane and FTCs)
 * and, for `--filename`, which contacts no cluster, `--federated-group` (this run's federated group
 * instead of types.kubefed.io).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FederatedObject } from '../../src/api/types.js';
import type { KubeObject } from '../../src/kube/resource.js';
import { getObject, propagation, TestControlPlane, waitFor } from '../support/control-plane.js';
import { kubectl, REPO_ROOT, run, uniqueName } from '../support/local.js';

const cp = new TestControlPlane({
  prefix: 'kf-fedp',
  types: [
    { version: 'v1', kind: 'ConfigMap', pluralName: 'configmaps', scope: 'Namespaced' },
    { group: 'apps', version: 'v1', kind: 'Deployment', pluralName: 'deployments', scope: 'Namespaced' },
  ],
});
const KUBEFEDCTL = path.join(REPO_ROOT, 'dist', 'cli', 'kubefedctl', 'main.js');
const MEMBERS = ['cluster2', 'cluster3'];

/** A shell command line, as a user types it: `kubefedctl` and `kubectl` on PATH, KUBECONFIG set. */
async function shell(line: string) {
  const bin = mkdtempSync(path.join(tmpdir(), 'kf-fedp-bin-'));
  writeFileSync(
    path.join(bin, 'kubefedctl'),
    `#!/bin/sh\nexec "${process.execPath}" "${KUBEFEDCTL}" "$@" --kubefed-namespace ${cp.kfns}\n`,
    { mode: 0o755 },
  );
  writeFileSync(path.join(bin, 'kubectl'), `#!/bin/sh\nexec "${inject('kubectl')}" "$@"\n`, { mode: 0o755 });
  return run('/bin/bash', ['-c', `set -o pipefail; ${line}`], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, KUBECONFIG: inject('kubeconfig') },
    timeoutMs: 120_000,
  });
}

/** The member's copy once it carries the managed label and `ok(copy)` holds. */
async function memberCopy(cluster: string, args: string[], ok: (o: KubeObject) => boolean = () => true) {
  return waitFor(`${args.join(' ')} in ${cluster}`, async () => {
    const o = await getObject(cluster, args);
    return [
      o?.metadata.labels?.['kubefed.io/managed'] === 'true' && ok(o),
      o!,
      JSON.stringify(o?.metadata.labels ?? 'absent'),
    ];
  });
}

async function propagated(resource: string, ns: string, name: string) {
  return waitFor(`${resource} ${ns}/${name} Propagation=True`, async () => {
    const f = await getObject<FederatedObject>('cluster1', ['-n', ns, cp.resource(resource), name]);
    return [propagation(f)?.status === 'True', f!, JSON.stringify(f?.status ?? 'absent')];
  });
}

beforeAll(() => cp.setup());
afterAll(() => cp.teardown());

describe('the user guide, section 6, end to end', () => {
  it('kubefedctl federate configmaps my-configmap -n my-namespace: the ConfigMap reaches the members', async () => {
    const ns = await cp.federatedNamespace(MEMBERS, 'fedp');
    await kubectl('cluster1', [
      '-n',
      ns,
      'create',
      'configmap',
      'my-configmap',
      '--from-literal=greeting=hello',
    ]);

    const r = await shell(`kubefedctl federate configmaps my-configmap -n ${ns}`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('created');

    for (const c of MEMBERS) {
      const copy = await memberCopy(c, ['-n', ns, 'configmap', 'my-configmap']);
      expect((copy as KubeObject & { data?: unknown }).data).toEqual({ greeting: 'hello' });
    }
    const f = await propagated('configmaps', ns, 'my-configmap');
    expect(f.status?.clusters?.map((c) => c.name).sort()).toEqual(MEMBERS);
  });

  it('kubefedctl federate namespace my-ns --contents --skip-api-resources="endpoints,events": the namespace and its objects reach every member', async () => {
    const ns = uniqueName('fedp-ns');
    cp.testNamespaces.push(ns);
    await kubectl('cluster1', ['create', 'namespace', ns]);
    await kubectl('cluster1', ['-n', ns, 'create', 'configmap', 'settings', '--from-literal=mode=blue']);
    await kubectl('cluster1', ['-n', ns, 'create', 'deployment', 'web', '--image=registry.invalid/web:1']);

    const r = await shell(
      `kubefedctl federate namespace ${ns} --contents --skip-api-resources="endpoints,events"`,
    );
    expect(r.code, r.stderr).toBe(0);
    // The Deployment's ReplicaSet and Pods are owned, the generated ConfigMap and ServiceAccount per cluster.
    expect(r.stdout).toMatch(/federatednamespace\S* created/);
    expect(r.stdout).toMatch(/federatedconfigmap\S*\/settings created/);
    expect(r.stdout).toMatch(/federateddeployment\S*\/web created/);
    expect(r.stdout).not.toMatch(/endpoints|federatedevent|replicaset/i);

    // Placement `clusterSelector: {}` = every member cluster, the host included.
    for (const c of MEMBERS) {
      await memberCopy(c, ['namespace', ns]);
      const cm = await memberCopy(c, ['-n', ns, 'configmap', 'settings']);
      expect((cm as KubeObject & { data?: unknown }).data).toEqual({ mode: 'blue' });
      const d = await memberCopy(c, ['-n', ns, 'deployment', 'web']);
      expect(JSON.stringify(d)).toContain('registry.invalid/web:1');
    }
    for (const [resource, name] of [
      ['namespaces', ns],
      ['configmaps', 'settings'],
      ['deployments', 'web'],
    ] as const) {
      const f = await propagated(resource, ns, name);
      expect(f.status?.clusters?.map((c) => c.name).sort(), `${resource} ${name}`).toEqual([
        'cluster1',
        ...MEMBERS,
      ]);
    }

    // The host is a member too: deleting the namespace there must finish, and remove the members' copies.
    await kubectl('cluster1', ['delete', 'namespace', ns, '--wait=false']);
    for (const c of ['cluster1', ...MEMBERS])
      await waitFor(`namespace ${ns} gone from ${c}`, async () => {
        const n = await getObject(c, ['namespace', ns]);
        return [n === undefined, n, JSON.stringify(n?.status)];
      });
  });

  it('kubefedctl federate --filename=resource.yaml | kubectl apply -f -: the file becomes federated objects that reach the members', async () => {
    const ns = await cp.federatedNamespace(MEMBERS, 'fedp');
    const dir = mkdtempSync(path.join(tmpdir(), 'kf-fedp-'));
    writeFileSync(
      path.join(dir, 'resource.yaml'),
      [
        `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-file, namespace: ${ns}}\ndata: {colour: green}`,
        `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: ${ns}}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: api, image: registry.invalid/api:2}]}`,
      ].join('\n---\n'),
    );

    const r = await shell(
      `cd ${dir} && kubefedctl federate --filename=resource.yaml --federated-group ${cp.group} | kubectl apply -f -`,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`federatedconfigmap.${cp.group}/from-file created`);
    expect(r.stdout).toContain(`federateddeployment.${cp.group}/api created`);

    for (const c of MEMBERS) {
      const cm = await memberCopy(c, ['-n', ns, 'configmap', 'from-file']);
      expect((cm as KubeObject & { data?: unknown }).data).toEqual({ colour: 'green' });
      await memberCopy(c, ['-n', ns, 'deployment', 'api'], (d) => JSON.stringify(d).includes('api:2'));
    }
    await propagated('configmaps', ns, 'from-file');
    await propagated('deployments', ns, 'api');
  });
});
