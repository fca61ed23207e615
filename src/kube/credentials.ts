/**
 * How to reach and authenticate to one cluster, from a kubeconfig context or from what a
 * KubeFedCluster holds (endpoint, CA bundle, bearer token, TLS-validation exceptions, proxy).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const run = promisify(execFile);

/** TLS checks a KubeFedCluster may switch off (`spec.disabledTLSValidations`). `*` = all. */
export type TLSValidation = '*' | 'SubjectName' | 'ValidityPeriod';

export interface ExecConfig {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
  apiVersion?: string;
}

export interface ClusterCredentials {
  /** A name for logs, metrics and errors (the context or KubeFedCluster name). */
  name: string;
  /** `https://host:port[/prefix]`. */
  server: string;
  caData?: Buffer;
  certData?: Buffer;
  keyData?: Buffer;
  token?: string;
  /** Re-read periodically, like client-go, so rotated projected tokens keep working. */
  tokenFile?: string;
  exec?: ExecConfig;
  disabledTLSValidations?: TLSValidation[];
  tlsServerName?: string;
  /** http, https or socks5 proxy URL. */
  proxyUrl?: string;
}

interface KubeconfigFile {
  'current-context'?: string;
  clusters?: { name: string; cluster: Record<string, unknown> }[];
  users?: { name: string; user: Record<string, unknown> }[];
  contexts?: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
}

export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
}

/** The kubeconfig files in effect: `explicit`, else $KUBECONFIG (a `:` list), else ~/.kube/config. */
export function kubeconfigPaths(explicit?: string): string[] {
  if (explicit) return [explicit];
  const env = process.env.KUBECONFIG;
  if (env) return env.split(path.delimiter).filter(Boolean);
  return [path.join(os.homedir(), '.kube', 'config')];
}

/** Loads and merges kubeconfig files the way kubectl does: for each name, the first file wins. */
export class Kubeconfig {
  private constructor(
    private readonly merged: Required<Pick<KubeconfigFile, 'clusters' | 'users' | 'contexts'>> & {
      currentContext?: string;
    },
    /** Directory of the file each entry came from, for relative paths. */
    private readonly baseDirs: Map<string, string>,
    readonly sources: string[],
  ) {}

  static load(explicitPath?: string): Kubeconfig {
    const files = kubeconfigPaths(explicitPath).filter((f) => existsSync(f));
    if (files.length === 0) {
      throw new KubeconfigError(
        `no kubeconfig found (looked at ${kubeconfigPaths(explicitPath).join(', ')}); set KUBECONFIG or pass --kubeconfig`,
      );
    }
    const merged = { clusters: [], users: [], contexts: [] } as Kubeconfig['merged'];
    const baseDirs = new Map<string, string>();
    for (const file of files) {
      let doc: KubeconfigFile;
      try {
        doc = (parse(readFileSync(file, 'utf8')) ?? {}) as KubeconfigFile;
      } catch (err) {
        throw new KubeconfigError(`${file}: not valid YAML: ${(err as Error).message}`);
      }
      merged.currentContext ??= doc['current-context'] || undefined;
      for (const key of ['clusters', 'users', 'contexts'] as const) {
        for (const entry of doc[key] ?? []) {
          if (!merged[key].some((e) => e.name === entry.name)) {
            (merged[key] as { name: string }[]).push(entry);
            baseDirs.set(`${key}/${entry.name}`, path.dirname(path.resolve(file)));
          }
        }
      }
    }
    return new Kubeconfig(merged, baseDirs, files);
  }

  get currentContext(): string | undefined {
    return this.merged.currentContext;
  }

  get contextNames(): string[] {
    return this.merged.contexts.map((c) => c.name);
  }

  /** The namespace a context selects (default `default`). */
  namespace(contextName?: string): string {
    const name = contextName ?? this.currentContext;
    return this.merged.contexts.find((c) => c.name === name)?.context.namespace ?? 'default';
  }

  /** Credentials of `contextName` (default: the current context). */
  credentials(contextName?: string): ClusterCredentials {
    const name = contextName ?? this.currentContext;
    if (!name)
      throw new KubeconfigError(`no context given and no current-context in ${this.sources.join(', ')}`);
    const ctx = this.merged.contexts.find((c) => c.name === name);
    if (!ctx) {
      throw new KubeconfigError(
        `context "${name}" not found in ${this.sources.join(', ')} (contexts: ${this.contextNames.join(', ') || 'none'})`,
      );
    }
    const cluster = this.merged.clusters.find((c) => c.name === ctx.context.cluster)?.cluster;
    if (!cluster) throw new KubeconfigError(`context "${name}": cluster "${ctx.context.cluster}" not found`);
    const user = this.merged.users.find((u) => u.name === ctx.context.user)?.user ?? {};
    const clusterDir = this.baseDirs.get(`clusters/${ctx.context.cluster}`) ?? process.cwd();
    const userDir = this.baseDirs.get(`users/${ctx.context.user}`) ?? process.cwd();
    const str = (o: Record<string, unknown>, k: string) => (typeof o[k] === 'string' ? o[k] : undefined);
    const data = (o: Record<string, unknown>, dataKey: string, fileKey: string, dir: string) => {
      const d = str(o, dataKey);
      if (d) return Buffer.from(d, 'base64');
      const f = str(o, fileKey);
      return f ? readFileSync(path.resolve(dir, f)) : undefined;
    };
    const server = str(cluster, 'server');
    if (!server)
      throw new KubeconfigError(`context "${name}": cluster "${ctx.context.cluster}" has no server`);
    if (user['auth-provider']) {
      throw new KubeconfigError(
        `context "${name}": user "${ctx.context.user}" uses a legacy auth-provider, which is not supported; use an exec credential plugin`,
      );
    }
    const creds: ClusterCredentials = { name, server };
    const ca = data(cluster, 'certificate-authority-data', 'certificate-authority', clusterDir);
    if (ca) creds.caData = ca;
    if (cluster['insecure-skip-tls-verify'] === true) creds.disabledTLSValidations = ['*'];
    const sni = str(cluster, 'tls-server-name');
    if (sni) creds.tlsServerName = sni;
    const proxy = str(cluster, 'proxy-url');
    if (proxy) creds.proxyUrl = proxy;
    const cert = data(user, 'client-certificate-data', 'client-certificate', userDir);
    const key = data(user, 'client-key-data', 'client-key', userDir);
    if (cert) creds.certData = cert;
    if (key) creds.keyData = key;
    const token = str(user, 'token');
    if (token) creds.token = token;
    const tokenFile = str(user, 'tokenFile');
    if (tokenFile) creds.tokenFile = path.resolve(userDir, tokenFile);
    if (user.exec && typeof user.exec === 'object') creds.exec = user.exec as ExecConfig;
    return creds;
  }
}

interface ExecCredential {
  status?: { token?: string; expirationTimestamp?: string };
}

/**
 * Produces the bearer token for a cluster: a static token, a token file (re-read at most every
 * minute), or an exec plugin's token (cached until shortly before it expires). `invalidate()` drops
 * the cache, e.g. after a 401.
 */
export class TokenSource {
  private cached?: { token: string; until: number };

  constructor(private readonly creds: Pick<ClusterCredentials, 'name' | 'token' | 'tokenFile' | 'exec'>) {}

  get dynamic(): boolean {
    return this.creds.tokenFile !== undefined || this.creds.exec !== undefined;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  async token(): Promise<string | undefined> {
    if (this.creds.token) return this.creds.token;
    const now = Date.now();
    if (this.cached && this.cached.until > now) return this.cached.token;
    if (this.creds.tokenFile) {
      const token = readFileSync(this.creds.tokenFile, 'utf8').trim();
      this.cached = { token, until: now + 60_000 };
      return token;
    }
    if (this.creds.exec) {
      const { token, expires } = await this.runExec(this.creds.exec);
      // Renew 10 s before expiry; without an expiry, keep it until a 401 invalidates it.
      this.cached = { token, until: expires ? expires - 10_000 : Number.POSITIVE_INFINITY };
      return token;
    }
    return undefined;
  }

  private async runExec(exec: ExecConfig): Promise<{ token: string; expires?: number }> {
    const env = { ...process.env };
    for (const e of exec.env ?? []) env[e.name] = e.value;
    env.KUBERNETES_EXEC_INFO = JSON.stringify({
      apiVersion: exec.apiVersion ?? 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      spec: { interactive: false },
    });
    let stdout: string;
    try {
      ({ stdout } = await run(exec.command, exec.args ?? [], { env, timeout: 60_000 }));
    } catch (err) {
      throw new KubeconfigError(
        `${this.creds.name}: credential plugin "${exec.command}" failed: ${(err as Error).message.trim()}`,
      );
    }
    let cred: ExecCredential;
    try {
      cred = JSON.parse(stdout) as ExecCredential;
    } catch {
      throw new KubeconfigError(
        `${this.creds.name}: credential plugin "${exec.command}" printed no ExecCredential JSON`,
      );
    }
    const token = cred.status?.token;
    if (!token) {
      throw new KubeconfigError(
        `${this.creds.name}: credential plugin "${exec.command}" returned no status.token (client certificates from plugins are not supported)`,
      );
    }
    const exp = cred.status?.expirationTimestamp ? Date.parse(cred.status.expirationTimestamp) : undefined;
    return exp !== undefined && Number.isFinite(exp) ? { token, expires: exp } : { token };
  }
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Credentials inside a pod: the service host/port env, the mounted CA and (rotating) token file. */
export function inClusterCredentials(name = 'in-cluster'): ClusterCredentials | undefined {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT;
  if (!host || !port || !existsSync(path.join(SA_DIR, 'token'))) return undefined;
  const server = host.includes(':') ? `https://[${host}]:${port}` : `https://${host}:${port}`;
  return {
    name,
    server,
    caData: readFileSync(path.join(SA_DIR, 'ca.crt')),
    tokenFile: path.join(SA_DIR, 'token'),
  };
}

/** The pod's namespace when running in a cluster. */
export function inClusterNamespace(): string | undefined {
  const f = path.join(SA_DIR, 'namespace');
  return existsSync(f) ? readFileSync(f, 'utf8').trim() : undefined;
}
