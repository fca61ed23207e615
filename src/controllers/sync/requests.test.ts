import { describe, expect, it } from 'vitest';
import type { KubeFedCluster } from '../../api/core.js';
import type { FederatedObject } from '../../api/types.js';
import { planPropagation, type ClusterAction } from '../../federation/plan.js';
import { renderForCluster } from '../../federation/render.js';
import { computeStatus, statusChanged, type FederatedStatus } from '../../federation/status.js';
import { nextPropagatedVersion, type PropagatedVersion } from '../../federation/version.js';
import type { KubeObject, ResourceClient } from '../../kube/resource.js';
import { dispatchAction, type DispatchOutcome } from './dispatch.js';
import { passEvents, statusOutcomes, writtenVersions } from './outcomes.js';
import { passRequests, versionWrite, type PlannedRequest } from './requests.js';

const CLUSTERS = ['cluster2', 'cluster3', 'cluster4'];

const kfc = (name: string): KubeFedCluster => ({
  metadata: { name, namespace: 'kube-federation-system' },
  spec: { apiEndpoint: `https://${name}`, secretRef: { name } },
  status: { conditions: [{ type: 'Ready', status: 'True', lastProbeTime: 't' }] },
});

const fcm = (finalizer: boolean): FederatedObject => ({
  apiVersion: 'types.kubefed.io/v1beta1',
  kind: 'FederatedConfigMap',
  metadata: {
    name: 'cm',
    namespace: 'ns',
    generation: 1,
    ...(finalizer ? { finalizers: ['kubefed.io/sync-controller'] } : {}),
  },
  spec: { template: { data: { a: 'b' } }, placement: { clusters: CLUSTERS.map((name) => ({ name })) } },
});

/**
 * A member ResourceClient that records the requests the dispatcher sends and answers as the API
 * server would (the object with a resourceVersion). Only the request plan is under test here;
 * what the API servers do with them is tested on the local clusters.
 */
function recordingClient(cluster: string, sent: PlannedRequest[]): ResourceClient {
  let rv = 100;
  const answer = (o: KubeObject) => ({ ...o, metadata: { ...o.metadata, resourceVersion: String(++rv) } });
  return {
    create: (o: KubeObject) => (
      sent.push({ cluster, verb: 'post', what: o.kind! }),
      Promise.resolve(answer(o))
    ),
    update: (o: KubeObject) => (
      sent.push({ cluster, verb: 'put', what: o.kind! }),
      Promise.resolve(answer(o))
    ),
    patch: () => (
      sent.push({ cluster, verb: 'patch', what: 'ConfigMap' }),
      Promise.resolve(answer({ metadata: {} }))
    ),
    delete: () => (sent.push({ cluster, verb: 'delete', what: 'ConfigMap' }), Promise.resolve()),
    get: () => Promise.reject(new Error('the plan needs no read')),
  } as unknown as ResourceClient;
}

/** One pass as the sync controller runs it: plan, dispatch, then the bookkeeping decisions. */
async function pass(
  fed: FederatedObject,
  observed: Map<string, KubeObject | undefined>,
  previous: { version?: PropagatedVersion; status?: FederatedStatus },
) {
  const rendered = new Map(
    CLUSTERS.map((c) => [
      c,
      renderForCluster({ federated: fed, targetApiVersion: 'v1', targetKind: 'ConfigMap', cluster: c }),
    ]),
  );
  const plan = planPropagation({
    federated: fed,
    clusters: CLUSTERS.map(kfc),
    placement: { clusters: CLUSTERS },
    render: (c) => rendered.get(c),
    observed,
    ...(previous.version ? { propagatedVersion: previous.version } : {}),
    adoptResources: 'Enabled',
  });
  const sent: PlannedRequest[] = [];
  const outcomes: DispatchOutcome[] = await Promise.all(
    plan.actions.map((a: ClusterAction) =>
      dispatchAction(a, {
        client: recordingClient(a.cluster, sent),
        namespace: 'ns',
        name: 'cm',
        adoptResources: 'Enabled',
        retainReplicas: false,
        namespaceTarget: false,
        deleteOptions: { kind: 'ok', options: {} },
        signal: AbortSignal.timeout(5000),
      }),
    ),
  );
  const nextVersion = nextPropagatedVersion({
    previous: previous.version,
    templateVersion: plan.templateVersion,
    overridesVersion: plan.overridesVersion,
    placed: CLUSTERS,
    written: writtenVersions(outcomes),
  });
  const status = computeStatus({
    previous: previous.status,
    generation: 1,
    clusterOutcomes: statusOutcomes(outcomes, CLUSTERS),
    now: '2026-12-03T12:00:00Z',
    resourcesUpdated: outcomes.some((o) => o.wrote),
  });
  const input = {
    addFinalizer: !fed.metadata.finalizers?.includes('kubefed.io/sync-controller'),
    actions: plan.actions,
    kind: 'ConfigMap',
    version: versionWrite(previous.version, nextVersion),
    statusChanged: statusChanged(previous.status, status),
    events: passEvents(outcomes),
  };
  return { plan, sent, outcomes, nextVersion, status, input };
}

describe('the writes of a propagation pass', () => {
  it('a first propagation to 3 members writes 7 times: 3 member creates, then finalizer, PropagatedVersion, status and one Event on the host', async () => {
    const { sent, input } = await pass(fcm(false), new Map(), {});
    const requests = passRequests({ ...input, versionStatusSubresource: false });
    expect(requests).toEqual([
      { cluster: 'host', verb: 'patch', what: 'finalizer' },
      { cluster: 'cluster2', verb: 'post', what: 'ConfigMap' },
      { cluster: 'cluster3', verb: 'post', what: 'ConfigMap' },
      { cluster: 'cluster4', verb: 'post', what: 'ConfigMap' },
      { cluster: 'host', verb: 'post', what: 'PropagatedVersion' },
      { cluster: 'host', verb: 'patch', what: 'status' },
      { cluster: 'host', verb: 'post', what: 'Event CreateInCluster' },
    ]);
    // The member requests planned are the ones the dispatcher sent.
    expect(sent.sort((a, b) => a.cluster.localeCompare(b.cluster))).toEqual(
      requests.filter((r) => r.cluster !== 'host'),
    );
    expect(input.events).toEqual([
      {
        type: 'Normal',
        reason: 'CreateInCluster',
        message: 'Created in clusters cluster2, cluster3, cluster4',
      },
    ]);
  });

  it("costs one more write per new object where upstream's PropagatedVersion CRD (status subresource) is installed", async () => {
    const { input } = await pass(fcm(false), new Map(), {});
    expect(
      passRequests({ ...input, versionStatusSubresource: true }).filter((r) => r.cluster === 'host'),
    ).toEqual([
      { cluster: 'host', verb: 'patch', what: 'finalizer' },
      { cluster: 'host', verb: 'post', what: 'PropagatedVersion' },
      { cluster: 'host', verb: 'patch', what: 'PropagatedVersion status' },
      { cluster: 'host', verb: 'patch', what: 'status' },
      { cluster: 'host', verb: 'post', what: 'Event CreateInCluster' },
    ]);
  });

  it('writes 6 times for an object the webhook stored with the finalizer: no finalizer patch', async () => {
    const { sent, input } = await pass(fcm(true), new Map(), {});
    expect(input.addFinalizer).toBe(false);
    expect(passRequests({ ...input, versionStatusSubresource: false })).toEqual([
      { cluster: 'cluster2', verb: 'post', what: 'ConfigMap' },
      { cluster: 'cluster3', verb: 'post', what: 'ConfigMap' },
      { cluster: 'cluster4', verb: 'post', what: 'ConfigMap' },
      { cluster: 'host', verb: 'post', what: 'PropagatedVersion' },
      { cluster: 'host', verb: 'patch', what: 'status' },
      { cluster: 'host', verb: 'post', what: 'Event CreateInCluster' },
    ]);
    expect(sent).toHaveLength(3);
  });

  it('writes nothing on a pass that finds everything as propagated (a restart, a resync)', async () => {
    const first = await pass(fcm(false), new Map(), {});
    // The member copies as the first pass left them, at the versions it recorded.
    const observed = new Map<string, KubeObject | undefined>();
    for (const a of first.plan.actions) {
      if (a.kind !== 'create') throw new Error(`expected creates, got ${a.kind}`);
      const v = first.nextVersion!.clusterVersions!.find((c) => c.clusterName === a.cluster)!.version;
      observed.set(a.cluster, {
        ...a.object,
        metadata: { ...a.object.metadata, resourceVersion: v.replace(/^rv:/, '') },
      });
    }
    const again = await pass(fcm(true), observed, { version: first.nextVersion!, status: first.status });
    expect(again.plan.actions.map((a) => a.kind)).toEqual(['none', 'none', 'none']);
    expect(passRequests({ ...again.input, versionStatusSubresource: false })).toEqual([]);
    expect(again.sent).toEqual([]);
  });
});

describe('passEvents', () => {
  const outcome = (cluster: string, events: DispatchOutcome['events']): DispatchOutcome => ({
    cluster,
    status: '',
    wrote: true,
    events,
  });

  it('makes one Event of the same success in several clusters, naming them sorted', () => {
    expect(
      passEvents([
        outcome('c3', [{ type: 'Normal', reason: 'UpdateInCluster', message: 'Updated in cluster c3' }]),
        outcome('c1', [{ type: 'Normal', reason: 'UpdateInCluster', message: 'Updated in cluster c1' }]),
      ]),
    ).toEqual([{ type: 'Normal', reason: 'UpdateInCluster', message: 'Updated in clusters c1, c3' }]);
  });

  it('keeps one Event per reason and per wording, and a lone cluster as it was', () => {
    expect(
      passEvents([
        outcome('c1', [{ type: 'Normal', reason: 'CreateInCluster', message: 'Created in cluster c1' }]),
        outcome('c2', [{ type: 'Normal', reason: 'UpdateInCluster', message: 'Adopted in cluster c2' }]),
        outcome('c3', [{ type: 'Normal', reason: 'UpdateInCluster', message: 'Updated in cluster c3' }]),
      ]),
    ).toEqual([
      { type: 'Normal', reason: 'CreateInCluster', message: 'Created in cluster c1' },
      { type: 'Normal', reason: 'UpdateInCluster', message: 'Adopted in cluster c2' },
      { type: 'Normal', reason: 'UpdateInCluster', message: 'Updated in cluster c3' },
    ]);
  });

  it("keeps a Warning per cluster, each with its member's error", () => {
    const warnings = [
      {
        type: 'Warning' as const,
        reason: 'CreateInClusterFailed',
        message: 'Creation in cluster c1 failed: quota',
      },
      {
        type: 'Warning' as const,
        reason: 'CreateInClusterFailed',
        message: 'Creation in cluster c2 failed: denied',
      },
    ];
    expect(passEvents([outcome('c1', [warnings[0]!]), outcome('c2', [warnings[1]!])])).toEqual(warnings);
  });
});
