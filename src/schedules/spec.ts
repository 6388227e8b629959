/**
 * When a schedule fires: any mix of cron expressions, intervals and calendars, in an IANA
 * time zone, between optional start and end times, minus `skip` calendars, plus jitter.
 * Validated with JSON paths (`spec.cron[0]`, `spec.timezone`), then mapped to Temporal's
 * ScheduleSpec.
 */
import type { CalendarSpec, DayOfWeek, Month, Range, ScheduleSpec } from '@temporalio/client';
import { z } from 'zod';
import { parseDuration } from '../workflows/language/duration';
import { DurationSchema } from '../canvas/schemas';
import type { Duration } from '../workflows/language/types';
import { DAYS_OF_WEEK, MONTHS, parseCron, parseField, type CalendarField, type FieldRange } from './cron';
import { Issues } from '../validation/issues';
import { at } from './paths';

/** One calendar: each field in cron syntax (`"MON-FRI"`, `"0,30"`, `9`). Absent: second, minute, hour 0; the rest every. */
export type CalendarInput = Partial<Record<CalendarField, string | number>> & { comment?: string };

export interface IntervalInput {
  every: Duration;
  offset?: Duration;
}

export interface ScheduleSpecInput {
  cron?: string[];
  intervals?: IntervalInput[];
  calendars?: CalendarInput[];
  /** An IANA name such as "Europe/Paris"; UTC when absent. */
  timezone?: string;
  /** ISO 8601 with an offset: no time before it fires. */
  startAt?: string;
  endAt?: string;
  skip?: CalendarInput[];
  jitter?: Duration;
}

const CALENDAR_FIELDS: CalendarField[] = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek', 'year'];
const FieldValue = z.union([z.string().max(200), z.number().int()]);
const CalendarSchema = z.strictObject({
  ...Object.fromEntries(CALENDAR_FIELDS.map((f) => [f, FieldValue.optional()])),
  comment: z.string().max(500).optional(),
});
const Timestamp = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with an offset, like "2030-01-01T07:00:00Z"' });
const MAX_ENTRIES = 50;

const SpecSchema = z
  .strictObject({
    cron: z.array(z.string().max(300)).max(MAX_ENTRIES).optional(),
    intervals: z
      .array(z.strictObject({ every: DurationSchema, offset: DurationSchema.optional() }))
      .max(MAX_ENTRIES)
      .optional(),
    calendars: z.array(CalendarSchema).max(MAX_ENTRIES).optional(),
    timezone: z.string().min(1).max(100).optional(),
    startAt: Timestamp.optional(),
    endAt: Timestamp.optional(),
    skip: z.array(CalendarSchema).max(MAX_ENTRIES).optional(),
    jitter: DurationSchema.optional(),
  })
  .meta({ id: 'ScheduleSpec', description: 'When runs happen: any mix of cron strings, intervals and calendars, in a time zone.' });

/** Checks a spec, recording problems under `path`; answers the spec when it is valid. */
export function validateSpec(value: unknown, path: string, issues: Issues): ScheduleSpecInput | undefined {
  const before = issues.list.length;
  if (!issues.check(SpecSchema, value, path)) return undefined;
  const spec = value as ScheduleSpecInput;
  spec.cron?.forEach((expression, i) => {
    const parsed = parseCron(expression);
    if (!parsed.ok) issues.add(`${at(path, 'cron')}[${i}]`, parsed.message);
  });
  spec.intervals?.forEach((interval, i) => checkInterval(interval, `${at(path, 'intervals')}[${i}]`, issues));
  spec.calendars?.forEach((calendar, i) => checkCalendar(calendar, `${at(path, 'calendars')}[${i}]`, issues));
  spec.skip?.forEach((calendar, i) => checkCalendar(calendar, `${at(path, 'skip')}[${i}]`, issues));
  if (!spec.cron?.length && !spec.intervals?.length && !spec.calendars?.length) {
    issues.add(path, 'needs at least one of cron, intervals or calendars');
  }
  if (spec.timezone !== undefined && !isTimeZone(spec.timezone)) {
    issues.add(at(path, 'timezone'), `"${spec.timezone}" is not an IANA time zone name, like "Europe/Paris" or "UTC"`);
  }
  if (spec.startAt && spec.endAt && Date.parse(spec.endAt) <= Date.parse(spec.startAt)) {
    issues.add(at(path, 'endAt'), 'must be after startAt');
  }
  return issues.list.length === before ? spec : undefined;
}

function checkInterval(interval: IntervalInput, path: string, issues: Issues): void {
  const every = parseDuration(interval.every)!;
  const offset = interval.offset === undefined ? 0 : parseDuration(interval.offset)!;
  // Temporal rounds both to whole seconds; say so rather than fire at surprising times.
  if (every < 1000 || every % 1000 !== 0) issues.add(at(path, 'every'), 'must be a whole number of seconds, at least "1s"');
  if (offset % 1000 !== 0) issues.add(at(path, 'offset'), 'must be a whole number of seconds');
  else if (offset >= every) issues.add(at(path, 'offset'), 'must be shorter than every');
}

function checkCalendar(calendar: CalendarInput, path: string, issues: Issues): void {
  for (const field of CALENDAR_FIELDS) {
    const value = calendar[field];
    if (value === undefined) continue;
    const parsed = parseField(field, value);
    if (!parsed.ok) issues.add(at(path, field), parsed.message);
  }
}

/** What the runtime's ICU knows; Temporal's own tz database answers the rest at create time. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** A valid spec as Temporal's ScheduleSpec. */
export function toTemporalSpec(spec: ScheduleSpecInput): ScheduleSpec {
  return {
    cronExpressions: spec.cron?.map((expression) => {
      const parsed = parseCron(expression);
      if (!parsed.ok) throw new Error(`invalid cron expression reached the mapping: ${expression}`);
      return parsed.value.temporal;
    }),
    intervals: spec.intervals?.map((i) => ({ every: parseDuration(i.every)!, offset: i.offset === undefined ? undefined : parseDuration(i.offset) })),
    calendars: spec.calendars?.map(toTemporalCalendar),
    skip: spec.skip?.map(toTemporalCalendar),
    timezone: spec.timezone,
    startAt: spec.startAt ? new Date(spec.startAt) : undefined,
    endAt: spec.endAt ? new Date(spec.endAt) : undefined,
    jitter: spec.jitter === undefined ? undefined : parseDuration(spec.jitter),
  };
}

function toTemporalCalendar(calendar: CalendarInput): CalendarSpec {
  const ranges = (field: CalendarField): FieldRange[] | undefined => {
    const value = calendar[field];
    if (value === undefined) return undefined;
    const parsed = parseField(field, value);
    if (!parsed.ok) throw new Error(`invalid calendar field reached the mapping: ${field}=${value}`);
    return parsed.value;
  };
  const numeric = (field: CalendarField) => ranges(field);
  const month = ranges('month')?.map((r): Range<Month> => ({ start: MONTHS[r.start - 1], end: MONTHS[r.end - 1], step: r.step }));
  return {
    second: numeric('second'),
    minute: numeric('minute'),
    hour: numeric('hour'),
    dayOfMonth: numeric('dayOfMonth'),
    month,
    dayOfWeek: ranges('dayOfWeek')?.flatMap(dayRanges),
    year: numeric('year'),
    comment: calendar.comment,
  };
}

/** Cron allows 7 for Sunday; Temporal's calendar names days 0-6, so a range reaching 7 wraps to SUNDAY. */
function dayRanges(range: FieldRange): Array<Range<DayOfWeek>> {
  const out: Array<Range<DayOfWeek>> = [];
  const end = Math.min(range.end, 6);
  if (range.start <= end) out.push({ start: DAYS_OF_WEEK[range.start], end: DAYS_OF_WEEK[end], step: range.step });
  if (range.end === 7 && (7 - range.start) % range.step === 0) out.push({ start: 'SUNDAY', end: 'SUNDAY', step: 1 });
  return out;
}
