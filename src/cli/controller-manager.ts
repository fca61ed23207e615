#!/usr/bin/env node
/**
 * kubefed-controller-manager: the federation control plane process. Its controllers (cluster health,
 * type configs, sync, status, scheduling) land with their issues; today it only answers --version/--help.
 */
import { Command } from 'commander';
import { VERSION } from '../version.js';

const program = new Command('kubefed-controller-manager')
  .description('KubeFed control plane: runs the federation controllers against a host cluster.')
  .version(VERSION, '--version')
  .action(() => {
    process.stderr.write('kubefed-controller-manager: no controllers are implemented yet in this version\n');
    process.exitCode = 1;
  });

await program.parseAsync(process.argv);
