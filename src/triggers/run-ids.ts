/**
 * The id of the run a trigger starts for an event: derived from (tenant, event id, trigger
 * id) alone, so the same event again, from any API process and even after a crash between
 * two starts, names the same runs, and Temporal's id uniqueness (REJECT_DUPLICATE) starts
 * each at most once. The hash keeps the tenant and event id out of the id; the trigger id
 * stays readable, so `GET /workflows?id=event-<trigger id>-` lists a trigger's runs.
 */
import { createHash } from 'node:crypto';
import { RUN_ID_PREFIXES } from '../workflows/app/run-ids';

export function eventRunId(tenant: string, eventId: string, triggerId: string): string {
  const hash = createHash('sha256').update(`${tenant}\n${eventId}\n${triggerId}`).digest('hex').slice(0, 32);
  return `${RUN_ID_PREFIXES.event}${triggerId}-${hash}`;
}
