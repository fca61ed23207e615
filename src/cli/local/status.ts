/** `kubefed-local status`: each recorded component, whether its process runs, and its health. */
import path from 'node:path';
import { pkiPaths } from './pki.js';
import { apiRequest, healthGet } from './probe.js';
import { isRunning } from './processes.js';
import { dashboardUrl, readState, type RunningComponent } from './state.js';
import type { Topology } from './topology.js';

export interface ComponentHealth {
  id: string;
  pid: number;
  healthy: boolean;
  detail: string;
  log: string;
}

export interface StatusReport {
  dir: string;
  phase: 'absent' | 'starting' | 'ready';
  kubeconfig?: string;
  components: ComponentHealth[];
}

export async function status(dirOption: string): Promise<StatusReport> {
  const dir = path.resolve(dirOption);
  const state = readState(dir);
  if (!state) return { dir, phase: 'absent', components: [] };
  const components = await Promise.all(
    state.components.map(async (c) => {
      const base = { id: c.id, pid: c.pid, log: c.log };
      if (!isRunning(c)) return { ...base, healthy: false, detail: 'not running' };
      try {
        const detail = await probe(state.topology, c);
        return { ...base, healthy: detail.ok, detail: detail.text };
      } catch (err) {
        return { ...base, healthy: false, detail: (err as Error).message };
      }
    }),
  );
  const kubefed = await Promise.all(
    (state.kubefed?.processes ?? []).map(async (p) => {
      const base = { id: p.id, pid: p.pid, log: p.log };
      if (!isRunning(p)) return { ...base, healthy: false, detail: 'not running' };
      const url =
        p.kind === 'kubefed-webhook'
          ? `https://127.0.0.1:${p.ports[0]}/readyz`
          : `http://127.0.0.1:${p.ports[0]}/readyz`;
      try {
        const r = await healthGet(url);
        const where =
          p.kind === 'kubefed-webhook'
            ? `serving on 127.0.0.1:${p.ports[0]}`
            : `ready in namespace ${state.kubefed!.namespace}${
                p.ports[1] !== undefined ? `; dashboard ${dashboardUrl(p.ports[1])}` : ''
              }`;
        return {
          ...base,
          healthy: r.status === 200,
          detail: r.status === 200 ? where : `${url}: HTTP ${r.status}`,
        };
      } catch (err) {
        return { ...base, healthy: false, detail: (err as Error).message };
      }
    }),
  );
  return {
    dir,
    phase: state.phase,
    kubeconfig: state.topology.kubeconfig,
    components: [...components, ...kubefed],
  };
}

async function probe(topology: Topology, c: RunningComponent): Promise<{ ok: boolean; text: string }> {
  const cluster = topology.clusters.find((x) => x.name === c.cluster);
  const api = cluster && { server: cluster.server, pki: pkiPaths(path.join(cluster.dir, 'pki')) };
  switch (c.kind) {
    case 'etcd': {
      const r = await healthGet(`http://127.0.0.1:${topology.etcd.clientPort}/health`);
      const ok = /"health":\s*"true"/.test(r.body);
      return { ok, text: ok ? `healthy on 127.0.0.1:${topology.etcd.clientPort}` : r.body };
    }
    case 'kube-apiserver': {
      const r = await apiRequest(api!, 'GET', '/readyz');
      return {
        ok: r.status === 200,
        text: r.status === 200 ? `ready at ${cluster!.server}` : `HTTP ${r.status}`,
      };
    }
    case 'kube-scheduler': {
      const r = await healthGet(`https://127.0.0.1:${cluster!.schedulerPort}/healthz`);
      return { ok: r.status === 200, text: r.status === 200 ? 'healthy' : `HTTP ${r.status}` };
    }
    case 'kwok': {
      const r = await apiRequest(api!, 'GET', '/api/v1/nodes?labelSelector=type%3Dkwok');
      const items =
        (JSON.parse(r.body) as { items?: { status?: { conditions?: { type: string; status: string }[] } }[] })
          .items ?? [];
      const ready = items.filter((n) =>
        n.status?.conditions?.some((k) => k.type === 'Ready' && k.status === 'True'),
      ).length;
      return {
        ok: ready === cluster!.nodes.length,
        text: `${ready}/${cluster!.nodes.length} fake nodes Ready`,
      };
    }
    case 'kube-controller-manager':
      return { ok: true, text: 'running' };
  }
}
