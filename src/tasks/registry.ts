/**
 * The task registry: the catalog (./catalog.ts: names, pools, defaults, parameter names)
 * joined with each parameter's zod schema. The API validates canvases against it, the
 * activities check their arguments with it, `GET /tasks` and the docs list it. Not for
 * workflow code: workflows read the catalog.
 */
import { z } from 'zod';
import * as inputs from './inputs';
import { CATALOG, type TaskName, type TaskParamName, type TaskParamSpec, type TaskSpec } from '../workflows/tasks/catalog';

export { isReachable, runsLocally, TASK_NAMES, whyNotLocal, type TaskName, type TaskVisibility } from '../workflows/tasks/catalog';

export interface TaskParam extends TaskParamSpec {
  schema: z.ZodType;
}

export interface TaskDefinition extends TaskSpec {
  params: TaskParam[];
}

const num = z.number().finite();

/** Every task's parameters by name: the compiler checks them against the catalog. */
const PARAM_SCHEMAS: { [N in TaskName]: Record<TaskParamName<N>, z.ZodType> } = {
  add: { x: num, y: num },
  mul: { x: num, y: num },
  xsum: { numbers: z.array(num) },
  divide: { x: num, y: num },
  sleep: { ms: z.number().int().min(0).max(86_400_000) },
  flaky: { failTimes: z.number().int().min(0).max(100) },
  noop: { value: z.json() },
  throttled: { value: z.json() },
  // ---- the domain: comments, spam, email, avatars (src/app/<feature>/activities.ts, src/activities/spam.ts)
  'spam.detect': { input: inputs.SpamInputSchema },
  'spam.detectBatch': { texts: inputs.SpamTextsSchema },
  'email.send': { message: inputs.EmailMessageSchema, idempotencyKey: inputs.IdempotencyKeySchema },
  'media.thumbnail': { input: inputs.ThumbnailInputSchema },
  'media.thumbnails': { input: inputs.ThumbnailsInputSchema },
  'files.cleanupOrphans': {
    graceMs: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400_000),
  },
  'events.pruneReceived': {
    olderThanMs: z
      .number()
      .int()
      .min(3_600_000)
      .max(365 * 86_400_000),
  },
  'comments.publish': { commentId: inputs.ObjectIdSchema },
  'comments.markSpam': { commentId: inputs.ObjectIdSchema },
  'comments.recordOutcome': { deliveries: inputs.SettledSchema, commentId: inputs.ObjectIdSchema },
  'users.setAvatar': { thumbnails: z.array(inputs.ThumbnailResultSchema).min(1), userId: inputs.ObjectIdSchema, originalId: inputs.OriginalIdSchema },
  'users.discardUpload': { userId: inputs.ObjectIdSchema, originalId: inputs.OriginalIdSchema },
  'digest.plan': {},
  'digest.planPage': { page: inputs.DigestPageSchema },
  'users.markDigested': { sent: inputs.EmailResultSchema, userId: inputs.ObjectIdSchema },
};

export const TASKS: ReadonlyMap<string, TaskDefinition> = new Map(
  [...CATALOG.values()].map((spec) => {
    const schemas: Record<string, z.ZodType> = PARAM_SCHEMAS[spec.name as TaskName];
    return [spec.name, { ...spec, params: spec.params.map((param) => ({ ...param, schema: schemas[param.name] })) }];
  }),
);

export function getTask(name: string): TaskDefinition | undefined {
  return TASKS.get(name);
}
