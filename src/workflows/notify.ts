/**
 * A run's completion webhook (docs/canvas.md, "Completion webhooks"): when the canvas ends
 * in a state its `notify.on` names, one delivery activity POSTs it, and the outcome shows
 * on the run's state (the root's `notification`) and in its final memo. Runs without
 * `notify` schedule nothing, so their histories are as before.
 */
import { ActivityFailure, ApplicationFailure, CancellationScope, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { ErrorType } from './errors';
import {
  RUN_OUTCOMES,
  WEBHOOK_ACTIVITY,
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_MAX_RESULT_BYTES,
  type NotificationState,
  type NotifySpec,
  type RunOutcome,
  type WebhookBody,
  type WebhookDelivery,
  type WebhookReceipt,
} from './language/notify';
import type { CanvasFailure, Json } from './language/types';

const { [WEBHOOK_ACTIVITY]: deliverWebhook } = proxyActivities<Record<string, (delivery: WebhookDelivery) => Promise<WebhookReceipt>>>({
  // Runs on the orchestrator pool (the workflow's own queue): light I/O, no task pool needed.
  // One attempt is bounded at 10 s by the activity; a worker killed mid-attempt is noticed after this.
  startToCloseTimeout: '15s',
  retry: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: WEBHOOK_MAX_ATTEMPTS,
    nonRetryableErrorTypes: [ErrorType.WebhookRefused],
  },
});

// Module state is per workflow execution (the SDK isolates workflow modules).
let notification: NotificationState | undefined;

/** What the run's state shows of its webhook, once one is due. */
export function notificationState(): NotificationState | undefined {
  return notification && { ...notification };
}

export interface RunEnd {
  status: RunOutcome;
  result?: Json;
  failure?: CanvasFailure;
}

/**
 * Sends the run's end to `spec.url` when `spec.on` names it, and waits for the delivery's
 * outcome. Never throws, and is not cancellable: a canceled run still reports that it was.
 */
export async function notifyRunEnd(spec: NotifySpec, signer: string, end: RunEnd): Promise<void> {
  if (!(spec.on ?? RUN_OUTCOMES).includes(end.status)) return;
  const { workflowId, runId } = workflowInfo();
  const body: WebhookBody = {
    event: `run.${end.status}`,
    deliveryId: `${workflowId}/${runId}/${end.status}`,
    workflowId,
    runId,
    status: end.status,
    closedAt: new Date().toISOString(),
    ...resultField(end.result),
    ...(end.failure ? { failure: end.failure } : {}),
  };
  notification = { url: spec.url, event: body.event, deliveryId: body.deliveryId, status: 'delivering' };
  try {
    const receipt = await CancellationScope.nonCancellable(() => deliverWebhook({ url: spec.url, secret: spec.secret, signer, body }));
    notification = { ...notification, status: 'delivered', responseStatus: receipt.responseStatus, attempts: receipt.attempt };
  } catch (error) {
    notification = { ...notification, status: 'failed', error: deliveryError(error) };
  }
}

function resultField(result: Json | undefined): Pick<WebhookBody, 'result' | 'resultOmitted'> {
  if (result === undefined) return {};
  return JSON.stringify(result).length <= WEBHOOK_MAX_RESULT_BYTES ? { result } : { resultOmitted: true };
}

function deliveryError(error: unknown): string {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure || cause instanceof Error) return cause.message;
  return String(cause);
}
