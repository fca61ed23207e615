import { describe, expect, it } from 'vitest';
import { parseClusterConnection, type ClusterConnection } from './kubefedcluster.js';

const PEM_TEXT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const PEM = Buffer.from(PEM_TEXT).toString('base64');
const valid = { apiEndpoint: 'https://127.0.0.1:6443', secretRef: { name: 'cluster2-abcde' } };
const parsedValid: ClusterConnection = {
  apiEndpoint: 'https://127.0.0.1:6443',
  secretName: 'cluster2-abcde',
  disabledTLSValidations: [],
};

describe('parseClusterConnection', () => {
  it.each<[string, unknown, ClusterConnection]>([
    ['an https URL and a Secret', valid, parsedValid],
    [
      'host:port without a scheme, kept as written (https is meant)',
      { ...valid, apiEndpoint: '10.0.0.1:6443' },
      { ...parsedValid, apiEndpoint: '10.0.0.1:6443' },
    ],
    [
      'a bare host name',
      { ...valid, apiEndpoint: 'api.example.com' },
      { ...parsedValid, apiEndpoint: 'api.example.com' },
    ],
    [
      'an http URL',
      { ...valid, apiEndpoint: 'http://127.0.0.1:8080' },
      { ...parsedValid, apiEndpoint: 'http://127.0.0.1:8080' },
    ],
    [
      'a PEM CA bundle, decoded',
      { ...valid, caBundle: PEM },
      { ...parsedValid, caData: Buffer.from(PEM_TEXT) },
    ],
    ['an empty caBundle (system roots)', { ...valid, caBundle: '' }, parsedValid],
    [
      '"*" alone',
      { ...valid, disabledTLSValidations: ['*'] },
      { ...parsedValid, disabledTLSValidations: ['*'] },
    ],
    [
      'SubjectName and ValidityPeriod',
      { ...valid, disabledTLSValidations: ['SubjectName', 'ValidityPeriod'] },
      { ...parsedValid, disabledTLSValidations: ['SubjectName', 'ValidityPeriod'] },
    ],
    ['a null disabledTLSValidations', { ...valid, disabledTLSValidations: null }, parsedValid],
    [
      'a socks5 proxy',
      { ...valid, proxyURL: 'socks5://proxy.example:1080' },
      { ...parsedValid, proxyURL: 'socks5://proxy.example:1080' },
    ],
    ['an empty proxyURL (upstream serializes it): no proxy', { ...valid, proxyURL: '' }, parsedValid],
  ])('accepts %s', (_, spec, connection) => {
    expect(parseClusterConnection(spec)).toEqual({ kind: 'ok', connection });
  });

  it.each<[string, unknown, string[]]>([
    ['no spec', undefined, ['spec: Required value: set spec.apiEndpoint and spec.secretRef.name']],
    [
      'no apiEndpoint',
      { secretRef: { name: 's' } },
      ['spec.apiEndpoint: Required value: the API server address, e.g. https://10.0.0.1:6443'],
    ],
    [
      'an empty apiEndpoint',
      { ...valid, apiEndpoint: '' },
      ['spec.apiEndpoint: Required value: the API server address, e.g. https://10.0.0.1:6443'],
    ],
    [
      'an apiEndpoint that is not a string',
      { ...valid, apiEndpoint: 6443 },
      ['spec.apiEndpoint: must be a string: the API server address, e.g. https://10.0.0.1:6443'],
    ],
    [
      'an ftp endpoint',
      { ...valid, apiEndpoint: 'ftp://a.example' },
      ['spec.apiEndpoint: Invalid value: "ftp://a.example": scheme ftp is not supported; use https://'],
    ],
    [
      'an endpoint with a bad port',
      { ...valid, apiEndpoint: 'https://a.example:99999' },
      [
        'spec.apiEndpoint: Invalid value: "https://a.example:99999": must be host[:port], IP[:port] or an https URL, e.g. https://10.0.0.1:6443',
      ],
    ],
    [
      'no secretRef',
      { apiEndpoint: 'https://a' },
      ['spec.secretRef.name: Required value: the Secret in the KubeFed namespace holding data.token'],
    ],
    [
      'an empty secret name',
      { ...valid, secretRef: { name: '' } },
      ['spec.secretRef.name: Required value: the Secret in the KubeFed namespace holding data.token'],
    ],
    [
      'a secret name that is not a DNS-1123 subdomain',
      { ...valid, secretRef: { name: 'My_Secret' } },
      [
        'spec.secretRef.name: "My_Secret" is not a DNS-1123 subdomain: use at most 253 lowercase letters, digits, "-" and ".", starting and ending with a letter or digit (e.g. example.com); name an existing Secret',
      ],
    ],
    [
      'a caBundle that is not PEM',
      { ...valid, caBundle: Buffer.from('hello').toString('base64') },
      [
        'spec.caBundle: must be the base64 encoding of PEM CA certificates ("-----BEGIN CERTIFICATE-----…"); leave it empty to use the system roots',
      ],
    ],
    [
      'a caBundle that is not base64',
      { ...valid, caBundle: `${PEM}!` },
      [
        'spec.caBundle: must be the base64 encoding of PEM CA certificates ("-----BEGIN CERTIFICATE-----…"); leave it empty to use the system roots',
      ],
    ],
    [
      'disabledTLSValidations that is not a list',
      { ...valid, disabledTLSValidations: 'SubjectName' },
      ['spec.disabledTLSValidations: must be a list, e.g. ["SubjectName"]'],
    ],
    [
      '"*" with SubjectName',
      { ...valid, disabledTLSValidations: ['*', 'SubjectName'] },
      [
        'spec.disabledTLSValidations: Invalid value: "*" disables every TLS check and must be the only entry; remove the others',
      ],
    ],
    [
      'an unknown TLS validation',
      { ...valid, disabledTLSValidations: ['Expiry'] },
      [
        'spec.disabledTLSValidations[0]: Unsupported value: "Expiry": supported values: "*", "SubjectName", "ValidityPeriod"',
      ],
    ],
    [
      'an empty TLS validation',
      { ...valid, disabledTLSValidations: [''] },
      ['spec.disabledTLSValidations[0]: Required value: set one of "*", "SubjectName", "ValidityPeriod"'],
    ],
    [
      'a duplicate TLS validation',
      { ...valid, disabledTLSValidations: ['SubjectName', 'SubjectName'] },
      ['spec.disabledTLSValidations[1]: Duplicate value: "SubjectName"; list it once'],
    ],
    [
      'an ftp proxy',
      { ...valid, proxyURL: 'ftp://proxy.example' },
      ['spec.proxyURL: Unsupported value: "ftp://proxy.example": the scheme must be http, https or socks5'],
    ],
    [
      'a proxy that is not a URL',
      { ...valid, proxyURL: 'http://' },
      ['spec.proxyURL: Invalid value: "http://": must be a URL such as http://proxy.example:3128'],
    ],
    ['a proxy that is not a string', { ...valid, proxyURL: 3128 }, ['spec.proxyURL: must be a string']],
    [
      'several fields at once, each named',
      { apiEndpoint: 'ftp://x', secretRef: {}, proxyURL: 'ftp://p' },
      [
        'spec.apiEndpoint: Invalid value: "ftp://x": scheme ftp is not supported; use https://',
        'spec.secretRef.name: Required value: the Secret in the KubeFed namespace holding data.token',
        'spec.proxyURL: Unsupported value: "ftp://p": the scheme must be http, https or socks5',
      ],
    ],
  ])('refuses %s, naming the field and the fix', (_, spec, errors) => {
    expect(parseClusterConnection(spec)).toEqual({ kind: 'invalid', errors });
  });
});
