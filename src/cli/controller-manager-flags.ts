/**
 * The pure half of kubefed-controller-manager's command line: upstream's flag spellings (Go flag
 * style, klog's --v, client-go's --master) mapped onto our settings. No I/O here;
 * src/cli/controller-manager.ts reads the files and starts the control plane.
 */
import { InvalidArgumentError } from 'commander';
import type { ClusterCredentials } from '../kube/credentials.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `host:port`, `:port` (all interfaces) or `port` (loopback). */
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

/**
 * `--dashboard-addr`: `host:port`, or `port` / `:port` on loopback (127.0.0.1). Unlike
 * `--metrics-addr`, `:port` does not mean every interface: the dashboard shows every federated
 * object, so exposing it takes an explicit address (`0.0.0.0:8090`), and then a bearer token.
 */
export function parseDashboardAddress(v: string): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d+)$/.exec(v.trim());
  const port = Number(m?.[2]);
  if (!m || port > 65535)
    throw new InvalidArgumentError(
      `"${v}" is not a dashboard address: use a port (8090, :8090: loopback) or host:port (0.0.0.0:8090)`,
    );
  const host = m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1';
  return { host, port };
}

/** klog's `--v`: a non-negative integer. */
export function parseVerbosity(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError(`"${v}" is not a verbosity: use a whole number >= 0 (e.g. --v=2)`);
  return n;
}

/** klog verbosity as a log level: 0-1 info, 2-3 debug, 4 and above trace. */
export function verbosityLogLevel(v: number): LogLevel {
  return v >= 4 ? 'trace' : v >= 2 ? 'debug' : 'info';
}

/**
 * The log level in effect: an explicit `--log-level` wins, then `--v`, then `--log-level`'s
 * environment value or default (`source` is commander's option value source).
 */
export function effectiveLogLevel(flags: {
  logLevel: LogLevel;
  source: string | undefined;
  v?: number | undefined;
}): LogLevel {
  if (flags.source === 'cli' || flags.v === undefined) return flags.logLevel;
  return verbosityLogLevel(flags.v);
}

/** How the manager reaches the host cluster, from --kubeconfig, --context, --master and $KUBECONFIG. */
export type HostConnection =
  /** Nothing given: in-cluster credentials in a pod, else ~/.kube/config. */
  | { kind: 'default' }
  /** A kubeconfig context; `master` replaces its server (client-go's BuildConfigFromFlags). */
  | { kind: 'kubeconfig'; path?: string; context?: string; master?: string }
  /** Only --master: that URL, without credentials (as client-go with an empty kubeconfig). */
  | { kind: 'master'; master: string };

export function hostConnection(
  flags: { kubeconfig?: string | undefined; context?: string | undefined; master?: string | undefined },
  kubeconfigEnv: string | undefined,
): HostConnection {
  const { kubeconfig, context, master } = flags;
  if (kubeconfig || context || kubeconfigEnv)
    return {
      kind: 'kubeconfig',
      ...(kubeconfig ? { path: kubeconfig } : {}),
      ...(context ? { context } : {}),
      ...(master ? { master } : {}),
    };
  return master ? { kind: 'master', master } : { kind: 'default' };
}

const SCHEME = /^[a-z][a-z\d+.-]*:\/\//i;

/** Checks a --master value: an http(s) URL, or `host[:port]` (the scheme then follows the credentials). */
export function parseMaster(v: string): string {
  let url: URL | undefined;
  try {
    url = new URL(SCHEME.test(v) ? v : `https://${v}`);
  } catch {
    url = undefined;
  }
  if (!url || !url.hostname || (url.protocol !== 'https:' && url.protocol !== 'http:'))
    throw new InvalidArgumentError(`"${v}" is not an API server URL (e.g. https://127.0.0.1:6443)`);
  return v;
}

/**
 * `creds` with the server replaced by `master`. A master without a scheme gets https when the
 * credentials hold TLS settings (a CA, a client certificate or skipped verification), else http:
 * client-go's DefaultServerURL.
 */
export function withMaster<T extends Partial<ClusterCredentials>>(
  creds: T,
  master: string,
): T & { server: string } {
  const tls = Boolean(creds.caData || creds.certData || creds.disabledTLSValidations?.length);
  return { ...creds, server: SCHEME.test(master) ? master : `${tls ? 'https' : 'http'}://${master}` };
}

/**
 * Rewrites Go flag-package spellings into commander's: `-flag`, `-flag=value` and `-v=2` become
 * `--flag`, `--flag=value`, `--v=2` when `--flag` is a known long option. `longOptions` maps each
 * long option (`--kubeconfig`) to whether it takes a value, so that a value that starts with a
 * dash (`--identity -x`) is left alone. Arguments after `--` are never touched.
 */
export function goStyleArgs(args: readonly string[], longOptions: ReadonlyMap<string, boolean>): string[] {
  const out: string[] = [];
  let expectValue = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (expectValue) {
      out.push(arg);
      expectValue = false;
      continue;
    }
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const m = /^--?([^-=][^=]*)(=.*)?$/.exec(arg);
    const long = m ? `--${m[1]}` : undefined;
    if (!m || long === undefined || !longOptions.has(long)) {
      out.push(arg);
      continue;
    }
    out.push(`${long}${m[2] ?? ''}`);
    expectValue = longOptions.get(long)! && m[2] === undefined;
  }
  return out;
}
