/**
 * Workflow types, declared once: the functions src/workflows/index.ts exports. The API,
 * the application and the schedules name workflows through these, so a renamed or removed
 * workflow is a type error where it is started. Type-only import: nothing loads workflow
 * code outside the worker's bundle.
 */
import type * as workflows from '../workflows';

export type WorkflowType = Exclude<keyof typeof workflows, 'interceptors'>;

/** The arguments a workflow type takes, as its function declares them. */
export type WorkflowArgs<T extends WorkflowType> = Parameters<(typeof workflows)[T]>;

export const WORKFLOW_TYPES = {
  canvas: 'canvas',
  concurrencyCoordinator: 'concurrencyCoordinator',
  debouncer: 'debouncer',
  commentPosted: 'commentPosted',
  avatarUploaded: 'avatarUploaded',
  digest: 'digest',
  arithmeticDemo: 'arithmeticDemo',
} as const satisfies { [T in WorkflowType]: T };
