import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Kubeconfig, TokenSource } from './credentials.js';

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'kubefed-creds-'));
}

function kubeconfig(dir: string, file: string, doc: object): string {
  const p = path.join(dir, file);
  writeFileSync(p, stringify(doc));
  return p;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('Kubeconfig', () => {
  it('reads a context: server, CA, client certificate (data or relative file), token, proxy, TLS options', () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'ca.crt'), 'CA-FROM-FILE');
    const p = kubeconfig(dir, 'config', {
      'current-context': 'a',
      clusters: [
        {
          name: 'ca',
          cluster: {
            server: 'https://10.0.0.1:6443',
            'certificate-authority': 'ca.crt',
            'proxy-url': 'socks5://proxy:1080',
            'tls-server-name': 'api.internal',
          },
        },
        { name: 'cb', cluster: { server: 'https://b:6443', 'insecure-skip-tls-verify': true } },
      ],
      users: [
        { name: 'ua', user: { 'client-certificate-data': b64('CERT'), 'client-key-data': b64('KEY') } },
        { name: 'ub', user: { token: 'tok' } },
      ],
      contexts: [
        { name: 'a', context: { cluster: 'ca', user: 'ua', namespace: 'team' } },
        { name: 'b', context: { cluster: 'cb', user: 'ub' } },
      ],
    });
    const kc = Kubeconfig.load(p);
    const a = kc.credentials();
    expect(a.name).toBe('a');
    expect(a.server).toBe('https://10.0.0.1:6443');
    expect(a.caData?.toString()).toBe('CA-FROM-FILE');
    expect(a.certData?.toString()).toBe('CERT');
    expect(a.keyData?.toString()).toBe('KEY');
    expect(a.proxyUrl).toBe('socks5://proxy:1080');
    expect(a.tlsServerName).toBe('api.internal');
    expect(kc.namespace()).toBe('team');
    const b = kc.credentials('b');
    expect(b.token).toBe('tok');
    expect(b.disabledTLSValidations).toEqual(['*']);
    expect(kc.namespace('b')).toBe('default');
  });

  it('merges files like kubectl: the first file wins for a name and for current-context', () => {
    const dir = tmp();
    const one = kubeconfig(dir, 'one', {
      'current-context': 'x',
      clusters: [{ name: 'c', cluster: { server: 'https://one' } }],
      users: [{ name: 'u', user: {} }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    });
    const two = kubeconfig(dir, 'two', {
      'current-context': 'y',
      clusters: [
        { name: 'c', cluster: { server: 'https://two' } },
        { name: 'd', cluster: { server: 'https://d' } },
      ],
      contexts: [{ name: 'y', context: { cluster: 'd', user: 'u' } }],
    });
    const saved = process.env.KUBECONFIG;
    process.env.KUBECONFIG = `${one}${path.delimiter}${two}`;
    try {
      const kc = Kubeconfig.load();
      expect(kc.currentContext).toBe('x');
      expect(kc.credentials('x').server).toBe('https://one');
      expect(kc.credentials('y').server).toBe('https://d');
    } finally {
      if (saved === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = saved;
    }
  });

  it('names the missing context and the contexts it has', () => {
    const dir = tmp();
    const p = kubeconfig(dir, 'config', {
      clusters: [],
      users: [],
      contexts: [{ name: 'only', context: { cluster: 'c', user: 'u' } }],
    });
    expect(() => Kubeconfig.load(p).credentials('cluster9')).toThrow(
      `context "cluster9" not found in ${p} (contexts: only)`,
    );
    expect(() => Kubeconfig.load(path.join(dir, 'absent'))).toThrow(/no kubeconfig found/);
  });

  it('refuses legacy auth-provider users with the fix named', () => {
    const dir = tmp();
    const p = kubeconfig(dir, 'config', {
      clusters: [{ name: 'c', cluster: { server: 'https://c' } }],
      users: [{ name: 'u', user: { 'auth-provider': { name: 'gcp' } } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
    });
    expect(() => Kubeconfig.load(p).credentials('x')).toThrow(
      /legacy auth-provider, which is not supported; use an exec credential plugin/,
    );
  });
});

describe('TokenSource', () => {
  it('runs an exec credential plugin and caches its token until shortly before expiry', async () => {
    const dir = tmp();
    const counter = path.join(dir, 'count');
    const plugin = path.join(dir, 'plugin.sh');
    writeFileSync(
      plugin,
      `#!/bin/sh\necho x >> ${counter}\nn=$(wc -l < ${counter})\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t%s-%s","expirationTimestamp":"%s"}}' "$n" "$MYVAR" "$EXP"\n`,
    );
    chmodSync(plugin, 0o755);
    const far = new Date(Date.now() + 3_600_000).toISOString();
    const src = new TokenSource({
      name: 'c',
      exec: {
        command: plugin,
        env: [
          { name: 'MYVAR', value: 'v' },
          { name: 'EXP', value: far },
        ],
      },
    });
    expect(await src.token()).toBe('t1-v');
    expect(await src.token()).toBe('t1-v');
    src.invalidate();
    expect(await src.token()).toBe('t2-v');
    // A token expiring within 10 s is renewed at every use.
    const soon = new TokenSource({
      name: 'c',
      exec: { command: plugin, env: [{ name: 'EXP', value: new Date(Date.now() + 5000).toISOString() }] },
    });
    expect(await soon.token()).toBe('t3-');
    expect(await soon.token()).toBe('t4-');
  });

  it('names the plugin when it fails or prints no token', async () => {
    const src = new TokenSource({ name: 'c', exec: { command: '/bin/false' } });
    await expect(src.token()).rejects.toThrow('c: credential plugin "/bin/false" failed');
    const empty = new TokenSource({ name: 'c', exec: { command: '/bin/echo', args: ['{}'] } });
    await expect(empty.token()).rejects.toThrow(/returned no status.token/);
  });

  it('re-reads a token file after invalidation', async () => {
    const dir = tmp();
    const f = path.join(dir, 'token');
    writeFileSync(f, 'one\n');
    const src = new TokenSource({ name: 'c', tokenFile: f });
    expect(await src.token()).toBe('one');
    writeFileSync(f, 'two\n');
    expect(await src.token()).toBe('one');
    src.invalidate();
    expect(await src.token()).toBe('two');
  });
});
