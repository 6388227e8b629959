/**
 * Bulk operations (POST /workflows/bulk/:action, docs in README "Operating many runs"): the
 * names and shapes the bulkOperation workflow, its activity and the API share. Plain data,
 * workflow-safe.
 */
import type { TaskVisibility } from '../tasks/catalog';
import type { TenantReach } from '../tenants';

export const BULK_ACTIONS = ['cancel', 'retry'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** What an operation is asked to do: the action on every run the query matches, as the caller may. */
export interface BulkInput {
  action: BulkAction;
  /** A visibility query, bounded by the operation's start time (runs started later are not matched). */
  query: string;
  /** How many runs the query matched when the operation started. */
  matched: number;
  /** The caller's reach: its tenant's runs, or every tenant's (admin). */
  tenants: TenantReach;
  /** The task visibility the caller's key has (retries re-validate each run's canvas with it). */
  tasks: TaskVisibility;
  /** Runs acted on per activity, and the most per second. */
  pageSize: number;
  perSecond: number;
  reason?: string;
}

export interface BulkError {
  workflowId: string;
  message: string;
}

/** One page's outcome (the activity's answer). */
export interface BulkPage {
  done: number;
  failed: number;
  /** Runs the action no longer applies to (already closed, already retried). */
  skipped: number;
  errors: BulkError[];
  /** Where the next page starts; null after the last. */
  nextPageToken: string | null;
}

/** The operation's progress, also its result, and what it carries across continue-as-new. */
export interface BulkProgress {
  action: BulkAction;
  matched: number;
  done: number;
  failed: number;
  skipped: number;
  /** The first errors (at most BULK_MAX_ERRORS). */
  errors: BulkError[];
  pages: number;
  nextPageToken: string | null;
}

export const BULK_MAX_ERRORS = 20;
export const BULK_PROGRESS_QUERY = 'bulk.progress';
/** The activity the orchestrator pool runs for each page (src/activities/bulk.ts). */
export const BULK_PAGE_ACTIVITY = 'bulk.page';
