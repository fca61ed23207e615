/**
 * Discovery and mapping: group/version/kind <-> resource and scope, for one cluster. Uses aggregated
 * discovery (one request for /api and one for /apis, Kubernetes >= 1.30) and falls back to per
 * group-version discovery. Cached; a miss refreshes (at most once per `minRefreshMs`), so a CRD
 * installed after start is found without a restart.
 */
import type { ClusterClient } from './client.js';
import { isNotFound } from './errors.js';

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  /** Plural resource name, e.g. `deployments`. */
  resource: string;
  singular: string;
  namespaced: boolean;
  verbs: string[];
  shortNames: string[];
  categories: string[];
  /** Subresources, e.g. `status`, `scale`. */
  subresources: string[];
  /** True for the group's preferred version. */
  preferred: boolean;
}

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export class UnknownTypeError extends Error {
  override name = 'UnknownTypeError';
}

/** `apps/v1` -> {group: 'apps', version: 'v1'}; `v1` -> core. */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

export function apiVersionOf(gv: { group: string; version: string }): string {
  return gv.group ? `${gv.group}/${gv.version}` : gv.version;
}

/** `deployments.apps` / `deployment` / `Deployment` / `deploy` / `deployments.v1.apps` style name. */
function matches(r: ResourceInfo, name: string): boolean {
  const n = name.toLowerCase();
  const bare = [r.resource, r.singular, r.kind.toLowerCase(), ...r.shortNames];
  if (bare.includes(n)) return true;
  if (!r.group) return false;
  for (const b of [r.resource, r.singular, r.kind.toLowerCase()]) {
    if (n === `${b}.${r.group}` || n === `${b}.${r.version}.${r.group}`) return true;
  }
  return false;
}

interface AggregatedList {
  kind?: string;
  items: {
    metadata: { name?: string };
    versions: {
      version: string;
      resources?: {
        resource: string;
        responseKind?: { group?: string; version?: string; kind: string };
        scope: 'Cluster' | 'Namespaced';
        singularResource?: string;
        verbs?: string[];
        shortNames?: string[];
        categories?: string[];
        subresources?: { subresource: string }[];
      }[];
    }[];
  }[];
}

interface LegacyResourceList {
  groupVersion: string;
  resources: {
    name: string;
    singularName?: string;
    namespaced: boolean;
    kind: string;
    verbs?: string[];
    shortNames?: string[];
    categories?: string[];
  }[];
}

const AGGREGATED_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';

export class Discovery {
  private cache?: { at: number; resources: ResourceInfo[] };
  private inflight?: Promise<ResourceInfo[]>;

  constructor(
    private readonly client: ClusterClient,
    private readonly minRefreshMs = 5_000,
  ) {}

  /** Every resource the cluster serves (cached). */
  async resources(): Promise<ResourceInfo[]> {
    return this.cache?.resources ?? this.refresh();
  }

  /** Re-reads discovery (concurrent callers share one refresh). */
  refresh(): Promise<ResourceInfo[]> {
    this.inflight ??= this.load()
      .then((resources) => {
        this.cache = { at: Date.now(), resources };
        return resources;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }

  private async find(pred: (r: ResourceInfo) => boolean): Promise<ResourceInfo | undefined> {
    const hit = (await this.resources()).find(pred);
    if (hit) return hit;
    if (this.cache && Date.now() - this.cache.at < this.minRefreshMs) return undefined;
    return (await this.refresh()).find(pred);
  }

  /** The resource serving a kind (the given version, or the group's preferred one). */
  async forKind(gvk: { group: string; version?: string; kind: string }): Promise<ResourceInfo> {
    const candidates = (r: ResourceInfo) =>
      r.group === gvk.group &&
      r.kind === gvk.kind &&
      !r.resource.includes('/') &&
      (gvk.version ? r.version === gvk.version : true);
    const found =
      (await this.find((r) => candidates(r) && (gvk.version !== undefined || r.preferred))) ??
      (await this.find(candidates));
    if (!found) {
      throw new UnknownTypeError(
        `${this.client.name}: the server does not serve kind ${gvk.kind} in ${apiVersionOf({ group: gvk.group, version: gvk.version ?? '*' })}`,
      );
    }
    return found;
  }

  /** The resource for an apiVersion + kind, as written in an object. */
  forObject(obj: { apiVersion?: string; kind?: string }): Promise<ResourceInfo> {
    if (!obj.apiVersion || !obj.kind) {
      return Promise.reject(new UnknownTypeError('object has no apiVersion or kind'));
    }
    return this.forKind({ ...parseApiVersion(obj.apiVersion), kind: obj.kind });
  }

  /**
   * Resolves a user-typed name the way kubectl does: plural, singular, kind, short name, or
   * `plural.group` / `plural.version.group`; the core group wins, else an ambiguous name is an error.
   */
  async resolve(name: string): Promise<ResourceInfo> {
    const pick = (all: ResourceInfo[]) => {
      const hits = all.filter((r) => r.preferred && matches(r, name));
      const core = hits.filter((r) => r.group === '');
      if (core.length > 0) return core[0];
      const groups = [...new Set(hits.map((r) => r.group))];
      if (groups.length > 1) {
        throw new UnknownTypeError(
          `"${name}" is ambiguous on ${this.client.name}: ${hits.map((r) => `${r.resource}.${r.group}`).join(', ')}; use the plural.group form`,
        );
      }
      return hits[0] ?? all.find((r) => matches(r, name));
    };
    let found = pick(await this.resources());
    if (!found && !(this.cache && Date.now() - this.cache.at < this.minRefreshMs))
      found = pick(await this.refresh());
    if (!found) throw new UnknownTypeError(`the server ${this.client.name} has no resource type "${name}"`);
    return found;
  }

  private async load(): Promise<ResourceInfo[]> {
    const [core, groups] = await Promise.all([this.aggregated('/api'), this.aggregated('/apis')]);
    if (core && groups) return [...core, ...groups];
    return this.legacy();
  }

  private async aggregated(path: '/api' | '/apis'): Promise<ResourceInfo[] | undefined> {
    const res = await this.client.requestRaw({
      method: 'GET',
      path,
      accept: AGGREGATED_ACCEPT,
      verb: 'discovery',
    });
    const type = String(res.headers['content-type'] ?? '');
    if (!type.includes('as=APIGroupDiscoveryList')) return undefined;
    const list = JSON.parse(res.body) as AggregatedList;
    const out: ResourceInfo[] = [];
    for (const g of list.items) {
      const group = g.metadata.name ?? '';
      g.versions.forEach((v, i) => {
        for (const r of v.resources ?? []) {
          out.push({
            group,
            version: v.version,
            kind: r.responseKind?.kind ?? '',
            resource: r.resource,
            singular: r.singularResource ?? r.responseKind?.kind.toLowerCase() ?? '',
            namespaced: r.scope === 'Namespaced',
            verbs: r.verbs ?? [],
            shortNames: r.shortNames ?? [],
            categories: r.categories ?? [],
            subresources: (r.subresources ?? []).map((s) => s.subresource),
            preferred: i === 0,
          });
        }
      });
    }
    return out;
  }

  private async legacy(): Promise<ResourceInfo[]> {
    const core = await this.client.request<{ versions: string[] }>({
      method: 'GET',
      path: '/api',
      verb: 'discovery',
    });
    const groups = await this.client.request<{
      groups: { name: string; versions: { version: string }[]; preferredVersion?: { version: string } }[];
    }>({ method: 'GET', path: '/apis', verb: 'discovery' });
    const gvs: { group: string; version: string; preferred: boolean; path: string }[] = core.versions.map(
      (v, i) => ({
        group: '',
        version: v,
        preferred: i === 0,
        path: `/api/${v}`,
      }),
    );
    for (const g of groups.groups) {
      for (const v of g.versions) {
        gvs.push({
          group: g.name,
          version: v.version,
          preferred: (g.preferredVersion?.version ?? g.versions[0]?.version) === v.version,
          path: `/apis/${g.name}/${v.version}`,
        });
      }
    }
    const lists = await Promise.all(
      gvs.map(async (gv) => {
        try {
          return {
            gv,
            list: await this.client.request<LegacyResourceList>({
              method: 'GET',
              path: gv.path,
              verb: 'discovery',
            }),
          };
        } catch (err) {
          if (isNotFound(err)) return undefined; // a group-version removed while we looked
          throw err;
        }
      }),
    );
    const out: ResourceInfo[] = [];
    for (const entry of lists) {
      if (!entry) continue;
      const subs = entry.list.resources.filter((r) => r.name.includes('/'));
      for (const r of entry.list.resources) {
        if (r.name.includes('/')) continue;
        out.push({
          group: entry.gv.group,
          version: entry.gv.version,
          kind: r.kind,
          resource: r.name,
          singular: r.singularName || r.kind.toLowerCase(),
          namespaced: r.namespaced,
          verbs: r.verbs ?? [],
          shortNames: r.shortNames ?? [],
          categories: r.categories ?? [],
          subresources: subs
            .filter((s) => s.name.startsWith(`${r.name}/`))
            .map((s) => s.name.slice(r.name.length + 1)),
          preferred: entry.gv.preferred,
        });
      }
    }
    return out;
  }
}
