/**
 * KubeFedConfig admission: defaulting (the mutating hook; upstream sends one JSON patch `replace
 * /spec`) and validation of the defaulted spec, plus `scope` being immutable on update.
 * The rules themselves live in src/api/kubefedconfig.ts, shared with the controller manager.
 */
import { defaultKubeFedConfig, validateKubeFedConfig } from '../api/kubefedconfig.js';
import { FEATURE_GATES } from '../api/core.js';
import { FieldErrors, fromMessages, isRecord, sameJson, type FieldError } from './validation.js';

export interface JsonPatchOperation {
  op: 'add' | 'replace';
  path: string;
  value: unknown;
}

/**
 * The JSON patch that fills the unset fields of a KubeFedConfig with upstream's defaults: one
 * `replace /spec` (`add` when there is no spec); empty when nothing is missing or the spec is
 * not an object (validation then refuses it).
 */
export function kubeFedConfigDefaultsPatch(object: unknown): JsonPatchOperation[] {
  if (!isRecord(object)) return [];
  const spec = object.spec ?? {};
  if (!isRecord(spec)) return [];
  if (!gatesAreObjects(spec.featureGates)) return [];
  const defaulted = defaultKubeFedConfig(spec);
  if (sameJson(spec, defaulted)) return [];
  return [{ op: object.spec === undefined ? 'add' : 'replace', path: '/spec', value: defaulted }];
}

/** Errors of a KubeFedConfig as it will be used (defaults applied), and of a scope change on update. */
export function validateKubeFedConfigObject(object: unknown, old?: unknown): FieldError[] {
  const spec = isRecord(object) ? object.spec : undefined;
  if (!isRecord(spec))
    return [{ field: 'spec', message: 'Required value: set at least spec.scope (Cluster or Namespaced)' }];
  if (!gatesAreObjects(spec.featureGates)) {
    return [
      {
        field: 'spec.featureGates',
        message:
          'must be a list of {name, configuration}, e.g. [{name: PushReconciler, configuration: Enabled}]',
      },
    ];
  }
  const errors: FieldError[] = [];
  if (spec.scope === undefined) {
    errors.push({ field: 'spec.scope', message: 'Required value: set Cluster or Namespaced' });
  }
  const defaulted = defaultKubeFedConfig(spec);
  // Defaulting appends and sorts the gates, so gate errors are found on the user's own list to
  // name the index the user wrote; the appended gates are valid by construction.
  errors.push(
    ...fromMessages(validateKubeFedConfig(defaulted), 'spec').filter(
      (e) => !e.field.startsWith('spec.featureGates['),
    ),
  );
  errors.push(...featureGateErrors(spec.featureGates ?? []));
  const oldSpec = isRecord(old) && isRecord(old.spec) ? old.spec : undefined;
  if (oldSpec && oldSpec.scope !== undefined && spec.scope !== oldSpec.scope) {
    errors.push({
      field: 'spec.scope',
      message: `Invalid value: ${JSON.stringify(spec.scope)}: field is immutable (was ${JSON.stringify(oldSpec.scope)}); delete and recreate the KubeFedConfig to change the scope`,
    });
  }
  return errors;
}

function featureGateErrors(gates: readonly Record<string, unknown>[]): FieldError[] {
  const errs = new FieldErrors();
  const seen = new Map<unknown, number>();
  gates.forEach((g, i) => {
    const at = `spec.featureGates[${i}]`;
    errs.oneOf(`${at}.name`, g.name, FEATURE_GATES, true);
    if (seen.has(g.name))
      errs.add(
        `${at}.name`,
        `Duplicate value: ${JSON.stringify(g.name)} is listed twice (also at spec.featureGates[${seen.get(g.name)}]); keep one`,
      );
    else seen.set(g.name, i);
    errs.oneOf(`${at}.configuration`, g.configuration, ['Enabled', 'Disabled'], true);
  });
  return errs.list;
}

function gatesAreObjects(gates: unknown): gates is Record<string, unknown>[] | undefined {
  return gates === undefined || (Array.isArray(gates) && gates.every(isRecord));
}
