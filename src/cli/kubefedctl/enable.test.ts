import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { ClusterClient } from '../../kube/client.js';
import { UnknownTypeError, type Discovery, type ResourceInfo } from '../../kube/discovery.js';
import { KubeError } from '../../kube/errors.js';
import { CliError } from './context.js';
import {
  memberServes,
  membersProblem,
  planEnable,
  renderPlan,
  resolveTargetType,
  unfederatableReason,
  type MemberServing,
} from './enable.js';

const resource = (r: Partial<ResourceInfo>): ResourceInfo => ({
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  resource: 'deployments',
  singular: 'deployment',
  namespaced: true,
  verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  shortNames: ['deploy'],
  categories: ['all'],
  subresources: ['scale', 'status'],
  preferred: true,
  ...r,
});
const deployments = resource({});

/** A discovery that knows `resources` and resolves only `deployments.apps`. */
const fakeDiscovery = (resources: ResourceInfo[]) =>
  ({
    resolve: (name: string) =>
      name === 'deployments.apps'
        ? Promise.resolve(resources[0]!)
        : Promise.reject(new UnknownTypeError(`the server c1 has no resource type "${name}"`)),
    resources: () => Promise.resolve(resources),
  }) as unknown as Discovery;

describe('resolveTargetType', () => {
  it('pins --version to a served version, naming the served ones otherwise', async () => {
    const v1beta1 = resource({ version: 'v1beta1', preferred: false });
    const discovery = fakeDiscovery([deployments, v1beta1]);
    expect(await resolveTargetType(discovery, 'deployments.apps', 'v1beta1', 'c1')).toBe(v1beta1);
    await expect(resolveTargetType(discovery, 'deployments.apps', 'v2', 'c1')).rejects.toThrow(
      new CliError(
        '--version v2: host cluster "c1" does not serve deployments.apps/v2; served versions: v1, v1beta1',
      ),
    );
  });

  it('explains an unknown type with the way to list types', async () => {
    await expect(resolveTargetType(fakeDiscovery([deployments]), 'nope', undefined, 'c1')).rejects.toThrow(
      /^cannot resolve type "nope": the server c1 has no resource type "nope"; list the types the host serves with kubectl api-resources/,
    );
  });
});

describe('unfederatableReason', () => {
  it('refuses KubeFed types and types the sync controller cannot manage', () => {
    expect(unfederatableReason(deployments, 'types.kubefed.io')).toBeUndefined();
    expect(unfederatableReason(resource({ group: 'core.kubefed.io' }), 'types.kubefed.io')).toMatch(
      /KubeFed's own API group core.kubefed.io/,
    );
    expect(unfederatableReason(resource({ group: 'x.io' }), 'x.io')).toMatch(/--federated-group x.io/);
    expect(unfederatableReason(resource({ verbs: ['create'] }), 'types.kubefed.io')).toBe(
      'the API server does not allow get, list, watch, update, delete on it (propagation needs get, list, watch, create, update, delete)',
    );
  });
});

describe('planEnable and renderPlan', () => {
  const template = {
    schema: {
      type: 'object',
      properties: { spec: { type: 'object', properties: { replicas: { type: 'integer' } } } },
    },
    source: { kind: 'openapi', path: '/openapi/v3/apis/apps/v1' } as const,
  };
  const plan = planEnable(deployments, template, {
    namespace: 'fed',
    federatedGroup: 'types.kubefed.io',
    federatedVersion: 'v1beta1',
  });

  it('names the FederatedTypeConfig and CRD, adding retainReplicas for an integer spec.replicas', () => {
    expect(plan.typeConfig.metadata).toEqual({ name: 'deployments.apps', namespace: 'fed' });
    expect(plan.crdName).toBe('federateddeployments.types.kubefed.io');
    expect(JSON.stringify(plan.crd)).toContain('"retainReplicas"');
  });

  it('prints yaml as FederatedTypeConfig then CRD, each after ---', () => {
    const text = renderPlan(plan, 'yaml');
    expect(text.startsWith('---\napiVersion: core.kubefed.io/v1beta1\nkind: FederatedTypeConfig\n')).toBe(
      true,
    );
    const docs = parseAllDocuments(text).map((d) => d.toJS() as { kind: string });
    expect(docs.map((d) => d.kind)).toEqual(['FederatedTypeConfig', 'CustomResourceDefinition']);
  });

  it('prints json as a v1 List that kubectl applies', () => {
    const list = JSON.parse(renderPlan(plan, 'json')) as { kind: string; items: { kind: string }[] };
    expect(list.kind).toBe('List');
    expect(list.items.map((i) => i.kind)).toEqual(['FederatedTypeConfig', 'CustomResourceDefinition']);
  });
});

describe('memberServes', () => {
  const client = (answer: () => Promise<unknown>) =>
    ({ name: 'c3', request: answer }) as unknown as ClusterClient;
  const error = (kind: KubeError['kind'], code: number, message: string) =>
    new KubeError(kind, message, { cluster: 'c3', method: 'GET', path: '/apis/apps/v1' }, code);

  it.each<[string, () => Promise<unknown>, MemberServing]>([
    [
      'serves',
      () => Promise.resolve({ resources: [{ name: 'deployments', kind: 'Deployment' }] }),
      { cluster: 'c3', kind: 'serves' },
    ],
    [
      'serves the group-version without the resource',
      () => Promise.resolve({ resources: [{ name: 'replicasets', kind: 'ReplicaSet' }] }),
      { cluster: 'c3', kind: 'not-served', why: 'apps/v1 is served without deployments (kind Deployment)' },
    ],
    [
      'does not serve the group-version',
      () => Promise.reject(error('NotFound', 404, 'the server could not find the requested resource')),
      { cluster: 'c3', kind: 'not-served', why: 'apps/v1 is not served' },
    ],
    [
      'cannot be reached',
      () => Promise.reject(error('Unavailable', 0, 'cannot reach the API server (ECONNREFUSED)')),
      { cluster: 'c3', kind: 'unreachable', why: 'cannot reach the API server (ECONNREFUSED)' },
    ],
    [
      'refuses the credentials',
      () => Promise.reject(error('Unauthorized', 401, 'Unauthorized')),
      { cluster: 'c3', kind: 'unchecked', why: 'Unauthorized' },
    ],
  ])('reports a member that %s', async (_name, answer, expected) => {
    expect(await memberServes(client(answer), deployments)).toEqual(expected);
  });
});

describe('membersProblem', () => {
  it('is undefined when every member serves the type', () => {
    expect(membersProblem(deployments, [{ cluster: 'a', kind: 'serves' }])).toBeUndefined();
    expect(membersProblem(deployments, [])).toBeUndefined();
  });

  it('names each failing member and why, in one line', () => {
    expect(
      membersProblem(deployments, [
        { cluster: 'a', kind: 'serves' },
        { cluster: 'b', kind: 'not-served', why: 'apps/v1 is not served' },
        { cluster: 'c', kind: 'unreachable', why: 'request timed out' },
      ]),
    ).toBe(
      'not every joined cluster serves deployments.apps/v1 (kind Deployment): b (not served: apps/v1 is not served); c (unreachable: request timed out); install the type in those clusters (or unjoin them), then run enable again',
    );
    expect(
      membersProblem(deployments, [{ cluster: 'c', kind: 'unchecked', why: 'secret fed/c-x not found' }]),
    ).toMatch(/c \(cannot check: secret fed\/c-x not found\); make those clusters reachable/);
  });
});
