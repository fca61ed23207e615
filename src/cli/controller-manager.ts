#!/usr/bin/env node
/**
 * kubefed-controller-manager: the federation control plane process. Runs against the host cluster
 * given by --kubeconfig/--context/--master (or in-cluster credentials), in --kubefed-namespace.
 * Upstream's flags are accepted as upstream's scripts spell them (Go flag style, klog's --v).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseDuration } from '../api/kubefedconfig.js';
import type { ClusterCredentials } from '../kube/credentials.js';
import { VERSION } from '../version.js';
import {
  effectiveLogLevel,
  goStyleArgs,
  hostConnection,
  LOG_LEVELS,
  parseAddress,
  parseDashboardAddress,
  parseMaster,
  parseVerbosity,
  withMaster,
  type HostConnection,
  type LogLevel,
} from './controller-manager-flags.js';
import type { ControlPlaneScope } from '../federation/placement.js';

interface Flags {
  kubeconfig?: string;
  context?: string;
  master?: string;
  kubefedNamespace?: string;
  kubefedConfig?: string;
  leaderElect: boolean;
  leaseName: string;
  metricsAddr: { host: string; port: number };
  healthzAddr?: { host: string; port: number };
  dashboardAddr?: { host: string; port: number };
  logLevel: LogLevel;
  v?: number;
  restConfigQps: number;
  restConfigBurst: number;
  memberQps: number;
  memberBurst: number;
  scope: ControlPlaneScope;
  identity?: string;
  unschedulableThreshold: number;
  propagationPolicies: boolean;
}

const positive = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${flag} must be a positive number`);
  return n;
};

const program = new Command('kubefed-controller-manager')
  .description(
    'KubeFed control plane: runs the federation controllers against a host cluster.\n' +
      "Upstream's flags work as its scripts spell them: --flag=value, --flag value, -flag=value, klog's --v=2.",
  )
  .version(VERSION, '--version')
  .option(
    '--kubeconfig <path>',
    'kubeconfig of the host cluster (default: in-cluster credentials, else $KUBECONFIG or ~/.kube/config)',
  )
  .option('--context <name>', 'kubeconfig context of the host cluster (default: current context)')
  .addOption(
    new Option(
      '--master <url>',
      "API server URL of the host cluster; replaces the kubeconfig's server (as upstream). Alone (no --kubeconfig, --context or $KUBECONFIG): that URL, without credentials",
    ).argParser(parseMaster),
  )
  .option(
    '--kubefed-namespace <ns>',
    'namespace of the control plane (env KUBEFED_NAMESPACE; in a pod: its namespace; else kube-federation-system)',
  )
  .option(
    '--kubefed-config <file>',
    'KubeFedConfig YAML file used instead of the KubeFedConfig "kubefed" of the namespace (upstream: test only); validated alike, not written to the cluster, read once',
  )
  .option('--no-leader-elect', 'run without leader election (one replica only)')
  .option('--lease-name <name>', 'name of the leader-election Lease', 'kubefed-controller-manager')
  .addOption(
    new Option(
      '--metrics-addr <addr>',
      'address of /metrics, /healthz and /readyz (host:port, :port for all interfaces; upstream default :9090)',
    )
      .argParser(parseAddress)
      .default(parseAddress('127.0.0.1:9090'), '127.0.0.1:9090'),
  )
  .addOption(
    new Option(
      '--healthz-addr <addr>',
      'also serve upstream\'s /healthz (200 "OK") on this address (upstream default :8080; unset: only on --metrics-addr)',
    ).argParser(parseAddress),
  )
  .addOption(
    new Option(
      '--dashboard-addr <addr>',
      'serve the read-only web dashboard on this address (off by default): a port or :port binds 127.0.0.1; any other host:port (e.g. 0.0.0.0:8090) requires a bearer token of a user allowed to list federatedtypeconfigs in the KubeFed namespace (docs/dashboard.md)',
    ).argParser(parseDashboardAddress),
  )
  .addOption(
    new Option('--log-level <level>', 'log level (wins over --v)')
      .choices(LOG_LEVELS)
      .env('KUBEFED_LOG_LEVEL')
      .default('info'),
  )
  .addOption(
    new Option('--v <n>', "klog verbosity, as upstream's: 0-1 info, 2-3 debug, 4 and more trace").argParser(
      parseVerbosity,
    ),
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
  .option(
    '--propagation-policies',
    'run the propagation policy controller: PropagationPolicy and ClusterPropagationPolicy propagate ordinary objects (docs/policies.md); needs a cluster-scoped control plane and read and patch access to the host objects of the types the policies name',
    false,
  )
  .action(async (flags: Flags) => {
    // The log level must be set before the first logger is created.
    process.env.KUBEFED_LOG_LEVEL = effectiveLogLevel({
      logLevel: flags.logLevel,
      source: program.getOptionValueSource('logLevel'),
      v: flags.v,
    });
    const { rootLogger } = await import('../kube/log.js');
    const { ClusterClient } = await import('../kube/client.js');
    const { Kubeconfig, inClusterCredentials, inClusterNamespace } = await import('../kube/credentials.js');
    const { DEFAULT_KUBEFED_NAMESPACE } = await import('../api/core.js');
    const { runControlPlane, COMPONENT } = await import('../controllers/control-plane.js');
    const { processMetrics, requestObserver } = await import('../kube/metrics.js');
    const { LeadershipLostError } = await import('../kube/manager.js');
    const log = rootLogger().child({ component: COMPONENT });

    const hostCredentials = (c: HostConnection): ClusterCredentials => {
      switch (c.kind) {
        case 'default':
          return inClusterCredentials('host') ?? Kubeconfig.load().credentials();
        case 'kubeconfig': {
          const creds = Kubeconfig.load(c.path).credentials(c.context);
          return c.master ? withMaster(creds, c.master) : creds;
        }
        case 'master':
          return withMaster({ name: 'host' }, c.master);
      }
    };
    const creds = hostCredentials(hostConnection(flags, process.env.KUBECONFIG));
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
    log.info(
      {
        version: VERSION,
        host: creds.server,
        namespace,
        ...(flags.kubefedConfig ? { kubefedConfig: flags.kubefedConfig } : {}),
      },
      'starting',
    );
    try {
      await runControlPlane(
        {
          host,
          namespace,
          defaultScope: flags.scope,
          leaderElect: flags.leaderElect,
          leaseName: flags.leaseName,
          ...(flags.identity ? { identity: flags.identity } : {}),
          http: flags.metricsAddr,
          ...(flags.healthzAddr ? { healthz: flags.healthzAddr } : {}),
          ...(flags.dashboardAddr ? { dashboard: flags.dashboardAddr } : {}),
          ...(flags.kubefedConfig ? { kubeFedConfigFile: flags.kubefedConfig } : {}),
          memberQps: flags.memberQps,
          memberBurst: flags.memberBurst,
          unschedulableThresholdMs: flags.unschedulableThreshold,
          propagationPolicies: flags.propagationPolicies,
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
  const longOptions = new Map<string, boolean>([
    ['--help', false],
    ...program.options.flatMap((o) => (o.long ? [[o.long, o.required || o.optional] as const] : [])),
  ]);
  await program.parseAsync(goStyleArgs(process.argv.slice(2), longOptions), { from: 'user' });
} catch (err) {
  process.stderr.write(`kubefed-controller-manager: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
