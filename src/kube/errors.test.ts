import { describe, expect, it } from 'vitest';
import {
  errorFromResponse,
  errorFromTransport,
  isAlreadyExists,
  isConflict,
  isGone,
  isInvalid,
  isNotFound,
  isTooManyRequests,
} from './errors.js';

const ctx = { cluster: 'cluster2', method: 'POST', path: '/api/v1/namespaces/x/configmaps' };
const status = (code: number, reason: string, extra: object = {}) =>
  JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    status: 'Failure',
    code,
    reason,
    message: `${reason} happened`,
    ...extra,
  });

describe('errorFromResponse', () => {
  it.each([
    [404, 'NotFound', 'NotFound'],
    [409, 'AlreadyExists', 'AlreadyExists'],
    [409, 'Conflict', 'Conflict'],
    [403, 'Forbidden', 'Forbidden'],
    [401, 'Unauthorized', 'Unauthorized'],
    [410, 'Expired', 'Gone'],
    [410, 'Gone', 'Gone'],
    [422, 'Invalid', 'Invalid'],
    [429, 'TooManyRequests', 'TooManyRequests'],
    [504, 'Timeout', 'Timeout'],
    [500, 'InternalError', 'Internal'],
    [503, 'ServiceUnavailable', 'Unavailable'],
  ])('maps HTTP %d reason %s to %s', (code, reason, kind) => {
    expect(errorFromResponse(code, status(code, reason), ctx).kind).toBe(kind);
  });

  it('falls back to the HTTP code when the body is not a Status', () => {
    const e = errorFromResponse(404, '404 page not found', ctx);
    expect(isNotFound(e)).toBe(true);
    expect(e.message).toBe('cluster2: POST /api/v1/namespaces/x/configmaps: 404 page not found');
    expect(errorFromResponse(502, '', ctx).kind).toBe('Unavailable');
    expect(errorFromResponse(418, '', ctx).kind).toBe('Unknown');
  });

  it('keeps the field causes of an Invalid error', () => {
    const e = errorFromResponse(
      422,
      status(422, 'Invalid', {
        details: {
          name: 'web',
          kind: 'Deployment',
          causes: [{ reason: 'FieldValueInvalid', field: 'spec.replicas', message: 'must be >= 0' }],
        },
      }),
      ctx,
    );
    expect(isInvalid(e)).toBe(true);
    expect(e.causes).toEqual([
      { reason: 'FieldValueInvalid', field: 'spec.replicas', message: 'must be >= 0' },
    ]);
    expect(e.serverMessage).toBe('Invalid happened');
  });

  it('tells a create conflict (AlreadyExists) from an update conflict', () => {
    expect(isAlreadyExists(errorFromResponse(409, status(409, 'AlreadyExists'), ctx))).toBe(true);
    expect(isConflict(errorFromResponse(409, status(409, 'Conflict'), ctx))).toBe(true);
    expect(isConflict(errorFromResponse(409, status(409, 'AlreadyExists'), ctx))).toBe(false);
  });

  it('takes Retry-After from the header, else from the Status details', () => {
    expect(errorFromResponse(429, status(429, 'TooManyRequests'), ctx, '7').retryAfterSeconds).toBe(7);
    const fromBody = errorFromResponse(
      429,
      status(429, 'TooManyRequests', { details: { retryAfterSeconds: 3 } }),
      ctx,
    );
    expect(isTooManyRequests(fromBody)).toBe(true);
    expect(fromBody.retryAfterSeconds).toBe(3);
    expect(fromBody.retryable).toBe(true);
  });

  it('recognises a 410 inside a watch ERROR event', () => {
    expect(isGone(errorFromResponse(410, status(410, 'Expired'), { ...ctx, method: 'WATCH' }))).toBe(true);
  });
});

describe('errorFromTransport', () => {
  it('maps timeouts to Timeout and connection failures to Unavailable', () => {
    expect(
      errorFromTransport(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), ctx).kind,
    ).toBe('Timeout');
    expect(
      errorFromTransport(new DOMException('The operation was aborted due to timeout', 'TimeoutError'), ctx)
        .kind,
    ).toBe('Timeout');
    const refused = errorFromTransport(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      ctx,
    );
    expect(refused.kind).toBe('Unavailable');
    expect(refused.code).toBe(0);
    expect(refused.message).toContain('cannot reach the API server (ECONNREFUSED');
  });
});
