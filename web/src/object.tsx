/**
 * Object: one federated object: per-cluster status (with remoteStatus), the RSP split, template,
 * placement, overrides, the member object per cluster, and recent Events. Read again when its
 * row of the live snapshot changes (at most once a second).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ObjectDetail, Snapshot } from '../../src/dashboard/model.js';
import { AccessError, fetchObject } from './api.ts';
import { Ago, Json, StateBadge } from './format.tsx';
import type { Route } from './route.ts';

type ObjectRoute = Extract<Route, { page: 'object' }>;

export function ObjectPage({ snapshot, route }: { snapshot: Snapshot; route: ObjectRoute }) {
  const summary = snapshot.objects.find(
    (o) => o.type === route.type && o.name === route.name && o.namespace === route.namespace,
  );
  const version = JSON.stringify(summary ?? null);
  const [detail, setDetail] = useState<ObjectDetail | undefined>();
  const [error, setError] = useState<string | undefined>();
  const last = useRef(0);

  useEffect(() => {
    const abort = new AbortController();
    const wait = Math.max(0, last.current + 1000 - Date.now());
    const timer = setTimeout(() => {
      last.current = Date.now();
      fetchObject(route.type, route.namespace, route.name, abort.signal).then(
        (d) => {
          setDetail(d);
          setError(undefined);
        },
        (err: Error) => {
          if (abort.signal.aborted) return;
          setError(err instanceof AccessError ? `${err.status}: ${err.message}` : err.message);
          setDetail(undefined);
        },
      );
    }, wait);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [route.type, route.namespace, route.name, version]);

  const title = `${route.namespace ? `${route.namespace}/` : ''}${route.name}`;
  return (
    <article aria-labelledby="object-title">
      <p class="small">
        <a href="#/objects">← Objects</a>
      </p>
      <h1 id="object-title">
        {title} <span class="muted small">{summary?.kind ?? route.type}</span>
      </h1>
      {error && <p role="alert">{error}</p>}
      {!detail && !error && <p>Loading…</p>}
      {detail && <Detail detail={detail} />}
    </article>
  );
}

function Detail({ detail }: { detail: ObjectDetail }) {
  const { summary } = detail;
  const status = new Map(
    (detail.clusterStatus as { name: string; status?: string; remoteStatus?: unknown }[]).map((c) => [
      c.name,
      c,
    ]),
  );
  return (
    <>
      <p>
        <StateBadge state={summary.state} /> Propagation {summary.propagation?.status ?? 'not observed yet'}
        {summary.propagation?.reason && ` (${summary.propagation.reason})`}
        {summary.ready && ` · ready ${summary.ready}`} · generation {detail.generation ?? '–'}, observed{' '}
        {detail.observedGeneration ?? '–'}
      </p>
      {detail.redacted && <p class="banner">Secret values are shown as (redacted).</p>}

      <section aria-labelledby="per-cluster">
        <h2 id="per-cluster">Per cluster</h2>
        {summary.cells.length === 0 ? (
          <p>{summary.propagation?.message ?? 'Not placed in any cluster.'}</p>
        ) : (
          <div class="scroll">
            <table class="list">
              <thead>
                <tr>
                  <th scope="col">Cluster</th>
                  <th scope="col">State</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Message</th>
                  <th scope="col">Remote status</th>
                </tr>
              </thead>
              <tbody>
                {summary.cells.map((c) => {
                  const remote = status.get(c.cluster)?.remoteStatus;
                  return (
                    <tr data-cluster={c.cluster} data-state={c.state}>
                      <th scope="row">{c.cluster}</th>
                      <td>
                        <StateBadge state={c.state} />
                      </td>
                      <td>{c.reason ?? <span class="muted">–</span>}</td>
                      <td class="detail">{c.message ?? <span class="muted">–</span>}</td>
                      <td>
                        {remote === undefined ? (
                          <span class="muted">–</span>
                        ) : (
                          <Json value={remote} label={`remote status in ${c.cluster}`} />
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {detail.rsp && (
        <section aria-labelledby="rsp">
          <h2 id="rsp">Replica scheduling</h2>
          <p>
            ReplicaSchedulingPreference <code>{detail.rsp.name}</code>: {detail.rsp.totalReplicas} replicas
            {detail.rsp.rebalance ? ', rebalanced' : ''}
            {detail.rsp.condition &&
              ` · ${detail.rsp.condition.reason ?? detail.rsp.condition.status}${detail.rsp.condition.message ? `: ${detail.rsp.condition.message}` : ''}`}
          </p>
          <div class="scroll">
            <table class="list" data-testid="rsp">
              <thead>
                <tr>
                  <th scope="col">Cluster</th>
                  <th scope="col">Preference</th>
                  <th scope="col">Replicas</th>
                  <th scope="col">Ready</th>
                  <th scope="col">Why</th>
                </tr>
              </thead>
              <tbody>
                {detail.rsp.clusters.map((c) => {
                  const p = detail.rsp!.preferences[c.name] ?? detail.rsp!.preferences['*'];
                  return (
                    <tr data-cluster={c.name}>
                      <th scope="row">{c.name}</th>
                      <td class="small">
                        {p
                          ? [
                              p.weight !== undefined && `weight ${p.weight}`,
                              p.minReplicas !== undefined && `min ${p.minReplicas}`,
                              p.maxReplicas !== undefined && `max ${p.maxReplicas}`,
                            ]
                              .filter(Boolean)
                              .join(', ')
                          : '–'}
                      </td>
                      <td>{c.replicas}</td>
                      <td>{c.readyReplicas ?? '–'}</td>
                      <td class="small">{c.reasons.join('; ') || '–'}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </section>
      )}

      <section aria-labelledby="spec">
        <h2 id="spec">Template, placement, overrides</h2>
        <div class="columns">
          <div>
            <h3>Template</h3>
            <Json value={detail.template} label="template" />
          </div>
          <div>
            <h3>Placement</h3>
            <Json value={detail.placement} label="placement" />
            <h3>Overrides</h3>
            <Json value={detail.overrides} label="overrides" />
          </div>
        </div>
      </section>

      <section aria-labelledby="members">
        <h2 id="members">In each cluster</h2>
        {detail.members.map((m) => (
          <details data-cluster={m.cluster}>
            <summary>
              {m.cluster}:{' '}
              {m.kind === 'found'
                ? 'the member object'
                : m.kind === 'absent'
                  ? 'not there'
                  : `unavailable (${m.message})`}
            </summary>
            {m.kind === 'found' && <Json value={m.object} label={`object in ${m.cluster}`} />}
          </details>
        ))}
      </section>

      <section aria-labelledby="events">
        <h2 id="events">Recent Events</h2>
        {detail.events.length === 0 ? (
          <p class="muted">No Events.</p>
        ) : (
          <div class="scroll">
            <table class="list">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Type</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Message</th>
                </tr>
              </thead>
              <tbody>
                {detail.events.map((e) => (
                  <tr class={e.type === 'Warning' ? 'warning' : ''}>
                    <td>
                      <Ago time={e.lastTimestamp} />
                      {e.count && e.count > 1 ? <span class="muted small"> ×{e.count}</span> : null}
                    </td>
                    <td>{e.type}</td>
                    <td>{e.reason}</td>
                    <td class="detail">{e.message}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
