/**
 * KubeFedCluster admission rules (upstream v0.10 `ValidateKubeFedCluster`): the spec must let the
 * control plane build a client, and status writes (the `/status` subresource) must carry known
 * conditions with a probe time.
 */
import { CLUSTER_CONDITION_TYPES } from '../api/core.js';
import { parseClusterConnection } from '../api/kubefedcluster.js';
import { FieldErrors, fromMessages, isRecord, type FieldError } from './validation.js';

/** The spec rules are the ones the controllers build member clients with (src/api/kubefedcluster.ts). */
export function validateKubeFedClusterSpec(spec: unknown): FieldError[] {
  const parsed = parseClusterConnection(spec);
  return parsed.kind === 'ok' ? [] : fromMessages(parsed.errors, 'spec');
}

/** Rules for writes through `/status`: every condition has a known type, a status and a probe time. */
export function validateKubeFedClusterStatus(status: unknown): FieldError[] {
  const errs = new FieldErrors();
  if (status === undefined || status === null) return [];
  if (!isRecord(status)) {
    errs.add('status', 'must be an object with conditions');
    return errs.list;
  }
  const conditions = status.conditions;
  if (conditions === undefined || conditions === null) return [];
  if (!Array.isArray(conditions)) {
    errs.add('status.conditions', 'must be a list of conditions');
    return errs.list;
  }
  const seen = new Set<unknown>();
  conditions.forEach((c: unknown, i) => {
    const at = `status.conditions[${i}]`;
    if (!isRecord(c)) {
      errs.add(at, 'must be an object with type, status and lastProbeTime');
      return;
    }
    errs.oneOf(`${at}.type`, c.type, CLUSTER_CONDITION_TYPES, true);
    if (seen.has(c.type)) errs.add(`${at}.type`, `Duplicate value: ${JSON.stringify(c.type)}; keep one`);
    seen.add(c.type);
    errs.oneOf(`${at}.status`, c.status, ['True', 'False', 'Unknown'], true);
    if (c.lastProbeTime === undefined || c.lastProbeTime === null || c.lastProbeTime === '') {
      errs.add(
        `${at}.lastProbeTime`,
        'Required value: the RFC 3339 time of the probe, e.g. 2024-01-02T03:04:05Z',
      );
    } else if (typeof c.lastProbeTime !== 'string' || Number.isNaN(Date.parse(c.lastProbeTime))) {
      errs.add(
        `${at}.lastProbeTime`,
        `Invalid value: ${JSON.stringify(c.lastProbeTime)}: must be an RFC 3339 time, e.g. 2024-01-02T03:04:05Z`,
      );
    }
  });
  return errs.list;
}
