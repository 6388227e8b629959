/**
 * Completion webhooks (docs/canvas.md, "Completion webhooks"): a request's `notify` asks
 * for its run's terminal state to be POSTed to a URL, once, signed. Plain names and types,
 * workflow-safe: the workflow schedules the delivery, the orchestrator pool's activity
 * (src/activities/webhook.ts) sends it, the API validates the request and shows the outcome.
 */
import type { CanvasFailure, Json, RunOutcome } from './types';

export type { NotificationState, NotifySpec, RunOutcome } from './types';

/** The terminal states a webhook may be sent for. */
export const RUN_OUTCOMES = ['completed', 'failed', 'canceled'] as const satisfies readonly RunOutcome[];

/** The delivery activity's name (registered by the orchestrator pool). */
export const WEBHOOK_ACTIVITY = 'orchestra.deliverWebhook';
/** Attempts of one delivery, with exponential backoff from 1 s to 1 min between them (about 8 min in all). */
export const WEBHOOK_MAX_ATTEMPTS = 12;
/** A result larger than this (as JSON) is left out of the body; the receiver reads it with GET /workflows/:id/result. */
export const WEBHOOK_MAX_RESULT_BYTES = 32 * 1024;

/** What is POSTed: the same bytes on every attempt, so a receiver may compare them. */
export interface WebhookBody {
  /** `run.completed`, `run.failed` or `run.canceled`. */
  event: `run.${RunOutcome}`;
  /** Unique per run and terminal state; also the Idempotency-Key header. */
  deliveryId: string;
  workflowId: string;
  runId: string;
  status: RunOutcome;
  closedAt: string;
  result?: Json;
  /** True when the result was larger than WEBHOOK_MAX_RESULT_BYTES and left out. */
  resultOmitted?: boolean;
  failure?: CanvasFailure;
}

/** What the workflow hands the activity. `signer`: the key whose signing secret applies when `secret` is absent. */
export interface WebhookDelivery {
  url: string;
  secret?: string;
  signer: string;
  body: WebhookBody;
}

/** What a delivery that the receiver accepted reports. */
export interface WebhookReceipt {
  responseStatus: number;
  attempt: number;
}
