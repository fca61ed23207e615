/** The kubefedctl command line. Commands arrive with their issues (join, enable, federate, …). */
import { Command, Option } from 'commander';
import { VERSION } from '../../version.js';
import { CliError, normalizeBooleanFlags } from './context.js';
import { diffCommand, planCommand } from './diff.js';
import { disableCommand } from './disable.js';
import { enableCommand } from './enable.js';
import { federateCommand } from './federate.js';
import { getCommand } from './get.js';
import { joinCommand } from './join.js';
import { orphaningDeletionCommand } from './orphaning.js';
import { statusCommand } from './status.js';
import { unjoinCommand } from './unjoin.js';

const logLevelFlag = () =>
  new Option('--v <level>', 'log level; 4 or more adds stack traces to errors').default('0');

export function buildProgram(): Command {
  const program = new Command('kubefedctl')
    .description(
      'kubefedctl controls a KubeFed control plane: join clusters, enable types, federate resources.',
    )
    .version(VERSION, '--version')
    .addOption(logLevelFlag())
    .showHelpAfterError();
  program
    .command('version')
    .description('print the kubefedctl version')
    .action(() => {
      process.stdout.write(`kubefedctl version: ${VERSION}\n`);
    });
  program.addCommand(joinCommand());
  program.addCommand(unjoinCommand());
  program.addCommand(getCommand());
  program.addCommand(enableCommand());
  program.addCommand(disableCommand());
  program.addCommand(federateCommand());
  program.addCommand(orphaningDeletionCommand());
  program.addCommand(statusCommand());
  program.addCommand(diffCommand());
  program.addCommand(planCommand());
  // Program options count only before the subcommand, so a subcommand may own a flag the program
  // has too: `enable --version` is the target's API version, as upstream. `--v` works on both.
  program.enablePositionalOptions();
  for (const cmd of program.commands) {
    if (!cmd.options.some((o) => o.long === '--v')) cmd.addOption(logLevelFlag());
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(normalizeBooleanFlags(argv, program));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`kubefedctl: ${message}\n`);
    const level = Math.max(
      ...[program, ...program.commands].map((c) => Number(c.opts<{ v?: string }>().v ?? 0) || 0),
    );
    if (level >= 4 && err instanceof Error && !(err instanceof CliError) && err.stack) {
      process.stderr.write(`${err.stack}\n`);
    }
    process.exitCode = err instanceof CliError ? err.exitCode : 1;
  }
}
