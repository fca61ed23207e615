/**
 * PropagatedVersions: what each sync controller recorded of its members' copies (KubeAdmiral's
 * version manager is the model). {@link PropagatedVersionStore} owns one type's: the in-memory
 * record (the source of truth after our writes), its startup read, the per-object fallback read,
 * and the writes. {@link VersionLists}: the startup read, shared by the sync controllers of every
 * federated type.
 *
 * A (Cluster)PropagatedVersion is named `<target kind, lower case>-<federated object's name>`
 * (upstream's naming), and nothing else tells the types apart: a LIST returns every type's. At a
 * restart every enabled type's sync controller primes at once; each listing them all read the
 * same N objects once per type (3 types over 30,000 objects: 90,000 objects decoded on the host
 * API server and in the manager, for 30,000 used). One LIST now serves every controller that
 * primes while it is in flight or within {@link VersionLists} `holdMs` of its end; each takes its
 * kind's part, which is then dropped from here. A controller that comes later (an FTC enabled or
 * changed afterwards) starts a new LIST: a part is never handed out twice, so no controller
 * starts from versions older than its predecessor's last writes.
 */
import { ClusterPropagatedVersionDefinition, PropagatedVersionDefinition } from '../../api/core.js';
import { resourceRefOf } from '../../api/index.js';
import type { FederatedObject } from '../../api/types.js';
import { needsFinalizer } from '../../federation/plan.js';
import {
  isGenerationVersion,
  memberVersion,
  packVersion,
  propagatedVersionName,
  unpackVersion,
  type PropagatedVersion,
} from '../../federation/version.js';
import type { ClusterClient } from '../../kube/client.js';
import { isAlreadyExists, isNotFound } from '../../kube/errors.js';
import type { Logger } from '../../kube/log.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../kube/resource.js';

/** Packed versions (version.ts `packVersion`) keyed like the federated objects: `ns/name` or `name`. */
export type PackedVersions = Map<string, string | undefined>;

/**
 * Whether no PropagatedVersion can have been written for `federated` yet, so a pass need not read
 * one: it has no sync finalizer (a pass writes versions only after it is set), or no status at all
 * (a pass that records a version writes the status along with it; the webhook sets the finalizer at
 * creation, so the status is what tells a new object from one propagated before). A version written by a pass whose status write
 * then failed is known from that write (kept in memory) or from the startup list; were it missed
 * even so, the create finds it (AlreadyExists) and the write patches it.
 */
export function noVersionYet(federated: Pick<FederatedObject, 'metadata' | 'status'>): boolean {
  return needsFinalizer(federated) || federated.status === undefined || federated.status === null;
}

/** Splits listed PropagatedVersions by the target kind in their names (lower case, no `-`). */
export function partitionVersions(items: readonly KubeObject[]): Map<string, PackedVersions> {
  const parts = new Map<string, PackedVersions>();
  for (const pv of items) {
    const pvName = pv.metadata.name ?? '';
    const dash = pvName.indexOf('-');
    if (dash <= 0) continue;
    const kind = pvName.slice(0, dash);
    const name = pvName.slice(dash + 1);
    const key = pv.metadata.namespace ? `${pv.metadata.namespace}/${name}` : name;
    let part = parts.get(kind);
    if (!part) parts.set(kind, (part = new Map<string, string | undefined>()));
    part.set(key, packVersion(pv.status as PropagatedVersion | undefined));
  }
  return parts;
}

interface PendingList {
  parts: Promise<Map<string, PackedVersions>>;
  /** Kinds whose part was handed out. */
  taken: Set<string>;
}

export class VersionLists {
  private readonly lists = new Map<string, PendingList>();

  /**
   * @param list one LIST of the (Cluster)PropagatedVersions `ref` in `namespace` (all namespaces
   *   when undefined).
   * @param holdMs how long a finished LIST's untaken parts wait for their controllers.
   */
  constructor(
    private readonly list: (
      ref: ResourceRef,
      namespace: string | undefined,
    ) => Promise<readonly KubeObject[]>,
    private readonly holdMs = 10_000,
  ) {}

  /**
   * The recorded versions of one target kind: its part of a LIST in flight or just finished, or
   * of a new one. Rejects when the LIST fails (the caller falls back to reading each version).
   */
  async take(ref: ResourceRef, namespace: string | undefined, targetKind: string): Promise<PackedVersions> {
    const kind = targetKind.toLowerCase();
    const listKey = `${ref.group}/${ref.resource}\t${namespace ?? ''}`;
    let pending = this.lists.get(listKey);
    if (!pending || pending.taken.has(kind)) pending = this.start(ref, namespace, listKey);
    pending.taken.add(kind);
    const parts = await pending.parts;
    const part = parts.get(kind) ?? new Map<string, string | undefined>();
    parts.delete(kind);
    return part;
  }

  private start(ref: ResourceRef, namespace: string | undefined, listKey: string): PendingList {
    const forget = () => {
      if (this.lists.get(listKey) === pending) this.lists.delete(listKey);
    };
    const pending: PendingList = {
      parts: this.list(ref, namespace).then(
        (items) => {
          setTimeout(forget, this.holdMs).unref();
          return partitionVersions(items);
        },
        (err: unknown) => {
          forget();
          throw err;
        },
      ),
      taken: new Set(),
    };
    this.lists.set(listKey, pending);
    return pending;
  }
}

const shared = new WeakMap<ClusterClient, VersionLists>();

/** The {@link VersionLists} of every sync controller on this host client. */
export function versionListsOf(host: ClusterClient): VersionLists {
  let lists = shared.get(host);
  if (!lists) {
    lists = new VersionLists(
      async (ref, namespace) =>
        (
          await new ResourceClient(host, ref).listAll({
            ...(namespace ? { namespace } : {}),
            // From the API server's watch cache, whole, like an informer's initial list: a
            // page-by-page read from etcd of as many versions as federated objects takes several
            // times longer.
            resourceVersion: '0',
            limit: 500,
          })
        ).items,
    );
    shared.set(host, lists);
  }
  return lists;
}

export interface PropagatedVersionStoreOptions {
  host: ClusterClient;
  /** Namespaced federated objects have PropagatedVersions, cluster-scoped ones ClusterPropagatedVersions. */
  namespaced: boolean;
  targetKind: string;
  /** Where the startup LIST reads (a Namespaced plane: its namespace); undefined: everywhere. */
  listNamespace: string | undefined;
  /** The type's name, for logs. */
  type: string;
  log: Logger;
}

/** One federated type's recorded versions, keyed like its federated objects (`ns/name` or `name`). */
export class PropagatedVersionStore {
  /**
   * Last status written per key, packed into one string ({@link packVersion}): a third of the
   * objects' size, for every object. Undefined: known to have none.
   */
  private readonly packed = new Map<string, string | undefined>();
  private readonly client: ResourceClient;
  /** The installed CRD has a status subresource (upstream's does; ours does not). */
  private statusSubresource = false;
  private primed?: Promise<void>;

  constructor(private readonly options: PropagatedVersionStoreOptions) {
    this.client = new ResourceClient(
      options.host,
      resourceRefOf(options.namespaced ? PropagatedVersionDefinition : ClusterPropagatedVersionDefinition),
    );
  }

  /**
   * Fills the record from a LIST shared with the other types' controllers ({@link VersionLists}),
   * once: after a restart every object would otherwise cost a GET of its own (2,300 objects took
   * 22 s at the host's 100 qps). A version of a federated object that is gone is dropped by that
   * key's pass; a failed LIST leaves the per-object GET as the fallback. Never rejects.
   */
  prime(): Promise<void> {
    this.primed ??= (async () => {
      try {
        const part = await versionListsOf(this.options.host).take(
          this.client.ref,
          this.options.listNamespace,
          this.options.targetKind,
        );
        for (const [key, packed] of part) if (!this.packed.has(key)) this.packed.set(key, packed);
      } catch (err) {
        this.options.log.warn(
          { err, type: this.options.type },
          'listing propagated versions failed; reading them one by one',
        );
      }
    })();
    return this.primed;
  }

  /** Whether anything (even "none") is known for `key`. */
  has(key: string): boolean {
    return this.packed.has(key);
  }

  forget(key: string): void {
    this.packed.delete(key);
  }

  /**
   * The version recorded for `key`, read from the host when not known. `firstPass`: none can exist
   * yet ({@link noVersionYet}), so none is read.
   */
  async previous(
    key: string,
    federated: FederatedObject,
    firstPass: boolean,
  ): Promise<PropagatedVersion | undefined> {
    if (!this.packed.has(key))
      this.packed.set(key, packVersion(firstPass ? undefined : await this.read(federated)));
    return unpackVersion(this.packed.get(key));
  }

  /**
   * The cached copy in `cluster` is the version recorded for it. Only resourceVersion-based
   * versions count: a generation-based one (a Deployment) does not move with metadata or status.
   */
  copyAsRecorded(key: string, cluster: string, copy: KubeObject): boolean {
    const version = memberVersion(copy);
    if (isGenerationVersion(version) || copy.metadata.deletionTimestamp) return false;
    return (
      unpackVersion(this.packed.get(key))?.clusterVersions?.some(
        (c) => c.clusterName === cluster && c.version === version,
      ) === true
    );
  }

  /**
   * Records `next` and writes it (`create`: none is known to exist). Recorded before the write, so
   * that member watch echoes of the pass's writes match it; a failed write forgets it (the next
   * pass reads the PropagatedVersion) and rejects.
   */
  async record(
    key: string,
    federated: FederatedObject,
    next: PropagatedVersion,
    create: boolean,
  ): Promise<void> {
    this.packed.set(key, packVersion(next));
    try {
      await this.write(federated, next, create);
    } catch (err) {
      this.packed.delete(key);
      throw err;
    }
  }

  private nameOf(federated: FederatedObject): string {
    return propagatedVersionName(this.options.targetKind, federated.metadata.name!);
  }

  private async read(federated: FederatedObject): Promise<PropagatedVersion | undefined> {
    try {
      const pv = await this.client.get(
        this.nameOf(federated),
        federated.metadata.namespace ? { namespace: federated.metadata.namespace } : {},
      );
      return pv.status as PropagatedVersion | undefined;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /**
   * `absent`: create first (a patch would only find it missing). Our CRD has no status
   * subresource, so the create (or a merge patch) carries the status: one write. Where a CRD with
   * the subresource is installed (upstream's), the API server drops the status from such writes;
   * seen once in a response, writes go to /status.
   */
  private async write(federated: FederatedObject, status: PropagatedVersion, absent: boolean): Promise<void> {
    const ns = federated.metadata.namespace ? { namespace: federated.metadata.namespace } : {};
    const name = this.nameOf(federated);
    const patch = async (): Promise<void> => {
      if (this.statusSubresource) {
        await this.client.patch(name, 'merge', { status }, { ...ns, subresource: 'status' });
        return;
      }
      const written = await this.client.patch(name, 'merge', { status }, ns);
      if (!sameStatus(written, status)) {
        this.statusSubresource = true;
        await patch();
      }
    };
    if (!absent) {
      try {
        await patch();
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    const def = this.options.namespaced ? PropagatedVersionDefinition : ClusterPropagatedVersionDefinition;
    try {
      const created = await this.client.create({
        apiVersion: `${def.group}/${def.version}`,
        kind: def.kind,
        metadata: {
          name,
          ...ns,
          ownerReferences: [
            {
              apiVersion: federated.apiVersion!,
              kind: federated.kind!,
              name: federated.metadata.name!,
              uid: federated.metadata.uid!,
            },
          ],
        },
        status,
      });
      if (sameStatus(created, status)) return;
      this.statusSubresource = true;
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    await patch();
  }
}

/** The API server kept the status written (it drops it where the CRD has a status subresource). */
function sameStatus(obj: KubeObject, status: PropagatedVersion): boolean {
  const got = (obj as { status?: PropagatedVersion }).status;
  return (
    got?.templateVersion === status.templateVersion &&
    got?.overridesVersion === status.overridesVersion &&
    (got?.clusterVersions?.length ?? 0) === (status.clusterVersions?.length ?? 0)
  );
}
