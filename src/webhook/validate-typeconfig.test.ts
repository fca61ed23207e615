import { describe, expect, it } from 'vitest';
import { defaultTypeConfigs } from '../federation/typeconfig.js';
import { validateFederatedTypeConfig, validateFederatedTypeConfigStatus } from './validate-typeconfig.js';

const deployments = () => ({
  metadata: { name: 'deployments.apps', namespace: 'kf' },
  spec: {
    targetType: {
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
      pluralName: 'deployments',
      scope: 'Namespaced',
    },
    federatedType: {
      group: 'types.kubefed.io',
      version: 'v1beta1',
      kind: 'FederatedDeployment',
      pluralName: 'federateddeployments',
      scope: 'Namespaced',
    },
    propagation: 'Enabled',
  } as Record<string, unknown>,
});

/** deployments.apps with one change applied by `edit`. */
function ftc(edit: (o: ReturnType<typeof deployments>) => void) {
  const o = deployments();
  edit(o);
  return o;
}
const target = (o: ReturnType<typeof deployments>) => o.spec.targetType as Record<string, unknown>;
const federated = (o: ReturnType<typeof deployments>) => o.spec.federatedType as Record<string, unknown>;

describe('validateFederatedTypeConfig', () => {
  it('accepts every default FederatedTypeConfig of the chart', () => {
    const all = defaultTypeConfigs('kube-federation-system');
    expect(all.length).toBeGreaterThanOrEqual(10);
    for (const o of all) expect(validateFederatedTypeConfig(o), o.metadata.name).toEqual([]);
  });

  it('accepts a status type and status collection', () => {
    const o = ftc((x) => {
      x.spec.statusType = { kind: 'FederatedServiceStatus', pluralName: 'federatedservicestatuses' };
      x.spec.statusCollection = 'Enabled';
    });
    expect(validateFederatedTypeConfig(o)).toEqual([]);
  });

  it.each([
    [
      'a name other than plural.group',
      (x) => (x.metadata.name = 'deployments'),
      'metadata.name',
      /must be "deployments.apps" \(<targetType.pluralName>\[.<targetType.group>\]\)/,
    ],
    ['no spec', (x) => delete (x as { spec?: unknown }).spec, 'spec', /Required value/],
    ['no targetType', (x) => delete x.spec.targetType, 'spec.targetType', /Required value/],
    [
      'a federated group without a dot',
      (x) => (federated(x).group = 'types'),
      'spec.federatedType.group',
      /must contain a dot/,
    ],
    ['no federated group', (x) => delete federated(x).group, 'spec.federatedType.group', /Required value/],
    [
      'an uppercase target group',
      (x) => (target(x).group = 'Apps'),
      'spec.targetType.group',
      /not a DNS-1123 subdomain/,
    ],
    [
      'a version that is not a DNS-1035 label',
      (x) => (target(x).version = '1'),
      'spec.targetType.version',
      /not a DNS-1035 label/,
    ],
    ['no kind', (x) => delete federated(x).kind, 'spec.federatedType.kind', /Required value/],
    [
      'a kind with a dot',
      (x) => (target(x).kind = 'Deploy.ment'),
      'spec.targetType.kind',
      /not a DNS-1035 label/,
    ],
    [
      'an uppercase pluralName',
      (x) => (federated(x).pluralName = 'FederatedDeployments'),
      'spec.federatedType.pluralName',
      /not a DNS-1035 label/,
    ],
    [
      'an unknown scope',
      (x) => (target(x).scope = 'Global'),
      'spec.targetType.scope',
      /supported values: "Namespaced", "Cluster"/,
    ],
    [
      'a federated scope other than the target scope',
      (x) => (federated(x).scope = 'Cluster'),
      'spec.federatedType.scope',
      /must be "Namespaced", the scope of the target type/,
    ],
    ['propagation "On"', (x) => (x.spec.propagation = 'On'), 'spec.propagation', /Unsupported value: "On"/],
    ['no propagation', (x) => delete x.spec.propagation, 'spec.propagation', /Required value/],
    [
      'statusCollection "Yes"',
      (x) => (x.spec.statusCollection = 'Yes'),
      'spec.statusCollection',
      /Unsupported value: "Yes"/,
    ],
    [
      'a statusType without kind',
      (x) => (x.spec.statusType = { version: 'v1alpha1' }),
      'spec.statusType.kind',
      /Required value/,
    ],
  ] as [string, (x: ReturnType<typeof deployments>) => void, string, RegExp][])(
    'refuses %s',
    (_, edit, field, message) => {
      expect(validateFederatedTypeConfig(ftc(edit))).toContainEqual({
        field,
        message: expect.stringMatching(message) as string,
      });
    },
  );

  it('requires FederatedNamespace to be namespaced although namespaces are cluster-scoped', () => {
    const ns = defaultTypeConfigs('kf').find((o) => o.metadata.name === 'namespaces')!;
    ns.spec.federatedType.scope = 'Cluster';
    expect(validateFederatedTypeConfig(ns)).toEqual([
      {
        field: 'spec.federatedType.scope',
        message: 'Invalid value: "Cluster": must be "Namespaced", FederatedNamespace is always namespaced',
      },
    ]);
  });
});

describe('validateFederatedTypeConfigStatus', () => {
  it('accepts what the FTC controller writes', () => {
    expect(
      validateFederatedTypeConfigStatus({
        observedGeneration: 2,
        propagationController: 'Running',
        statusController: 'NotRunning',
      }),
    ).toEqual([]);
  });
  it.each([
    [{}, 'status.propagationController', /Required value/],
    [{ propagationController: 'Started' }, 'status.propagationController', /Unsupported value: "Started"/],
    [
      { propagationController: 'Running', statusController: 'Up' },
      'status.statusController',
      /Unsupported value: "Up"/,
    ],
    [
      { propagationController: 'Running', observedGeneration: -1 },
      'status.observedGeneration',
      /integer >= 0/,
    ],
  ])('refuses %j', (status, field, message) => {
    expect(validateFederatedTypeConfigStatus(status)).toContainEqual({
      field,
      message: expect.stringMatching(message) as string,
    });
  });
});
