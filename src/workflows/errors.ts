/**
 * The one home of error type names. Tasks raise ApplicationFailure with these types;
 * canvases list them in `retry.nonRetryable`; the API reports them as they were raised.
 */
import { ApplicationFailure } from '@temporalio/common';

export const ErrorType = {
  ZeroDivision: 'ZeroDivisionError',
  Flaky: 'FlakyError',
  InvalidArguments: 'InvalidArgumentsError',
  /** A task returned something that is not JSON (Celery's EncodeError). */
  Encode: 'EncodeError',
  NotFound: 'NotFoundError',
  SmtpTransient: 'SmtpTransientError',
  SmtpPermanent: 'SmtpPermanentError',
  ImageRejected: 'ImageRejectedError',
  /** Another attempt holds this message's reservation in the email log; retry after its lease. */
  EmailInFlight: 'EmailInFlightError',
  /** An email address or header that cannot be sent as given (CR/LF, bad syntax). */
  InvalidEmail: 'InvalidEmailError',
  /** A completion webhook's receiver answered an error, or could not be reached; retried with backoff. */
  WebhookFailed: 'WebhookFailedError',
  /** A completion webhook that cannot succeed: a refused host, no signing secret, or a 4xx answer. */
  WebhookRefused: 'WebhookRefusedError',
  // ---- raised by the canvas interpreter (workflow code: this file stays workflow-safe)
  /** A canvas names a task the catalog does not have (runs started without the API). */
  UnknownTask: 'UnknownTaskError',
  /** A canvas that fails the structural check inside the workflow. */
  InvalidCanvas: 'InvalidCanvasError',
  /** A fan-out produced at run time is over the documented limits. */
  FanOutLimit: 'FanOutLimitError',
  /** A step's timeout fired (Temporal's TimeoutFailure, as the API reports it). */
  Timeout: 'TimeoutError',
  /** A step was cancelled (Temporal's CancelledFailure, as the API reports it). */
  Cancelled: 'CancelledError',
  /** A wait node without a default saw no event by its timeout. */
  EventTimeout: 'EventTimeoutError',
} as const;

export type ErrorTypeName = (typeof ErrorType)[keyof typeof ErrorType];

/** Fails the step at once: retrying cannot help. */
export function permanentFailure(type: ErrorTypeName, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details === undefined ? [] : [details] });
}

/** Fails this attempt; the retry policy decides whether another follows. */
export function transientFailure(type: ErrorTypeName, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: false });
}
