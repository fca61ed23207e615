#!/usr/bin/env node
/**
 * kubefed-webhook: the admission webhook server (validating KubeFedCluster, KubeFedConfig,
 * FederatedTypeConfig, ReplicaSchedulingPreference and Federated<Kind> objects; defaulting
 * KubeFedConfig). All checks are pure: the host cluster is not contacted, so --kubeconfig and
 * --context are accepted for compatibility with the chart and upstream but not needed.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { VERSION } from '../version.js';

interface Flags {
  securePort: number;
  bindAddress: string;
  certDir: string;
  kubeconfig?: string;
  context?: string;
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
  .option('--kubeconfig <path>', 'kubeconfig of the host cluster (unused: every check is local)')
  .option('--context <name>', 'kubeconfig context of the host cluster (unused: every check is local)')
  .addOption(
    new Option('--log-level <level>', 'log level')
      .choices(['trace', 'debug', 'info', 'warn', 'error'])
      .default(process.env.KUBEFED_LOG_LEVEL ?? 'info'),
  )
  .action(async (flags: Flags) => {
    process.env.KUBEFED_LOG_LEVEL = flags.logLevel;
    const { rootLogger } = await import('../kube/log.js');
    const { startWebhookServer } = await import('../webhook/server.js');
    const log = rootLogger().child({ component: 'kubefed-webhook' });
    let server;
    try {
      server = await startWebhookServer({
        host: flags.bindAddress,
        port: flags.securePort,
        certDir: flags.certDir,
        log,
      });
    } catch (err) {
      log.fatal({ err: (err as Error).message }, 'cannot start the webhook server');
      log.flush();
      process.stderr.write(`kubefed-webhook: ${(err as Error).message}\n`);
      process.exit(1);
    }
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      void server.close().then(() => process.exit(0));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

await program.parseAsync(process.argv);
