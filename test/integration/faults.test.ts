/**
 * Faults, each ending in exact convergence (issue #13, part 1): the real kubefed-controller-manager
 * over the shared local clusters propagates N federated Roles (N=100; 500 with
 * KUBEFED_FAULTS_FULL=1) to cluster2 and cluster3 while
 * - cluster3's API server is stopped midway and started again later;
 * - the manager is SIGKILLed at random moments K times (5; 20 full) and restarted each time;
 * - the leader of two replicas is SIGKILLed: the standby takes over within the lease;
 * - cluster3's API server is frozen (SIGSTOP) past the health threshold, then resumed.
 * Every scenario changes, moves and deletes objects during the fault and ends with every member
 * holding exactly the desired copies and every federated object Propagation=True at its generation.
 *
 * Not covered here: 410 Gone on the control plane's watches. Forcing it needs an etcd compaction,
 * which would compact the etcd every shared cluster uses; the kit's relist on 410 (the informers the
 * control plane runs on) is covered on a private topology in kube-watch-faults.test.ts.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { KubeFedCluster } from '../../src/api/core.js';
import { readState } from '../../src/cli/local/state.js';
import { JITTER_FACTOR } from '../../src/kube/leaderelection.js';
import { sleep } from '../../src/poll.js';
import { getObject, TestControlPlane, waitFor } from '../support/control-plane.js';
import { FederatedSet, ROLES, seededRandom, seqNames as names } from '../support/convergence.js';
import { kubefedLocal, uniqueName } from '../support/local.js';

const FULL = process.env.KUBEFED_FAULTS_FULL === '1';
const N = FULL ? 500 : 100;
const KILLS = FULL ? 20 : 5;
const SCENARIO_TIMEOUT = FULL ? 900_000 : 300_000;
/** The KubeFedConfig's leaderElect timings of TestControlPlane. */
const LEASE_MS = 4000;
const RETRY_MS = 1000;

// Roles: a type no other test federates (see test/support/convergence.ts for why that matters).
const cp = new TestControlPlane({ prefix: 'kf-faults', types: [ROLES.target] });
const BOTH = ['cluster2', 'cluster3'];

async function clusterConditions(name: string) {
  const c = await getObject<KubeFedCluster>('cluster1', ['-n', cp.kfns, 'kubefedcluster', name]);
  return c?.status?.conditions ?? [];
}

async function clusterReady(name: string): Promise<string | undefined> {
  return (await clusterConditions(name)).find((x) => x.type === 'Ready')?.status;
}

beforeAll(() => cp.setup());
afterAll(() => cp.teardown(), 300_000);

/** Logs how long each phase of a scenario took (the run's output is the issue note's evidence). */
function phases(scenario: string) {
  let last = Date.now();
  return (what: string) => {
    const now = Date.now();
    console.info(`${scenario}: ${what} (${now - last} ms)`);
    last = now;
  };
}

describe('faults', () => {
  it(
    `converges exactly after a member API server stops midway through propagating ${N} objects and starts again`,
    async () => {
      const phase = phases('member stop');
      const set = new FederatedSet(cp, await cp.federatedNamespace(BOTH, 'flt-stop'));
      const applying = set.add(names('obj', N), BOTH);
      const before = await waitFor('the first copies in cluster3', async () => {
        const n = await set.managedCount('cluster3');
        return [n > 0, n, `${n} copies`];
      });
      const dir = inject('localDir');
      const stopped = await kubefedLocal(['stop', 'cluster3/kube-apiserver', '--dir', dir]);
      expect(stopped.code, stopped.stderr).toBe(0);
      phase(`cluster3 stopped with ${before}/${N} copies`);
      try {
        // Midway: cluster3 had some of the copies, not all.
        expect(before).toBeLessThan(N);
        await applying;
        await waitFor('cluster3 NotReady', async () => {
          const r = await clusterReady('cluster3');
          return [r !== 'True', r, `Ready=${r}`];
        });
        phase('cluster3 NotReady');
        // The healthy member converges meanwhile; the stopped one is reported, not waited for.
        await waitFor(
          `all ${N} copies in cluster2`,
          async () => {
            const n = await set.managedCount('cluster2');
            return [n === N, n, `${n} copies`];
          },
          120_000,
        );
        await cp.waitForStatus(
          set.federatedResource,
          set.ns,
          'obj-000',
          ['cluster2:', 'cluster3:ClusterNotReady'],
          'False',
        );
        phase('cluster2 complete, cluster3 ClusterNotReady in status');
        // Changes cluster3 misses while it is down: updates, moves away from it, deletions, additions.
        const tenth = N / 10;
        await set.update(names('obj', tenth), '2');
        await set.move(names('obj', tenth, tenth), ['cluster2']);
        await set.delete(names('obj', tenth, N - tenth));
        await set.add(names('late', tenth), BOTH);
        phase('changes applied while cluster3 is down');
      } finally {
        const started = await kubefedLocal(['start', 'cluster3/kube-apiserver', '--dir', dir], {
          timeoutMs: 180_000,
        });
        expect(started.code, started.stderr).toBe(0);
        phase('cluster3 started');
      }
      await set.waitForExactConvergence(240_000);
      phase(`exact convergence of ${set.desired.size} objects`);
    },
    SCENARIO_TIMEOUT,
  );

  it(
    `converges exactly after the manager is SIGKILLed at ${KILLS} random moments of a ${N}-object run`,
    async () => {
      const phase = phases('SIGKILL');
      const set = new FederatedSet(cp, await cp.federatedNamespace(BOTH, 'flt-kill'));
      const seed = Number(process.env.KUBEFED_FAULTS_SEED ?? Date.now());
      console.info(`SIGKILL schedule seed ${seed} (replay with KUBEFED_FAULTS_SEED=${seed})`);
      const random = seededRandom(seed);
      const fifth = N / 5;
      // The run: create everything, then update, move, delete and add, with pauses between steps.
      const work = (async () => {
        await set.add(names('obj', N), BOTH);
        await sleep(1000 + random() * 3000);
        await set.update(names('obj', fifth), '2');
        await sleep(1000 + random() * 3000);
        await set.move(names('obj', fifth, fifth), ['cluster3']);
        await sleep(1000 + random() * 3000);
        await set.delete(names('obj', fifth, N - fifth));
        await sleep(1000 + random() * 3000);
        await set.add(names('late', fifth), ['cluster2']);
      })();
      const pids = new Set<number>();
      for (let k = 0; k < KILLS; k++) {
        // A restarted manager waits up to a lease for its predecessor's lease: kill within ~2 leases,
        // so kills land while it waits, syncs its caches, or propagates.
        await sleep(500 + random() * 2 * LEASE_MS);
        pids.add(cp.managerPid!);
        await cp.killManager('SIGKILL');
        cp.restartManager();
      }
      phase(`${KILLS} kills and restarts`);
      await work;
      expect(pids.size).toBe(KILLS);
      await set.waitForExactConvergence(240_000);
      phase(`exact convergence of ${set.desired.size} objects after the last restart`);
    },
    SCENARIO_TIMEOUT,
  );

  it('hands over to the standby replica within the lease when the leader is SIGKILLed, and converges', async () => {
    const phase = phases('leader kill');
    const set = new FederatedSet(cp, await cp.federatedNamespace(BOTH, 'flt-lead'));
    await set.add(names('obj', 30), BOTH);
    await set.waitForExactConvergence();
    phase('30 objects converged');

    const standbyId = uniqueName('standby');
    const standby = await cp.startReplica(standbyId);
    await waitFor('the standby replica serving /readyz (standing by)', async () => {
      const r = await fetch(standby.metricsUrl.replace('/metrics', '/readyz')).catch(() => undefined);
      return [r?.status === 200, r?.status, `status ${r?.status ?? 'no answer'}`];
    });
    const before = await cp.leaseHolder();
    expect(before.holderIdentity).toBeDefined();
    // The first manager leads since setup (or its last restart); the standby only waits.
    expect(before.holderIdentity).not.toBe(standbyId);

    await cp.killManager('SIGKILL');
    const killedAt = Date.now();
    const lastRenew = Date.parse((await cp.leaseHolder()).renewTime ?? '');
    // Changes made while nobody leads.
    await set.update(names('obj', 10), '2');
    await set.delete(names('obj', 5, 25));
    const after = await waitFor(
      'the standby to take the lease',
      async () => {
        const l = await cp.leaseHolder();
        return [l.holderIdentity === standbyId, { ...l, at: Date.now() }, JSON.stringify(l)];
      },
      LEASE_MS * 5,
    );
    const sinceKill = after.at - killedAt;
    const acquiredAfterRenew = Date.parse(after.acquireTime ?? '') - lastRenew;
    phase(
      `standby acquired the lease ${acquiredAfterRenew} ms after the leader's last renewal (seen ${sinceKill} ms after the kill)`,
    );
    // The standby may take the lease only once it expired: leaseDuration after the last change it
    // observed (it observes one jittered retry period at most after the renewal), and takes it at
    // its next retry after that (+1 s for request latency on a loaded machine). Times from the Lease
    // itself (all processes on this machine).
    const maxRetry = RETRY_MS * (1 + JITTER_FACTOR);
    expect(acquiredAfterRenew).toBeGreaterThanOrEqual(LEASE_MS);
    expect(acquiredAfterRenew).toBeLessThanOrEqual(LEASE_MS + 2 * maxRetry + 1000);
    // What users see: the hand-over completes within the lease plus two retries of the kill (+ polling).
    expect(sinceKill).toBeLessThanOrEqual(LEASE_MS + 2 * maxRetry + 2000);
    expect(after.leaseTransitions).toBeGreaterThan(before.leaseTransitions ?? 0);
    expect(cp.log).toContain(`"identity":"${standbyId}"`);

    await set.add(names('late', 5), ['cluster3']);
    await set.waitForExactConvergence();
    phase('exact convergence under the new leader');
    expect(cp.replica(standbyId)?.exitCode).toBeNull();
    // A manager of our own as the first process again (standing by now), as later scenarios expect.
    cp.restartManager();
  });

  it('reports ClusterNotReady for a member frozen (SIGSTOP) past the health threshold, and converges once it resumes', async () => {
    const phase = phases('freeze');
    const set = new FederatedSet(cp, await cp.federatedNamespace(BOTH, 'flt-freeze'));
    await set.add(names('obj', 40), BOTH);
    await set.waitForExactConvergence();
    phase('40 objects converged');

    const state = readState(inject('localDir'));
    const pid = state?.components.find((c) => c.id === 'cluster3/kube-apiserver')?.pid;
    expect(pid, 'cluster3/kube-apiserver in the kubefed-local state').toBeDefined();
    expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain('kube-apiserver');
    // Never leave a shared API server frozen, even if this process is torn down mid-test.
    const resume = () => {
      try {
        process.kill(pid!, 'SIGCONT');
      } catch {
        /* gone */
      }
    };
    process.once('exit', resume);
    process.kill(pid!, 'SIGSTOP');
    try {
      // A probe that gets no answer within its timeout means unreachable, as upstream: Offline=True
      // alone, not "reachable but unhealthy" (the timeout's own error must not pass for an HTTP
      // status).
      await waitFor('cluster3 Offline while frozen', async () => {
        const conditions = await clusterConditions('cluster3');
        const offline = conditions.find((x) => x.type === 'Offline');
        return [offline?.status === 'True', conditions, JSON.stringify(conditions)];
      });
      phase('frozen cluster3 Offline');
      const conditions = await clusterConditions('cluster3');
      expect(conditions.map((x) => [x.type, x.status, x.reason])).toEqual([
        ['Offline', 'True', 'ClusterNotReachable'],
      ]);
      expect(conditions[0]?.message).toMatch(/^cluster is not reachable: /);
      await set.update(names('obj', 10), '2');
      await set.move(names('obj', 5, 10), ['cluster3']);
      await set.delete(names('obj', 5, 35));
      await set.add(names('late', 5), BOTH);
      await cp.waitForStatus(
        set.federatedResource,
        set.ns,
        'obj-000',
        ['cluster2:', 'cluster3:ClusterNotReady'],
        'False',
      );
      await waitFor('cluster2 updated while cluster3 is frozen', async () => {
        const copy = await getObject('cluster2', ['-n', set.ns, 'role', 'obj-000']);
        const data = copy && ROLES.dataOf(copy);
        return [data?.v === '2', data, JSON.stringify(data)];
      });
      phase('changes applied; cluster2 updated, cluster3 ClusterNotReady in status');
    } finally {
      resume();
      process.removeListener('exit', resume);
    }
    await waitFor('cluster3 Ready again', async () => {
      const r = await clusterReady('cluster3');
      return [r === 'True', r, `Ready=${r}`];
    });
    phase('cluster3 resumed and Ready');
    await set.waitForExactConvergence();
    phase(`exact convergence of ${set.desired.size} objects`);
  });
});
