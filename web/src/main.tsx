/**
 * The KubeFed dashboard: Clusters, Types, Objects (the object x cluster matrix) and Object pages,
 * kept current by the server's snapshot stream. Routes live in the URL hash (#/objects, …) so the
 * server serves one page and links can be shared.
 */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Snapshot } from '../../src/dashboard/model.js';
import { followSnapshots, setToken, type StreamState } from './api.ts';
import { ClustersPage } from './clusters.tsx';
import { ObjectPage } from './object.tsx';
import { ObjectsPage } from './objects.tsx';
import { parseRoute, type Route } from './route.ts';
import './style.css';
import { TypesPage } from './types.tsx';

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return route;
}

function TokenForm({ state }: { state: Extract<StreamState, { kind: 'refused' }> }) {
  const [value, setValue] = useState('');
  return (
    <section class="panel" aria-labelledby="token-title">
      <h2 id="token-title">{state.error.status === 401 ? 'Sign in' : 'Not allowed'}</h2>
      <p role="alert">{state.error.message}</p>
      <p>
        This dashboard is exposed beyond loopback: give a bearer token of the host cluster whose user may list
        FederatedTypeConfigs in the KubeFed namespace (e.g. <code>kubectl create token NAME</code>). It is
        kept for this browser tab only.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setToken(value.trim());
          location.reload();
        }}
      >
        <label for="token">Bearer token</label>
        <input
          id="token"
          type="password"
          autocomplete="off"
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
          required
        />
        <button type="submit">Use token</button>
      </form>
    </section>
  );
}

const PAGES: { route: Route['page']; label: string; href: string }[] = [
  { route: 'clusters', label: 'Clusters', href: '#/clusters' },
  { route: 'types', label: 'Types', href: '#/types' },
  { route: 'objects', label: 'Objects', href: '#/objects' },
];

function App() {
  const route = useRoute();
  const [snapshot, setSnapshot] = useState<Snapshot | undefined>();
  const [stream, setStream] = useState<StreamState>({ kind: 'connecting' });

  useEffect(() => {
    const abort = new AbortController();
    void followSnapshots(setSnapshot, setStream, abort.signal);
    return () => abort.abort();
  }, []);

  useEffect(() => {
    const title = route.page === 'object' ? `${route.name} (${route.type})` : route.page;
    document.title = `${title[0]!.toUpperCase()}${title.slice(1)} · KubeFed dashboard`;
  }, [route]);

  const current = route.page === 'object' ? 'objects' : route.page;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">KubeFed</span>
        <nav aria-label="Pages">
          {PAGES.map((p) => (
            <a href={p.href} aria-current={current === p.route ? 'page' : undefined}>
              {p.label}
            </a>
          ))}
        </nav>
        <span class={`live live-${stream.kind}`} role="status" aria-live="polite">
          {stream.kind === 'live'
            ? 'Live'
            : stream.kind === 'connecting'
              ? 'Connecting…'
              : stream.kind === 'reconnecting'
                ? 'Reconnecting…'
                : 'Signed out'}
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        {snapshot && !snapshot.manager.ready && (
          <p class="banner" role="status">
            Control plane not ready: {snapshot.manager.detail}
          </p>
        )}
        {snapshot?.manager.ready && snapshot.manager.detail !== 'ok' && (
          <p class="banner" role="status">
            {snapshot.manager.detail}: this replica's caches are not running; open the dashboard of the
            leading replica.
          </p>
        )}
        {stream.kind === 'refused' ? (
          <TokenForm state={stream} />
        ) : !snapshot ? (
          <p>Loading…</p>
        ) : route.page === 'clusters' ? (
          <ClustersPage snapshot={snapshot} />
        ) : route.page === 'types' ? (
          <TypesPage snapshot={snapshot} />
        ) : route.page === 'objects' ? (
          <ObjectsPage snapshot={snapshot} filter={route.filter} />
        ) : (
          // Keyed by the object: another object's details must never show under this one's title.
          <ObjectPage
            key={`${route.type}/${route.namespace ?? ''}/${route.name}`}
            snapshot={snapshot}
            route={route}
          />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
