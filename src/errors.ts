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
