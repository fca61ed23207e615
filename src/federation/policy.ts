/**
 * Propagation policies, the pure part: which policy propagates an ordinary object, the
 * Federated<Kind> generated for it, what to do with the one that exists, and the policy's status.
 * No I/O: the policy controller (controllers/policy) reads caches, calls these, and writes.
 *
 * Contract of a generated Federated<Kind> (docs/policies.md):
 * - same name and namespace as the object; template = the object as `kubefedctl federate` strips
 *   it ({@link templateOf}), less what the control plane itself writes on the object;
 * - label `kubefed.io/generated-by: policy`, annotation `policy.kubefed.io/propagated-by` naming
 *   the policy and `policy.kubefed.io/deletion-policy` saying what to do with member copies when
 *   the policy lets go of it (the policy may be gone by then);
 * - an ownerReference to the object, so the garbage collector deletes it with the object (and the
 *   sync controller's finalizer then deletes the member copies).
 * A Federated<Kind> of the same name without the label is the user's: it wins, the policy reports
 * a conflict.
 */
import type { KubeFedCluster } from '../api/core.js';
import type {
  DeletionPolicy,
  PolicyCondition,
  PolicyConflict,
  PolicyOverride,
  PropagationPolicy,
  PropagationPolicyStatus,
  ResourceSelector,
} from '../api/policy.js';
import type { ClusterOverride, FederatedObject, Overrides } from '../api/types.js';
import type { KubeObject } from '../kube/resource.js';
import { contentObjectSkipReason, templateOf, type FederatedKindRef, type TargetKind } from './federate.js';
import { computePlacement, type ControlPlaneScope } from './placement.js';
import { validateOverrides } from './overrides.js';
import { ORPHAN_ANNOTATION } from './plan.js';
import { matches, parseLabelSelector } from './selector.js';

/** On every Federated<Kind> a controller generates: who generated it (`policy`, `namespace`, `follower`). */
export const GENERATED_BY_LABEL = 'kubefed.io/generated-by';
export type GeneratedBy = 'policy' | 'namespace' | 'follower';
/** On the generated object and on the selected object: the policy that propagates it. */
export const PROPAGATED_BY_ANNOTATION = 'policy.kubefed.io/propagated-by';
/** On the generated object: the policy's deletionPolicy when it was last written. */
export const DELETION_POLICY_ANNOTATION = 'policy.kubefed.io/deletion-policy';
/** What the volume controllers write on a claim about its binding in that cluster. */
const CLAIM_BINDING_ANNOTATIONS = [
  'pv.kubernetes.io/bind-completed',
  'pv.kubernetes.io/bound-by-controller',
  'volume.beta.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/storage-provisioner',
  'volume.kubernetes.io/selected-node',
];
/**
 * Set (with kubefed.io/orphan) on a generated leader that a policy lets go of, before it is
 * deleted: its followers are marked orphaning while it still exists (federation/followers.ts).
 */
export const RELEASING_ANNOTATION = 'policy.kubefed.io/releasing';
/** Set on member objects by the sync controller; never part of a template. */
const MANAGED_LABEL = 'kubefed.io/managed';

export type PolicyKind = 'PropagationPolicy' | 'ClusterPropagationPolicy';

/** A policy with its kind (the informers' objects may lack apiVersion/kind). */
export interface PolicyEntry {
  kind: PolicyKind;
  policy: PropagationPolicy;
}

/** `PropagationPolicy/ns/name` or `ClusterPropagationPolicy/name`: the value of PROPAGATED_BY_ANNOTATION. */
export function policyRef({ kind, policy }: PolicyEntry): string {
  const { namespace, name } = policy.metadata;
  return kind === 'PropagationPolicy' ? `${kind}/${namespace}/${name}` : `${kind}/${name}`;
}

/** An enabled federated type, as its FederatedTypeConfig says. */
export interface PolicyType {
  /** The FederatedTypeConfig's name, e.g. `deployments.apps`. */
  ftcName: string;
  target: TargetKind & { version: string; namespaced: boolean };
  federated: FederatedKindRef;
}

const groupOf = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

/** Whether a selector names `type` (group and kind; the version is the FTC's, any served one selects). */
export function selectorNamesType(
  sel: Pick<ResourceSelector, 'apiVersion' | 'kind'>,
  type: PolicyType,
): boolean {
  return groupOf(sel.apiVersion) === type.target.group && sel.kind === type.target.kind;
}

/** Problems of a policy that stop it as a whole (each `<field>: <message>`): selectors, then overrides. */
export function policyProblems(policy: PropagationPolicy): string[] {
  return [...selectorProblems(policy), ...overrideProblems(policy)];
}

/**
 * Overrides a Federated<Kind> would refuse (the webhook's checks): an op or path that can never
 * apply, a path that ties copies to their federated object, one path twice in an entry.
 */
export function overrideProblems(policy: PropagationPolicy): string[] {
  return (policy.spec?.overrides ?? []).flatMap((o, i) =>
    validateOverrides([{ clusterName: 'c', clusterOverrides: o.clusterOverrides }], 'spec.overrides', {
      perOperation: true,
    }).map((e) => e.replace(/^spec\.overrides\[0\]/, `spec.overrides[${i}]`)),
  );
}

function selectorProblems(policy: PropagationPolicy): string[] {
  const errors: string[] = [];
  (policy.spec?.resourceSelectors ?? []).forEach((sel, i) => {
    if (sel.labelSelector) {
      const parsed = parseLabelSelector(sel.labelSelector, `spec.resourceSelectors[${i}].labelSelector`);
      if (parsed.kind === 'invalid') errors.push(...parsed.errors);
    }
  });
  (policy.spec?.overrides ?? []).forEach((o, i) => {
    if (!o.clusterName && o.clusterSelector) {
      const parsed = parseLabelSelector(o.clusterSelector, `spec.overrides[${i}].clusterSelector`);
      if (parsed.kind === 'invalid') errors.push(...parsed.errors);
    }
  });
  if (policy.spec?.placement?.clusterSelector) {
    const parsed = parseLabelSelector(
      policy.spec.placement.clusterSelector,
      'spec.placement.clusterSelector',
    );
    if (parsed.kind === 'invalid') errors.push(...parsed.errors);
  }
  return errors;
}

/**
 * Whether the policy selects `obj` of `type`. A PropagationPolicy selects only in its own
 * namespace; objects a controller owns (a Deployment's ReplicaSets) and objects every cluster
 * makes for itself (kube-root-ca.crt, the default ServiceAccount, token Secrets) are never selected,
 * as with `kubefedctl federate namespace --contents`. A policy being deleted selects nothing.
 */
export function policySelects(entry: PolicyEntry, obj: KubeObject, type: PolicyType): boolean {
  const { policy, kind } = entry;
  if (policy.metadata.deletionTimestamp || obj.metadata.deletionTimestamp) return false;
  if (kind === 'PropagationPolicy' && obj.metadata.namespace !== policy.metadata.namespace) return false;
  if (contentObjectSkipReason(obj, type.target) !== undefined) return false;
  return (policy.spec?.resourceSelectors ?? []).some((sel) => {
    if (!selectorNamesType(sel, type)) return false;
    if (sel.name && sel.name !== obj.metadata.name) return false;
    if (sel.namespace && sel.namespace !== obj.metadata.namespace) return false;
    if (!sel.labelSelector) return true;
    const parsed = parseLabelSelector(sel.labelSelector);
    return parsed.kind === 'ok' && matches(parsed.selector, obj.metadata.labels);
  });
}

/**
 * The policy that propagates `obj`: of the valid policies that select it, the highest priority;
 * on a tie a PropagationPolicy before a ClusterPropagationPolicy (the namespace's owner is more
 * specific), then the first by namespace/name.
 */
export function winningPolicy(
  policies: readonly PolicyEntry[],
  obj: KubeObject,
  type: PolicyType,
): PolicyEntry | undefined {
  const candidates = policies.filter(
    (p) => policySelects(p, obj, type) && policyProblems(p.policy).length === 0,
  );
  candidates.sort((a, b) => {
    const pa = a.policy.spec.priority ?? 0;
    const pb = b.policy.spec.priority ?? 0;
    if (pa !== pb) return pb - pa;
    if (a.kind !== b.kind) return a.kind === 'PropagationPolicy' ? -1 : 1;
    const ra = policyRef(a);
    const rb = policyRef(b);
    return ra < rb ? -1 : ra > rb ? 1 : 0;
  });
  return candidates[0];
}

/**
 * The policy's overrides as a Federated<Kind>'s: one entry per registered cluster that any entry
 * targets (by name, or by label selector), sorted by cluster; operations in the order of the
 * policy's entries, a later operation on the same path replacing an earlier one (a Federated<Kind>
 * refuses two operations on one path).
 */
export function expandOverrides(
  overrides: readonly PolicyOverride[] | undefined,
  clusters: readonly KubeFedCluster[],
): Overrides | undefined {
  if (!overrides || overrides.length === 0) return undefined;
  const byCluster = new Map<string, ClusterOverride[]>();
  const names = clusters.map((c) => c.metadata.name!).sort();
  for (const entry of overrides) {
    let targets: string[];
    if (entry.clusterName) targets = names.includes(entry.clusterName) ? [entry.clusterName] : [];
    else if (entry.clusterSelector) {
      const parsed = parseLabelSelector(entry.clusterSelector);
      if (parsed.kind !== 'ok') continue;
      targets = clusters
        .filter((c) => matches(parsed.selector, c.metadata.labels))
        .map((c) => c.metadata.name!);
    } else targets = [];
    for (const cluster of targets) {
      const ops = byCluster.get(cluster) ?? [];
      for (const op of entry.clusterOverrides ?? []) {
        const i = ops.findIndex((o) => o.path === op.path);
        if (i >= 0) ops.splice(i, 1);
        ops.push(structuredClone(op));
      }
      byCluster.set(cluster, ops);
    }
  }
  const out = [...byCluster]
    .filter(([, ops]) => ops.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([clusterName, clusterOverrides]) => ({ clusterName, clusterOverrides }));
  return out.length > 0 ? out : undefined;
}

/** A generated object's reference to the host object it comes from (the garbage collector deletes it with that). */
export function ownerReferenceTo(object: KubeObject, type: PolicyType) {
  return {
    apiVersion: type.target.group ? `${type.target.group}/${type.target.version}` : type.target.version,
    kind: type.target.kind,
    name: object.metadata.name!,
    uid: object.metadata.uid!,
  };
}

/** The template of a generated object: {@link templateOf}, less what KubeFed writes on the object. */
export function generatedTemplateOf(obj: KubeObject, type: PolicyType): Record<string, unknown> {
  const template = templateOf(obj, type.target);
  const meta = template.metadata as { labels?: Record<string, string>; annotations?: Record<string, string> };
  const isClaim = type.target.group === '' && type.target.kind === 'PersistentVolumeClaim';
  // A claim is bound per cluster: each member binds its own volume.
  if (isClaim && template.spec && typeof template.spec === 'object')
    delete (template.spec as { volumeName?: unknown }).volumeName;
  if (meta) {
    if (meta.annotations) {
      delete meta.annotations[PROPAGATED_BY_ANNOTATION];
      delete meta.annotations[ORPHAN_ANNOTATION];
      if (isClaim) for (const a of CLAIM_BINDING_ANNOTATIONS) delete meta.annotations[a];
      if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
    }
    if (meta.labels) {
      // The host may be a member: the sync controller then labels the object itself as managed.
      delete meta.labels[MANAGED_LABEL];
      if (Object.keys(meta.labels).length === 0) delete meta.labels;
    }
    if (Object.keys(meta).length === 0) delete template.metadata;
  }
  return template;
}

export interface GeneratedInput {
  type: PolicyType;
  /** The selected object (must exist and have a uid). */
  object: KubeObject;
  entry: PolicyEntry;
  clusters: readonly KubeFedCluster[];
  /**
   * A ReplicaSchedulingPreference schedules the generated object: it owns placement and overrides
   * (the RSP controller writes them), so the generated object keeps the ones it has.
   */
  scheduled?: { placement: FederatedObject['spec']['placement']; overrides: Overrides | undefined };
}

/** The Federated<Kind> a policy generates for an object. */
export function generatedObject(input: GeneratedInput): FederatedObject {
  const { type, object, entry, clusters } = input;
  const spec = entry.policy.spec;
  const overrides = input.scheduled ? input.scheduled.overrides : expandOverrides(spec.overrides, clusters);
  const placement = input.scheduled ? input.scheduled.placement : structuredClone(spec.placement);
  const hasReplicas = typeof (object.spec as { replicas?: unknown } | undefined)?.replicas === 'number';
  const isNamespace = type.target.group === '' && type.target.kind === 'Namespace';
  const namespace = isNamespace ? object.metadata.name : object.metadata.namespace;
  return {
    apiVersion: `${type.federated.group}/${type.federated.version}`,
    kind: type.federated.kind,
    metadata: {
      name: object.metadata.name!,
      ...(type.federated.namespaced && namespace ? { namespace } : {}),
      labels: { [GENERATED_BY_LABEL]: 'policy' },
      annotations: {
        [PROPAGATED_BY_ANNOTATION]: policyRef(entry),
        [DELETION_POLICY_ANNOTATION]: spec.deletionPolicy ?? 'Orphan',
      },
      ownerReferences: [ownerReferenceTo(object, type)],
    },
    spec: {
      template: generatedTemplateOf(object, type),
      ...(placement ? { placement } : {}),
      ...(overrides ? { overrides } : {}),
      ...(spec.retainReplicas && hasReplicas ? { retainReplicas: true } : {}),
    },
  };
}

/** Whether a Federated<Kind> was generated (by a policy, for a namespace, as a follower). */
export function generatedBy(obj: KubeObject | undefined): GeneratedBy | undefined {
  const v = obj?.metadata.labels?.[GENERATED_BY_LABEL];
  return v === 'policy' || v === 'namespace' || v === 'follower' ? v : undefined;
}

/** JSON with sorted keys: equality of API objects whatever the order the server returned. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );
}

/**
 * `existing` changed so that it says what `desired` says (spec, our label and annotations, the
 * owner), keeping what others wrote (finalizers, other annotations); undefined when it already does.
 */
export function updatedGenerated(
  existing: FederatedObject,
  desired: FederatedObject,
): FederatedObject | undefined {
  const labels = { ...existing.metadata.labels, ...desired.metadata.labels };
  const annotations = { ...existing.metadata.annotations, ...desired.metadata.annotations };
  const owners = desired.metadata.ownerReferences ?? existing.metadata.ownerReferences;
  const same =
    canonical(existing.spec ?? {}) === canonical(desired.spec) &&
    canonical(labels) === canonical(existing.metadata.labels ?? {}) &&
    canonical(annotations) === canonical(existing.metadata.annotations ?? {}) &&
    canonical(owners ?? []) === canonical(existing.metadata.ownerReferences ?? []);
  if (same) return undefined;
  return {
    ...existing,
    metadata: {
      ...existing.metadata,
      labels,
      annotations,
      ...(owners ? { ownerReferences: owners } : {}),
    },
    spec: desired.spec,
  };
}

/** What to do about one selected-or-formerly-selected object. */
export type ObjectPlan =
  /** Nothing generated, nothing to generate. */
  | { kind: 'none' }
  | { kind: 'create'; object: FederatedObject }
  | { kind: 'update'; object: FederatedObject }
  | { kind: 'unchanged' }
  /** A user-written Federated<Kind> of the same name: it wins. */
  | { kind: 'conflict'; message: string }
  /** The object is gone: delete what was generated for it (and with it the member copies). */
  | { kind: 'delete' }
  /** No policy propagates the object any more: let go of the generated object. */
  | { kind: 'release'; orphan: boolean };

export interface ObjectPlanInput {
  type: PolicyType;
  /** Undefined (or being deleted) when the object is gone. */
  object: KubeObject | undefined;
  policies: readonly PolicyEntry[];
  existing: FederatedObject | undefined;
  clusters: readonly KubeFedCluster[];
  /** Whether a ReplicaSchedulingPreference of the same name targets the federated kind. */
  scheduledByRsp?: boolean;
}

/** The plan for one object, and the policy that propagates it (if any). */
export function planObject(input: ObjectPlanInput): { plan: ObjectPlan; entry?: PolicyEntry } {
  const { type, object, existing } = input;
  const ours = generatedBy(existing) === 'policy';
  if (!object || object.metadata.deletionTimestamp) {
    return { plan: ours && !existing!.metadata.deletionTimestamp ? { kind: 'delete' } : { kind: 'none' } };
  }
  const entry = winningPolicy(input.policies, object, type);
  if (!entry) {
    if (!ours || existing!.metadata.deletionTimestamp) return { plan: { kind: 'none' } };
    // Its policy became invalid (a typo in a selector or an override): hold what it generated
    // until it is fixed, rather than let go of the member copies.
    const holder = input.policies.find(
      (p) =>
        policyRef(p) === existing!.metadata.annotations?.[PROPAGATED_BY_ANNOTATION] &&
        !p.policy.metadata.deletionTimestamp &&
        policyProblems(p.policy).length > 0,
    );
    if (holder) return { entry: holder, plan: { kind: 'unchanged' } };
    const deletion = existing!.metadata.annotations?.[DELETION_POLICY_ANNOTATION] as
      DeletionPolicy | undefined;
    return { plan: { kind: 'release', orphan: deletion !== 'Delete' } };
  }
  if (existing && !generatedBy(existing)) {
    return {
      entry,
      plan: {
        kind: 'conflict',
        message: `${existing.kind ?? type.federated.kind} ${key(existing)} exists and was not generated by a policy; it wins (delete it to let ${policyRef(entry)} propagate ${type.target.kind} ${key(object)})`,
      },
    };
  }
  if (existing?.metadata.deletionTimestamp) return { entry, plan: { kind: 'unchanged' } };
  const scheduled =
    input.scheduledByRsp && existing && ours
      ? { placement: existing.spec?.placement, overrides: existing.spec?.overrides }
      : undefined;
  const desired = generatedObject({
    type,
    object,
    entry,
    clusters: input.clusters,
    ...(scheduled ? { scheduled } : {}),
  });
  if (!existing) return { entry, plan: { kind: 'create', object: desired } };
  // Selected again before its release finished (a retry): it is no longer being let go of.
  if (existing.metadata.annotations?.[RELEASING_ANNOTATION] !== undefined) {
    const annotations = { ...existing.metadata.annotations };
    delete annotations[RELEASING_ANNOTATION];
    delete annotations[ORPHAN_ANNOTATION];
    return {
      entry,
      plan: {
        kind: 'update',
        object: updatedGenerated(
          { ...existing, metadata: { ...existing.metadata, annotations } },
          desired,
        ) ?? { ...existing, metadata: { ...existing.metadata, annotations } },
      },
    };
  }
  const updated = updatedGenerated(existing, desired);
  return { entry, plan: updated ? { kind: 'update', object: updated } : { kind: 'unchanged' } };
}

const key = (o: KubeObject) =>
  o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata.name ?? '');

/** The merge patch that makes the object's PROPAGATED_BY_ANNOTATION `value`; undefined when it is. */
export function propagatedByPatch(object: KubeObject, value: string | undefined): object | undefined {
  const current = object.metadata.annotations?.[PROPAGATED_BY_ANNOTATION];
  if (current === value) return undefined;
  return { metadata: { annotations: { [PROPAGATED_BY_ANNOTATION]: value ?? null } } };
}

/** One selected object, as the policy status sees it. */
export interface SelectedObject {
  type: PolicyType;
  object: KubeObject;
  /** The policy that propagates it (maybe another one). */
  winner: PolicyEntry | undefined;
  existing: FederatedObject | undefined;
}

/** A selector whose type cannot be propagated. */
export interface TypeProblem {
  apiVersion: string;
  kind: string;
}

export interface PolicyStatusInput {
  entry: PolicyEntry;
  /** Objects the policy selects (of enabled types). */
  selected: readonly SelectedObject[];
  /** Selectors naming a type no enabled FederatedTypeConfig federates. */
  disabledTypes: readonly TypeProblem[];
  now: Date;
}

/**
 * The status of a policy: objects it propagates, conflicts with user-written Federated<Kind>, and
 * a Ready condition (False with the first problem: InvalidSelector, TypeNotEnabled, Conflict).
 */
export function policyStatusOf(input: PolicyStatusInput): PropagationPolicyStatus {
  const { entry, selected, disabledTypes, now } = input;
  const ref = policyRef(entry);
  const mine = selected.filter((s) => s.winner && policyRef(s.winner) === ref);
  const conflicts: PolicyConflict[] = mine
    .filter((s) => s.existing && !generatedBy(s.existing))
    .map((s) => ({
      apiVersion: s.type.target.group
        ? `${s.type.target.group}/${s.type.target.version}`
        : s.type.target.version,
      kind: s.type.target.kind,
      ...(s.object.metadata.namespace ? { namespace: s.object.metadata.namespace } : {}),
      name: s.object.metadata.name!,
      reason: 'FederatedObjectExists' as const,
      message: `a user-written ${s.type.federated.kind} ${key(s.object)} exists; it wins over the policy`,
    }))
    .sort((a, b) =>
      canonical([a.kind, a.namespace, a.name]).localeCompare(canonical([b.kind, b.namespace, b.name])),
    );
  const selectors = selectorProblems(entry.policy);
  const overrides = overrideProblems(entry.policy);
  let condition: Omit<PolicyCondition, 'lastTransitionTime'>;
  if (selectors.length > 0) {
    condition = { type: 'Ready', status: 'False', reason: 'InvalidSelector', message: selectors.join('; ') };
  } else if (overrides.length > 0) {
    condition = { type: 'Ready', status: 'False', reason: 'InvalidOverrides', message: overrides.join('; ') };
  } else if (disabledTypes.length > 0) {
    condition = {
      type: 'Ready',
      status: 'False',
      reason: 'TypeNotEnabled',
      message: disabledTypes
        .map(
          (t) =>
            `${t.kind} (${t.apiVersion}) is not federated: no FederatedTypeConfig with propagation Enabled targets it; run kubefedctl enable ${enableArg(t)}`,
        )
        .join('; '),
    };
  } else if (conflicts.length > 0) {
    condition = {
      type: 'Ready',
      status: 'False',
      reason: 'Conflict',
      message: `${conflicts.length} selected object(s) have a user-written federated object, which wins (see status.conflicts)`,
    };
  } else {
    condition = {
      type: 'Ready',
      status: 'True',
      reason: 'Propagating',
      message: `${mine.length} object(s) propagated`,
    };
  }
  const previous = entry.policy.status?.conditions?.find((c) => c.type === 'Ready');
  const transition =
    previous && previous.status === condition.status && previous.reason === condition.reason
      ? previous.lastTransitionTime
      : now.toISOString().replace(/\.\d+Z$/, 'Z');
  return {
    ...(entry.policy.metadata.generation !== undefined
      ? { observedGeneration: entry.policy.metadata.generation }
      : {}),
    matchedObjects: mine.length - conflicts.length,
    ...(conflicts.length > 0 ? { conflicts } : {}),
    conditions: [{ ...condition, ...(transition ? { lastTransitionTime: transition } : {}) }],
  };
}

/** `kubefedctl enable` takes a kind (resolved on the host), or plural.group, which a selector lacks. */
function enableArg(t: TypeProblem): string {
  return t.kind;
}

/** Whether writing `next` would change what `current` says (the transition time aside). */
export function policyStatusChanged(
  current: PropagationPolicyStatus | undefined,
  next: PropagationPolicyStatus,
): boolean {
  return canonical(current ?? {}) !== canonical(next);
}

export interface NamespacePlanInput {
  namespace: string;
  /** The federated Namespace type (the `namespaces` FederatedTypeConfig). */
  federatedNamespace: FederatedKindRef;
  /**
   * Generated Federated<Kind> objects in the namespace (by policies and as followers, being
   * deleted or not): the live policy-generated ones decide the placement.
   */
  generated: readonly FederatedObject[];
  existing: FederatedObject | undefined;
  clusters: readonly KubeFedCluster[];
  scope: ControlPlaneScope;
}

/**
 * The FederatedNamespace a namespace needs so that its policy-generated objects propagate: placed
 * on the union of their clusters. Generated only when there is no user-written one (which then decides
 * where the namespace goes, as for any federated object); released (orphaned: the member
 * namespaces and whatever else they hold stay) when no generated object is left in the namespace.
 */
export function planNamespace(input: NamespacePlanInput): ObjectPlan {
  const { namespace, existing } = input;
  if (existing && generatedBy(existing) !== 'namespace') return { kind: 'none' };
  // Followers go where their policy-generated leaders go, so these decide. User-written objects
  // keep upstream's rule: their namespace must be federated explicitly.
  const live = input.generated.filter((g) => !g.metadata.deletionTimestamp && generatedBy(g) === 'policy');
  if (live.length === 0) {
    if (!existing || existing.metadata.deletionTimestamp) return { kind: 'none' };
    // Held until every generated object is gone: while the namespace is federated, objects still
    // being released keep their copies (without it, their placement would drop to no cluster).
    if (input.generated.some((g) => generatedBy(g) !== undefined)) return { kind: 'unchanged' };
    return { kind: 'release', orphan: true };
  }
  const union = new Set<string>();
  for (const g of live) {
    const p = computePlacement({
      placement: g.spec?.placement,
      clusters: input.clusters,
      scope: input.scope,
    });
    if (p.kind === 'ok') for (const c of p.clusters) union.add(c);
  }
  const desired: FederatedObject = {
    apiVersion: `${input.federatedNamespace.group}/${input.federatedNamespace.version}`,
    kind: input.federatedNamespace.kind,
    metadata: { name: namespace, namespace, labels: { [GENERATED_BY_LABEL]: 'namespace' } },
    spec: { placement: { clusters: [...union].sort().map((name) => ({ name })) } },
  };
  if (!existing) return { kind: 'create', object: desired };
  if (existing.metadata.deletionTimestamp) return { kind: 'unchanged' };
  const updated = updatedGenerated(existing, desired);
  return updated ? { kind: 'update', object: updated } : { kind: 'unchanged' };
}
