/** Clusters: health, version, topology, last probe, and how many federated objects each holds. */
import type { Snapshot } from '../../src/dashboard/model.js';
import { Ago, ClusterBadge } from './format.tsx';

export function ClustersPage({ snapshot }: { snapshot: Snapshot }) {
  return (
    <section aria-labelledby="clusters-title">
      <h1 id="clusters-title">Clusters</h1>
      <p class="muted">
        Member clusters joined to the control plane in namespace <code>{snapshot.namespace}</code>.
      </p>
      {snapshot.clusters.length === 0 ? (
        <p>No cluster has joined yet: run kubefedctl join.</p>
      ) : (
        <div class="scroll">
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Cluster</th>
                <th scope="col">State</th>
                <th scope="col">Version</th>
                <th scope="col">Region / zones</th>
                <th scope="col">Last probe</th>
                <th scope="col">Objects</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {snapshot.clusters.map((c) => (
                <tr data-cluster={c.name} data-state={c.state}>
                  <th scope="row">{c.name}</th>
                  <td>
                    <ClusterBadge state={c.state} />
                  </td>
                  <td>{c.kubernetesVersion ?? <span class="muted">–</span>}</td>
                  <td>
                    {c.region ?? <span class="muted">–</span>}
                    {c.zones.length > 0 && <span class="muted"> / {c.zones.join(', ')}</span>}
                  </td>
                  <td>
                    <Ago time={c.lastProbeTime} />
                  </td>
                  <td>
                    <a
                      href={`#/objects`}
                      class="counts"
                      aria-label={`${c.objects.propagated} propagated, ${c.objects.pending} pending, ${c.objects.error} with errors`}
                    >
                      <span class="count-propagated">{c.objects.propagated} ok</span>
                      {c.objects.pending > 0 && (
                        <span class="count-pending"> · {c.objects.pending} pending</span>
                      )}
                      {c.objects.error > 0 && <span class="count-error"> · {c.objects.error} error</span>}
                    </a>
                  </td>
                  <td class="detail">
                    {c.reason && <strong>{c.reason}</strong>}
                    {c.message && <span> {c.message}</span>}
                    <div class="muted small">{c.apiEndpoint}</div>
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
