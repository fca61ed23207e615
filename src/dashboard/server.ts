/**
 * The dashboard's HTTP server (`--dashboard-addr`): the built front end (dist/dashboard-ui) as
 * static files, a JSON API and one server-sent-events stream.
 *
 *   GET /api/snapshot                        clusters, types and the object x cluster matrix
 *   GET /api/objects/<type>/<ns>/<name>      one object (`_` as <ns> for a cluster-scoped one)
 *   GET /api/events                          text/event-stream: `snapshot` events, at most one per
 *                                            `pushIntervalMs`, only after a cached change
 *
 * Read-only: anything but GET/HEAD is refused. Off loopback every request needs a bearer token
 * (src/dashboard/auth.ts).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../kube/log.js';
import { isLoopback, type Authorizer } from './auth.js';
import type { ObjectDetail, Snapshot } from './model.js';

/** What the server serves; DashboardSource in the manager, a fixed one in tests. */
export interface DashboardData {
  snapshot(): Snapshot;
  detail(type: string, namespace: string | undefined, name: string): Promise<ObjectDetail | undefined>;
  onChange(listener: () => void): () => void;
}

export interface DashboardServerOptions {
  address: { host: string; port: number };
  data: DashboardData;
  /** Required off loopback (the constructor refuses otherwise); ignored on loopback. */
  authorizer?: Authorizer;
  /** The built front end; default: dist/dashboard-ui next to this file's dist/dashboard. */
  staticDir?: string;
  pushIntervalMs?: number;
  heartbeatMs?: number;
  log: Logger;
}

export const DEFAULT_STATIC_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'dashboard-ui',
);

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

export class DashboardServer {
  private server?: Server;
  private readonly streams = new Set<ServerResponse>();
  private readonly requireToken: boolean;
  private readonly staticDir: string;
  private pushTimer?: NodeJS.Timeout;
  private heartbeat?: NodeJS.Timeout;
  private dirty = false;
  private lastPush = 0;
  private unsubscribe?: () => void;
  private bound?: { host: string; port: number };

  constructor(private readonly options: DashboardServerOptions) {
    this.requireToken = !isLoopback(options.address.host);
    if (this.requireToken && !options.authorizer)
      throw new Error(
        `the dashboard on ${options.address.host} (not loopback) needs an authorizer for bearer tokens`,
      );
    this.staticDir = options.staticDir ?? DEFAULT_STATIC_DIR;
  }

  /** Where the server listens, once started. */
  get address(): { host: string; port: number } | undefined {
    return this.bound;
  }

  /** The URL to open, once started. */
  get url(): string | undefined {
    if (!this.bound) return undefined;
    const host = this.bound.host.includes(':') ? `[${this.bound.host}]` : this.bound.host;
    return `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${this.bound.port}/`;
  }

  async start(): Promise<void> {
    if (!existsSync(path.join(this.staticDir, 'index.html')))
      this.options.log.warn(
        { dir: this.staticDir },
        'the dashboard front end is not built (npm run build); only its API is served',
      );
    const server = createServer((req, res) => void this.handle(req, res));
    const { host, port } = this.options.address;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new Error(
            `cannot serve the dashboard on ${host}:${port} (--dashboard-addr): ${err.code ?? err.message}`,
          ),
        ),
      );
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.bound = { host, port: (server.address() as AddressInfo).port };
    this.unsubscribe = this.options.data.onChange(() => this.schedulePush());
    this.heartbeat = setInterval(() => {
      for (const s of this.streams) s.write(': ping\n\n');
    }, this.options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
    this.options.log.info(
      {
        url: this.url,
        auth: this.requireToken ? 'bearer token (TokenReview, SubjectAccessReview)' : 'none (loopback)',
      },
      'serving the dashboard',
    );
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    clearTimeout(this.pushTimer);
    clearInterval(this.heartbeat);
    for (const s of this.streams) s.end();
    this.streams.clear();
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Coalesces changes: one snapshot per push interval at most, sent to every stream. */
  private schedulePush(): void {
    this.dirty = true;
    if (this.pushTimer || this.streams.size === 0) return;
    const interval = this.options.pushIntervalMs ?? 500;
    const wait = Math.max(0, this.lastPush + interval - Date.now());
    this.pushTimer = setTimeout(() => {
      this.pushTimer = undefined;
      if (!this.dirty) return;
      this.dirty = false;
      this.lastPush = Date.now();
      this.push();
    }, wait);
  }

  private push(): void {
    if (this.streams.size === 0) return;
    let message: string;
    try {
      message = `event: snapshot\ndata: ${JSON.stringify(this.options.data.snapshot())}\n\n`;
    } catch (err) {
      this.options.log.error({ err }, 'dashboard snapshot failed');
      return;
    }
    for (const s of this.streams) s.write(message);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (code: number, body: string, type = 'text/plain; charset=utf-8', extra = {}) => {
      res.writeHead(code, {
        ...SECURITY_HEADERS,
        'content-type': type,
        'cache-control': 'no-store',
        ...extra,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const json = (code: number, value: unknown) => reply(code, JSON.stringify(value), 'application/json');
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return reply(405, 'the dashboard is read-only\n', undefined, { allow: 'GET, HEAD' });
      const url = new URL(req.url ?? '/', 'http://dashboard');
      try {
        decodeURIComponent(url.pathname);
      } catch {
        return reply(400, 'the path is not valid percent-encoding\n');
      }
      const api = url.pathname.startsWith('/api/');
      if (this.requireToken && api) {
        const auth = await this.options.authorizer!.review(req.headers.authorization);
        if (auth.kind === 'unauthenticated')
          return json(401, { error: 'Unauthorized', message: auth.message });
        if (auth.kind === 'forbidden') return json(403, { error: 'Forbidden', message: auth.message });
      }
      if (url.pathname === '/api/snapshot') return json(200, this.options.data.snapshot());
      if (url.pathname === '/api/events') return this.openStream(req, res);
      const m = /^\/api\/objects\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (m) {
        const [type, ns, name] = [m[1]!, m[2]!, m[3]!].map(decodeURIComponent) as [string, string, string];
        const detail = await this.options.data.detail(type, ns === '_' ? undefined : ns, name);
        return detail
          ? json(200, detail)
          : json(404, {
              error: 'NotFound',
              message: `no ${type} object ${ns === '_' ? '' : `${ns}/`}${name} in the caches`,
            });
      }
      if (api) return json(404, { error: 'NotFound', message: `no such API endpoint ${url.pathname}` });
      return this.serveStatic(url.pathname, req, res, reply);
    } catch (err) {
      this.options.log.error({ err, url: req.url }, 'dashboard request failed');
      if (!res.headersSent) json(500, { error: 'InternalError', message: (err as Error).message });
      else res.end();
    }
  }

  private openStream(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.write(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(this.options.data.snapshot())}\n\n`);
    this.streams.add(res);
    req.on('close', () => this.streams.delete(res));
  }

  /** Files of the built front end; any other path that is not a file gets index.html (hash routes). */
  private serveStatic(
    pathname: string,
    req: IncomingMessage,
    res: ServerResponse,
    reply: (code: number, body: string, type?: string) => void,
  ): void {
    const relative = path.normalize(decodeURIComponent(pathname)).replace(/^(\.\.(\/|\\|$))+/, '');
    let file = path.join(this.staticDir, relative);
    if (!file.startsWith(this.staticDir + path.sep) && file !== this.staticDir)
      return reply(404, 'not found\n');
    if (!existsSync(file) || statSync(file).isDirectory()) file = path.join(this.staticDir, 'index.html');
    if (!existsSync(file)) return reply(503, 'the dashboard front end is not built: run npm run build\n');
    const type = CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream';
    const immutable = file.includes(`${path.sep}assets${path.sep}`);
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': type,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    createReadStream(file).pipe(res);
  }
}
