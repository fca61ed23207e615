/**
 * What every kubefedctl command that talks to clusters shares: the host flags, loading the
 * kubeconfig, resolving contexts, connecting with a reachability check, and user-facing errors.
 */
import { Option, type Command } from 'commander';
import { DEFAULT_KUBEFED_NAMESPACE } from '../../api/core.js';
import { ClusterClient } from '../../kube/client.js';
import { Kubeconfig, KubeconfigError } from '../../kube/credentials.js';
import { isNotFound, KubeError } from '../../kube/errors.js';
import { VERSION } from '../../version.js';

/** An error the user can fix: printed as one line, without a stack trace, exit code 1 (or `exitCode`). */
export class CliError extends Error {
  override name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Where a command writes: stdout for results, stderr for notes. Injected so tests can capture. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: Output = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

export interface HostFlags {
  kubeconfig?: string;
  hostClusterContext?: string;
  kubefedNamespace: string;
}

export function addHostFlags(cmd: Command): Command {
  return cmd
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
    .option(
      '--host-cluster-context <context>',
      'kubeconfig context of the cluster hosting the KubeFed control plane (default: the current context)',
    )
    .addOption(
      new Option('--kubefed-namespace <namespace>', 'namespace of the KubeFed control plane').default(
        DEFAULT_KUBEFED_NAMESPACE,
      ),
    );
}

/**
 * A boolean flag that also accepts `--name=true|false` as Go's pflag does (see
 * {@link normalizeBooleanFlags}); `--no-name` is its negation.
 */
export function addBooleanFlag(cmd: Command, name: string, description: string, defaultValue: boolean) {
  cmd.addOption(new Option(`--${name}`, description).default(defaultValue));
  cmd.addOption(new Option(`--no-${name}`, `same as --${name}=false`).hideHelp());
  return cmd;
}

/**
 * Rewrites `--flag=true` to `--flag` and `--flag=false` to `--no-flag` for the boolean flags of the
 * command tree, so upstream invocations such as `--error-on-existing=false` work with commander.
 */
export function normalizeBooleanFlags(argv: readonly string[], program: Command): string[] {
  const booleans = new Set<string>();
  const walk = (cmd: Command) => {
    for (const opt of cmd.options) {
      if (!opt.required && !opt.optional && opt.long && !opt.negate) booleans.add(opt.long.slice(2));
    }
    cmd.commands.forEach(walk);
  };
  walk(program);
  return argv.map((arg) => {
    const m = /^--([a-z0-9-]+)=(.*)$/i.exec(arg);
    if (!m || !booleans.has(m[1]!)) return arg;
    const [, name, value] = m;
    if (/^(true|1|t)$/i.test(value!)) return `--${name}`;
    if (/^(false|0|f)$/i.test(value!)) return `--no-${name}`;
    throw new CliError(`--${name} takes true or false, not "${value}"`);
  });
}

/** `-o` values a command accepts; anything else is an error naming the flag. */
export function parseOutputFormat<const T extends string>(value: string | undefined, allowed: readonly T[]) {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new CliError(`-o/--output must be one of ${allowed.join(', ')}, not "${value}"`);
  }
  return value as T;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isDnsLabel(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

export function isDnsSubdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

export function requireNamespaceName(namespace: string): void {
  if (!isDnsLabel(namespace)) {
    throw new CliError(
      `--kubefed-namespace "${namespace}" is not a valid namespace name (lowercase letters, digits and '-', at most 63 characters)`,
    );
  }
}

/** The name that stands for the host in member object names: `--host-cluster-name`, else the host context. */
export function hostClusterNameOf(flag: string | undefined, hostContext: string): string {
  if (flag !== undefined) {
    if (/[:/]/.test(flag)) throw new CliError(`--host-cluster-name "${flag}" may not contain ":" or "/"`);
    return flag;
  }
  if (/[:/]/.test(hostContext)) {
    throw new CliError(
      `the host context "${hostContext}" contains ":" or "/", which cannot be part of object names; pass --host-cluster-name`,
    );
  }
  return hostContext;
}

export function loadKubeconfig(path: string | undefined): Kubeconfig {
  try {
    return Kubeconfig.load(path);
  } catch (err) {
    if (err instanceof KubeconfigError) throw new CliError(err.message);
    throw err;
  }
}

/** The context to use: `name` (checked to exist, naming `flag` if not) or the current context. */
export function resolveContext(kubeconfig: Kubeconfig, name: string | undefined, flag: string): string {
  const context = name ?? kubeconfig.currentContext;
  if (!context) {
    throw new CliError(`no current context in ${kubeconfig.sources.join(', ')}; pass ${flag}`);
  }
  if (!kubeconfig.contextNames.includes(context)) {
    throw new CliError(
      `context "${context}" (${flag}) not found in ${kubeconfig.sources.join(', ')}; available contexts: ${kubeconfig.contextNames.join(', ') || 'none'}`,
    );
  }
  return context;
}

/** The message of an error without the client's `cluster: METHOD /path:` prefix. */
export function causeOf(err: unknown): string {
  if (err instanceof KubeError) {
    const prefix = `${err.context.cluster}: ${err.context.method} ${err.context.path}: `;
    return err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** A client for a context of the kubeconfig (not yet checked for reachability). */
export function clientFor(kubeconfig: Kubeconfig, context: string): ClusterClient {
  try {
    return new ClusterClient(kubeconfig.credentials(context), {
      timeoutMs: 20_000,
      maxRetries: 2,
      userAgent: `kubefedctl/${VERSION}`,
    });
  } catch (err) {
    throw new CliError(`context "${context}": ${causeOf(err)}`);
  }
}

/** Fails with the cluster and the cause unless the API server answers /version. */
export async function checkReachable(client: ClusterClient, role: string, context: string): Promise<void> {
  try {
    await client.request({ method: 'GET', path: '/version', timeoutMs: 10_000 });
  } catch (err) {
    throw new CliError(
      `cannot reach ${role} (context "${context}", ${client.server.origin}): ${causeOf(err)}`,
    );
  }
}

/** A reachable client for `context`; closed again if the check fails. */
export async function connect(kubeconfig: Kubeconfig, context: string, role: string): Promise<ClusterClient> {
  const client = clientFor(kubeconfig, context);
  try {
    await checkReachable(client, role, context);
    return client;
  } catch (err) {
    await client.close();
    throw err;
  }
}

/** Fails with an install hint unless the host serves KubeFedClusters (the KubeFed CRDs are installed). */
export async function requireKubeFedApi(host: ClusterClient, hostName: string): Promise<void> {
  let served = false;
  try {
    const list = await host.request<{ resources?: { name: string }[] }>({
      method: 'GET',
      path: '/apis/core.kubefed.io/v1beta1',
    });
    served = (list.resources ?? []).some((r) => r.name === 'kubefedclusters');
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (!served) {
    throw new CliError(
      `the KubeFed CRDs are not installed in host cluster "${hostName}" (no kubefedclusters.core.kubefed.io); install the control plane first: helm install kubefed charts/kubefed (or kubectl apply --server-side -f charts/kubefed/crds)`,
    );
  }
}

/** Closes every client, ignoring failures: used in `finally`. */
export async function closeAll(...clients: (ClusterClient | undefined)[]): Promise<void> {
  await Promise.all(clients.map((c) => (c ? c.close().catch(() => undefined) : Promise.resolve())));
}
