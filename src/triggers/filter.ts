/**
 * A trigger's filter: which events' payloads start its canvas. An object of conditions,
 * all of which must hold, each keyed by a dotted path into the payload (`status`,
 * `order.total`, `items.0.sku`: object keys, or an array's index):
 *
 *   "order.status": "paid"            equal to a string, number, boolean or null
 *   "order.total": {"eq": {...}}      equal to any JSON (objects and arrays compared whole)
 *   "order.country": {"in": [...]}    equal to one of the listed values
 *   "order.coupon": {"exists": false} present (true) or absent (false)
 *
 * Equality is JSON equality: key order does not matter, 1 and 1.0 are equal, "1" and 1 are not.
 */
import type { Json } from '../workflows/language/types';
import { canonicalJson } from '../schedules/definition';
import type { Issues } from '../validation/issues';

export type FilterCondition = string | number | boolean | null | { eq: Json } | { in: Json[] } | { exists: boolean };
export type EventFilter = Record<string, FilterCondition>;

/** Enough to say which events of a name a trigger wants; more belongs in the canvas. */
export const FILTER_LIMITS = { conditions: 20, pathSegments: 10, inValues: 50 } as const;

const SEGMENT = /^[A-Za-z0-9_$@-]{1,64}$/;
const OPERATORS = ['eq', 'in', 'exists'] as const;

/** Checks `value` as a filter, recording problems under `path` (`filter`, `filter["order.total"].in`). */
export function validateFilter(value: unknown, path: string, issues: Issues): value is EventFilter {
  const before = issues.list.length;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.add(path, 'must be an object of conditions, like {"order.status": "paid"}');
    return false;
  }
  const entries = Object.entries(value);
  if (entries.length === 0) issues.add(path, 'must hold at least one condition (leave it out to take every event)');
  if (entries.length > FILTER_LIMITS.conditions) issues.add(path, `must hold at most ${FILTER_LIMITS.conditions} conditions`);
  for (const [key, condition] of entries) {
    const at = `${path}[${JSON.stringify(key)}]`;
    const segments = key.split('.');
    if (segments.length > FILTER_LIMITS.pathSegments || !segments.every((s) => SEGMENT.test(s))) {
      issues.add(at, `must be a dotted path of up to ${FILTER_LIMITS.pathSegments} names (letters, digits, _ $ @ -), like "order.status" or "items.0.sku"`);
    }
    checkCondition(condition, at, issues);
  }
  return issues.list.length === before;
}

function checkCondition(condition: unknown, at: string, issues: Issues): void {
  if (condition === null || ['string', 'number', 'boolean'].includes(typeof condition)) return;
  if (Array.isArray(condition) || typeof condition !== 'object')
    return issues.add(at, 'must be a JSON value or {"eq": …}, {"in": […]} or {"exists": true|false}');
  const keys = Object.keys(condition);
  const operator = keys[0];
  if (keys.length !== 1 || !(OPERATORS as readonly string[]).includes(operator)) {
    return issues.add(
      at,
      'must be a string, number, boolean or null, or one of {"eq": …}, {"in": […]}, {"exists": true|false} (compare with an object or array through "eq")',
    );
  }
  const operand = (condition as Record<string, unknown>)[operator];
  if (operator === 'in' && (!Array.isArray(operand) || operand.length === 0 || operand.length > FILTER_LIMITS.inValues)) {
    issues.add(`${at}.in`, `must be a list of 1 to ${FILTER_LIMITS.inValues} values`);
  }
  if (operator === 'exists' && typeof operand !== 'boolean') issues.add(`${at}.exists`, 'must be true or false');
}

/** Whether the payload meets every condition of the filter (no filter: every payload). */
export function matchesFilter(filter: EventFilter | undefined, payload: Json): boolean {
  if (!filter) return true;
  return Object.entries(filter).every(([path, condition]) => meets(condition, valueAt(payload, path)));
}

function meets(condition: FilterCondition, found: { value: Json } | undefined): boolean {
  if (condition !== null && typeof condition === 'object') {
    if ('exists' in condition) return condition.exists === (found !== undefined);
    if (found === undefined) return false;
    if ('in' in condition) return condition.in.some((option) => sameJson(option, found.value));
    return sameJson(condition.eq, found.value);
  }
  return found !== undefined && sameJson(condition, found.value);
}

/** The value at a dotted path, or undefined when some segment is missing. */
function valueAt(payload: Json, path: string): { value: Json } | undefined {
  let current: Json = payload;
  for (const segment of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(segment) && Number(segment) < current.length) current = current[Number(segment)];
    else if (current !== null && typeof current === 'object' && !Array.isArray(current) && Object.hasOwn(current, segment)) current = current[segment];
    else return undefined;
  }
  return { value: current };
}

const sameJson = (a: Json, b: Json) => canonicalJson(a) === canonicalJson(b);
