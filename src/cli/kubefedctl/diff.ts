/**
 * `kubefedctl diff` and `kubefedctl plan`: what a federated object (from files, or live on the
 * host) would do in every member cluster, before it does. The sync controller's own pure steps
 * decide (placement, render with overrides, plan with retention); each member API server then
 * judges the planned write with a server-side dry run (`dryRun=All`: admission, defaulting and
 * immutable fields as for the real write) and nothing is written anywhere. A federated object from
 * a file is first dry-run on the host too, so the CRD schema, defaults and the admission webhook
 * judge it as `kubectl apply` would.
 */
import { Command, Option } from 'commander';
import { stringify } from 'yaml';
import {
  ANSI,
  diffExitCode,
  PLAIN,
  planSummary,
  planTable,
  renderDiffText,
  describeObject,
  type ObjectDiff,
} from '../../federation/diff.js';
import {
  addHostFlags,
  CliError,
  parseOutputFormat,
  processOutput,
  type HostFlags,
  type Output,
} from './context.js';
import { renderTable } from './get.js';
import { readManifests } from './federate.js';
import { diffSubject } from './preview.js';
import {
  hostSubjects,
  liveSubject,
  namespacesOf,
  subjectsOfManifests,
  withFederation,
} from './preview-subjects.js';

export interface DiffFlags extends HostFlags {
  namespace?: string;
  filename?: string;
  federate?: boolean;
  live?: boolean;
  output?: string;
  color?: string;
}

export interface PlanFlags extends HostFlags {
  namespace?: string;
  allNamespaces?: boolean;
  filename?: string;
  federate?: boolean;
  output?: string;
  exitCode?: boolean;
}

function useColour(flag: string | undefined, io: Output): boolean {
  if (flag === 'always') return true;
  if (flag === 'never') return false;
  if (flag !== undefined && flag !== 'auto')
    throw new CliError(`--color must be auto, always or never, not "${flag}"`);
  return io === processOutput && !!process.stdout.isTTY && !process.env.NO_COLOR;
}

function renderMachine(objects: readonly ObjectDiff[], output: 'yaml' | 'json'): string {
  const doc = { objects };
  return output === 'json' ? `${JSON.stringify(doc, null, 2)}\n` : stringify(doc);
}

/** `kubefedctl diff`; returns the exit code (0 no change, 1 changes, 2 something would fail). */
export async function diff(
  args: { typeName?: string; name?: string },
  flags: DiffFlags,
  io: Output,
): Promise<0 | 1 | 2> {
  const output = parseOutputFormat(flags.output, ['yaml', 'json'] as const);
  const colour = useColour(flags.color, io);
  if (flags.filename !== undefined && args.typeName !== undefined)
    throw new CliError('diff takes either --filename or TYPE NAME, not both');
  if (flags.filename === undefined && (args.typeName === undefined || args.name === undefined))
    throw new CliError(
      'diff needs TYPE NAME (e.g. kubefedctl diff deployments.apps web -n demo) or --filename FILE',
    );
  if (flags.live && flags.filename !== undefined)
    throw new CliError(
      '--live compares the live object with its members: use it with TYPE NAME, not --filename',
    );
  if (flags.federate && flags.filename === undefined)
    throw new CliError('--federate only applies with --filename');
  const manifests = flags.filename !== undefined ? readManifests(flags.filename) : [];
  const what =
    flags.filename !== undefined ? `diff --filename ${flags.filename}` : `diff ${args.typeName} ${args.name}`;
  const objects = await withFederation(flags, what, async (fed, contextNs) => {
    const namespace = flags.namespace ?? contextNs;
    const subjects =
      flags.filename !== undefined
        ? subjectsOfManifests(fed, manifests, { federate: !!flags.federate, namespace })
        : [await liveSubject(fed, args.typeName!, args.name!, namespace ?? 'default')];
    const federatedNamespaces = namespacesOf(subjects);
    const out: ObjectDiff[] = [];
    for (const s of subjects)
      out.push(await diffSubject(fed, s, { drift: !!flags.live, federatedNamespaces }));
    return out;
  });
  io.out(output ? renderMachine(objects, output) : renderDiffText(objects, colour ? ANSI : PLAIN));
  return diffExitCode(objects);
}

/** `kubefedctl plan`; returns the exit code: with `--exit-code` as diff's, else 0. */
export async function plan(flags: PlanFlags, io: Output): Promise<0 | 1 | 2> {
  const output = parseOutputFormat(flags.output, ['yaml', 'json'] as const);
  if (flags.federate && flags.filename === undefined)
    throw new CliError('--federate only applies with --filename');
  if (flags.allNamespaces && flags.filename !== undefined)
    throw new CliError('--all-namespaces lists the host; with --filename the files say what to plan');
  const manifests = flags.filename !== undefined ? readManifests(flags.filename) : [];
  const objects = await withFederation(flags, 'plan', async (fed, contextNs) => {
    const namespace = flags.namespace ?? contextNs ?? 'default';
    const subjects =
      flags.filename !== undefined
        ? subjectsOfManifests(fed, manifests, { federate: !!flags.federate, namespace })
        : await hostSubjects(fed, flags.allNamespaces ? undefined : namespace);
    const federatedNamespaces = namespacesOf(subjects);
    const out: ObjectDiff[] = [];
    for (const s of subjects) out.push(await diffSubject(fed, s, { drift: false, federatedNamespaces }));
    return out;
  });
  if (output) io.out(renderMachine(objects, output));
  else if (objects.length === 0) io.out('no federated objects found\n');
  else {
    const t = planTable(objects);
    io.out(renderTable(t.header, t.rows));
    for (const o of objects) {
      const failed = o.error
        ? [o.error]
        : o.clusters
            .filter((c) => c.action === 'error')
            .map((c) => `${c.cluster}: ${c.reason}: ${c.message}`);
      if (failed.length) io.out(`${describeObject(o)}:\n${failed.map((f) => `  ${f}\n`).join('')}`);
    }
    io.out(`${planSummary(objects)}\n`);
  }
  return flags.exitCode ? diffExitCode(objects) : 0;
}

const TYPE_HELP =
  'the enabled type (deployments.apps, Deployment, the FederatedTypeConfig name) or the federated type (federateddeployments)';

export function diffCommand(io: Output = processOutput): Command {
  const cmd = new Command('diff')
    .description(
      'Show what a federated object would change in every member cluster (create, update with a diff, delete, unchanged, error), judged by each member API server with a server-side dry run; writes nothing. Exit status: 0 no changes, 1 changes, 2 something would fail.',
    )
    .argument('[TYPE]', TYPE_HELP)
    .argument('[NAME]', 'the federated object')
    .option('-f, --filename <file>', 'Federated<Kind> manifests: a file, a directory of them, or - for stdin')
    .option(
      '--federate',
      'with --filename: diff plain objects as kubefedctl federate --filename would wrap them',
    )
    .option(
      '-n, --namespace <namespace>',
      'namespace of the federated object (default: the context namespace)',
    )
    .option(
      '--live',
      'drift: show where member copies were changed out of band since the control plane last propagated them',
    )
    .option('-o, --output <format>', 'yaml or json instead of the text')
    .addOption(
      new Option('--color <when>', 'colour the diff: auto (on a terminal), always or never').default('auto'),
    );
  addHostFlags(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n  kubefedctl diff -f web.yaml\n  kubefedctl federate --filename=web.yaml | kubefedctl diff -f -\n  kubefedctl diff --federate -f deployment.yaml -n demo\n  kubefedctl diff deployments.apps web -n demo\n  kubefedctl diff --live federateddeployments web -n demo',
  );
  return cmd.action(async (typeName: string | undefined, name: string | undefined, flags: DiffFlags) => {
    try {
      process.exitCode = await diff({ typeName, name }, flags, io);
    } catch (err) {
      // As kubectl diff: a failure of diff itself exits above 1, apart from "differences found".
      if (err instanceof CliError) throw new CliError(err.message, 2);
      throw err;
    }
  });
}

export function planCommand(io: Output = processOutput): Command {
  const cmd = new Command('plan')
    .description(
      'A table of what every federated object of a namespace (or of files) would do in each member cluster: create, update, delete, unchanged or error, from server-side dry runs; writes nothing.',
    )
    .option('-n, --namespace <namespace>', 'the namespace to plan (default: the context namespace)')
    .option('-A, --all-namespaces', 'every namespace, and cluster-scoped federated objects')
    .option(
      '-f, --filename <file>',
      'plan these Federated<Kind> manifests instead (a file, a directory, or -)',
    )
    .option(
      '--federate',
      'with --filename: plan plain objects as kubefedctl federate --filename would wrap them',
    )
    .option('--exit-code', 'exit 1 when something would change and 2 when something would fail (for CI)')
    .option('-o, --output <format>', 'yaml or json instead of the table');
  addHostFlags(cmd);
  cmd.addHelpText(
    'after',
    '\nExamples:\n  kubefedctl plan -n demo\n  kubefedctl plan -f manifests/ --exit-code\n  kubefedctl plan -A -o yaml',
  );
  return cmd.action(async (flags: PlanFlags) => {
    process.exitCode = await plan(flags, io);
  });
}
