/** `kubefedctl orphaning-deletion` on a federated object in the host cluster. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { installCrds, kubectl, REPO_ROOT, run, uniqueName } from '../support/local.js';

const KUBEFEDCTL = path.join(REPO_ROOT, 'dist', 'cli', 'kubefedctl', 'main.js');
const ns = uniqueName('orphan');
const kubefedNs = uniqueName('kf-orphan');
const kubefedctl = (...args: string[]) =>
  run(process.execPath, [
    KUBEFEDCTL,
    ...args,
    '--kubeconfig',
    inject('kubeconfig'),
    '--host-cluster-context',
    'cluster1',
    '--kubefed-namespace',
    kubefedNs,
  ]);
const annotation = async () =>
  (
    await kubectl('cluster1', [
      '-n',
      ns,
      'get',
      'federatedconfigmaps.types.kubefed.io',
      'cm',
      '-o',
      `jsonpath={.metadata.annotations.kubefed\\.io/orphan}`,
    ])
  ).trim();

beforeAll(async () => {
  await installCrds();
  for (const n of [ns, kubefedNs]) await kubectl('cluster1', ['create', 'namespace', n]);
  // The configmaps type is enabled in this test's own control-plane namespace.
  await kubectl(
    'cluster1',
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'core.kubefed.io/v1beta1',
      kind: 'FederatedTypeConfig',
      metadata: { name: 'configmaps', namespace: kubefedNs },
      spec: {
        propagation: 'Enabled',
        targetType: { version: 'v1', kind: 'ConfigMap', pluralName: 'configmaps', scope: 'Namespaced' },
        federatedType: {
          group: 'types.kubefed.io',
          version: 'v1beta1',
          kind: 'FederatedConfigMap',
          pluralName: 'federatedconfigmaps',
          scope: 'Namespaced',
        },
      },
    }),
  );
  await kubectl(
    'cluster1',
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'types.kubefed.io/v1beta1',
      kind: 'FederatedConfigMap',
      metadata: { name: 'cm', namespace: ns },
      spec: { template: { data: { a: 'b' } }, placement: { clusterSelector: {} } },
    }),
  );
});

afterAll(async () => {
  for (const n of [ns, kubefedNs])
    await kubectl('cluster1', ['delete', 'namespace', n, '--wait=false']).catch(() => '');
});

describe('kubefedctl orphaning-deletion', () => {
  it('enables, reports and disables the orphan annotation, by enabled type or federated type', async () => {
    let r = await kubefedctl('orphaning-deletion', 'status', 'configmaps', 'cm', '-n', ns);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Disabled\n');

    r = await kubefedctl('orphaning-deletion', 'enable', 'configmaps', 'cm', '-n', ns);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Orphaning deletion enabled for FederatedConfigMap "${ns}/cm"\n`);
    expect(await annotation()).toBe('true');
    expect(
      (
        await kubefedctl(
          'orphaning-deletion',
          'status',
          'federatedconfigmaps.types.kubefed.io',
          'cm',
          '-n',
          ns,
        )
      ).stdout,
    ).toBe('Enabled\n');
    expect(
      (
        await kubefedctl(
          'orphaning-deletion',
          'enable',
          'federatedconfigmap.types.kubefed.io',
          'cm',
          '-n',
          ns,
        )
      ).stdout,
    ).toBe(`Orphaning deletion already enabled for FederatedConfigMap "${ns}/cm"\n`);

    r = await kubefedctl('orphaning-deletion', 'disable', 'configmaps', 'cm', '-n', ns);
    expect(r.stdout).toBe(`Orphaning deletion disabled for FederatedConfigMap "${ns}/cm"\n`);
    expect(await annotation()).toBe('');
    expect((await kubefedctl('orphaning-deletion', 'status', 'configmaps', 'cm', '-n', ns)).stdout).toBe(
      'Disabled\n',
    );
  });

  it('names a missing object and an unknown type in one line, exit 1', async () => {
    const missing = await kubefedctl('orphaning-deletion', 'status', 'configmaps', 'nope', '-n', ns);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(
      `kubefedctl: FederatedConfigMap "${ns}/nope" not found in host cluster "cluster1"`,
    );
    const unknown = await kubefedctl('orphaning-deletion', 'status', 'nosuchthings', 'cm', '-n', ns);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown type "nosuchthings"');
  });
});
