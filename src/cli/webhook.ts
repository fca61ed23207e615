#!/usr/bin/env node
/**
 * kubefed-webhook: the admission webhook server (validating KubeFedCluster, KubeFedConfig,
 * FederatedTypeConfig, ReplicaSchedulingPreference and Federated<Kind> objects; defaulting
 * KubeFedConfig; the sync finalizer on new Federated<Kind> objects). Every check is local; only the
 * sync finalizer reads the host cluster (the FederatedTypeConfigs of --kubefed-namespace), with
 * in-cluster credentials or --kubeconfig/--context. Without either, no finalizer is set here (the
 * sync controller adds it) and the server never contacts the host.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { VERSION } from '../version.js';
import type { TypeConfigView } from '../webhook/type-configs.js';

interface Flags {
  securePort: number;
  bindAddress: string;
  certDir: string;
  kubeconfig?: string;
  context?: string;
  kubefedNamespace?: string;
  logLevel: string;
}

const port = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`"${v}" is not a port (0-65535; 0 picks a free one)`);
  return n;
};

const program = new Command('kubefed-webhook')
  .description('KubeFed admission webhook server (AdmissionReview admission.k8s.io/v1 over HTTPS).')
  .version(VERSION, '--version')
  .addOption(new Option('--secure-port <port>', 'HTTPS port').argParser(port).default(8443))
  .option('--bind-address <ip>', 'address to listen on (0.0.0.0 in a pod)', '127.0.0.1')
  .option(
    '--cert-dir <dir>',
    'directory holding tls.crt and tls.key (reloaded when they change)',
    '/var/serving-cert',
  )
  .option(
    '--kubeconfig <path>',
    'kubeconfig of the host cluster, to read the FederatedTypeConfigs for the sync finalizer (default: in-cluster credentials, else none: the controller adds the finalizer)',
  )
  .option('--context <name>', 'kubeconfig context of the host cluster (default: current context)')
  .option(
    '--kubefed-namespace <ns>',
    "namespace of the control plane's FederatedTypeConfigs (default: $KUBEFED_NAMESPACE, the pod's namespace, else kube-federation-system)",
  )
  .addOption(
    new Option('--log-level <level>', 'log level')
      .choices(['trace', 'debug', 'info', 'warn', 'error'])
      .default(process.env.KUBEFED_LOG_LEVEL ?? 'info'),
  )
  .action(async (flags: Flags) => {
    process.env.KUBEFED_LOG_LEVEL = flags.logLevel;
    const { rootLogger } = await import('../kube/log.js');
    const { startWebhookServer } = await import('../webhook/server.js');
    const { ClusterClient } = await import('../kube/client.js');
    const { Kubeconfig, inClusterCredentials, inClusterNamespace } = await import('../kube/credentials.js');
    const { DEFAULT_KUBEFED_NAMESPACE } = await import('../api/core.js');
    const { watchTypeConfigs } = await import('../webhook/type-configs.js');
    const log = rootLogger().child({ component: 'kubefed-webhook' });
    let server;
    let typeConfigs: TypeConfigView | undefined;
    try {
      const creds = flags.kubeconfig
        ? Kubeconfig.load(flags.kubeconfig).credentials(flags.context)
        : inClusterCredentials('host');
      if (creds) {
        const namespace =
          flags.kubefedNamespace ??
          process.env.KUBEFED_NAMESPACE ??
          inClusterNamespace() ??
          DEFAULT_KUBEFED_NAMESPACE;
        const host = new ClusterClient(creds, { userAgent: 'kubefed-webhook' });
        typeConfigs = watchTypeConfigs(host, namespace, log);
      } else {
        log.info(
          'no host cluster (neither in-cluster credentials nor --kubeconfig): the sync controller adds its finalizer itself',
        );
      }
      server = await startWebhookServer({
        host: flags.bindAddress,
        port: flags.securePort,
        certDir: flags.certDir,
        log,
        ...(typeConfigs ? { propagatedTypes: typeConfigs } : {}),
      });
    } catch (err) {
      log.fatal({ err: (err as Error).message }, 'cannot start the webhook server');
      log.flush();
      process.stderr.write(`kubefed-webhook: ${(err as Error).message}\n`);
      process.exit(1);
    }
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      void Promise.all([server.close(), typeConfigs?.stop()]).then(() => process.exit(0));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

await program.parseAsync(process.argv);
