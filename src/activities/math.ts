/** The demo tasks of the default pool (Celery's add, mul, xsum, and friends). */
import { Context } from '@temporalio/activity';
import { ErrorType, permanentFailure, transientFailure } from '../workflows/errors';

export async function add(x: number, y: number): Promise<number> {
  return x + y;
}

export async function mul(x: number, y: number): Promise<number> {
  return x * y;
}

export async function xsum(numbers: number[]): Promise<number> {
  return numbers.reduce((sum, n) => sum + n, 0);
}

export async function divide(x: number, y: number): Promise<number> {
  if (y === 0) throw permanentFailure(ErrorType.ZeroDivision, 'division by zero');
  return x / y;
}

export async function noop(value: unknown = null): Promise<unknown> {
  return value;
}

/** Fails on attempts 1..failTimes, then returns the attempt that succeeded. */
export async function flaky(failTimes: number): Promise<number> {
  const { attempt } = Context.current().info;
  if (attempt <= failTimes) throw transientFailure(ErrorType.Flaky, `attempt ${attempt} of ${failTimes} planned failures`);
  return attempt;
}

/**
 * Waits `ms`, heartbeating progress (0..100) often enough for any heartbeatTimeout of a
 * second or more; cancellation arrives through the heartbeat and ends the wait at once.
 * A retried attempt resumes from the last heartbeat's elapsed time.
 */
export async function sleep(ms: number): Promise<number> {
  const ctx = Context.current();
  const resumed = (ctx.info.heartbeatDetails as { elapsed?: number } | undefined)?.elapsed ?? 0;
  const tick = Math.min(1000, Math.max(50, Math.floor(ms / 100)));
  let elapsed = Math.min(resumed, ms);
  ctx.heartbeat({ progress: Math.floor((elapsed / Math.max(ms, 1)) * 100), message: 'started', elapsed });
  while (elapsed < ms) {
    const step = Math.min(tick, ms - elapsed);
    await ctx.sleep(step); // rejects with CancelledFailure once a cancel reaches a heartbeat
    elapsed += step;
    ctx.heartbeat({ progress: Math.floor((elapsed / ms) * 100), message: `slept ${elapsed} of ${ms} ms`, elapsed });
  }
  return ms;
}
