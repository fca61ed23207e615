/**
 * kubefedctl enable / disable on the real local clusters (cluster1 = host), run through the built
 * binary. Every describe uses its own KubeFed namespace and its own federated group
 * (`t<random>.kubefed.io`: CRD names are cluster-wide), and removes what it created.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { installCrds, kubectl, REPO_ROOT, run, uniqueName, type RunResult } from '../support/local.js';

const CLI = path.join(REPO_ROOT, 'dist', 'cli', 'kubefedctl', 'main.js');
const CLUSTERS = ['cluster1', 'cluster2', 'cluster3'] as const;

function kubefedctl(args: readonly string[]): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args, '--kubeconfig', inject('kubeconfig')], { timeoutMs: 150_000 });
}

/** kubectl that may fail (the caller asserts on the exit code and stderr). */
function kubectlResult(context: string, args: readonly string[], input?: string): Promise<RunResult> {
  return run(inject('kubectl'), ['--kubeconfig', inject('kubeconfig'), '--context', context, ...args], {
    ...(input === undefined ? {} : { input }),
  });
}

async function getJson<T>(context: string, args: readonly string[]): Promise<T> {
  return JSON.parse(await kubectl(context, ['get', ...args, '-o', 'json'])) as T;
}

async function exists(context: string, args: readonly string[]): Promise<boolean> {
  return (await kubectl(context, ['get', ...args, '--ignore-not-found', '-o', 'name'])).trim() !== '';
}

const randomGroup = (prefix: string) => `${prefix}${Math.random().toString(36).slice(2, 8)}.kubefed.io`;

interface Crd {
  metadata: { name: string; generation: number };
  spec: {
    group: string;
    names: { kind: string; plural: string; shortNames?: string[] };
    scope: string;
    versions: { name: string; schema: { openAPIV3Schema: Schema } }[];
  };
}
interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  [k: string]: unknown;
}
interface Ftc {
  metadata: { name: string; namespace: string };
  spec: { propagation: string; targetType: Record<string, string>; federatedType: Record<string, string> };
}

const specSchema = (crd: Crd) => crd.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;

/** A KubeFed namespace on the host plus everything a describe creates, removed afterwards. */
function fixture(prefix: string) {
  const ns = uniqueName(prefix);
  const group = randomGroup('t');
  // Member RBAC names are cluster-wide (`kubefed-controller-manager:<cluster>-<host name>`): a host
  // name of its own keeps these joins apart from other tests' joins of the same clusters.
  const membership = ['--host-cluster-context', 'cluster1', '--host-cluster-name', `h${group.slice(1, 7)}`];
  const crds: { context: string; name: string }[] = [];
  const namespaces: string[] = [];
  const joined: string[] = [];
  return {
    ns,
    group,
    /** Common flags: this describe's namespace and federated group. */
    flags: ['--host-cluster-context', 'cluster1', '--kubefed-namespace', ns, '--federated-group', group],
    track: (context: string, name: string) => crds.push({ context, name }),
    namespace: async (name: string) => {
      namespaces.push(name);
      await kubectl('cluster1', ['create', 'namespace', name]);
    },
    join: async (cluster: string) => {
      joined.push(cluster);
      const r = await kubefedctl(['join', cluster, ...membership, '--kubefed-namespace', ns]);
      expect(r.code, r.stderr).toBe(0);
    },
    setup: async () => {
      await kubectl('cluster1', ['create', 'namespace', ns]);
    },
    cleanup: async () => {
      for (const cluster of joined) {
        await kubefedctl(['unjoin', cluster, ...membership, '--kubefed-namespace', ns, '--force']);
      }
      for (const n of [...namespaces, ns]) {
        await kubectl('cluster1', ['delete', 'namespace', n, '--ignore-not-found', '--wait=false']).catch(
          () => '',
        );
      }
      for (const { context, name } of crds) {
        await kubectl(context, ['delete', 'crd', name, '--ignore-not-found', '--wait=false']).catch(() => '');
      }
    },
  };
}

beforeAll(async () => {
  await installCrds();
});

describe('enable deployments.apps', () => {
  const f = fixture('kfen');
  const crdName = `federateddeployments.${f.group}`;
  const appNs = uniqueName('app');
  beforeAll(async () => {
    f.track('cluster1', crdName);
    await f.setup();
    await f.namespace(appNs);
  });
  afterAll(() => f.cleanup());

  it('creates the federated CRD and the FederatedTypeConfig, printing one line each', async () => {
    const r = await kubefedctl(['enable', 'deployments.apps', ...f.flags]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `customresourcedefinition.apiextensions.k8s.io/${crdName} created\n` +
        `federatedtypeconfig.core.kubefed.io/deployments.apps created in namespace ${f.ns}\n`,
    );
    const crd = await getJson<Crd & { status: { conditions: { type: string; status: string }[] } }>(
      'cluster1',
      ['crd', crdName],
    );
    expect(crd.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Established', status: 'True' }),
    );
    expect(crd.spec.names).toMatchObject({ kind: 'FederatedDeployment', shortNames: ['fdeploy'] });
    expect(Object.keys(specSchema(crd).properties!).sort()).toEqual([
      'overrides',
      'placement',
      'retainReplicas',
      'template',
    ]);
    const template = specSchema(crd).properties!.template!;
    expect(template.properties!.status).toBeUndefined();
    expect(template.properties!.metadata).toMatchObject({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    });

    const ftc = await getJson<Ftc>('cluster1', ['-n', f.ns, 'federatedtypeconfig', 'deployments.apps']);
    expect(ftc.spec).toEqual({
      targetType: {
        group: 'apps',
        version: 'v1',
        kind: 'Deployment',
        pluralName: 'deployments',
        scope: 'Namespaced',
      },
      propagation: 'Enabled',
      federatedType: {
        group: f.group,
        version: 'v1beta1',
        kind: 'FederatedDeployment',
        pluralName: 'federateddeployments',
        scope: 'Namespaced',
      },
    });
  });

  const federatedDeployment = (replicas: unknown) => ({
    apiVersion: `${f.group}/v1beta1`,
    kind: 'FederatedDeployment',
    metadata: { name: 'web', namespace: appNs },
    spec: {
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          replicas,
          selector: { matchLabels: { app: 'web' } },
          strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: {
              containers: [
                {
                  name: 'web',
                  image: 'nginx:1.27',
                  ports: [{ containerPort: 80, protocol: 'TCP' }],
                  resources: { limits: { cpu: '500m', memory: '64Mi' } },
                },
              ],
            },
          },
        },
      },
      placement: { clusterSelector: {} },
      overrides: [{ clusterName: 'cluster2', clusterOverrides: [{ path: '/spec/replicas', value: 1 }] }],
      retainReplicas: true,
    },
  });

  it('rejects a template whose replicas is a string, naming the field', async () => {
    const r = await kubectlResult(
      'cluster1',
      ['create', '-f', '-'],
      JSON.stringify(federatedDeployment('three')),
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.template.spec.replicas');
    expect(r.stderr).toMatch(/must be of type integer/);
  });

  it('accepts a valid FederatedDeployment and returns it unchanged', async () => {
    const sent = federatedDeployment(3);
    await kubectl('cluster1', ['create', '-f', '-'], JSON.stringify(sent));
    const stored = await getJson<{ spec: unknown }>('cluster1', [
      '-n',
      appNs,
      `federateddeployments.${f.group}`,
      'web',
    ]);
    expect(stored.spec).toEqual(sent.spec);
  });

  it('updates both objects when enabled again', async () => {
    const r = await kubefedctl(['enable', 'deployments.apps', ...f.flags]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      `customresourcedefinition.apiextensions.k8s.io/${crdName} updated\n` +
        `federatedtypeconfig.core.kubefed.io/deployments.apps updated in namespace ${f.ns}\n`,
    );
  });

  it('refuses to federate the type again into another group, naming the flag', async () => {
    const other = randomGroup('o');
    const r = await kubefedctl([
      'enable',
      'deployments.apps',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      f.ns,
      '--federated-group',
      other,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`FederatedTypeConfig ${f.ns}/deployments.apps already federates`);
    expect(r.stderr).toContain(`--federated-group ${f.group}`);
    expect(await exists('cluster1', ['crd', `federateddeployments.${other}`])).toBe(false);
  });
});

describe('enable a CRD', () => {
  const f = fixture('kfecrd');
  const targetGroup = `u${Math.random().toString(36).slice(2, 8)}.mydomain.io`;
  const target = `mytypes.${targetGroup}`;
  const crdName = `federatedmytypes.${f.group}`;
  const appNs = uniqueName('app');
  const targetCrd = JSON.stringify({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: target },
    spec: {
      group: targetGroup,
      names: { kind: 'MyType', plural: 'mytypes', singular: 'mytype', shortNames: ['mt'] },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  properties: {
                    size: { type: 'integer', minimum: 1 },
                    color: { type: 'string', enum: ['red', 'blue'] },
                  },
                },
                status: { type: 'object', properties: { ready: { type: 'boolean' } } },
              },
            },
          },
        },
      ],
    },
  });
  const install = async (context: string) => {
    f.track(context, target);
    await kubectl(context, ['apply', '-f', '-'], targetCrd);
    await kubectl(context, ['wait', '--for=condition=Established', '--timeout=60s', `crd/${target}`]);
  };

  beforeAll(async () => {
    f.track('cluster1', crdName);
    await f.setup();
    await f.namespace(appNs);
    await Promise.all([install('cluster1'), install('cluster2')]);
    for (const c of CLUSTERS) await f.join(c);
  });
  afterAll(() => f.cleanup());

  it('refuses while a joined member does not serve the type, naming that cluster, and creates nothing', async () => {
    const r = await kubefedctl(['enable', target, ...f.flags]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`not every joined cluster serves ${target}/v1alpha1 (kind MyType)`);
    expect(r.stderr).toContain(`cluster3 (not served: ${targetGroup}/v1alpha1 is not served)`);
    expect(r.stderr).not.toMatch(/cluster[12] \(/);
    expect(r.stderr).toContain('install the type in those clusters');
    expect(await exists('cluster1', ['crd', crdName])).toBe(false);
    expect(await exists('cluster1', ['-n', f.ns, 'federatedtypeconfigs', target])).toBe(false);
  });

  it('enables the type once every member serves it', async () => {
    await install('cluster3');
    const r = await kubefedctl(['enable', target, ...f.flags]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      `customresourcedefinition.apiextensions.k8s.io/${crdName} created\n` +
        `federatedtypeconfig.core.kubefed.io/${target} created in namespace ${f.ns}\n`,
    );
    const crd = await getJson<Crd>('cluster1', ['crd', crdName]);
    expect(crd.spec.names).toMatchObject({ kind: 'FederatedMyType', shortNames: ['fmt'] });
    expect(specSchema(crd).properties!.retainReplicas).toBeUndefined();
    const ftc = await getJson<Ftc>('cluster1', ['-n', f.ns, 'federatedtypeconfig', target]);
    expect(ftc.spec.targetType).toEqual({
      group: targetGroup,
      version: 'v1alpha1',
      kind: 'MyType',
      pluralName: 'mytypes',
      scope: 'Namespaced',
    });
  });

  it("validates the template with the CRD's own schema", async () => {
    const object = (spec: unknown) =>
      JSON.stringify({
        apiVersion: `${f.group}/v1beta1`,
        kind: 'FederatedMyType',
        metadata: { name: 'm', namespace: appNs },
        spec: { template: { spec }, placement: { clusters: [{ name: 'cluster2' }] } },
      });
    const wrongType = await kubectlResult('cluster1', ['create', '-f', '-'], object({ size: 'big' }));
    expect(wrongType.code).not.toBe(0);
    expect(wrongType.stderr).toContain('spec.template.spec.size');
    const wrongEnum = await kubectlResult(
      'cluster1',
      ['create', '-f', '-'],
      object({ size: 2, color: 'green' }),
    );
    expect(wrongEnum.code).not.toBe(0);
    expect(wrongEnum.stderr).toContain('spec.template.spec.color');
    await kubectl('cluster1', ['create', '-f', '-'], object({ size: 2, color: 'red' }));
    const stored = await getJson<{ spec: { template: unknown } }>('cluster1', [
      '-n',
      appNs,
      `federatedmytypes.${f.group}`,
      'm',
    ]);
    expect(stored.spec.template).toEqual({ spec: { size: 2, color: 'red' } });
  });
});

describe('enable -o yaml', () => {
  const f = fixture('kfeout');
  const direct = fixture('kfeout');
  beforeAll(async () => {
    f.track('cluster1', `federateddeployments.${f.group}`);
    direct.track('cluster1', `federateddeployments.${direct.group}`);
    await f.setup();
    await direct.setup();
  });
  afterAll(async () => {
    await f.cleanup();
    await direct.cleanup();
  });

  it('prints the FederatedTypeConfig, then the CRD, and creates nothing', async () => {
    const r = await kubefedctl([
      'enable',
      'deployments.apps',
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      f.ns,
      '-o',
      'yaml',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.startsWith('---\n')).toBe(true);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Ftc & Crd & { kind: string });
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      'FederatedTypeConfig/deployments.apps',
      'CustomResourceDefinition/federateddeployments.types.kubefed.io',
    ]);
    const crd = docs[1]!;
    expect(crd.spec.names.shortNames).toEqual(['fdeploy']);
    expect(specSchema(crd).properties!.retainReplicas).toEqual(expect.objectContaining({ type: 'boolean' }));
    expect(await exists('cluster1', ['-n', f.ns, 'federatedtypeconfigs'])).toBe(false);
  });

  it('applied with kubectl, gives the objects a direct enable creates', async () => {
    const printed = await kubefedctl(['enable', 'deployments.apps', ...f.flags, '-o', 'yaml']);
    expect(printed.code, printed.stderr).toBe(0);
    expect(await exists('cluster1', ['crd', `federateddeployments.${f.group}`])).toBe(false);
    await kubectl('cluster1', ['apply', '-f', '-'], printed.stdout);
    const enabled = await kubefedctl(['enable', 'deployments.apps', ...direct.flags]);
    expect(enabled.code, enabled.stderr).toBe(0);

    const normalize = (o: unknown, fx: typeof f) =>
      JSON.parse(JSON.stringify(o).replaceAll(fx.group, '<group>').replaceAll(fx.ns, '<ns>')) as unknown;
    const [viaKubectl, viaEnable] = await Promise.all(
      [f, direct].map(async (fx) => ({
        crd: normalize(
          (await getJson<Crd>('cluster1', ['crd', `federateddeployments.${fx.group}`])).spec,
          fx,
        ),
        ftc: normalize(
          (await getJson<Ftc>('cluster1', ['-n', fx.ns, 'federatedtypeconfig', 'deployments.apps'])).spec,
          fx,
        ),
      })),
    );
    expect(viaKubectl).toEqual(viaEnable);
  });
});

describe('enable resolves the type name like kubectl', () => {
  const f = fixture('kferes');
  const a = `a${Math.random().toString(36).slice(2, 8)}.example.io`;
  const b = `b${Math.random().toString(36).slice(2, 8)}.example.io`;
  const plural = `widgets${Math.random().toString(36).slice(2, 6)}`;
  const widgetCrd = (group: string) =>
    JSON.stringify({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.${group}` },
      spec: {
        group,
        names: { kind: 'Widget', plural, singular: plural.slice(0, -1) },
        scope: 'Cluster',
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
    });
  beforeAll(async () => {
    await f.setup();
    for (const g of [a, b]) {
      f.track('cluster1', `${plural}.${g}`);
      await kubectl('cluster1', ['apply', '-f', '-'], widgetCrd(g));
    }
    f.track('cluster1', `federated${plural}.${f.group}`);
    await kubectl('cluster1', [
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      `crd/${plural}.${a}`,
      `crd/${plural}.${b}`,
    ]);
  });
  afterAll(() => f.cleanup());

  const printed = async (type: string) => {
    const r = await kubefedctl(['enable', type, ...f.flags, '-o', 'yaml']);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };

  it('by kind and by short name, as for plural.group', async () => {
    const byName = await printed('deployments.apps');
    expect(await printed('Deployment')).toBe(byName);
    expect(await printed('deploy')).toBe(byName);
    expect(await printed('deployment')).toBe(byName);
  });

  it('fails for an unknown type, in one line', async () => {
    const r = await kubefedctl(['enable', 'nosuchtypes', ...f.flags]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'kubefedctl: cannot resolve type "nosuchtypes": the server cluster1 has no resource type "nosuchtypes"; list the types the host serves with kubectl api-resources (a CRD must be installed in the host first)\n',
    );
  });

  it('asks for plural.group when a name is ambiguous', async () => {
    const r = await kubefedctl(['enable', plural, ...f.flags]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`"${plural}" is ambiguous`);
    expect(r.stderr).toContain('use the plural.group form');
  });

  it('refuses a second type whose federated CRD name is taken, suggesting --federated-group', async () => {
    const first = await kubefedctl(['enable', `${plural}.${a}`, ...f.flags]);
    expect(first.code, first.stderr).toBe(0);
    const second = await kubefedctl(['enable', `${plural}.${b}`, ...f.flags]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      `FederatedTypeConfig ${f.ns}/${plural}.${a} already uses the federated CRD federated${plural}.${f.group}`,
    );
    expect(second.stderr).toContain('--federated-group');
    expect(await exists('cluster1', ['-n', f.ns, 'federatedtypeconfigs', `${plural}.${b}`])).toBe(false);
  });
});

describe('disable', () => {
  const f = fixture('kfdis');
  const crdName = `federatedconfigmaps.${f.group}`;
  const appNs = uniqueName('app');
  const federatedConfigMap = JSON.stringify({
    apiVersion: `${f.group}/v1beta1`,
    kind: 'FederatedConfigMap',
    metadata: { name: 'settings', namespace: appNs },
    spec: { template: { data: { a: '1' } }, placement: { clusterSelector: {} } },
  });
  beforeAll(async () => {
    f.track('cluster1', crdName);
    await f.setup();
    await f.namespace(appNs);
    const r = await kubefedctl(['enable', 'configmaps', ...f.flags]);
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(() => f.cleanup());

  const disable = (type: string, extra: string[] = []) =>
    kubefedctl([
      'disable',
      type,
      '--host-cluster-context',
      'cluster1',
      '--kubefed-namespace',
      f.ns,
      ...extra,
    ]);

  it('sets propagation Disabled and keeps the CRD', async () => {
    const r = await disable('ConfigMap');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Disabled propagation for FederatedTypeConfig "${f.ns}/configmaps"\n`);
    const ftc = await getJson<Ftc>('cluster1', ['-n', f.ns, 'federatedtypeconfig', 'configmaps']);
    expect(ftc.spec.propagation).toBe('Disabled');
    expect(await exists('cluster1', ['crd', crdName])).toBe(true);
    const again = await disable('configmaps');
    expect(again.stdout).toBe(`Propagation already disabled for FederatedTypeConfig "${f.ns}/configmaps"\n`);
  });

  it('with --delete-crd, refuses while a federated object exists, naming count and namespace', async () => {
    await kubectl('cluster1', ['create', '-f', '-'], federatedConfigMap);
    const r = await disable('configmaps', ['--delete-crd']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(
      `cannot delete CRD ${crdName}: 1 FederatedConfigMap object remains (1 in namespace ${appNs})`,
    );
    expect(await exists('cluster1', ['crd', crdName])).toBe(true);
    expect(await exists('cluster1', ['-n', f.ns, 'federatedtypeconfig', 'configmaps'])).toBe(true);
  });

  it('with --delete-crd, deletes the CRD and the FederatedTypeConfig once no object is left', async () => {
    await kubectl('cluster1', [
      '-n',
      appNs,
      'delete',
      `federatedconfigmaps.${f.group}`,
      'settings',
      '--wait=true',
    ]);
    const r = await disable('configmaps', ['--delete-crd']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      `Propagation already disabled for FederatedTypeConfig "${f.ns}/configmaps"\n` +
        `customresourcedefinition.apiextensions.k8s.io/${crdName} deleted\n` +
        `federatedtypeconfig.core.kubefed.io/configmaps deleted from namespace ${f.ns}\n`,
    );
    expect(await exists('cluster1', ['-n', f.ns, 'federatedtypeconfig', 'configmaps'])).toBe(false);
    const r2 = await disable('configmaps');
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain(
      `type "configmaps" is not enabled: no FederatedTypeConfig ${f.ns}/configmaps`,
    );
  });
});
