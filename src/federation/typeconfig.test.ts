import { describe, expect, it } from 'vitest';
import { DEFAULT_FEDERATED_DEFINITIONS } from '../api/index.js';
import type { FederatedTypeConfig } from '../api/core.js';
import type { JsonSchema } from './template-schema.js';
import {
  defaultTypeConfigs,
  federatedCrd,
  federatedCrdName,
  federatedGroupProblem,
  federatedShortNames,
  federatedTypeConfig,
  federatedVersionProblem,
  templateSchemaOf,
  typeConfigName,
  typeResources,
  type TargetResource,
  type TypeResources,
} from './typeconfig.js';

const deployments: TargetResource = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  resource: 'deployments',
  namespaced: true,
  shortNames: ['deploy'],
};
const namespaces: TargetResource = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  resource: 'namespaces',
  namespaced: false,
  shortNames: ['ns'],
};
const myTypes: TargetResource = {
  group: 'mygroup.mydomain.io',
  version: 'v1alpha1',
  kind: 'MyType',
  resource: 'mytypes',
  namespaced: true,
};

describe('naming of federated types', () => {
  it('names the FederatedTypeConfig plural.group, or plural for the core group', () => {
    expect(typeConfigName(deployments)).toBe('deployments.apps');
    expect(typeConfigName(namespaces)).toBe('namespaces');
    expect(typeConfigName(myTypes)).toBe('mytypes.mygroup.mydomain.io');
  });

  it('names the CRD federated<plural>.<federated group>', () => {
    expect(federatedCrdName(deployments)).toBe('federateddeployments.types.kubefed.io');
    expect(federatedCrdName(myTypes, { group: 'x.example.io' })).toBe('federatedmytypes.x.example.io');
  });

  it('prefixes the target short names with f, adding upstream short names of default types', () => {
    expect(federatedShortNames(deployments)).toEqual(['fdeploy']);
    expect(federatedShortNames({ ...deployments, shortNames: [] })).toEqual(['fdeploy']);
    expect(federatedShortNames({ ...myTypes, shortNames: ['mt', 'myt'] })).toEqual(['fmt', 'fmyt']);
    expect(federatedShortNames(myTypes)).toEqual([]);
  });

  it('accepts only a dotted DNS subdomain as federated group and a DNS-1035 label as version', () => {
    expect(federatedGroupProblem('types.kubefed.io')).toBeUndefined();
    expect(federatedGroupProblem('types')).toMatch(/at least one dot/);
    expect(federatedGroupProblem('Types.io')).toMatch(/DNS-1123 subdomain/);
    expect(federatedVersionProblem('v1beta1')).toBeUndefined();
    expect(federatedVersionProblem('1')).toMatch(/DNS-1035/);
  });
});

describe('federatedTypeConfig', () => {
  it('federates deployments.apps as FederatedDeployment in types.kubefed.io/v1beta1', () => {
    expect(federatedTypeConfig(deployments, 'kube-federation-system')).toEqual({
      apiVersion: 'core.kubefed.io/v1beta1',
      kind: 'FederatedTypeConfig',
      metadata: { name: 'deployments.apps', namespace: 'kube-federation-system' },
      spec: {
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
      },
    });
  });

  it('omits the core group and makes FederatedNamespace namespaced', () => {
    const ftc = federatedTypeConfig(namespaces, 'ns1', { group: 'g.io', version: 'v2' });
    expect(ftc.spec.targetType).toEqual({
      version: 'v1',
      kind: 'Namespace',
      pluralName: 'namespaces',
      scope: 'Cluster',
    });
    expect(ftc.spec.federatedType).toMatchObject({ group: 'g.io', version: 'v2', scope: 'Namespaced' });
  });
});

describe('federatedCrd', () => {
  type Crd = {
    metadata: { name: string };
    spec: {
      group: string;
      scope: string;
      names: { kind: string; shortNames?: string[] };
      versions: { name: string; schema: { openAPIV3Schema: JsonSchema } }[];
    };
  };
  const specProperties = (crd: Crd) =>
    (crd.spec.versions[0]!.schema.openAPIV3Schema.properties as Record<string, JsonSchema>).spec!
      .properties as Record<string, JsonSchema>;

  it('holds the template schema as given, and retainReplicas when asked', () => {
    const template: JsonSchema = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: { port: { anyOf: [{ type: 'integer' }], 'x-kubernetes-int-or-string': true } },
        },
      },
    };
    const crd = federatedCrd(deployments, { template, retainReplicas: true, group: 'g.io' }) as Crd;
    expect(crd.metadata.name).toBe('federateddeployments.g.io');
    expect(crd.spec.names).toMatchObject({ kind: 'FederatedDeployment', shortNames: ['fdeploy'] });
    expect(Object.keys(specProperties(crd))).toEqual([
      'template',
      'placement',
      'overrides',
      'retainReplicas',
    ]);
    expect(templateSchemaOf(crd as unknown as JsonSchema)).toBe(template);
  });

  it('defaults to a preserve-unknown template without retainReplicas', () => {
    const crd = federatedCrd(myTypes) as Crd;
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names.shortNames).toBeUndefined();
    expect(specProperties(crd).template).toMatchObject({ 'x-kubernetes-preserve-unknown-fields': true });
    expect(specProperties(crd).retainReplicas).toBeUndefined();
  });
});

describe('defaultTypeConfigs', () => {
  it("federates upstream's chart defaults plus the RBAC bindings and roles", () => {
    expect(defaultTypeConfigs().map((f) => f.metadata.name)).toEqual([
      'clusterrolebindings.rbac.authorization.k8s.io',
      'clusterroles.rbac.authorization.k8s.io',
      'configmaps',
      'deployments.apps',
      'ingresses.networking.k8s.io',
      'jobs.batch',
      'namespaces',
      'replicasets.apps',
      'rolebindings.rbac.authorization.k8s.io',
      'roles.rbac.authorization.k8s.io',
      'secrets',
      'serviceaccounts',
      'services',
    ]);
    expect(new Set(defaultTypeConfigs().map((f) => f.metadata.namespace))).toEqual(
      new Set(['kube-federation-system']),
    );
  });

  it('points every FederatedTypeConfig at a generated default CRD', () => {
    const crds = DEFAULT_FEDERATED_DEFINITIONS.map(
      (d) => `${d.kind} ${d.plural}.${d.group} ${d.version} ${d.scope}`,
    );
    for (const ftc of defaultTypeConfigs()) {
      const t = ftc.spec.federatedType;
      expect(crds).toContain(`${t.kind} ${t.pluralName}.${t.group} ${t.version} ${t.scope}`);
    }
  });

  it('uses the namespace and federated group given', () => {
    const ftcs = defaultTypeConfigs('fed', 'x.example.io');
    expect(
      ftcs.every((f) => f.metadata.namespace === 'fed' && f.spec.federatedType.group === 'x.example.io'),
    ).toBe(true);
  });
});

describe('typeResources', () => {
  const spec = (overrides: Partial<FederatedTypeConfig['spec']>): { spec: FederatedTypeConfig['spec'] } => ({
    spec: { ...federatedTypeConfig(deployments, 'kube-federation-system').spec, ...overrides },
  });
  const deploymentTypes = {
    target: { group: 'apps', version: 'v1', resource: 'deployments', namespaced: true },
    targetApiVersion: 'apps/v1',
    targetKind: 'Deployment',
    federated: {
      group: 'types.kubefed.io',
      version: 'v1beta1',
      resource: 'federateddeployments',
      namespaced: true,
    },
    federatedApiVersion: 'types.kubefed.io/v1beta1',
    federatedKind: 'FederatedDeployment',
  };

  it.each<[string, { spec: FederatedTypeConfig['spec'] }, TypeResources]>([
    ['a namespaced type without status collection: no status type', spec({}), deploymentTypes],
    [
      'status collection Enabled without statusType: <FederatedKind>Status in the federated group and scope',
      spec({ statusCollection: 'Enabled' }),
      {
        ...deploymentTypes,
        status: {
          group: 'types.kubefed.io',
          version: 'v1beta1',
          resource: 'federateddeploymentstatuses',
          namespaced: true,
        },
        statusApiVersion: 'types.kubefed.io/v1beta1',
        statusKind: 'FederatedDeploymentStatus',
      },
    ],
    [
      'status collection Disabled: no status type even with a statusType',
      spec({ statusCollection: 'Disabled', statusType: { kind: 'FederatedServiceStatus' } }),
      deploymentTypes,
    ],
    [
      'a statusType with only a kind: the plural from the kind, the rest from the federated type',
      spec({ statusCollection: 'Enabled', statusType: { kind: 'FederatedServiceStatus' } }),
      {
        ...deploymentTypes,
        status: {
          group: 'types.kubefed.io',
          version: 'v1beta1',
          resource: 'federatedservicestatuses',
          namespaced: true,
        },
        statusApiVersion: 'types.kubefed.io/v1beta1',
        statusKind: 'FederatedServiceStatus',
      },
    ],
    [
      'a full statusType',
      spec({
        statusCollection: 'Enabled',
        statusType: {
          group: 'core.kubefed.io',
          version: 'v1alpha1',
          kind: 'X',
          pluralName: 'xs',
          scope: 'Cluster',
        },
      }),
      {
        ...deploymentTypes,
        status: { group: 'core.kubefed.io', version: 'v1alpha1', resource: 'xs', namespaced: false },
        statusApiVersion: 'core.kubefed.io/v1alpha1',
        statusKind: 'X',
      },
    ],
    [
      'a core-group, cluster-scoped target: an empty group and a bare apiVersion',
      spec({
        targetType: { version: 'v1', kind: 'Namespace', pluralName: 'namespaces', scope: 'Cluster' },
        federatedType: {
          group: 'types.kubefed.io',
          version: 'v1beta1',
          kind: 'FederatedNamespace',
          pluralName: 'federatednamespaces',
          scope: 'Namespaced',
        },
      }),
      {
        target: { group: '', version: 'v1', resource: 'namespaces', namespaced: false },
        targetApiVersion: 'v1',
        targetKind: 'Namespace',
        federated: {
          group: 'types.kubefed.io',
          version: 'v1beta1',
          resource: 'federatednamespaces',
          namespaced: true,
        },
        federatedApiVersion: 'types.kubefed.io/v1beta1',
        federatedKind: 'FederatedNamespace',
      },
    ],
  ])('%s', (_, ftc, resources) => {
    expect(typeResources(ftc)).toEqual(resources);
  });

  it('matches the resources of the FederatedTypeConfigs that kubefedctl enable writes', () => {
    for (const ftc of defaultTypeConfigs()) {
      const r = typeResources(ftc);
      expect(r.federated.resource).toBe(`federated${r.target.resource}`);
      expect(r.federatedKind).toBe(`Federated${r.targetKind}`);
      expect(ftc.metadata.name).toBe(
        r.target.group ? `${r.target.resource}.${r.target.group}` : r.target.resource,
      );
    }
  });
});
