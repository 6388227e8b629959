/**
 * Plain data, workflow-safe (the flow-control workflows name their runs with it).
 * Prefixes of the workflow ids the application gives its own runs: one home, read by the
 * code that makes those ids and by POST /workflows, which refuses them (a canvas under
 * `comment-<id>` would take the id that comment's own run needs).
 */
export const RUN_ID_PREFIXES = {
  /** commentPosted: `comment-<comment id>` (src/app/comments/model.ts). */
  comment: 'comment-',
  /** avatarUploaded, and the file id of the upload: `avatar-<user>-<digest>` (src/app/ids.ts). */
  avatar: 'avatar-',
  /** Runs a schedule starts without its own prefix: `schedule-<schedule id>-<time>` (src/schedules/action.ts). */
  schedule: 'schedule-',
  /** Temporal's own scheduler workflows (`temporal-sys-scheduler:<id>`) and other system runs. */
  temporal: 'temporal-sys-',
  /** The coordinator of a concurrency key: `concurrency-<key>` (src/workflows/concurrency.ts). */
  concurrency: 'concurrency-',
  /** A debounced run: `debounce-<key>` (src/workflows/debounce.ts). */
  debounce: 'debounce-',
  /** A bulk operation: `bulk-<action>-<uuid>` (src/api/routes/bulk.ts). */
  bulk: 'bulk-',
  /** A run an event trigger started: `event-<trigger id>-<hash>` (src/triggers/run-ids.ts). */
  event: 'event-',
} as const;

/** The application's prefix an id starts with, or undefined when the id is free to use. */
export function reservedPrefixOf(workflowId: string): string | undefined {
  const lower = workflowId.toLowerCase();
  return Object.values(RUN_ID_PREFIXES).find((prefix) => lower.startsWith(prefix));
}
