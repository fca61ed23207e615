import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeServingCert, type ServingCert } from '../../test/support/webhook.js';
import { startWebhookServer, type WebhookServer } from './server.js';

function request(
  port: number,
  ca: string,
  method: string,
  urlPath: string,
  body?: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', port, method, path: urlPath, ca: readFileSync(ca), agent: false },
      (res) => {
        let data = '';
        res.on('data', (c: Buffer) => (data += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const work = mkdtempSync(path.join(tmpdir(), 'kubefed-webhook-unit-'));
const certDir = path.join(work, 'serving');
let first: ServingCert;
let server: WebhookServer;

beforeAll(async () => {
  first = makeServingCert(path.join(work, 'first'), 'first-ca');
  mkdirSync(certDir);
  copyFileSync(first.cert, path.join(certDir, 'tls.crt'));
  copyFileSync(first.key, path.join(certDir, 'tls.key'));
  server = await startWebhookServer({
    host: '127.0.0.1',
    port: 0,
    certDir,
    log: pino({ level: 'silent' }),
    certPollMs: 50,
  });
});

afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('startWebhookServer', () => {
  it("keeps an idle keep-alive connection open past Node's 5 s default, as the API server expects", async () => {
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const get = () =>
      new Promise<{ status: number; socket: unknown }>((resolve, reject) => {
        const req = https.request(
          { host: '127.0.0.1', port: server.port, path: '/readyz', ca: readFileSync(first.ca), agent },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    try {
      const a = await get();
      let closed = false;
      (a.socket as NodeJS.EventEmitter).once('close', () => (closed = true));
      await new Promise((r) => setTimeout(r, 6_000));
      expect(closed).toBe(false);
      const b = await get();
      expect(b.status).toBe(200);
      expect(b.socket).toBe(a.socket);
    } finally {
      agent.destroy();
    }
  }, 15_000);

  it('answers /readyz over TLS with the serving certificate', async () => {
    expect(await request(server.port, first.ca, 'GET', '/readyz')).toEqual({ status: 200, body: 'ok' });
    expect(await request(server.port, first.ca, 'GET', '/readyz/')).toEqual({ status: 200, body: 'ok' });
  });

  it('answers AdmissionReviews and refuses bodies that are not one', async () => {
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'abc',
        kind: { group: 'core.kubefed.io', version: 'v1beta1', kind: 'KubeFedCluster' },
        resource: { group: 'core.kubefed.io', version: 'v1beta1', resource: 'kubefedclusters' },
        operation: 'CREATE',
        name: 'c1',
        namespace: 'kf',
        object: { spec: { apiEndpoint: 'https://a', secretRef: { name: 'Bad_Name' } } },
      },
    };
    const r = await request(
      server.port,
      first.ca,
      'POST',
      '/validate-kubefedcluster',
      JSON.stringify(review),
    );
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({
      response: {
        uid: 'abc',
        allowed: false,
        status: { code: 403, message: expect.stringMatching(/spec.secretRef.name/) as string },
      },
    });
    expect(
      (await request(server.port, first.ca, 'POST', '/validate-kubefedcluster', 'nonsense')).status,
    ).toBe(400);
  });

  it('serves a renewed certificate once the files change, without a restart', async () => {
    const second = makeServingCert(path.join(work, 'second'), 'second-ca');
    copyFileSync(second.key, path.join(certDir, 'tls.key'));
    copyFileSync(second.cert, path.join(certDir, 'tls.crt'));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await request(server.port, second.ca, 'GET', '/readyz').catch((e: Error) => e);
      if (!(r instanceof Error)) break;
      if (Date.now() > deadline)
        throw new Error(`the renewed certificate was not served within 10s: ${r.message}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    await expect(request(server.port, first.ca, 'GET', '/readyz')).rejects.toThrow();
  });
});
