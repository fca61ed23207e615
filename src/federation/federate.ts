/**
 * `kubefedctl federate`, the pure part: an object in, its Federated<Kind> out; which types and
 * objects `federate namespace --contents` skips, and why; what `--skip-api-resources` names; and
 * reading manifests for `--filename`. Follows upstream KubeFed v0.10 (pkg/kubefedctl/federate),
 * except that template annotations are kept (this control plane propagates them).
 */
import { parseAllDocuments } from 'yaml';
import { DEFAULT_FEDERATED_KINDS, TYPES_GROUP, TYPES_VERSION, type FederatedObject } from '../api/types.js';
import type { KubeObject } from '../kube/resource.js';
import { PROPAGATED_KEYS_ANNOTATION } from './retain.js';

/** Written by `kubectl apply`; a copy in members would describe the host's object, not theirs. */
export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** Annotations that hold only in the cluster the object was read from (propagation's record included). */
const SERVER_SET_ANNOTATIONS = [
  LAST_APPLIED_ANNOTATION,
  'deployment.kubernetes.io/revision',
  PROPAGATED_KEYS_ANNOTATION,
];
/** Labels the Job controller puts on a Job and its pod template when it generates the selector. */
const JOB_GENERATED_LABELS = [
  'controller-uid',
  'job-name',
  'batch.kubernetes.io/controller-uid',
  'batch.kubernetes.io/job-name',
];

/** The target type of a federated object: its API group, kind and plural. */
export interface TargetKind {
  group: string;
  kind: string;
  resource: string;
}

/** The federated type an object becomes (a FederatedTypeConfig's `spec.federatedType`). */
export interface FederatedKindRef {
  group: string;
  version: string;
  kind: string;
  namespaced: boolean;
}

/** Placement on every member cluster, as upstream: an empty label selector matches all. */
export const ALL_CLUSTERS_PLACEMENT = { clusterSelector: { matchLabels: {} } };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function omitKeys(map: unknown, keys: readonly string[]): Record<string, string> | undefined {
  if (!isObject(map)) return undefined;
  const out = Object.fromEntries(Object.entries(map).filter(([k]) => !keys.includes(k))) as Record<
    string,
    string
  >;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The `spec.template` of the federated object: the object without what the server sets or what
 * only makes sense in the cluster it was read from. Metadata keeps labels and annotations only
 * (name and namespace are the federated object's; uid, resourceVersion, ownerReferences, … are
 * per cluster); apiVersion and kind come from the FederatedTypeConfig, as upstream.
 */
export function templateOf(obj: KubeObject, target: Pick<TargetKind, 'group' | 'kind'>): Json {
  const copy = structuredClone(obj) as Json;
  delete copy.apiVersion;
  delete copy.kind;
  delete copy.status;
  const meta = isObject(copy.metadata) ? copy.metadata : {};
  delete copy.metadata;
  const labels = omitKeys(meta.labels, []);
  const annotations = omitKeys(meta.annotations, SERVER_SET_ANNOTATIONS);
  const metadata: Json = {
    ...(labels ? { labels } : {}),
    ...(annotations ? { annotations } : {}),
  };
  const template: Json = Object.keys(metadata).length > 0 ? { metadata, ...copy } : { ...copy };
  cleanupForType(template, target);
  return template;
}

/** Upstream's per-type cleanups, plus the Job selector the Job controller generates. */
function cleanupForType(template: Json, target: Pick<TargetKind, 'group' | 'kind'>): void {
  const spec = isObject(template.spec) ? template.spec : undefined;
  const podTemplateMeta =
    isObject(spec?.template) && isObject(spec.template.metadata) ? spec.template.metadata : undefined;
  // Pod templates read back with `creationTimestamp: null`: noise in a template.
  if (podTemplateMeta && podTemplateMeta.creationTimestamp === null) delete podTemplateMeta.creationTimestamp;
  const gk = `${target.kind}.${target.group}`;
  if (gk === 'Namespace.' && spec) {
    delete spec.finalizers;
  } else if (gk === 'ServiceAccount.') {
    // Token secrets are generated per cluster.
    delete template.secrets;
  } else if (gk === 'Service.' && spec) {
    // Allocated per cluster; "None" (headless) is a choice, not an allocation, and is kept.
    if (spec.clusterIP !== 'None') delete spec.clusterIP;
    const ips = spec.clusterIPs;
    if (!(Array.isArray(ips) && ips.length === 1 && ips[0] === 'None')) delete spec.clusterIPs;
    delete spec.healthCheckNodePort;
    if (Array.isArray(spec.ports)) {
      for (const port of spec.ports) if (isObject(port)) delete port.nodePort;
    }
  } else if (gk === 'Job.batch' && spec && spec.manualSelector !== true) {
    // The selector names the controller-uid of this cluster's Job; each member generates its own.
    delete spec.selector;
    const meta = template.metadata as Json | undefined;
    if (meta) {
      const labels = omitKeys(meta.labels, JOB_GENERATED_LABELS);
      if (labels) meta.labels = labels;
      else delete meta.labels;
      if (Object.keys(meta).length === 0) delete template.metadata;
    }
    if (podTemplateMeta) {
      const labels = omitKeys(podTemplateMeta.labels, JOB_GENERATED_LABELS);
      if (labels) podTemplateMeta.labels = labels;
      else delete podTemplateMeta.labels;
    }
  }
}

/**
 * The Federated<Kind> of `obj`: same name, same namespace (a FederatedNamespace lives in the
 * namespace it federates), the cleaned template, and placement on all clusters.
 */
export function federatedObjectOf(
  obj: KubeObject,
  target: TargetKind,
  federated: FederatedKindRef,
  namespace?: string,
): FederatedObject {
  const name = obj.metadata.name ?? '';
  const isNamespace = target.group === '' && target.kind === 'Namespace';
  const ns = isNamespace ? name : (obj.metadata.namespace ?? namespace);
  return {
    apiVersion: `${federated.group}/${federated.version}`,
    kind: federated.kind,
    metadata: { name, ...(federated.namespaced && ns ? { namespace: ns } : {}) },
    spec: {
      template: templateOf(obj, target),
      placement: structuredClone(ALL_CLUSTERS_PLACEMENT),
    },
  };
}

/** A default federated type (see DEFAULT_FEDERATED_KINDS) by target group and kind. */
export function defaultFederatedKind(
  group: string,
  kind: string,
): { target: TargetKind; federated: FederatedKindRef } | undefined {
  const k = DEFAULT_FEDERATED_KINDS.find((d) => d.targetGroup === group && d.targetKind === kind);
  if (!k) return undefined;
  return {
    target: { group, kind, resource: k.targetPlural },
    federated: {
      group: k.group ?? TYPES_GROUP,
      version: k.version ?? TYPES_VERSION,
      kind: `Federated${k.targetKind}`,
      namespaced: k.scope === 'Namespaced',
    },
  };
}

/** What a resource type looks like to the `--contents` rules (a discovery entry). */
export interface ContentType {
  group: string;
  version: string;
  kind: string;
  resource: string;
  singular?: string;
  shortNames?: readonly string[];
  namespaced: boolean;
  verbs: readonly string[];
}

/** Why `federate namespace --contents` leaves a whole type out; grouped in the summary. */
export type TypeSkipReason =
  | 'not namespaced'
  | 'not listable'
  | 'deprecated extensions group'
  | 'KubeFed type'
  | 'generated by the cluster'
  | 'named by --skip-api-resources';

/** Per-cluster records the cluster writes itself; federating them would fight the members. */
const GENERATED_TYPES = new Set([
  'events.',
  'events.events.k8s.io',
  'endpoints.',
  'endpointslices.discovery.k8s.io',
  'leases.coordination.k8s.io',
  'propagatedversions.core.kubefed.io',
]);
const KUBEFED_GROUPS = new Set(['core.kubefed.io', 'scheduling.kubefed.io', 'multiclusterdns.kubefed.io']);

/**
 * Parses `--skip-api-resources`: comma separated; each a plural, singular, kind, short name,
 * `plural.group`, or an API group (everything in it). Case-insensitive.
 */
export function parseSkipList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
}

/** The `--skip-api-resources` entry that names `type`, if any. */
export function skipEntryFor(type: ContentType, skip: readonly string[]): string | undefined {
  const names = [type.resource, type.singular ?? '', type.kind.toLowerCase(), ...(type.shortNames ?? [])]
    .filter(Boolean)
    .map((n) => n.toLowerCase());
  return skip.find(
    (entry) =>
      names.includes(entry) ||
      (type.group !== '' && (entry === type.group || entry === `${type.resource}.${type.group}`)) ||
      (type.group === '' && entry === 'core'),
  );
}

/** Why the `--contents` walk skips `type`, or undefined to federate its objects. */
export function contentTypeSkipReason(
  type: ContentType,
  skip: readonly string[],
  federatedGroups: ReadonlySet<string> = new Set([TYPES_GROUP]),
): TypeSkipReason | undefined {
  if (!type.namespaced) return 'not namespaced';
  if (!type.verbs.includes('list') || !type.verbs.includes('get')) return 'not listable';
  if (type.group === 'extensions') return 'deprecated extensions group';
  if (
    KUBEFED_GROUPS.has(type.group) ||
    (federatedGroups.has(type.group) && type.kind.startsWith('Federated'))
  ) {
    return 'KubeFed type';
  }
  if (GENERATED_TYPES.has(`${type.resource}.${type.group}`)) return 'generated by the cluster';
  if (skipEntryFor(type, skip) !== undefined) return 'named by --skip-api-resources';
  return undefined;
}

/** Orders Kubernetes API versions: GA > beta > alpha, then by number (v2 > v1, v1beta2 > v1beta1). */
export function compareApiVersions(a: string, b: string): number {
  const rank = (v: string): [number, number, number] | undefined => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    const stability = m[2] === undefined ? 3 : m[2] === 'beta' ? 2 : 1;
    return [stability, Number(m[1]), Number(m[3] ?? 0)];
  };
  const ra = rank(a);
  const rb = rank(b);
  if (!ra || !rb) return ra ? 1 : rb ? -1 : a.localeCompare(b) * -1;
  for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
  return 0;
}

/** One entry per `plural.group`: its highest served version. */
export function highestVersions<T extends Pick<ContentType, 'group' | 'version' | 'resource'>>(
  types: readonly T[],
): T[] {
  const best = new Map<string, T>();
  for (const t of types) {
    if (t.resource.includes('/')) continue;
    const key = `${t.resource}.${t.group}`;
    const seen = best.get(key);
    if (!seen || compareApiVersions(t.version, seen.version) > 0) best.set(key, t);
  }
  return [...best.values()];
}

/** Why `--contents` skips one object; grouped in the summary. */
export type ObjectSkipReason =
  | 'owned by a controller'
  | 'generated by the cluster'
  | 'service account token'
  | 'name not valid for a federated object';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why the `--contents` walk skips `obj` of type `target`, or undefined to federate it. */
export function contentObjectSkipReason(
  obj: KubeObject,
  target: Pick<TargetKind, 'group' | 'kind'>,
): ObjectSkipReason | undefined {
  // Pods of a ReplicaSet, ReplicaSets of a Deployment, …: the owner is federated and recreates them.
  if ((obj.metadata.ownerReferences ?? []).some((o) => o.controller === true)) return 'owned by a controller';
  const gk = `${target.kind}.${target.group}`;
  const name = obj.metadata.name ?? '';
  if (gk === 'ConfigMap.' && name === 'kube-root-ca.crt') return 'generated by the cluster';
  if (gk === 'ServiceAccount.' && name === 'default') return 'generated by the cluster';
  if (gk === 'Secret.' && obj.type === 'kubernetes.io/service-account-token') return 'service account token';
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) return 'name not valid for a federated object';
  return undefined;
}

/** A manifest that cannot be read: says which file and where. */
export class ManifestError extends Error {
  override name = 'ManifestError';
}

/**
 * The objects in one file's text: YAML (multi-document) or JSON; `List` kinds (`v1` List, or any
 * `*List` with `items`) are expanded; empty documents are ignored. Each object must have
 * apiVersion, kind and metadata.name.
 */
export function parseManifests(text: string, source: string): KubeObject[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) {
    throw new ManifestError(`${source}: not a YAML or JSON manifest`);
  }
  const out: KubeObject[] = [];
  docs.forEach((doc, i) => {
    const error = doc.errors[0];
    if (error) {
      const pos = error.linePos?.[0];
      const where = pos
        ? `line ${pos.line}, column ${pos.col}`
        : `line ${text.slice(0, error.pos[0]).split('\n').length}`;
      const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, '');
      throw new ManifestError(`${source}: ${where}: malformed YAML: ${message}`);
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    const lineOf = () => {
      const offset = doc.contents?.range?.[0];
      return offset === undefined ? `document ${i + 1}` : `line ${text.slice(0, offset).split('\n').length}`;
    };
    const add = (item: unknown, where: string) => {
      if (!isObject(item))
        throw new ManifestError(`${source}: ${where}: expected a Kubernetes object, not ${typeof item}`);
      const { apiVersion, kind, metadata } = item;
      if (typeof apiVersion !== 'string' || !apiVersion || typeof kind !== 'string' || !kind) {
        throw new ManifestError(
          `${source}: ${where}: the object has no apiVersion or kind; add both (e.g. apiVersion: v1, kind: ConfigMap)`,
        );
      }
      if (!isObject(metadata) || typeof metadata.name !== 'string' || !metadata.name) {
        throw new ManifestError(`${source}: ${where}: ${kind} has no metadata.name; add one`);
      }
      out.push(item as KubeObject);
    };
    if (
      isObject(value) &&
      typeof value.kind === 'string' &&
      value.kind.endsWith('List') &&
      Array.isArray(value.items)
    ) {
      value.items.forEach((item, j) => add(item, `${lineOf()}: items[${j}]`));
    } else {
      add(value, lineOf());
    }
  });
  return out;
}
