/**
 * The bad-input catalogue (issue #13, part 2): a table of invalid federated objects, overrides,
 * placements, templates, FederatedTypeConfigs, ReplicaSchedulingPreferences and KubeFedClusters
 * applied to a real control plane (the kubefed-controller-manager process over cluster1..3, no
 * webhook), each with the exact outcome it must produce: the kubectl refusal naming the field
 * (where the CRD schema already refuses it), the Propagation condition and per-cluster statuses,
 * an Event on the object, the RSP's Scheduled condition, or the KubeFedCluster's conditions.
 * Afterwards the controller still serves everything else: a healthy object created before and
 * one created after the bad ones are both Propagation=True, and no reconcile crashed.
 *
 * All cases are applied up front (beforeAll of the catalogue), so their waits overlap.
 * BAD_INPUT_REPORT=<file> writes the observed outcome of every case there (JSON lines).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { FederatedTypeConfig, KubeFedCluster } from '../../src/api/core.js';
import type { FederatedObject } from '../../src/api/types.js';
import type { KubeObject } from '../../src/kube/resource.js';
import {
  clusterStatuses,
  getObject,
  propagation,
  CONFIGMAPS,
  DEPLOYMENTS,
  TestControlPlane,
  waitFor,
  type TargetType,
} from '../support/control-plane.js';
import { pollUntil } from '../../src/poll.js';
import { installCrds, kubectl, run, uniqueName } from '../support/local.js';
import { makeServingCert, startLocalWebhook, type LocalWebhook } from '../support/webhook.js';

const SERVICES: TargetType = { version: 'v1', kind: 'Service', pluralName: 'services', scope: 'Namespaced' };
const cp = new TestControlPlane({ prefix: 'kf-bad', types: [CONFIGMAPS, SERVICES, DEPLOYMENTS] });
const kfns = cp.kfns;
const FCM = cp.resource('configmaps');
const FSVC = cp.resource('services');
/** The federated namespace (cluster2+3) holding the federated objects and RSPs of the cases. */
let ns = '';
/** A host namespace with no FederatedNamespace. */
const plainNs = uniqueName('kf-bad-plain');
const work = mkdtempSync(path.join(tmpdir(), 'kubefed-bad-input-'));

// ---------------------------------------------------------------------------------------------
// Builders

function fedConfigMap(
  name: string,
  spec: { template?: unknown; placement?: unknown; overrides?: unknown } = {},
  metadata: Record<string, unknown> = {},
  namespace?: string,
) {
  return {
    apiVersion: `${cp.group}/v1beta1`,
    kind: 'FederatedConfigMap',
    metadata: { name, namespace: namespace ?? ns, ...metadata },
    spec: {
      template: { data: { greeting: 'hello' } },
      placement: { clusters: [{ name: 'cluster2' }, { name: 'cluster3' }] },
      ...spec,
    },
  };
}

/** A FederatedConfigMap with `clusterOverrides` for cluster3 only. */
const overridden = (name: string, clusterOverrides: unknown[]) =>
  fedConfigMap(name, { overrides: [{ clusterName: 'cluster3', clusterOverrides }] });

function fedService(name: string, ports: unknown[] = [{ port: 80 }]) {
  return {
    apiVersion: `${cp.group}/v1beta1`,
    kind: 'FederatedService',
    metadata: { name, namespace: ns },
    spec: {
      template: { spec: { ports } },
      placement: { clusters: [{ name: 'cluster2' }, { name: 'cluster3' }] },
    },
  };
}

function fedDeployment(name: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: `${cp.group}/v1beta1`,
    kind: 'FederatedDeployment',
    metadata: { name, namespace: ns },
    spec: {
      template: {
        spec: {
          replicas: 0,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: 'c', image: 'registry.invalid/c:1' }] },
          },
        },
      },
      placement: { clusters: [{ name: 'cluster2' }, { name: 'cluster3' }] },
      ...extra,
    },
  };
}

function rsp(name: string, spec: Record<string, unknown>) {
  return {
    apiVersion: 'scheduling.kubefed.io/v1alpha1',
    kind: 'ReplicaSchedulingPreference',
    metadata: { name, namespace: ns },
    spec: { targetKind: 'FederatedDeployment', totalReplicas: 2, ...spec },
  };
}

function ftc(name: string, targetType: unknown, federatedType: unknown) {
  return {
    apiVersion: 'core.kubefed.io/v1beta1',
    kind: 'FederatedTypeConfig',
    metadata: { name, namespace: kfns },
    spec: { targetType, propagation: 'Enabled', federatedType },
  };
}

/** Secret + KubeFedCluster named `name` in the kubefed namespace (secret omitted when null). */
function kubefedCluster(
  name: string,
  spec: Record<string, unknown>,
  secretData: Record<string, string> | null,
): unknown[] {
  const secret = secretData && {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: `${name}-secret`, namespace: kfns },
    data: Object.fromEntries(
      Object.entries(secretData).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
  };
  return [
    ...(secret ? [secret] : []),
    {
      apiVersion: 'core.kubefed.io/v1beta1',
      kind: 'KubeFedCluster',
      metadata: { name, namespace: kfns },
      spec: { secretRef: { name: `${name}-secret` }, ...spec },
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Expected outcomes

interface Refused {
  kind: 'refused';
  /** Fragments of kubectl's error: the field and what is wrong with it. */
  error: string[];
}
interface Propagation {
  kind: 'propagation';
  resource: string;
  /** `status.clusters` as `<name>:<status>`, sorted. */
  clusters: string[];
  status: 'True' | 'False';
  reason?: string;
  /** Fragments of the Propagation condition's message. */
  message?: string[];
  /** A Warning Event on the federated object with this reason (and message fragment). */
  event?: { reason: string; message?: string };
  /** More checks of the members, once the status is as expected. */
  members?: (name: string) => Promise<void>;
  namespace?: () => string;
}
interface EventOnly {
  kind: 'event';
  namespace: () => string;
  event: { reason: string; message: string };
}
interface RspOutcome {
  kind: 'rsp';
  status: 'True' | 'False';
  reason: string;
  message: string[];
  /** Fragments that must appear in some per-cluster `reasons`. */
  clusterReasons?: string[];
}
interface ClusterOutcome {
  kind: 'cluster';
  /** The conditions `<type>=<status>/<reason>`, sorted. */
  conditions: string[];
  message: string[];
  event?: string;
}
interface FtcOutcome {
  kind: 'ftc';
  propagationController: 'Running' | 'NotRunning';
  /** The Warning Event on the FTC that says why nothing propagates, and a fragment of its message. */
  event: string;
  message: string;
}
type Outcome = Refused | Propagation | EventOnly | RspOutcome | ClusterOutcome | FtcOutcome;

interface Case {
  id: string;
  /** What is wrong, for the report. */
  what: string;
  /** The objects to apply (the last one is the object the outcome is about), or null to skip. */
  objects: () => unknown[] | Promise<unknown[]>;
  /** Create instead of apply (objects too large for kubectl's last-applied annotation). */
  create?: boolean;
  outcome: Outcome;
  /** Fragments of the admission webhook's refusal, when the webhook refuses the case at apply. */
  webhook?: string[];
  /** Fragments of the webhook's warning, when it admits the case with one. */
  webhookWarning?: string[];
}

const MiB = 1024 * 1024;
let wrongCaPem = '';
let cluster2Endpoint = '';
/** cluster2's caBundle (base64), as join wrote it. */
let cluster2Ca = '';
let revokedToken = '';

const CASES: Case[] = [
  // --- overrides --------------------------------------------------------------------------
  {
    id: 'override-replace-missing-path',
    what: 'override replaces a path that does not exist (/data/nothing/here)',
    objects: () => [overridden('ov-missing', [{ path: '/data/nothing/here', value: 'x' }])],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:', 'cluster3:ApplyOverridesFailed'],
      status: 'False',
      reason: 'CheckClusters',
      message: ['cluster3: ApplyOverridesFailed', '/data/nothing/here'],
      event: { reason: 'ApplyOverridesFailed', message: '/data/nothing/here' },
    },
  },
  {
    id: 'override-remove-missing-path',
    what: 'override op remove of a path that does not exist',
    objects: () => [overridden('ov-remove', [{ op: 'remove', path: '/data/absent' }])],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:', 'cluster3:ApplyOverridesFailed'],
      status: 'False',
      reason: 'CheckClusters',
      message: ['cluster3: ApplyOverridesFailed', '/data/absent'],
    },
  },
  {
    id: 'override-add-missing-parent',
    what: 'override op add under a parent that does not exist (/spec/a/b)',
    objects: () => [overridden('ov-add', [{ op: 'add', path: '/spec/a/b', value: 1 }])],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:', 'cluster3:ApplyOverridesFailed'],
      status: 'False',
      reason: 'CheckClusters',
      message: ['cluster3: ApplyOverridesFailed', '/spec/a/b'],
    },
  },
  ...(['/metadata/name', '/metadata/namespace', '/kind'] as const).map((p): Case => ({
    id: `override-forbidden${p.replaceAll('/', '-')}`,
    what: `override of the forbidden path ${p}`,
    objects: () => [overridden(`ov-forbidden${p.replaceAll('/', '-')}`, [{ path: p, value: 'x' }])],
    webhook: ['spec.overrides[0].clusterOverrides[0].path: Forbidden', `${p}" ties the member object`],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      // Upstream fails every cluster for an invalid overrides list.
      clusters: ['cluster2:ApplyOverridesFailed', 'cluster3:ApplyOverridesFailed'],
      status: 'False',
      reason: 'CheckClusters',
      message: ['spec.overrides[0].clusterOverrides[0].path: Forbidden', p],
    },
  })),
  {
    id: 'override-op-not-allowed',
    what: 'override op "move" (not add/remove/replace)',
    objects: () => [overridden('ov-op', [{ op: 'move', path: '/data/greeting', value: 'x' }])],
    outcome: {
      kind: 'refused',
      // The CRD's pattern, as upstream's: ^(add|remove|replace)?$ ("" means replace).
      error: ['spec.overrides[0].clusterOverrides[0].op', 'should match'],
    },
  },
  {
    id: 'override-path-missing',
    what: 'override without a path',
    objects: () => [overridden('ov-nopath', [{ value: 'x' }])],
    // kubectl's own schema check refuses it before the API server does.
    outcome: {
      kind: 'refused',
      error: ['FederatedConfigMap.spec.overrides[0].clusterOverrides[0]', 'missing required field "path"'],
    },
  },
  {
    id: 'override-cluster-name-missing',
    what: 'overrides entry without clusterName (upstream: the cluster "", so it applies nowhere)',
    objects: () => [
      fedConfigMap('ov-noname', {
        overrides: [{ clusterOverrides: [{ path: '/data/greeting', value: 'x' }] }],
      }),
    ],
    webhookWarning: ['spec.overrides[0].clusterName: not set, so these overrides apply to no cluster'],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:', 'cluster3:'],
      status: 'True',
      members: async (name) => {
        for (const c of ['cluster2', 'cluster3']) {
          const cm = await getObject<KubeObject & { data: unknown }>(c, ['-n', ns, 'configmap', name]);
          expect(cm?.data).toEqual({ greeting: 'hello' });
        }
      },
    },
  },
  {
    id: 'override-replace-missing-member',
    what: 'override replace of a member the template does not set (/metadata/labels): upstream sets it',
    objects: () => [overridden('ov-lenient', [{ path: '/metadata/labels', value: { env: 'prod' } }])],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:', 'cluster3:'],
      status: 'True',
      members: async (name) => {
        const cm = await getObject('cluster3', ['-n', ns, 'configmap', name]);
        expect(cm?.metadata.labels).toEqual({ env: 'prod', 'kubefed.io/managed': 'true' });
      },
    },
  },
  {
    id: 'override-path-not-a-pointer',
    what: 'override path that is not a JSON pointer (data/greeting)',
    objects: () => [overridden('ov-pointer', [{ path: 'data/greeting', value: 'x' }])],
    webhook: ['spec.overrides[0].clusterOverrides[0].path: invalid JSON pointer "data/greeting"'],
    // As upstream: the patch fails in the one cluster it is for.
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:', 'cluster3:ApplyOverridesFailed'],
      status: 'False',
      reason: 'CheckClusters',
      message: ['cluster3: ApplyOverridesFailed', 'invalid JSON pointer "data/greeting"'],
    },
  },
  {
    id: 'override-replace-without-value',
    what: 'override op replace without a value: upstream sets null (a ConfigMap value then reads "")',
    objects: () => [overridden('ov-novalue', [{ op: 'replace', path: '/data/greeting' }])],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:', 'cluster3:'],
      status: 'True',
      members: async (name) => {
        const cm = await getObject<KubeObject & { data: unknown }>('cluster3', ['-n', ns, 'configmap', name]);
        expect(cm?.data).toEqual({ greeting: '' });
      },
    },
  },
  {
    id: 'override-duplicate-cluster',
    what: 'the same clusterName twice in overrides',
    objects: () => [
      fedConfigMap('ov-dupcluster', {
        overrides: [
          { clusterName: 'cluster3', clusterOverrides: [{ path: '/data/greeting', value: 'a' }] },
          { clusterName: 'cluster3', clusterOverrides: [{ path: '/data/greeting', value: 'b' }] },
        ],
      }),
    ],
    webhook: ['spec.overrides[1].clusterName: Duplicate value: "cluster3"'],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:ApplyOverridesFailed', 'cluster3:ApplyOverridesFailed'],
      status: 'False',
      reason: 'CheckClusters',
      message: ['spec.overrides[1].clusterName: Duplicate value: "cluster3"'],
    },
  },
  {
    id: 'override-duplicate-path',
    what: 'the same path twice for one cluster',
    objects: () => [
      overridden('ov-duppath', [
        { path: '/data/greeting', value: 'a' },
        { path: '/data/greeting', value: 'b' },
      ]),
    ],
    webhook: ['spec.overrides[0].clusterOverrides[1].path: Duplicate value: "/data/greeting"'],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:ApplyOverridesFailed', 'cluster3:ApplyOverridesFailed'],
      status: 'False',
      reason: 'CheckClusters',
      message: ['spec.overrides[0].clusterOverrides[1].path: Duplicate value: "/data/greeting"'],
    },
  },
  {
    id: 'override-metadata-not-object',
    what: 'override replaces /metadata with a string',
    objects: () => [overridden('ov-metadata', [{ path: '/metadata', value: 'x' }])],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:', 'cluster3:ApplyOverridesFailed'],
      status: 'False',
      reason: 'CheckClusters',
      message: ['made metadata a non-object'],
    },
  },
  {
    id: 'override-labels-not-object',
    what: 'override replaces /metadata/labels with a list',
    objects: () => [overridden('ov-labels', [{ op: 'add', path: '/metadata/labels', value: ['x'] }])],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:', 'cluster3:ApplyOverridesFailed'],
      status: 'False',
      reason: 'CheckClusters',
      message: ['made metadata.labels a non-object'],
    },
  },
  {
    id: 'override-value-wrong-type',
    what: 'override value of the wrong type for the member API (ConfigMap data value 42)',
    objects: () => [overridden('ov-type', [{ path: '/data/greeting', value: 42 }])],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:', 'cluster3:CreationFailed'],
      status: 'False',
      reason: 'CheckClusters',
      message: ['cluster3: CreationFailed', 'ConfigMap.data'],
      event: { reason: 'CreateInClusterFailed', message: 'Creation in cluster cluster3 failed' },
    },
  },
  {
    id: 'override-value-invalid-for-member',
    what: 'override value the member validation refuses (Service port 70000)',
    objects: () => [
      {
        ...fedService('svc-port'),
        spec: {
          ...fedService('svc-port').spec,
          overrides: [
            { clusterName: 'cluster3', clusterOverrides: [{ path: '/spec/ports/0/port', value: 70000 }] },
          ],
        },
      },
    ],
    outcome: {
      kind: 'propagation',
      resource: FSVC,
      clusters: ['cluster2:', 'cluster3:CreationFailed'],
      status: 'False',
      reason: 'CheckClusters',
      message: ['cluster3: CreationFailed', 'spec.ports[0].port', 'must be between 1 and 65535'],
    },
  },
  // --- placement --------------------------------------------------------------------------
  {
    id: 'placement-unknown-cluster-only',
    what: 'placement to an unknown cluster only',
    objects: () => [fedConfigMap('pl-unknown', { placement: { clusters: [{ name: 'no-such-cluster' }] } })],
    // Unregistered names are dropped, as upstream, but not silently: a Warning Event names them.
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: [],
      status: 'True',
      event: { reason: 'UnknownClusters', message: 'no-such-cluster' },
    },
  },
  {
    id: 'placement-unknown-and-known',
    what: 'placement to cluster2 and an unknown cluster',
    objects: () => [
      fedConfigMap('pl-mixed', {
        placement: { clusters: [{ name: 'cluster2' }, { name: 'no-such-cluster' }] },
      }),
    ],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:'],
      status: 'True',
      event: { reason: 'UnknownClusters', message: 'no-such-cluster' },
      members: async (name) => {
        expect(await getObject('cluster2', ['-n', ns, 'configmap', name])).toBeDefined();
        expect(await getObject('cluster3', ['-n', ns, 'configmap', name])).toBeUndefined();
      },
    },
  },
  {
    id: 'placement-cluster-without-name',
    what: 'placement.clusters entry without a name',
    objects: () => [fedConfigMap('pl-noname', { placement: { clusters: [{}] } })],
    outcome: {
      kind: 'refused',
      error: ['FederatedConfigMap.spec.placement.clusters[0]', 'missing required field "name"'],
    },
  },
  {
    id: 'selector-bad-label-value',
    what: 'clusterSelector.matchLabels value that is not a label value',
    objects: () => [
      fedConfigMap('sel-value', {
        placement: { clusterSelector: { matchLabels: { region: 'not a value!' } } },
      }),
    ],
    webhook: ['spec.placement.clusterSelector.matchLabels["region"]: invalid label value "not a value!"'],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: [],
      status: 'False',
      reason: 'ComputePlacementFailed',
      message: ['not a value!'],
      event: { reason: 'ComputePlacementFailed', message: 'not a value!' },
    },
  },
  {
    id: 'selector-bad-label-key',
    what: 'clusterSelector.matchExpressions key that is not a label key',
    objects: () => [
      fedConfigMap('sel-key', {
        placement: { clusterSelector: { matchExpressions: [{ key: 'bad key!', operator: 'Exists' }] } },
      }),
    ],
    webhook: ['spec.placement.clusterSelector.matchExpressions[0].key: invalid label key "bad key!"'],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: [],
      status: 'False',
      reason: 'ComputePlacementFailed',
      message: ['bad key!'],
    },
  },
  {
    id: 'selector-in-without-values',
    what: 'clusterSelector operator In without values',
    objects: () => [
      fedConfigMap('sel-in', {
        placement: { clusterSelector: { matchExpressions: [{ key: 'region', operator: 'In' }] } },
      }),
    ],
    webhook: ['spec.placement.clusterSelector.matchExpressions[0].values: Required value'],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: [],
      status: 'False',
      reason: 'ComputePlacementFailed',
      message: ['matchExpressions[0]'],
    },
  },
  {
    id: 'selector-exists-with-values',
    what: 'clusterSelector operator Exists with values',
    objects: () => [
      fedConfigMap('sel-exists', {
        placement: {
          clusterSelector: { matchExpressions: [{ key: 'region', operator: 'Exists', values: ['a'] }] },
        },
      }),
    ],
    webhook: ['spec.placement.clusterSelector.matchExpressions[0].values: Forbidden'],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: [],
      status: 'False',
      reason: 'ComputePlacementFailed',
      message: ['matchExpressions[0]'],
    },
  },
  {
    id: 'selector-unknown-operator',
    what: 'clusterSelector operator Equals (not In/NotIn/Exists/DoesNotExist)',
    objects: () => [
      fedConfigMap('sel-op', {
        placement: {
          clusterSelector: { matchExpressions: [{ key: 'region', operator: 'Equals', values: ['a'] }] },
        },
      }),
    ],
    outcome: {
      kind: 'refused',
      error: ['spec.placement.clusterSelector.matchExpressions[0].operator', 'Unsupported value: "Equals"'],
    },
  },
  {
    id: 'namespace-not-federated',
    what: 'federated object in a namespace without a FederatedNamespace',
    objects: () => [fedConfigMap('nsless', {}, {}, plainNs)],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      namespace: () => plainNs,
      clusters: [],
      status: 'False',
      reason: 'NamespaceNotFederated',
      message: [`namespace ${plainNs} is not federated`],
      members: async (name) => {
        for (const c of ['cluster2', 'cluster3'])
          expect(await getObject(c, ['-n', plainNs, 'configmap', name])).toBeUndefined();
      },
    },
  },
  {
    id: 'federatednamespace-wrong-name',
    what: 'FederatedNamespace not named like its namespace',
    objects: () => [
      {
        apiVersion: `${cp.group}/v1beta1`,
        kind: 'FederatedNamespace',
        metadata: { name: 'not-the-namespace', namespace: ns },
        spec: { placement: { clusters: [{ name: 'cluster2' }] } },
      },
    ],
    outcome: {
      kind: 'event',
      namespace: () => ns,
      event: { reason: 'InvalidName', message: 'not-the-namespace' },
    },
  },
  {
    id: 'deleteoption-invalid',
    what: 'kubefed.io/deleteoption annotation that is not DeleteOptions JSON',
    objects: () => [
      fedConfigMap(
        'delopt',
        {},
        { annotations: { 'kubefed.io/deleteoption': '{"propagationPolicy":"Later"}' } },
      ),
    ],
    outcome: {
      kind: 'event',
      namespace: () => ns,
      event: { reason: 'DeleteOptionsInvalid', message: 'propagationPolicy' },
    },
  },
  // --- templates --------------------------------------------------------------------------
  {
    id: 'template-wrong-kind',
    what: 'template of the wrong kind (kind: Secret in a FederatedConfigMap)',
    objects: () => [fedConfigMap('tpl-kind', { template: { kind: 'Secret', data: { greeting: 'hello' } } })],
    // As upstream: the target kind wins; the member object is a ConfigMap.
    webhook: ['spec.template.kind: Invalid value: "Secret": a FederatedConfigMap holds a ConfigMap'],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:', 'cluster3:'],
      status: 'True',
      members: async (name) => {
        const cm = await getObject<KubeObject & { data: Record<string, string> }>('cluster2', [
          '-n',
          ns,
          'configmap',
          name,
        ]);
        expect(cm?.kind).toBe('ConfigMap');
        expect(cm?.data).toEqual({ greeting: 'hello' });
      },
    },
  },
  {
    id: 'template-with-name-and-namespace',
    what: 'template with its own metadata.name and metadata.namespace',
    objects: () => [
      fedConfigMap('tpl-name', {
        template: { metadata: { name: 'other', namespace: 'elsewhere' }, data: { greeting: 'hello' } },
      }),
    ],
    // As upstream: the federated object's name and namespace win.
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:', 'cluster3:'],
      status: 'True',
      members: async (name) => {
        expect(await getObject('cluster2', ['-n', ns, 'configmap', name])).toBeDefined();
        expect(await getObject('cluster2', ['-n', ns, 'configmap', 'other'])).toBeUndefined();
      },
    },
  },
  {
    id: 'template-wrong-apiversion',
    what: 'template apiVersion apps/v1 for a ConfigMap',
    objects: () => [
      fedConfigMap('tpl-apiversion', { template: { apiVersion: 'apps/v1', data: { g: 'h' } } }),
    ],
    webhook: ['spec.template.apiVersion: Invalid value: "apps/v1"'],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:CreationFailed', 'cluster3:CreationFailed'],
      status: 'False',
      reason: 'CheckClusters',
      message: ['apps/v1'],
    },
  },
  {
    id: 'template-not-object',
    what: 'template that is a string',
    objects: () => [fedConfigMap('tpl-string', { template: 'data: x' })],
    outcome: { kind: 'refused', error: ['spec.template', 'must be of type object'] },
  },
  {
    id: 'template-labels-not-strings',
    what: 'template metadata.labels with a number value',
    objects: () => [fedConfigMap('tpl-labels', { template: { metadata: { labels: { tier: 1 } } } })],
    webhook: ['spec.template.metadata.labels["tier"]: Invalid value: 1'],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:ComputeResourceFailed', 'cluster3:ComputeResourceFailed'],
      status: 'False',
      reason: 'CheckClusters',
      message: ['spec.template.metadata.labels must map keys to string values'],
    },
  },
  {
    id: 'template-field-wrong-type',
    what: 'template field of the wrong type for the member API (data as a list)',
    objects: () => [fedConfigMap('tpl-data', { template: { data: ['x'] } })],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:CreationFailed', 'cluster3:CreationFailed'],
      status: 'False',
      reason: 'CheckClusters',
      message: ['cluster2: CreationFailed', 'ConfigMap.data'],
    },
  },
  {
    id: 'configmap-over-1mib',
    what: 'ConfigMap over 1 MiB after rendering (700 KiB template + 400 KiB override for cluster3)',
    create: true,
    objects: () => [
      fedConfigMap('big', {
        template: { data: { a: 'a'.repeat(700 * 1024) } },
        overrides: [
          {
            clusterName: 'cluster3',
            clusterOverrides: [{ op: 'add', path: '/data/b', value: 'b'.repeat(400 * 1024) }],
          },
        ],
      }),
    ],
    outcome: {
      kind: 'propagation',
      resource: FCM,
      clusters: ['cluster2:', 'cluster3:CreationFailed'],
      status: 'False',
      reason: 'CheckClusters',
      message: ['cluster3: CreationFailed', `Too long: may not be more than ${MiB} bytes`],
    },
  },
  {
    id: 'service-name-too-long',
    what: 'Service name of 64 characters (members allow 63)',
    objects: () => [fedService(`svc-${'x'.repeat(60)}`)],
    outcome: {
      kind: 'propagation',
      resource: FSVC,
      clusters: ['cluster2:CreationFailed', 'cluster3:CreationFailed'],
      status: 'False',
      reason: 'CheckClusters',
      message: ['metadata.name', 'must be no more than 63 characters'],
    },
  },
  // --- FederatedTypeConfigs ---------------------------------------------------------------
  {
    id: 'ftc-type-does-not-exist',
    what: 'FTC for a target type that exists nowhere (widgets.nosuch.example.com)',
    objects: () => [
      ftc(
        'widgets.nosuch.example.com',
        {
          group: 'nosuch.example.com',
          version: 'v1',
          kind: 'Widget',
          pluralName: 'widgets',
          scope: 'Namespaced',
        },
        {
          group: cp.group,
          version: 'v1beta1',
          kind: 'FederatedWidget',
          pluralName: 'federatedwidgets',
          scope: 'Namespaced',
        },
      ),
    ],
    outcome: {
      kind: 'ftc',
      propagationController: 'NotRunning',
      event: 'FederatedTypeNotFound',
      message: 'federatedwidgets',
    },
  },
  {
    id: 'ftc-federated-crd-missing',
    what: 'FTC for secrets whose federated CRD (FederatedSecret of this run) does not exist',
    objects: () => [
      ftc(
        'secrets',
        { version: 'v1', kind: 'Secret', pluralName: 'secrets', scope: 'Namespaced' },
        {
          group: cp.group,
          version: 'v1beta1',
          kind: 'FederatedSecret',
          pluralName: 'federatedsecrets',
          scope: 'Namespaced',
        },
      ),
    ],
    outcome: {
      kind: 'ftc',
      propagationController: 'NotRunning',
      event: 'FederatedTypeNotFound',
      message: 'federatedsecrets',
    },
  },
  {
    id: 'ftc-bad-scope',
    what: 'FTC with targetType.scope Global',
    objects: () => [
      ftc(
        'things.bad-scope.example.com',
        {
          group: 'bad-scope.example.com',
          version: 'v1',
          kind: 'Thing',
          pluralName: 'things',
          scope: 'Global',
        },
        {
          group: cp.group,
          version: 'v1beta1',
          kind: 'FederatedThing',
          pluralName: 'federatedthings',
          scope: 'Namespaced',
        },
      ),
    ],
    outcome: { kind: 'refused', error: ['spec.targetType.scope', 'Unsupported value: "Global"'] },
  },
  {
    id: 'ftc-no-federated-type',
    what: 'FTC without federatedType',
    objects: () => [
      {
        ...ftc(
          'gadgets.example.com',
          { group: 'example.com', version: 'v1', kind: 'Gadget', pluralName: 'gadgets', scope: 'Namespaced' },
          {},
        ),
        spec: {
          targetType: {
            group: 'example.com',
            version: 'v1',
            kind: 'Gadget',
            pluralName: 'gadgets',
            scope: 'Namespaced',
          },
          propagation: 'Enabled',
        },
      },
    ],
    outcome: {
      kind: 'refused',
      error: ['FederatedTypeConfig.spec', 'missing required field "federatedType"'],
    },
  },
  // --- ReplicaSchedulingPreferences -------------------------------------------------------
  {
    id: 'rsp-min-over-max',
    what: 'RSP with minReplicas 3 > maxReplicas 1',
    objects: () => [
      fedDeployment('rsp-minmax'),
      rsp('rsp-minmax', { clusters: { cluster2: { minReplicas: 3, maxReplicas: 1, weight: 1 } } }),
    ],
    webhook: ['spec.clusters[cluster2].minReplicas: must not exceed maxReplicas (3 > 1)'],
    outcome: {
      kind: 'rsp',
      status: 'False',
      reason: 'InvalidPreference',
      message: ['spec.clusters[cluster2].minReplicas', 'must not exceed maxReplicas (3 > 1)'],
    },
  },
  {
    id: 'rsp-mins-over-total',
    what: 'RSP whose minReplicas add up to 4 > totalReplicas 2',
    webhookWarning: [
      'spec.totalReplicas: the minReplicas of the clusters add up to 4, more than totalReplicas 2',
    ],
    objects: () => [
      fedDeployment('rsp-mins'),
      rsp('rsp-mins', {
        clusters: { cluster2: { minReplicas: 2, weight: 2 }, cluster3: { minReplicas: 2, weight: 1 } },
      }),
    ],
    // Valid but not fully satisfiable: scheduled, the cluster left short says MinReplicasNotMet.
    outcome: {
      kind: 'rsp',
      status: 'True',
      reason: 'Scheduled',
      message: ['2 replicas'],
      clusterReasons: ['MinReplicasNotMet'],
    },
  },
  {
    id: 'rsp-no-target',
    what: 'RSP without its FederatedDeployment',
    objects: () => [rsp('rsp-notarget', { clusters: { cluster2: { weight: 1 } } })],
    outcome: { kind: 'rsp', status: 'False', reason: 'TargetNotFound', message: ['does not exist'] },
  },
  {
    id: 'rsp-target-type-not-enabled',
    what: 'RSP for FederatedReplicaSet, a type not enabled',
    objects: () => [rsp('rsp-rs', { targetKind: 'FederatedReplicaSet' })],
    outcome: {
      kind: 'rsp',
      status: 'False',
      reason: 'TargetTypeNotEnabled',
      message: ['kubefedctl enable replicasets.apps'],
    },
  },
  {
    id: 'rsp-target-bad-selector',
    what: 'RSP with intersectWithClusterSelector and a target whose selector is invalid',
    objects: () => [
      fedDeployment('rsp-sel', {
        placement: { clusterSelector: { matchExpressions: [{ key: 'region', operator: 'In' }] } },
      }),
      rsp('rsp-sel', { intersectWithClusterSelector: true }),
    ],
    webhook: [
      'FederatedDeployment',
      'spec.placement.clusterSelector.matchExpressions[0].values: Required value',
    ],
    outcome: {
      kind: 'rsp',
      status: 'False',
      reason: 'InvalidClusterSelector',
      message: ['matchExpressions[0]'],
    },
  },
  {
    id: 'rsp-target-duplicate-overrides',
    what: 'RSP whose target lists a cluster twice in overrides',
    objects: () => [
      fedDeployment('rsp-ov', {
        overrides: [
          { clusterName: 'cluster2', clusterOverrides: [{ path: '/spec/paused', value: true }] },
          { clusterName: 'cluster2', clusterOverrides: [{ path: '/spec/paused', value: false }] },
        ],
      }),
      rsp('rsp-ov', { clusters: { cluster2: { weight: 1 } } }),
    ],
    webhook: ['FederatedDeployment', 'spec.overrides[1].clusterName: Duplicate value: "cluster2"'],
    outcome: { kind: 'rsp', status: 'False', reason: 'InvalidTargetOverrides', message: ['cluster2'] },
  },
  {
    id: 'rsp-unknown-target-kind',
    what: 'RSP with targetKind FederatedStatefulSet',
    objects: () => [rsp('rsp-kind', { targetKind: 'FederatedStatefulSet' })],
    outcome: { kind: 'refused', error: ['spec.targetKind', 'Unsupported value: "FederatedStatefulSet"'] },
  },
  {
    id: 'rsp-no-total',
    what: 'RSP without totalReplicas',
    objects: () => [{ ...rsp('rsp-nototal', {}), spec: { targetKind: 'FederatedDeployment', clusters: {} } }],
    outcome: {
      kind: 'refused',
      error: ['ReplicaSchedulingPreference.spec', 'missing required field "totalReplicas"'],
    },
  },
  {
    id: 'rsp-negative-min',
    what: 'RSP with minReplicas -1',
    objects: () => [rsp('rsp-negative', { clusters: { cluster2: { minReplicas: -1 } } })],
    outcome: {
      kind: 'refused',
      error: ['spec.clusters.cluster2.minReplicas', 'should be greater than or equal to 0'],
    },
  },
  // --- KubeFedClusters --------------------------------------------------------------------
  {
    id: 'cluster-endpoint-refused',
    what: 'KubeFedCluster whose apiEndpoint refuses connections (https://127.0.0.1:1)',
    objects: () => kubefedCluster('bad-endpoint', { apiEndpoint: 'https://127.0.0.1:1' }, { token: 'x' }),
    outcome: {
      kind: 'cluster',
      conditions: ['Offline=True/ClusterNotReachable'],
      message: ['cluster is not reachable', 'ECONNREFUSED'],
      event: 'ClusterNotReachable',
    },
  },
  {
    id: 'cluster-endpoint-unresolvable',
    what: 'KubeFedCluster whose apiEndpoint host does not resolve',
    objects: () =>
      kubefedCluster('bad-dns', { apiEndpoint: 'https://no-such-host.invalid:6443' }, { token: 'x' }),
    outcome: {
      kind: 'cluster',
      conditions: ['Offline=True/ClusterNotReachable'],
      message: ['cluster is not reachable', 'no-such-host.invalid'],
    },
  },
  {
    id: 'cluster-wrong-ca',
    what: "KubeFedCluster with cluster2's endpoint and token but a CA that did not sign its certificate",
    objects: () =>
      kubefedCluster(
        'bad-ca',
        { apiEndpoint: cluster2Endpoint, caBundle: Buffer.from(wrongCaPem).toString('base64') },
        { token: 'x' },
      ),
    outcome: {
      kind: 'cluster',
      conditions: ['Offline=True/ClusterNotReachable'],
      message: ['cluster is not reachable', 'certificate'],
    },
  },
  {
    id: 'cluster-ca-not-pem',
    what: 'KubeFedCluster whose caBundle is not PEM',
    objects: () =>
      kubefedCluster(
        'bad-pem',
        { apiEndpoint: cluster2Endpoint, caBundle: Buffer.from('not a certificate').toString('base64') },
        { token: 'x' },
      ),
    webhook: ['spec.caBundle: must be the base64 encoding of PEM CA certificates'],
    outcome: {
      kind: 'cluster',
      conditions: ['ConfigMalformed=True/ClusterConfigMalformed'],
      message: ['spec.caBundle: must be the base64 encoding of PEM CA certificates'],
      event: 'MalformedClusterConfig',
    },
  },
  {
    id: 'cluster-secret-missing',
    what: 'KubeFedCluster whose credential Secret does not exist',
    objects: () => kubefedCluster('no-secret', { apiEndpoint: 'https://127.0.0.1:1' }, null),
    outcome: {
      kind: 'cluster',
      conditions: ['ConfigMalformed=True/ClusterConfigMalformed'],
      message: ['secret', 'no-secret-secret not found'],
      event: 'MalformedClusterConfig',
    },
  },
  {
    id: 'cluster-secret-no-token',
    what: 'credential Secret without data.token',
    objects: () => kubefedCluster('no-token', { apiEndpoint: cluster2Endpoint }, { ca: 'x' }),
    outcome: {
      kind: 'cluster',
      conditions: ['ConfigMalformed=True/ClusterConfigMalformed'],
      message: ['no-token-secret has no data.token'],
      event: 'MalformedClusterConfig',
    },
  },
  {
    id: 'cluster-secret-empty-token',
    what: 'credential Secret with an empty data.token',
    objects: () => kubefedCluster('empty-token', { apiEndpoint: cluster2Endpoint }, { token: '' }),
    outcome: {
      kind: 'cluster',
      conditions: ['ConfigMalformed=True/ClusterConfigMalformed'],
      message: ['empty-token-secret has an empty data.token'],
    },
  },
  {
    id: 'cluster-token-invalid',
    what: 'credential Secret with a token the member does not know',
    objects: () =>
      kubefedCluster(
        'bad-token',
        { apiEndpoint: cluster2Endpoint, caBundle: cluster2Ca },
        { token: 'not-a-valid-token' },
      ),
    outcome: {
      kind: 'cluster',
      conditions: ['Offline=False/ClusterReachable', 'Ready=False/ClusterNotReady'],
      message: ['/healthz responded without ok', 'Unauthorized'],
    },
  },
  {
    id: 'cluster-token-revoked',
    what: 'a token whose ServiceAccount was deleted (revoked; stands in for expired)',
    objects: () =>
      kubefedCluster(
        'revoked-token',
        { apiEndpoint: cluster2Endpoint, caBundle: cluster2Ca },
        { token: revokedToken },
      ),
    outcome: {
      kind: 'cluster',
      conditions: ['Offline=False/ClusterReachable', 'Ready=False/ClusterNotReady'],
      message: ['/healthz responded without ok', 'Unauthorized'],
    },
  },
  {
    id: 'cluster-proxy-scheme',
    what: 'KubeFedCluster with proxyURL ftp://proxy.invalid',
    objects: () =>
      kubefedCluster(
        'bad-proxy',
        { apiEndpoint: cluster2Endpoint, proxyURL: 'ftp://proxy.invalid' },
        { token: 'x' },
      ),
    webhook: ['spec.proxyURL: Unsupported value: "ftp://proxy.invalid"'],
    outcome: {
      kind: 'cluster',
      conditions: ['ConfigMalformed=True/ClusterConfigMalformed'],
      message: ['spec.proxyURL: Unsupported value: "ftp://proxy.invalid"'],
    },
  },
  {
    id: 'cluster-tls-star-mixed',
    what: 'disabledTLSValidations ["*", "SubjectName"]',
    objects: () =>
      kubefedCluster(
        'bad-tls',
        { apiEndpoint: cluster2Endpoint, disabledTLSValidations: ['*', 'SubjectName'] },
        { token: 'x' },
      ),
    webhook: [
      'spec.disabledTLSValidations: Invalid value: "*" disables every TLS check and must be the only entry',
    ],
    outcome: {
      kind: 'cluster',
      conditions: ['ConfigMalformed=True/ClusterConfigMalformed'],
      message: [
        'spec.disabledTLSValidations: Invalid value: "*" disables every TLS check and must be the only entry',
      ],
    },
  },
  {
    id: 'cluster-empty-endpoint',
    what: 'KubeFedCluster with an empty apiEndpoint',
    objects: () => kubefedCluster('empty-endpoint', { apiEndpoint: '' }, { token: 'x' }),
    webhook: ['spec.apiEndpoint: Required value'],
    outcome: {
      kind: 'cluster',
      conditions: ['ConfigMalformed=True/ClusterConfigMalformed'],
      message: ['spec.apiEndpoint: Required value'],
    },
  },
  {
    id: 'cluster-tls-unknown-value',
    what: 'disabledTLSValidations ["Everything"]',
    objects: () =>
      kubefedCluster(
        'bad-tls-value',
        { apiEndpoint: cluster2Endpoint, disabledTLSValidations: ['Everything'] },
        { token: 'x' },
      ),
    outcome: {
      kind: 'refused',
      error: ['spec.disabledTLSValidations[0]', 'Unsupported value: "Everything"'],
    },
  },
  {
    id: 'cluster-no-secret-ref',
    what: 'KubeFedCluster without secretRef',
    objects: () => [
      {
        apiVersion: 'core.kubefed.io/v1beta1',
        kind: 'KubeFedCluster',
        metadata: { name: 'no-secret-ref', namespace: kfns },
        spec: { apiEndpoint: cluster2Endpoint },
      },
    ],
    outcome: { kind: 'refused', error: ['KubeFedCluster.spec', 'missing required field "secretRef"'] },
  },
];

// ---------------------------------------------------------------------------------------------
// Running the cases

/** kubectl's result for each case (refusals are expected for some). */
const applied = new Map<string, { code: number; stderr: string }>();

async function kubectlRun(args: string[], input: string) {
  return run(inject('kubectl'), ['--kubeconfig', inject('kubeconfig'), '--context', 'cluster1', ...args], {
    input,
  });
}

const objectsOf = new Map<string, KubeObject[]>();

function record(c: Case, observed: unknown) {
  const file = process.env.BAD_INPUT_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify({ id: c.id, what: c.what, observed })}\n`);
}

async function events(namespace: string, name: string) {
  const out = await kubectl('cluster1', [
    '-n',
    namespace,
    'get',
    'events',
    '--field-selector',
    `involvedObject.name=${name}`,
    '-o',
    'json',
  ]);
  return (JSON.parse(out) as { items: { type: string; reason: string; message: string }[] }).items;
}

async function waitForEvent(namespace: string, name: string, reason: string, fragment = '') {
  return waitFor(`Event ${reason} on ${namespace}/${name}`, async () => {
    const list = await events(namespace, name);
    const e = list.find((x) => x.reason === reason && x.message.includes(fragment));
    return [e !== undefined, e!, JSON.stringify(list.map((x) => `${x.reason}: ${x.message.slice(0, 200)}`))];
  });
}

async function checkCase(c: Case): Promise<unknown> {
  const r = applied.get(c.id)!;
  const o = c.outcome;
  if (o.kind === 'refused') {
    expect(r.code, `kubectl should refuse ${c.id}`).not.toBe(0);
    for (const f of o.error) expect(r.stderr).toContain(f);
    return { refused: r.stderr.trim() };
  }
  expect(r.code, `kubectl apply of ${c.id}: ${r.stderr}`).toBe(0);
  const obj = objectsOf.get(c.id)!.at(-1)!;
  const name = obj.metadata.name!;
  if (o.kind === 'propagation') {
    const namespace = o.namespace?.() ?? ns;
    const f = await waitFor(
      `${c.id}: ${o.clusters.join(',')} Propagation=${o.status}/${o.reason ?? ''}`,
      async () => {
        const f = await getObject<FederatedObject>('cluster1', ['-n', namespace, o.resource, name]);
        const cond = propagation(f);
        return [
          JSON.stringify(clusterStatuses(f)) === JSON.stringify(o.clusters) &&
            cond?.status === o.status &&
            (o.reason ?? '') === (cond.reason ?? '') &&
            (o.message ?? []).every((m) => cond.message?.includes(m)),
          f!,
          `${JSON.stringify(clusterStatuses(f))} ${JSON.stringify(cond)}`,
        ];
      },
    );
    if (o.event) await waitForEvent(namespace, name, o.event.reason, o.event.message);
    await o.members?.(name);
    const cond = propagation(f)!;
    return {
      clusters: clusterStatuses(f),
      condition: `${cond.status}/${cond.reason ?? ''}`,
      message: cond.message,
    };
  }
  if (o.kind === 'event') {
    const e = await waitForEvent(o.namespace(), name, o.event.reason, o.event.message);
    expect(e.type).toBe('Warning');
    return { event: `${e.type} ${e.reason}: ${e.message}` };
  }
  if (o.kind === 'rsp') {
    const status = await waitFor(`${c.id}: Scheduled=${o.status}/${o.reason}`, async () => {
      const r = await getObject<
        KubeObject & {
          status?: {
            conditions?: { type: string; status: string; reason: string; message: string }[];
            clusters?: { name: string; reasons?: string[] }[];
          };
        }
      >('cluster1', ['-n', ns, 'rsp', name]);
      const cond = r?.status?.conditions?.find((x) => x.type === 'Scheduled');
      return [
        cond?.status === o.status &&
          cond.reason === o.reason &&
          o.message.every((m) => cond.message.includes(m)),
        r!.status!,
        JSON.stringify(r?.status),
      ];
    });
    const reasons = (status.clusters ?? []).flatMap((x) => x.reasons ?? []).join('; ');
    for (const m of o.clusterReasons ?? []) expect(reasons).toContain(m);
    const cond = status.conditions!.find((x) => x.type === 'Scheduled')!;
    return { condition: `Scheduled=${cond.status}/${cond.reason}`, message: cond.message, reasons };
  }
  if (o.kind === 'cluster') {
    const status = await waitFor(`${c.id}: ${o.conditions.join(',')}`, async () => {
      const k = await getObject<KubeFedCluster>('cluster1', ['-n', kfns, 'kubefedcluster', name]);
      const conds = k?.status?.conditions ?? [];
      const seen = conds.map((x) => `${x.type}=${x.status}/${x.reason}`).sort();
      const messages = conds.map((x) => x.message ?? '').join(' | ');
      return [
        JSON.stringify(seen) === JSON.stringify(o.conditions) && o.message.every((m) => messages.includes(m)),
        k!.status!,
        `${JSON.stringify(seen)} ${messages}`,
      ];
    });
    if (o.event) await waitForEvent(kfns, name, o.event);
    return {
      conditions: (status.conditions ?? []).map((x) => `${x.type}=${x.status}/${x.reason}: ${x.message}`),
    };
  }
  // ftc
  const f = await waitFor(`${c.id}: propagationController ${o.propagationController}`, async () => {
    const f = await getObject<FederatedTypeConfig>('cluster1', ['-n', kfns, 'federatedtypeconfig', name]);
    return [
      f?.status?.propagationController === o.propagationController &&
        f.status.observedGeneration === f.metadata.generation,
      f!,
      JSON.stringify(f?.status),
    ];
  });
  const e = await waitForEvent(kfns, name, o.event, o.message);
  return { status: f.status, event: `${e.reason}: ${e.message}` };
}

/** The extra FederatedTypeConfigs and KubeFedClusters of the cases, removed before teardown. */
async function cleanupCases() {
  for (const c of CASES) {
    const objs = objectsOf.get(c.id) ?? [];
    for (const o of objs) {
      if (o.kind !== 'FederatedTypeConfig' && o.kind !== 'KubeFedCluster' && o.kind !== 'Secret') continue;
      await kubectl('cluster1', [
        '-n',
        kfns,
        'delete',
        o.kind.toLowerCase(),
        o.metadata.name!,
        '--ignore-not-found',
        '--timeout=30s',
      ]).catch((err: Error) => console.warn(`deleting ${o.kind} ${o.metadata.name}: ${err.message}`));
    }
  }
}

async function healthyObject(name: string) {
  const r = await kubectlRun(['apply', '-f', '-'], JSON.stringify(fedConfigMap(name)));
  expect(r.code, r.stderr).toBe(0);
  return cp.waitForStatus(FCM, ns, name, ['cluster2:', 'cluster3:'], 'True');
}

/**
 * Material for the KubeFedCluster cases (once): cluster2's endpoint and CA from the kubeconfig, a CA
 * that did not sign its certificate, and a revoked token (its ServiceAccount deleted).
 */
let material: Promise<void> | undefined;
function loadMaterial(): Promise<void> {
  material ??= (async () => {
    const config = JSON.parse(
      await kubectl('cluster2', ['config', 'view', '--raw', '--minify', '-o', 'json']),
    ) as {
      clusters: { cluster: { server: string; 'certificate-authority-data'?: string } }[];
    };
    cluster2Endpoint = config.clusters[0]!.cluster.server;
    cluster2Ca = config.clusters[0]!.cluster['certificate-authority-data'] ?? '';
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        path.join(work, 'ca.key'),
        '-out',
        path.join(work, 'ca.crt'),
        '-days',
        '1',
        '-subj',
        '/CN=wrong-ca',
      ],
      { stdio: 'pipe' },
    );
    wrongCaPem = readFileSync(path.join(work, 'ca.crt'), 'utf8');
    const sa = uniqueName('kf-bad-revoked');
    await kubectl('cluster2', ['-n', 'default', 'create', 'serviceaccount', sa]);
    revokedToken = (await kubectl('cluster2', ['-n', 'default', 'create', 'token', sa])).trim();
    await kubectl('cluster2', ['-n', 'default', 'delete', 'serviceaccount', sa]);
  })();
  return material;
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('bad input on a control plane without the webhook', () => {
  beforeAll(async () => {
    await cp.setup();
    ns = await cp.federatedNamespace(['cluster2', 'cluster3'], 'kf-bad');
    await kubectl('cluster1', ['create', 'namespace', plainNs]);
    cp.testNamespaces.push(plainNs);
    await healthyObject('healthy-before');
    await loadMaterial();
    for (const c of CASES) {
      const objs = (await c.objects()) as KubeObject[];
      objectsOf.set(c.id, objs);
      const body = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objs });
      const r = await kubectlRun(c.create ? ['create', '-f', '-'] : ['apply', '-f', '-'], body);
      applied.set(c.id, { code: r.code, stderr: r.stderr });
    }
  });

  afterAll(async () => {
    await cleanupCases();
    await cp.teardown();
  }, 300_000);

  describe('the catalogue', () => {
    it('has 40 cases or more, with unique ids', () => {
      expect(CASES.length).toBeGreaterThanOrEqual(40);
      expect(new Set(CASES.map((c) => c.id)).size).toBe(CASES.length);
    });

    for (const c of CASES) {
      it(`${c.id}: ${c.what}`, async () => {
        const observed = await checkCase(c);
        record(c, observed);
      });
    }
  });

  describe('after the bad input', () => {
    it('still serves other objects: one created before and one after the bad ones are Propagation=True', async () => {
      await healthyObject('healthy-after');
      const before = await cp.waitForStatus(FCM, ns, 'healthy-before', ['cluster2:', 'cluster3:'], 'True');
      expect(propagation(before)?.status).toBe('True');
      for (const c of ['cluster2', 'cluster3'])
        for (const n of ['healthy-before', 'healthy-after'])
          expect(await getObject(c, ['-n', ns, 'configmap', n])).toBeDefined();
    });

    it('removes the bad FederatedTypeConfigs (their finalizers released) and KubeFedClusters', async () => {
      await cleanupCases();
      for (const c of CASES)
        for (const o of objectsOf.get(c.id) ?? [])
          if (o.kind === 'FederatedTypeConfig' || o.kind === 'KubeFedCluster')
            expect(
              await getObject('cluster1', ['-n', kfns, o.kind.toLowerCase(), o.metadata.name!]),
            ).toBeUndefined();
      // A health probe period (1 s) and more: reconciles of the deleted clusters have run.
      await new Promise((r) => setTimeout(r, 3000));
    });

    it('has no crash of a reconcile', () => {
      expect(cp.log).not.toMatch(/"msg":"reconcile failed"/);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The same cases with the admission webhook installed (server-side dry run: nothing is stored)

const whNs = uniqueName('kf-bad-wh');
const SELECTOR_LABEL = 'kubefed-bad-input-test';
const webhookConfig = `kubefed-bad-input-${whNs}`;
let webhookServer: LocalWebhook | undefined;

function validatingWebhooks(port: number, caBundle: string) {
  const hooks = [
    {
      path: '/validate-kubefedcluster',
      group: 'core.kubefed.io',
      version: 'v1beta1',
      resources: ['kubefedclusters'],
    },
    {
      path: '/validate-federatedtypeconfigs',
      group: 'core.kubefed.io',
      version: 'v1beta1',
      resources: ['federatedtypeconfigs'],
    },
    {
      path: '/validate-replicaschedulingpreferences',
      group: 'scheduling.kubefed.io',
      version: 'v1alpha1',
      resources: ['replicaschedulingpreferences'],
    },
    { path: '/validate-federated', group: 'types.kubefed.io', version: 'v1beta1', resources: ['*'] },
  ];
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: webhookConfig },
    webhooks: hooks.map((h) => ({
      name: `${h.path.slice(1)}.${whNs}.test.kubefed.io`,
      admissionReviewVersions: ['v1'],
      clientConfig: { url: `https://127.0.0.1:${port}${h.path}`, caBundle },
      rules: [
        {
          apiGroups: [h.group],
          apiVersions: [h.version],
          operations: ['CREATE', 'UPDATE'],
          resources: h.resources,
          scope: 'Namespaced',
        },
      ],
      // Only this test's namespace: other tests' objects never reach this webhook.
      namespaceSelector: { matchLabels: { [SELECTOR_LABEL]: whNs } },
      failurePolicy: 'Fail',
      sideEffects: 'None',
      timeoutSeconds: 10,
    })),
  };
}

/** A case's objects for the webhook's namespace, in the chart's federated group (types.kubefed.io). */
async function webhookObjects(c: Case): Promise<unknown[]> {
  const objs = JSON.parse(
    JSON.stringify(await c.objects()).replaceAll(cp.group, 'types.kubefed.io'),
  ) as KubeObject[];
  for (const o of objs) o.metadata.namespace = whNs;
  return objs;
}

describe('bad input with the admission webhook installed', () => {
  beforeAll(async () => {
    await installCrds();
    await loadMaterial();
    await kubectl('cluster1', ['create', 'namespace', whNs]);
    await kubectl('cluster1', ['label', 'namespace', whNs, `${SELECTOR_LABEL}=${whNs}`]);
    const certDir = path.join(work, 'serving');
    const { caPem } = makeServingCert(certDir, 'bad-input-ca');
    webhookServer = await startLocalWebhook(certDir);
    const port = webhookServer.port;
    await kubectlRun(
      ['apply', '-f', '-'],
      JSON.stringify(validatingWebhooks(port, Buffer.from(caPem).toString('base64'))),
    );
    // The API server picks up webhook configurations asynchronously: wait until it is in force.
    await pollUntil(
      'the webhook configuration to take effect on cluster1',
      async () => {
        const r = await kubectlRun(
          ['apply', '--dry-run=server', '-f', '-'],
          JSON.stringify({
            ...fedConfigMap('probe'),
            apiVersion: 'types.kubefed.io/v1beta1',
            metadata: { name: 'probe', namespace: whNs },
            spec: { overrides: [{ clusterName: 'c', clusterOverrides: [{ path: '/kind', value: 'x' }] }] },
          }),
        );
        return r.code !== 0 && r.stderr.includes('denied the request')
          ? { done: true, value: true }
          : { done: false, seen: r.stderr };
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });

  afterAll(async () => {
    await kubectl('cluster1', [
      'delete',
      'validatingwebhookconfiguration',
      webhookConfig,
      '--ignore-not-found',
    ]).catch(() => '');
    await kubectl('cluster1', ['delete', 'namespace', whNs, '--wait=false', '--ignore-not-found']).catch(
      () => '',
    );
    await webhookServer?.stop();
  });

  for (const c of CASES) {
    const expected = c.webhook
      ? 'refused by the webhook'
      : c.outcome.kind === 'refused'
        ? 'refused by the CRD schema, as without the webhook'
        : 'admitted: the control plane reports it as above';
    it(`${c.id}: ${expected}`, async () => {
      const body = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: await webhookObjects(c) });
      const r = await kubectlRun([c.create ? 'create' : 'apply', '--dry-run=server', '-f', '-'], body);
      const observed = r.code === 0 ? 'admitted' : r.stderr.trim();
      record(c, { webhook: observed });
      if (c.webhook) {
        expect(r.code, `${c.id} was admitted`).not.toBe(0);
        expect(r.stderr).toMatch(/admission webhook ".*\.test\.kubefed\.io" denied the request/);
        for (const f of c.webhook) expect(r.stderr).toContain(f);
      } else if (c.outcome.kind === 'refused') {
        expect(r.code).not.toBe(0);
        for (const f of c.outcome.error) expect(r.stderr).toContain(f);
      } else {
        expect(r.code, r.stderr).toBe(0);
        for (const f of c.webhookWarning ?? []) expect(r.stderr).toContain(`Warning: ${f}`);
        if (!c.webhookWarning) expect(r.stderr).not.toContain('Warning:');
      }
    });
  }
});
