/**
 * Binds the task catalog to implementations, built from the dependencies a worker process
 * makes once (createActivities(deps), as Temporal's samples do). Every task is wrapped so
 * that its arguments are checked against the registry's schema and its result is JSON.
 */
import { ErrorType, permanentFailure } from '../workflows/errors';
import { TASKS, type TaskDefinition, type TaskName } from '../tasks/registry';
import * as math from './math';
import { spamActivities } from './spam';
import { avatarActivities } from '../app/avatars/activities';
import { cleanupOrphanedFiles } from '../app/avatars/cleanup';
import { pruneReceivedEvents } from '../triggers/event-log';
import * as comments from '../app/comments/activities';
import * as digest from '../app/digest/activities';
import { emailActivities } from '../app/email/activities';
import { checkArgs, checkJson } from './contract';
import { batchRunner } from './batch';
import { lightChainRunner } from './light-chain';
import { BATCH_ACTIVITY, LIGHT_CHAIN_ACTIVITY } from '../workflows/language/arguments';
import type { ActivityDeps } from './deps';

export { closeActivityDeps, createActivityDeps, type ActivityDeps } from './deps';

type Implementation = (...args: never[]) => Promise<unknown>;

/** Task name → implementation: one for every task in the catalog, or the build fails. */
export function createImplementations(deps: ActivityDeps): Readonly<Record<TaskName, Implementation>> {
  const spam = spamActivities(deps.spam);
  const email = emailActivities(deps.email);
  const avatars = avatarActivities(deps.avatars);
  return {
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
    'media.thumbnail': avatars.thumbnail,
    'media.thumbnails': avatars.thumbnails,
    'files.cleanupOrphans': cleanupOrphanedFiles,
    'events.pruneReceived': pruneReceivedEvents,
    'comments.publish': comments.publishComment,
    'comments.markSpam': comments.markSpam,
    'comments.recordOutcome': comments.recordOutcome,
    'users.setAvatar': avatars.setAvatar,
    'users.discardUpload': avatars.discardUpload,
    'digest.plan': digest.planDigest,
    'digest.planPage': digest.planDigestPage,
    'users.markDigested': digest.markDigested,
  };
}

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
export function createActivities(deps: ActivityDeps): Record<string, Activity> {
  const implementations = createImplementations(deps);
  const activities: Record<string, Activity> = {};
  for (const definition of TASKS.values()) {
    const implementation = implementations[definition.name as TaskName];
    if (!implementation) throw new Error(`task ${definition.name} is in the registry but has no implementation`);
    activities[definition.name] = wrap(definition, implementation);
  }
  activities[BATCH_ACTIVITY] = batchRunner(activities) as Activity;
  activities[LIGHT_CHAIN_ACTIVITY] = lightChainRunner(activities) as Activity;
  return activities;
}
