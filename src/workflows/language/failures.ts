/**
 * How a canvas failure travels: the failing node and the task's own error type and
 * message ride in an ApplicationFailure's details, across child workflows, to the API.
 */
import { ApplicationFailure, CancelledFailure, TemporalFailure, TimeoutFailure } from '@temporalio/common';
import { ErrorType } from '../errors';
import type { CanvasFailure } from './types';
import type { Issue } from './issues';

const MARK = 'orchestraCanvasFailure';

export function stepFailure(failure: CanvasFailure): ApplicationFailure {
  return ApplicationFailure.create({ type: failure.type, message: failure.message, nonRetryable: true, details: [{ [MARK]: failure }] });
}

/** A canvas that does not validate, inside a workflow: fails the run at once, listing every problem. */
export function invalidCanvas(what: string, issues: Issue[]): ApplicationFailure {
  const problems = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return ApplicationFailure.create({ type: ErrorType.InvalidCanvas, message: `invalid ${what}: ${problems}`, nonRetryable: true, details: [issues] });
}

/** The canvas failure anywhere in an error's cause chain, if there is one. */
export function readCanvasFailure(error: unknown): CanvasFailure | undefined {
  for (let e: unknown = error; e instanceof Error; e = (e as Error & { cause?: unknown }).cause) {
    if (e instanceof ApplicationFailure) {
      const detail = e.details?.[0] as Record<string, unknown> | undefined;
      if (detail && typeof detail === 'object' && MARK in detail) return detail[MARK] as CanvasFailure;
    }
  }
  return undefined;
}

/** The innermost error's type and message, as the task raised it. */
export function describeFailure(error: unknown): { type: string; message: string } {
  let e: unknown = error;
  // Activity and child-workflow failures wrap what was raised; unwrap to it.
  while (e instanceof TemporalFailure && !(e instanceof ApplicationFailure) && e.cause) e = e.cause;
  if (e instanceof ApplicationFailure) return { type: e.type ?? 'Error', message: e.message };
  if (e instanceof TimeoutFailure) return { type: ErrorType.Timeout, message: e.message || 'timed out' };
  if (e instanceof CancelledFailure) return { type: ErrorType.Cancelled, message: e.message || 'cancelled' };
  if (e instanceof Error) return { type: e.name, message: e.message };
  return { type: 'Error', message: String(e) };
}
