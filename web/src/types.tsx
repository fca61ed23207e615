/** Types: the FederatedTypeConfigs and whether their controllers run. */
import type { Snapshot } from '../../src/dashboard/model.js';
import { objectsHref } from './route.ts';

function Running({ value }: { value: 'Running' | 'NotRunning' }) {
  return <span class={`badge badge-${value === 'Running' ? 'propagated' : 'pending'}`}>{value}</span>;
}

export function TypesPage({ snapshot }: { snapshot: Snapshot }) {
  return (
    <section aria-labelledby="types-title">
      <h1 id="types-title">Types</h1>
      <p class="muted">Federated types (FederatedTypeConfigs) and their controllers.</p>
      {snapshot.types.length === 0 ? (
        <p>No type is federated: run kubefedctl enable.</p>
      ) : (
        <div class="scroll">
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Target</th>
                <th scope="col">Federated kind</th>
                <th scope="col">Propagation</th>
                <th scope="col">Propagation controller</th>
                <th scope="col">Status controller</th>
                <th scope="col">Objects</th>
              </tr>
            </thead>
            <tbody>
              {snapshot.types.map((t) => (
                <tr data-type={t.name}>
                  <th scope="row">{t.name}</th>
                  <td>
                    {t.target.group ? `${t.target.group}/` : ''}
                    {t.target.version} {t.target.kind}
                    <span class="muted small"> {t.target.namespaced ? 'namespaced' : 'cluster-scoped'}</span>
                  </td>
                  <td>{t.federatedKind}</td>
                  <td>{t.propagation}</td>
                  <td>
                    <Running value={t.propagationController} />
                  </td>
                  <td>
                    <Running value={t.statusController} />
                    {t.statusCollection === 'Disabled' && <span class="muted small"> (collection off)</span>}
                  </td>
                  <td>
                    <a href={objectsHref({ type: t.name })}>{t.objects}</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
