/**
 * FederatedTypeConfig admission rules (upstream v0.10 `ValidateFederatedTypeConfig`): the name is
 * `<target plural>[.<target group>]`; target and federated types are well-formed API resources
 * (federated group with a dot); enums hold; and `/status` writes carry a controller state.
 */
import { dns1035Problem, FieldErrors, isRecord, subdomainProblem, type FieldError } from './validation.js';

const SCOPES = ['Namespaced', 'Cluster'] as const;
const ENABLED_DISABLED = ['Enabled', 'Disabled'] as const;
const CONTROLLER_STATES = ['Running', 'NotRunning'] as const;

export function validateFederatedTypeConfig(object: unknown): FieldError[] {
  const errs = new FieldErrors();
  const name = isRecord(object) && isRecord(object.metadata) ? object.metadata.name : undefined;
  const spec = isRecord(object) ? object.spec : undefined;
  if (!isRecord(spec)) {
    errs.add('spec', 'Required value: set targetType, federatedType and propagation');
    return errs.list;
  }
  const target = apiResource(errs, 'spec.targetType', spec.targetType, { groupNeedsDot: false });
  const federated = apiResource(errs, 'spec.federatedType', spec.federatedType, { groupNeedsDot: true });
  errs.oneOf('spec.propagation', spec.propagation, ENABLED_DISABLED, true);
  errs.oneOf('spec.statusCollection', spec.statusCollection, ENABLED_DISABLED, false);
  if (spec.statusType !== undefined && spec.statusType !== null) statusType(errs, spec.statusType);

  if (target && typeof name === 'string' && name !== '') {
    const expected = target.group ? `${target.pluralName}.${target.group}` : target.pluralName;
    if (name !== expected) {
      errs.add(
        'metadata.name',
        `Invalid value: ${JSON.stringify(name)}: must be ${JSON.stringify(expected)} (<targetType.pluralName>[.<targetType.group>]); rename the FederatedTypeConfig or fix spec.targetType`,
      );
    }
  }
  if (target && federated) {
    const isNamespaces = !target.group && target.pluralName === 'namespaces';
    const wanted = isNamespaces ? 'Namespaced' : target.scope;
    if (federated.scope !== wanted) {
      errs.add(
        'spec.federatedType.scope',
        `Invalid value: ${JSON.stringify(federated.scope)}: must be ${JSON.stringify(wanted)}, ${isNamespaces ? 'FederatedNamespace is always namespaced' : 'the scope of the target type'}`,
      );
    }
  }
  return errs.list;
}

/** Rules for writes through `/status`. */
export function validateFederatedTypeConfigStatus(status: unknown): FieldError[] {
  const errs = new FieldErrors();
  if (status === undefined || status === null) return [];
  if (!isRecord(status)) {
    errs.add('status', 'must be an object with propagationController');
    return errs.list;
  }
  errs.oneOf('status.propagationController', status.propagationController, CONTROLLER_STATES, true);
  errs.oneOf('status.statusController', status.statusController, CONTROLLER_STATES, false);
  const gen = status.observedGeneration;
  if (gen !== undefined && !(typeof gen === 'number' && Number.isInteger(gen) && gen >= 0)) {
    errs.add('status.observedGeneration', `Invalid value: ${JSON.stringify(gen)}: must be an integer >= 0`);
  }
  return errs.list;
}

interface Resource {
  group: string;
  pluralName: string;
  scope: string;
}

function apiResource(
  errs: FieldErrors,
  at: string,
  r: unknown,
  opts: { groupNeedsDot: boolean },
): Resource | undefined {
  if (!isRecord(r)) {
    errs.add(at, 'Required value: set version, kind, pluralName and scope (and group outside the core API)');
    return undefined;
  }
  const before = errs.list.length;
  const group = r.group ?? '';
  if (typeof group !== 'string') {
    errs.add(`${at}.group`, 'must be a string');
  } else if (group === '' && opts.groupNeedsDot) {
    errs.add(`${at}.group`, 'Required value: the API group of the federated type, e.g. types.kubefed.io');
  } else if (group !== '') {
    const problem = subdomainProblem(group);
    if (problem) errs.add(`${at}.group`, `Invalid value: ${problem}`);
    else if (opts.groupNeedsDot && !group.includes('.'))
      errs.add(
        `${at}.group`,
        `Invalid value: ${JSON.stringify(group)}: must contain a dot, e.g. types.kubefed.io`,
      );
  }
  dns1035(errs, `${at}.version`, r.version, 'the API version, e.g. v1');
  const kind = errs.requiredString(`${at}.kind`, r.kind, 'the kind, e.g. Deployment');
  if (kind !== undefined) {
    const problem = dns1035Problem(kind.toLowerCase());
    if (problem) errs.add(`${at}.kind`, `Invalid value: ${JSON.stringify(kind)}: lowercased, ${problem}`);
  }
  dns1035(errs, `${at}.pluralName`, r.pluralName, 'the plural resource name, e.g. deployments');
  errs.oneOf(`${at}.scope`, r.scope, SCOPES, true);
  if (errs.list.length > before) return undefined;
  return { group: group as string, pluralName: r.pluralName as string, scope: r.scope as string };
}

function statusType(errs: FieldErrors, r: unknown): void {
  const at = 'spec.statusType';
  if (!isRecord(r)) {
    errs.add(at, 'must be an object with at least kind');
    return;
  }
  if (r.group !== undefined && r.group !== '') {
    const problem = typeof r.group === 'string' ? subdomainProblem(r.group) : 'must be a string';
    if (problem) errs.add(`${at}.group`, `Invalid value: ${problem}`);
  }
  if (r.version !== undefined) dns1035(errs, `${at}.version`, r.version, 'the API version, e.g. v1alpha1');
  const kind = errs.requiredString(`${at}.kind`, r.kind, 'the status kind, e.g. FederatedServiceStatus');
  if (kind !== undefined) {
    const problem = dns1035Problem(kind.toLowerCase());
    if (problem) errs.add(`${at}.kind`, `Invalid value: ${JSON.stringify(kind)}: lowercased, ${problem}`);
  }
  if (r.pluralName !== undefined)
    dns1035(errs, `${at}.pluralName`, r.pluralName, 'the plural name, e.g. federatedservicestatuses');
  errs.oneOf(`${at}.scope`, r.scope, SCOPES, false);
}

function dns1035(errs: FieldErrors, at: string, v: unknown, hint: string): void {
  const s = errs.requiredString(at, v, hint);
  if (s === undefined) return;
  const problem = dns1035Problem(s);
  if (problem) errs.add(at, `Invalid value: ${problem}`);
}
