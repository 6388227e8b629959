/**
 * The workflow bundle holds workflow-safe code only: no zod and none of the API's,
 * activities' or database's modules. The sandbox evaluates the bundle for every run, so
 * what enters it is paid per run (README, Architecture).
 */
import { bundleWorkflows } from '../../src/workers/workflow-bundle';
import { quietLogger } from '../../src/devservices/quiet-logger';

/** Folders and files whose modules may be in the bundle. */
const WORKFLOW_SAFE = [/^\.\/src\/workflows\//, /^\.\/src\/canvas\/(arguments|duration|events|failures|final-state|flow-control|limits|step-options|structure|types)\.ts$/, /^\.\/src\/tasks\/(catalog|pools)\.ts$/, /^\.\/src\/app\/(comments|avatars|digest)\/workflow\.ts$/, /^\.\/src\/app\/avatars\/sizes\.ts$/, /^\.\/src\/app\/run-ids\.ts$/, /^\.\/src\/temporal\/(workflow-types|tenants)\.ts$/, /^\.\/src\/errors\.ts$/];

let code: string;
beforeAll(async () => {
  code = (await bundleWorkflows(quietLogger)).code;
}, 120_000);

test('no zod, and only workflow-safe project modules', () => {
  expect(code).not.toMatch(/node_modules[\\/]zod[\\/]/);
  const projectModules = [...new Set(code.match(/\.\/src\/[\w/.-]+\.ts/g) ?? [])];
  expect(projectModules.length).toBeGreaterThan(10);
  expect(projectModules.filter((m) => !WORKFLOW_SAFE.some((allowed) => allowed.test(m)))).toEqual([]);
});

test('the bundle stays small: the SDK plus the interpreter, under 2.5 MB of code', () => {
  // Today about 1.9 MB, most of it the SDK's own workflow runtime; zod alone added ~0.6 MB.
  expect(code.length).toBeLessThan(2.5 * 1024 * 1024);
});
