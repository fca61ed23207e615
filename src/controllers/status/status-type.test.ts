import { describe, expect, it } from 'vitest';
import type { FederatedTypeConfig } from '../../api/core.js';
import { statusCollectionEnabled, statusTypeOf } from './status-type.js';

const spec = (extra: Partial<FederatedTypeConfig['spec']> = {}): FederatedTypeConfig['spec'] => ({
  targetType: {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    pluralName: 'deployments',
    scope: 'Namespaced',
  },
  propagation: 'Enabled',
  federatedType: {
    group: 'types.kubefed.io',
    version: 'v1beta1',
    kind: 'FederatedDeployment',
    pluralName: 'federateddeployments',
    scope: 'Namespaced',
  },
  ...extra,
});

describe('statusTypeOf', () => {
  it('defaults to Federated<Kind>Status in the federated group and version', () => {
    expect(statusTypeOf(spec())).toEqual({
      ref: {
        group: 'types.kubefed.io',
        version: 'v1beta1',
        resource: 'federateddeploymentstatuses',
        namespaced: true,
      },
      apiVersion: 'types.kubefed.io/v1beta1',
      kind: 'FederatedDeploymentStatus',
    });
  });

  it('takes spec.statusType as upstream FTCs give it (FederatedServiceStatus in core.kubefed.io/v1alpha1)', () => {
    const t = statusTypeOf(
      spec({
        statusType: {
          group: 'core.kubefed.io',
          version: 'v1alpha1',
          kind: 'FederatedServiceStatus',
          pluralName: 'federatedservicestatuses',
          scope: 'Namespaced',
        },
      }),
    );
    expect(t.apiVersion).toBe('core.kubefed.io/v1alpha1');
    expect(t.ref.resource).toBe('federatedservicestatuses');
  });

  it('fills a partial statusType from the federated type and derives the plural', () => {
    const t = statusTypeOf(spec({ statusType: { kind: 'FederatedDeploymentState' } }));
    expect(t.ref).toEqual({
      group: 'types.kubefed.io',
      version: 'v1beta1',
      resource: 'federateddeploymentstates',
      namespaced: true,
    });
  });
});

describe('statusCollectionEnabled', () => {
  it('is true only for statusCollection: Enabled', () => {
    expect(statusCollectionEnabled(spec({ statusCollection: 'Enabled' }))).toBe(true);
    expect(statusCollectionEnabled(spec({ statusCollection: 'Disabled' }))).toBe(false);
    expect(statusCollectionEnabled(spec())).toBe(false);
  });
});
