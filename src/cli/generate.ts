#!/usr/bin/env node
/** Writes the generated API artefacts (CRDs, API reference) into the repository. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from '../api/generate.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
for (const [rel, content] of generatedFiles()) {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  process.stdout.write(`wrote ${rel}\n`);
}
