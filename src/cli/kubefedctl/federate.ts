/**
 * `kubefedctl federate`: turns existing objects into federated ones.
 *
 *   federate TYPE NAME [-n NS]                 the live object on the host -> its Federated<Kind>
 *   federate namespace NS --contents           the namespace and every namespaced object in it
 *   federate --filename F                      manifests -> federated YAML on stdout
 *
 * The conversion and the skip rules are pure (src/federation/federate.ts); this file reads, enables
 * missing types (`--enable-type`, through enable's code path) and writes. See docs/federate.md.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import type { FederatedTypeConfig } from '../../api/core.js';
import { TYPES_GROUP, TYPES_VERSION, type FederatedObject } from '../../api/types.js';
import {
  contentObjectSkipReason,
  contentTypeSkipReason,
  defaultFederatedKind,
  federatedObjectOf,
  highestVersions,
  ManifestError,
  parseManifests,
  parseSkipList,
  type FederatedKindRef,
  type TargetKind,
} from '../../federation/federate.js';
import { federatedTypeConfig, typeConfigName, typeResources } from '../../federation/typeconfig.js';
import type { ClusterClient } from '../../kube/client.js';
import { Discovery, parseApiVersion, UnknownTypeError, type ResourceInfo } from '../../kube/discovery.js';
import { isAlreadyExists, isConflict, isNotFound } from '../../kube/errors.js';
import { ResourceClient, type KubeObject, type ResourceRef } from '../../kube/resource.js';
import { sleep } from '../../poll.js';
import {
  addHostFlags,
  causeOf,
  CliError,
  closeAll,
  connect,
  loadKubeconfig,
  parseOutputFormat,
  processOutput,
  requireNamespaceName,
  resolveContext,
  type HostFlags,
  type Output,
} from './context.js';
import { enableTarget, listTypeConfigs, resolveTargetType } from './enable.js';

export interface FederateFlags extends HostFlags {
  namespace?: string;
  output?: string;
  enableType: boolean;
  contents: boolean;
  skipApiResources?: string;
  filename?: string;
  overwrite: boolean;
  federatedGroup: string;
  federatedVersion: string;
}

type Format = 'yaml' | 'json';

/** How long a create may see NotFound while a just-enabled federated CRD becomes served. */
const NEW_CRD_GRACE_MS = 10_000;
const LIST_CONCURRENCY = 4;
/** Objects at which `--contents` shows a progress line on a terminal. */
const PROGRESS_THRESHOLD = 10;

/** The federated objects as `---` separated YAML, or a `v1` List in JSON. */
export function renderObjects(objects: readonly KubeObject[], format: Format): string {
  if (format === 'json') {
    return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
  }
  return objects.map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('');
}

/** The federated type objects of `ftc`'s target type become. */
export function federatedKindOf(ftc: FederatedTypeConfig): FederatedKindRef {
  const { federated, federatedKind } = typeResources(ftc);
  return {
    group: federated.group,
    version: federated.version,
    kind: federatedKind,
    namespaced: federated.namespaced,
  };
}

/** `federatedconfigmap.types.kubefed.io/NAME`, as kubectl names objects. */
function describeFederated(obj: FederatedObject): string {
  const { group } = parseApiVersion(obj.apiVersion ?? '');
  return `${(obj.kind ?? '').toLowerCase()}.${group}/${obj.metadata.name}`;
}

const inNamespace = (obj: KubeObject) =>
  obj.metadata.namespace ? ` in namespace ${obj.metadata.namespace}` : '';

type WriteOutcome = 'created' | 'updated' | 'already federated';

/** Creates the federated object; an existing one is left alone, or its spec replaced with `overwrite`. */
async function writeFederated(
  host: ClusterClient,
  ref: ResourceRef,
  obj: FederatedObject,
  overwrite: boolean,
): Promise<WriteOutcome> {
  const rc = new ResourceClient<FederatedObject>(host, ref);
  const deadline = Date.now() + NEW_CRD_GRACE_MS;
  for (;;) {
    try {
      await rc.create(obj);
      return 'created';
    } catch (err) {
      if (isAlreadyExists(err)) break;
      // A CRD enabled a moment ago can be Established before its resource is served.
      if (isNotFound(err) && Date.now() < deadline) {
        await sleep(500);
        continue;
      }
      throw err;
    }
  }
  if (!overwrite) return 'already federated';
  const namespace = obj.metadata.namespace;
  for (let attempt = 0; ; attempt++) {
    const current = await rc.get(obj.metadata.name!, namespace ? { namespace } : {});
    try {
      await rc.update({ ...current, spec: obj.spec });
      return 'updated';
    } catch (err) {
      if (!isConflict(err) || attempt >= 4) throw err;
    }
  }
}

function reportWrite(io: Output, obj: FederatedObject, outcome: WriteOutcome): void {
  if (outcome === 'already federated') {
    io.out(
      `${describeFederated(obj)} already exists${inNamespace(obj)} (already federated); pass --overwrite to replace its spec\n`,
    );
  } else {
    io.out(`${describeFederated(obj)} ${outcome}${inNamespace(obj)}\n`);
  }
}

/** The host session of one federate run: connection, discovery, FederatedTypeConfigs. */
interface HostSession {
  host: ClusterClient;
  hostContext: string;
  discovery: Discovery;
  flags: FederateFlags;
  output: Format | undefined;
  io: Output;
  typeConfigs?: Map<string, FederatedTypeConfig>;
}

const typeKey = (group: string | undefined, plural: string) => `${plural}.${group ?? ''}`;

async function typeConfigsOf(s: HostSession): Promise<Map<string, FederatedTypeConfig>> {
  if (!s.typeConfigs) {
    s.typeConfigs = new Map();
    let all: FederatedTypeConfig[] = [];
    try {
      all = await listTypeConfigs(s.host, s.flags.kubefedNamespace);
    } catch (err) {
      if (!isNotFound(err)) throw err; // the FTC CRD is not installed: no type is enabled
    }
    for (const ftc of all) {
      if (ftc.metadata.namespace !== s.flags.kubefedNamespace) continue;
      s.typeConfigs.set(typeKey(ftc.spec.targetType.group, ftc.spec.targetType.pluralName), ftc);
    }
  }
  return s.typeConfigs;
}

const notEnabledHint = (s: HostSession, target: ResourceInfo) =>
  `${target.kind} is not enabled for federation (no FederatedTypeConfig ${typeConfigName(target)} in namespace ${s.flags.kubefedNamespace} on host cluster "${s.hostContext}"); pass --enable-type, or run kubefedctl enable ${typeConfigName(target)} first`;

/**
 * The FTC of `target`: the installed one; else, with --enable-type, the one enable creates; else,
 * when only printing, the one enable would create; else an error with the hint.
 */
async function typeConfigFor(s: HostSession, target: ResourceInfo): Promise<FederatedTypeConfig> {
  const configs = await typeConfigsOf(s);
  const key = typeKey(target.group, target.resource);
  const found = configs.get(key);
  if (found) return found;
  if (s.output) {
    // Printing writes nothing, so it needs no FTC: name the federated type as enable would.
    return federatedTypeConfig(target, s.flags.kubefedNamespace, {
      group: s.flags.federatedGroup,
      version: s.flags.federatedVersion,
    });
  }
  if (!s.flags.enableType) throw new CliError(notEnabledHint(s, target));
  const ftc = await enableTarget(
    s.host,
    s.hostContext,
    target,
    {
      kubefedNamespace: s.flags.kubefedNamespace,
      federatedGroup: s.flags.federatedGroup,
      federatedVersion: s.flags.federatedVersion,
    },
    s.io,
  );
  configs.set(key, ftc);
  return ftc;
}

export function targetKindOf(ftc: FederatedTypeConfig): TargetKind {
  const { target, targetKind } = typeResources(ftc);
  return { group: target.group, kind: targetKind, resource: target.resource };
}

/** `federate TYPE NAME`, and with --contents the namespace's objects. */
async function federateLive(typeName: string, name: string, flags: FederateFlags, io: Output): Promise<void> {
  const output = parseOutputFormat(flags.output, ['yaml', 'json'] as const);
  const kubeconfig = loadKubeconfig(flags.kubeconfig);
  const hostContext = resolveContext(kubeconfig, flags.hostClusterContext, '--host-cluster-context');
  const host = await connect(kubeconfig, hostContext, `host cluster "${hostContext}"`);
  const s: HostSession = { host, hostContext, discovery: new Discovery(host), flags, output, io };
  try {
    const target = await resolveTargetType(s.discovery, typeName, undefined, hostContext);
    const isNamespace = target.group === '' && target.resource === 'namespaces';
    if (flags.contents && !isNamespace) {
      throw new CliError(
        `--contents federates the objects of a namespace; use it with kubefedctl federate namespace NAME, not ${typeName}`,
      );
    }
    const namespace = target.namespaced ? (flags.namespace ?? kubeconfig.namespace(hostContext)) : undefined;
    const ftc = await typeConfigFor(s, target);
    const targetRef = typeResources(ftc).target;
    let obj: KubeObject;
    try {
      obj = await new ResourceClient(host, targetRef).get(name, namespace ? { namespace } : {});
    } catch (err) {
      if (!isNotFound(err)) throw err;
      throw new CliError(
        `${target.kind} "${name}" not found${namespace ? ` in namespace "${namespace}"` : ''} on host cluster "${hostContext}"; check the name${namespace ? ' and -n/--namespace' : ''}`,
      );
    }
    const fed = federatedObjectOf(obj, targetKindOf(ftc), federatedKindOf(ftc), namespace);
    if (!flags.contents) {
      if (output) io.out(renderObjects([fed], output));
      else
        reportWrite(io, fed, await writeFederated(host, typeResources(ftc).federated, fed, flags.overwrite));
      return;
    }
    await federateContents(s, name, { fed, ref: typeResources(ftc).federated });
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`federate ${typeName} ${name} failed: ${causeOf(err)}`);
  } finally {
    await closeAll(host);
  }
}

interface ContentItem {
  fed: FederatedObject;
  ref: ResourceRef;
}

/** Counts per reason, largest first: `2 owned by a controller, 1 service account token`. */
function countsByReason(reasons: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const r of reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The namespace's FederatedNamespace, then every namespaced object in it that the rules keep. */
async function federateContents(
  s: HostSession,
  namespace: string,
  namespaceItem: ContentItem,
): Promise<void> {
  const { flags, io } = s;
  const skip = parseSkipList(flags.skipApiResources);
  const configs = await typeConfigsOf(s);
  const federatedGroups = new Set([TYPES_GROUP, flags.federatedGroup]);
  for (const ftc of configs.values()) federatedGroups.add(ftc.spec.federatedType.group ?? '');

  const skippedObjects: string[] = [];
  const skippedTypes: string[] = [];
  const failures: string[] = [];
  const types = highestVersions(await s.discovery.resources()).filter((t) => {
    const reason = contentTypeSkipReason(t, skip, federatedGroups);
    if (reason === 'named by --skip-api-resources') skippedTypes.push(`${typeConfigName(t)} (${reason})`);
    return reason === undefined;
  });
  // List every candidate type; a type matters only if some object in it is kept.
  const listed = await mapLimit(types, LIST_CONCURRENCY, async (t) => {
    const ftc = configs.get(typeKey(t.group, t.resource));
    const version = ftc?.spec.targetType.version ?? t.version;
    try {
      const list = await new ResourceClient(s.host, { ...t, version }).listAll({ namespace });
      return { type: t, items: list.items };
    } catch (err) {
      failures.push(`${typeConfigName(t)}: cannot list: ${causeOf(err)}`);
      return { type: t, items: [] };
    }
  });

  const items: ContentItem[] = [namespaceItem];
  for (const { type, items: objects } of listed) {
    const kept = objects.filter((o) => {
      const reason = contentObjectSkipReason(o, type);
      if (reason) skippedObjects.push(reason);
      return reason === undefined;
    });
    if (kept.length === 0) continue;
    let ftc: FederatedTypeConfig;
    try {
      ftc = await typeConfigFor(s, type);
    } catch (err) {
      if (!(err instanceof CliError) && !(err instanceof UnknownTypeError)) {
        for (const o of kept) failures.push(`${type.kind} ${o.metadata.name}: ${causeOf(err)}`);
      } else if (!flags.enableType) {
        skippedTypes.push(
          `${typeConfigName(type)} (${kept.length} objects; not enabled: pass --enable-type)`,
        );
        skippedObjects.push(...kept.map(() => 'type not enabled'));
      } else {
        for (const o of kept) failures.push(`${type.kind} ${o.metadata.name}: ${err.message}`);
      }
      continue;
    }
    for (const o of kept) {
      items.push({
        fed: federatedObjectOf(o, targetKindOf(ftc), federatedKindOf(ftc), namespace),
        ref: typeResources(ftc).federated,
      });
    }
  }

  let federated = 0;
  if (s.output) {
    io.out(
      renderObjects(
        items.map((i) => i.fed),
        s.output,
      ),
    );
    federated = items.length;
  } else {
    const progress = process.stderr.isTTY === true && items.length >= PROGRESS_THRESHOLD;
    for (const [i, item] of items.entries()) {
      if (progress) io.err(`\rfederating ${i + 1}/${items.length} ${describeFederated(item.fed)}\x1b[K`);
      try {
        const outcome = await writeFederated(s.host, item.ref, item.fed, flags.overwrite);
        if (outcome === 'already federated') skippedObjects.push('already federated (pass --overwrite)');
        else federated++;
        if (!progress) reportWrite(io, item.fed, outcome);
      } catch (err) {
        failures.push(`${describeFederated(item.fed)}: ${causeOf(err)}`);
      }
    }
    if (progress) io.err('\r\x1b[K');
  }
  const summary = [
    `federated ${federated}`,
    `skipped ${skippedObjects.length}${skippedObjects.length > 0 ? ` (${countsByReason(skippedObjects)})` : ''}`,
    `failed ${failures.length}`,
  ].join(', ');
  // With -o, stdout carries only the manifests.
  const note = (text: string) => (s.output ? io.err(text) : io.out(text));
  note(`namespace ${namespace}: ${summary}\n`);
  if (skippedTypes.length > 0) note(`skipped types: ${skippedTypes.join(', ')}\n`);
  for (const f of failures) io.err(`failed: ${f}\n`);
  if (failures.length > 0) {
    throw new CliError(
      `federating the contents of namespace ${namespace}: ${failures.length} failed (listed above)`,
    );
  }
}

/** The files `--filename` names: one file, the manifests of a directory (not recursive), or stdin. */
export function readSources(filename: string): { source: string; text: string }[] {
  if (filename === '-') return [{ source: '<stdin>', text: readFileSync(0, 'utf8') }];
  let isDir: boolean;
  try {
    isDir = statSync(filename).isDirectory();
  } catch {
    throw new CliError(`--filename ${filename}: no such file or directory`);
  }
  if (!isDir) return [{ source: filename, text: readFileSync(filename, 'utf8') }];
  const files = readdirSync(filename)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort();
  if (files.length === 0)
    throw new CliError(`--filename ${filename}: the directory has no .yaml, .yml or .json files`);
  return files.map((f) => ({
    source: path.join(filename, f),
    text: readFileSync(path.join(filename, f), 'utf8'),
  }));
}

/** Every object of the manifests `filename` names (see {@link readSources}); none is an error. */
export function readManifests(filename: string): { obj: KubeObject; source: string }[] {
  const objects: { obj: KubeObject; source: string }[] = [];
  for (const { source, text } of readSources(filename)) {
    try {
      for (const obj of parseManifests(text, source)) objects.push({ obj, source });
    } catch (err) {
      if (err instanceof ManifestError) throw new CliError(err.message);
      throw err;
    }
  }
  if (objects.length === 0) throw new CliError(`--filename ${filename}: no objects found`);
  return objects;
}

/**
 * `federate --filename`: prints the federated form of every object, writing nothing. Default types
 * need no cluster; any other kind is looked up in the host's FederatedTypeConfigs, connecting
 * only then.
 */
async function federateFiles(flags: FederateFlags, io: Output): Promise<void> {
  const output = parseOutputFormat(flags.output, ['yaml', 'json'] as const) ?? 'yaml';
  const objects = readManifests(flags.filename!);
  let session: HostSession | undefined;
  const hostSession = async (why: string): Promise<HostSession> => {
    if (session) return session;
    try {
      const kubeconfig = loadKubeconfig(flags.kubeconfig);
      const hostContext = resolveContext(kubeconfig, flags.hostClusterContext, '--host-cluster-context');
      const host = await connect(kubeconfig, hostContext, `host cluster "${hostContext}"`);
      session = { host, hostContext, discovery: new Discovery(host), flags, output, io };
      return session;
    } catch (err) {
      throw new CliError(`${why}, which needs the host cluster: ${causeOf(err)}`);
    }
  };
  try {
    const federated: FederatedObject[] = [];
    for (const { obj, source } of objects) {
      const { group } = parseApiVersion(obj.apiVersion!);
      const kind = obj.kind!;
      const builtIn = defaultFederatedKind(group, kind);
      if (builtIn) {
        const fedKind =
          flags.federatedGroup === TYPES_GROUP && flags.federatedVersion === TYPES_VERSION
            ? builtIn.federated
            : { ...builtIn.federated, group: flags.federatedGroup, version: flags.federatedVersion };
        federated.push(federatedObjectOf(obj, builtIn.target, fedKind, flags.namespace));
        continue;
      }
      const what = `${source}: kind ${kind} (${obj.apiVersion}) of ${obj.metadata.name} is not a default federated type`;
      const s = await hostSession(`${what}; looking up its FederatedTypeConfig`);
      const configs = [...(await typeConfigsOf(s)).values()];
      const ftc = configs.find(
        (f) => (f.spec.targetType.group ?? '') === group && f.spec.targetType.kind === kind,
      );
      if (!ftc) {
        let typeName = `<plural>${group ? `.${group}` : ''}`;
        try {
          typeName = typeConfigName(await s.discovery.forKind({ group, kind }));
        } catch (err) {
          if (!(err instanceof UnknownTypeError)) throw err;
        }
        throw new CliError(
          `${what} and has no FederatedTypeConfig in namespace ${flags.kubefedNamespace} on host cluster "${s.hostContext}"; enable it first: kubefedctl enable ${typeName}`,
        );
      }
      federated.push(federatedObjectOf(obj, targetKindOf(ftc), federatedKindOf(ftc), flags.namespace));
    }
    io.out(renderObjects(federated, output));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`federate --filename ${flags.filename} failed: ${causeOf(err)}`);
  } finally {
    await closeAll(session?.host);
  }
}

export async function federate(
  args: { typeName?: string; name?: string },
  flags: FederateFlags,
  io: Output,
): Promise<void> {
  requireNamespaceName(flags.kubefedNamespace);
  if (flags.filename !== undefined) {
    if (args.typeName !== undefined) {
      throw new CliError(
        '--filename takes no TYPE or NAME arguments: federate either a file or a live object',
      );
    }
    for (const [set, flag] of [
      [flags.contents, '--contents'],
      [flags.enableType, '--enable-type'],
      [flags.overwrite, '--overwrite'],
    ] as const) {
      if (set) throw new CliError(`${flag} cannot be used with --filename (which only prints)`);
    }
    return federateFiles(flags, io);
  }
  if (args.typeName === undefined || args.name === undefined) {
    throw new CliError(
      'federate needs TYPE and NAME (e.g. kubefedctl federate configmaps my-configmap -n my-namespace), or --filename FILE',
    );
  }
  if (flags.skipApiResources !== undefined && !flags.contents) {
    throw new CliError('--skip-api-resources only applies with --contents');
  }
  return federateLive(args.typeName, args.name, flags, io);
}

export function federateCommand(io: Output = processOutput): Command {
  const cmd = new Command('federate')
    .description(
      'Federate an existing object: create its Federated<Kind> (template = the object, placement = all clusters). With --contents, a namespace and everything in it; with --filename, print the federated form of manifests.',
    )
    .argument('[TYPE]', 'the type (plural, singular, kind, short name or plural.group)')
    .argument('[NAME]', 'the object name')
    .option('-n, --namespace <namespace>', "namespace of the object (default: the host context's namespace)")
    .option('-o, --output <format>', 'print the federated objects (yaml or json) instead of creating them');
  // Booleans as addBooleanFlag makes them, with upstream's short names.
  for (const [flags, description] of [
    ['-t, --enable-type', 'enable the type first if it has no FederatedTypeConfig'],
    ['-c, --contents', 'with namespace NAME: also federate every namespaced object in it'],
    ['--overwrite', 'replace the spec of a federated object that already exists'],
  ] as const) {
    cmd.addOption(new Option(flags, description).default(false));
    cmd.addOption(new Option(`--no-${flags.split('--')[1]}`, 'negation').hideHelp());
  }
  cmd
    .addOption(
      new Option(
        '-s, --skip-api-resources <names>',
        'with --contents: types to leave out, comma separated (plural, kind, short name, plural.group, or a group)',
      ),
    )
    .option(
      '-f, --filename <file>',
      'a manifest file, a directory of them, or - for stdin: print the federated objects (no TYPE NAME)',
    )
    .option('--federated-group <group>', 'API group of types enabled with --enable-type', TYPES_GROUP)
    .option(
      '--federated-version <version>',
      'API version of types enabled with --enable-type',
      TYPES_VERSION,
    );
  addHostFlags(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n  kubefedctl federate configmaps my-configmap -n my-namespace\n  kubefedctl federate namespace my-ns --contents --skip-api-resources=endpoints,events\n  kubefedctl federate --filename=resource.yaml | kubectl apply -f -',
  );
  return cmd.action((typeName: string | undefined, name: string | undefined, flags: FederateFlags) =>
    federate({ typeName, name }, flags, io),
  );
}
