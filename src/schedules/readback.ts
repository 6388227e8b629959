/**
 * Temporal's description of a schedule back in the API's form, so GET answers what POST
 * took and PATCH can merge into it.
 */
import type { CalendarSpecDescription, Range, ScheduleDescription, ScheduleSpecDescription } from '@temporalio/client';
import type { CanvasRequest, Json } from '../workflows/language/types';
import type { ScheduleAction } from './action';
import type { ScheduleDefinition } from './definition';
import { RESERVED_KEYS, type OrchestraMemo } from './memo';
import type { CalendarInput, ScheduleSpecInput } from './spec';
import { RUN_ID_PREFIXES } from '../workflows/app/run-ids';
import { WORKFLOW_TYPES } from '../workflows/workflow-types';

/**
 * The definition as written: the spec from the runs' memo (Temporal keeps cron only as
 * compiled calendars), the rest from Temporal itself. Schedules made elsewhere (the CLI)
 * have no such memo and show Temporal's own form.
 */
export function definitionOf(description: ScheduleDescription): Pick<ScheduleDefinition, 'spec' | 'action'> & { memo: Record<string, unknown> } {
  const runMemo = (description.action.memo ?? {}) as Record<string, unknown>;
  const own = runMemo.orchestraSchedule as OrchestraMemo | undefined;
  const source = Object.keys(runMemo).length ? runMemo : (description.memo ?? {});
  const memo = Object.fromEntries(Object.entries(source).filter(([key]) => !(RESERVED_KEYS as readonly string[]).includes(key)));
  return { spec: own?.spec ?? specFromTemporal(description.spec), action: actionFromTemporal(description), memo };
}

function actionFromTemporal(description: ScheduleDescription): ScheduleAction {
  const { workflowType, workflowId, args = [], workflowExecutionTimeout } = description.action;
  // The default prefix is left out, so a PATCH merge keeps following the schedule's id.
  const prefix = workflowId && workflowId !== `${RUN_ID_PREFIXES.schedule}${description.scheduleId}` ? { workflowId } : {};
  const [first] = args as Json[];
  if (workflowType === WORKFLOW_TYPES.canvas && typeof first === 'object' && first !== null && 'canvas' in first) {
    // The owning tenant travels in the run's input; it is the schedule's, not part of what was written.
    const { tenant: _owner, ...request } = first as unknown as CanvasRequest & { tenant?: string };
    return { ...request, ...prefix };
  }
  const timeout = typeof workflowExecutionTimeout === 'number' ? { timeout: formatDuration(workflowExecutionTimeout) } : {};
  return { workflow: workflowType, args: args as Json[], ...prefix, ...timeout };
}

/** Temporal's described spec in the API's form. */
export function specFromTemporal(spec: ScheduleSpecDescription): ScheduleSpecInput {
  const out: ScheduleSpecInput = {};
  if (spec.calendars?.length) out.calendars = spec.calendars.map(calendarFromTemporal);
  if (spec.intervals?.length)
    out.intervals = spec.intervals.map((i) => ({ every: formatDuration(i.every), ...(i.offset ? { offset: formatDuration(i.offset) } : {}) }));
  if (spec.skip?.length) out.skip = spec.skip.map(calendarFromTemporal);
  if (spec.timezone) out.timezone = spec.timezone;
  if (spec.startAt) out.startAt = spec.startAt.toISOString();
  if (spec.endAt) out.endAt = spec.endAt.toISOString();
  if (spec.jitter) out.jitter = formatDuration(spec.jitter);
  return out;
}

const FULL_SPAN: Record<string, [number | string, number | string]> = {
  dayOfMonth: [1, 31],
  month: ['JANUARY', 'DECEMBER'],
  dayOfWeek: ['SUNDAY', 'SATURDAY'],
};

function calendarFromTemporal(calendar: CalendarSpecDescription): CalendarInput {
  const out: CalendarInput = {};
  for (const field of ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek', 'year'] as const) {
    const ranges = calendar[field] as Array<Range<number | string>>;
    if (!ranges.length) continue;
    const span = FULL_SPAN[field];
    if (span && ranges.length === 1 && ranges[0].start === span[0] && ranges[0].end === span[1] && ranges[0].step <= 1) continue;
    out[field] = ranges.map(formatRange).join(',');
  }
  if (calendar.comment) out.comment = calendar.comment;
  return out;
}

function formatRange(range: Range<number | string>): string {
  const name = (v: number | string) => (typeof v === 'string' ? v.slice(0, 3) : String(v));
  const base = range.start === range.end ? name(range.start) : `${name(range.start)}-${name(range.end)}`;
  return range.step > 1 ? `${base}/${range.step}` : base;
}

/** 900000 → "15m": the largest unit that divides evenly. */
export function formatDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  for (const [unit, size] of units) if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}
