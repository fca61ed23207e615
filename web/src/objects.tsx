/**
 * Objects: every federated object as a row of the object x cluster matrix, each cell coloured and
 * labelled by its state (propagated, pending, error with the reason); filters by namespace, type,
 * state and name, kept in the URL.
 */
import { useEffect, useState } from 'preact/hooks';
import type { MatrixCell, ObjectSummary, Snapshot } from '../../src/dashboard/model.js';
import { filterObjects, type ObjectFilter } from '../../src/dashboard/view.ts';
import { StateBadge } from './format.tsx';
import { objectHref, objectsHref } from './route.ts';

function Cell({
  object,
  cell,
  cluster,
}: {
  object: ObjectSummary;
  cell?: MatrixCell | undefined;
  cluster: string;
}) {
  const key = `${object.namespace ? `${object.namespace}/` : ''}${object.name}`;
  if (!cell)
    return (
      <td
        class="cell cell-none"
        data-object={key}
        data-type={object.type}
        data-cluster={cluster}
        data-state="none"
      >
        <span class="sr-only">not placed</span>
      </td>
    );
  return (
    <td
      class={`cell cell-${cell.state}`}
      data-object={key}
      data-type={object.type}
      data-cluster={cluster}
      data-state={cell.state}
      title={cell.message ?? cell.reason ?? cell.state}
    >
      <span class="cell-state">
        {cell.state === 'propagated' ? '✓ ' : cell.state === 'error' ? '✕ ' : '… '}
        {cell.state}
      </span>
      {cell.reason && <span class="cell-reason">{cell.reason}</span>}
    </td>
  );
}

export function ObjectsPage({ snapshot, filter: initial }: { snapshot: Snapshot; filter: ObjectFilter }) {
  const [filter, setFilter] = useState<ObjectFilter>(initial);
  useEffect(() => setFilter(initial), [JSON.stringify(initial)]);
  const update = (change: Partial<ObjectFilter>) => {
    const next = { ...filter, ...change };
    for (const k of Object.keys(next) as (keyof ObjectFilter)[]) if (!next[k]) delete next[k];
    setFilter(next);
    history.replaceState(null, '', objectsHref(next));
  };
  const namespaces = [
    ...new Set(snapshot.objects.map((o) => o.namespace).filter((n): n is string => !!n)),
  ].sort();
  const clusters = [
    ...new Set([
      ...snapshot.clusters.map((c) => c.name),
      ...snapshot.objects.flatMap((o) => o.cells.map((c) => c.cluster)),
    ]),
  ].sort();
  const shown = filterObjects(snapshot.objects, filter);
  const counts = { propagated: 0, pending: 0, error: 0 };
  for (const o of snapshot.objects) counts[o.state]++;

  return (
    <section aria-labelledby="objects-title">
      <h1 id="objects-title">Objects</h1>
      <p class="muted">
        {snapshot.objects.length} federated objects: {counts.propagated} propagated, {counts.pending} pending,{' '}
        {counts.error} with errors.
      </p>
      <form class="filters" role="search" aria-label="Filter objects" onSubmit={(e) => e.preventDefault()}>
        <label>
          Namespace
          <select
            value={filter.namespace ?? ''}
            onChange={(e) => update({ namespace: e.currentTarget.value })}
          >
            <option value="">All</option>
            {namespaces.map((n) => (
              <option value={n}>{n}</option>
            ))}
          </select>
        </label>
        <label>
          Type
          <select value={filter.type ?? ''} onChange={(e) => update({ type: e.currentTarget.value })}>
            <option value="">All</option>
            {snapshot.types.map((t) => (
              <option value={t.name}>{t.name}</option>
            ))}
          </select>
        </label>
        <label>
          State
          <select
            value={filter.state ?? ''}
            onChange={(e) => update({ state: (e.currentTarget.value || undefined) as ObjectFilter['state'] })}
          >
            <option value="">All</option>
            <option value="propagated">Propagated</option>
            <option value="pending">Pending</option>
            <option value="error">Error</option>
          </select>
        </label>
        <label>
          Name
          <input
            type="search"
            value={filter.text ?? ''}
            onInput={(e) => update({ text: e.currentTarget.value })}
          />
        </label>
      </form>
      {shown.length === 0 ? (
        <p>No federated object matches.</p>
      ) : (
        <div class="scroll">
          <table class="matrix">
            <caption class="sr-only">Federated objects by member cluster</caption>
            <thead>
              <tr>
                <th scope="col">Object</th>
                <th scope="col">State</th>
                {clusters.map((c) => (
                  <th scope="col">{c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.map((o) => {
                const cells = new Map(o.cells.map((c) => [c.cluster, c]));
                return (
                  <tr>
                    <th scope="row">
                      <a href={objectHref(o)}>{o.name}</a>
                      <div class="muted small">
                        {o.namespace ? `${o.namespace} · ` : ''}
                        {o.kind}
                      </div>
                    </th>
                    <td>
                      <StateBadge state={o.state} />
                      {o.ready && <div class="muted small">ready {o.ready}</div>}
                      {o.rspVersion !== undefined && <div class="muted small">replicas by RSP</div>}
                    </td>
                    {clusters.map((c) => (
                      <Cell object={o} cell={cells.get(c)} cluster={c} />
                    ))}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
