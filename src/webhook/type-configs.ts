/**
 * The webhook's view of the control plane's FederatedTypeConfigs (an informer in the KubeFed
 * namespace), for the sync finalizer (sync-finalizer.ts). Until the first list is in, every answer
 * is "not known" and no finalizer is set; a list or watch that fails (no RBAC, host down) is retried
 * by the informer and logged, and validation goes on meanwhile.
 */
import { FederatedTypeConfigDefinition, type FederatedTypeConfig } from '../api/core.js';
import { resourceRefOf } from '../api/index.js';
import type { ClusterClient } from '../kube/client.js';
import { Informer } from '../kube/informer.js';
import type { Logger } from '../kube/log.js';
import { propagatesFrom, type PropagatedTypes } from './sync-finalizer.js';

export interface TypeConfigView extends PropagatedTypes {
  /** Resolves once the FTCs are listed (rejects after `timeoutMs`). */
  waitForSync(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export function watchTypeConfigs(client: ClusterClient, namespace: string, log: Logger): TypeConfigView {
  const informer = new Informer<FederatedTypeConfig>({
    client,
    resource: resourceRefOf(FederatedTypeConfigDefinition),
    namespace,
    dropFields: ['status', 'metadata.managedFields'],
    log,
  });
  informer.start();
  informer.onceSynced(() =>
    log.info(
      { namespace, federatedTypeConfigs: informer.store.size },
      'listed the FederatedTypeConfigs: new federated objects of propagated types get the sync finalizer',
    ),
  );
  return {
    propagates(group, resource) {
      if (!informer.hasSynced()) return undefined;
      return propagatesFrom(informer.store.list(), group, resource);
    },
    waitForSync: (timeoutMs) => informer.waitForSync(timeoutMs),
    stop: () => informer.stop(),
  };
}
