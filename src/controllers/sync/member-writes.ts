/**
 * Member writes that outlive their pass, so that a slow member never stalls the others.
 *
 * A pass waits for its member writes at most {@link SETTLE_MS}. A write still running then goes on
 * without it: the pass records what finished (versions, status, Events), reports that cluster as
 * `<Op>InProgress`, and frees its pipeline slot for other objects. While a write to (object,
 * cluster) runs, no pass writes there again. When it ends, its outcome is kept for the object's next
 * pass, queued at once, which takes it as if it had made the write itself, provided the template
 * and overrides it wrote are still the current ones (else the pass plans that cluster afresh).
 */
import type { ClusterAction } from '../../federation/plan.js';
import type { PropagationStatus } from '../../federation/status.js';
import { outcomeWithoutRequest, startBounded, type DispatchOutcome } from './dispatch.js';

/** How long a pass waits for its member writes before it lets the slow ones go on without it. */
export const SETTLE_MS = 1_000;

/** The template and overrides hashes a write was rendered from. */
export interface WrittenFrom {
  templateVersion: string;
  overridesVersion: string;
}

type Op = 'Creation' | 'Update' | 'Deletion' | 'LabelRemoval';

const OP_OF: Partial<Record<ClusterAction['kind'], Op>> = {
  create: 'Creation',
  update: 'Update',
  delete: 'Deletion',
  removeManagedLabel: 'LabelRemoval',
};

/** The finished write's op answers the action planned now (the same write, not a different one). */
const ANSWERS: Record<Op, ReadonlySet<ClusterAction['kind']>> = {
  Creation: new Set(['create', 'update', 'none']),
  Update: new Set(['create', 'update', 'none']),
  Deletion: new Set(['delete']),
  LabelRemoval: new Set(['removeManagedLabel']),
};

interface Finished {
  op: Op;
  outcome: DispatchOutcome;
  from: WrittenFrom;
}

/** The cluster entry of a write still running. */
export function inProgress(cluster: string, op: Op, sinceMs: number): DispatchOutcome {
  const seconds = Math.max(1, Math.round(sinceMs / 1000));
  return {
    cluster,
    status: `${op}InProgress` as PropagationStatus,
    message: `the member API server has not answered for ${seconds} s; the result is recorded when it does`,
    wrote: false,
    events: [],
  };
}

export class MemberWrites {
  /** key -> cluster -> the running write's op and start (ms). */
  private readonly running = new Map<string, Map<string, { op: Op; since: number }>>();
  private readonly finished = new Map<string, Map<string, Finished>>();

  /** `wake(key)`: queue the object's next pass (a write of it ended after its pass). */
  constructor(
    private readonly wake: (key: string) => void,
    private readonly settleMs = SETTLE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Objects with a write still running or a finished one not yet taken. */
  get size(): number {
    return new Set([...this.running.keys(), ...this.finished.keys()]).size;
  }

  /** The object is gone or done with: finished writes are dropped (running ones end as they will). */
  forget(key: string): void {
    this.finished.delete(key);
  }

  /**
   * A pass's dispatch. Per action: a write to that cluster still running is reported in progress
   * (nothing is sent); a finished write that answers the action is its outcome; an action without
   * a request (none, skip) is settled at once; anything else is `start`ed, at most `limit` at once.
   * Resolves when every started action has finished or `settleMs` has passed; the outcomes are in
   * action order.
   */
  async dispatch(
    key: string,
    actions: readonly ClusterAction[],
    from: WrittenFrom,
    limit: number,
    start: (action: ClusterAction) => Promise<DispatchOutcome>,
  ): Promise<DispatchOutcome[]> {
    const carried = this.finished.get(key);
    this.finished.delete(key);
    const running = this.running.get(key);
    const outcomes = new Array<DispatchOutcome | undefined>(actions.length);
    const toStart: number[] = [];
    actions.forEach((action, i) => {
      const run = running?.get(action.cluster);
      if (run) {
        outcomes[i] = inProgress(action.cluster, run.op, this.now() - run.since);
        return;
      }
      const prior = carried?.get(action.cluster);
      if (prior && ANSWERS[prior.op].has(action.kind) && sameFrom(prior.from, from)) {
        outcomes[i] = prior.outcome;
        return;
      }
      // No request (none, skip): settled here, without a promise (every pass of a restart).
      const settled = outcomeWithoutRequest(action);
      if (settled) outcomes[i] = settled;
      else toStart.push(i);
    });
    if (toStart.length === 0) return outcomes as DispatchOutcome[];

    const started = startBounded(toStart, limit, (i) => start(actions[i]!));
    started.forEach((p, j) => void p.then((o) => (outcomes[toStart[j]!] = o)));
    const all = Promise.all(started);
    let timer: NodeJS.Timeout | undefined;
    const settled = await Promise.race([
      all.then(() => true),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), this.settleMs))),
    ]);
    clearTimeout(timer);
    if (settled) return outcomes as DispatchOutcome[];

    const since = this.now() - this.settleMs;
    toStart.forEach((i, j) => {
      if (outcomes[i]) return;
      const action = actions[i]!;
      const op = OP_OF[action.kind]!;
      outcomes[i] = inProgress(action.cluster, op, this.settleMs);
      this.track(key, action.cluster, op, since, started[j]!, from);
    });
    return outcomes as DispatchOutcome[];
  }

  private track(
    key: string,
    cluster: string,
    op: Op,
    since: number,
    write: Promise<DispatchOutcome>,
    from: WrittenFrom,
  ): void {
    let byCluster = this.running.get(key);
    if (!byCluster) this.running.set(key, (byCluster = new Map<string, { op: Op; since: number }>()));
    byCluster.set(cluster, { op, since });
    void write.then((outcome) => {
      const runningNow = this.running.get(key);
      runningNow?.delete(cluster);
      if (runningNow?.size === 0) this.running.delete(key);
      let done = this.finished.get(key);
      if (!done) this.finished.set(key, (done = new Map<string, Finished>()));
      done.set(cluster, { op, outcome, from });
      this.wake(key);
    });
  }
}

const sameFrom = (a: WrittenFrom, b: WrittenFrom) =>
  a.templateVersion === b.templateVersion && a.overridesVersion === b.overridesVersion;
