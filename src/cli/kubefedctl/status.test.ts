import { describe, expect, it } from 'vitest';
import type { KubeFedCluster } from '../../api/core.js';
import type { FederatedObject } from '../../api/types.js';
import type { KubeObject } from '../../kube/resource.js';
import { parse } from 'yaml';
import { clustersToShow, renderStatus, renderStatusTable, statusReport, type MemberRead } from './status.js';

const fed = (status: FederatedObject['status'], placement: string[] = []): FederatedObject => ({
  apiVersion: 'types.kubefed.io/v1beta1',
  kind: 'FederatedDeployment',
  metadata: { name: 'web', namespace: 'demo' },
  spec: { placement: { clusters: placement.map((name) => ({ name })) } },
  ...(status ? { status } : {}),
});

const cluster = (name: string): KubeFedCluster =>
  ({
    metadata: { name, namespace: 'kube-federation-system' },
    spec: { apiEndpoint: 'https://x', secretRef: { name } },
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  }) as unknown as KubeFedCluster;

const deployment = (replicas: number, ready: number, extra: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: 'web', namespace: 'demo', generation: 1 },
  spec: { replicas },
  status: {
    observedGeneration: 1,
    readyReplicas: ready,
    updatedReplicas: replicas,
    availableReplicas: ready,
    ...extra,
  },
});

describe('clustersToShow', () => {
  it('shows the clusters the sync controller reports, sorted', () => {
    const f = fed({ clusters: [{ name: 'cluster3' }, { name: 'cluster2', status: 'CreationFailed' }] }, [
      'cluster9',
    ]);
    expect(clustersToShow(f, [cluster('cluster2')])).toEqual(['cluster2', 'cluster3']);
  });

  it('before any report, shows what spec.placement selects, unknown names included', () => {
    expect(clustersToShow(fed(undefined, ['cluster3', 'nope']), [cluster('cluster3')])).toEqual([
      'cluster3',
      'nope',
    ]);
  });
});

describe('statusReport and the table', () => {
  const reads = new Map<string, MemberRead>([
    ['cluster2', { kind: 'found', object: deployment(2, 2) }],
    ['cluster3', { kind: 'found', object: deployment(3, 1) }],
    ['cluster4', { kind: 'absent' }],
    ['cluster5', { kind: 'error', message: 'connection refused' }],
  ]);
  const f = fed({
    conditions: [
      {
        type: 'Propagation',
        status: 'False',
        reason: 'CheckClusters',
        message: 'cluster4: CreationFailed: quota exceeded',
      },
    ],
    clusters: [{ name: 'cluster2' }, { name: 'cluster3' }, { name: 'cluster4', status: 'CreationFailed' }],
  });
  const report = statusReport({
    targetKind: 'Deployment',
    federated: f,
    clusters: ['cluster2', 'cluster3', 'cluster4', 'cluster5'],
    reads,
  });

  it('gives each cluster its propagation state, live member counts and last error, and totals', () => {
    expect(report.clusters).toEqual([
      {
        cluster: 'cluster2',
        propagation: 'OK',
        exists: true,
        lastError: '',
        desiredReplicas: 2,
        readyReplicas: 2,
        updatedReplicas: 2,
        availableReplicas: 2,
      },
      {
        cluster: 'cluster3',
        propagation: 'OK',
        exists: true,
        lastError: '',
        desiredReplicas: 3,
        readyReplicas: 1,
        updatedReplicas: 3,
        availableReplicas: 1,
      },
      {
        cluster: 'cluster4',
        propagation: 'CreationFailed',
        exists: false,
        lastError: 'CreationFailed: quota exceeded',
        desiredReplicas: 0,
        readyReplicas: 0,
        updatedReplicas: 0,
        availableReplicas: 0,
      },
      {
        cluster: 'cluster5',
        propagation: 'Pending',
        exists: false,
        lastError: 'reading the member copy: connection refused',
        desiredReplicas: 0,
        readyReplicas: 0,
        updatedReplicas: 0,
        availableReplicas: 0,
      },
    ]);
    expect(report.totals).toEqual({
      desiredReplicas: 5,
      readyReplicas: 3,
      updatedReplicas: 5,
      availableReplicas: 3,
    });
    expect(report.propagated).toBe('False');
    expect(report.reason).toBe('CheckClusters');
  });

  it('renders READY as ready/desired per cluster and in total', () => {
    const lines = renderStatusTable(report).split('\n');
    expect(lines[0]).toBe('FederatedDeployment demo/web: Propagation=False (CheckClusters)');
    expect(lines[1]!.split(/\s{2,}/)).toEqual([
      'CLUSTER',
      'PROPAGATION',
      'READY',
      'UPDATED',
      'AVAILABLE',
      'LAST ERROR',
    ]);
    expect(lines[3]!.split(/\s{2,}/)).toEqual(['cluster3', 'OK', '1/3', '3', '1']);
    expect(lines[4]!.split(/\s{2,}/)).toEqual([
      'cluster4',
      'CreationFailed',
      '0/0',
      '0',
      '0',
      'CreationFailed: quota exceeded',
    ]);
    expect(lines[6]!.split(/\s{2,}/)).toEqual(['TOTAL', '3/5', '5', '3']);
  });

  it('shows a failing member condition when propagation has nothing to say', () => {
    const r = statusReport({
      targetKind: 'Deployment',
      federated: fed({ clusters: [{ name: 'c' }] }),
      clusters: ['c'],
      reads: new Map([
        [
          'c',
          {
            kind: 'found',
            object: deployment(1, 0, {
              conditions: [
                { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'forbidden' },
              ],
            }),
          },
        ],
      ]),
    });
    expect(r.clusters[0]!.lastError).toBe('ReplicaFailure: FailedCreate: forbidden');
  });

  it('shows EXISTS for kinds without replicas', () => {
    const r = statusReport({
      targetKind: 'ConfigMap',
      federated: { ...fed({ clusters: [{ name: 'a' }, { name: 'b' }] }), kind: 'FederatedConfigMap' },
      clusters: ['a', 'b'],
      reads: new Map<string, MemberRead>([['a', { kind: 'found', object: { metadata: { name: 'web' } } }]]),
    });
    expect(r.totals).toBeUndefined();
    const lines = renderStatusTable(r).split('\n');
    expect(lines[1]!.split(/\s{2,}/)).toEqual(['CLUSTER', 'PROPAGATION', 'EXISTS', 'LAST ERROR']);
    expect(lines[2]!.split(/\s{2,}/)).toEqual(['a', 'OK', 'yes']);
    expect(lines[3]!.split(/\s{2,}/)).toEqual(['b', 'OK', 'no']);
  });

  it('prints the report as JSON or YAML with -o', () => {
    expect(JSON.parse(renderStatus(report, 'json'))).toEqual(report);
    expect(parse(renderStatus(report, 'yaml'))).toEqual(report);
  });
});
