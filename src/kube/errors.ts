/**
 * Errors from Kubernetes API servers, mapped once here to types callers branch on (never on text).
 * The mapping follows apimachinery's `k8s.io/apimachinery/pkg/api/errors`: the Status object's
 * `reason` wins, the HTTP code decides when the body carries none.
 */

/** A field-level cause of an Invalid (422) error, e.g. `{field: 'spec.replicas', message: …}`. */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

/** The `metav1.Status` body an API server returns with an error. */
export interface KubeStatus {
  kind?: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: StatusCause[];
    retryAfterSeconds?: number;
  };
}

/** Where a failed request went: enough to say which cluster and call failed. */
export interface RequestContext {
  cluster: string;
  method: string;
  path: string;
}

export type ErrorKind =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Invalid'
  | 'TooManyRequests'
  | 'Timeout'
  | 'Unavailable'
  | 'Internal'
  | 'Unknown';

export class KubeError extends Error {
  override name = 'KubeError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly context: RequestContext,
    /** HTTP status code; 0 when the request never got a response (connection, timeout). */
    readonly code: number,
    readonly status?: KubeStatus,
    options?: { cause?: unknown },
  ) {
    super(`${context.cluster}: ${context.method} ${context.path}: ${message}`, options);
  }

  /** The server's message alone, without the cluster/request prefix. */
  get serverMessage(): string {
    return this.status?.message ?? this.message;
  }

  get causes(): StatusCause[] {
    return this.status?.details?.causes ?? [];
  }

  /** Seconds the server asked us to wait (429/503 Retry-After or Status details). */
  get retryAfterSeconds(): number | undefined {
    return this.status?.details?.retryAfterSeconds;
  }

  /** Worth retrying as is (after a delay): the request may succeed later. */
  get retryable(): boolean {
    return (
      this.kind === 'TooManyRequests' ||
      this.kind === 'Timeout' ||
      this.kind === 'Unavailable' ||
      this.kind === 'Internal' ||
      this.kind === 'Conflict'
    );
  }
}

const is =
  (kind: ErrorKind) =>
  (err: unknown): err is KubeError =>
    err instanceof KubeError && err.kind === kind;
export const isNotFound = is('NotFound');
export const isAlreadyExists = is('AlreadyExists');
export const isConflict = is('Conflict');
export const isForbidden = is('Forbidden');
export const isUnauthorized = is('Unauthorized');
export const isInvalid = is('Invalid');
export const isGone = is('Gone');
export const isTooManyRequests = is('TooManyRequests');
export const isTimeout = is('Timeout');
export const isUnavailable = is('Unavailable');

const REASON_KIND: Record<string, ErrorKind> = {
  BadRequest: 'BadRequest',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  NotFound: 'NotFound',
  MethodNotAllowed: 'MethodNotAllowed',
  AlreadyExists: 'AlreadyExists',
  Conflict: 'Conflict',
  Gone: 'Gone',
  Expired: 'Gone',
  Invalid: 'Invalid',
  TooManyRequests: 'TooManyRequests',
  Timeout: 'Timeout',
  ServerTimeout: 'Timeout',
  ServiceUnavailable: 'Unavailable',
  InternalError: 'Internal',
};

function kindFromCode(code: number): ErrorKind {
  switch (code) {
    case 400:
      return 'BadRequest';
    case 401:
      return 'Unauthorized';
    case 403:
      return 'Forbidden';
    case 404:
      return 'NotFound';
    case 405:
      return 'MethodNotAllowed';
    case 409:
      return 'Conflict';
    case 410:
      return 'Gone';
    case 422:
      return 'Invalid';
    case 429:
      return 'TooManyRequests';
    case 504:
      return 'Timeout';
    case 502:
    case 503:
      return 'Unavailable';
    default:
      return code >= 500 ? 'Internal' : 'Unknown';
  }
}

/** Maps an HTTP error response (status code, raw body, Retry-After header) to a {@link KubeError}. */
export function errorFromResponse(
  code: number,
  body: string,
  context: RequestContext,
  retryAfterHeader?: string,
): KubeError {
  let status: KubeStatus | undefined;
  try {
    const parsed = JSON.parse(body) as KubeStatus;
    if (parsed && typeof parsed === 'object' && parsed.kind === 'Status') status = parsed;
  } catch {
    /* not JSON: a proxy or a plain-text error */
  }
  const retryAfter = retryAfterHeader !== undefined ? Number.parseInt(retryAfterHeader, 10) : Number.NaN;
  if (Number.isFinite(retryAfter) && retryAfter >= 0) {
    status = { ...(status ?? {}), details: { ...(status?.details ?? {}), retryAfterSeconds: retryAfter } };
  }
  const byReason = status?.reason ? REASON_KIND[status.reason] : undefined;
  // 409 with reason AlreadyExists is the create case; other 409s are update conflicts.
  const kind = byReason ?? kindFromCode(code);
  const message = status?.message ?? (body.trim().slice(0, 500) || `HTTP ${code}`);
  return new KubeError(kind, message, context, code, status);
}

/** Maps a transport failure (no HTTP response) to Timeout or Unavailable. */
export function errorFromTransport(err: unknown, context: RequestContext): KubeError {
  const e = err as { name?: string; code?: string; message?: string };
  const timeout =
    e.name === 'TimeoutError' ||
    e.name === 'AbortError' ||
    e.code === 'UND_ERR_HEADERS_TIMEOUT' ||
    e.code === 'UND_ERR_BODY_TIMEOUT' ||
    e.code === 'UND_ERR_CONNECT_TIMEOUT' ||
    e.code === 'ETIMEDOUT';
  const detail = e.code ? `${e.code}: ${e.message ?? ''}` : (e.message ?? String(err));
  return new KubeError(
    timeout ? 'Timeout' : 'Unavailable',
    timeout ? `request timed out (${detail})` : `cannot reach the API server (${detail})`,
    context,
    0,
    undefined,
    { cause: err },
  );
}
