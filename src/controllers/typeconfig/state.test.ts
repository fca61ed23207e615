import { describe, expect, it } from 'vitest';
import type { FederatedTypeConfig } from '../../api/core.js';
import { desiredTypeConfigState, FTC_FINALIZER } from './state.js';

function ftc(
  targetScope: 'Namespaced' | 'Cluster',
  propagation: 'Enabled' | 'Disabled',
  meta: Partial<FederatedTypeConfig['metadata']> = {},
): FederatedTypeConfig {
  return {
    metadata: { name: 'x', namespace: 'kube-federation-system', generation: 1, ...meta },
    spec: {
      targetType: { version: 'v1', kind: 'ConfigMap', pluralName: 'configmaps', scope: targetScope },
      propagation,
      federatedType: {
        group: 'types.kubefed.io',
        version: 'v1beta1',
        kind: 'FederatedConfigMap',
        pluralName: 'federatedconfigmaps',
        scope: 'Namespaced',
      },
    },
  };
}

const withFinalizer = { finalizers: [FTC_FINALIZER] };

describe('desiredTypeConfigState', () => {
  it('runs an Enabled namespaced type when the namespaces FTC exists', () => {
    expect(
      desiredTypeConfigState({
        ftc: ftc('Namespaced', 'Enabled', withFinalizer),
        scope: 'Cluster',
        namespacesFtcPresent: true,
      }),
    ).toEqual({ action: 'reconcile', run: true, addFinalizer: false });
  });

  it('adds the finalizer when it is missing', () => {
    expect(
      desiredTypeConfigState({
        ftc: ftc('Cluster', 'Enabled'),
        scope: 'Cluster',
        namespacesFtcPresent: false,
      }),
    ).toEqual({ action: 'reconcile', run: true, addFinalizer: true });
  });

  it('does not run a namespaced type without the namespaces FTC', () => {
    const s = desiredTypeConfigState({
      ftc: ftc('Namespaced', 'Enabled', withFinalizer),
      scope: 'Cluster',
      namespacesFtcPresent: false,
    });
    expect(s).toMatchObject({ action: 'reconcile', run: false });
  });

  it('does not run a Disabled type', () => {
    expect(
      desiredTypeConfigState({
        ftc: ftc('Namespaced', 'Disabled', withFinalizer),
        scope: 'Cluster',
        namespacesFtcPresent: true,
      }),
    ).toMatchObject({ action: 'reconcile', run: false, addFinalizer: false, why: 'propagation is Disabled' });
  });

  it('never runs a cluster-scoped type in a Namespaced plane, and adds no finalizer', () => {
    expect(
      desiredTypeConfigState({
        ftc: ftc('Cluster', 'Enabled'),
        scope: 'Namespaced',
        namespacesFtcPresent: true,
      }),
    ).toMatchObject({ action: 'reconcile', run: false, addFinalizer: false });
  });

  it('finalizes a deleted FTC', () => {
    expect(
      desiredTypeConfigState({
        ftc: ftc('Namespaced', 'Enabled', { ...withFinalizer, deletionTimestamp: '2026-01-01T00:00:00Z' }),
        scope: 'Cluster',
        namespacesFtcPresent: true,
      }),
    ).toEqual({ action: 'finalize' });
  });
});
