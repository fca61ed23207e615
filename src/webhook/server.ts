/**
 * The HTTPS admission server: serves the hooks of admission.ts and `/readyz`, with the serving
 * certificate `tls.crt` / `tls.key` from a directory, reloaded when either file changes (a renewed
 * Secret mounted in a pod, cert-manager rotation) without dropping the listener.
 */
import { watchFile, unwatchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from '../kube/log.js';
import { handleAdmission } from './admission.js';
import type { PropagatedTypes } from './sync-finalizer.js';

/** Larger than any object etcd accepts (1.5 MiB) twice over (object + oldObject). */
const MAX_BODY_BYTES = 8 << 20;

/**
 * How long an idle keep-alive connection stays open. The API server's webhook client (Go's
 * transport) drops idle connections after 90 s and sends a review on any connection it holds;
 * a server that closes first (Node's default: 5 s) races it, and a review written into a closing
 * connection fails ("write: broken pipe", "connection reset") without a retry, since it is a POST:
 * with failurePolicy Fail the user's write is refused. So the client always closes first.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 120_000;

export interface WebhookServerOptions {
  host: string;
  port: number;
  /** Holds tls.crt and tls.key. */
  certDir: string;
  log: Logger;
  /** How often the certificate files are checked for changes (default 2 s). */
  certPollMs?: number;
  /** The control plane's propagated types (sync-finalizer.ts); absent: no finalizer is set. */
  propagatedTypes?: PropagatedTypes;
}

export interface WebhookServer {
  /** The bound port (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

async function readKeyPair(certDir: string): Promise<{ cert: Buffer; key: Buffer }> {
  const certFile = path.join(certDir, 'tls.crt');
  const keyFile = path.join(certDir, 'tls.key');
  try {
    return { cert: await readFile(certFile), key: await readFile(keyFile) };
  } catch (err) {
    throw new Error(
      `cannot read the serving certificate ${certFile} / ${keyFile}: ${(err as Error).message}; pass --cert-dir with tls.crt and tls.key`,
      { cause: err },
    );
  }
}

export async function startWebhookServer(opts: WebhookServerOptions): Promise<WebhookServer> {
  const { log } = opts;
  const server = https.createServer({ ...(await readKeyPair(opts.certDir)) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://webhook');
    if (url.pathname === '/readyz' || url.pathname === '/readyz/' || url.pathname === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413, { 'content-type': 'text/plain' }).end(`body larger than ${MAX_BODY_BYTES} bytes`);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      const reply = handleAdmission(
        req.method ?? 'GET',
        url.pathname,
        Buffer.concat(chunks).toString('utf8'),
        opts.propagatedTypes ? { propagatedTypes: opts.propagatedTypes } : {},
      );
      log.debug({ path: url.pathname, status: reply.status }, 'admission request');
      if (reply.status !== 200)
        log.warn({ path: url.pathname, status: reply.status, reason: reply.body }, 'bad admission request');
      res.writeHead(reply.status, { 'content-type': reply.contentType }).end(reply.body);
    });
  });
  server.on('tlsClientError', (err) => log.debug({ err: err.message }, 'TLS handshake failed'));
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Node's own advice: longer than keepAliveTimeout, or an idle connection's next request may be cut.
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;

  const files = ['tls.crt', 'tls.key'].map((f) => path.join(opts.certDir, f));
  const reload = () => {
    readKeyPair(opts.certDir)
      .then((pair) => {
        server.setSecureContext(pair);
        log.info({ certDir: opts.certDir }, 'reloaded the serving certificate');
      })
      .catch((err: Error) =>
        log.error({ err: err.message }, 'serving certificate reload failed; keeping the old one'),
      );
  };
  for (const f of files) watchFile(f, { interval: opts.certPollMs ?? 2000, persistent: false }, reload);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ address: `${opts.host}:${port}` }, 'admission webhook listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const f of files) unwatchFile(f, reload);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
