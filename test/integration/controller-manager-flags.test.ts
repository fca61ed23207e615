/**
 * kubefed-controller-manager started the way scripts start upstream's binary: upstream's flag
 * spellings (`--flag=value`, Go's `-flag=value`), a KubeFedConfig file instead of the in-cluster
 * object (`--kubefed-config`), klog's `--v`, `--master` and `--healthz-addr`. Two replicas on
 * cluster1: exactly one leads; when it is SIGKILLed the other takes over within the lease time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePorts } from '../../src/cli/local/ports.js';
import { Kubeconfig } from '../../src/kube/credentials.js';
import { getObject, stopProcess, waitFor, type LeaseSpec } from '../support/control-plane.js';
import { installCrds, kubectl, REPO_ROOT, run, uniqueName } from '../support/local.js';

const MANAGER = path.join(REPO_ROOT, 'dist', 'cli', 'controller-manager.js');
const ns = uniqueName('kf-flags');
/** The file's leader election, in seconds: short, so that the takeover is quick. */
const LEASE = { duration: 4, renew: 3, retry: 1 };
const dir = mkdtempSync(path.join(tmpdir(), 'kubefed-flags-'));
const configFile = path.join(dir, 'kubefedconfig.yaml');

interface LogLine {
  level: string;
  msg: string;
  identity?: string;
}

/** One manager process and what it logged on stderr. */
class Replica {
  readonly child: ChildProcess;
  private stderr = '';

  constructor(
    readonly name: string,
    readonly healthzUrl: string,
    args: string[],
  ) {
    this.child = spawn(process.execPath, [MANAGER, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  /** The JSON log lines so far (a partial last line is left for later). */
  lines(): LogLine[] {
    return this.stderr
      .split('\n')
      .filter((l) => l.startsWith('{') && l.endsWith('}'))
      .map((l) => JSON.parse(l) as LogLine);
  }

  logged(msg: string): LogLine | undefined {
    return this.lines().find((l) => l.msg === msg);
  }

  tail(): string {
    return this.stderr.slice(-1500);
  }
}

/** Waits until `replica` logs `msg`; returns the line. */
const waitForLine = (replica: Replica, msg: string, timeoutMs = 30_000) =>
  waitFor(
    `${replica.name} to log "${msg}"`,
    () => {
      const line = replica.logged(msg);
      return Promise.resolve([line !== undefined, line!, replica.tail()] as [boolean, LogLine, string]);
    },
    timeoutMs,
  );

const leaseSpec = async () =>
  (await getObject<{ spec?: LeaseSpec }>('cluster1', ['-n', ns, 'lease', 'kubefed-controller-manager']))
    ?.spec ?? {};

const replicas: Replica[] = [];
let leader: Replica;
let standby: Replica;
let hostServer: string;

beforeAll(async () => {
  await installCrds();
  await kubectl('cluster1', ['create', 'namespace', ns]);
  writeFileSync(
    configFile,
    [
      'apiVersion: core.kubefed.io/v1beta1',
      'kind: KubeFedConfig',
      'metadata:',
      '  name: kubefed',
      `  namespace: ${ns}`,
      'spec:',
      '  scope: Namespaced',
      '  leaderElect:',
      `    leaseDuration: ${LEASE.duration}s`,
      `    renewDeadline: ${LEASE.renew}s`,
      `    retryPeriod: ${LEASE.retry}s`,
      '',
    ].join('\n'),
  );
  // What scripts pass to upstream's binary: the host API server given twice, as kubeconfig and master.
  hostServer = Kubeconfig.load(inject('kubeconfig')).credentials('cluster1').server;
  const ports = await freePorts(4);
  for (const [i, name] of ['replica-a', 'replica-b'].entries()) {
    const [metrics, healthz] = [ports[2 * i]!, ports[2 * i + 1]!];
    replicas.push(
      new Replica(name, `http://127.0.0.1:${healthz}/healthz`, [
        `--kubeconfig=${inject('kubeconfig')}`,
        `--kubefed-namespace=${ns}`,
        `--kubefed-config=${configFile}`,
        '--v=2',
        `--master=${hostServer}`,
        `--metrics-addr=127.0.0.1:${metrics}`,
        `--healthz-addr=127.0.0.1:${healthz}`,
      ]),
    );
  }
});

afterAll(async () => {
  for (const r of replicas) await stopProcess(r.child, 'SIGTERM');
  await kubectl('cluster1', ['delete', 'namespace', ns, '--wait=false']).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

describe('kubefed-controller-manager with upstream flags', () => {
  it('refuses an invalid --kubefed-config, naming the file and the field (Go -flag=value spellings)', async () => {
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'spec:\n  scope: Cluster\n  clusterHealthCheck:\n    period: 0s\n');
    const r = await run(
      process.execPath,
      [
        MANAGER,
        `-kubeconfig=${inject('kubeconfig')}`,
        `-kubefed-namespace=${ns}`,
        `-kubefed-config=${bad}`,
        '-v=2',
        // Nothing listens there; the file is refused before the host is contacted.
        '-master=https://127.0.0.1:9',
      ],
      { timeoutMs: 20_000 },
    );
    expect(r.code, r.stderr).toBe(1);
    // --master replaced the kubeconfig's server.
    expect(r.stderr).toContain('"host":"https://127.0.0.1:9"');
    expect(r.stderr).toContain(
      `KubeFedConfig file \\"${bad}\\" is invalid: spec.clusterHealthCheck.period: must be greater than 0`,
    );
  });

  it('reads the KubeFedConfig file in both replicas, and exactly one leads', async () => {
    for (const r of replicas) await waitForLine(r, `Using valid KubeFedConfig "${ns}/kubefed"`);
    await waitFor('one replica to be promoted', () => {
      const promoted = replicas.filter((r) => r.logged('promoted as leader'));
      const seen = replicas.map((r) => `${r.name}: ${r.tail()}`).join('\n');
      return Promise.resolve([promoted.length > 0, promoted, seen] as [boolean, Replica[], string]);
    });
    leader = replicas.find((r) => r.logged('promoted as leader'))!;
    standby = replicas.find((r) => r !== leader)!;
    // --v=2 is debug: the standby says why it waits.
    await waitForLine(standby, 'the lease is held and has not expired');
    expect(standby.logged('promoted as leader')).toBeUndefined();
    // As upstream, controllers start (and say so) only on the leader.
    expect(leader.logged('Starting cluster controller')).toBeDefined();
    expect(standby.logged('Starting cluster controller')).toBeUndefined();

    // The lease follows the file's leaderElect settings and names the leader.
    const lease = await leaseSpec();
    expect(lease.holderIdentity).toBe(leader.logged('promoted as leader')!.identity);
    expect(lease.leaseDurationSeconds).toBe(LEASE.duration);
    // The file is used instead of the in-cluster object: none is created.
    expect(await kubectl('cluster1', ['-n', ns, 'get', 'kubefedconfigs', '-o', 'name'])).toBe('');
  });

  it('serves upstream /healthz (200 "OK") on --healthz-addr of leader and standby', async () => {
    for (const r of replicas) {
      const res = await fetch(r.healthzUrl);
      expect(res.status, r.name).toBe(200);
      expect(await res.text(), r.name).toBe('OK');
    }
  });

  it('promotes the standby within the lease time when the leader is SIGKILLed', async () => {
    await stopProcess(leader.child, 'SIGKILL');
    const killedAt = Date.now();
    // The lease expires at most leaseDuration after the last renewal; the standby retries every
    // retryPeriod (jittered by up to 1.2x); allow one more retry and API latency on a busy machine.
    const bound = (LEASE.duration + 2 * LEASE.retry) * 1000 + 3000;
    await waitForLine(standby, 'promoted as leader', bound);
    expect(Date.now() - killedAt).toBeLessThan(bound);
    await waitForLine(standby, 'Starting cluster controller', 5000);
    expect((await leaseSpec()).holderIdentity).toBe(standby.logged('promoted as leader')!.identity);
    expect((await fetch(standby.healthzUrl)).status).toBe(200);
  });
});
