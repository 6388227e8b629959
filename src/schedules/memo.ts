/**
 * Memos Orchestra writes on schedules and on the runs they start. Each run's memo (the
 * schedule action's memo) carries who made the schedule, its id, any memo the definition
 * gave, and Orchestra's own record: the spec as written (Temporal keeps cron only as
 * compiled calendars) and the definition's hash.
 *
 * Why the hash lives in the runs' memo rather than the schedule's: Temporal's
 * UpdateSchedule replaces spec, action, policies and state but keeps the schedule's own
 * memo as it was created (the 1.29 server ignores a new one), so only the action's memo
 * can follow a change.
 */
import type { Json } from '../workflows/language/types';
import type { ScheduleSpecInput } from './spec';
import { APP_TENANT } from '../workflows/tenants';

/** Who made a schedule, in its memo and its runs' memo. */
export const CREATED_BY_API = 'orchestra-api';
export const CREATED_BY_BUILTIN = 'orchestra-builtin';

/** Memo keys Orchestra writes itself. */
export const RESERVED_KEYS = ['createdBy', 'scheduleId', 'orchestraSchedule', 'tenant'] as const;

/** Who made a schedule and which tenant owns it (and the runs it starts). */
export interface ScheduleOwner {
  createdBy: string;
  tenant: string;
}

/** The tenant a schedule's memo names; built-ins are the application's, older API schedules no one's (admin only). */
export function scheduleTenant(memo: Record<string, unknown> | undefined): string | undefined {
  if (typeof memo?.tenant === 'string') return memo.tenant;
  return memo?.createdBy === CREATED_BY_BUILTIN ? APP_TENANT : undefined;
}

export interface OrchestraMemo {
  hash: string;
  spec: ScheduleSpecInput;
}

export interface RunMemoInput {
  scheduleId: string;
  createdBy: string;
  memo: Record<string, Json> | undefined;
  own: OrchestraMemo;
}

export function runMemo({ scheduleId, createdBy, memo, own }: RunMemoInput): Record<string, unknown> {
  return { ...memo, createdBy, scheduleId, orchestraSchedule: own };
}

/** The hash a schedule's runs carry, if Orchestra wrote it. */
export function storedHash(memo: Record<string, unknown> | undefined): string | undefined {
  const own = memo?.orchestraSchedule as Partial<OrchestraMemo> | undefined;
  return typeof own?.hash === 'string' ? own.hash : undefined;
}
