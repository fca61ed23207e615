/** The page a URL hash names: `#/clusters`, `#/types`, `#/objects?…filters`, `#/object/<type>/<ns|_>/<name>`. */
import type { CellState } from '../../src/dashboard/model.js';
import type { ObjectFilter } from '../../src/dashboard/view.ts';

export type Route =
  | { page: 'clusters' }
  | { page: 'types' }
  | { page: 'objects'; filter: ObjectFilter }
  | { page: 'object'; type: string; namespace?: string; name: string };

const STATES: readonly CellState[] = ['propagated', 'pending', 'error'];

export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'clusters') return { page: 'clusters' };
  if (parts[0] === 'types') return { page: 'types' };
  if (parts[0] === 'object' && parts.length === 4) {
    const [, type, ns, name] = parts as [string, string, string, string];
    return { page: 'object', type, ...(ns !== '_' ? { namespace: ns } : {}), name };
  }
  const params = new URLSearchParams(query);
  const state = params.get('state') as CellState | null;
  const filter: ObjectFilter = {
    ...(params.get('namespace') ? { namespace: params.get('namespace')! } : {}),
    ...(params.get('type') ? { type: params.get('type')! } : {}),
    ...(state && STATES.includes(state) ? { state } : {}),
    ...(params.get('q') ? { text: params.get('q')! } : {}),
  };
  return { page: 'objects', filter };
}

export function objectsHref(filter: ObjectFilter): string {
  const params = new URLSearchParams();
  if (filter.namespace) params.set('namespace', filter.namespace);
  if (filter.type) params.set('type', filter.type);
  if (filter.state) params.set('state', filter.state);
  if (filter.text) params.set('q', filter.text);
  const q = params.toString();
  return `#/objects${q ? `?${q}` : ''}`;
}

export function objectHref(o: { type: string; namespace?: string | undefined; name: string }): string {
  return `#/object/${[o.type, o.namespace ?? '_', o.name].map(encodeURIComponent).join('/')}`;
}
