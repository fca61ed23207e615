/**
 * Federated<Kind> admission rules, for any federated group: the placement names clusters validly
 * and its selector parses; overrides are valid JSON patches that leave the object's identity
 * alone (src/federation/overrides.ts); the template, when it sets kind/apiVersion, matches the
 * federated kind (`FederatedDeployment` ⇒ `Deployment`, group `apps` for the default types).
 */
import { DEFAULT_FEDERATED_KINDS } from '../api/types.js';
import { overrideWarnings, validateOverrides } from '../federation/overrides.js';
import { parseLabelSelector } from '../federation/selector.js';
import {
  dns1035Problem,
  FieldErrors,
  fromMessages,
  isRecord,
  subdomainProblem,
  type FieldError,
} from './validation.js';

export interface FederatedKindRef {
  /** API group of the federated type, e.g. types.kubefed.io. */
  group: string;
  /** Kind of the federated type, e.g. FederatedDeployment. */
  kind: string;
}

export function validateFederatedObject(
  object: unknown,
  ref: FederatedKindRef,
): { errors: FieldError[]; warnings: FieldError[] } {
  const errs = new FieldErrors();
  const spec = isRecord(object) ? object.spec : undefined;
  if (!isRecord(spec)) {
    errs.add('spec', 'Required value: set spec (at least {}), with template, placement and overrides');
    return { errors: errs.list, warnings: [] };
  }
  if (spec.placement !== undefined && spec.placement !== null) placement(errs, spec.placement);
  if (spec.overrides !== undefined && spec.overrides !== null) overrides(errs, spec.overrides);
  if (spec.template !== undefined && spec.template !== null) template(errs, spec.template, ref);
  if (spec.retainReplicas !== undefined && typeof spec.retainReplicas !== 'boolean') {
    errs.add(
      'spec.retainReplicas',
      `Invalid value: ${JSON.stringify(spec.retainReplicas)}: must be true or false`,
    );
  }
  const warnings = Array.isArray(spec.overrides)
    ? fromMessages(overrideWarnings(spec.overrides as never), 'spec.overrides').map((w) => ({
        ...w,
        message: `${w.message}; use the name of a KubeFedCluster`,
      }))
    : [];
  return { errors: errs.list, warnings };
}

function placement(errs: FieldErrors, p: unknown): void {
  if (!isRecord(p)) {
    errs.add('spec.placement', 'must be an object with clusters and/or clusterSelector');
    return;
  }
  const clusters = p.clusters;
  if (clusters !== undefined && clusters !== null) {
    if (!Array.isArray(clusters)) {
      errs.add('spec.placement.clusters', 'must be a list of {name: <KubeFedCluster name>}');
    } else {
      const seen = new Map<string, number>();
      clusters.forEach((c: unknown, i) => {
        const at = `spec.placement.clusters[${i}].name`;
        const name = errs.requiredString(at, isRecord(c) ? c.name : undefined, 'a KubeFedCluster name');
        if (name === undefined) return;
        const problem = subdomainProblem(name);
        if (problem) errs.add(at, `Invalid value: ${problem}; use a KubeFedCluster name`);
        if (seen.has(name))
          errs.add(
            at,
            `Duplicate value: ${JSON.stringify(name)} (already at spec.placement.clusters[${seen.get(name)}]); list each cluster once`,
          );
        else seen.set(name, i);
      });
    }
  }
  const selector = p.clusterSelector;
  if (selector !== undefined && selector !== null) {
    const parsed = parseLabelSelector(selector, 'spec.placement.clusterSelector');
    if (parsed.kind === 'invalid')
      errs.list.push(...fromMessages(parsed.errors, 'spec.placement.clusterSelector'));
  }
}

function overrides(errs: FieldErrors, list: unknown): void {
  for (const e of fromMessages(
    validateOverrides(list as never, 'spec.overrides', { perOperation: true }),
    'spec.overrides',
  )) {
    const fix =
      e.field.endsWith('.path') && e.message.startsWith('Forbidden')
        ? '; remove this override (the name, namespace and kind always come from the federated object)'
        : e.field.endsWith('.path') && e.message.startsWith('Duplicate')
          ? '; merge the two overrides into one'
          : e.field.endsWith('.clusterName') && e.message.startsWith('Duplicate')
            ? '; merge the entries of this cluster into one'
            : '';
    errs.add(e.field, e.message + fix);
  }
}

function template(errs: FieldErrors, t: unknown, ref: FederatedKindRef): void {
  if (!isRecord(t)) {
    errs.add('spec.template', 'must be an object: the target object without name and namespace');
    return;
  }
  // What rendering refuses (ComputeResourceFailed in every cluster) is refused here already.
  const metadata = t.metadata;
  if (metadata !== undefined && metadata !== null && !isRecord(metadata)) {
    errs.add('spec.template.metadata', 'must be an object (labels, annotations…)');
  } else if (isRecord(metadata)) {
    for (const field of ['labels', 'annotations'] as const) {
      const map = metadata[field];
      if (map === undefined || map === null) continue;
      const bad = isRecord(map) ? Object.entries(map).find(([, v]) => typeof v !== 'string') : undefined;
      if (!isRecord(map) || bad)
        errs.add(
          `spec.template.metadata.${field}${bad ? `[${JSON.stringify(bad[0])}]` : ''}`,
          `Invalid value: ${JSON.stringify(bad ? bad[1] : map)}: ${field} map keys to string values; quote the value`,
        );
    }
  }
  const targetKind = ref.kind.startsWith('Federated') ? ref.kind.slice('Federated'.length) : undefined;
  if (t.kind !== undefined && targetKind && t.kind !== targetKind) {
    errs.add(
      'spec.template.kind',
      `Invalid value: ${JSON.stringify(t.kind)}: a ${ref.kind} holds a ${targetKind}; set ${JSON.stringify(targetKind)} or omit kind`,
    );
  }
  if (t.apiVersion === undefined) return;
  if (typeof t.apiVersion !== 'string') {
    errs.add('spec.template.apiVersion', 'must be a string such as apps/v1 (or omitted)');
    return;
  }
  const parts = t.apiVersion.split('/');
  const [group, version] = parts.length === 2 ? [parts[0]!, parts[1]!] : ['', parts[0]!];
  const badGroup = parts.length === 2 ? subdomainProblem(group) : undefined;
  if (parts.length > 2 || badGroup || dns1035Problem(version)) {
    errs.add(
      'spec.template.apiVersion',
      `Invalid value: ${JSON.stringify(t.apiVersion)}: must be <group>/<version> or <version> (core group), e.g. apps/v1; or omit it`,
    );
    return;
  }
  const known =
    ref.group === 'types.kubefed.io'
      ? DEFAULT_FEDERATED_KINDS.find((k) => `Federated${k.targetKind}` === ref.kind)
      : undefined;
  if (known && known.targetGroup !== group) {
    const example = known.targetGroup ? `${known.targetGroup}/${known.targetVersion}` : known.targetVersion;
    errs.add(
      'spec.template.apiVersion',
      `Invalid value: ${JSON.stringify(t.apiVersion)}: a ${ref.kind} holds a ${known.targetKind} of API group ${JSON.stringify(known.targetGroup)}; set e.g. ${JSON.stringify(example)} or omit apiVersion`,
    );
  }
}
