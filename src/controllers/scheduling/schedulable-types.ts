/**
 * The federated types an RSP can schedule, following the FederatedTypeConfigs: a type is
 * schedulable while an FTC federating apps Deployment or ReplicaSet has propagation Enabled (and
 * the namespaces FTC exists), as upstream. Per schedulable type the RSP controller watches the
 * federated objects (an RSP is reconciled when its federated object changes) and, per Ready
 * member, the managed copies (an RSP is reconciled, after a delay that coalesces bursts of status
 * updates, when a copy of its key changes). A type that stops being schedulable ends both.
 */
import type { FederatedTypeConfig } from '../../api/core.js';
import type { FederatedObject } from '../../api/types.js';
import type { ControlPlaneScope } from '../../federation/placement.js';
import type { ClusterClient } from '../../kube/client.js';
import type { Controller, Unwatch } from '../../kube/controller.js';
import type { Informer } from '../../kube/informer.js';
import type { SharedInformers } from '../../kube/informers.js';
import { objectKey } from '../../kube/store.js';
import {
  managedCopySelection,
  type ManagedCopyInformers,
  type MemberWatch,
} from '../members/member-watch.js';
import { NAMESPACES_FTC } from '../typeconfig/state.js';
import { schedulableTargetOf, type SchedulableTarget } from './status.js';

/** Member object events re-enqueue their RSP after this delay, coalescing bursts of status updates. */
export const MEMBER_EVENT_DELAY_MS = 1_000;

/** The informers of one schedulable type. */
export interface SchedulableType {
  ftcName: string;
  target: SchedulableTarget;
  federated: Informer<FederatedObject>;
  /** Per member: the informer of its managed target objects, on that member's client. */
  copies: ManagedCopyInformers;
  /** Ends the controller's watch of `federated`. */
  unwatch: Unwatch;
}

export interface SchedulableTypesOptions {
  host: ClusterClient;
  kubefedNamespace: string;
  scope: ControlPlaneScope;
  informers: SharedInformers;
  memberWatch: MemberWatch;
  ftcs: Informer<FederatedTypeConfig>;
  /** The RSP controller: watches the federated objects, gets the member events. */
  controller: Controller;
}

export class SchedulableTypes {
  /** By federated kind (`FederatedDeployment`). */
  private readonly byKind = new Map<string, SchedulableType>();

  constructor(private readonly options: SchedulableTypesOptions) {}

  /** The schedulable type of a federated kind, if enabled. */
  get(federatedKind: string): SchedulableType | undefined {
    return this.byKind.get(federatedKind);
  }

  /** Follows the FTCs in the cache: starts watching types that became schedulable, ends the others. */
  update(): void {
    const { ftcs, kubefedNamespace } = this.options;
    const wanted = new Map<string, { ftc: FederatedTypeConfig; target: SchedulableTarget }>();
    const namespacesFtc = ftcs.store.getByName(NAMESPACES_FTC, kubefedNamespace);
    for (const ftc of ftcs.store.list()) {
      const target = schedulableTargetOf(ftc);
      if (target && namespacesFtc && !ftc.metadata.deletionTimestamp && ftc.spec.propagation === 'Enabled')
        wanted.set(target.federatedKind, { ftc, target });
    }
    for (const [kind, t] of this.byKind) {
      const w = wanted.get(kind);
      if (!w || JSON.stringify(w.target) !== JSON.stringify(t.target)) {
        t.copies.stop();
        t.unwatch();
        this.byKind.delete(kind);
      }
    }
    for (const [kind, { ftc, target }] of wanted)
      if (!this.byKind.has(kind)) this.byKind.set(kind, this.watch(ftc, target));
  }

  private watch(ftc: FederatedTypeConfig, target: SchedulableTarget): SchedulableType {
    const { host, informers, scope, kubefedNamespace, controller } = this.options;
    const federated = informers.get<FederatedObject>(
      host,
      target.federatedRef,
      scope === 'Namespaced' ? { namespace: kubefedNamespace } : {},
    );
    return {
      ftcName: ftc.metadata.name!,
      target,
      federated,
      copies: this.options.memberWatch.copies(
        informers,
        target.targetRef,
        managedCopySelection(scope, kubefedNamespace, target.targetRef),
        (o) => controller.enqueueAfter(objectKey(o), MEMBER_EVENT_DELAY_MS),
      ),
      unwatch: controller.watch(federated),
    };
  }
}
