/**
 * The connection settings a KubeFedCluster's spec holds (upstream v0.10 `ValidateKubeFedCluster`
 * plus what a client needs): one parser for the admission webhook, the controllers that build
 * member clients and kubefedctl, so a spec the webhook refuses is exactly a spec the controllers
 * report as ConfigMalformed, with the same words.
 *
 * Errors are `field: message` strings, like the other validators in src/api: the message says
 * what is wrong and what to write instead.
 */
import { TLS_VALIDATIONS } from './core.js';
import { subdomainProblem } from './names.js';

export type TLSValidation = (typeof TLS_VALIDATIONS)[number];

/** What a valid spec says about reaching the member cluster. */
export interface ClusterConnection {
  /** As written: host[:port], IP[:port] or an http(s) URL; https is meant without a scheme. */
  apiEndpoint: string;
  /** The Secret in the KubeFed namespace whose `data.token` is the bearer token. */
  secretName: string;
  /** The PEM CA certificates (decoded from `caBundle`); absent: the system roots. */
  caData?: Buffer;
  /** TLS checks to skip; `*` only ever alone. */
  disabledTLSValidations: TLSValidation[];
  /** An http, https or socks5 proxy URL; absent (or empty in the spec): a direct connection. */
  proxyURL?: string;
}

export type ClusterConnectionParse =
  { kind: 'ok'; connection: ClusterConnection } | { kind: 'invalid'; errors: string[] };

const PROXY_SCHEMES = ['http:', 'https:', 'socks5:'];
const SECRET_HINT = 'the Secret in the KubeFed namespace holding data.token';

/** Parses a KubeFedCluster's `spec` (any JSON, as admission or a cache gives it). */
export function parseClusterConnection(spec: unknown): ClusterConnectionParse {
  const errors: string[] = [];
  if (!isRecord(spec)) {
    return {
      kind: 'invalid',
      errors: ['spec: Required value: set spec.apiEndpoint and spec.secretRef.name'],
    };
  }
  const apiEndpoint = requiredString(
    errors,
    'spec.apiEndpoint',
    spec.apiEndpoint,
    'the API server address, e.g. https://10.0.0.1:6443',
  );
  const endpointError = apiEndpoint === undefined ? undefined : endpointProblem(apiEndpoint);
  if (endpointError) errors.push(`spec.apiEndpoint: ${endpointError}`);

  let secretName: string | undefined;
  if (!isRecord(spec.secretRef)) {
    errors.push(`spec.secretRef.name: Required value: ${SECRET_HINT}`);
  } else {
    secretName = requiredString(errors, 'spec.secretRef.name', spec.secretRef.name, SECRET_HINT);
    const nameError = secretName === undefined ? undefined : subdomainProblem(secretName);
    if (nameError) errors.push(`spec.secretRef.name: ${nameError}; name an existing Secret`);
  }

  let caData: Buffer | undefined;
  if (spec.caBundle !== undefined && spec.caBundle !== '') {
    caData = typeof spec.caBundle === 'string' ? pemOf(spec.caBundle) : undefined;
    if (!caData) {
      errors.push(
        'spec.caBundle: must be the base64 encoding of PEM CA certificates ("-----BEGIN CERTIFICATE-----…"); leave it empty to use the system roots',
      );
    }
  }

  const disabledTLSValidations = tlsValidations(errors, spec.disabledTLSValidations);

  let proxyURL: string | undefined;
  if (spec.proxyURL !== undefined && spec.proxyURL !== '') {
    const proxyError = typeof spec.proxyURL === 'string' ? proxyProblem(spec.proxyURL) : 'must be a string';
    if (proxyError) errors.push(`spec.proxyURL: ${proxyError}`);
    else proxyURL = spec.proxyURL as string;
  }

  if (errors.length > 0 || apiEndpoint === undefined || secretName === undefined) {
    return { kind: 'invalid', errors };
  }
  return {
    kind: 'ok',
    connection: {
      apiEndpoint,
      secretName,
      ...(caData ? { caData } : {}),
      disabledTLSValidations,
      ...(proxyURL ? { proxyURL } : {}),
    },
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `v` when it is a non-empty string; otherwise records `Required value: <hint>` on `field`. */
function requiredString(errors: string[], field: string, v: unknown, hint: string): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  errors.push(
    v === undefined || v === null || v === ''
      ? `${field}: Required value: ${hint}`
      : `${field}: must be a string: ${hint}`,
  );
  return undefined;
}

function tlsValidations(errors: string[], disabled: unknown): TLSValidation[] {
  if (disabled === undefined || disabled === null) return [];
  if (!Array.isArray(disabled)) {
    errors.push('spec.disabledTLSValidations: must be a list, e.g. ["SubjectName"]');
    return [];
  }
  const supported = TLS_VALIDATIONS.map((s) => JSON.stringify(s)).join(', ');
  const seen = new Set<unknown>();
  disabled.forEach((v: unknown, i) => {
    const at = `spec.disabledTLSValidations[${i}]`;
    if (v === undefined || v === '') errors.push(`${at}: Required value: set one of ${supported}`);
    else if (typeof v !== 'string' || !(TLS_VALIDATIONS as readonly string[]).includes(v))
      errors.push(`${at}: Unsupported value: ${JSON.stringify(v)}: supported values: ${supported}`);
    if (seen.has(v)) errors.push(`${at}: Duplicate value: ${JSON.stringify(v)}; list it once`);
    seen.add(v);
  });
  if (disabled.includes('*') && disabled.length > 1) {
    errors.push(
      'spec.disabledTLSValidations: Invalid value: "*" disables every TLS check and must be the only entry; remove the others',
    );
  }
  return disabled as TLSValidation[];
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

/** The decoded bundle when `b64` is base64 of something holding a PEM certificate. */
function pemOf(b64: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(b64)) return undefined;
  const data = Buffer.from(b64, 'base64');
  return data.toString('latin1').includes('-----BEGIN CERTIFICATE-----') ? data : undefined;
}
