/**
 * The envelope's flow control between runs (docs/canvas.md, "Flow control"): the names the
 * canvas workflow, the coordinator and debouncer workflows, their activities and the API
 * share. Plain data, workflow-safe.
 */
import { RUN_ID_PREFIXES } from '../app/run-ids';

/** A run asking its key's coordinator for a slot; `limit` is its request's own. */
export interface SlotRequest {
  workflowId: string;
  runId: string;
  limit: number;
  /** The run's tenant, which owns the coordinator it starts (absent on runs from before tenants). */
  tenant?: string;
}

export type RunRef = Pick<SlotRequest, 'workflowId' | 'runId'>;

/** What a coordinator carries, also across continue-as-new: holders and waiters in arrival order. */
export interface CoordinatorState {
  key: string;
  holders: SlotRequest[];
  waiters: SlotRequest[];
  /**
   * The key's limit, fixed by the request that started the coordinator (docs/canvas.md,
   * "Flow control"). Coordinators from before it was fixed have none and use each waiter's own.
   */
  limit?: number;
}

export const CONCURRENCY_SIGNALS = {
  /** To the coordinator: queue this run (idempotent per run). */
  acquire: 'concurrency.acquire',
  /** To the coordinator: this run holds no slot any more, or leaves the queue. */
  release: 'concurrency.release',
  /** To a waiting run: its slot is free. */
  granted: 'concurrency.granted',
} as const;

export const CONCURRENCY_QUERY = 'concurrency.queue';

/** A new request for a debounced key: it replaces the one waiting. */
export const DEBOUNCE_SIGNAL = 'debounce.request';

export function concurrencyWorkflowId(key: string): string {
  return `${RUN_ID_PREFIXES.concurrency}${key}`;
}

export function debounceWorkflowId(key: string): string {
  return `${RUN_ID_PREFIXES.debounce}${key}`;
}

/** Activities of the flow-control workflows (src/activities/flow-control.ts). */
export const FLOW_ACTIVITIES = {
  enqueue: 'concurrency.enqueue',
  closedRuns: 'concurrency.closedRuns',
} as const;
