import { describe, expect, it } from 'vitest';
import { handleAdmission, HOOKS, type AdmissionRequest } from './admission.js';

type Response = {
  uid: string;
  allowed: boolean;
  warnings?: string[];
  status?: { code: number; reason?: string; message?: string };
  patchType?: string;
  patch?: string;
};

function review(request: Partial<AdmissionRequest>, apiVersion = 'admission.k8s.io/v1'): string {
  return JSON.stringify({ apiVersion, kind: 'AdmissionReview', request: { uid: 'u-1', ...request } });
}

function call(path: string, request: Partial<AdmissionRequest>): Response {
  const reply = handleAdmission('POST', path, review(request));
  expect(reply.status).toBe(200);
  expect(reply.contentType).toBe('application/json');
  const body = JSON.parse(reply.body) as { apiVersion: string; kind: string; response: Response };
  expect(body).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' });
  expect(body.response.uid).toBe('u-1');
  return body.response;
}

const core = (resource: string, kind: string) => ({
  kind: { group: 'core.kubefed.io', version: 'v1beta1', kind },
  resource: { group: 'core.kubefed.io', version: 'v1beta1', resource },
  namespace: 'kf',
});
const cluster = (spec: unknown, extra: Partial<AdmissionRequest> = {}) => ({
  ...core('kubefedclusters', 'KubeFedCluster'),
  name: 'c2',
  operation: 'CREATE',
  object: { metadata: { name: 'c2', namespace: 'kf' }, spec },
  ...extra,
});
const badCluster = { apiEndpoint: 'ftp://x', secretRef: { name: '' } };

describe('handleAdmission', () => {
  it('serves the upstream hook paths, and the sync finalizer', () => {
    expect(Object.keys(HOOKS).sort()).toEqual([
      '/default-kubefedconfig',
      '/mutate-federated',
      '/validate-federated',
      '/validate-federatedtypeconfigs',
      '/validate-kubefedcluster',
      '/validate-kubefedconfig',
      '/validate-replicaschedulingpreferences',
    ]);
  });

  it('denies with 403 and every field error, naming the object', () => {
    const r = call('/validate-kubefedcluster', cluster(badCluster));
    expect(r.allowed).toBe(false);
    expect(r.status).toEqual({
      code: 403,
      reason: 'Forbidden',
      message:
        'KubeFedCluster "kf/c2" is invalid: spec.apiEndpoint: Invalid value: "ftp://x": scheme ftp is not supported; use https://; spec.secretRef.name: Required value: the Secret in the KubeFed namespace holding data.token',
    });
  });

  it('allows a valid object with code 200', () => {
    const r = call(
      '/validate-kubefedcluster',
      cluster({ apiEndpoint: 'https://a:6443', secretRef: { name: 's' } }),
    );
    expect(r).toEqual({ uid: 'u-1', allowed: true, status: { code: 200 } });
  });

  it('checks only CREATE and UPDATE', () => {
    expect(call('/validate-kubefedcluster', cluster(badCluster, { operation: 'UPDATE' })).allowed).toBe(
      false,
    );
    expect(call('/validate-kubefedcluster', cluster(badCluster, { operation: 'DELETE' })).allowed).toBe(true);
    expect(call('/validate-kubefedcluster', cluster(badCluster, { operation: 'CONNECT' })).allowed).toBe(
      true,
    );
  });

  it('admits updates that leave an invalid spec alone (finalizers, labels, deletion), not spec changes', () => {
    const stored = { metadata: { name: 'c2', namespace: 'kf' }, spec: badCluster };
    const update = (object: unknown) =>
      cluster(badCluster, { operation: 'UPDATE', object, oldObject: stored });
    const relabelled = {
      ...stored,
      metadata: { ...stored.metadata, labels: { a: 'b' }, finalizers: ['x/y'] },
    };
    expect(call('/validate-kubefedcluster', update(relabelled)).allowed).toBe(true);
    const reordered = { ...stored, spec: { secretRef: { name: '' }, apiEndpoint: 'ftp://x' } };
    expect(call('/validate-kubefedcluster', update(reordered)).allowed).toBe(true);
    const deleting = {
      metadata: { ...stored.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' },
      spec: { ...badCluster, proxyURL: 'ftp://p' },
    };
    expect(call('/validate-kubefedcluster', update(deleting)).allowed).toBe(true);
    const changed = { ...stored, spec: { ...badCluster, proxyURL: 'ftp://p' } };
    expect(call('/validate-kubefedcluster', update(changed)).status?.message).toMatch(/spec.proxyURL/);
  });

  it('allows requests for other groups or resources unchecked', () => {
    const otherGroup = cluster(badCluster, {
      resource: { group: 'example.io', version: 'v1', resource: 'kubefedclusters' },
    });
    expect(call('/validate-kubefedcluster', otherGroup).allowed).toBe(true);
    const otherResource = cluster(badCluster, {
      resource: { group: 'core.kubefed.io', version: 'v1beta1', resource: 'kubefedconfigs' },
    });
    expect(call('/validate-kubefedcluster', otherResource).allowed).toBe(true);
  });

  it('applies the status rules, not the spec rules, to /status writes', () => {
    const statusWrite = (status: unknown) =>
      cluster(badCluster, {
        subResource: 'status',
        operation: 'UPDATE',
        object: { metadata: { name: 'c2' }, spec: badCluster, status },
      });
    const good = { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: '2024-01-01T00:00:00Z' }] };
    expect(call('/validate-kubefedcluster', statusWrite(good)).allowed).toBe(true);
    const r = call(
      '/validate-kubefedcluster',
      statusWrite({ conditions: [{ type: 'Ready', status: 'Maybe' }] }),
    );
    expect(r.allowed).toBe(false);
    expect(r.status?.message).toMatch(
      /^KubeFedCluster "kf\/c2" status is invalid: status.conditions\[0\].status: /,
    );
    expect(r.status?.message).toMatch(/status.conditions\[0\].lastProbeTime: Required value/);
  });

  it('validates FederatedTypeConfig spec and status', () => {
    const ftc = {
      ...core('federatedtypeconfigs', 'FederatedTypeConfig'),
      name: 'configmaps',
      operation: 'CREATE',
      object: { metadata: { name: 'configmaps' }, spec: { propagation: 'Enabled' } },
    };
    expect(call('/validate-federatedtypeconfigs', ftc).status?.message).toMatch(
      /spec.targetType: Required value.*spec.federatedType: Required value/,
    );
    const status = { ...ftc, subResource: 'status', object: { status: { propagationController: 'Up' } } };
    expect(call('/validate-federatedtypeconfigs', status).status?.message).toMatch(
      /status.propagationController: Unsupported value: "Up"/,
    );
  });

  it('refuses a KubeFedConfig scope change on UPDATE only', () => {
    const req = (operation: string) => ({
      ...core('kubefedconfigs', 'KubeFedConfig'),
      name: 'kubefed',
      operation,
      object: { spec: { scope: 'Namespaced' } },
      oldObject: { spec: { scope: 'Cluster' } },
    });
    expect(call('/validate-kubefedconfig', req('CREATE')).allowed).toBe(true);
    expect(call('/validate-kubefedconfig', req('UPDATE')).status?.message).toMatch(/spec.scope: .*immutable/);
  });

  it('defaults a KubeFedConfig with a base64 JSON patch', () => {
    const r = call('/default-kubefedconfig', {
      ...core('kubefedconfigs', 'KubeFedConfig'),
      operation: 'CREATE',
      object: { metadata: { name: 'kubefed' }, spec: { scope: 'Cluster' } },
    });
    expect(r.allowed).toBe(true);
    expect(r.patchType).toBe('JSONPatch');
    const patch = JSON.parse(Buffer.from(r.patch!, 'base64').toString('utf8')) as {
      op: string;
      path: string;
      value: Record<string, unknown>;
    }[];
    expect(patch).toHaveLength(1);
    expect(patch[0]).toMatchObject({ op: 'replace', path: '/spec', value: { scope: 'Cluster' } });
    expect(patch[0]!.value.syncController).toEqual({ maxConcurrentReconciles: 1, adoptResources: 'Enabled' });
  });

  it('validates ReplicaSchedulingPreferences', () => {
    const r = call('/validate-replicaschedulingpreferences', {
      kind: { group: 'scheduling.kubefed.io', version: 'v1alpha1', kind: 'ReplicaSchedulingPreference' },
      resource: {
        group: 'scheduling.kubefed.io',
        version: 'v1alpha1',
        resource: 'replicaschedulingpreferences',
      },
      namespace: 'ns1',
      name: 'web',
      operation: 'CREATE',
      object: { spec: { targetKind: 'FederatedDeployment', totalReplicas: -3 } },
    });
    expect(r.status?.message).toMatch(
      /^ReplicaSchedulingPreference "ns1\/web" is invalid: spec.totalReplicas: /,
    );
  });

  it('admits a ReplicaSchedulingPreference the planner cannot meet in full, with warnings', () => {
    const r = call('/validate-replicaschedulingpreferences', {
      kind: { group: 'scheduling.kubefed.io', version: 'v1alpha1', kind: 'ReplicaSchedulingPreference' },
      resource: {
        group: 'scheduling.kubefed.io',
        version: 'v1alpha1',
        resource: 'replicaschedulingpreferences',
      },
      namespace: 'ns1',
      name: 'web',
      operation: 'CREATE',
      object: {
        spec: {
          targetKind: 'FederatedDeployment',
          totalReplicas: 3,
          clusters: { c1: { minReplicas: 2, weight: 1 }, c2: { minReplicas: 2, weight: 1 } },
        },
      },
    });
    expect(r.allowed).toBe(true);
    expect(r.warnings).toEqual([
      expect.stringMatching(/^spec.totalReplicas: the minReplicas of the clusters add up to 4/) as string,
    ]);
  });

  it('validates objects of any federated group, naming the kind', () => {
    const request = (group: string, resource: string, kind: string) => ({
      kind: { group, version: 'v1beta1', kind },
      resource: { group, version: 'v1beta1', resource },
      namespace: 'ns1',
      name: 'web',
      operation: 'CREATE',
      object: {
        spec: {
          overrides: [{ clusterName: 'c1', clusterOverrides: [{ path: '/metadata/name', value: 'x' }] }],
        },
      },
    });
    const r = call('/validate-federated', request('fed.example.io', 'federatedwidgets', 'FederatedWidget'));
    expect(r.allowed).toBe(false);
    expect(r.status?.message).toMatch(
      /^FederatedWidget "ns1\/web" is invalid: spec.overrides\[0\].clusterOverrides\[0\].path: Forbidden: "\/metadata\/name"/,
    );
    // core.kubefed.io is never a federated group, e.g. federatedservicestatuses.
    expect(
      call(
        '/validate-federated',
        request('core.kubefed.io', 'federatedservicestatuses', 'FederatedServiceStatus'),
      ).allowed,
    ).toBe(true);
  });

  it('names generateName objects by their prefix', () => {
    const r = call('/validate-kubefedcluster', {
      ...cluster(badCluster),
      name: '',
      object: { metadata: { generateName: 'c-' }, spec: badCluster },
    });
    expect(r.status?.message).toMatch(/^KubeFedCluster "kf\/c-\*" is invalid/);
  });

  it('answers in the AdmissionReview version it was asked in', () => {
    const reply = handleAdmission(
      'POST',
      '/validate-kubefedcluster',
      review(cluster(badCluster), 'admission.k8s.io/v1beta1'),
    );
    expect(JSON.parse(reply.body)).toMatchObject({ apiVersion: 'admission.k8s.io/v1beta1' });
  });

  it.each([
    ['not JSON', '{', /the body is not JSON/],
    ['a JSON array', '[]', /not an AdmissionReview object/],
    ['another kind', JSON.stringify({ apiVersion: 'v1', kind: 'Pod' }), /expected kind AdmissionReview/],
    [
      'a review without request',
      JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }),
      /no request with a uid/,
    ],
  ])('answers HTTP 400 to a body that is %s', (_, body, message) => {
    const reply = handleAdmission('POST', '/validate-kubefedcluster', body);
    expect(reply.status).toBe(400);
    expect(reply.body).toMatch(message);
  });

  it('answers 404 for unknown paths and 405 for other methods', () => {
    expect(handleAdmission('POST', '/validate-pods', '{}')).toMatchObject({ status: 404 });
    expect(handleAdmission('GET', '/validate-kubefedcluster', '')).toMatchObject({ status: 405 });
  });
});
