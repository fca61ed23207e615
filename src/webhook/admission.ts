/**
 * AdmissionReview (admission.k8s.io/v1) handling, pure: a request path and body in, an HTTP
 * status and response body out. Upstream KubeFed v0.10 rules: only CREATE and UPDATE are checked;
 * a hook checks only requests for its own group/resource (others are allowed); `/status` writes
 * get the status rules; a denial is `allowed: false` with code 403 and the field errors joined;
 * a body that is not an AdmissionReview is an HTTP 400. Mutating hooks: KubeFedConfig defaults
 * (upstream's), and the sync controller's finalizer on new Federated<Kind> objects (ours:
 * sync-finalizer.ts).
 */
import { CORE_GROUP } from '../api/core.js';
import { SCHEDULING_GROUP } from '../api/scheduling.js';
import { validateReplicaSchedulingPreference } from '../scheduling/validate.js';
import {
  kubeFedConfigDefaultsPatch,
  validateKubeFedConfigObject,
  type JsonPatchOperation,
} from './validate-config.js';
import { validateKubeFedClusterSpec, validateKubeFedClusterStatus } from './validate-cluster.js';
import { validateFederatedObject } from './validate-federated.js';
import { validateFederatedTypeConfig, validateFederatedTypeConfigStatus } from './validate-typeconfig.js';
import { syncFinalizerPatch, type PropagatedTypes } from './sync-finalizer.js';
import { formatFieldErrors, isRecord, sameJson, type FieldError } from './validation.js';

export interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  resource?: { group?: string; version?: string; resource?: string };
  subResource?: string;
  name?: string;
  namespace?: string;
  operation?: string;
  object?: unknown;
  oldObject?: unknown;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason?: string; message?: string };
  patchType?: 'JSONPatch';
  patch?: string;
  /** Shown by kubectl as `Warning: …`; the object is admitted (or refused) regardless. */
  warnings?: string[];
}

export type Decision =
  | { kind: 'allowed'; warnings?: FieldError[] }
  | { kind: 'denied'; errors: FieldError[]; warnings?: FieldError[] }
  | { kind: 'patched'; patch: JsonPatchOperation[] };

/** What the server knows beyond the request (every validating hook needs nothing of it). */
export interface AdmissionContext {
  /** The control plane's FederatedTypeConfigs, for the sync finalizer; absent: no host access. */
  propagatedTypes?: PropagatedTypes;
}

interface Hook {
  /** Whether the request is for this hook's group/resource; others are allowed unchecked. */
  handles(req: AdmissionRequest): boolean;
  decide(req: AdmissionRequest, ctx: AdmissionContext): Decision;
}

const ALLOWED: Decision = { kind: 'allowed' };
/** Errors refuse the object; warnings (valid, but surely not what was meant) reach kubectl. */
export interface Findings {
  errors: FieldError[];
  warnings: FieldError[];
}
const verdict = (found: FieldError[] | Findings): Decision => {
  const { errors, warnings } = Array.isArray(found) ? { errors: found, warnings: [] } : found;
  const w = warnings.length ? { warnings } : {};
  return errors.length
    ? { kind: 'denied', errors, ...w }
    : warnings.length
      ? { kind: 'allowed', ...w }
      : ALLOWED;
};
const specOf = (o: unknown) => (isRecord(o) ? o.spec : undefined);
const statusOf = (o: unknown) => (isRecord(o) ? o.status : undefined);

/** A Federated<Kind> of any federated group (not KubeFed's own core and scheduling groups). */
function isFederatedObject(req: AdmissionRequest): boolean {
  return (
    req.resource?.group !== undefined &&
    req.resource.group !== CORE_GROUP &&
    req.resource.group !== SCHEDULING_GROUP &&
    (req.resource.resource ?? '').startsWith('federated') &&
    (req.kind?.kind ?? '').startsWith('Federated')
  );
}

const resource =
  (group: string, plural: string) =>
  (req: AdmissionRequest): boolean =>
    req.resource?.group === group && req.resource?.resource === plural;

/**
 * Whether an UPDATE leaves the spec alone (labels, annotations, finalizers, deletion): such
 * updates are admitted even when the stored spec breaks a rule — e.g. an object created before the
 * webhook was installed — so controllers can still add and remove finalizers and it can be deleted.
 */
function specUnchanged(req: AdmissionRequest): boolean {
  if (req.operation !== 'UPDATE') return false;
  const deleting =
    isRecord(req.object) && isRecord(req.object.metadata) && req.object.metadata.deletionTimestamp;
  return Boolean(deleting) || sameJson(specOf(req.object), specOf(req.oldObject));
}

/**
 * Validating hooks check CREATE and UPDATE (but not updates that leave the spec alone); the main
 * resource gets spec rules, `/status` writes status rules.
 */
function validating(
  handles: (req: AdmissionRequest) => boolean,
  spec: (req: AdmissionRequest) => FieldError[] | Findings,
  status?: (req: AdmissionRequest) => FieldError[],
): Hook {
  return {
    handles,
    decide(req) {
      if (req.operation !== 'CREATE' && req.operation !== 'UPDATE') return ALLOWED;
      if (!req.subResource) return specUnchanged(req) ? ALLOWED : verdict(spec(req));
      if (req.subResource === 'status' && status) return verdict(status(req));
      return ALLOWED;
    },
  };
}

export const HOOKS: Readonly<Record<string, Hook>> = {
  '/validate-federatedtypeconfigs': validating(
    resource(CORE_GROUP, 'federatedtypeconfigs'),
    (req) => validateFederatedTypeConfig(req.object),
    (req) => validateFederatedTypeConfigStatus(statusOf(req.object)),
  ),
  '/validate-kubefedcluster': validating(
    resource(CORE_GROUP, 'kubefedclusters'),
    (req) => validateKubeFedClusterSpec(specOf(req.object)),
    (req) => validateKubeFedClusterStatus(statusOf(req.object)),
  ),
  '/validate-kubefedconfig': validating(resource(CORE_GROUP, 'kubefedconfigs'), (req) =>
    validateKubeFedConfigObject(req.object, req.operation === 'UPDATE' ? req.oldObject : undefined),
  ),
  '/default-kubefedconfig': {
    handles: resource(CORE_GROUP, 'kubefedconfigs'),
    decide(req) {
      if ((req.operation !== 'CREATE' && req.operation !== 'UPDATE') || req.subResource) return ALLOWED;
      const patch = kubeFedConfigDefaultsPatch(req.object);
      return patch.length ? { kind: 'patched', patch } : ALLOWED;
    },
  },
  // The planner's own rules (shared with the RSP controller): errors refuse the object, warnings
  // (valid specs the planner cannot meet in full) are passed on to kubectl.
  '/validate-replicaschedulingpreferences': {
    handles: resource(SCHEDULING_GROUP, 'replicaschedulingpreferences'),
    decide(req) {
      if ((req.operation !== 'CREATE' && req.operation !== 'UPDATE') || req.subResource) return ALLOWED;
      if (specUnchanged(req)) return ALLOWED;
      const problems = validateReplicaSchedulingPreference(specOf(req.object));
      const pick = (severity: string) =>
        problems.filter((p) => p.severity === severity).map(({ field, message }) => ({ field, message }));
      const [errors, warnings] = [pick('error'), pick('warning')];
      const w = warnings.length ? { warnings } : {};
      return errors.length ? { kind: 'denied', errors, ...w } : { kind: 'allowed', ...w };
    },
  },
  '/validate-federated': validating(isFederatedObject, (req) =>
    validateFederatedObject(req.object, { group: req.kind!.group ?? '', kind: req.kind!.kind! }),
  ),
  // The sync controller's finalizer on a new Federated<Kind> of a propagated type (sync-finalizer.ts).
  '/mutate-federated': {
    handles: isFederatedObject,
    decide(req, ctx) {
      const patch = syncFinalizerPatch(req, ctx.propagatedTypes);
      return patch.length ? { kind: 'patched', patch } : ALLOWED;
    },
  },
};

export interface HttpReply {
  status: number;
  contentType: 'application/json' | 'text/plain';
  body: string;
}

const text = (status: number, body: string): HttpReply => ({ status, contentType: 'text/plain', body });

/** Decodes an AdmissionReview, or says why the body is not one. */
export function decodeReview(body: string): { apiVersion: string; request: AdmissionRequest } | string {
  let review: unknown;
  try {
    review = JSON.parse(body);
  } catch (err) {
    return `the body is not JSON: ${(err as Error).message}`;
  }
  if (!isRecord(review)) return 'the body is not an AdmissionReview object';
  const { apiVersion, kind, request } = review;
  if (
    kind !== 'AdmissionReview' ||
    (apiVersion !== 'admission.k8s.io/v1' && apiVersion !== 'admission.k8s.io/v1beta1')
  )
    return `expected kind AdmissionReview of apiVersion admission.k8s.io/v1, got ${JSON.stringify(kind)} ${JSON.stringify(apiVersion)}`;
  if (!isRecord(request) || typeof request.uid !== 'string' || request.uid === '')
    return 'the AdmissionReview has no request with a uid';
  return { apiVersion, request: request as unknown as AdmissionRequest };
}

/** The response of one hook to one request. */
export function respond(hook: Hook, req: AdmissionRequest, ctx: AdmissionContext = {}): AdmissionResponse {
  const decision = hook.handles(req) ? hook.decide(req, ctx) : ALLOWED;
  const warnings =
    decision.kind !== 'patched' && decision.warnings?.length
      ? { warnings: decision.warnings.map((w) => formatFieldErrors([w])) }
      : {};
  switch (decision.kind) {
    case 'allowed':
      return { uid: req.uid, allowed: true, status: { code: 200 }, ...warnings };
    case 'patched':
      return {
        uid: req.uid,
        allowed: true,
        status: { code: 200 },
        patchType: 'JSONPatch',
        patch: Buffer.from(JSON.stringify(decision.patch)).toString('base64'),
      };
    case 'denied':
      return {
        uid: req.uid,
        allowed: false,
        status: { code: 403, reason: 'Forbidden', message: denialMessage(req, decision.errors) },
        ...warnings,
      };
  }
}

/** `KubeFedCluster "ns/name" is invalid: spec.apiEndpoint: …; spec.secretRef.name: …` */
export function denialMessage(req: AdmissionRequest, errors: readonly FieldError[]): string {
  const meta = isRecord(req.object) && isRecord(req.object.metadata) ? req.object.metadata : {};
  const name =
    req.name ||
    (typeof meta.name === 'string' && meta.name) ||
    `${typeof meta.generateName === 'string' ? meta.generateName : ''}*`;
  const key = req.namespace ? `${req.namespace}/${name}` : name;
  const what = req.subResource
    ? `${req.kind?.kind ?? 'object'} ${JSON.stringify(key)} ${req.subResource}`
    : `${req.kind?.kind ?? 'object'} ${JSON.stringify(key)}`;
  return `${what} is invalid: ${formatFieldErrors(errors)}`;
}

/** Handles one HTTP request: `POST <hook path>` with an AdmissionReview body. */
export function handleAdmission(
  method: string,
  path: string,
  body: string,
  ctx: AdmissionContext = {},
): HttpReply {
  const hook = Object.hasOwn(HOOKS, path) ? HOOKS[path] : undefined;
  if (!hook) return text(404, `no admission hook at ${path}; hooks: ${Object.keys(HOOKS).join(', ')}`);
  if (method !== 'POST') return text(405, `${path} takes POST with an AdmissionReview`);
  const decoded = decodeReview(body);
  if (typeof decoded === 'string') return text(400, `${path}: ${decoded}`);
  let response: AdmissionResponse;
  try {
    response = respond(hook, decoded.request, ctx);
  } catch (err) {
    response = {
      uid: decoded.request.uid,
      allowed: false,
      status: {
        code: 500,
        reason: 'InternalError',
        message: `${path}: internal error: ${(err as Error).message}`,
      },
    };
  }
  return {
    status: 200,
    contentType: 'application/json',
    body: JSON.stringify({ apiVersion: decoded.apiVersion, kind: 'AdmissionReview', response }),
  };
}
