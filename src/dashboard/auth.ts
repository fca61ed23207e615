/**
 * Who may see the dashboard. On a loopback address anyone who can reach it (the same machine, or
 * `kubectl port-forward`), as the metrics endpoint. On any other address every request needs
 * `Authorization: Bearer <token>`: the host authenticates the token (TokenReview) and says whether
 * its user may `list` FederatedTypeConfigs in the KubeFed namespace (SubjectAccessReview), i.e.
 * may already read what the dashboard shows. Answers are cached briefly per token (by its hash)
 * so that page views and reconnects do not each cost two API requests.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { ClusterClient } from '../kube/client.js';

export type AuthResult =
  | { kind: 'allowed'; user: string }
  | { kind: 'unauthenticated'; message: string }
  | { kind: 'forbidden'; user: string; message: string };

export interface Authorizer {
  review(authorization: string | undefined): Promise<AuthResult>;
}

/** Whether `host` is a loopback address (127.0.0.0/8, ::1, localhost): no token is asked there. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h === '::1') return true;
  return /^::ffff:127\./.test(h);
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

/** The resource a user must be allowed to `list` to see the dashboard. */
export function accessAttributes(namespace: string) {
  return { namespace, verb: 'list', group: 'core.kubefed.io', resource: 'federatedtypeconfigs' };
}

interface TokenReview {
  status?: {
    authenticated?: boolean;
    error?: string;
    user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  };
}

interface SubjectAccessReview {
  status?: { allowed?: boolean; denied?: boolean; reason?: string; evaluationError?: string };
}

const ALLOWED_TTL_MS = 60_000;
const DENIED_TTL_MS = 10_000;
const CACHE_MAX = 1_000;

/** TokenReview + SubjectAccessReview against the host cluster. */
export class KubeAuthorizer implements Authorizer {
  private readonly cache = new Map<string, { result: AuthResult; until: number }>();

  constructor(
    private readonly host: ClusterClient,
    private readonly namespace: string,
    private readonly now: () => number = Date.now,
  ) {}

  async review(authorization: string | undefined): Promise<AuthResult> {
    const token = bearerToken(authorization);
    if (!token)
      return {
        kind: 'unauthenticated',
        message: 'this dashboard is not on a loopback address: send Authorization: Bearer <token>',
      };
    const key = createHash('sha256').update(token).digest('hex');
    const cached = this.cache.get(key);
    if (cached && cached.until > this.now()) return cached.result;
    const result = await this.check(token);
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(key, {
      result,
      until: this.now() + (result.kind === 'allowed' ? ALLOWED_TTL_MS : DENIED_TTL_MS),
    });
    return result;
  }

  private async check(token: string): Promise<AuthResult> {
    const review = await this.host.request<TokenReview>({
      method: 'POST',
      path: '/apis/authentication.k8s.io/v1/tokenreviews',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
      timeoutMs: 10_000,
    });
    const user = review.status?.user;
    if (!review.status?.authenticated || !user?.username)
      return {
        kind: 'unauthenticated',
        message: `the host cluster did not accept the token${review.status?.error ? `: ${review.status.error}` : ''}`,
      };
    const attributes = accessAttributes(this.namespace);
    const sar = await this.host.request<SubjectAccessReview>({
      method: 'POST',
      path: '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          ...(user.uid ? { uid: user.uid } : {}),
          groups: user.groups ?? [],
          ...(user.extra ? { extra: user.extra } : {}),
          resourceAttributes: attributes,
        },
      },
      timeoutMs: 10_000,
    });
    if (sar.status?.allowed) return { kind: 'allowed', user: user.username };
    return {
      kind: 'forbidden',
      user: user.username,
      message: `${user.username} may not list federatedtypeconfigs.core.kubefed.io in namespace ${this.namespace}${sar.status?.reason ? `: ${sar.status.reason}` : ''}`,
    };
  }
}
