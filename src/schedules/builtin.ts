/**
 * The project's own schedules, declared in code like Celery's `beat_schedule`. Every API
 * start and every orchestrator worker start makes Temporal match this list
 * (src/schedules/sync.ts): a new entry is created, a changed one updated, a removed one
 * deleted. Pausing one by hand (`temporal schedule toggle --pause`) survives restarts;
 * to change one, change it here.
 *
 * Celery:
 *   beat_schedule = {
 *     'digest-daily': {'task': 'digest', 'schedule': crontab(hour=7, minute=0)},
 *     'cleanup-orphaned-files': {'task': 'cleanup_orphaned_files', 'schedule': timedelta(hours=1)},
 *     'prune-received-events': {'task': 'prune_received_events', 'schedule': timedelta(days=1)},
 *   }
 */
import type { Config } from '../config';
import type { ScheduleDefinition } from './definition';

export function builtinSchedules(config: Pick<Config, 'schedules'>): ScheduleDefinition[] {
  const timezone = config.schedules.timezone;
  return [
    {
      id: 'digest-daily',
      // 07:00 every day, in BUILTIN_SCHEDULES_TIMEZONE (UTC unless set).
      spec: { cron: ['0 7 * * *'], timezone },
      action: { workflow: 'digest', args: [] },
      // Server down at 07:00? Still send it if it is back within 6 hours (Celery beat runs
      // a missed entry once at start); one digest at a time.
      policies: { overlap: 'SKIP', catchupWindow: '6h' },
      memo: { description: 'Daily digest: one email per user with the mentions since their last digest' },
    },
    {
      id: 'cleanup-orphaned-files',
      // Hourly, at 17 past (epoch-aligned, so not on the busy hour).
      spec: { intervals: [{ every: '1h', offset: '17m' }] },
      // Files no user references, older than an hour (uploads in flight are younger).
      action: { canvas: { task: 'files.cleanupOrphans' } },
      policies: { overlap: 'SKIP' },
      memo: { description: 'Hourly cleanup of orphaned avatar files (avatar originals and thumbnails no user references)' },
    },
    {
      id: 'prune-received-events',
      // Daily, at 03:41 UTC (epoch-aligned, off the hour).
      spec: { intervals: [{ every: '1d', offset: '221m' }] },
      // Event ids older than 7 days are forgotten (README, "Event triggers"): the record of every event does not grow for ever.
      action: { canvas: { task: 'events.pruneReceived' } },
      policies: { overlap: 'SKIP' },
      memo: { description: 'Daily: forget the event ids POST /events received more than 7 days ago' },
    },
  ];
}
