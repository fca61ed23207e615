/**
 * The PropagatedVersions' startup read, shared by the sync controllers of every federated type.
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
import type { ClusterClient } from '../../kube/client.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../kube/resource.js';
import { packVersion, type PropagatedVersion } from '../../federation/version.js';

/** Packed versions (version.ts `packVersion`) keyed like the federated objects: `ns/name` or `name`. */
export type PackedVersions = Map<string, string | undefined>;

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
