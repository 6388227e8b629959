/**
 * Cron expressions and calendar fields, checked here so that a bad one is a 400 naming
 * its JSON path before Temporal sees it (Temporal's own messages name no path, and it
 * silently accepts some things that would surprise a cron user, like `1#2`).
 *
 * The syntax is classic cron: per field `*`, `5`, `1-5`, `*\/15`, `0-30/10`, `5/15`
 * (from 5 to the end, every 15), lists `1,15,30`, and names `JAN`..`DEC`, `SUN`..`SAT`
 * (or full names, any case). Five fields are `minute hour day-of-month month day-of-week`;
 * six put `second` first. Temporal reads six fields differently (a trailing year), so
 * `toTemporalCron` hands it seven with the year `*`.
 */

export interface FieldRange {
  start: number;
  end: number;
  step: number;
}

export type CalendarField = 'second' | 'minute' | 'hour' | 'dayOfMonth' | 'month' | 'dayOfWeek' | 'year';

interface FieldDef {
  label: string;
  min: number;
  max: number;
  /** Where `*` and `5/15` end: day-of-week accepts 7 (Sunday) but spans 0-6. */
  spanMax?: number;
  names?: Readonly<Record<string, number>>;
}

const MONTH_NAMES = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'] as const;
const DAY_NAMES = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'] as const;

/** Both `JAN` and `JANUARY` name month 1; both `MON` and `MONDAY` day 1. */
function nameTable(names: readonly string[], first: number): Record<string, number> {
  const table: Record<string, number> = {};
  names.forEach((name, i) => {
    table[name] = first + i;
    table[name.slice(0, 3)] = first + i;
  });
  return table;
}

export const FIELDS: Readonly<Record<CalendarField, FieldDef>> = {
  second: { label: 'second', min: 0, max: 59 },
  minute: { label: 'minute', min: 0, max: 59 },
  hour: { label: 'hour', min: 0, max: 23 },
  dayOfMonth: { label: 'day-of-month', min: 1, max: 31 },
  month: { label: 'month', min: 1, max: 12, names: nameTable(MONTH_NAMES, 1) },
  dayOfWeek: { label: 'day-of-week', min: 0, max: 7, spanMax: 6, names: nameTable(DAY_NAMES, 0) },
  // Temporal's calendar accepts years 2000-2100.
  year: { label: 'year', min: 2000, max: 2100 },
};

const FIVE: CalendarField[] = ['minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'];
const SIX: CalendarField[] = ['second', ...FIVE];

/** `?`, `L`, `15W`, `LW`, `MON#2`: Quartz's extensions, which Temporal rejects or silently misreads. */
const QUARTZ = /^(\?|\d*L|\d+W|LW|\w+#\d+)$/i;

/** Shorthands Temporal understands; each is one fixed time of day or hour. */
const SHORTHANDS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** One field in cron syntax: `*`, `1-5/2`, `MON-FRI`, `0,30`, or a number. */
export function parseField(field: CalendarField, raw: string | number): Parsed<FieldRange[]> {
  const def = FIELDS[field];
  const text = String(raw).trim();
  if (text === '') return fail(`${def.label} is empty`);
  const ranges: FieldRange[] = [];
  for (const item of text.split(',')) {
    const range = parseItem(def, item);
    if (!range.ok) return fail(`${def.label} "${text}": ${range.message}`);
    ranges.push(range.value);
  }
  return { ok: true, value: ranges };
}

function parseItem(def: FieldDef, item: string): Parsed<FieldRange> {
  const match = /^([^/]+)(?:\/(.*))?$/.exec(item);
  if (!match) return fail(`"${item}" is not a value, a range or a step`);
  const [, base, stepText] = match;
  let step = 1;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText) || Number(stepText) < 1) return fail(`step "${stepText}" must be a whole number of at least 1`);
    step = Number(stepText);
  }
  const spanMax = def.spanMax ?? def.max;
  if (base === '*') return { ok: true, value: { start: def.min, end: spanMax, step } };
  const bounds = base.split('-');
  if (bounds.length > 2) return fail(`"${base}" is not a value or a range`);
  const values: number[] = [];
  for (const bound of bounds) {
    const value = parseValue(def, bound);
    if (!value.ok) return value;
    values.push(value.value);
  }
  const start = values[0];
  // `5/15` runs from 5 to the end of the field, as Temporal and Quartz read it.
  const end = values.length === 2 ? values[1] : stepText !== undefined ? Math.max(spanMax, start) : start;
  if (end < start) return fail(`the range ${base} runs backwards; write it as ${bounds[1]}-${bounds[0]} or as a list`);
  return { ok: true, value: { start, end, step } };
}

function parseValue(def: FieldDef, text: string): Parsed<number> {
  let value: number | undefined;
  if (/^\d+$/.test(text)) value = Number(text);
  else value = def.names?.[text.toUpperCase()];
  const allowed = `${def.min}-${def.max}${def.names ? ` or a name like ${Object.keys(def.names)[1]}` : ''}`;
  if (value === undefined && QUARTZ.test(text)) return fail(`"${text}": ? L W and # (Quartz extensions) are not supported`);
  if (value === undefined) return fail(`"${text}" is not a ${def.label} (${allowed})`);
  if (value < def.min || value > def.max) return fail(`${value} is out of range (${allowed})`);
  return { ok: true, value };
}

export interface CronExpression {
  /** The expression as Temporal reads it (seconds-first six fields become seven). */
  temporal: string;
  /** The parsed fields, absent for shorthands like `@daily`. */
  fields?: Partial<Record<CalendarField, FieldRange[]>>;
}

/** A whole cron expression: 5 fields, 6 with seconds first, or a shorthand like `@daily`. */
export function parseCron(expression: string): Parsed<CronExpression> {
  const text = expression.trim();
  if (/^(CRON_)?TZ=/i.test(text)) return fail('put the time zone in spec.timezone, not in the expression');
  if (/^@every\b/i.test(text)) return fail('write "@every" schedules as "intervals": [{"every": "15m"}]');
  if (text.startsWith('@')) {
    return SHORTHANDS.has(text.toLowerCase())
      ? { ok: true, value: { temporal: text.toLowerCase() } }
      : fail(`unknown shorthand ${text}; known: ${[...SHORTHANDS].join(', ')}`);
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6) {
    return fail(
      `has ${parts.length} field${parts.length === 1 ? '' : 's'}; a cron expression has 5 (minute hour day-of-month month day-of-week) or 6 (second first)`,
    );
  }
  const names = parts.length === 6 ? SIX : FIVE;
  const fields: Partial<Record<CalendarField, FieldRange[]>> = {};
  for (let i = 0; i < parts.length; i++) {
    const parsed = parseField(names[i], parts[i]);
    if (!parsed.ok) return parsed;
    fields[names[i]] = parsed.value;
  }
  return { ok: true, value: { temporal: parts.length === 6 ? `${parts.join(' ')} *` : parts.join(' '), fields } };
}

export const MONTHS = MONTH_NAMES;
export const DAYS_OF_WEEK = DAY_NAMES;

function fail(message: string): { ok: false; message: string } {
  return { ok: false, message };
}
