#!/usr/bin/env node
/**
 * kubefed-controller-manager: the federation control plane process. Runs against the host cluster
 * given by --kubeconfig/--context (or in-cluster credentials), in --kubefed-namespace.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseDuration } from '../api/kubefedconfig.js';
import { VERSION } from '../version.js';

interface Flags {
  kubeconfig?: string;
  context?: string;
  kubefedNamespace?: string;
  leaderElect: boolean;
  leaseName: string;
  metricsAddr: string;
  logLevel: string;
  restConfigQps: number;
  restConfigBurst: number;
  memberQps: number;
  memberBurst: number;
  scope: 'Cluster' | 'Namespaced';
  identity?: string;
  unschedulableThreshold: number;
}

const positive = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a positive number`);
  return n;
};

/** `host:port`, `:port` (all interfaces) or `port`. */
export function parseAddress(v: string): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d+)$/.exec(v);
  const port = Number(m?.[2]);
  if (!m || port > 65535)
    throw new InvalidArgumentError(`"${v}" is not host:port (e.g. 127.0.0.1:9090, :9090)`);
  return {
    host: m[1] === undefined ? '127.0.0.1' : m[1] === '' ? '0.0.0.0' : m[1].replace(/^\[|\]$/g, ''),
    port,
  };
}

const program = new Command('kubefed-controller-manager')
  .description('KubeFed control plane: runs the federation controllers against a host cluster.')
  .version(VERSION, '--version')
  .option(
    '--kubeconfig <path>',
    'kubeconfig of the host cluster (default: in-cluster credentials, else $KUBECONFIG or ~/.kube/config)',
  )
  .option('--context <name>', 'kubeconfig context of the host cluster (default: current context)')
  .option(
    '--kubefed-namespace <ns>',
    'namespace of the control plane (env KUBEFED_NAMESPACE; in a pod: its namespace; else kube-federation-system)',
  )
  .option('--no-leader-elect', 'run without leader election (one replica only)')
  .option('--lease-name <name>', 'name of the leader-election Lease', 'kubefed-controller-manager')
  .option(
    '--metrics-addr <addr>',
    'address of /metrics, /healthz and /readyz (host:port, :port for all interfaces)',
    '127.0.0.1:9090',
  )
  .addOption(
    new Option('--log-level <level>', 'log level')
      .choices(['trace', 'debug', 'info', 'warn', 'error'])
      .default(process.env.KUBEFED_LOG_LEVEL ?? 'info'),
  )
  .addOption(
    new Option(
      '--rest-config-qps <n>',
      'host API request rate (Events and leader election each have a limiter of their own with the same settings)',
    )
      .argParser(positive('--rest-config-qps'))
      .default(100),
  )
  .addOption(
    new Option('--rest-config-burst <n>', 'host API request burst')
      .argParser(positive('--rest-config-burst'))
      .default(200),
  )
  .addOption(
    new Option('--member-qps <n>', 'per-member API request rate')
      .argParser(positive('--member-qps'))
      .default(20),
  )
  .addOption(
    new Option('--member-burst <n>', 'per-member API request burst')
      .argParser(positive('--member-burst'))
      .default(30),
  )
  .addOption(
    new Option(
      '--scope <scope>',
      'scope of a KubeFedConfig created at first start (env DEFAULT_KUBEFED_SCOPE)',
    )
      .choices(['Cluster', 'Namespaced'])
      .default(process.env.DEFAULT_KUBEFED_SCOPE ?? 'Cluster'),
  )
  .option('--identity <id>', 'leader-election identity (default: <hostname>_<uuid>)')
  .addOption(
    new Option(
      '--unschedulable-threshold <duration>',
      "pods unschedulable this long count against a member cluster's capacity in replica scheduling (RSP rebalance)",
    )
      .argParser((v: string) => {
        try {
          return parseDuration(v);
        } catch (err) {
          throw new InvalidArgumentError((err as Error).message);
        }
      })
      .default(60_000, '60s'),
  )
  .action(async (flags: Flags) => {
    // The log level must be set before the first logger is created.
    process.env.KUBEFED_LOG_LEVEL = flags.logLevel;
    const { rootLogger } = await import('../kube/log.js');
    const { ClusterClient } = await import('../kube/client.js');
    const { Kubeconfig, inClusterCredentials, inClusterNamespace } = await import('../kube/credentials.js');
    const { DEFAULT_KUBEFED_NAMESPACE } = await import('../api/core.js');
    const { runControlPlane, COMPONENT } = await import('../controllers/control-plane.js');
    const { processMetrics, requestObserver } = await import('../kube/metrics.js');
    const { LeadershipLostError } = await import('../kube/manager.js');
    const log = rootLogger().child({ component: COMPONENT });

    const inCluster =
      !flags.kubeconfig && !flags.context && !process.env.KUBECONFIG
        ? inClusterCredentials('host')
        : undefined;
    const creds = inCluster ?? Kubeconfig.load(flags.kubeconfig).credentials(flags.context);
    const host = new ClusterClient(creds, {
      qps: flags.restConfigQps,
      burst: flags.restConfigBurst,
      userAgent: COMPONENT,
      // Host requests are counted in rest_client_* too (labelled with the host context's name).
      onRequest: requestObserver(processMetrics()),
    });
    const namespace =
      flags.kubefedNamespace ??
      process.env.KUBEFED_NAMESPACE ??
      inClusterNamespace() ??
      DEFAULT_KUBEFED_NAMESPACE;
    const abort = new AbortController();
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => abort.abort());
    log.info({ version: VERSION, host: creds.server, namespace }, 'starting');
    try {
      await runControlPlane(
        {
          host,
          namespace,
          defaultScope: flags.scope,
          leaderElect: flags.leaderElect,
          leaseName: flags.leaseName,
          ...(flags.identity ? { identity: flags.identity } : {}),
          http: parseAddress(flags.metricsAddr),
          memberQps: flags.memberQps,
          memberBurst: flags.memberBurst,
          unschedulableThresholdMs: flags.unschedulableThreshold,
          log,
        },
        abort.signal,
      );
      log.info('stopped');
    } catch (err) {
      if (err instanceof LeadershipLostError) log.error(err.message);
      else log.error({ err: (err as Error).message }, 'control plane failed');
      process.exitCode = 1;
    } finally {
      await host.close();
    }
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`kubefed-controller-manager: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
