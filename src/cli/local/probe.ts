/**
 * Minimal HTTPS calls to a local API server with its admin certificate, used only while bringing the
 * local clusters up (readiness, fake nodes). The controllers use the controller kit in src/kube.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { ClusterPki } from './pki.js';

export interface ProbeResponse {
  status: number;
  body: string;
}

export interface ProbeTarget {
  server: string;
  pki: Pick<ClusterPki, 'caCert' | 'adminCert' | 'adminKey'>;
}

export function apiRequest(
  target: ProbeTarget,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 5000,
): Promise<ProbeResponse> {
  const url = new URL(path, target.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: readFileSync(target.pki.caCert),
        cert: readFileSync(target.pki.adminCert),
        key: readFileSync(target.pki.adminKey),
        headers: payload
          ? { 'content-type': 'application/json', accept: 'application/json' }
          : { accept: 'application/json' },
        timeout: timeoutMs,
        agent: false,
      },
      (res) => collect(res, resolve, reject),
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url.href} timed out after ${timeoutMs}ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** GET over plain HTTP (etcd) or HTTPS without verification (self-signed component health ports). */
export function healthGet(url: string, timeoutMs = 3000): Promise<ProbeResponse> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.get(u, { timeout: timeoutMs, rejectUnauthorized: false, agent: false }, (res) =>
      collect(res, resolve, reject),
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs}ms`)));
    req.on('error', reject);
  });
}

function collect(
  res: http.IncomingMessage,
  resolve: (r: ProbeResponse) => void,
  reject: (e: Error) => void,
): void {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
  res.on('error', reject);
}
