import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rootLogger } from '../kube/log.js';
import type { AuthResult, Authorizer } from './auth.js';
import type { Snapshot } from './model.js';
import { DashboardServer, type DashboardData } from './server.js';

const log = rootLogger().child({ test: 'dashboard-server' });

function data(): DashboardData & { version: number; fire(): void } {
  const listeners = new Set<() => void>();
  return {
    version: 1,
    snapshot(): Snapshot {
      return {
        generatedAt: `v${this.version}`,
        namespace: 'kube-federation-system',
        manager: { ready: true, detail: 'ok' },
        clusters: [],
        types: [],
        objects: [],
      };
    },
    detail: (type, ns, name) =>
      Promise.resolve(
        type === 'configmaps' && ns === 'demo' && name === 'cfg'
          ? ({ summary: { type, name, namespace: ns } } as never)
          : undefined,
      ),
    onChange(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    fire() {
      this.version++;
      for (const l of listeners) l();
    },
  };
}

const servers: DashboardServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

async function start(host: string, authorizer?: Authorizer, d = data()) {
  const staticDir = mkdtempSync(path.join(tmpdir(), 'dash-static-'));
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>KubeFed</title>');
  const server = new DashboardServer({
    address: { host, port: 0 },
    data: d,
    ...(authorizer ? { authorizer } : {}),
    staticDir,
    pushIntervalMs: 20,
    log,
  });
  await server.start();
  servers.push(server);
  return { base: `http://127.0.0.1:${server.address!.port}`, d };
}

describe('DashboardServer', () => {
  it('serves the front end, the snapshot and an object on loopback without a token', async () => {
    const { base } = await start('127.0.0.1');
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await index.text()).toContain('<title>KubeFed</title>');
    // Hash routes and unknown paths get the page; traversal does not escape the directory.
    expect((await fetch(`${base}/objects`)).status).toBe(200);
    expect(await (await fetch(`${base}/..%2f..%2fetc%2fpasswd`)).text()).toContain('<title>KubeFed</title>');
    const snap = await fetch(`${base}/api/snapshot`);
    expect(snap.headers.get('content-type')).toBe('application/json');
    expect(((await snap.json()) as Snapshot).manager.ready).toBe(true);
    expect((await fetch(`${base}/api/objects/configmaps/demo/cfg`)).status).toBe(200);
    const missing = await fetch(`${base}/api/objects/configmaps/demo/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { message: string }).message).toContain('demo/nope');
  });

  it('answers 400 to a path that is not valid percent-encoding', async () => {
    const { base } = await start('127.0.0.1');
    expect((await fetch(`${base}/api/objects/x/%E0%A4%A/y`)).status).toBe(400);
    expect((await fetch(`${base}/%ZZ`)).status).toBe(400);
  });

  it('is read-only', async () => {
    const { base } = await start('127.0.0.1');
    const r = await fetch(`${base}/api/snapshot`, { method: 'POST' });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, HEAD');
  });

  it('streams a snapshot at once and again after a change', async () => {
    const { base, d } = await start('127.0.0.1');
    const res = await fetch(`${base}/api/events`);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const chunks = (res.body as unknown as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    const decoder = new TextDecoder();
    let text = '';
    const until = async (needle: string) => {
      while (!text.includes(needle)) {
        const chunk: IteratorResult<Uint8Array> = await chunks.next();
        if (chunk.done) throw new Error(`stream ended before ${needle}`);
        text += decoder.decode(chunk.value);
      }
    };
    await until('"generatedAt":"v1"');
    expect(text).toMatch(/^retry: 2000\nevent: snapshot\ndata: \{/);
    d.fire();
    d.fire();
    await until('"generatedAt":"v3"');
    // Two changes in one push interval make one push.
    expect(text).not.toContain('"generatedAt":"v2"');
    await chunks.return?.();
  });

  it('refuses to start off loopback without an authorizer', () => {
    expect(() => new DashboardServer({ address: { host: '0.0.0.0', port: 0 }, data: data(), log })).toThrow(
      /not loopback/,
    );
  });

  it('off loopback, answers the API 401 without a token, 403 for a user without rights, 200 with them', async () => {
    const seen: (string | undefined)[] = [];
    const authorizer: Authorizer = {
      review: (header): Promise<AuthResult> => {
        seen.push(header);
        if (header === 'Bearer good') return Promise.resolve({ kind: 'allowed', user: 'alice' });
        if (header === 'Bearer weak')
          return Promise.resolve({ kind: 'forbidden', user: 'bob', message: 'bob may not list' });
        return Promise.resolve({ kind: 'unauthenticated', message: 'send a token' });
      },
    };
    const { base } = await start('0.0.0.0', authorizer);
    const get = (p: string, token?: string) =>
      fetch(`${base}${p}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    expect((await get('/api/snapshot')).status).toBe(401);
    expect((await get('/api/events')).status).toBe(401);
    const forbidden = await get('/api/snapshot', 'weak');
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as { message: string }).message).toBe('bob may not list');
    expect((await get('/api/snapshot', 'good')).status).toBe(200);
    expect((await get('/api/objects/configmaps/demo/cfg', 'good')).status).toBe(200);
    // The page itself holds no data: it loads, then asks for a token.
    expect((await get('/')).status).toBe(200);
    expect(seen).toContain('Bearer good');
  });
});
