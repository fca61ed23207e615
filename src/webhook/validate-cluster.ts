/**
 * KubeFedCluster admission rules (upstream v0.10 `ValidateKubeFedCluster`): the spec must let the
 * control plane build a client, and status writes (the `/status` subresource) must carry known
 * conditions with a probe time.
 */
import { CLUSTER_CONDITION_TYPES, TLS_VALIDATIONS } from '../api/core.js';
import { FieldErrors, isRecord, subdomainProblem, type FieldError } from './validation.js';

const PROXY_SCHEMES = ['http:', 'https:', 'socks5:'];

export function validateKubeFedClusterSpec(spec: unknown): FieldError[] {
  const errs = new FieldErrors();
  if (!isRecord(spec)) {
    errs.add('spec', 'Required value: set spec.apiEndpoint and spec.secretRef.name');
    return errs.list;
  }
  const endpoint = errs.requiredString(
    'spec.apiEndpoint',
    spec.apiEndpoint,
    'the API server address, e.g. https://10.0.0.1:6443',
  );
  if (endpoint !== undefined) {
    const problem = endpointProblem(endpoint);
    if (problem) errs.add('spec.apiEndpoint', problem);
  }
  const secretRef = spec.secretRef;
  if (!isRecord(secretRef)) {
    errs.add('spec.secretRef.name', 'Required value: the Secret in the KubeFed namespace holding data.token');
  } else {
    const name = errs.requiredString(
      'spec.secretRef.name',
      secretRef.name,
      'the Secret in the KubeFed namespace holding data.token',
    );
    const problem = name === undefined ? undefined : subdomainProblem(name);
    if (problem) errs.add('spec.secretRef.name', `${problem}; name an existing Secret`);
  }
  if (spec.caBundle !== undefined && spec.caBundle !== '') {
    if (typeof spec.caBundle !== 'string' || !decodesToPem(spec.caBundle)) {
      errs.add(
        'spec.caBundle',
        'must be the base64 encoding of PEM CA certificates ("-----BEGIN CERTIFICATE-----…"); leave it empty to use the system roots',
      );
    }
  }
  const disabled = spec.disabledTLSValidations;
  if (disabled !== undefined && disabled !== null) {
    if (!Array.isArray(disabled)) {
      errs.add('spec.disabledTLSValidations', 'must be a list, e.g. ["SubjectName"]');
    } else {
      const seen = new Set<unknown>();
      disabled.forEach((v: unknown, i) => {
        const at = `spec.disabledTLSValidations[${i}]`;
        errs.oneOf(at, v, TLS_VALIDATIONS, true);
        if (seen.has(v)) errs.add(at, `Duplicate value: ${JSON.stringify(v)}; list it once`);
        seen.add(v);
      });
      if (disabled.includes('*') && disabled.length > 1) {
        errs.add(
          'spec.disabledTLSValidations',
          'Invalid value: "*" disables every TLS check and must be the only entry; remove the others',
        );
      }
    }
  }
  if (spec.proxyURL !== undefined && spec.proxyURL !== '') {
    const problem = typeof spec.proxyURL === 'string' ? proxyProblem(spec.proxyURL) : 'must be a string';
    if (problem) errs.add('spec.proxyURL', problem);
  }
  return errs.list;
}

/** Rules for writes through `/status`: every condition has a known type, a status and a probe time. */
export function validateKubeFedClusterStatus(status: unknown): FieldError[] {
  const errs = new FieldErrors();
  if (status === undefined || status === null) return [];
  if (!isRecord(status)) {
    errs.add('status', 'must be an object with conditions');
    return errs.list;
  }
  const conditions = status.conditions;
  if (conditions === undefined || conditions === null) return [];
  if (!Array.isArray(conditions)) {
    errs.add('status.conditions', 'must be a list of conditions');
    return errs.list;
  }
  const seen = new Set<unknown>();
  conditions.forEach((c: unknown, i) => {
    const at = `status.conditions[${i}]`;
    if (!isRecord(c)) {
      errs.add(at, 'must be an object with type, status and lastProbeTime');
      return;
    }
    errs.oneOf(`${at}.type`, c.type, CLUSTER_CONDITION_TYPES, true);
    if (seen.has(c.type)) errs.add(`${at}.type`, `Duplicate value: ${JSON.stringify(c.type)}; keep one`);
    seen.add(c.type);
    errs.oneOf(`${at}.status`, c.status, ['True', 'False', 'Unknown'], true);
    if (c.lastProbeTime === undefined || c.lastProbeTime === null || c.lastProbeTime === '') {
      errs.add(
        `${at}.lastProbeTime`,
        'Required value: the RFC 3339 time of the probe, e.g. 2024-01-02T03:04:05Z',
      );
    } else if (typeof c.lastProbeTime !== 'string' || Number.isNaN(Date.parse(c.lastProbeTime))) {
      errs.add(
        `${at}.lastProbeTime`,
        `Invalid value: ${JSON.stringify(c.lastProbeTime)}: must be an RFC 3339 time, e.g. 2024-01-02T03:04:05Z`,
      );
    }
  });
  return errs.list;
}

function endpointProblem(endpoint: string): string | undefined {
  const hasScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(endpoint);
  let url: URL;
  try {
    url = new URL(hasScheme ? endpoint : `https://${endpoint}`);
  } catch {
    return `Invalid value: ${JSON.stringify(endpoint)}: must be host[:port], IP[:port] or an https URL, e.g. https://10.0.0.1:6443`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return `Invalid value: ${JSON.stringify(endpoint)}: scheme ${url.protocol.slice(0, -1)} is not supported; use https://`;
  }
  if (url.hostname === '') return `Invalid value: ${JSON.stringify(endpoint)}: has no host`;
  return undefined;
}

function proxyProblem(proxy: string): string | undefined {
  let url: URL;
  try {
    url = new URL(proxy);
  } catch {
    return `Invalid value: ${JSON.stringify(proxy)}: must be a URL such as http://proxy.example:3128`;
  }
  if (!PROXY_SCHEMES.includes(url.protocol)) {
    return `Unsupported value: ${JSON.stringify(proxy)}: the scheme must be http, https or socks5`;
  }
  if (url.hostname === '') return `Invalid value: ${JSON.stringify(proxy)}: has no host`;
  return undefined;
}

function decodesToPem(b64: string): boolean {
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(b64)) return false;
  return Buffer.from(b64, 'base64').toString('latin1').includes('-----BEGIN CERTIFICATE-----');
}
