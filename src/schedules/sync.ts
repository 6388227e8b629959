/**
 * Makes Temporal's schedules match declarations in code (Celery's beat_schedule): each
 * declared schedule is created if missing, updated if its hash differs from the one its
 * runs' memo carries, and left alone if equal; schedules this owner made earlier and no
 * longer declares are deleted. The API and the orchestrator worker both run it at start.
 *
 * Safe to run from several processes at once: Temporal refuses a second create of the
 * same id (ScheduleAlreadyRunning), which is reported as `exists`; two updates to the same
 * declaration write the same thing. An update keeps the schedule's state, so a built-in
 * paused by an operator stays paused across restarts.
 */
import { APP_TENANT } from '../workflows/tenants';
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client } from '@temporalio/client';
import type { Issue } from '../canvas/validate';
import { definitionHash, validateScheduleDefinition, type ScheduleDefinition } from './definition';
import { CREATED_BY_BUILTIN, storedHash } from './memo';
import { toScheduleOptions, toScheduleUpdate } from './temporal-options';

/** A declaration in code that does not validate: a bug to fix, not a reason to retry. */
export class DeclarationError extends Error {
  constructor(
    readonly scheduleId: string,
    readonly issues: Issue[],
  ) {
    super(`schedule declaration ${scheduleId} is invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
}

export type SyncOutcome = 'created' | 'updated' | 'unchanged' | 'exists' | 'removed';

export interface SyncResult {
  id: string;
  outcome: SyncOutcome;
}

export interface SyncOptions {
  /** The `createdBy` the schedules carry; only schedules of this owner are ever removed. */
  owner?: string;
  /** Delete this owner's schedules that are no longer declared (default true). */
  prune?: boolean;
}

export async function syncSchedules(client: Client, declarations: readonly ScheduleDefinition[], options: SyncOptions = {}): Promise<SyncResult[]> {
  const owner = options.owner ?? CREATED_BY_BUILTIN;
  for (const declaration of declarations) {
    const validation = validateScheduleDefinition(declaration);
    if (!validation.ok) throw new DeclarationError(declaration.id, validation.issues);
  }
  const results: SyncResult[] = [];
  for (const declaration of declarations) results.push({ id: declaration.id, outcome: await syncOne(client, declaration, owner) });
  if (options.prune ?? true) {
    const declared = new Set(declarations.map((d) => d.id));
    for (const id of await ownedScheduleIds(client, owner)) {
      if (!declared.has(id) && (await removeSchedule(client, id))) results.push({ id, outcome: 'removed' });
    }
  }
  return results;
}

async function syncOne(client: Client, declaration: ScheduleDefinition, createdBy: string): Promise<SyncOutcome> {
  // Schedules declared in code are the application's, as are the runs they start.
  const owner = { createdBy, tenant: APP_TENANT };
  const handle = client.schedule.getHandle(declaration.id);
  let current;
  try {
    current = await handle.describe();
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
    try {
      await client.schedule.create(toScheduleOptions(declaration, owner));
      return 'created';
    } catch (createError) {
      // Another process created it between our describe and create: theirs stands.
      if (createError instanceof ScheduleAlreadyRunning) return 'exists';
      throw createError;
    }
  }
  if (storedHash(current.action.memo) === definitionHash(declaration)) return 'unchanged';
  await handle.update((previous) => ({ ...toScheduleUpdate(declaration, owner), state: previous.state }));
  return 'updated';
}

/** Ids of the schedules an owner made, from the visibility store (eventually consistent). */
async function ownedScheduleIds(client: Client, owner: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const summary of client.schedule.list()) if (summary.memo?.createdBy === owner) ids.push(summary.scheduleId);
  return ids;
}

async function removeSchedule(client: Client, id: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(id).delete();
    return true;
  } catch (error) {
    if (error instanceof ScheduleNotFoundError) return false; // another process removed it first
    throw error;
  }
}
