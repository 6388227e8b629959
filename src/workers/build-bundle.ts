/**
 * `npm run build` step: prebuilt workflow bundles, so production workers do not bundle at
 * start: the plain one, and the traced one an orchestrator with tracing on uses instead.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config';
import { bundleWorkflows, tracedBundlePath } from './workflow-bundle';

async function writeBundle(file: string, traced: boolean): Promise<void> {
  const { code } = await bundleWorkflows(undefined, { traced });
  writeFileSync(file, code);
  console.log(`workflow bundle written to ${file} (${Math.round(code.length / 1024)} KiB)`);
}

async function main(): Promise<void> {
  const plain = path.join(projectRoot, 'dist', 'workflow-bundle.js');
  mkdirSync(path.dirname(plain), { recursive: true });
  await writeBundle(plain, false);
  await writeBundle(tracedBundlePath(plain), true);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
