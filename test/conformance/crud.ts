/**
 * The create/read/update/delete cycle of upstream's conformance checks, for one federated type, as
 * an upstream user drives it with kubectl and YAML:
 * 1. create with placement `clusterSelector: {}` (every cluster) and an override for cluster2;
 *    each member copy holds the whole rendered object (template + identity + overrides + the
 *    managed label), its version is the PropagatedVersion's entry (`gen:`/`rv:`), and the
 *    templateVersion / overridesVersion are upstream's MD5 hashes (checklist #9, #12, #13, #17, #18);
 * 2. an override update: `/metadata/labels` replaced in cluster1 on a template without labels;
 * 3. placement shrink to one cluster: the other copy is deleted (for the Namespace type, the
 *    host's own Namespace is only unlabelled) (#19, #27);
 * 4. deletion: copies deleted, then the object; and with `kubefed.io/orphan: "true"` copies kept
 *    and unlabelled (#24).
 */
import { expect } from 'vitest';
import {
  clusterStatusesOf,
  CLUSTERS,
  missingFrom,
  propagationOf,
  unique,
  upstreamMd5,
  upstreamOverridesMd5,
  type Obj,
  type Topology,
} from './harness.js';

const MANAGED = 'kubefed.io/managed';

export interface FederatedTypeCase {
  /** The FederatedTypeConfig's name, e.g. deployments.apps. */
  ftc: string;
  /** The federated kind, e.g. FederatedDeployment. */
  kind: string;
  /** Its resource for kubectl, e.g. federateddeployments.types.kubefed.io. */
  resource: string;
  /** The federated API group/version. */
  apiVersion: string;
  /** The target's apiVersion and kind, and its resource for kubectl. */
  target: { apiVersion: string; kind: string; resource: string };
  /** Whether the target is namespaced (its objects live in a federated namespace). */
  namespaced: boolean;
  /** The template (no labels: the cycle's override sets them). */
  template: Record<string, unknown>;
}

interface Cycle {
  tc: FederatedTypeCase;
  ns: string | undefined;
  name: string;
}

const nsArgs = (ns: string | undefined) => (ns ? ['-n', ns] : []);

function federated(c: Cycle, placement: unknown, overrides: unknown[], annotations?: Record<string, string>) {
  return {
    apiVersion: c.tc.apiVersion,
    kind: c.tc.kind,
    metadata: { name: c.name, ...(c.ns ? { namespace: c.ns } : {}), ...(annotations ? { annotations } : {}) },
    spec: { template: c.tc.template, placement, overrides },
  };
}

/** What upstream writes into `cluster`: template + identity + that cluster's overrides + label. */
function rendered(
  c: Cycle,
  labels: Record<string, string> | undefined,
  annotations?: Record<string, string>,
) {
  const isNamespace = c.tc.target.kind === 'Namespace';
  return {
    ...c.tc.template,
    apiVersion: c.tc.target.apiVersion,
    kind: c.tc.target.kind,
    metadata: {
      name: c.name,
      ...(c.ns && !isNamespace ? { namespace: c.ns } : {}),
      labels: { ...(labels ?? {}), [MANAGED]: 'true' },
      ...(annotations ? { annotations } : {}),
    },
  };
}

const memberVersion = (o: Obj) =>
  o.metadata.generation ? `gen:${o.metadata.generation}` : `rv:${o.metadata.resourceVersion}`;

async function waitPropagated(t: Topology, c: Cycle, clusters: readonly string[]): Promise<Obj> {
  const want = clusters.map((x) => `${x}:`).sort();
  return t.wait(`${c.tc.kind} ${c.name} Propagation=True to ${clusters.join(',')}`, async () => {
    const f = await t.get('cluster1', [...nsArgs(c.ns), c.tc.resource, c.name]);
    const ok =
      propagationOf(f)?.status === 'True' &&
      f?.status?.observedGeneration === f?.metadata.generation &&
      JSON.stringify(clusterStatusesOf(f)) === JSON.stringify(want);
    return [ok, f!, JSON.stringify(f?.status)];
  });
}

/** Every member copy holds what upstream renders, and the PropagatedVersion records it. */
async function checkCopies(
  t: Topology,
  c: Cycle,
  expected: Record<string, ReturnType<typeof rendered>>,
  overrides: unknown[],
): Promise<void> {
  const copies: Record<string, Obj> = {};
  for (const [cluster, want] of Object.entries(expected)) {
    const copy = await t.wait(`the ${c.tc.target.kind} ${c.name} in ${cluster} as rendered`, async () => {
      const o = await t.get(cluster, [
        ...nsArgs(c.tc.namespaced ? c.ns : undefined),
        c.tc.target.resource,
        c.name,
      ]);
      const diff = o ? missingFrom(o, want) : 'absent';
      return [diff === undefined, o!, diff ?? ''];
    });
    copies[cluster] = copy;
  }
  const pvName = `${c.tc.target.kind.toLowerCase()}-${c.name}`;
  const pvResource = c.ns
    ? 'propagatedversions.core.kubefed.io'
    : 'clusterpropagatedversions.core.kubefed.io';
  const wantVersions = Object.keys(expected)
    .sort()
    .map((clusterName) => ({ clusterName, version: memberVersion(copies[clusterName]!) }));
  const template = c.tc.template;
  await t.wait(`${pvResource} ${pvName} with upstream's hashes and the copies' versions`, async () => {
    const pv = await t.get<{ status?: Record<string, unknown> }>('cluster1', [
      ...nsArgs(c.ns),
      pvResource,
      pvName,
    ]);
    const want = {
      templateVersion: upstreamMd5(template),
      overridesVersion: upstreamOverridesMd5(overrides),
      clusterVersions: wantVersions,
    };
    const got = {
      templateVersion: pv?.status?.templateVersion,
      overridesVersion: pv?.status?.overridesVersion,
      clusterVersions: pv?.status?.clusterVersions,
    };
    return [
      JSON.stringify(got) === JSON.stringify(want),
      pv,
      `${JSON.stringify(got)} want ${JSON.stringify(want)}`,
    ];
  });
}

/**
 * Waits for a Normal Event `reason` on the federated object, reported as upstream reports it: by
 * the sync controller named `<lowercase federated kind>-controller`.
 */
async function waitEvent(t: Topology, c: Cycle, reason: string): Promise<void> {
  const component = `${c.tc.kind.toLowerCase()}-controller`;
  await t.wait(`Event ${reason} on ${c.tc.kind} ${c.name} from ${component}`, async () => {
    const list = JSON.parse(
      await t.kubectl('cluster1', [
        'get',
        'events',
        '-A',
        '--field-selector',
        `involvedObject.kind=${c.tc.kind},involvedObject.name=${c.name},reason=${reason}`,
        '-o',
        'json',
      ]),
    ) as { items: { type: string; source?: { component?: string } }[] };
    const found = list.items.find((e) => e.type === 'Normal' && e.source?.component === component);
    return [found !== undefined, found, JSON.stringify(list.items.map((e) => e.source))];
  });
}

/** The whole cycle for one type. `ns` is a federated namespace placed in every cluster (namespaced types). */
export async function crudCycle(t: Topology, tc: FederatedTypeCase, ns: string | undefined): Promise<void> {
  const isNamespace = tc.target.kind === 'Namespace';
  const name = isNamespace ? ns! : unique('conf');
  const c: Cycle = { tc, ns, name };
  const all = { clusterSelector: {} };
  const marker = { 'conformance.kubefed.io/cluster': 'cluster2' };

  // 1. Create, placed everywhere, one override for cluster2 (an annotation on a template without).
  const created = [
    {
      clusterName: 'cluster2',
      clusterOverrides: [{ op: 'add', path: '/metadata/annotations', value: marker }],
    },
  ];
  await t.apply('cluster1', federated(c, all, created));
  const fed = await waitPropagated(t, c, CLUSTERS);
  expect(fed.metadata.finalizers).toContain('kubefed.io/sync-controller');
  await waitEvent(t, c, isNamespace ? 'UpdateInCluster' : 'CreateInCluster');
  await checkCopies(
    t,
    c,
    { cluster1: rendered(c, undefined), cluster2: rendered(c, undefined, marker) },
    created,
  );

  // 2. Override update: labels on a template that sets none (upstream's lenient replace).
  const updated = [
    { clusterName: 'cluster1', clusterOverrides: [{ path: '/metadata/labels', value: { env: 'prod' } }] },
    ...created,
  ];
  await t.apply('cluster1', federated(c, all, updated));
  await waitPropagated(t, c, CLUSTERS);
  await checkCopies(
    t,
    c,
    { cluster1: rendered(c, { env: 'prod' }), cluster2: rendered(c, undefined, marker) },
    updated,
  );
  await waitEvent(t, c, 'UpdateInCluster');

  // 3. Placement shrink to one cluster. For the Namespace type the host (cluster1) leaves: its own
  // Namespace is only unlabelled; otherwise cluster2 leaves and its copy is deleted.
  const stay = isNamespace ? 'cluster2' : 'cluster1';
  const leave = isNamespace ? 'cluster1' : 'cluster2';
  await t.apply('cluster1', federated(c, { clusters: [{ name: stay }] }, updated));
  await waitPropagated(t, c, [stay]);
  const target = (cluster: string) =>
    t.get(cluster, [...nsArgs(tc.namespaced ? ns : undefined), tc.target.resource, name]);
  if (isNamespace) {
    const host = await t.wait('the host Namespace unlabelled, not deleted', async () => {
      const o = await target('cluster1');
      return [
        o !== undefined && !o.metadata.deletionTimestamp && o.metadata.labels?.[MANAGED] === undefined,
        o,
        JSON.stringify(o?.metadata),
      ];
    });
    expect(host?.metadata.name).toBe(name);
    // The API server's own label stays on the host Namespace and is on the member's.
    expect(host?.metadata.labels?.['kubernetes.io/metadata.name']).toBe(name);
    expect((await target('cluster2'))?.metadata.labels?.['kubernetes.io/metadata.name']).toBe(name);
    await waitEvent(t, c, 'RemoveManagedLabelFromInCluster');
  } else {
    await t.wait(`the copy in ${leave} deleted`, async () => {
      const o = await target(leave);
      return [o === undefined, o, JSON.stringify(o?.metadata)];
    });
    await waitEvent(t, c, 'DeleteInCluster');
  }
  expect((await target(stay))?.metadata.labels?.[MANAGED]).toBe('true');

  if (isNamespace) return; // the namespace's own deletion is the test's cleanup (#27, #28)

  // 4a. Deletion: the copy goes first, then the federated object (its finalizer removed).
  await t.kubectl('cluster1', ['delete', ...nsArgs(ns), tc.resource, name, '--wait=false']);
  await t.wait(`${tc.kind} ${name} and its copy deleted`, async () => {
    const [f, o] = [await t.get('cluster1', [...nsArgs(ns), tc.resource, name]), await target(stay)];
    return [
      f === undefined && o === undefined,
      f,
      `federated ${f ? 'present' : 'gone'}, copy ${o ? 'present' : 'gone'}`,
    ];
  });

  // 4b. Deletion with kubefed.io/orphan: "true": the copies stay, unlabelled.
  const orphan: Cycle = { tc, ns, name: unique('conf-orphan') };
  await t.apply('cluster1', federated(orphan, all, [], { 'kubefed.io/orphan': 'true' }));
  await waitPropagated(t, orphan, CLUSTERS);
  await t.kubectl('cluster1', ['delete', ...nsArgs(ns), tc.resource, orphan.name, '--wait=false']);
  for (const cluster of CLUSTERS) {
    const kept = await t.wait(`the orphaned copy in ${cluster} kept and unlabelled`, async () => {
      const f = await t.get('cluster1', [...nsArgs(ns), tc.resource, orphan.name]);
      const o = await t.get(cluster, [
        ...nsArgs(tc.namespaced ? ns : undefined),
        tc.target.resource,
        orphan.name,
      ]);
      return [
        f === undefined && o !== undefined && o.metadata.labels?.[MANAGED] === undefined,
        o,
        JSON.stringify(o?.metadata),
      ];
    });
    expect(kept?.metadata.deletionTimestamp).toBeUndefined();
    // Clean up what the orphaning left behind (cluster-scoped objects outlive the namespace).
    if (!tc.namespaced) await t.kubectl(cluster, ['delete', tc.target.resource, orphan.name, '--wait=false']);
  }
}
