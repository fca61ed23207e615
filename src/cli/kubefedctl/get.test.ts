import { describe, expect, it } from 'vitest';
import type { ClusterCondition, KubeFedCluster } from '../../api/core.js';
import { formatAge, readyOf, renderClusters, renderTable } from './get.js';

const now = Date.parse('2026-01-01T12:00:00Z');
const cond = (
  type: ClusterCondition['type'],
  status: ClusterCondition['status'],
  message = '',
): ClusterCondition => ({
  type,
  status,
  lastProbeTime: '2026-01-01T12:00:00Z',
  message,
});
const cluster = (name: string, status?: KubeFedCluster['status']): KubeFedCluster => ({
  metadata: { name, creationTimestamp: '2026-01-01T11:55:00Z' },
  spec: { apiEndpoint: `https://${name}:6443`, secretRef: { name: `${name}-x` } },
  ...(status ? { status } : {}),
});

describe('readyOf', () => {
  it('shows the Ready status, Offline or ConfigMalformed when set, and nothing before the first probe', () => {
    expect(readyOf(cluster('a', { conditions: [cond('Ready', 'True')] }))).toBe('True');
    expect(readyOf(cluster('a', { conditions: [cond('Ready', 'False'), cond('Offline', 'False')] }))).toBe(
      'False',
    );
    expect(readyOf(cluster('a', { conditions: [cond('Offline', 'True')] }))).toBe('Offline');
    expect(readyOf(cluster('a', { conditions: [cond('ConfigMalformed', 'True')] }))).toBe('ConfigMalformed');
    expect(readyOf(cluster('a', { conditions: [cond('Ready', 'Unknown')] }))).toBe('Unknown');
    expect(readyOf(cluster('a'))).toBe('');
  });
});

describe('formatAge', () => {
  it.each([
    [45_000, '45s'],
    [119_000, '119s'],
    [5 * 60_000 + 3_000, '5m3s'],
    [75 * 60_000, '75m'],
    [5 * 3600_000 + 3 * 60_000, '5h3m'],
    [30 * 3600_000, '30h'],
    [(4 * 24 + 5) * 3600_000, '4d5h'],
    [200 * 86400_000, '200d'],
    [(2 * 365 + 30) * 86400_000, '2y30d'],
    [10 * 365 * 86400_000, '10y'],
  ])('%d ms is %s, like kubectl', (ms, age) => {
    expect(formatAge(ms)).toBe(age);
  });
});

describe('renderClusters', () => {
  const clusters = [
    cluster('cluster2', {
      conditions: [cond('Ready', 'True', '/healthz responded with ok')],
      region: 'eu',
      zones: ['eu-a', 'eu-b'],
      kubernetesVersion: 'v1.34.1',
    }),
    cluster('cluster3', { conditions: [cond('Offline', 'True', 'cluster is not reachable: timeout')] }),
  ];

  it('prints NAME, READY, AGE, REGION, ZONES aligned like kubectl', () => {
    expect(renderClusters(clusters, false, now)).toBe(
      [
        'NAME       READY     AGE   REGION   ZONES',
        'cluster2   True      5m    eu       eu-a,eu-b',
        'cluster3   Offline   5m',
        '',
      ].join('\n'),
    );
  });

  it('-o wide adds KUBERNETES-VERSION, ENDPOINT and MESSAGE', () => {
    const lines = renderClusters(clusters, true, now).split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual([
      'NAME',
      'READY',
      'AGE',
      'REGION',
      'ZONES',
      'KUBERNETES-VERSION',
      'ENDPOINT',
      'MESSAGE',
    ]);
    expect(lines[1]).toMatch(/v1\.34\.1\s+https:\/\/cluster2:6443\s+\/healthz responded with ok$/);
    expect(lines[2]).toMatch(/https:\/\/cluster3:6443\s+cluster is not reachable: timeout$/);
  });

  it('renderTable pads every column but the last', () => {
    expect(renderTable(['A', 'B'], [['xx', 'y']])).toBe('A    B\nxx   y\n');
  });
});
