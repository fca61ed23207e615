/**
 * Lease-based leader election against a real API server (cluster1): renewal past the lease
 * duration and hand-over on cancel, takeover after a leader dies (a child process, SIGKILLed) or is
 * cut off, stepping down at once for another holder written into the Lease, campaigning through
 * refused requests (an identity without RBAC) until allowed, and, across every scenario, never two
 * leaders of one lease at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ClusterClient, type KubeRequest } from '../../src/kube/client.js';
import { Kubeconfig } from '../../src/kube/credentials.js';
import { isConflict, KubeError } from '../../src/kube/errors.js';
import {
  JITTER_FACTOR,
  LeaderElector,
  leaseRecord,
  microTime,
  type LeaderElectionOptions,
} from '../../src/kube/leaderelection.js';
import { ResourceClient, type ResourceRef } from '../../src/kube/resource.js';
import { pollUntil, sleep } from '../../src/poll.js';
import { clusterClient, REPO_ROOT, uniqueName } from '../support/local.js';

const NAMESPACES: ResourceRef = { group: '', version: 'v1', resource: 'namespaces', namespaced: false };
const SERVICE_ACCOUNTS: ResourceRef = {
  group: '',
  version: 'v1',
  resource: 'serviceaccounts',
  namespaced: true,
};
const ROLES: ResourceRef = {
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  resource: 'roles',
  namespaced: true,
};
const ROLE_BINDINGS: ResourceRef = { ...ROLES, resource: 'rolebindings' };
const LEASES: ResourceRef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  resource: 'leases',
  namespaced: true,
};
const LEASE = 'kubefed-controller-manager';
const TIMINGS = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };
/** The longest wait between two campaign attempts (client-go jitters retries by up to 1.2x). */
const MAX_RETRY_GAP = TIMINGS.retryPeriodMs * (1 + JITTER_FACTOR);
const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** One stretch of leadership of one lease by one candidate (wall clock; all on this machine). */
interface Interval {
  lease: string;
  identity: string;
  start: number;
  end?: number;
}
/** Every leadership interval of every scenario, checked for overlaps at the end. */
const intervals: Interval[] = [];

let client: ClusterClient;
const namespaces: string[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  // Child processes run the built code: it must be at least as new as the source.
  for (const mod of ['leaderelection', 'client']) {
    const src = statSync(path.join(REPO_ROOT, 'src', 'kube', `${mod}.ts`)).mtimeMs;
    const built = statSync(path.join(REPO_ROOT, 'dist', 'kube', `${mod}.js`), { throwIfNoEntry: false });
    if (!built || built.mtimeMs < src)
      throw new Error(`dist/kube/${mod}.js is missing or older than its source: run \`npm run build\` first`);
  }
  client = await clusterClient('cluster1');
});
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c().catch(() => undefined);
});
afterAll(async () => {
  const ns = new ResourceClient(client, NAMESPACES);
  for (const name of namespaces) await ns.delete(name).catch(() => undefined);
  await client.close();
});

async function namespace(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await new ResourceClient(client, NAMESPACES).create({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
  namespaces.push(name);
  return name;
}

const lease = async (ns: string) =>
  leaseRecord(await new ResourceClient(client, LEASES).get(LEASE, { namespace: ns }));

const until = (what: string, cond: () => boolean, timeoutMs: number) =>
  pollUntil(what, () => (cond() ? { done: true, value: undefined } : { done: false, seen: 'not yet' }), {
    timeoutMs,
    intervalMs: 20,
  });

function opened(ns: string, identity: string): void {
  intervals.push({ lease: ns, identity, start: Date.now() });
}
function closed(ns: string, identity: string, at = Date.now()): void {
  const open = intervals.find((i) => i.lease === ns && i.identity === identity && i.end === undefined);
  if (open) open.end = at;
}

/** A candidate in this process, recording its leadership intervals and the leaders it heard of. */
function candidate(
  c: ClusterClient,
  ns: string,
  identity: string,
  extra: Partial<LeaderElectionOptions> = {},
) {
  const abort = new AbortController();
  const leaders: string[] = [];
  const elector = new LeaderElector({
    client: c,
    namespace: ns,
    name: LEASE,
    identity,
    ...TIMINGS,
    onStartedLeading: () => opened(ns, identity),
    onStoppedLeading: () => closed(ns, identity),
    onNewLeader: (who) => leaders.push(who),
    ...extra,
  });
  const result = elector.run(abort.signal);
  const stop = async () => {
    abort.abort();
    return result;
  };
  cleanups.push(stop);
  return { identity, elector, leaders, result, stop };
}

/** A candidate in a child process (the built code), reporting leadership on stdout; SIGKILL it to make it die. */
function childCandidate(ns: string, identity: string) {
  const dist = (mod: string) => JSON.stringify(pathToFileURL(path.join(REPO_ROOT, 'dist', 'kube', mod)).href);
  const script = `
    const { ClusterClient } = await import(${dist('client.js')});
    const { LeaderElector } = await import(${dist('leaderelection.js')});
    const [kubeconfig, context, namespace, name, identity, timings] = process.argv.slice(1);
    const say = (event) => process.stdout.write(JSON.stringify({ event, at: Date.now() }) + '\\n');
    const elector = new LeaderElector({
      client: ClusterClient.fromKubeconfig(context, kubeconfig), namespace, name, identity,
      ...JSON.parse(timings),
      onStartedLeading: () => say('started'),
      onStoppedLeading: () => say('stopped'),
    });
    const abort = new AbortController();
    process.on('SIGTERM', () => abort.abort());
    await elector.run(abort.signal);
    process.exit(0);
  `;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      script,
      inject('kubeconfig'),
      'cluster1',
      ns,
      LEASE,
      identity,
      JSON.stringify(TIMINGS),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  let buffered = '';
  let leading = false;
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const { event, at } = JSON.parse(buffered.slice(0, nl)) as { event: string; at: number };
      buffered = buffered.slice(nl + 1);
      if (event === 'started') {
        leading = true;
        intervals.push({ lease: ns, identity, start: at });
      } else if (event === 'stopped') {
        leading = false;
        closed(ns, identity, at);
      }
    }
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      // Killed while leading: its leadership ends with the process.
      closed(ns, identity);
      leading = false;
      resolve();
    }),
  );
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  cleanups.push(kill);
  return {
    identity,
    isLeader: () => leading,
    kill,
    diagnostics: () => `child ${identity} stderr:\n${stderr}`,
  };
}

/** A client whose requests can be made to fail, as a network partition between it and the API server. */
class PartitionableClient extends ClusterClient {
  partitioned = false;

  override request<T>(req: KubeRequest): Promise<T> {
    if (this.partitioned) {
      return Promise.reject(
        new KubeError(
          'Unavailable',
          'cannot reach the API server (partitioned by the test)',
          { cluster: this.name, method: req.method, path: req.path },
          0,
        ),
      );
    }
    return super.request<T>(req);
  }
}

describe('leader election', () => {
  it('lets exactly one of two candidates lead; cancelling the leader releases the lease and the other leads within about a retry period', async () => {
    const ns = await namespace('le-handover');
    const a = candidate(client, ns, 'a');
    const b = candidate(client, ns, 'b');
    await until('one candidate to lead', () => a.elector.isLeader() || b.elector.isLeader(), 30_000);
    const [leader, follower] = a.elector.isLeader() ? [a, b] : [b, a];
    const first = await lease(ns);

    // Longer than a lease duration: the renewed lease is never taken over.
    const watchUntil = performance.now() + TIMINGS.leaseDurationMs + 1000;
    while (performance.now() < watchUntil) {
      expect([leader.elector.isLeader(), follower.elector.isLeader()]).toEqual([true, false]);
      await sleep(50);
    }
    const renewed = await lease(ns);
    expect(renewed).toMatchObject({
      holderIdentity: leader.identity,
      leaseDurationSeconds: 3,
      acquireTime: first.acquireTime,
      leaseTransitions: 0,
    });
    expect(renewed.renewTime).toMatch(MICRO_TIME);
    expect(renewed.acquireTime).toMatch(MICRO_TIME);
    expect(renewed.renewTime! > first.renewTime!).toBe(true);
    expect(follower.leaders).toEqual([leader.identity]);

    const cancelled = performance.now();
    expect(await leader.stop()).toBe('cancelled');
    expect(leader.elector.isLeader()).toBe(false);
    await until('the follower to lead', () => follower.elector.isLeader(), TIMINGS.leaseDurationMs * 2);
    const handover = performance.now() - cancelled;
    // At the follower's next (jittered) attempt, not after the lease duration.
    expect(handover).toBeLessThan(MAX_RETRY_GAP + 400);
    expect(handover).toBeLessThan(TIMINGS.leaseDurationMs / 2);
    expect(await lease(ns)).toMatchObject({ holderIdentity: follower.identity, leaseTransitions: 1 });
    expect(follower.leaders).toEqual([leader.identity, follower.identity]);

    expect(await follower.stop()).toBe('cancelled');
    expect(await lease(ns)).toMatchObject({
      holderIdentity: '',
      leaseDurationSeconds: 1,
      leaseTransitions: 1,
    });
  });

  it('takes over from a leader killed without releasing only once the lease duration has passed since its last renewal', async () => {
    const ns = await namespace('le-killed');
    const doomed = childCandidate(ns, 'doomed');
    await until('the child to lead', doomed.isLeader, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${doomed.diagnostics()}`);
    });
    const survivor = candidate(client, ns, 'survivor');
    await sleep(TIMINGS.leaseDurationMs + 1000);
    expect(survivor.elector.isLeader()).toBe(false);
    expect(survivor.leaders).toEqual(['doomed']);

    await doomed.kill();
    await sleep(200); // a renewal sent just before the kill lands
    const last = await lease(ns);
    expect(last.holderIdentity).toBe('doomed');
    const lastRenewal = Date.parse(last.renewTime!);

    await until('the survivor to lead', () => survivor.elector.isLeader(), TIMINGS.leaseDurationMs * 4);
    const takeover = intervals.find((i) => i.lease === ns && i.identity === 'survivor')!.start;
    expect(takeover - lastRenewal).toBeGreaterThanOrEqual(TIMINGS.leaseDurationMs);
    // Observed within one attempt of the renewal, expired one lease duration later, taken at the next attempt.
    expect(takeover - lastRenewal).toBeLessThanOrEqual(TIMINGS.leaseDurationMs + 2 * MAX_RETRY_GAP + 800);
    expect(await lease(ns)).toMatchObject({ holderIdentity: 'survivor', leaseTransitions: 1 });
    expect(await survivor.stop()).toBe('cancelled');
  });

  it('stops a leader cut off from the API server within the renew deadline, before another takes over', async () => {
    const ns = await namespace('le-partition');
    const cutOff = new PartitionableClient(Kubeconfig.load(inject('kubeconfig')).credentials('cluster1'));
    cleanups.push(() => cutOff.close());
    let stoppedAt = 0;
    const isolated = candidate(cutOff, ns, 'isolated', {
      onStoppedLeading: () => {
        stoppedAt = performance.now();
        closed(ns, 'isolated');
      },
    });
    await until('the isolated candidate to lead', () => isolated.elector.isLeader(), 30_000);
    const other = candidate(client, ns, 'other');
    await until('the other to see the leader', () => other.leaders.includes('isolated'), 10_000);

    const partitioned = performance.now();
    cutOff.partitioned = true;
    expect(await isolated.result).toBe('lost');
    expect(stoppedAt - partitioned).toBeLessThanOrEqual(TIMINGS.renewDeadlineMs + 100);
    await until('the other to lead', () => other.elector.isLeader(), TIMINGS.leaseDurationMs * 4);
    // The lease was not released: the other waited for it to expire, long after the leader stopped.
    expect(performance.now() - partitioned).toBeGreaterThanOrEqual(
      TIMINGS.leaseDurationMs - TIMINGS.retryPeriodMs,
    );
    expect(await other.stop()).toBe('cancelled');
  });

  it('stops leading at once when another holder appears in the Lease, and never takes it back', async () => {
    const ns = await namespace('le-intruder');
    let stoppedAt = 0;
    const leader = candidate(client, ns, 'leader', {
      onStoppedLeading: () => {
        stoppedAt = performance.now();
        closed(ns, 'leader');
      },
    });
    await until('the candidate to lead', () => leader.elector.isLeader(), 30_000);
    // One run at a time, also while leading.
    await expect(leader.elector.run(new AbortController().signal)).rejects.toThrow('already running');
    expect(leader.elector.isLeader()).toBe(true);

    // Another process claims the Lease by hand, over whatever renewal the leader wrote last.
    const leases = new ResourceClient(client, LEASES);
    let written = 0;
    for (let attempt = 0; !written; attempt++) {
      const current = await leases.get(LEASE, { namespace: ns });
      try {
        await leases.update({
          ...current,
          spec: { ...(current.spec as object), holderIdentity: 'intruder', renewTime: microTime(new Date()) },
        });
        written = performance.now();
      } catch (err) {
        if (!isConflict(err) || attempt > 10) throw err;
      }
    }
    expect(await leader.result).toBe('lost');
    // At its next renewal (a retry period away), not at its renew deadline.
    expect(stoppedAt - written).toBeLessThan(TIMINGS.retryPeriodMs + 800);
    expect(leader.leaders).toEqual(['leader', 'intruder']);
    // Lost, not cancelled: the Lease stays the intruder's (no release, no second claim).
    await sleep(MAX_RETRY_GAP);
    expect(await lease(ns)).toMatchObject({ holderIdentity: 'intruder', leaseTransitions: 0 });
  });

  it('keeps campaigning through API errors (no RBAC on leases yet) and leads once allowed; run() never throws', async () => {
    const ns = await namespace('le-rbac');
    // A real identity without permissions on Leases: a ServiceAccount token.
    await new ResourceClient(client, SERVICE_ACCOUNTS).create({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'candidate', namespace: ns },
    });
    const review = await client.request<{ status: { token: string } }>({
      method: 'POST',
      path: `/api/v1/namespaces/${ns}/serviceaccounts/candidate/token`,
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    });
    const admin = Kubeconfig.load(inject('kubeconfig')).credentials('cluster1');
    const asCandidate = new ClusterClient({
      name: 'cluster1-as-candidate',
      server: admin.server,
      ...(admin.caData ? { caData: admin.caData } : {}),
      token: review.status.token,
    });
    cleanups.push(() => asCandidate.close());
    const logged: { level: number; msg: string; err?: { message?: string } }[] = [];
    const log = pino(
      { level: 'debug' },
      { write: (line: string) => void logged.push(JSON.parse(line) as (typeof logged)[number]) },
    );
    let settled: 'resolved' | 'rejected' | undefined;
    const c = candidate(asCandidate, ns, 'rbac-candidate', { log });
    c.result.then(
      () => (settled = 'resolved'),
      () => (settled = 'rejected'),
    );

    await until('two refused attempts', () => logged.filter((l) => /cannot/.test(l.msg)).length >= 2, 10_000);
    expect(c.elector.isLeader()).toBe(false);
    expect(settled).toBeUndefined();
    const refused = logged.find((l) => /cannot read the lease/.test(l.msg));
    expect(refused?.err?.message).toMatch(/forbidden/i);
    await expect(new ResourceClient(client, LEASES).get(LEASE, { namespace: ns })).rejects.toMatchObject({
      kind: 'NotFound',
    });

    await new ResourceClient(client, ROLES).create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'leases', namespace: ns },
      rules: [
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'create', 'update'] },
      ],
    });
    await new ResourceClient(client, ROLE_BINDINGS).create({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'leases', namespace: ns },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'leases' },
      subjects: [{ kind: 'ServiceAccount', name: 'candidate', namespace: ns }],
    });
    await until('the candidate to lead', () => c.elector.isLeader(), 15_000);
    expect(await lease(ns)).toMatchObject({ holderIdentity: 'rbac-candidate', leaseTransitions: 0 });
    expect(await c.stop()).toBe('cancelled');
    expect(settled).toBe('resolved');
  });

  it('never has two leaders of one lease at once, through hand-overs, kills and cut-offs', async () => {
    const ns = await namespace('le-churn');
    const child = childCandidate(ns, 'child');
    await until('the child to lead', child.isLeader, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${child.diagnostics()}`);
    });
    const running = new Map(['x', 'y', 'z'].map((id) => [id, candidate(client, ns, id)]));
    await sleep(1000);
    await child.kill();
    const nextLeader = async () => {
      await until(
        'a candidate to lead',
        () => [...running.values()].some((c) => c.elector.isLeader()),
        15_000,
      );
      return [...running.values()].find((c) => c.elector.isLeader())!;
    };
    let leader = await nextLeader();
    for (let round = 0; round < 5; round++) {
      expect(await leader.stop()).toBe('cancelled');
      running.delete(leader.identity);
      const next = await nextLeader();
      // Back as a fresh candidate only now, so that the next hand-over goes to someone else.
      running.set(leader.identity, candidate(client, ns, leader.identity));
      leader = next;
    }
    for (const c of running.values()) await c.stop();

    const mine = intervals.filter((i) => i.lease === ns);
    expect(mine.length).toBeGreaterThanOrEqual(6);
    expect(mine[0]!.identity).toBe('child');
    expect(new Set(mine.map((i) => i.identity)).size).toBe(4);
    // Across every scenario of this file: leadership intervals of one lease never overlap.
    for (const leaseName of new Set(intervals.map((i) => i.lease))) {
      const sorted = intervals.filter((i) => i.lease === leaseName).sort((p, q) => p.start - q.start);
      for (const [i, cur] of sorted.entries()) {
        expect(cur.end, `${cur.identity} on ${leaseName} still leads`).toBeDefined();
        const prev = sorted[i - 1];
        if (prev) {
          expect(
            cur.start,
            `${cur.identity} started leading ${leaseName} before ${prev.identity} stopped`,
          ).toBeGreaterThanOrEqual(prev.end!);
        }
      }
    }
  });
});
