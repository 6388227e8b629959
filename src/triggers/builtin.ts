/**
 * The project's own event triggers, declared in code like the built-in schedules
 * (src/schedules/builtin.ts). Each has the body POST /triggers takes, with an `id`; the API
 * checks them all when it starts (./builtin-registry.ts) and a unit test checks them in CI.
 * They fire for an event of their name from any tenant's key; their runs are the
 * application's (tenant `orchestra`), so every key may read them and only admin act on them.
 * GET /triggers lists them (`builtin: true`); they cannot be changed or deleted over REST.
 */
import type { TriggerRequest } from './definition';
import type { EventFilter } from './filter';

export type TriggerDeclaration = TriggerRequest & { id: string; event: string; filter?: EventFilter; description: string };

export const BUILTIN_TRIGGERS: readonly TriggerDeclaration[] = [
  {
    id: 'cleanup-orphaned-files-now',
    event: 'orchestra.files.cleanup',
    description: 'Run the hourly cleanup of orphaned avatar files now (e.g. after a bulk user deletion)',
    // The payload is not an argument: the task takes only an optional grace period.
    canvas: { task: 'files.cleanupOrphans', immutable: true },
    tags: ['builtin-trigger'],
  },
];
