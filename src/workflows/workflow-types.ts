/**
 * Workflow types, declared once: the names of the functions ./index.ts exports. The
 * interpreter starts children by these names; the API, the application and the schedules
 * start runs by them, with their arguments typed by ./signatures.ts, so a renamed or
 * removed workflow is a type error where it is started.
 */
export const WORKFLOW_TYPES = {
  canvas: 'canvas',
  concurrencyCoordinator: 'concurrencyCoordinator',
  debouncer: 'debouncer',
  commentPosted: 'commentPosted',
  avatarUploaded: 'avatarUploaded',
  digest: 'digest',
  arithmeticDemo: 'arithmeticDemo',
  bulkOperation: 'bulkOperation',
} as const;

export type WorkflowType = keyof typeof WORKFLOW_TYPES;
