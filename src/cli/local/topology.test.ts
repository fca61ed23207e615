import { describe, expect, it } from 'vitest';
import {
  clusterNames,
  parseExtraArgs,
  planTopology,
  portCount,
  validateOptions,
  type TopologyOptions,
} from './topology.js';

const opts = (o: Partial<TopologyOptions> = {}): TopologyOptions => ({
  members: 2,
  workloads: true,
  dir: '/tmp/x',
  extraArgs: {},
  ...o,
});
const ports = (n: number) => Array.from({ length: n }, (_, i) => 30000 + i);
const stages = { kwokStages: '/cache/kwok-stages.yaml' };
const flag = (args: string[], name: string) =>
  args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

describe('planTopology', () => {
  it('names the host cluster1 and members cluster2..clusterN+1', () => {
    expect(clusterNames(2)).toEqual(['cluster1', 'cluster2', 'cluster3']);
    const t = planTopology(opts(), ports(portCount(opts())), stages);
    expect(t.clusters.map((c) => [c.name, c.role])).toEqual([
      ['cluster1', 'host'],
      ['cluster2', 'member'],
      ['cluster3', 'member'],
    ]);
  });

  it('gives every cluster its own etcd prefix, port, issuer and keys on one shared etcd', () => {
    const t = planTopology(opts(), ports(portCount(opts())), stages);
    const apiservers = t.components.filter((c) => c.kind === 'kube-apiserver');
    expect(apiservers).toHaveLength(3);
    for (const key of [
      'etcd-prefix',
      'secure-port',
      'service-account-issuer',
      'service-account-key-file',
      'client-ca-file',
    ]) {
      expect(new Set(apiservers.map((a) => flag(a.args, key))).size).toBe(3);
    }
    for (const a of apiservers)
      expect(flag(a.args, 'etcd-servers')).toBe(`http://127.0.0.1:${t.etcd.clientPort}`);
  });

  it('binds every server to loopback', () => {
    const t = planTopology(opts(), ports(portCount(opts())), stages);
    for (const c of t.components) {
      for (const a of c.args) {
        if (/^--(bind-address|advertise-address)=/.test(a)) expect(a).toMatch(/=127\.0\.0\.1$/);
        if (/^--listen-(client|peer)-urls=/.test(a)) expect(a).toContain('://127.0.0.1:');
      }
    }
  });

  it('uses each given port exactly once', () => {
    const o = opts({ members: 3 });
    const t = planTopology(o, ports(portCount(o)), stages);
    const used = t.components.flatMap((c) => c.ports);
    expect(used.sort()).toEqual(ports(portCount(o)));
  });

  it('adds a scheduler and kwok with two nodes per cluster only with workloads', () => {
    const withW = planTopology(opts(), ports(portCount(opts())), stages);
    expect(withW.components.filter((c) => c.kind === 'kwok')).toHaveLength(3);
    expect(withW.clusters.every((c) => c.nodes.length === 2)).toBe(true);
    expect(flag(withW.components.find((c) => c.kind === 'kwok')!.args, 'config')).toBe(stages.kwokStages);
    const o = opts({ workloads: false });
    const without = planTopology(o, ports(portCount(o)), stages);
    expect(without.components.map((c) => c.kind)).not.toContain('kube-scheduler');
    expect(without.components.map((c) => c.kind)).not.toContain('kwok');
    expect(without.clusters.every((c) => c.nodes.length === 0)).toBe(true);
  });

  it('gives each cluster a distinct region and two zones', () => {
    const t = planTopology(opts(), ports(portCount(opts())), stages);
    expect(new Set(t.clusters.map((c) => c.region)).size).toBe(3);
    for (const c of t.clusters) expect(new Set(c.zones).size).toBe(2);
  });

  it('appends extra args after its own so they win', () => {
    const o = opts({ extraArgs: { 'kube-apiserver': ['--v=4'] } });
    const a = planTopology(o, ports(portCount(o)), stages).components.find(
      (c) => c.kind === 'kube-apiserver',
    )!;
    expect(a.args.at(-1)).toBe('--v=4');
  });

  it('rejects a wrong number of ports or repeated ports', () => {
    expect(() => planTopology(opts(), ports(3), stages)).toThrow(/needs 8 ports, got 3/);
    expect(() => planTopology(opts(), Array(8).fill(1) as number[], stages)).toThrow(/distinct/);
  });
});

describe('validateOptions', () => {
  it.each([-1, 1.5, 11, Number.NaN])('rejects --members %s', (members) => {
    expect(() => validateOptions({ members })).toThrow(/--members must be an integer from 0 to 10/);
  });
  it('accepts 0 members (a host cluster only)', () => {
    expect(() => validateOptions({ members: 0 })).not.toThrow();
  });
});

describe('parseExtraArgs', () => {
  it('groups flags by component', () => {
    expect(
      parseExtraArgs(['kube-apiserver=--v=4', 'kwok=--x', 'kube-apiserver=--feature-gates=A=true']),
    ).toEqual({
      'kube-apiserver': ['--v=4', '--feature-gates=A=true'],
      kwok: ['--x'],
    });
  });
  it.each(['apiserver=--v=4', 'kube-apiserver', 'kube-apiserver=v=4', '=--v'])(
    'rejects %s with the expected shape',
    (v) => {
      expect(() => parseExtraArgs([v])).toThrow(
        /must be COMPONENT=--flag\[=value\] with COMPONENT one of etcd, kube-apiserver/,
      );
    },
  );
});
