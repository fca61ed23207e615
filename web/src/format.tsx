/** Small shared pieces of the pages: state badges, times, JSON blocks. */
import type { CellState, ClusterState } from '../../src/dashboard/model.js';

const CELL_LABEL: Record<CellState, string> = {
  propagated: 'Propagated',
  pending: 'Pending',
  error: 'Error',
};

/** A state as text and colour (never colour alone). */
export function StateBadge({ state }: { state: CellState }) {
  return <span class={`badge badge-${state}`}>{CELL_LABEL[state]}</span>;
}

const CLUSTER_CLASS: Record<ClusterState, CellState> = {
  Ready: 'propagated',
  NotReady: 'error',
  Offline: 'error',
  ConfigMalformed: 'error',
  Unknown: 'pending',
};

export function ClusterBadge({ state }: { state: ClusterState }) {
  return <span class={`badge badge-${CLUSTER_CLASS[state]}`}>{state}</span>;
}

/** `3m ago`, with the exact time as a tooltip and for screen readers' <time>. */
export function Ago({ time }: { time?: string | undefined }) {
  if (!time) return <span class="muted">–</span>;
  const s = Math.max(0, Math.round((Date.now() - Date.parse(time)) / 1000));
  const text =
    s < 60
      ? `${s}s ago`
      : s < 3600
        ? `${Math.floor(s / 60)}m ago`
        : s < 86400
          ? `${Math.floor(s / 3600)}h ago`
          : `${Math.floor(s / 86400)}d ago`;
  return (
    <time dateTime={time} title={time}>
      {text}
    </time>
  );
}

export function Json({ value, label }: { value: unknown; label: string }) {
  return (
    <pre class="json" tabIndex={0} aria-label={label}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}
