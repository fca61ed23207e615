/**
 * The KubeFedConfig the control plane runs with: read (or created defaulted) from the host, or read
 * from a file (`--kubefed-config`), validated, and followed for changes; and the settings the
 * controllers derive from it.
 */
import { readFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { parse as parseYaml } from 'yaml';
import {
  CORE_GROUP,
  KUBEFED_CONFIG_NAME,
  KubeFedConfigDefinition,
  KubeFedConfigSpec,
  type KubeFedConfig,
} from '../api/core.js';
import { resourceRefOf } from '../api/index.js';
import {
  defaultKubeFedConfig,
  parseDuration,
  validateKubeFedConfig,
  type DefaultedKubeFedConfigSpec,
} from '../api/kubefedconfig.js';
import type { ControlPlaneScope } from '../federation/placement.js';
import type { ClusterClient } from '../kube/client.js';
import { isAlreadyExists, isNotFound } from '../kube/errors.js';
import type { Logger } from '../kube/log.js';
import type { Manager } from '../kube/manager.js';
import { ResourceClient } from '../kube/resource.js';
import type { HealthSettings } from './cluster/controller.js';
import type { SyncSettings } from './sync/controller.js';

export class InvalidConfigError extends Error {
  override name = 'InvalidConfigError';
}

/** Reads the KubeFedConfig, creating a defaulted one when absent; throws on an invalid one. */
export async function loadKubeFedConfig(
  host: ClusterClient,
  namespace: string,
  defaultScope: ControlPlaneScope,
  log: Logger,
): Promise<{ object: KubeFedConfig; spec: DefaultedKubeFedConfigSpec }> {
  const configs = new ResourceClient<KubeFedConfig>(host, resourceRefOf(KubeFedConfigDefinition));
  let object: KubeFedConfig;
  try {
    object = await configs.get(KUBEFED_CONFIG_NAME, { namespace });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    const spec = defaultKubeFedConfig({ scope: defaultScope });
    try {
      object = await configs.create({
        apiVersion: `${KubeFedConfigDefinition.group}/${KubeFedConfigDefinition.version}`,
        kind: 'KubeFedConfig',
        metadata: { name: KUBEFED_CONFIG_NAME, namespace },
        spec,
      });
      log.info({ namespace }, `Created default KubeFedConfig "${namespace}/${KUBEFED_CONFIG_NAME}"`);
    } catch (createErr) {
      if (!isAlreadyExists(createErr)) throw createErr;
      object = await configs.get(KUBEFED_CONFIG_NAME, { namespace });
    }
  }
  const spec = defaultKubeFedConfig(object.spec ?? {});
  const errors = validateKubeFedConfig(spec);
  if (errors.length > 0) {
    throw new InvalidConfigError(
      `KubeFedConfig "${namespace}/${KUBEFED_CONFIG_NAME}" is invalid: ${errors.join('; ')}`,
    );
  }
  log.info(`Using valid KubeFedConfig "${namespace}/${KUBEFED_CONFIG_NAME}"`);
  return { object, spec };
}

/** Reads a KubeFedConfig YAML file (`--kubefed-config`) and validates it; throws on an invalid one. */
export function readKubeFedConfigFile(
  file: string,
  namespace: string,
  log: Logger,
): { name: string; namespace: string; spec: DefaultedKubeFedConfigSpec } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidConfigError(
      `cannot read KubeFedConfig file "${file}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const config = parseKubeFedConfigFile(text, file, namespace);
  log.info(`Using valid KubeFedConfig "${config.namespace}/${config.name}"`);
  return config;
}

/**
 * Parses and validates the text of a KubeFedConfig file. The checks are the in-cluster ones: the
 * CRD's structure (known fields, mappings, lists, enums; a file has no API server to check them)
 * then the manager's validation of the defaulted spec. Errors name the file and the field.
 * Name and namespace default to `kubefed` and `namespace`.
 */
export function parseKubeFedConfigFile(
  text: string,
  file: string,
  namespace: string,
): { name: string; namespace: string; spec: DefaultedKubeFedConfigSpec } {
  const invalid = (errors: string[]) =>
    new InvalidConfigError(`KubeFedConfig file "${file}" is invalid: ${errors.join('; ')}`);
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InvalidConfigError(`KubeFedConfig file "${file}" is not valid YAML: ${(err as Error).message}`);
  }
  if (!isMapping(doc)) throw invalid(['expected a KubeFedConfig mapping (apiVersion, kind, metadata, spec)']);
  const errors: string[] = [];
  const apiVersion = `${CORE_GROUP}/${KubeFedConfigDefinition.version}`;
  if (doc.kind !== undefined && doc.kind !== 'KubeFedConfig')
    errors.push(`kind: must be KubeFedConfig, not ${JSON.stringify(doc.kind)}`);
  if (doc.apiVersion !== undefined && doc.apiVersion !== apiVersion)
    errors.push(`apiVersion: must be ${apiVersion}, not ${JSON.stringify(doc.apiVersion)}`);
  const metadata = doc.metadata ?? {};
  if (!isMapping(metadata)) errors.push('metadata: must be a mapping');
  else
    for (const k of ['name', 'namespace'] as const)
      if (metadata[k] !== undefined && (typeof metadata[k] !== 'string' || !metadata[k]))
        errors.push(`metadata.${k}: must be a non-empty string`);
  if (doc.spec === undefined)
    errors.push('spec: Required value: set at least spec.scope (Cluster or Namespaced)');
  else errors.push(...structureErrors(doc.spec, KubeFedConfigSpec, 'spec'));
  if (errors.length > 0) throw invalid(errors);
  const spec = defaultKubeFedConfig(doc.spec as Partial<KubeFedConfigSpec>);
  const specErrors = validateKubeFedConfig(spec);
  if (specErrors.length > 0) throw invalid(specErrors);
  const meta = metadata as { name?: string; namespace?: string };
  return { name: meta.name ?? KUBEFED_CONFIG_NAME, namespace: meta.namespace ?? namespace, spec };
}

/** Where `value` departs from the structure of `schema`: unknown fields, non-mappings, non-lists, enums. */
function structureErrors(value: unknown, schema: TSchema, path: string): string[] {
  const node = schema as {
    type?: string;
    properties?: Record<string, TSchema>;
    items?: TSchema;
    enum?: unknown[];
  };
  if (node.type === 'object' && node.properties) {
    if (!isMapping(value)) return [`${path}: must be a mapping`];
    const known = node.properties;
    return Object.entries(value).flatMap(([k, v]) =>
      known[k]
        ? structureErrors(v, known[k], `${path}.${k}`)
        : [`${path}.${k}: unknown field (known: ${Object.keys(known).join(', ')})`],
    );
  }
  if (node.type === 'array' && node.items) {
    const items = node.items;
    if (!Array.isArray(value)) return [`${path}: must be a list`];
    return value.flatMap((v, i) => structureErrors(v, items, `${path}[${i}]`));
  }
  if (node.enum && !node.enum.includes(value))
    return [`${path}: must be one of ${node.enum.join(', ')}, not ${JSON.stringify(value)}`];
  return [];
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function healthSettings(spec: DefaultedKubeFedConfigSpec): HealthSettings {
  const h = spec.clusterHealthCheck;
  return {
    periodMs: parseDuration(h.period!),
    timeoutMs: parseDuration(h.timeout!),
    failureThreshold: h.failureThreshold!,
    successThreshold: h.successThreshold!,
  };
}

export function syncSettings(spec: DefaultedKubeFedConfigSpec): SyncSettings {
  return {
    adoptResources: spec.syncController.adoptResources === 'Disabled' ? 'Disabled' : 'Enabled',
    availableDelayMs: parseDuration(spec.controllerDuration.availableDelay!),
    unavailableDelayMs: parseDuration(spec.controllerDuration.unavailableDelay!),
    workers: spec.syncController.maxConcurrentReconciles!,
    rawResourceStatusCollection: gateEnabled(spec, 'RawResourceStatusCollection'),
  };
}

export function gateEnabled(spec: DefaultedKubeFedConfigSpec, name: string): boolean {
  return spec.featureGates.some((g) => g.name === name && g.configuration === 'Enabled');
}

/** What the controllers read of the KubeFedConfig, and how to hear of changes to it. */
export interface ConfigSettings {
  settings: () => DefaultedKubeFedConfigSpec;
  onChange: (handler: () => void) => void;
}

/**
 * The settings of the KubeFedConfig object, following its changes: an invalid edit keeps the last
 * valid settings (and says so), and scope never changes.
 */
export function followKubeFedConfig(
  manager: Manager,
  host: ClusterClient,
  namespace: string,
  loaded: { object: KubeFedConfig; spec: DefaultedKubeFedConfigSpec },
  log: Logger,
): ConfigSettings {
  const configInformer = manager.informers.get<KubeFedConfig>(host, resourceRefOf(KubeFedConfigDefinition), {
    namespace,
    fieldSelector: `metadata.name=${KUBEFED_CONFIG_NAME}`,
  });
  let current = loaded.spec;
  let currentRv = loaded.object.metadata.resourceVersion;
  const settings = (): DefaultedKubeFedConfigSpec => {
    const latest = configInformer.store.getByName(KUBEFED_CONFIG_NAME, namespace);
    if (latest && latest.metadata.resourceVersion !== currentRv) {
      currentRv = latest.metadata.resourceVersion;
      const spec = defaultKubeFedConfig(latest.spec ?? {});
      const errors = validateKubeFedConfig(spec);
      if (errors.length > 0)
        log.error({ errors }, 'KubeFedConfig update is invalid; keeping the previous settings');
      else if (spec.scope !== current.scope)
        log.error('KubeFedConfig spec.scope is immutable; keeping the previous scope');
      else current = spec;
    }
    return current;
  };
  return {
    settings,
    onChange: (handler) => configInformer.addHandlers({ onUpdate: handler }),
  };
}
