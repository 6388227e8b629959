/**
 * Binds the task registry to implementations. Every task is wrapped so that its
 * arguments are checked against the registry's schema and its result is JSON.
 */
import { ErrorType, permanentFailure } from '../errors';
import { TASKS, type TaskDefinition, type TaskName } from '../tasks/registry';
import * as cleanup from '../app/avatars/cleanup';
import * as math from './math';
import * as domain from '../app/comments/activities';
import * as email from '../app/email/activities';
import * as media from '../app/avatars/activities';
import * as spam from './spam';
import { checkArgs, checkJson } from './contract';
import { batchRunner } from './batch';
import { BATCH_ACTIVITY } from '../canvas/arguments';

type Implementation = (...args: never[]) => Promise<unknown>;

/** Task name → implementation: one for every task in the catalog, or the build fails. */
export const implementations: Readonly<Record<TaskName, Implementation>> = {
  add: math.add,
  mul: math.mul,
  xsum: math.xsum,
  divide: math.divide,
  sleep: math.sleep,
  flaky: math.flaky,
  noop: math.noop,
  // The same function as noop; the catalog gives it a rate limit (maxPerSecond).
  throttled: math.noop,
  'spam.detect': spam.detect,
  'spam.detectBatch': spam.detectBatch,
  'email.send': email.send,
  'media.thumbnail': media.thumbnail,
  'media.thumbnails': media.thumbnails,
  'files.cleanupOrphans': cleanup.cleanupOrphanedFiles,
  'comments.publish': domain.publishComment,
  'comments.markSpam': domain.markSpam,
  'comments.recordOutcome': domain.recordOutcome,
  'users.setAvatar': domain.setAvatar,
  'users.discardUpload': domain.discardUpload,
  'digest.plan': domain.planDigest,
  'digest.planPage': domain.planDigestPage,
  'users.markDigested': domain.markDigested,
};

export type Activity = (...args: unknown[]) => Promise<unknown>;

function wrap(definition: TaskDefinition, implementation: Implementation): Activity {
  const run = implementation as unknown as Activity;
  return async (...args: unknown[]) => {
    const problem = checkArgs(definition, args);
    if (problem) throw permanentFailure(ErrorType.InvalidArguments, `${definition.name}: ${problem}`);
    const result = await run(...args);
    const encodeProblem = checkJson(result);
    if (encodeProblem) throw permanentFailure(ErrorType.Encode, `task ${definition.name} returned a result that is not JSON: ${encodeProblem}`);
    return result;
  };
}

/**
 * The activities every activity pool registers: all of the registry's tasks. A task runs
 * on its home pool's queue unless a canvas routes it elsewhere with `queue` (Celery's
 * task_routes), so any pool must be able to run any task.
 */
export function registeredActivities(): Record<string, Activity> {
  const activities: Record<string, Activity> = {};
  for (const definition of TASKS.values()) {
    const implementation = implementations[definition.name as TaskName];
    if (!implementation) throw new Error(`task ${definition.name} is in the registry but has no implementation`);
    activities[definition.name] = wrap(definition, implementation);
  }
  activities[BATCH_ACTIVITY] = batchRunner(activities) as Activity;
  return activities;
}
