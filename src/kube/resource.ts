/**
 * Dynamic objects: get, list (paginated), create, update, delete, merge/JSON patch, server-side
 * apply and the status subresource, for any resource type.
 */
import type { ClusterClient, KubeRequest } from './client.js';
import { isNotFound } from './errors.js';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
}

/** Any Kubernetes object: typed metadata, the rest as JSON. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

/** Where a resource lives in the API: group, version, plural name and scope. */
export interface ResourceRef {
  group: string;
  version: string;
  resource: string;
  namespaced: boolean;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  signal?: AbortSignal;
}

export interface WriteOptions {
  namespace?: string;
  fieldManager?: string;
  dryRun?: boolean;
  /** Aborts the request (and its retries). */
  signal?: AbortSignal;
}

export interface DeleteOptions {
  namespace?: string;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  /** Server-side dry run: admission and validation, nothing deleted. */
  dryRun?: boolean;
  /** Aborts the request (and its retries). */
  signal?: AbortSignal;
}

export type PatchType = 'merge' | 'json' | 'strategic';

const PATCH_CONTENT_TYPE: Record<PatchType | 'apply', string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
};

/** `/api/v1/namespaces/ns/pods/name/status`-style path. */
export function resourcePath(
  ref: ResourceRef,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  let p = ref.group ? `/apis/${ref.group}/${ref.version}` : `/api/${ref.version}`;
  if (ref.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${ref.resource}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

export class ResourceClient<T extends KubeObject = KubeObject> {
  constructor(
    readonly client: ClusterClient,
    readonly ref: ResourceRef,
  ) {}

  private ns(namespace: string | undefined, obj?: KubeObject): string | undefined {
    const ns = namespace ?? obj?.metadata.namespace;
    if (this.ref.namespaced && !ns) {
      throw new Error(
        `${this.ref.resource}${obj?.metadata.name ? ` "${obj.metadata.name}"` : ''}: a namespace is required`,
      );
    }
    return this.ref.namespaced ? ns : undefined;
  }

  private nameOf(obj: KubeObject): string {
    if (!obj.metadata.name) throw new Error(`${this.ref.resource}: object has no metadata.name`);
    return obj.metadata.name;
  }

  get(name: string, opts: { namespace?: string; signal?: AbortSignal } = {}): Promise<T> {
    return this.client.request<T>({
      method: 'GET',
      path: resourcePath(this.ref, this.ns(opts.namespace), name),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /** Like {@link get}, but `undefined` when the object does not exist (other errors still throw). */
  async find(name: string, opts: { namespace?: string; signal?: AbortSignal } = {}): Promise<T | undefined> {
    try {
      return await this.get(name, opts);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** One page of a list. Without `namespace`, a namespaced resource is listed across all namespaces. */
  list(opts: ListOptions = {}): Promise<ObjectList<T>> {
    return this.client.request<ObjectList<T>>({
      method: 'GET',
      verb: 'list',
      path: resourcePath(this.ref, opts.namespace),
      query: {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
      },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  /** Every item, following `continue` tokens; the resourceVersion is the first page's (a consistent snapshot). */
  async listAll(opts: Omit<ListOptions, 'continue'> = {}): Promise<ObjectList<T>> {
    const limit = opts.limit ?? 500;
    const first = await this.list({ ...opts, limit });
    const items = [...first.items];
    let cont = first.metadata.continue;
    while (cont) {
      const page = await this.list({ ...opts, limit, continue: cont, resourceVersion: undefined });
      items.push(...page.items);
      cont = page.metadata.continue;
    }
    return { ...first, metadata: { resourceVersion: first.metadata.resourceVersion }, items };
  }

  create(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.client.request<T>({
      method: 'POST',
      path: resourcePath(this.ref, this.ns(opts.namespace, obj)),
      query: writeQuery(opts),
      body: obj,
      ...signalOf(opts),
    });
  }

  /** Replaces the object (PUT); fails with Conflict when its resourceVersion is stale. */
  update(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.client.request<T>({
      method: 'PUT',
      path: resourcePath(this.ref, this.ns(opts.namespace, obj), this.nameOf(obj)),
      query: writeQuery(opts),
      body: obj,
      ...signalOf(opts),
    });
  }

  /** Replaces the status subresource (PUT …/status). */
  updateStatus(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.client.request<T>({
      method: 'PUT',
      path: resourcePath(this.ref, this.ns(opts.namespace, obj), this.nameOf(obj), 'status'),
      query: writeQuery(opts),
      body: obj,
      ...signalOf(opts),
    });
  }

  patch(
    name: string,
    type: PatchType,
    patch: unknown,
    opts: WriteOptions & { subresource?: 'status' | 'scale' } = {},
  ): Promise<T> {
    return this.client.request<T>({
      method: 'PATCH',
      path: resourcePath(this.ref, this.ns(opts.namespace), name, opts.subresource),
      query: writeQuery(opts),
      contentType: PATCH_CONTENT_TYPE[type],
      body: patch,
      ...signalOf(opts),
    });
  }

  /** Server-side apply (`fieldManager` required); `force` takes over conflicting fields. */
  apply(
    obj: T,
    opts: WriteOptions & { fieldManager: string; force?: boolean; subresource?: 'status' },
  ): Promise<T> {
    const req: KubeRequest = {
      method: 'PATCH',
      path: resourcePath(this.ref, this.ns(opts.namespace, obj), this.nameOf(obj), opts.subresource),
      query: { ...writeQuery(opts), force: opts.force ? true : undefined },
      contentType: PATCH_CONTENT_TYPE.apply,
      body: obj, // JSON is YAML
      ...signalOf(opts),
    };
    return this.client.request<T>(req);
  }

  /** Deletes; resolves with the server's answer (the object while finalizers run, or a Status). */
  delete(name: string, opts: DeleteOptions = {}): Promise<unknown> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    if (opts.preconditions) body.preconditions = opts.preconditions;
    // In the body: an API server reads DELETE's query parameters only when there is no body. The
    // query too, so that its request metrics and audit log label the call a dry run.
    if (opts.dryRun) body.dryRun = ['All'];
    return this.client.request({
      method: 'DELETE',
      path: resourcePath(this.ref, this.ns(opts.namespace), name),
      ...(opts.dryRun ? { query: { dryRun: 'All' } } : {}),
      body,
      ...signalOf(opts),
    });
  }
}

function signalOf(opts: { signal?: AbortSignal }): { signal?: AbortSignal } {
  return opts.signal ? { signal: opts.signal } : {};
}

function writeQuery(opts: WriteOptions): KubeRequest['query'] {
  return { fieldManager: opts.fieldManager, dryRun: opts.dryRun ? 'All' : undefined };
}
