import { describe, expect, it } from 'vitest';
import { validateKubeFedClusterSpec, validateKubeFedClusterStatus } from './validate-cluster.js';

const PEM = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64');
const valid = { apiEndpoint: 'https://127.0.0.1:6443', secretRef: { name: 'cluster2-abcde' } };

describe('validateKubeFedClusterSpec', () => {
  it.each([
    ['a URL', valid],
    ['host:port without scheme', { ...valid, apiEndpoint: '10.0.0.1:6443' }],
    ['a bare host name', { ...valid, apiEndpoint: 'api.example.com' }],
    ['a PEM CA bundle', { ...valid, caBundle: PEM }],
    ['"*" alone', { ...valid, disabledTLSValidations: ['*'] }],
    [
      'SubjectName and ValidityPeriod',
      { ...valid, disabledTLSValidations: ['SubjectName', 'ValidityPeriod'] },
    ],
    ['a socks5 proxy', { ...valid, proxyURL: 'socks5://proxy.example:1080' }],
    ['an empty proxyURL (upstream serializes it)', { ...valid, proxyURL: '' }],
  ])('accepts %s', (_, spec) => {
    expect(validateKubeFedClusterSpec(spec)).toEqual([]);
  });

  it.each([
    ['no spec', undefined, 'spec', /Required value/],
    [
      'no apiEndpoint',
      { secretRef: { name: 's' } },
      'spec.apiEndpoint',
      /Required value: the API server address/,
    ],
    [
      'an ftp endpoint',
      { ...valid, apiEndpoint: 'ftp://a.example' },
      'spec.apiEndpoint',
      /scheme ftp is not supported; use https/,
    ],
    [
      'an endpoint with a bad port',
      { ...valid, apiEndpoint: 'https://a.example:99999' },
      'spec.apiEndpoint',
      /must be host\[:port\]/,
    ],
    ['no secretRef', { apiEndpoint: 'https://a' }, 'spec.secretRef.name', /Required value/],
    ['an empty secret name', { ...valid, secretRef: { name: '' } }, 'spec.secretRef.name', /Required value/],
    [
      'an uppercase secret name',
      { ...valid, secretRef: { name: 'My_Secret' } },
      'spec.secretRef.name',
      /not a DNS-1123 subdomain/,
    ],
    [
      'a caBundle that is not PEM',
      { ...valid, caBundle: Buffer.from('hello').toString('base64') },
      'spec.caBundle',
      /base64 encoding of PEM CA certificates/,
    ],
    [
      '"*" with SubjectName',
      { ...valid, disabledTLSValidations: ['*', 'SubjectName'] },
      'spec.disabledTLSValidations',
      /must be the only entry/,
    ],
    [
      'an unknown TLS validation',
      { ...valid, disabledTLSValidations: ['Expiry'] },
      'spec.disabledTLSValidations[0]',
      /Unsupported value: "Expiry": supported values: "\*", "SubjectName", "ValidityPeriod"/,
    ],
    [
      'a duplicate TLS validation',
      { ...valid, disabledTLSValidations: ['SubjectName', 'SubjectName'] },
      'spec.disabledTLSValidations[1]',
      /Duplicate value/,
    ],
    [
      'an ftp proxy',
      { ...valid, proxyURL: 'ftp://proxy.example' },
      'spec.proxyURL',
      /scheme must be http, https or socks5/,
    ],
    [
      'a proxy that is not a URL',
      { ...valid, proxyURL: 'http://' },
      'spec.proxyURL',
      /must be a URL such as http:\/\/proxy.example:3128/,
    ],
  ])('refuses %s', (_, spec, field, message) => {
    const errors = validateKubeFedClusterSpec(spec);
    expect(errors).toContainEqual({ field, message: expect.stringMatching(message) as string });
  });
});

describe('validateKubeFedClusterStatus', () => {
  const probe = '2024-01-02T03:04:05Z';
  it('accepts the conditions the health controller writes, and no status', () => {
    expect(
      validateKubeFedClusterStatus({
        conditions: [{ type: 'Ready', status: 'True', reason: 'ClusterReady', lastProbeTime: probe }],
        kubernetesVersion: 'v1.34.0',
      }),
    ).toEqual([]);
    expect(
      validateKubeFedClusterStatus({
        conditions: [
          { type: 'Ready', status: 'False', lastProbeTime: probe },
          { type: 'Offline', status: 'False', lastProbeTime: probe },
        ],
      }),
    ).toEqual([]);
    expect(validateKubeFedClusterStatus(undefined)).toEqual([]);
  });

  it.each([
    [
      'an unknown type',
      { type: 'Healthy', status: 'True', lastProbeTime: probe },
      'status.conditions[0].type',
      /Unsupported value: "Healthy"/,
    ],
    [
      'an unknown status',
      { type: 'Ready', status: 'Yes', lastProbeTime: probe },
      'status.conditions[0].status',
      /supported values: "True", "False", "Unknown"/,
    ],
    [
      'no lastProbeTime',
      { type: 'Ready', status: 'True' },
      'status.conditions[0].lastProbeTime',
      /Required value/,
    ],
    [
      'a bad lastProbeTime',
      { type: 'Ready', status: 'True', lastProbeTime: 'yesterday' },
      'status.conditions[0].lastProbeTime',
      /RFC 3339/,
    ],
    ['no type', { status: 'True', lastProbeTime: probe }, 'status.conditions[0].type', /Required value/],
  ])('refuses a condition with %s', (_, condition, field, message) => {
    expect(validateKubeFedClusterStatus({ conditions: [condition] })).toContainEqual({
      field,
      message: expect.stringMatching(message) as string,
    });
  });

  it('refuses a condition type listed twice', () => {
    const c = { type: 'Ready', status: 'True', lastProbeTime: probe };
    expect(validateKubeFedClusterStatus({ conditions: [c, c] })).toEqual([
      { field: 'status.conditions[1].type', message: 'Duplicate value: "Ready"; keep one' },
    ]);
  });
});
