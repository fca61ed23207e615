/**
 * Talking to the dashboard server: the bearer token (kept for this tab only), JSON requests, and
 * the live stream. The stream is read with fetch rather than EventSource because EventSource cannot
 * send an Authorization header (and a token in the URL would end up in logs).
 */
import type { ObjectDetail, Snapshot } from '../../src/dashboard/model.js';

const TOKEN_KEY = 'kubefed-dashboard-token';

export function getToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function setToken(token: string | undefined): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

function headers(): HeadersInit {
  const token = getToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** A refusal of the server: 401 (no or bad token) or 403 (the token's user may not see this). */
export class AccessError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

async function failure(res: Response): Promise<Error> {
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { message?: string };
    if (body.message) message = body.message;
  } catch {
    /* not JSON */
  }
  return res.status === 401 || res.status === 403 ? new AccessError(res.status, message) : new Error(message);
}

export async function fetchObject(
  type: string,
  namespace: string | undefined,
  name: string,
  signal?: AbortSignal,
): Promise<ObjectDetail> {
  const path = ['objects', type, namespace ?? '_', name].map(encodeURIComponent).join('/');
  const res = await fetch(`api/${path}`, { headers: headers(), ...(signal ? { signal } : {}) });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as ObjectDetail;
}

export type StreamState =
  | { kind: 'connecting' }
  | { kind: 'live' }
  | { kind: 'reconnecting'; message: string }
  | { kind: 'refused'; error: AccessError };

/**
 * Follows `api/events` until `signal` aborts: every `snapshot` event goes to `onSnapshot`; a lost
 * connection is retried after 2 s; a 401/403 stops and is reported (the user must give a token).
 */
export async function followSnapshots(
  onSnapshot: (s: Snapshot) => void,
  onState: (s: StreamState) => void,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const res = await fetch('api/events', { headers: headers(), signal, cache: 'no-store' });
      if (!res.ok || !res.body) throw await failure(res);
      onState({ kind: 'live' });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (event === 'snapshot' && data) onSnapshot(JSON.parse(data) as Snapshot);
        }
      }
      throw new Error('the server closed the stream');
    } catch (err) {
      if (signal.aborted) return;
      if (err instanceof AccessError) {
        onState({ kind: 'refused', error: err });
        return;
      }
      onState({ kind: 'reconnecting', message: (err as Error).message });
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}
