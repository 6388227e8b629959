/**
 * The workflow bundle holds workflow-safe code only: no zod and none of the API's,
 * activities' or database's modules. The sandbox evaluates the bundle for every run, so
 * what enters it is paid per run (README, Architecture).
 */
import { bundleWorkflows } from '../../src/workers/workflow-bundle';
import { quietLogger } from '../../src/devservices/quiet-logger';

/** The sandbox folder: the only project modules the bundle may hold (npm run lint checks its imports). */
const WORKFLOW_SAFE = /^\.\/src\/workflows\//;

let code: string;
beforeAll(async () => {
  code = (await bundleWorkflows(quietLogger)).code;
}, 120_000);

test('no zod, and only workflow-safe project modules', () => {
  expect(code).not.toMatch(/node_modules[\\/]zod[\\/]/);
  const projectModules = [...new Set(code.match(/\.\/src\/[\w/.-]+\.ts/g) ?? [])];
  expect(projectModules.length).toBeGreaterThan(10);
  expect(projectModules.filter((m) => !WORKFLOW_SAFE.test(m))).toEqual([]);
});

test('the bundle stays small: the SDK plus the interpreter, under 2.5 MB of code', () => {
  // Today about 1.9 MB, most of it the SDK's own workflow runtime; zod alone added ~0.6 MB.
  expect(code.length).toBeLessThan(2.5 * 1024 * 1024);
});
