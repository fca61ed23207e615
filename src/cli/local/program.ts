/** The kubefed-local command line: real Kubernetes clusters on this machine (cluster1 = host, cluster2.. = members). */
import { Command, InvalidArgumentError, Option } from 'commander';
import os from 'node:os';
import path from 'node:path';
import { formatDuration } from '../../poll.js';
import { startComponent, stopComponent } from './components.js';
import { demo } from './demo.js';
import { down } from './down.js';
import type { ControlPlaneScope } from '../../federation/placement.js';
import { install, uninstall } from './install.js';
import { dashboardUrl, readState } from './state.js';
import { status } from './status.js';
import { parseExtraArgs } from './topology.js';
import { resolveToolchain } from './toolchain.js';
import { up } from './up.js';
import { VERSION } from '../../version.js';

export function defaultDir(): string {
  return process.env.KUBEFED_LOCAL_DIR ?? path.join(os.tmpdir(), `kubefed-local-${os.userInfo().uid}`);
}

const intArg = (name: string) => (v: string) => {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
  return Number(v);
};
const collect = (v: string, acc: string[]) => [...acc, v];
const dirOption = () =>
  new Option(
    '--dir <dir>',
    'state directory (PKI, kubeconfig, logs, etcd data); env KUBEFED_LOCAL_DIR',
  ).default(defaultDir());

function requireUp(dir: string) {
  const state = readState(path.resolve(dir));
  if (!state)
    throw new Error(
      `no local clusters in ${path.resolve(dir)}; start them with 'kubefed-local up${dir === defaultDir() ? '' : ` --dir ${dir}`}'`,
    );
  return state;
}

export function buildProgram(): Command {
  const program = new Command('kubefed-local')
    .description(
      'Real Kubernetes clusters on this machine for KubeFed development and tests: one etcd,\na host cluster "cluster1" and member clusters "cluster2".."clusterN+1", all on 127.0.0.1.',
    )
    .version(VERSION)
    .showHelpAfterError();

  program
    .command('up')
    .description('start the local clusters (a no-op when they are already up)')
    .addOption(
      new Option('--members <n>', 'number of member clusters besides the host')
        .argParser(intArg('--members'))
        .default(2),
    )
    .option('--no-workloads', 'skip kube-scheduler and kwok fake nodes (pods stay Pending)')
    .addOption(dirOption())
    .addOption(
      new Option('--base-port <port>', 'use consecutive ports from here instead of free ones').argParser(
        intArg('--base-port'),
      ),
    )
    .option(
      '--bin-dir <dir>',
      'directory with the Kubernetes binaries (default: the pinned toolchain cache; env KUBEFED_TOOLCHAIN_BIN)',
    )
    .option(
      '--extra-arg <component=flag>',
      'extra flag for every instance of a component, e.g. kube-apiserver=--v=4 (repeatable)',
      collect,
      [],
    )
    .addOption(
      new Option('--timeout <seconds>', 'readiness timeout per stage')
        .argParser(intArg('--timeout'))
        .default(120),
    )
    .action(
      async (o: {
        members: number;
        workloads: boolean;
        dir: string;
        basePort?: number;
        binDir?: string;
        extraArg: string[];
        timeout: number;
      }) => {
        const result = await up({
          members: o.members,
          workloads: o.workloads,
          dir: o.dir,
          extraArgs: parseExtraArgs(o.extraArg),
          ...(o.basePort !== undefined ? { basePort: o.basePort } : {}),
          ...(o.binDir ? { binDir: o.binDir } : {}),
          timeoutMs: o.timeout * 1000,
          progress: (line) => process.stderr.write(`kubefed-local: ${line}\n`),
        });
        const { topology } = result.state;
        const names = topology.clusters
          .map((c) => (c.role === 'host' ? `${c.name} (host)` : c.name))
          .join(', ');
        process.stdout.write(
          result.kind === 'already-up'
            ? `local clusters are already up: ${names}\n`
            : `local clusters ready in ${formatDuration(result.elapsedMs)}: ${names}\n`,
        );
        process.stdout.write(
          `kubeconfig: ${topology.kubeconfig}\nuse them:   eval "$(kubefed-local env${o.dir === defaultDir() ? '' : ` --dir ${o.dir}`})"\n`,
        );
      },
    );

  program
    .command('down')
    .description('stop every process that up started (by pid) and remove the state directory')
    .addOption(dirOption())
    .action(async (o: { dir: string }) => {
      const r = await down(o.dir);
      if (r.kind === 'stopped')
        process.stdout.write(`stopped ${r.stopped.length} processes; removed ${path.resolve(o.dir)}\n`);
      else
        process.stdout.write(
          `no local clusters were running in ${path.resolve(o.dir)}${r.removedStale ? ' (removed stale state)' : ''}\n`,
        );
    });

  program
    .command('status')
    .description('show each component, its pid and health; exits 1 unless everything is healthy')
    .addOption(dirOption())
    .addOption(
      new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'),
    )
    .action(async (o: { dir: string; output: string }) => {
      const report = await status(o.dir);
      const healthy = report.phase === 'ready' && report.components.every((c) => c.healthy);
      if (o.output === 'json') {
        process.stdout.write(JSON.stringify({ ...report, healthy }, null, 2) + '\n');
      } else if (report.phase === 'absent') {
        process.stdout.write(`no local clusters in ${report.dir}\n`);
      } else {
        const rows = [
          ['COMPONENT', 'PID', 'HEALTHY', 'DETAIL'],
          ...report.components.map((c) => [
            c.id,
            String(c.pid),
            c.healthy ? 'yes' : 'NO',
            c.healthy ? c.detail : `${c.detail} (log: ${c.log})`,
          ]),
        ];
        const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
        for (const r of rows)
          process.stdout.write(
            r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ') + '\n',
          );
        process.stdout.write(`phase: ${report.phase}; kubeconfig: ${report.kubeconfig}\n`);
      }
      process.exitCode = healthy ? 0 : 1;
    });

  program
    .command('stop <component>')
    .description('stop one component, e.g. cluster2/kube-apiserver (for fault tests); start brings it back')
    .addOption(dirOption())
    .action(async (id: string, o: { dir: string }) => {
      const stopped = await stopComponent(o.dir, id);
      process.stdout.write(stopped ? `stopped ${id}\n` : `${id} was not running\n`);
    });

  program
    .command('start <component>')
    .description('start one stopped component with its original flags and wait until it is ready')
    .addOption(dirOption())
    .addOption(
      new Option('--timeout <seconds>', 'readiness timeout').argParser(intArg('--timeout')).default(120),
    )
    .action(async (id: string, o: { dir: string; timeout: number }) => {
      const r = await startComponent(o.dir, id, o.timeout * 1000);
      process.stdout.write(r === 'started' ? `started ${id}\n` : `${id} is already running\n`);
    });

  program
    .command('kubeconfig')
    .description('print the path of the kubeconfig holding every context')
    .addOption(dirOption())
    .action((o: { dir: string }) => {
      process.stdout.write(`${requireUp(o.dir).topology.kubeconfig}\n`);
    });

  program
    .command('install')
    .description(
      'install the Helm chart into cluster1 and run the control plane (kubefed-controller-manager, kubefed-webhook) as local processes under the chart identity; reuses what runs',
    )
    .addOption(dirOption())
    .addOption(
      new Option('--scope <scope>', 'scope of a new control plane (global.scope)').choices([
        'Cluster',
        'Namespaced',
      ]),
    )
    .option('--chart <dir>', 'the kubefed chart (default: charts/kubefed of this repository)')
    .addOption(
      new Option('--timeout <seconds>', 'readiness timeout per process')
        .argParser(intArg('--timeout'))
        .default(120),
    )
    .action(async (o: { dir: string; scope?: ControlPlaneScope; chart?: string; timeout: number }) => {
      const r = await install({
        dir: o.dir,
        ...(o.scope ? { scope: o.scope } : {}),
        ...(o.chart ? { chart: o.chart } : {}),
        timeoutMs: o.timeout * 1000,
        progress: (line) => process.stderr.write(`kubefed-local: ${line}\n`),
      });
      const i = r.install;
      process.stdout.write(
        `${r.kind === 'reused' ? 'control plane already running' : 'control plane running'}: release ${i.release} (namespace ${i.releaseNamespace}), ${i.scope} scope in namespace ${i.namespace}\n` +
          i.processes.map((p) => `  ${p.id}  pid ${p.pid}  log ${p.log}\n`).join('') +
          (i.dashboardPort !== undefined ? `dashboard: ${dashboardUrl(i.dashboardPort)}\n` : ''),
      );
    });

  program
    .command('uninstall')
    .description(
      'delete the FederatedTypeConfigs, helm uninstall the release and stop the local control plane',
    )
    .addOption(dirOption())
    .action(async (o: { dir: string }) => {
      const r = await uninstall({
        dir: o.dir,
        progress: (line) => process.stderr.write(`kubefed-local: ${line}\n`),
      });
      process.stdout.write(
        r.kind === 'nothing'
          ? 'no kubefed release or control plane to uninstall\n'
          : `uninstalled; stopped ${r.stopped.length} processes (CRDs stay, as with helm)\n`,
      );
    });

  program
    .command('demo')
    .description(
      'the main job in one command: local clusters, the chart and control plane, cluster1..3 joined, a sample app federated into namespace demo, and its status per cluster (safe to re-run)',
    )
    .addOption(dirOption())
    .addOption(
      new Option('--timeout <seconds>', 'how long to wait for each stage')
        .argParser(intArg('--timeout'))
        .default(240),
    )
    .action(async (o: { dir: string; timeout: number }) => {
      await demo({
        dir: o.dir,
        isDefaultDir: path.resolve(o.dir) === path.resolve(defaultDir()),
        timeoutMs: o.timeout * 1000,
        progress: (line) => process.stderr.write(`kubefed-local: ${line}\n`),
        out: (text) => process.stdout.write(text),
      });
    });

  program
    .command('env')
    .description(
      'print shell exports (KUBECONFIG, PATH with the toolchain first): eval "$(kubefed-local env)"',
    )
    .addOption(dirOption())
    .action(async (o: { dir: string }) => {
      const state = requireUp(o.dir);
      const binDir = state.binDir || (await resolveToolchain({ build: false })).binDir;
      const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
      process.stdout.write(
        `export KUBECONFIG=${q(state.topology.kubeconfig)}\nexport PATH=${q(binDir)}:"$PATH"\n`,
      );
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`kubefed-local: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
