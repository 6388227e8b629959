/**
 * The built-in sync as the API and the orchestrator worker run it at start: in the
 * background (serving does not wait on it), retried while Temporal is not answering yet,
 * and logged, never fatal: a process that cannot sync still serves, and the next start
 * tries again.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { logger } from '../logging';
import { connectClient } from '../temporal/clients';
import { builtinSchedules } from './builtin';
import type { ScheduleDefinition } from './definition';
import { DeclarationError, syncSchedules } from './sync';

const ATTEMPTS = 6;

export async function syncBuiltinSchedulesAtStart(client: Client, config: Config, who: string): Promise<void> {
  const log = logger().child({ component: 'schedules', who });
  const mode = config.schedules.builtins;
  if (mode === 'off') {
    log.info('built-in schedules not synced (BUILTIN_SCHEDULES=off)');
    return;
  }
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      const results = await syncSchedules(client, startupDeclarations(config));
      log.info({ results }, `built-in schedules: ${results.map((r) => `${r.id} ${r.outcome}`).join(', ') || 'none declared'}`);
      return;
    } catch (error) {
      if (error instanceof DeclarationError) return log.error({ err: error }, 'built-in schedules not synced: a declaration is invalid');
      if (attempt === ATTEMPTS) return log.error({ err: error }, 'built-in schedules not synced; the next start tries again');
      log.warn({ err: error, attempt }, 'built-in schedules: sync failed, retrying');
      await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
    }
  }
}

/**
 * The declarations, created paused under BUILTIN_SCHEDULES=paused (a test run or staging
 * that must not send the digest). State is not part of the hash, so processes started
 * with different modes do not undo each other, and an existing schedule keeps its state.
 */
export function startupDeclarations(config: Pick<Config, 'schedules'>): ScheduleDefinition[] {
  const all = builtinSchedules(config);
  if (config.schedules.builtins !== 'paused') return all;
  return all.map((d) => ({ ...d, state: { ...d.state, paused: true, note: 'created paused: BUILTIN_SCHEDULES=paused' } }));
}

/** For processes without a Client (workers hold a NativeConnection): one for the sync, then closed. */
export async function syncBuiltinSchedulesWithOwnClient(config: Config, who: string): Promise<void> {
  let client: Client | undefined;
  try {
    client = await connectClient(config);
    await syncBuiltinSchedulesAtStart(client, config, who);
  } catch (error) {
    logger().error({ err: error, component: 'schedules', who }, 'built-in schedules not synced: no Temporal client');
  } finally {
    await client?.connection.close().catch(() => undefined);
  }
}
