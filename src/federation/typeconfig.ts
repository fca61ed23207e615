/**
 * Naming of federated types and the objects that federate one API type: the FederatedTypeConfig
 * and the CRD of its Federated<Kind>. Names follow upstream KubeFed v0.10 (`kubefedctl enable`):
 * FTC `<plural>[.<group>]`, kind `Federated<Kind>`, plural `federated<plural>`, CRD
 * `federated<plural>.<federated group>`, short names `f<short name>`.
 *
 * Pure: a target type in, objects out. kubefedctl enable/disable and the chart generator use it.
 */
import { CORE_GROUP, DEFAULT_KUBEFED_NAMESPACE, type FederatedTypeConfig } from '../api/core.js';
import { crdManifest } from '../api/crd.js';
import { DEFAULT_FEDERATED_KINDS, federatedDefinition, TYPES_GROUP, TYPES_VERSION } from '../api/types.js';
import type { ResourceInfo } from '../kube/discovery.js';
import type { ResourceRef } from '../kube/resource.js';
import { pluralOf } from './aggregate.js';
import type { JsonSchema } from './template-schema.js';

export type Scope = 'Namespaced' | 'Cluster';

/** What a federated type is derived from: the target type as discovery reports it. */
export type TargetResource = Pick<ResourceInfo, 'group' | 'version' | 'kind' | 'resource' | 'namespaced'> & {
  shortNames?: readonly string[];
};

export interface FederatedGroupVersion {
  /** API group of the federated type (default types.kubefed.io). */
  group?: string;
  /** API version of the federated type (default v1beta1). */
  version?: string;
}

/** The `spec.targetType` / `spec.federatedType` shape of a FederatedTypeConfig. */
export type APIResource = FederatedTypeConfig['spec']['targetType'];

/** The API resource of a target or federated type, as the clients address it. */
export const refOf = (t: Pick<APIResource, 'group' | 'version' | 'pluralName' | 'scope'>): ResourceRef => ({
  group: t.group ?? '',
  version: t.version,
  resource: t.pluralName,
  namespaced: t.scope === 'Namespaced',
});

/**
 * The resources one FederatedTypeConfig names, as the clients address them, with the apiVersion
 * and kind of their objects: computed once here instead of by hand at every use.
 */
export interface TypeResources {
  target: ResourceRef;
  targetApiVersion: string;
  targetKind: string;
  federated: ResourceRef;
  federatedApiVersion: string;
  federatedKind: string;
  /**
   * The `Federated<Kind>Status` type the status controller writes, only when statusCollection is
   * Enabled: `spec.statusType` with upstream's defaults (the federated type's group, version and
   * scope; the plural from the kind), or `<FederatedKind>Status` without one.
   */
  status?: ResourceRef;
  statusApiVersion?: string;
  statusKind?: string;
}

export function typeResources(ftc: { spec: FederatedTypeConfig['spec'] }): TypeResources {
  const { targetType: t, federatedType: f, statusType: s } = ftc.spec;
  const resources: TypeResources = {
    target: refOf(t),
    targetApiVersion: apiVersionOf(t.group, t.version),
    targetKind: t.kind,
    federated: refOf(f),
    federatedApiVersion: apiVersionOf(f.group, f.version),
    federatedKind: f.kind,
  };
  if (ftc.spec.statusCollection !== 'Enabled') return resources;
  const kind = s?.kind || `${f.kind}Status`;
  const group = s?.group ?? f.group ?? '';
  const version = s?.version || f.version;
  return {
    ...resources,
    status: {
      group,
      version,
      resource: s?.pluralName || pluralOf(kind),
      namespaced: (s?.scope ?? f.scope) === 'Namespaced',
    },
    statusApiVersion: apiVersionOf(group, version),
    statusKind: kind,
  };
}

const apiVersionOf = (group: string | undefined, version: string) =>
  group ? `${group}/${version}` : version;

export const FTC_API_VERSION = `${CORE_GROUP}/v1beta1`;

/** `deployments.apps`, or `configmaps` for the core group: the name of the type's FederatedTypeConfig. */
export function typeConfigName(target: Pick<TargetResource, 'group' | 'resource'>): string {
  return target.group ? `${target.resource}.${target.group}` : target.resource;
}

/** `plural.group` of an APIResource, e.g. the CRD name of a federated type. */
export function qualifiedName(r: Pick<APIResource, 'group' | 'pluralName'>): string {
  return r.group ? `${r.pluralName}.${r.group}` : r.pluralName;
}

/**
 * The scope of the federated type: the target's, except FederatedNamespace, which is namespaced
 * (it lives in the namespace it federates, so a namespace-scoped control plane can read it).
 */
export function federatedScope(target: Pick<TargetResource, 'group' | 'resource' | 'namespaced'>): Scope {
  if (target.group === '' && target.resource === 'namespaces') return 'Namespaced';
  return target.namespaced ? 'Namespaced' : 'Cluster';
}

export function targetTypeOf(target: TargetResource): APIResource {
  return {
    ...(target.group ? { group: target.group } : {}),
    version: target.version,
    kind: target.kind,
    pluralName: target.resource,
    scope: target.namespaced ? 'Namespaced' : 'Cluster',
  };
}

export function federatedTypeOf(target: TargetResource, gv: FederatedGroupVersion = {}): APIResource {
  return {
    group: gv.group ?? TYPES_GROUP,
    version: gv.version ?? TYPES_VERSION,
    kind: `Federated${target.kind}`,
    pluralName: `federated${target.resource}`,
    scope: federatedScope(target),
  };
}

/** The CRD name of the federated type, e.g. `federateddeployments.types.kubefed.io`. */
export function federatedCrdName(target: TargetResource, gv: FederatedGroupVersion = {}): string {
  return qualifiedName(federatedTypeOf(target, gv));
}

/** Why a `--federated-group` cannot be used, or undefined: a DNS-1123 subdomain with at least one dot. */
export function federatedGroupProblem(group: string): string | undefined {
  const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
  if (group.length > 253 || !subdomain.test(group)) {
    return 'must be a DNS-1123 subdomain (lowercase letters, digits, "-" and ".")';
  }
  if (!group.includes('.')) return 'must contain at least one dot (e.g. types.kubefed.io)';
  return undefined;
}

/** Why a `--federated-version` cannot be used, or undefined: a DNS-1035 label such as v1beta1. */
export function federatedVersionProblem(version: string): string | undefined {
  return version.length <= 63 && /^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(version)
    ? undefined
    : 'must be a DNS-1035 label starting with a letter (e.g. v1beta1)';
}

/** The FederatedTypeConfig that federates `target`, with propagation Enabled. */
export function federatedTypeConfig(
  target: TargetResource,
  namespace: string,
  gv: FederatedGroupVersion = {},
): FederatedTypeConfig {
  return {
    apiVersion: FTC_API_VERSION,
    kind: 'FederatedTypeConfig',
    metadata: { name: typeConfigName(target), namespace },
    spec: {
      targetType: targetTypeOf(target),
      propagation: 'Enabled',
      federatedType: federatedTypeOf(target, gv),
    },
  };
}

function defaultKindOf(target: Pick<TargetResource, 'group' | 'resource'>) {
  return DEFAULT_FEDERATED_KINDS.find(
    (k) => k.targetGroup === target.group && k.targetPlural === target.resource,
  );
}

/** `f` + each short name of the target (deploy -> fdeploy), plus upstream's for the default types. */
export function federatedShortNames(target: TargetResource): string[] {
  const names = (target.shortNames ?? []).map((s) => `f${s}`);
  for (const s of defaultKindOf(target)?.shortNames ?? []) if (!names.includes(s)) names.push(s);
  return names;
}

export interface FederatedCrdOptions extends FederatedGroupVersion {
  /** The schema of `spec.template` (default: any object). */
  template?: JsonSchema;
  /** Adds `spec.retainReplicas` (the target has an integer `spec.replicas`). */
  retainReplicas?: boolean;
}

/** The CRD manifest (apiextensions.k8s.io/v1) of the federated type of `target`. */
export function federatedCrd(target: TargetResource, options: FederatedCrdOptions = {}): JsonSchema {
  const shortNames = federatedShortNames(target);
  const crd = crdManifest(
    federatedDefinition({
      targetKind: target.kind,
      targetPlural: target.resource,
      scope: federatedScope(target),
      ...(shortNames.length > 0 ? { shortNames } : {}),
      ...(options.retainReplicas ? { retainReplicas: true } : {}),
      group: options.group ?? TYPES_GROUP,
      version: options.version ?? TYPES_VERSION,
    }),
  );
  if (options.template) {
    // Set after crdManifest: its keyword filter would drop validations a CRD target may carry
    // (anyOf, oneOf, not, multipleOf, …) that are valid in a structural schema.
    const spec = crd.spec as { versions: { schema: { openAPIV3Schema: JsonSchema } }[] };
    const root = spec.versions[0]!.schema.openAPIV3Schema;
    const specSchema = (root.properties as Record<string, JsonSchema>).spec!;
    (specSchema.properties as Record<string, JsonSchema>).template = options.template;
  }
  return crd;
}

/** The schema of `spec.template` in a federated CRD manifest, if it has one. */
export function templateSchemaOf(crd: JsonSchema): JsonSchema | undefined {
  const spec = crd.spec as { versions?: { schema?: { openAPIV3Schema?: JsonSchema } }[] } | undefined;
  const root = spec?.versions?.[0]?.schema?.openAPIV3Schema;
  const specSchema = (root?.properties as Record<string, JsonSchema> | undefined)?.spec;
  return (specSchema?.properties as Record<string, JsonSchema> | undefined)?.template;
}

/**
 * The FederatedTypeConfigs of the default federated types (see DEFAULT_FEDERATED_KINDS), in
 * `namespace`, federated into `federatedGroup`.
 */
export function defaultTypeConfigs(
  namespace: string = DEFAULT_KUBEFED_NAMESPACE,
  federatedGroup: string = TYPES_GROUP,
): FederatedTypeConfig[] {
  return DEFAULT_FEDERATED_KINDS.map((k) =>
    federatedTypeConfig(
      {
        group: k.targetGroup,
        version: k.targetVersion,
        kind: k.targetKind,
        resource: k.targetPlural,
        namespaced: k.targetScope === 'Namespaced',
      },
      namespace,
      { group: federatedGroup, version: k.version ?? TYPES_VERSION },
    ),
  );
}
