/** `npm run build` step: a prebuilt workflow bundle, so production workers do not bundle at start. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../config';
import { bundleWorkflows } from './workflow-bundle';

async function main(): Promise<void> {
  const { code } = await bundleWorkflows();
  const out = path.join(projectRoot, 'dist', 'workflow-bundle.js');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, code);
  console.log(`workflow bundle written to ${out} (${Math.round(code.length / 1024)} KiB)`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
