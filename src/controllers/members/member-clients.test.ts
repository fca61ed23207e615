import { describe, expect, it } from 'vitest';
import type { KubeFedCluster } from '../../api/core.js';
import type { KubeObject } from '../../kube/resource.js';
import { memberCredentials } from './member-clients.js';

const PEM_TEXT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function cluster(spec: Partial<KubeFedCluster['spec']>): KubeFedCluster {
  return {
    apiVersion: 'core.kubefed.io/v1beta1',
    kind: 'KubeFedCluster',
    metadata: { name: 'c2', namespace: 'kf' },
    spec: { apiEndpoint: 'https://10.0.0.2:6443', secretRef: { name: 'c2-token' }, ...spec },
  };
}

function secret(data: Record<string, string> | undefined): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'c2-token', namespace: 'kf' },
    ...(data ? { data } : {}),
  };
}

const token = (t: string) => Buffer.from(t).toString('base64');

describe('memberCredentials', () => {
  it('builds the credentials from the parsed spec and the Secret token', () => {
    expect(
      memberCredentials(
        cluster({
          caBundle: Buffer.from(PEM_TEXT).toString('base64'),
          disabledTLSValidations: ['SubjectName'],
          proxyURL: 'http://proxy:3128',
        }),
        secret({ token: token('abc\n') }),
      ),
    ).toEqual({
      kind: 'ok',
      credentials: {
        name: 'c2',
        server: 'https://10.0.0.2:6443',
        token: 'abc',
        caData: Buffer.from(PEM_TEXT),
        disabledTLSValidations: ['SubjectName'],
        proxyUrl: 'http://proxy:3128',
      },
    });
  });

  it('leaves out what the spec does not set (empty proxyURL, no TLS exceptions)', () => {
    expect(memberCredentials(cluster({ proxyURL: '' }), secret({ token: token('abc') }))).toEqual({
      kind: 'ok',
      credentials: { name: 'c2', server: 'https://10.0.0.2:6443', token: 'abc' },
    });
  });

  it.each<[string, KubeFedCluster, KubeObject | undefined, string]>([
    [
      'a spec the webhook refuses, in the webhook words',
      cluster({ proxyURL: 'ftp://p' }),
      secret({ token: token('abc') }),
      'spec.proxyURL: Unsupported value: "ftp://p": the scheme must be http, https or socks5',
    ],
    [
      'every invalid field',
      cluster({ apiEndpoint: '', disabledTLSValidations: ['*', 'SubjectName'] }),
      undefined,
      'spec.apiEndpoint: Required value: the API server address, e.g. https://10.0.0.1:6443; spec.disabledTLSValidations: Invalid value: "*" disables every TLS check and must be the only entry; remove the others',
    ],
    ['a missing Secret', cluster({}), undefined, 'secret kf/c2-token not found'],
    ['a Secret without data.token', cluster({}), secret({ ca: 'x' }), 'secret kf/c2-token has no data.token'],
    [
      'a Secret with an empty data.token',
      cluster({}),
      secret({ token: '' }),
      'secret kf/c2-token has an empty data.token',
    ],
  ])('says why the cluster is malformed: %s', (_, c, s, error) => {
    expect(memberCredentials(c, s)).toEqual({ kind: 'malformed', error });
  });
});
