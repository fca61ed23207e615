import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/resource.js';
import {
  decodePropagatedKeys,
  encodePropagatedKeys,
  PROPAGATED_KEYS_ANNOTATION,
  retainMemberFields,
  type RetainInput,
} from './retain.js';

const MANAGED = { 'kubefed.io/managed': 'true' };

function obj(apiVersion: string, kind: string, rest: Record<string, unknown> = {}, meta = {}): KubeObject {
  return { apiVersion, kind, metadata: { name: 'x', namespace: 'ns', ...meta }, ...rest };
}

function retained(input: Partial<RetainInput> & Pick<RetainInput, 'desired' | 'observed'>): KubeObject {
  const r = retainMemberFields({ retainReplicas: false, ...input });
  if (r.kind !== 'ok') throw new Error(r.message);
  return r.object;
}

describe('retainMemberFields: metadata', () => {
  it('copies resourceVersion and finalizers from the member object', () => {
    const out = retained({
      desired: obj('v1', 'ConfigMap', {}, { labels: MANAGED, finalizers: ['template/f'] }),
      observed: obj('v1', 'ConfigMap', {}, { resourceVersion: '42', finalizers: ['member/f'] }),
    });
    expect(out.metadata.resourceVersion).toBe('42');
    expect(out.metadata.finalizers).toEqual(['member/f']);
  });

  it('drops desired finalizers and resourceVersion the member object does not have', () => {
    const out = retained({
      desired: obj('v1', 'ConfigMap', {}, { finalizers: ['t'], resourceVersion: '1' }),
      observed: obj('v1', 'ConfigMap'),
    });
    expect(out.metadata).toEqual({ name: 'x', namespace: 'ns' });
  });

  type Maps = Record<string, string> | undefined;
  it.each<[string, Maps, Maps, RetainInput['lastPropagatedKeys'], Maps]>([
    ['desired keys win', { a: '1', b: '2' }, { a: 'member', c: '3' }, undefined, { a: '1', b: '2', c: '3' }],
    ['member-added keys stay', { a: '1' }, { z: 'm' }, undefined, { a: '1', z: 'm' }],
    ['no keys on either side', undefined, undefined, undefined, undefined],
    ['only member keys', undefined, { z: 'm' }, undefined, { z: 'm' }],
    [
      'keys propagated last time but no longer desired are removed',
      { a: '1' },
      { a: '1', gone: 'old', z: 'm' },
      { labels: ['a', 'gone'], annotations: ['a', 'gone'] },
      { a: '1', z: 'm' },
    ],
    [
      'keys propagated last time and still desired are kept',
      { a: '2' },
      { a: '1' },
      { labels: ['a'], annotations: ['a'] },
      { a: '2' },
    ],
    [
      'removing the last key leaves no map',
      undefined,
      { gone: 'x' },
      { labels: ['gone'], annotations: ['gone'] },
      undefined,
    ],
  ])('labels and annotations: %s', (_name, want, have, last, expected) => {
    const out = retained({
      desired: obj('v1', 'ConfigMap', {}, { labels: want, annotations: want }),
      observed: obj('v1', 'ConfigMap', {}, { labels: have, annotations: have }),
      ...(last ? { lastPropagatedKeys: last } : {}),
    });
    expect(out.metadata.labels).toEqual(expected);
    expect(out.metadata.annotations).toEqual(expected);
  });

  it('with the template marker retain: "true", never removes a member key, only enforces desired keys', () => {
    const out = retained({
      desired: obj('v1', 'ConfigMap', {}, { labels: { a: '1' }, annotations: { retain: 'true', a: '1' } }),
      observed: obj(
        'v1',
        'ConfigMap',
        {},
        {
          labels: { a: 'local', gone: 'edited-locally' },
          annotations: { a: 'local', gone: 'edited-locally' },
        },
      ),
      lastPropagatedKeys: { labels: ['a', 'gone'], annotations: ['a', 'gone'] },
    });
    expect(out.metadata.labels).toEqual({ a: '1', gone: 'edited-locally' });
    expect(out.metadata.annotations).toEqual({ retain: 'true', a: '1', gone: 'edited-locally' });
  });

  it('reads the keys the last propagation set from the member annotation, and removes those the template dropped', () => {
    const out = retained({
      desired: obj(
        'v1',
        'ConfigMap',
        {},
        {
          labels: { keep: '1', ...MANAGED },
          annotations: { [PROPAGATED_KEYS_ANNOTATION]: '{"labels":["keep"]}' },
        },
      ),
      observed: obj(
        'v1',
        'ConfigMap',
        {},
        {
          labels: { keep: '1', dropped: '2', local: '3', ...MANAGED },
          annotations: { note: 'member', [PROPAGATED_KEYS_ANNOTATION]: '{"labels":["dropped","keep"]}' },
        },
      ),
    });
    expect(out.metadata.labels).toEqual({ keep: '1', local: '3', ...MANAGED });
    expect(out.metadata.annotations).toEqual({
      note: 'member',
      [PROPAGATED_KEYS_ANNOTATION]: '{"labels":["keep"]}',
    });
  });

  it('drops a stale record of propagated keys when the template sets no keys any more', () => {
    const out = retained({
      desired: obj('v1', 'ConfigMap', {}, { labels: MANAGED }),
      observed: obj(
        'v1',
        'ConfigMap',
        {},
        {
          labels: { gone: 'x', ...MANAGED },
          annotations: { [PROPAGATED_KEYS_ANNOTATION]: '{"labels":["gone"]}' },
        },
      ),
    });
    expect(out.metadata.labels).toEqual(MANAGED);
    expect(out.metadata.annotations).toBeUndefined();
  });

  it('removes nothing from a member object without the record (adopted, or written by upstream KubeFed)', () => {
    const out = retained({
      desired: obj('v1', 'ConfigMap', {}, { labels: MANAGED }),
      observed: obj('v1', 'ConfigMap', {}, { labels: { theirs: 'x', ...MANAGED }, annotations: { a: 'b' } }),
    });
    expect(out.metadata.labels).toEqual({ theirs: 'x', ...MANAGED });
    expect(out.metadata.annotations).toEqual({ a: 'b' });
  });

  it('encodes sorted keys without the bookkeeping ones, and decodes only what it can read', () => {
    const encoded = encodePropagatedKeys(
      { labels: { b: '1', a: '2', m: 'x' }, annotations: { z: '1', [PROPAGATED_KEYS_ANNOTATION]: 'old' } },
      { labels: ['m'] },
    );
    expect(encoded).toBe('{"labels":["a","b"],"annotations":["z"]}');
    expect(decodePropagatedKeys(encoded)).toEqual({ labels: ['a', 'b'], annotations: ['z'] });
    expect(encodePropagatedKeys({ labels: { m: 'x' } }, { labels: ['m'] })).toBeUndefined();
    expect(decodePropagatedKeys('not json')).toBeUndefined();
    expect(decodePropagatedKeys('{"labels":[1]}')).toEqual({});
    expect(decodePropagatedKeys(undefined)).toBeUndefined();
  });

  it('a retain annotation other than "true" has no effect', () => {
    const out = retained({
      desired: obj('v1', 'ConfigMap', {}, { annotations: { retain: 'false' } }),
      observed: obj('v1', 'ConfigMap', {}, { annotations: { gone: 'x' } }),
      lastPropagatedKeys: { annotations: ['gone'] },
    });
    expect(out.metadata.annotations).toEqual({ retain: 'false' });
  });

  it('does not mutate its inputs', () => {
    const desired = obj('v1', 'Service', { spec: { ports: [{ port: 80 }] } }, { labels: { a: '1' } });
    const observed = obj(
      'v1',
      'Service',
      { spec: { clusterIP: '10.0.0.1', ports: [{ port: 80, nodePort: 30001 }] } },
      {
        labels: { b: '2' },
        resourceVersion: '3',
      },
    );
    const before = JSON.stringify([desired, observed]);
    const out = retained({ desired, observed });
    expect(JSON.stringify([desired, observed])).toBe(before);
    (out.spec as { ports: { port: number }[] }).ports[0]!.port = 1;
    expect(JSON.stringify([desired, observed])).toBe(before);
  });
});

describe('retainMemberFields: Service', () => {
  const svc = (spec: Record<string, unknown>) => obj('v1', 'Service', { spec });
  it.each<[string, Record<string, unknown>, Record<string, unknown>, Record<string, unknown>]>([
    [
      'keeps clusterIP and clusterIPs allocated by the member',
      { type: 'ClusterIP', ports: [] },
      { clusterIP: '10.0.0.7', clusterIPs: ['10.0.0.7', 'fd00::7'], ports: [] },
      { type: 'ClusterIP', ports: [], clusterIP: '10.0.0.7', clusterIPs: ['10.0.0.7', 'fd00::7'] },
    ],
    [
      'the member’s clusterIP wins over the template’s (as upstream; it is immutable)',
      { clusterIP: '10.0.0.1' },
      { clusterIP: '10.0.0.9' },
      { clusterIP: '10.0.0.9' },
    ],
    [
      'an empty member clusterIP is not retained',
      { clusterIP: 'None' },
      { clusterIP: '' },
      { clusterIP: 'None' },
    ],
    ['empty member clusterIPs are not retained', {}, { clusterIPs: [] }, {}],
    [
      'keeps healthCheckNodePort when > 0',
      { externalTrafficPolicy: 'Local' },
      { healthCheckNodePort: 32000 },
      { externalTrafficPolicy: 'Local', healthCheckNodePort: 32000 },
    ],
    ['ignores a zero healthCheckNodePort', {}, { healthCheckNodePort: 0 }, {}],
    [
      'keeps nodePorts matched on name, protocol and port (protocol defaults to TCP)',
      {
        type: 'NodePort',
        ports: [
          { name: 'http', port: 80 },
          { name: 'dns', port: 53, protocol: 'UDP' },
        ],
      },
      {
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 },
          { name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 },
        ],
      },
      {
        type: 'NodePort',
        ports: [
          { name: 'http', port: 80, nodePort: 30080 },
          { name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 },
        ],
      },
    ],
    [
      'matches by name when the port number changed',
      { ports: [{ name: 'http', port: 8080 }] },
      { ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] },
      { ports: [{ name: 'http', port: 8080, nodePort: 30080 }] },
    ],
    [
      'matches by port and protocol when the name changed',
      { ports: [{ name: 'web', port: 80 }] },
      { ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] },
      { ports: [{ name: 'web', port: 80, nodePort: 30080 }] },
    ],
    [
      'does not match a different protocol',
      { ports: [{ port: 53, protocol: 'UDP' }] },
      { ports: [{ port: 53, protocol: 'TCP', nodePort: 30053 }] },
      { ports: [{ port: 53, protocol: 'UDP' }] },
    ],
    [
      'uses each member nodePort at most once, exact matches first',
      {
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 80, protocol: 'UDP' },
          { name: 'c', port: 80 },
        ],
      },
      {
        ports: [
          { name: 'c', port: 80, protocol: 'TCP', nodePort: 30003 },
          { name: 'b', port: 80, protocol: 'UDP', nodePort: 30002 },
        ],
      },
      {
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 80, protocol: 'UDP', nodePort: 30002 },
          { name: 'c', port: 80, nodePort: 30003 },
        ],
      },
    ],
    [
      'the member’s nodePort wins over the template’s (as upstream)',
      { ports: [{ port: 80, nodePort: 31000 }] },
      { ports: [{ port: 80, nodePort: 30080 }] },
      { ports: [{ port: 80, nodePort: 30080 }] },
    ],
    [
      'member ports without nodePort change nothing',
      { ports: [{ port: 80 }] },
      { ports: [{ port: 80, protocol: 'TCP' }] },
      { ports: [{ port: 80 }] },
    ],
    ['a desired Service without ports stays without', {}, { ports: [{ port: 80, nodePort: 30080 }] }, {}],
    ['a member Service without spec changes nothing', { type: 'ClusterIP' }, {}, { type: 'ClusterIP' }],
  ])('%s', (_name, desiredSpec, observedSpec, expected) => {
    const observed = Object.keys(observedSpec).length > 0 ? svc(observedSpec) : obj('v1', 'Service');
    expect(retained({ desired: svc(desiredSpec), observed }).spec).toEqual(expected);
  });

  it('leaves a Service of another API group alone (e.g. Knative)', () => {
    const out = retained({
      desired: obj('serving.knative.dev/v1', 'Service', { spec: {} }),
      observed: obj('serving.knative.dev/v1', 'Service', { spec: { clusterIP: '10.0.0.1' } }),
    });
    expect(out.spec).toEqual({});
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['clusterIP not a string', { clusterIP: 5 }, 'member Service: spec.clusterIP is not a string'],
    [
      'clusterIPs not strings',
      { clusterIPs: [1] },
      'member Service: spec.clusterIPs is not a list of strings',
    ],
    [
      'healthCheckNodePort not a number',
      { healthCheckNodePort: '1' },
      'member Service: spec.healthCheckNodePort is not a number',
    ],
    ['ports not a list', { ports: {} }, 'member Service: spec.ports is not a list of objects'],
    [
      'nodePort not a number',
      { ports: [{ port: 80, nodePort: 'x' }] },
      'member Service: spec.ports[].nodePort is not a number',
    ],
  ])('fails with FieldRetentionFailed when the member has %s', (_name, spec, message) => {
    expect(
      retainMemberFields({
        desired: svc({ ports: [{ port: 80 }] }),
        observed: svc(spec),
        retainReplicas: false,
      }),
    ).toEqual({ kind: 'failed', reason: 'FieldRetentionFailed', message });
  });

  it('fails when the desired ports are malformed', () => {
    expect(
      retainMemberFields({
        desired: svc({ ports: 'x' }),
        observed: svc({ ports: [] }),
        retainReplicas: false,
      }),
    ).toEqual({
      kind: 'failed',
      reason: 'FieldRetentionFailed',
      message: 'desired Service: spec.ports is not a list of objects',
    });
  });

  it('fails when the member spec is not an object', () => {
    expect(
      retainMemberFields({
        desired: svc({}),
        observed: obj('v1', 'Service', { spec: 'x' }),
        retainReplicas: false,
      }),
    ).toEqual({
      kind: 'failed',
      reason: 'FieldRetentionFailed',
      message: 'member Service: spec is not an object',
    });
  });
});

describe('retainMemberFields: ServiceAccount', () => {
  const sa = (rest: Record<string, unknown>) => obj('v1', 'ServiceAccount', rest);
  it.each<[string, Record<string, unknown>, Record<string, unknown>, unknown]>([
    [
      'keeps member secrets when the template has none',
      {},
      { secrets: [{ name: 'tok' }] },
      [{ name: 'tok' }],
    ],
    [
      'keeps member secrets when the template has an empty list',
      { secrets: [] },
      { secrets: [{ name: 'tok' }] },
      [{ name: 'tok' }],
    ],
    [
      'the template’s secrets win when set',
      { secrets: [{ name: 'mine' }] },
      { secrets: [{ name: 'tok' }] },
      [{ name: 'mine' }],
    ],
    ['nothing to keep', {}, {}, undefined],
    ['an empty member list is not copied', {}, { secrets: [] }, undefined],
  ])('%s', (_name, desired, observed, secrets) => {
    expect(retained({ desired: sa(desired), observed: sa(observed) }).secrets).toEqual(secrets);
  });

  it('does not retain imagePullSecrets (as upstream)', () => {
    expect(
      retained({ desired: sa({}), observed: sa({ imagePullSecrets: [{ name: 'pull' }] }) }).imagePullSecrets,
    ).toBeUndefined();
  });

  it('fails when member secrets are not a list', () => {
    expect(
      retainMemberFields({ desired: sa({}), observed: sa({ secrets: 'x' }), retainReplicas: false }),
    ).toEqual({
      kind: 'failed',
      reason: 'FieldRetentionFailed',
      message: 'member ServiceAccount: secrets is not a list',
    });
  });
});

describe('retainMemberFields: Job', () => {
  const memberJob = obj('batch/v1', 'Job', {
    spec: {
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } },
      template: {
        metadata: {
          labels: {
            app: 'j',
            'controller-uid': 'u1',
            'job-name': 'x',
            'batch.kubernetes.io/controller-uid': 'u1',
            'batch.kubernetes.io/job-name': 'x',
            'member-added': 'no',
          },
        },
        spec: { restartPolicy: 'Never' },
      },
    },
  });

  it('keeps the generated selector and pod template labels', () => {
    const out = retained({
      desired: obj('batch/v1', 'Job', {
        spec: { template: { metadata: { labels: { app: 'j' } }, spec: { restartPolicy: 'Never' } } },
      }),
      observed: memberJob,
    });
    expect(out.spec).toEqual({
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } },
      template: {
        metadata: {
          labels: {
            app: 'j',
            'controller-uid': 'u1',
            'job-name': 'x',
            'batch.kubernetes.io/controller-uid': 'u1',
            'batch.kubernetes.io/job-name': 'x',
          },
        },
        spec: { restartPolicy: 'Never' },
      },
    });
  });

  it('keeps a template-set selector (manualSelector) and template-set label values', () => {
    const out = retained({
      desired: obj('batch/v1', 'Job', {
        spec: {
          manualSelector: true,
          selector: { matchLabels: { app: 'j' } },
          template: { metadata: { labels: { app: 'j', 'job-name': 'mine' } } },
        },
      }),
      observed: memberJob,
    });
    const spec = out.spec as {
      selector: unknown;
      template: { metadata: { labels: Record<string, string> } };
    };
    expect(spec.selector).toEqual({ matchLabels: { app: 'j' } });
    expect(spec.template.metadata.labels['job-name']).toBe('mine');
    expect(spec.template.metadata.labels['controller-uid']).toBe('u1');
  });

  it('creates the pod template metadata when the template has none', () => {
    const out = retained({
      desired: obj('batch/v1', 'Job', { spec: { template: { spec: {} } } }),
      observed: memberJob,
    });
    expect((out.spec as { template: { metadata: unknown } }).template.metadata).toEqual({
      labels: {
        'controller-uid': 'u1',
        'job-name': 'x',
        'batch.kubernetes.io/controller-uid': 'u1',
        'batch.kubernetes.io/job-name': 'x',
      },
    });
  });

  it('changes nothing for a member Job without generated values', () => {
    const desired = obj('batch/v1', 'Job', { spec: { template: { spec: {} } } });
    const out = retained({ desired, observed: obj('batch/v1', 'Job', { spec: { template: { spec: {} } } }) });
    expect(out.spec).toEqual(desired.spec);
  });

  it('fails when the member selector is not an object', () => {
    expect(
      retainMemberFields({
        desired: obj('batch/v1', 'Job', { spec: {} }),
        observed: obj('batch/v1', 'Job', { spec: { selector: 'x' } }),
        retainReplicas: false,
      }),
    ).toEqual({
      kind: 'failed',
      reason: 'FieldRetentionFailed',
      message: 'member Job: spec.selector is not an object',
    });
  });
});

describe('retainMemberFields: replicas', () => {
  const deploy = (replicas?: unknown) =>
    obj('apps/v1', 'Deployment', { spec: replicas === undefined ? {} : { replicas } });
  it.each<[string, boolean, unknown, unknown, unknown]>([
    ['retainReplicas keeps the member value', true, 3, 7, 7],
    ['without retainReplicas the template wins', false, 3, 7, 3],
    ['retainReplicas with no member value keeps the template’s', true, 3, undefined, 3],
    ['retainReplicas sets replicas the template lacks', true, undefined, 5, 5],
  ])('%s', (_name, retainReplicas, want, have, expected) => {
    const out = retained({ desired: deploy(want), observed: deploy(have), retainReplicas });
    expect((out.spec as { replicas?: number }).replicas).toEqual(expected);
  });

  it('fails when the member replicas are not an integer', () => {
    expect(retainMemberFields({ desired: deploy(1), observed: deploy('2'), retainReplicas: true })).toEqual({
      kind: 'failed',
      reason: 'FieldRetentionFailed',
      message: 'member object: spec.replicas is not an integer',
    });
  });
});

describe('retainMemberFields: malformed metadata', () => {
  it.each<[string, KubeObject, KubeObject, string]>([
    [
      'member finalizers not strings',
      obj('v1', 'ConfigMap'),
      obj('v1', 'ConfigMap', {}, { finalizers: [1] }),
      'member object: metadata.finalizers must be a list of strings',
    ],
    [
      'member labels not strings',
      obj('v1', 'ConfigMap'),
      obj('v1', 'ConfigMap', {}, { labels: { a: 1 } }),
      'member metadata.labels must map keys to string values',
    ],
    [
      'desired annotations not a map',
      obj('v1', 'ConfigMap', {}, { annotations: ['a'] }),
      obj('v1', 'ConfigMap'),
      'desired metadata.annotations must map keys to string values',
    ],
    [
      'member metadata not an object',
      obj('v1', 'ConfigMap'),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: 'x' } as unknown as KubeObject,
      'member object: metadata is not an object',
    ],
  ])('%s ⇒ FieldRetentionFailed', (_name, desired, observed, message) => {
    expect(retainMemberFields({ desired, observed, retainReplicas: false })).toEqual({
      kind: 'failed',
      reason: 'FieldRetentionFailed',
      message,
    });
  });
});
