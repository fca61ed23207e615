import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePorts, isPortFree } from './ports.js';

describe('ports', () => {
  it('returns distinct free loopback ports', async () => {
    const ports = await freePorts(20);
    expect(new Set(ports).size).toBe(20);
    for (const p of ports) expect(await isPortFree(p)).toBe(true);
  });

  it('sees a port in use as not free', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
    const { port } = server.address() as net.AddressInfo;
    try {
      expect(await isPortFree(port)).toBe(false);
    } finally {
      server.close();
    }
  });
});
