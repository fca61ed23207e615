import { describe, expect, it } from 'vitest';
import {
  effectiveLogLevel,
  goStyleArgs,
  hostConnection,
  parseAddress,
  parseDashboardAddress,
  parseMaster,
  parseVerbosity,
  verbosityLogLevel,
  withMaster,
} from './controller-manager-flags.js';

describe('parseAddress', () => {
  it.each([
    ['127.0.0.1:9090', { host: '127.0.0.1', port: 9090 }],
    [':8080', { host: '0.0.0.0', port: 8080 }],
    ['8080', { host: '127.0.0.1', port: 8080 }],
    ['[::1]:0', { host: '::1', port: 0 }],
  ])('reads %s', (text, expected) => {
    expect(parseAddress(text)).toEqual(expected);
  });

  it.each(['localhost', '1.2.3.4:99999', ''])('refuses %j with an example', (text) => {
    expect(() => parseAddress(text)).toThrow(/is not host:port \(e\.g\. 127\.0\.0\.1:9090/);
  });
});

describe('parseDashboardAddress', () => {
  it.each([
    ['8090', { host: '127.0.0.1', port: 8090 }],
    [':8090', { host: '127.0.0.1', port: 8090 }],
    ['0.0.0.0:8090', { host: '0.0.0.0', port: 8090 }],
    ['[::1]:0', { host: '::1', port: 0 }],
  ])('reads %s (a bare port or :port stays on loopback)', (text, expected) => {
    expect(parseDashboardAddress(text)).toEqual(expected);
  });

  it.each(['localhost', '1.2.3.4:99999', ''])('refuses %j with an example', (text) => {
    expect(() => parseDashboardAddress(text)).toThrow(/is not a dashboard address: use a port/);
  });
});

describe('klog verbosity', () => {
  it.each([
    [0, 'info'],
    [1, 'info'],
    [2, 'debug'],
    [3, 'debug'],
    [4, 'trace'],
    [10, 'trace'],
  ])('maps --v=%i to %s', (v, level) => {
    expect(verbosityLogLevel(v)).toBe(level);
  });

  it('reads whole numbers only', () => {
    expect(parseVerbosity('2')).toBe(2);
    expect(parseVerbosity('0')).toBe(0);
    for (const bad of ['-1', '1.5', 'x', ''])
      expect(() => parseVerbosity(bad), bad).toThrow(/not a verbosity: use a whole number >= 0/);
  });

  it('lets an explicit --log-level win over --v, and --v win over the environment and default', () => {
    expect(effectiveLogLevel({ logLevel: 'warn', source: 'cli', v: 4 })).toBe('warn');
    expect(effectiveLogLevel({ logLevel: 'warn', source: 'env', v: 4 })).toBe('trace');
    expect(effectiveLogLevel({ logLevel: 'info', source: 'default', v: 2 })).toBe('debug');
    expect(effectiveLogLevel({ logLevel: 'error', source: 'env' })).toBe('error');
    expect(effectiveLogLevel({ logLevel: 'info', source: 'default' })).toBe('info');
  });
});

describe('hostConnection', () => {
  it('uses in-cluster credentials (else ~/.kube/config) when nothing is given', () => {
    expect(hostConnection({}, undefined)).toEqual({ kind: 'default' });
  });

  it('talks to --master alone without credentials', () => {
    expect(hostConnection({ master: 'https://10.0.0.1:6443' }, undefined)).toEqual({
      kind: 'master',
      master: 'https://10.0.0.1:6443',
    });
  });

  it("lets --master replace the server of --kubeconfig, --context or $KUBECONFIG's context", () => {
    expect(hostConnection({ kubeconfig: '/k', master: 'https://m:6443' }, undefined)).toEqual({
      kind: 'kubeconfig',
      path: '/k',
      master: 'https://m:6443',
    });
    expect(hostConnection({ context: 'c1' }, undefined)).toEqual({ kind: 'kubeconfig', context: 'c1' });
    expect(hostConnection({ master: 'https://m' }, '/env/kubeconfig')).toEqual({
      kind: 'kubeconfig',
      master: 'https://m',
    });
  });
});

describe('--master', () => {
  it('accepts http(s) URLs and host:port', () => {
    for (const ok of ['https://127.0.0.1:6443', 'http://localhost:8080', 'apiserver:6443'])
      expect(parseMaster(ok)).toBe(ok);
  });

  it('refuses what is no API server URL', () => {
    for (const bad of ['ftp://x', 'https://', '::'])
      expect(() => parseMaster(bad), bad).toThrow(/is not an API server URL \(e\.g\. https:/);
  });

  it('replaces the server and keeps the credentials', () => {
    const creds = { name: 'cluster1', server: 'https://old:1', token: 't', caData: Buffer.from('ca') };
    expect(withMaster(creds, 'https://new:6443')).toEqual({ ...creds, server: 'https://new:6443' });
  });

  it("picks the scheme of a bare host:port from the TLS settings, as client-go's DefaultServerURL", () => {
    expect(withMaster({ name: 'host' }, 'm:8080').server).toBe('http://m:8080');
    expect(withMaster({ name: 'h', token: 't' }, 'm:8080').server).toBe('http://m:8080');
    expect(withMaster({ name: 'h', caData: Buffer.from('ca') }, 'm:6443').server).toBe('https://m:6443');
    expect(withMaster({ name: 'h', disabledTLSValidations: ['*'] }, 'm:6443').server).toBe('https://m:6443');
  });
});

describe('goStyleArgs', () => {
  const options = new Map([
    ['--kubeconfig', true],
    ['--v', true],
    ['--identity', true],
    ['--no-leader-elect', false],
    ['--help', false],
  ]);

  it('turns Go flag spellings of known long options into commander ones', () => {
    expect(
      goStyleArgs(
        ['-kubeconfig=/k', '-v=2', '-v', '3', '-kubeconfig', '/x', '-no-leader-elect', '-help'],
        options,
      ),
    ).toEqual(['--kubeconfig=/k', '--v=2', '--v', '3', '--kubeconfig', '/x', '--no-leader-elect', '--help']);
  });

  it('leaves commander spellings, unknown options, short options and values alone', () => {
    const args = [
      '--kubeconfig=/k',
      '--v',
      '2',
      '-h',
      '-unknown=1',
      '--identity',
      '-kubeconfig',
      'positional',
    ];
    expect(goStyleArgs(args, options)).toEqual(args);
  });

  it('stops at --', () => {
    expect(goStyleArgs(['-v=1', '--', '-v=2'], options)).toEqual(['--v=1', '--', '-v=2']);
  });
});
