/**
 * Validation of a ReplicaSchedulingPreference spec, shared by the admission webhook (reject on
 * errors, pass warnings on) and the RSP controller (report both in status).
 *
 * Upstream KubeFed has no RSP validation beyond the CRD schema; its planner quietly does something
 * with every spec. The rules here flag what the planner cannot honour:
 * - errors: wrong types, negative numbers, an unknown targetKind, minReplicas > maxReplicas
 *   (upstream would give minReplicas, then cut the cluster back to maxReplicas if any replicas were
 *   left to distribute — see planner.test.ts);
 * - warnings: specs that are valid but cannot be met in full — minimums adding up to more than
 *   totalReplicas, no weight anywhere, or maximums that leave replicas unplaced.
 */
import { WILDCARD_CLUSTER } from './planner.js';

export const RSP_TARGET_KINDS = ['FederatedDeployment', 'FederatedReplicaSet'] as const;
export type RspTargetKind = (typeof RSP_TARGET_KINDS)[number];

/** Largest value of an int32 field (`totalReplicas`). */
const INT32_MAX = 2 ** 31 - 1;

export interface SpecProblem {
  /** e.g. `spec.clusters[cluster1].minReplicas` */
  field: string;
  /** What is wrong and how to fix it. */
  message: string;
  /** `error`: the planner cannot use the spec as intended; `warning`: it can, but not in full. */
  severity: 'error' | 'warning';
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every problem of an RSP `spec` (any JSON value); empty when there is none. */
export function validateReplicaSchedulingPreference(spec: unknown): SpecProblem[] {
  if (!isRecord(spec)) return [error('spec', 'Required value: spec must be an object')];
  const problems: SpecProblem[] = [
    ...checkTargetKind(spec.targetKind),
    ...checkCount(spec.totalReplicas, 'spec.totalReplicas', { required: true, max: INT32_MAX }),
    ...checkBoolean(spec.rebalance, 'spec.rebalance'),
    ...checkBoolean(spec.intersectWithClusterSelector, 'spec.intersectWithClusterSelector'),
  ];
  if (spec.clusters === undefined || spec.clusters === null) return problems;
  if (!isRecord(spec.clusters)) {
    return [...problems, error('spec.clusters', 'must be a map of cluster name to preferences')];
  }
  const clusterProblems = Object.entries(spec.clusters).flatMap(([name, p]) => checkCluster(name, p));
  problems.push(...clusterProblems);
  if (problems.length === 0 && typeof spec.totalReplicas === 'number') {
    problems.push(...feasibilityWarnings(spec.totalReplicas, spec.clusters as Record<string, Preference>));
  }
  return problems;
}

/** Whether the problems include an error (as opposed to only warnings). */
export function hasErrors(problems: readonly SpecProblem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

function checkTargetKind(kind: unknown): SpecProblem[] {
  const supported = RSP_TARGET_KINDS.join(' or ');
  if (kind === undefined || kind === null || kind === '') {
    return [error('spec.targetKind', `Required value: set it to ${supported}`)];
  }
  if (!(RSP_TARGET_KINDS as readonly unknown[]).includes(kind)) {
    return [
      error(
        'spec.targetKind',
        `Unsupported value: ${JSON.stringify(kind)}: only ${supported} can be scheduled`,
      ),
    ];
  }
  return [];
}

function checkBoolean(value: unknown, field: string): SpecProblem[] {
  return value === undefined || value === null || typeof value === 'boolean'
    ? []
    : [error(field, `must be true or false, got ${JSON.stringify(value)}`)];
}

function checkCount(
  value: unknown,
  field: string,
  opts: { required?: boolean; max?: number } = {},
): SpecProblem[] {
  if (value === undefined || value === null) {
    return opts.required ? [error(field, 'Required value: set it to a number of replicas (0 or more)')] : [];
  }
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return [error(field, `must be a whole number, got ${JSON.stringify(value)}`)];
  }
  if (value < 0) return [error(field, `must be 0 or more, got ${value}`)];
  if (opts.max !== undefined && value > opts.max) {
    return [error(field, `must be at most ${opts.max}, got ${value}`)];
  }
  return [];
}

interface Preference {
  minReplicas?: number;
  maxReplicas?: number | null;
  weight?: number;
}

function checkCluster(name: string, p: unknown): SpecProblem[] {
  const at = `spec.clusters[${name}]`;
  if (name === '') return [error(at, 'the cluster name must not be empty (use "*" for every other cluster)')];
  if (!isRecord(p)) return [error(at, 'must be an object with minReplicas, maxReplicas and weight')];
  const problems = [
    ...checkCount(p.minReplicas, `${at}.minReplicas`),
    ...checkCount(p.maxReplicas, `${at}.maxReplicas`),
    ...checkCount(p.weight, `${at}.weight`),
  ];
  const { minReplicas, maxReplicas } = p;
  if (problems.length === 0 && typeof minReplicas === 'number' && typeof maxReplicas === 'number') {
    if (minReplicas > maxReplicas) {
      problems.push(
        error(
          `${at}.minReplicas`,
          `must not exceed maxReplicas (${minReplicas} > ${maxReplicas}): lower minReplicas or raise maxReplicas`,
        ),
      );
    }
  }
  return problems;
}

/**
 * What the planner cannot meet even with every named cluster available. A `*` entry covers an
 * unknown number of clusters, so its minimum is not added up and it can always take more.
 */
function feasibilityWarnings(total: number, clusters: Record<string, Preference>): SpecProblem[] {
  const named = Object.entries(clusters).filter(([name]) => name !== WILDCARD_CLUSTER);
  const wildcard = clusters[WILDCARD_CLUSTER];
  const warnings: SpecProblem[] = [];

  const minSum = named.reduce((sum, [, p]) => sum + (p.minReplicas ?? 0), 0);
  if (minSum > total) {
    warnings.push(
      warning(
        'spec.totalReplicas',
        `the minReplicas of the clusters add up to ${minSum}, more than totalReplicas ${total}: ` +
          'not every cluster can get its minimum (clusters with a higher weight get theirs first); ' +
          'raise totalReplicas or lower minReplicas',
      ),
    );
  }

  const all = [...named.map(([, p]) => p), ...(wildcard ? [wildcard] : [])];
  if (all.length > 0 && all.every((p) => (p.weight ?? 0) === 0)) {
    if (wildcard !== undefined || minSum < total) {
      warnings.push(
        warning(
          'spec.clusters',
          'no cluster has a weight above 0, so clusters get only their minReplicas ' +
            '(and, without rebalance, keep the replicas they run) and the rest of totalReplicas stays ' +
            'unplaced; give at least one cluster a weight',
        ),
      );
    }
    return warnings;
  }

  if (wildcard === undefined && named.length > 0) {
    // A weighted cluster fills up to maxReplicas, a weightless one holds its minimum.
    const limit = named.reduce((sum, [, p]) => {
      if ((p.weight ?? 0) === 0) return sum + (p.minReplicas ?? 0);
      return sum + (typeof p.maxReplicas === 'number' ? p.maxReplicas : Infinity);
    }, 0);
    if (limit < total && minSum <= total) {
      warnings.push(
        warning(
          'spec.totalReplicas',
          `even with every listed cluster available, the clusters can take at most ${limit} of ` +
            `totalReplicas ${total} (maxReplicas of the weighted clusters, minReplicas of the others): ` +
            'raise maxReplicas, add a "*" entry or lower totalReplicas',
        ),
      );
    }
  }
  return warnings;
}

const error = (field: string, message: string): SpecProblem => ({ field, message, severity: 'error' });
const warning = (field: string, message: string): SpecProblem => ({ field, message, severity: 'warning' });
