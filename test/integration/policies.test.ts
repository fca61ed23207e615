/**
 * Propagation policies on the local clusters: ordinary objects applied with kubectl, selected by a
 * PropagationPolicy or ClusterPropagationPolicy, reach the members through the generated
 * Federated<Kind> objects of a real kubefed-controller-manager (--propagation-policies).
 * Placement is always cluster2/cluster3: the host (cluster1) holds the objects themselves.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FederatedObject } from '../../src/api/types.js';
import type { KubeObject } from '../../src/kube/resource.js';
import {
  apply,
  CONFIGMAPS,
  DEPLOYMENTS,
  getObject,
  SECRETS,
  TestControlPlane,
  waitFor,
} from '../support/control-plane.js';
import { helm as runHelm, kubectl, uniqueName } from '../support/local.js';

const cp = new TestControlPlane({
  prefix: 'kf-pol',
  types: [DEPLOYMENTS, CONFIGMAPS, SECRETS],
  managerArgs: ['--propagation-policies'],
});

interface Deployment extends KubeObject {
  spec: { replicas?: number; template: { spec: { containers: { name: string; image: string }[] } } };
  status?: { readyReplicas?: number; availableReplicas?: number };
}

interface Policy extends KubeObject {
  status?: {
    matchedObjects?: number;
    conflicts?: { kind: string; name: string; reason: string }[];
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

/** A plain namespace on the host: no FederatedNamespace, the policy controller generates it. */
async function namespace(): Promise<string> {
  const ns = uniqueName('pol');
  cp.testNamespaces.push(ns);
  await kubectl('cluster1', ['create', 'namespace', ns]);
  return ns;
}

function deploymentManifest(ns: string, name: string, image = 'registry.invalid/web:1') {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'web',
              image,
              envFrom: [{ configMapRef: { name: `${name}-config` } }],
              env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: `${name}-secret`, key: 'token' } } }],
            },
          ],
        },
      },
    },
  };
}

const policy = (ns: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'policy.kubefed.io/v1alpha1',
  kind: 'PropagationPolicy',
  metadata: { name, namespace: ns },
  spec,
});

const placement = (...clusters: string[]) => ({ clusters: clusters.map((name) => ({ name })) });

/** The member's copy once it is managed and `ok` holds. */
async function memberCopy<T extends KubeObject>(
  cluster: string,
  args: string[],
  ok: (o: T) => boolean = () => true,
  timeoutMs?: number,
): Promise<T> {
  return waitFor(
    `${args.join(' ')} in ${cluster}`,
    async () => {
      const o = await getObject<T>(cluster, args);
      return [
        o?.metadata.labels?.['kubefed.io/managed'] === 'true' && ok(o),
        o!,
        JSON.stringify(o ? { labels: o.metadata.labels, spec: o.spec, status: o.status } : 'absent'),
      ];
    },
    timeoutMs,
  );
}

async function absentFrom(cluster: string, args: string[]): Promise<void> {
  await waitFor(`${args.join(' ')} gone from ${cluster}`, async () => {
    const o = await getObject(cluster, args);
    return [o === undefined || o.metadata.deletionTimestamp !== undefined, o, JSON.stringify(o?.metadata)];
  });
}

async function policyStatus(
  ns: string,
  name: string,
  ok: (p: Policy) => boolean,
  what: string,
): Promise<Policy> {
  return waitFor(`PropagationPolicy ${ns}/${name}: ${what}`, async () => {
    const p = await getObject<Policy>('cluster1', ['-n', ns, 'propagationpolicies.policy.kubefed.io', name]);
    return [p !== undefined && ok(p), p!, JSON.stringify(p?.status ?? 'absent')];
  });
}

const image = (d: Deployment) => d.spec.template.spec.containers[0]!.image;
const ready = (d: Deployment) => d.status?.readyReplicas === 2 && d.status.availableReplicas === 2;

beforeAll(() => cp.setup());
afterAll(() => cp.teardown());

describe('propagation policies', () => {
  it('propagates a kubectl-applied Deployment, ConfigMap and Secret to the selected members, where the Deployment becomes Ready', async () => {
    const ns = await namespace();
    await apply('cluster1', deploymentManifest(ns, 'web'));
    await kubectl('cluster1', ['-n', ns, 'create', 'configmap', 'web-config', '--from-literal=MODE=blue']);
    await kubectl('cluster1', [
      '-n',
      ns,
      'create',
      'secret',
      'generic',
      'web-secret',
      '--from-literal=token=s3cret',
    ]);
    await apply(
      'cluster1',
      policy(ns, 'web', {
        resourceSelectors: [
          { apiVersion: 'apps/v1', kind: 'Deployment', labelSelector: { matchLabels: { app: 'web' } } },
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'web-config' },
          { apiVersion: 'v1', kind: 'Secret', name: 'web-secret' },
        ],
        placement: placement('cluster2', 'cluster3'),
      }),
    );

    for (const c of ['cluster2', 'cluster3']) {
      const d = await memberCopy<Deployment>(c, ['-n', ns, 'deployment', 'web'], ready, 90_000);
      expect(image(d)).toBe('registry.invalid/web:1');
      const cm = await memberCopy(c, ['-n', ns, 'configmap', 'web-config']);
      expect(cm.data).toEqual({ MODE: 'blue' });
      const s = await memberCopy(c, ['-n', ns, 'secret', 'web-secret']);
      expect(s.data).toEqual({ token: Buffer.from('s3cret').toString('base64') });
    }

    // What was generated: owner-referenced, labelled, annotated with the policy; the namespace too.
    const fed = await getObject<FederatedObject>('cluster1', ['-n', ns, cp.resource('deployments'), 'web']);
    expect(fed?.metadata.labels?.['kubefed.io/generated-by']).toBe('policy');
    expect(fed?.metadata.annotations?.['policy.kubefed.io/propagated-by']).toBe(
      `PropagationPolicy/${ns}/web`,
    );
    expect(fed?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }),
    ]);
    const fns = await getObject<FederatedObject>('cluster1', ['-n', ns, cp.resource('namespaces'), ns]);
    expect(fns?.metadata.labels?.['kubefed.io/generated-by']).toBe('namespace');
    expect(fns?.spec.placement).toEqual(placement('cluster2', 'cluster3'));
    const native = await getObject('cluster1', ['-n', ns, 'deployment', 'web']);
    expect(native?.metadata.annotations?.['policy.kubefed.io/propagated-by']).toBe(
      `PropagationPolicy/${ns}/web`,
    );
    await policyStatus(
      ns,
      'web',
      (p) => p.status?.matchedObjects === 3 && p.status.conditions?.[0]?.status === 'True',
      'matchedObjects 3, Ready',
    );
    // Not on the host's Deployment: the host is not in the placement.
    expect(
      (await getObject('cluster1', ['-n', ns, 'deployment', 'web']))?.metadata.labels?.['kubefed.io/managed'],
    ).toBe(undefined);

    // Deleting the Deployment deletes its generated object and so the member copies.
    await kubectl('cluster1', ['-n', ns, 'delete', 'deployment', 'web']);
    for (const c of ['cluster2', 'cluster3']) await absentFrom(c, ['-n', ns, 'deployment', 'web']);
    await waitFor('the generated FederatedDeployment gone', async () => {
      const f = await getObject('cluster1', ['-n', ns, cp.resource('deployments'), 'web']);
      return [f === undefined, f, JSON.stringify(f?.metadata)];
    });
  });

  it('applies a policy override to one cluster only, by cluster label', async () => {
    const ns = await namespace();
    await kubectl('cluster1', [
      '-n',
      cp.kfns,
      'label',
      'kubefedcluster',
      'cluster3',
      'tier=canary',
      '--overwrite',
    ]);
    const manifest = deploymentManifest(ns, 'api');
    delete (manifest.spec.template.spec.containers[0] as { envFrom?: unknown }).envFrom;
    delete (manifest.spec.template.spec.containers[0] as { env?: unknown }).env;
    await apply('cluster1', manifest);
    await apply(
      'cluster1',
      policy(ns, 'api', {
        resourceSelectors: [{ apiVersion: 'apps/v1', kind: 'Deployment' }],
        placement: placement('cluster2', 'cluster3'),
        overrides: [
          {
            clusterSelector: { matchLabels: { tier: 'canary' } },
            clusterOverrides: [
              { path: '/spec/template/spec/containers/0/image', value: 'registry.invalid/web:2-canary' },
            ],
          },
        ],
      }),
    );
    expect(image(await memberCopy<Deployment>('cluster2', ['-n', ns, 'deployment', 'api']))).toBe(
      'registry.invalid/web:1',
    );
    await memberCopy<Deployment>(
      'cluster3',
      ['-n', ns, 'deployment', 'api'],
      (d) => image(d) === 'registry.invalid/web:2-canary',
    );

    // An edit of the ordinary object (as `helm upgrade` or `kubectl apply` makes) propagates.
    await kubectl('cluster1', ['-n', ns, 'set', 'image', 'deployment/api', 'web=registry.invalid/web:3']);
    await memberCopy<Deployment>(
      'cluster2',
      ['-n', ns, 'deployment', 'api'],
      (d) => image(d) === 'registry.invalid/web:3',
    );
    await memberCopy<Deployment>(
      'cluster3',
      ['-n', ns, 'deployment', 'api'],
      (d) => image(d) === 'registry.invalid/web:2-canary',
    );
  });

  it('moves the object when the policy placement changes', async () => {
    const ns = await namespace();
    await kubectl('cluster1', ['-n', ns, 'create', 'configmap', 'moving', '--from-literal=a=b']);
    const spec = { resourceSelectors: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'moving' }] };
    await apply('cluster1', policy(ns, 'move', { ...spec, placement: placement('cluster2') }));
    await memberCopy('cluster2', ['-n', ns, 'configmap', 'moving']);
    await apply('cluster1', policy(ns, 'move', { ...spec, placement: placement('cluster3') }));
    await memberCopy('cluster3', ['-n', ns, 'configmap', 'moving']);
    await absentFrom('cluster2', ['-n', ns, 'configmap', 'moving']);
  });

  it('resolves two policies selecting one object by priority, and follows a priority change', async () => {
    const ns = await namespace();
    await kubectl('cluster1', ['-n', ns, 'create', 'configmap', 'shared', '--from-literal=a=b']);
    const sel = { resourceSelectors: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'shared' }] };
    await apply('cluster1', policy(ns, 'low', { ...sel, priority: 1, placement: placement('cluster2') }));
    await apply('cluster1', {
      apiVersion: 'policy.kubefed.io/v1alpha1',
      kind: 'ClusterPropagationPolicy',
      metadata: { name: `${ns}-high` },
      spec: {
        resourceSelectors: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'shared', namespace: ns }],
        priority: 10,
        placement: placement('cluster3'),
      },
    });
    try {
      await memberCopy('cluster3', ['-n', ns, 'configmap', 'shared']);
      const native = await getObject('cluster1', ['-n', ns, 'configmap', 'shared']);
      expect(native?.metadata.annotations?.['policy.kubefed.io/propagated-by']).toBe(
        `ClusterPropagationPolicy/${ns}-high`,
      );
      expect(await getObject('cluster2', ['-n', ns, 'configmap', 'shared'])).toBeUndefined();
      await policyStatus(ns, 'low', (p) => p.status?.matchedObjects === 0, 'matchedObjects 0 (outranked)');

      await apply('cluster1', policy(ns, 'low', { ...sel, priority: 20, placement: placement('cluster2') }));
      await memberCopy('cluster2', ['-n', ns, 'configmap', 'shared']);
      await absentFrom('cluster3', ['-n', ns, 'configmap', 'shared']);
      await policyStatus(ns, 'low', (p) => p.status?.matchedObjects === 1, 'matchedObjects 1');
    } finally {
      await kubectl('cluster1', ['delete', 'clusterpropagationpolicy', `${ns}-high`, '--ignore-not-found']);
    }
  });

  it('lets a user-written Federated<Kind> win, reporting the conflict in status and an Event', async () => {
    const ns = await namespace();
    await kubectl('cluster1', ['-n', ns, 'create', 'configmap', 'mine', '--from-literal=from=host']);
    await apply('cluster1', {
      apiVersion: `${cp.group}/v1beta1`,
      kind: 'FederatedConfigMap',
      metadata: { name: 'mine', namespace: ns },
      spec: { template: { data: { from: 'user' } }, placement: placement('cluster2') },
    });
    await apply(
      'cluster1',
      policy(ns, 'grab', {
        resourceSelectors: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'mine' }],
        placement: placement('cluster3'),
      }),
    );
    const p = await policyStatus(
      ns,
      'grab',
      (x) => x.status?.conflicts?.[0]?.reason === 'FederatedObjectExists',
      'a FederatedObjectExists conflict',
    );
    expect(p.status?.conflicts).toEqual([expect.objectContaining({ kind: 'ConfigMap', name: 'mine' })]);
    expect(p.status?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'Conflict' });
    expect(p.status?.matchedObjects).toBe(0);
    const user = await getObject<FederatedObject>('cluster1', ['-n', ns, cp.resource('configmaps'), 'mine']);
    expect(user?.spec.template).toEqual({ data: { from: 'user' } });
    expect(user?.metadata.labels?.['kubefed.io/generated-by']).toBeUndefined();
    // The user's object still goes where the user says (its namespace placed by the policy's own
    // generated FederatedNamespace is not involved: nothing was generated here).
    await waitFor('a Conflict Event on the policy', async () => {
      const events = await kubectl('cluster1', [
        '-n',
        ns,
        'get',
        'events',
        '--field-selector',
        'involvedObject.name=grab,reason=Conflict',
        '-o',
        'name',
      ]);
      return [events.trim() !== '', events, events];
    });
    expect(await getObject('cluster3', ['-n', ns, 'configmap', 'mine'])).toBeUndefined();
  });

  it('leaves member copies when the policy is deleted (Orphan), and removes them with deletionPolicy Delete', async () => {
    const ns = await namespace();
    await kubectl('cluster1', ['-n', ns, 'create', 'configmap', 'kept', '--from-literal=a=b']);
    await kubectl('cluster1', ['-n', ns, 'create', 'configmap', 'removed', '--from-literal=a=b']);
    const sel = (name: string) => [{ apiVersion: 'v1', kind: 'ConfigMap', name }];
    await apply(
      'cluster1',
      policy(ns, 'orphan', { resourceSelectors: sel('kept'), placement: placement('cluster2') }),
    );
    await apply(
      'cluster1',
      policy(ns, 'delete', {
        resourceSelectors: sel('removed'),
        placement: placement('cluster2'),
        deletionPolicy: 'Delete',
      }),
    );
    await memberCopy('cluster2', ['-n', ns, 'configmap', 'kept']);
    await memberCopy('cluster2', ['-n', ns, 'configmap', 'removed']);

    await kubectl('cluster1', ['-n', ns, 'delete', 'propagationpolicy', 'orphan', 'delete']);
    await absentFrom('cluster2', ['-n', ns, 'configmap', 'removed']);
    await waitFor('the generated FederatedConfigMaps gone', async () => {
      const list = await kubectl('cluster1', ['-n', ns, 'get', cp.resource('configmaps'), '-o', 'name']);
      return [list.trim() === '', list, list];
    });
    // Kept, no longer managed; the host object no longer names a policy.
    const kept = await waitFor('the orphaned copy unmanaged', async () => {
      const o = await getObject('cluster2', ['-n', ns, 'configmap', 'kept']);
      return [
        o !== undefined && o.metadata.labels?.['kubefed.io/managed'] !== 'true',
        o!,
        JSON.stringify(o?.metadata),
      ];
    });
    expect(kept.data).toEqual({ a: 'b' });
    await waitFor('the host object without the policy annotation', async () => {
      const o = await getObject('cluster1', ['-n', ns, 'configmap', 'kept']);
      const a = o?.metadata.annotations?.['policy.kubefed.io/propagated-by'];
      return [a === undefined, o, String(a)];
    });
  });

  it('reports invalid overrides and holds what the policy generated until they are fixed', async () => {
    const ns = await namespace();
    await kubectl('cluster1', ['-n', ns, 'create', 'configmap', 'held', '--from-literal=a=b']);
    const spec = {
      resourceSelectors: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'held' }],
      placement: placement('cluster2'),
    };
    await apply('cluster1', policy(ns, 'held', spec));
    await memberCopy('cluster2', ['-n', ns, 'configmap', 'held']);
    await apply(
      'cluster1',
      policy(ns, 'held', {
        ...spec,
        overrides: [{ clusterName: 'cluster2', clusterOverrides: [{ path: 'data/a', value: 'c' }] }],
      }),
    );
    const p = await policyStatus(
      ns,
      'held',
      (x) => x.status?.conditions?.[0]?.reason === 'InvalidOverrides',
      'Ready False InvalidOverrides',
    );
    expect(p.status?.conditions?.[0]?.message).toContain('spec.overrides[0].clusterOverrides[0].path');
    const fed = await getObject<FederatedObject>('cluster1', ['-n', ns, cp.resource('configmaps'), 'held']);
    expect(fed?.metadata.labels?.['kubefed.io/generated-by']).toBe('policy');
    expect(fed?.metadata.annotations?.['kubefed.io/orphan']).toBeUndefined();
    const copy = await memberCopy('cluster2', ['-n', ns, 'configmap', 'held']);
    expect(copy.data).toEqual({ a: 'b' });
  });

  it('reports a selected type that is not federated, naming kubefedctl enable', async () => {
    const ns = await namespace();
    await apply(
      'cluster1',
      policy(ns, 'jobs', {
        resourceSelectors: [{ apiVersion: 'batch/v1', kind: 'CronJob' }],
        placement: placement('cluster2'),
      }),
    );
    const p = await policyStatus(
      ns,
      'jobs',
      (x) => x.status?.conditions?.[0]?.reason === 'TypeNotEnabled',
      'Ready False TypeNotEnabled',
    );
    expect(p.status?.conditions?.[0]?.message).toContain('kubefedctl enable CronJob');
  });

  it('propagates the objects of an ordinary Helm release unchanged, follows helm upgrade, and removes them at helm uninstall', async () => {
    const ns = await namespace();
    const chart = mkdtempSync(path.join(tmpdir(), 'kf-pol-chart-'));
    mkdirSync(path.join(chart, 'templates'));
    writeFileSync(path.join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: shop\nversion: 1.0.0\n');
    writeFileSync(path.join(chart, 'values.yaml'), 'tag: "1"\n');
    writeFileSync(
      path.join(chart, 'templates', 'app.yaml'),
      [
        'apiVersion: v1',
        'kind: ConfigMap',
        'metadata:',
        '  name: {{ .Release.Name }}-settings',
        '  labels: {app.kubernetes.io/instance: {{ .Release.Name }}, app.kubernetes.io/managed-by: {{ .Release.Service }}}',
        'data: {currency: EUR}',
        '---',
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata:',
        '  name: {{ .Release.Name }}-web',
        '  labels: {app.kubernetes.io/instance: {{ .Release.Name }}, app.kubernetes.io/managed-by: {{ .Release.Service }}}',
        'spec:',
        '  replicas: 1',
        '  selector: {matchLabels: {app: shop}}',
        '  template:',
        '    metadata: {labels: {app: shop}}',
        '    spec:',
        '      containers:',
        '        - name: web',
        '          image: registry.invalid/shop:{{ .Values.tag }}',
        '          envFrom: [{configMapRef: {name: {{ .Release.Name }}-settings}}]',
        '',
      ].join('\n'),
    );
    const helmHome = mkdtempSync(path.join(tmpdir(), 'kf-pol-helm-'));
    const helm = async (...args: string[]) => {
      const r = await runHelm(helmHome, [...args, '--namespace', ns]);
      expect(r.code, r.stderr).toBe(0);
    };
    await apply(
      'cluster1',
      policy(ns, 'shop', {
        resourceSelectors: ['apps/v1 Deployment', 'v1 ConfigMap'].map((t) => ({
          apiVersion: t.split(' ')[0],
          kind: t.split(' ')[1],
          labelSelector: { matchLabels: { 'app.kubernetes.io/instance': 'shop' } },
        })),
        placement: placement('cluster2', 'cluster3'),
      }),
    );
    await helm('install', 'shop', chart);

    const host = (await getObject<Deployment>('cluster1', ['-n', ns, 'deployment', 'shop-web']))!;
    for (const c of ['cluster2', 'cluster3']) {
      const d = await memberCopy<Deployment>(
        c,
        ['-n', ns, 'deployment', 'shop-web'],
        (x) => x.status?.readyReplicas === 1,
        90_000,
      );
      expect(d.spec.template).toEqual(host.spec.template);
      expect(d.metadata.annotations?.['meta.helm.sh/release-name']).toBe('shop');
      expect(d.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('Helm');
      const cm = await memberCopy(c, ['-n', ns, 'configmap', 'shop-settings']);
      expect(cm.data).toEqual({ currency: 'EUR' });
    }

    await helm('upgrade', 'shop', chart, '--set', 'tag=2');
    for (const c of ['cluster2', 'cluster3'])
      await memberCopy<Deployment>(
        c,
        ['-n', ns, 'deployment', 'shop-web'],
        (d) => image(d) === 'registry.invalid/shop:2',
      );

    await helm('uninstall', 'shop', '--wait');
    for (const c of ['cluster2', 'cluster3']) {
      await absentFrom(c, ['-n', ns, 'deployment', 'shop-web']);
      await absentFrom(c, ['-n', ns, 'configmap', 'shop-settings']);
    }
  });
});
