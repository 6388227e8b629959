/**
 * A schedule as the API and the built-in declarations write it:
 * `{id, spec, action, policies, state, memo}`. Validation reports every problem with its
 * JSON path; the hash identifies a definition so the built-in sync can tell "changed"
 * from "equal" without comparing Temporal's normalised form field by field.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseDuration } from '../workflows/language/duration';
import { DurationSchema, WorkflowIdSchema } from '../canvas/schemas';
import type { Duration, Json } from '../workflows/language/types';
import type { Issue, Validation } from '../canvas/validate';
import type { TaskVisibility } from '../tasks/registry';
import { validateAction, type ScheduleAction } from './action';
import { Issues } from '../validation/issues';
import { at } from './paths';
import { RESERVED_KEYS } from './memo';
import { validateSpec, type ScheduleSpecInput } from './spec';

export const OVERLAP_POLICIES = ['SKIP', 'BUFFER_ONE', 'BUFFER_ALL', 'CANCEL_OTHER', 'TERMINATE_OTHER', 'ALLOW_ALL'] as const;
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];

export interface SchedulePolicies {
  /** What happens when a run is due while the previous one still runs; SKIP when absent. */
  overlap?: OverlapPolicy;
  /** How late a missed run (server down) may still start; Temporal's minimum is 10s. */
  catchupWindow?: Duration;
  /** Pause the schedule when a run fails or times out. */
  pauseOnFailure?: boolean;
}

export interface ScheduleStateInput {
  paused?: boolean;
  note?: string;
  /** Stop after this many scheduled runs (manual triggers do not count down). */
  remainingActions?: number;
}

export interface ScheduleDefinition {
  id: string;
  spec: ScheduleSpecInput;
  action: ScheduleAction;
  policies?: SchedulePolicies;
  state?: ScheduleStateInput;
  /** Shown on the schedule and on every run it starts (Web UI "Memo"). */
  memo?: Record<string, Json>;
}

/** What PATCH /schedules/:id may change. */
export interface SchedulePatch {
  spec?: ScheduleSpecInput;
  action?: ScheduleAction;
  policies?: SchedulePolicies;
}

const MAX_MEMO_BYTES = 16 * 1024;

export const OverlapSchema = z.enum(OVERLAP_POLICIES, { message: `must be one of ${OVERLAP_POLICIES.join(', ')}` });

const PoliciesSchema = z
  .strictObject({
    overlap: OverlapSchema.optional(),
    catchupWindow: DurationSchema.refine((v) => (parseDuration(v) ?? 0) >= 10_000, { message: 'must be at least "10s" (Temporal\'s minimum)' }).optional(),
    pauseOnFailure: z.boolean().optional(),
  })
  .meta({ id: 'SchedulePolicies' });

const StateSchema = z
  .strictObject({
    paused: z.boolean().optional(),
    note: z.string().max(1000).optional(),
    remainingActions: z.number().int().min(1).max(1_000_000).optional(),
  })
  .meta({ id: 'ScheduleState' });

const MemoSchema = z
  .record(z.string().min(1).max(200), z.json())
  .refine((memo) => Buffer.byteLength(JSON.stringify(memo)) <= MAX_MEMO_BYTES, { message: `must be at most ${MAX_MEMO_BYTES} bytes of JSON` });

const CREATE_FIELDS = ['id', 'spec', 'action', 'policies', 'state', 'memo'];

/** Validates a POST /schedules body (and the built-in declarations). */
export function validateScheduleDefinition(body: unknown, reach: TaskVisibility = 'internal'): Validation<ScheduleDefinition> {
  const issues = new Issues();
  if (!isObject(body)) return { ok: false, issues: [{ path: '', message: 'must be a JSON object {id, spec, action, policies?, state?, memo?}' }] };
  unknownFields(body, CREATE_FIELDS, issues);
  if (body.id === undefined) issues.add('id', 'is required');
  else issues.check(WorkflowIdSchema, body.id, 'id');
  if (body.spec === undefined) issues.add('spec', 'is required');
  else validateSpec(body.spec, 'spec', issues);
  if (body.action === undefined) issues.add('action', 'is required');
  else validateAction(body.action, 'action', issues, reach);
  if (body.policies !== undefined) issues.check(PoliciesSchema, body.policies, 'policies');
  if (body.state !== undefined) issues.check(StateSchema, body.state, 'state');
  if (body.memo !== undefined && issues.check(MemoSchema, body.memo, 'memo')) {
    for (const key of RESERVED_KEYS) if (key in (body.memo as object)) issues.add(at('memo', key), 'is written by Orchestra itself');
  }
  return done(issues, body as unknown as ScheduleDefinition);
}

const PATCH_HINTS: Record<string, string> = {
  id: 'cannot change; create a schedule with the new id and delete this one',
  state: 'changes with POST /schedules/:id/pause and /unpause',
  memo: "stays as created (Temporal keeps a schedule's memo as it was created)",
};

/** Validates a PATCH /schedules/:id body: any of spec, action, policies. */
export function validateSchedulePatch(body: unknown, reach: TaskVisibility = 'internal'): Validation<SchedulePatch> {
  const issues = new Issues();
  if (!isObject(body)) return { ok: false, issues: [{ path: '', message: 'must be a JSON object with any of spec, action, policies' }] };
  for (const key of Object.keys(body)) {
    if (PATCH_HINTS[key]) issues.add(key, PATCH_HINTS[key]);
    else if (!['spec', 'action', 'policies'].includes(key)) issues.add(key, 'is not a known field');
  }
  if (body.spec === undefined && body.action === undefined && body.policies === undefined) issues.add('', 'must change at least one of spec, action, policies');
  if (body.spec !== undefined) validateSpec(body.spec, 'spec', issues);
  if (body.action !== undefined) validateAction(body.action, 'action', issues, reach);
  if (body.policies !== undefined) issues.check(PoliciesSchema, body.policies, 'policies');
  return done(issues, body as SchedulePatch);
}

/**
 * A stable fingerprint of what a definition makes Temporal do: spec, action, policies
 * and memo, with keys sorted. `state` is left out on purpose: pausing a built-in
 * schedule by hand must survive the next start.
 */
export function definitionHash(definition: Pick<ScheduleDefinition, 'spec' | 'action' | 'policies' | 'memo'>): string {
  const policies = { overlap: 'SKIP', pauseOnFailure: false, ...definition.policies };
  const canonical = canonicalJson({ spec: definition.spec, action: definition.action, policies, memo: definition.memo ?? {} });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

/** JSON with object keys sorted at every level, so equal definitions hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    const entries = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

function unknownFields(body: Record<string, unknown>, known: string[], issues: Issues): void {
  for (const key of Object.keys(body)) if (!known.includes(key)) issues.add(key, 'is not a known field');
}

function done<T>(issues: Issues, value: T): Validation<T> {
  return issues.ok ? { ok: true, value } : { ok: false, issues: issues.list as Issue[] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
