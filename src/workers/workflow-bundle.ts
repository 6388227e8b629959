/**
 * The one way the workflow bundle is built: `npm run build`, the orchestrator pool, the
 * tests, the replayer and the benchmarks all call this. The bundle holds workflow-safe code
 * only; zod (the API's validation stack) in it fails the build, since the sandbox would
 * evaluate it again for every run.
 */
import { bundleWorkflowCode, type Logger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

export const WORKFLOWS_PATH = require.resolve('../workflows');

/** Modules that export `interceptors` for every workflow (final state in the memo). */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../workflows/final-state')];

/** Packages that must never enter the bundle, and how to recognise them in its code. */
const FORBIDDEN_IN_BUNDLE: ReadonlyArray<{ name: string; marker: RegExp }> = [{ name: 'zod', marker: /node_modules[\\/]zod[\\/]/ }];

export async function bundleWorkflows(logger?: Logger): Promise<WorkflowBundleWithSourceMap> {
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules: WORKFLOW_INTERCEPTOR_MODULES, logger });
  for (const { name, marker } of FORBIDDEN_IN_BUNDLE) {
    if (marker.test(bundle.code))
      throw new Error(`${name} entered the workflow bundle: workflows may import only workflow-safe modules (see README, Architecture)`);
  }
  return bundle;
}
