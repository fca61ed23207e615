/** The kubefedctl command line. Commands arrive with their issues (join, enable, federate, …). */
import { Command } from 'commander';
import { VERSION } from '../../version.js';

export function buildProgram(): Command {
  const program = new Command('kubefedctl')
    .description(
      'kubefedctl controls a KubeFed control plane: join clusters, enable types, federate resources.',
    )
    .version(VERSION, '--version')
    .showHelpAfterError();
  program
    .command('version')
    .description('print the kubefedctl version')
    .action(() => {
      process.stdout.write(`kubefedctl version: ${VERSION}\n`);
    });
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`kubefedctl: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
