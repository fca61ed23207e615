/**
 * One cluster's API client: a pooled keep-alive connection (undici) per cluster, client-side rate
 * limiting, timeouts, bearer/cert auth, Retry-After handling, and errors mapped to {@link KubeError}.
 * Higher layers (discovery, dynamic resources, informers) build on `request` and `stream`.
 */
import { checkServerIdentity, type TLSSocket } from 'node:tls';
import { Agent, buildConnector, ProxyAgent, Socks5ProxyAgent, type Dispatcher } from 'undici';
import { sleep } from '../poll.js';
import { Kubeconfig, TokenSource, type ClusterCredentials } from './credentials.js';
import { errorFromResponse, errorFromTransport, KubeError, type RequestContext } from './errors.js';
import { TokenBucket } from './ratelimit.js';

export interface ClientOptions {
  /** Client-side rate limit (requests per second; default 100, as upstream KubeFed) and burst (default 200). */
  qps?: number;
  burst?: number;
  /** Per-request timeout for non-streaming calls (default 30 s). */
  timeoutMs?: number;
  /** Max connections to the API server (default 32; watches hold one each). */
  connections?: number;
  userAgent?: string;
  /** Retries of a request answered 429 (or 503 with Retry-After), honouring Retry-After (default 5). */
  maxRetries?: number;
  /** Observes every request: for metrics. */
  onRequest?: (event: RequestEvent) => void;
}

export interface RequestEvent {
  cluster: string;
  verb: string;
  /** HTTP status, or 0 when no response arrived. */
  code: number;
  durationMs: number;
}

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path with leading slash, without query. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Content type of the body (default application/json). */
  contentType?: string;
  accept?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** A name for metrics (default: derived from method; 'watch'/'list' given by callers). */
  verb?: string;
  /**
   * Never queued behind other requests: not held by the client's rate limiter, and sent on a
   * connection of its own (whose connect, TLS included, times out with the request) rather than
   * the shared pool. For a health probe: a member busy with a bulk of writes, or with writes a
   * slow admission webhook holds (each holding a pooled connection), would otherwise look
   * unreachable; a frozen member must still look unreachable within the probe's timeout.
   */
  unlimited?: boolean;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A streaming response (watch): newline-delimited JSON lines until the server or `close()` ends it. */
export interface ResponseStream {
  lines: AsyncIterable<string>;
  close(): void;
}

function buildQuery(query: KubeRequest['query']): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

export class ClusterClient {
  readonly name: string;
  readonly server: URL;
  private readonly dispatcher: Dispatcher;
  /** The connection of `unlimited` requests, made on first use, and its connect timeout. */
  private probe: { dispatcher: Dispatcher; connectTimeoutMs: number } | undefined;
  private readonly limiter: TokenBucket;
  private readonly tokens: TokenSource;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly userAgent: string;
  private closed = false;

  constructor(
    readonly credentials: ClusterCredentials,
    private readonly options: ClientOptions = {},
  ) {
    this.name = credentials.name;
    let server: URL;
    try {
      // KubeFedCluster apiEndpoint may omit the scheme: https is meant.
      server = new URL(
        /^[a-z]+:\/\//i.test(credentials.server) ? credentials.server : `https://${credentials.server}`,
      );
    } catch {
      throw new Error(`${credentials.name}: API endpoint "${credentials.server}" is not a valid URL`);
    }
    this.server = server;
    this.limiter = new TokenBucket(options.qps ?? 100, options.burst ?? 200);
    this.tokens = new TokenSource(credentials);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxRetries = options.maxRetries ?? 5;
    this.userAgent = options.userAgent ?? 'kubefed-ts';
    this.dispatcher = makeDispatcher(credentials, server, options.connections ?? 32);
  }

  /** A client for a kubeconfig context (default: the current one). */
  static fromKubeconfig(context?: string, kubeconfigPath?: string, options?: ClientOptions): ClusterClient {
    return new ClusterClient(Kubeconfig.load(kubeconfigPath).credentials(context), options);
  }

  private url(path: string, query?: KubeRequest['query']): string {
    const prefix = this.server.pathname.replace(/\/$/, '');
    return `${prefix}${path}${buildQuery(query)}`;
  }

  private async headers(req: KubeRequest): Promise<Record<string, string>> {
    const h: Record<string, string> = {
      'user-agent': this.userAgent,
      accept: req.accept ?? 'application/json',
    };
    if (req.body !== undefined) h['content-type'] = req.contentType ?? 'application/json';
    const token = await this.tokens.token();
    if (token) h.authorization = `Bearer ${token}`;
    return h;
  }

  /** Sends a request and returns the raw response, throwing {@link KubeError} for HTTP >= 400. */
  async requestRaw(req: KubeRequest): Promise<RawResponse> {
    if (this.closed) throw new Error(`${this.name}: client is closed`);
    const context: RequestContext = { cluster: this.name, method: req.method, path: req.path };
    const body =
      req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
    const verb = req.verb ?? req.method.toLowerCase();
    let refreshedAuth = false;
    for (let attempt = 0; ; attempt++) {
      if (!req.unlimited) await this.limiter.wait(req.signal);
      const started = performance.now();
      const timeout = req.timeoutMs ?? this.timeoutMs;
      const dispatcher = req.unlimited ? this.probeDispatcher(timeout) : this.dispatcher;
      let res: Dispatcher.ResponseData;
      try {
        res = await dispatcher.request({
          origin: this.server.origin,
          path: this.url(req.path, req.query),
          method: req.method,
          headers: await this.headers(req),
          ...(body === undefined ? {} : { body }),
          headersTimeout: timeout,
          bodyTimeout: timeout,
          signal: req.signal
            ? AbortSignal.any([req.signal, AbortSignal.timeout(timeout)])
            : AbortSignal.timeout(timeout),
        });
      } catch (err) {
        this.options.onRequest?.({
          cluster: this.name,
          verb,
          code: 0,
          durationMs: performance.now() - started,
        });
        if (req.signal?.aborted) throw err;
        throw errorFromTransport(err, context);
      }
      const text = await res.body.text();
      this.options.onRequest?.({
        cluster: this.name,
        verb,
        code: res.statusCode,
        durationMs: performance.now() - started,
      });
      if (res.statusCode < 400) return { status: res.statusCode, headers: res.headers, body: text };
      const retryAfter = res.headers['retry-after'];
      const err = errorFromResponse(
        res.statusCode,
        text,
        context,
        Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
      );
      if (err.kind === 'Unauthorized' && this.tokens.dynamic && !refreshedAuth) {
        this.tokens.invalidate();
        refreshedAuth = true;
        continue;
      }
      // 429 (and 503 with Retry-After) mean "not processed, come back later": safe for any verb.
      const wait = err.retryAfterSeconds;
      if (
        (err.kind === 'TooManyRequests' || (err.code === 503 && wait !== undefined)) &&
        attempt < this.maxRetries
      ) {
        // Jitter spreads a herd of throttled requests so they do not all come back at once.
        await sleep(Math.min(Math.max(wait ?? 1, 0), 10) * 1000 * (1 + Math.random() / 2), req.signal);
        continue;
      }
      throw err;
    }
  }

  /** Sends a request and parses the JSON response. */
  async request<T>(req: KubeRequest): Promise<T> {
    const res = await this.requestRaw(req);
    if (res.body === '') return undefined as T;
    try {
      return JSON.parse(res.body) as T;
    } catch {
      throw new KubeError(
        'Unknown',
        `response is not JSON: ${res.body.slice(0, 200)}`,
        { cluster: this.name, method: req.method, path: req.path },
        res.status,
      );
    }
  }

  /**
   * Opens a streaming GET (a watch). No body timeout: the caller runs an idle watchdog and calls
   * `close()`. HTTP errors are thrown as {@link KubeError} before any line is read.
   */
  async stream(req: Omit<KubeRequest, 'method' | 'body'>): Promise<ResponseStream> {
    if (this.closed) throw new Error(`${this.name}: client is closed`);
    const context: RequestContext = { cluster: this.name, method: 'GET', path: req.path };
    await this.limiter.wait(req.signal);
    const abort = new AbortController();
    const signal = req.signal ? AbortSignal.any([req.signal, abort.signal]) : abort.signal;
    const started = performance.now();
    let res: Dispatcher.ResponseData;
    try {
      res = await this.dispatcher.request({
        origin: this.server.origin,
        path: this.url(req.path, req.query),
        method: 'GET',
        headers: await this.headers({ ...req, method: 'GET' }),
        headersTimeout: req.timeoutMs ?? this.timeoutMs,
        bodyTimeout: 0,
        signal,
      });
    } catch (err) {
      this.options.onRequest?.({
        cluster: this.name,
        verb: req.verb ?? 'watch',
        code: 0,
        durationMs: performance.now() - started,
      });
      throw errorFromTransport(err, context);
    }
    this.options.onRequest?.({
      cluster: this.name,
      verb: req.verb ?? 'watch',
      code: res.statusCode,
      durationMs: performance.now() - started,
    });
    if (res.statusCode >= 400) {
      const text = await res.body.text();
      if (res.statusCode === 401) this.tokens.invalidate();
      const retryAfter = res.headers['retry-after'];
      throw errorFromResponse(
        res.statusCode,
        text,
        context,
        Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
      );
    }
    const body = res.body;
    const lines = async function* (): AsyncGenerator<string> {
      let buf = '';
      try {
        for await (const chunk of body) {
          buf += (chunk as Buffer).toString('utf8');
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (line) yield line;
          }
        }
      } catch (err) {
        if (!abort.signal.aborted && !req.signal?.aborted) throw errorFromTransport(err, context);
      }
      if (buf.trim()) yield buf.trim();
    };
    return {
      lines: lines(),
      close: () => {
        abort.abort();
        body.destroy();
      },
    };
  }

  /**
   * A client of the same cluster with the same settings but its own rate limiter and connection
   * pool (as a second client-go clientset from one rest.Config): for traffic that must neither wait
   * behind nor delay this client's requests, such as Events and leader election. Close it separately.
   */
  withOwnLimiter(userAgent: string): ClusterClient {
    return new ClusterClient(this.credentials, { ...this.options, userAgent });
  }

  /**
   * The single connection of `unlimited` requests. Its connect timeout follows the request's: a
   * connect (TCP and TLS) to a frozen API server never answers, and the default 10 s would hold a
   * 3 s probe for 10 s. Remade when the timeout changes (a KubeFedConfig edit).
   */
  private probeDispatcher(timeoutMs: number): Dispatcher {
    const connectTimeoutMs = Math.max(1, Math.min(timeoutMs, 10_000));
    if (this.probe?.connectTimeoutMs !== connectTimeoutMs) {
      const old = this.probe?.dispatcher;
      if (old) void old.close().catch(() => old.destroy());
      this.probe = {
        dispatcher: makeDispatcher(this.credentials, this.server, 1, connectTimeoutMs),
        connectTimeoutMs,
      };
    }
    return this.probe.dispatcher;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const probe = this.probe?.dispatcher;
    await Promise.all([
      this.dispatcher.close().catch(() => this.dispatcher.destroy()),
      probe?.close().catch(() => probe.destroy()),
    ]);
  }
}

const VALIDITY_ERRORS = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);

/** The pooled dispatcher for one cluster, with its TLS rules and optional proxy. */
function makeDispatcher(
  creds: ClusterCredentials,
  server: URL,
  connections: number,
  /** Connect timeout, TCP and TLS (undici's default: 10 s). */
  connectTimeoutMs?: number,
): Dispatcher {
  const disabled = new Set(creds.disabledTLSValidations ?? []);
  if (disabled.has('*') && disabled.size > 1) {
    throw new Error(`${creds.name}: disabledTLSValidations "*" cannot be combined with other values`);
  }
  const tls = {
    ...(creds.caData ? { ca: creds.caData } : {}),
    ...(creds.certData ? { cert: creds.certData } : {}),
    ...(creds.keyData ? { key: creds.keyData } : {}),
    ...(creds.tlsServerName ? { servername: creds.tlsServerName } : {}),
  };
  const skipAll = disabled.has('*');
  const skipName = disabled.has('SubjectName');
  const skipValidity = disabled.has('ValidityPeriod');
  const base = {
    ...tls,
    ...(connectTimeoutMs === undefined ? {} : { timeout: connectTimeoutMs }),
    rejectUnauthorized: !skipAll && !skipValidity,
    ...(skipName ? { checkServerIdentity: () => undefined } : {}),
  };
  // With ValidityPeriod disabled, verification runs with rejectUnauthorized off and is redone here:
  // only expiry errors are forgiven, and the host name is still checked unless SubjectName is off too.
  const connect = skipValidity
    ? wrapConnector(buildConnector(base), server.hostname, creds.tlsServerName, skipName)
    : base;
  const common = { connections, keepAliveTimeout: 30_000, keepAliveMaxTimeout: 600_000, pipelining: 1 };
  if (creds.proxyUrl) {
    let proxy: URL;
    try {
      proxy = new URL(creds.proxyUrl);
    } catch {
      throw new Error(`${creds.name}: proxy URL "${creds.proxyUrl}" is not a valid URL`);
    }
    if (proxy.protocol === 'socks5:')
      return new Socks5ProxyAgent(proxy, { ...common, connect: connect as never });
    if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
      throw new Error(
        `${creds.name}: proxy URL scheme "${proxy.protocol}" is not supported (use http, https or socks5)`,
      );
    }
    return new ProxyAgent({
      uri: proxy.href,
      ...common,
      requestTls: base,
      ...(connectTimeoutMs === undefined ? {} : { proxyTls: { timeout: connectTimeoutMs } }),
    });
  }
  return new Agent({ ...common, connect });
}

function wrapConnector(
  inner: buildConnector.connector,
  host: string,
  servername: string | undefined,
  skipName: boolean,
): buildConnector.connector {
  return (opts, cb) => {
    inner(opts, (err, socket) => {
      if (err || !socket) return cb(err ?? new Error('no socket'), null);
      const tlsSocket = socket as TLSSocket;
      const check = () => {
        const code = String(tlsSocket.authorizationError ?? '');
        if (!tlsSocket.authorized && code && !VALIDITY_ERRORS.has(code)) {
          socket.destroy();
          return cb(new Error(`TLS verification failed: ${code}`), null);
        }
        if (!skipName) {
          const nameErr = checkServerIdentity(servername ?? host, tlsSocket.getPeerCertificate());
          if (nameErr) {
            socket.destroy();
            return cb(nameErr, null);
          }
        }
        cb(null, socket);
      };
      if (tlsSocket.encrypted) check();
      else cb(null, socket);
    });
  };
}
