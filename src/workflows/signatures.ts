/**
 * The arguments of each workflow type, read from the functions ./index.ts exports, and the
 * check that ./workflow-types.ts names exactly those functions. Type-only: nothing loads
 * workflow code outside the worker's bundle, and nothing the bundle loads imports this.
 */
import type * as workflows from '.';
import type { WORKFLOW_TYPES, WorkflowType } from './workflow-types';

type ExportedWorkflow = Exclude<keyof typeof workflows, 'interceptors'>;

/** The arguments a workflow type takes, as its function declares them. */
export type WorkflowArgs<T extends WorkflowType> = Parameters<(typeof workflows)[T]>;

// Each exported workflow is named, under its own name, and nothing else is.
type Named = typeof WORKFLOW_TYPES extends { [T in ExportedWorkflow]: T } ? true : never;
type NothingElse = [Exclude<WorkflowType, ExportedWorkflow>] extends [never] ? true : never;
export const workflowTypesMatchExports: Named & NothingElse = true;
