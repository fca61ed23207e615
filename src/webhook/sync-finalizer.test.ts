import { describe, expect, it } from 'vitest';
import type { FederatedTypeConfig } from '../api/core.js';
import { handleAdmission } from './admission.js';
import { propagatesFrom, syncFinalizerPatch, type PropagatedTypes } from './sync-finalizer.js';

const ftc = (
  name: string,
  plural: string,
  o: { propagation?: string; scope?: string; deleting?: boolean } = {},
): FederatedTypeConfig =>
  ({
    apiVersion: 'core.kubefed.io/v1beta1',
    kind: 'FederatedTypeConfig',
    metadata: {
      name,
      namespace: 'kube-federation-system',
      ...(o.deleting ? { deletionTimestamp: '2026-12-07T00:00:00Z' } : {}),
    },
    spec: {
      targetType: { version: 'v1', kind: 'X', pluralName: name, scope: o.scope ?? 'Namespaced' },
      federatedType: {
        group: 'types.kubefed.io',
        version: 'v1beta1',
        kind: 'FederatedX',
        pluralName: plural,
        scope: o.scope ?? 'Namespaced',
      },
      propagation: o.propagation ?? 'Enabled',
    },
  }) as FederatedTypeConfig;

const NAMESPACES = ftc('namespaces', 'federatednamespaces');
const CONFIGMAPS = ftc('configmaps', 'federatedconfigmaps');

describe('which federated types the sync controller propagates (as the FTC controller decides)', () => {
  it('an Enabled namespaced type with the namespaces FTC present', () => {
    expect(propagatesFrom([NAMESPACES, CONFIGMAPS], 'types.kubefed.io', 'federatedconfigmaps')).toBe(true);
    expect(propagatesFrom([NAMESPACES], 'types.kubefed.io', 'federatednamespaces')).toBe(true);
  });

  it('not a type without an FTC, of another group, Disabled, being deleted, or without the namespaces FTC', () => {
    expect(propagatesFrom([NAMESPACES], 'types.kubefed.io', 'federatedconfigmaps')).toBe(false);
    expect(propagatesFrom([NAMESPACES, CONFIGMAPS], 'other.example.io', 'federatedconfigmaps')).toBe(false);
    expect(
      propagatesFrom(
        [NAMESPACES, ftc('configmaps', 'federatedconfigmaps', { propagation: 'Disabled' })],
        'types.kubefed.io',
        'federatedconfigmaps',
      ),
    ).toBe(false);
    expect(
      propagatesFrom(
        [NAMESPACES, ftc('configmaps', 'federatedconfigmaps', { deleting: true })],
        'types.kubefed.io',
        'federatedconfigmaps',
      ),
    ).toBe(false);
    expect(propagatesFrom([CONFIGMAPS], 'types.kubefed.io', 'federatedconfigmaps')).toBe(false);
    expect(
      propagatesFrom(
        [ftc('namespaces', 'federatednamespaces', { deleting: true }), CONFIGMAPS],
        'types.kubefed.io',
        'federatedconfigmaps',
      ),
    ).toBe(false);
  });

  it('a cluster-scoped type needs no namespaces FTC', () => {
    const crs = ftc('clusterroles.rbac.authorization.k8s.io', 'federatedclusterroles', { scope: 'Cluster' });
    expect(propagatesFrom([crs], 'types.kubefed.io', 'federatedclusterroles')).toBe(true);
  });
});

const known = (answer: boolean | undefined): PropagatedTypes => ({ propagates: () => answer });
const create = (metadata: Record<string, unknown>) => ({
  operation: 'CREATE',
  resource: { group: 'types.kubefed.io', resource: 'federatedconfigmaps' },
  object: { metadata: { name: 'cm', namespace: 'ns', ...metadata }, spec: {} },
});

describe('the sync finalizer patch of a new Federated<Kind>', () => {
  it('adds the finalizers list, or appends to one that lacks it', () => {
    expect(syncFinalizerPatch(create({}), known(true))).toEqual([
      { op: 'add', path: '/metadata/finalizers', value: ['kubefed.io/sync-controller'] },
    ]);
    expect(syncFinalizerPatch(create({ finalizers: [] }), known(true))).toEqual([
      { op: 'add', path: '/metadata/finalizers', value: ['kubefed.io/sync-controller'] },
    ]);
    expect(syncFinalizerPatch(create({ finalizers: ['example.com/keep'] }), known(true))).toEqual([
      { op: 'add', path: '/metadata/finalizers/-', value: 'kubefed.io/sync-controller' },
    ]);
  });

  it('nothing when it is set, the type is not propagated or not known yet, or no host access', () => {
    expect(syncFinalizerPatch(create({ finalizers: ['kubefed.io/sync-controller'] }), known(true))).toEqual(
      [],
    );
    expect(syncFinalizerPatch(create({}), known(false))).toEqual([]);
    expect(syncFinalizerPatch(create({}), known(undefined))).toEqual([]);
    expect(syncFinalizerPatch(create({}), undefined)).toEqual([]);
  });

  it('only on CREATE of the object itself: updates and subresources keep what they have', () => {
    expect(syncFinalizerPatch({ ...create({}), operation: 'UPDATE' }, known(true))).toEqual([]);
    expect(syncFinalizerPatch({ ...create({}), subResource: 'status' }, known(true))).toEqual([]);
  });
});

describe('/mutate-federated', () => {
  const review = (request: Record<string, unknown>) =>
    JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: { uid: 'u', ...request },
    });
  const fcm = {
    ...create({}),
    kind: { group: 'types.kubefed.io', version: 'v1beta1', kind: 'FederatedConfigMap' },
  };
  const response = (body: string) =>
    (JSON.parse(body) as { response: { allowed: boolean; patchType?: string; patch?: string } }).response;

  it('answers with the JSON patch when the type is propagated', () => {
    const types: PropagatedTypes = {
      propagates: (g, r) => g === 'types.kubefed.io' && r === 'federatedconfigmaps',
    };
    const r = response(
      handleAdmission('POST', '/mutate-federated', review(fcm), { propagatedTypes: types }).body,
    );
    expect(r.allowed).toBe(true);
    expect(r.patchType).toBe('JSONPatch');
    expect(JSON.parse(Buffer.from(r.patch!, 'base64').toString())).toEqual([
      { op: 'add', path: '/metadata/finalizers', value: ['kubefed.io/sync-controller'] },
    ]);
  });

  it('admits unchanged without the FTCs, and never touches KubeFed objects of its own groups', () => {
    expect(response(handleAdmission('POST', '/mutate-federated', review(fcm)).body)).toEqual({
      uid: 'u',
      allowed: true,
      status: { code: 200 },
    });
    const ftcCreate = {
      ...fcm,
      kind: { group: 'core.kubefed.io', version: 'v1beta1', kind: 'FederatedTypeConfig' },
      resource: { group: 'core.kubefed.io', resource: 'federatedtypeconfigs' },
    };
    const r = response(
      handleAdmission('POST', '/mutate-federated', review(ftcCreate), { propagatedTypes: known(true) }).body,
    );
    expect(r.patch).toBeUndefined();
  });
});
