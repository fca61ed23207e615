/** Writes of generated Federated<Kind> objects: carrying out the plan of one (federation/policy.ts). */
import type { FederatedObject } from '../../api/types.js';
import { ORPHAN_ANNOTATION } from '../../federation/plan.js';
import { generatedBy, PROPAGATED_BY_ANNOTATION, type ObjectPlan } from '../../federation/policy.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../kube/errors.js';
import { ResourceClient } from '../../kube/resource.js';
import { splitKey } from '../../kube/store.js';
import type { PolicyContext, TypeEntry } from './context.js';

/** Carries out an object's plan; 'retry' on a write that raced with another writer. */
export async function executePlan(
  ctx: PolicyContext,
  entry: TypeEntry,
  plan: ObjectPlan,
  key: string,
  existing: FederatedObject | undefined,
): Promise<'ok' | 'retry'> {
  const client = new ResourceClient<FederatedObject>(ctx.host, entry.federatedRef);
  const { namespace, name } = splitKey(key);
  const ns = namespace ? { namespace } : {};
  const log = ctx.log.child({ type: entry.type.ftcName, key });
  try {
    switch (plan.kind) {
      case 'none':
      case 'unchanged':
      case 'conflict':
        return 'ok';
      case 'create':
        await client.create(plan.object);
        log.info(
          {
            generatedBy: generatedBy(plan.object),
            policy: plan.object.metadata.annotations?.[PROPAGATED_BY_ANNOTATION],
          },
          'generated',
        );
        return 'ok';
      case 'update':
        await client.update(plan.object);
        return 'ok';
      case 'delete':
        await client.delete(name, { ...ns, propagationPolicy: 'Background' });
        log.info('deleted the generated object: its object is gone');
        return 'ok';
      case 'release':
        await release(client, existing!, plan.orphan);
        log.info({ orphan: plan.orphan }, 'released the generated object');
        return 'ok';
    }
  } catch (err) {
    if (isConflict(err) || isAlreadyExists(err)) return 'retry';
    if (isNotFound(err) && (plan.kind === 'delete' || plan.kind === 'release' || plan.kind === 'update'))
      return 'ok';
    throw err;
  }
}

/** Deletes a generated object, first marking it orphaning when its member copies are to stay. */
async function release(
  client: ResourceClient<FederatedObject>,
  existing: FederatedObject,
  orphan: boolean,
): Promise<void> {
  const ns = existing.metadata.namespace ? { namespace: existing.metadata.namespace } : {};
  if (orphan && existing.metadata.annotations?.[ORPHAN_ANNOTATION] !== 'true')
    await client.patch(
      existing.metadata.name!,
      'merge',
      { metadata: { annotations: { [ORPHAN_ANNOTATION]: 'true' } } },
      ns,
    );
  await client.delete(existing.metadata.name!, { ...ns, propagationPolicy: 'Background' });
}
