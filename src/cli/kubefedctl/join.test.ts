/** Pure parts of join; join against real clusters is in test/integration/kubefedctl-join.test.ts. */
import { describe, expect, it } from 'vitest';
import { CliError } from './context.js';
import { checkMemberEndpoint, parseTokenTimeout } from './join.js';

describe('parseTokenTimeout', () => {
  it('is undefined when the flag is absent (join waits its default 30 s)', () => {
    expect(parseTokenTimeout(undefined)).toBeUndefined();
  });

  it('takes Go durations', () => {
    expect(parseTokenTimeout('3s')).toBe(3000);
    expect(parseTokenTimeout('1m30s')).toBe(90_000);
    expect(parseTokenTimeout('500ms')).toBe(500);
  });

  it('refuses anything else, naming the flag', () => {
    expect(() => parseTokenTimeout('3')).toThrow(CliError);
    expect(() => parseTokenTimeout('3')).toThrow('--token-timeout "3" is not a duration');
    expect(() => parseTokenTimeout('soon')).toThrow('is not a duration');
    expect(() => parseTokenTimeout('0s')).toThrow('--token-timeout must be at least 1ms, not "0s"');
  });
});

describe('checkMemberEndpoint', () => {
  const pem = Buffer.from(
    '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUb3KkXkTJ\n-----END CERTIFICATE-----\n',
  ).toString('base64');

  it('accepts what the control plane can use', () => {
    expect(() =>
      checkMemberEndpoint('cluster2', 'kube-federation-system', {
        server: 'https://127.0.0.1:6443',
        caData: pem,
        insecure: false,
      }),
    ).not.toThrow();
  });

  it('refuses, naming the field and the fix, an endpoint the KubeFedCluster webhook would refuse', () => {
    const refused = (endpoint: Parameters<typeof checkMemberEndpoint>[2]) => {
      try {
        checkMemberEndpoint('cluster2', 'kube-federation-system', endpoint);
      } catch (err) {
        expect(err).toBeInstanceOf(CliError);
        return (err as Error).message;
      }
      throw new Error('not refused');
    };
    const scheme = refused({ server: 'ftp://10.0.0.1', insecure: false });
    expect(scheme).toMatch(
      /^cannot join cluster "cluster2": .*spec\.apiEndpoint: .*scheme ftp is not supported/,
    );
    expect(scheme).toMatch(
      /Fix the cluster's server, certificate-authority-data or proxy-url in the kubeconfig$/,
    );
    expect(refused({ server: 'https://10.0.0.1', insecure: false, proxyUrl: '::nope' })).toMatch(
      /spec\.proxyURL/,
    );
  });
});
