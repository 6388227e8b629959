/**
 * Durations of the canvas language: "500ms", "30s", "5m", "1h", "1d", or integer milliseconds,
 * at most MAX_DURATION (366 days). Part of the workflow bundle: no imports but types.
 */
import type { Duration } from './types';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** The longest duration accepted anywhere (a timeout, a delay, a schedule's interval): a year and a day. */
export const MAX_DURATION = '366d';
export const MAX_DURATION_MS = 366 * UNIT_MS.d;

/** Milliseconds of a well-formed duration, however large (Infinity for absurd digit strings). */
function milliseconds(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const match = PATTERN.exec(value.trim());
  if (!match) return undefined;
  return Math.round(Number(match[1]) * UNIT_MS[match[2]]);
}

/**
 * Milliseconds, or undefined when the value is not a duration or is longer than
 * MAX_DURATION: the check every request's durations pass, so a 400-digit timeout or 1e300 ms
 * is a 400 with its path, never an Infinity handed to Temporal.
 */
export function parseDuration(value: unknown): number | undefined {
  const ms = milliseconds(value);
  return ms !== undefined && ms <= MAX_DURATION_MS ? ms : undefined;
}

/**
 * Milliseconds of a duration already validated (workflow code, options of an accepted
 * request). Not capped: a run recorded before the cap existed replays with its durations
 * as they were.
 */
export function durationMs(value: Duration): number {
  const ms = milliseconds(value);
  if (ms === undefined) throw new Error(`not a duration: ${JSON.stringify(value)}`);
  return ms;
}
