/**
 * The one way the workflow bundle is built: `npm run build`, the orchestrator pool, the
 * tests, the replayer and the benchmarks all call this. The bundle holds workflow-safe code
 * only; zod (the API's validation stack) in it fails the build, since the sandbox would
 * evaluate it again for every run.
 *
 * With tracing (src/telemetry), the OpenTelemetry workflow interceptors are in a bundle of
 * their own, the traced one: the plain bundle stays as it was, so an orchestrator without
 * tracing pays nothing for it and records the same histories.
 */
import { existsSync } from 'node:fs';
import { bundleWorkflowCode, type Logger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { TRACING_WORKFLOW_INTERCEPTORS_MODULE } from '../telemetry/tracing';
import { logger as appLogger } from '../logging';

export const WORKFLOWS_PATH = require.resolve('../workflows');

/** Modules that export `interceptors` for every workflow (final state in the memo). */
export const WORKFLOW_INTERCEPTOR_MODULES = [require.resolve('../workflows/final-state')];

/** Packages that must never enter the bundle, and how to recognise them in its code. */
const FORBIDDEN_IN_BUNDLE: ReadonlyArray<{ name: string; marker: RegExp }> = [{ name: 'zod', marker: /node_modules[\\/]zod[\\/]/ }];

export async function bundleWorkflows(logger?: Logger, { traced = false }: { traced?: boolean } = {}): Promise<WorkflowBundleWithSourceMap> {
  const workflowInterceptorModules = traced ? [...WORKFLOW_INTERCEPTOR_MODULES, TRACING_WORKFLOW_INTERCEPTORS_MODULE] : WORKFLOW_INTERCEPTOR_MODULES;
  const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, workflowInterceptorModules, logger });
  for (const { name, marker } of FORBIDDEN_IN_BUNDLE) {
    if (marker.test(bundle.code))
      throw new Error(`${name} entered the workflow bundle: workflows may import only workflow-safe modules (see README, Architecture)`);
  }
  return bundle;
}

/** Where `npm run build` writes the traced bundle beside the plain one: dist/workflow-bundle.traced.js. */
export function tracedBundlePath(plainBundlePath: string): string {
  return plainBundlePath.replace(/(\.js)?$/, '.traced.js');
}

/**
 * The orchestrator's bundle: the prebuilt one (WORKFLOW_BUNDLE_PATH, or its traced sibling
 * when tracing is on), else one built now.
 */
export async function workflowBundleFor(prebuiltPath: string | undefined, traced: boolean): Promise<WorkflowBundleWithSourceMap | { codePath: string }> {
  if (prebuiltPath === undefined) return bundleWorkflows(undefined, { traced });
  if (!traced) return { codePath: prebuiltPath };
  const tracedPath = tracedBundlePath(prebuiltPath);
  if (existsSync(tracedPath)) return { codePath: tracedPath };
  appLogger().warn(`tracing is on but ${tracedPath} does not exist (npm run build writes it): bundling the traced workflows now`);
  return bundleWorkflows(undefined, { traced: true });
}
