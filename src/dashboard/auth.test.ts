import { describe, expect, it } from 'vitest';
import { accessAttributes, bearerToken, isLoopback } from './auth.js';

describe('isLoopback', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])(
    '%s is loopback',
    (h) => {
      expect(isLoopback(h)).toBe(true);
    },
  );
  it.each(['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com', '128.0.0.1'])('%s is not', (h) => {
    expect(isLoopback(h)).toBe(false);
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.def', 'abc.def'],
    ['bearer   xyz', 'xyz'],
    ['Basic dXNlcjpwYXNz', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    [undefined, undefined],
  ])('%j -> %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});

describe('accessAttributes', () => {
  it('asks for list on FederatedTypeConfigs in the KubeFed namespace', () => {
    expect(accessAttributes('kube-federation-system')).toEqual({
      namespace: 'kube-federation-system',
      verb: 'list',
      group: 'core.kubefed.io',
      resource: 'federatedtypeconfigs',
    });
  });
});
