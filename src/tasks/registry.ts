/**
 * The task registry: every task's name, home pool, defaults and argument schema.
 * Workers register exactly these tasks, the API validates canvases against them,
 * `GET /tasks` and the docs list them. Add a task here first.
 */
import { z } from 'zod';
import type { StepOptions } from '../canvas/types';
import * as inputs from '../domain/task-inputs';
import { isCpuBoundPool, type PoolName } from './pools';

export interface TaskParam {
  name: string;
  schema: z.ZodType;
  optional?: boolean;
}

/**
 * Who may name a task in a canvas. `public` tasks compute from their arguments alone and
 * are for API callers with `write`. `internal` tasks act on the application's data
 * (send mail to any address, change users and comments, delete files): its own workflows
 * and built-in schedules use them, and through the API only `admin` keys (and development
 * mode) may, as an operator's tool.
 */
export type TaskVisibility = 'public' | 'internal';

export interface TaskDefinition {
  name: string;
  visibility: TaskVisibility;
  pool: PoolName;
  description: string;
  params: TaskParam[];
  defaults: StepOptions;
  /**
   * Short, idempotent and silent (no heartbeat): runs inline as a local activity in the
   * orchestrator pool unless a canvas says `"local": false`. One round trip saved per step.
   */
  light?: boolean;
}

const num = z.number().finite();
const quick: StepOptions = { startToCloseTimeout: '30s', retry: { maxAttempts: 3, initialInterval: '1s', backoffCoefficient: 2, maxInterval: '30s' } };

/** Small database steps: quick, retried through a short database hiccup. */
const domainDefaults: StepOptions = { startToCloseTimeout: '30s', retry: { maxAttempts: 5, initialInterval: '1s', backoffCoefficient: 2, maxInterval: '10s' } };

const definitions: TaskDefinition[] = [
  { name: 'add', visibility: 'public', pool: 'default', light: true, description: 'x + y', params: [{ name: 'x', schema: num }, { name: 'y', schema: num }], defaults: quick },
  { name: 'mul', visibility: 'public', pool: 'default', light: true, description: 'x * y', params: [{ name: 'x', schema: num }, { name: 'y', schema: num }], defaults: quick },
  { name: 'xsum', visibility: 'public', pool: 'default', light: true, description: 'The sum of a list of numbers.', params: [{ name: 'numbers', schema: z.array(num) }], defaults: quick },
  {
    name: 'divide',
    visibility: 'public',
    pool: 'default',
    light: true,
    description: 'x / y; dividing by zero fails at once with ZeroDivisionError.',
    params: [{ name: 'x', schema: num }, { name: 'y', schema: num }],
    defaults: quick,
  },
  {
    name: 'sleep',
    visibility: 'public',
    pool: 'default',
    description: 'Waits ms milliseconds, heartbeating its progress (0..100); stops promptly when cancelled. Returns ms.',
    params: [{ name: 'ms', schema: z.number().int().min(0).max(86_400_000) }],
    defaults: { startToCloseTimeout: '1h', heartbeatTimeout: '5s', retry: { maxAttempts: 3 } },
  },
  {
    name: 'flaky',
    visibility: 'public',
    pool: 'default',
    description: 'Fails with a retryable FlakyError on attempts 1..failTimes, then returns the attempt that succeeded.',
    params: [{ name: 'failTimes', schema: z.number().int().min(0).max(100) }],
    defaults: { startToCloseTimeout: '30s', retry: { maxAttempts: 10, initialInterval: '200ms', backoffCoefficient: 1.5, maxInterval: '2s' } },
  },
  {
    name: 'noop',
    visibility: 'public',
    pool: 'default',
    light: true,
    description: 'Returns its first argument, or null. For benchmarks and tests.',
    params: [{ name: 'value', schema: z.json(), optional: true }],
    defaults: quick,
  },
  // ---- the domain: comments, spam, email, avatars (src/activities/{spam,email,media,domain}.ts)
  {
    name: 'spam.detect',
    visibility: 'public',
    pool: 'ml',
    description: 'Scores {commentId} (and stores the score on the comment) or {text} with the spam classifier; returns {spam, probability}.',
    params: [{ name: 'input', schema: inputs.SpamInputSchema }],
    defaults: { startToCloseTimeout: '30s', retry: { maxAttempts: 5, initialInterval: '1s', backoffCoefficient: 2, maxInterval: '10s' } },
  },
  {
    name: 'spam.detectBatch',
    visibility: 'public',
    pool: 'ml',
    description: 'Scores up to 1000 texts in one activity; returns [{spam, probability}] in order.',
    params: [{ name: 'texts', schema: inputs.SpamTextsSchema }],
    defaults: { startToCloseTimeout: '2m', retry: { maxAttempts: 3, initialInterval: '1s' } },
  },
  {
    name: 'email.send',
    visibility: 'internal',
    pool: 'email',
    description:
      'Sends one email at most once per idempotency key (default: workflow id + activity id), recorded in the email log. ' +
      'SMTP 4xx and unreachable servers are retryable SmtpTransientError; 5xx and bad addresses are SmtpPermanentError / InvalidEmailError.',
    params: [
      { name: 'message', schema: inputs.EmailMessageSchema },
      { name: 'idempotencyKey', schema: inputs.IdempotencyKeySchema, optional: true },
    ],
    // Retries span a minute or two of SMTP outage; the heartbeat timeout notices a dead worker fast.
    defaults: { startToCloseTimeout: '1m', heartbeatTimeout: '10s', retry: { maxAttempts: 12, initialInterval: '1s', backoffCoefficient: 2, maxInterval: '10s' } },
  },
  {
    name: 'media.thumbnail',
    visibility: 'internal',
    pool: 'media',
    description: 'Reads an avatar original from GridFS, writes a square WebP of `size` pixels back under a deterministic id; images over the pixel limit or undecodable fail with ImageRejectedError.',
    params: [{ name: 'input', schema: inputs.ThumbnailInputSchema }],
    defaults: { startToCloseTimeout: '2m', heartbeatTimeout: '20s', retry: { maxAttempts: 3, initialInterval: '1s', backoffCoefficient: 2 } },
  },
  {
    name: 'files.cleanupOrphans',
    visibility: 'internal',
    pool: 'default',
    description: 'Deletes avatar originals and thumbnails in GridFS that no user references and that are older than graceMs (default 1 h); returns {scanned, deleted, sample}.',
    params: [{ name: 'graceMs', schema: z.number().int().min(0).max(30 * 86_400_000), optional: true }],
    defaults: { startToCloseTimeout: '10m', heartbeatTimeout: '1m', retry: { maxAttempts: 3, initialInterval: '10s' } },
  },
  {
    name: 'comments.publish',
    visibility: 'internal',
    pool: 'default',
    light: true,
    description: 'Marks a pending comment published; returns {status, mentions: [user id]} (the author excluded).',
    params: [{ name: 'commentId', schema: inputs.ObjectIdSchema }],
    defaults: domainDefaults,
  },
  {
    name: 'comments.markSpam',
    visibility: 'internal',
    pool: 'default',
    light: true,
    description: 'Marks a pending comment spam; returns {status}.',
    params: [{ name: 'commentId', schema: inputs.ObjectIdSchema }],
    defaults: domainDefaults,
  },
  {
    name: 'comments.recordOutcome',
    visibility: 'internal',
    pool: 'default',
    light: true,
    description: "Stores how the comment's mention emails went (a settled group's results); returns {sent, duplicates, failed}.",
    params: [{ name: 'deliveries', schema: inputs.SettledSchema }, { name: 'commentId', schema: inputs.ObjectIdSchema }],
    defaults: domainDefaults,
  },
  {
    name: 'users.setAvatar',
    visibility: 'internal',
    pool: 'default',
    light: true,
    description: "Points the user's avatar at an upload and its thumbnails, unless a newer upload already did; deletes the files it replaces. Returns {applied}.",
    params: [
      { name: 'thumbnails', schema: z.array(inputs.ThumbnailResultSchema).min(1) },
      { name: 'userId', schema: inputs.ObjectIdSchema },
      { name: 'originalId', schema: inputs.OriginalIdSchema },
    ],
    defaults: domainDefaults,
  },
  {
    name: 'users.discardUpload',
    visibility: 'internal',
    pool: 'default',
    description: "Deletes a failed upload's original and any thumbnails made from it, unless the user's avatar points at it. Returns {deleted}.",
    params: [
      { name: 'userId', schema: inputs.ObjectIdSchema },
      { name: 'originalId', schema: inputs.OriginalIdSchema },
    ],
    defaults: domainDefaults,
  },
  {
    name: 'digest.plan',
    visibility: 'internal',
    pool: 'default',
    description: 'Lists the users with published mentions since their last digest, up to now; returns {until, users: [{userId, since}]}.',
    params: [],
    defaults: domainDefaults,
  },
  {
    name: 'users.markDigested',
    visibility: 'internal',
    pool: 'default',
    light: true,
    description: "Advances the user's lastDigestAt to the end of the period the sent digest (email.send's result) covered.",
    params: [{ name: 'sent', schema: inputs.EmailResultSchema }, { name: 'userId', schema: inputs.ObjectIdSchema }],
    defaults: domainDefaults,
  },
];

export const TASKS: ReadonlyMap<string, TaskDefinition> = new Map(definitions.map((d) => [d.name, d]));
export const TASK_NAMES: readonly string[] = definitions.map((d) => d.name);

export function getTask(name: string): TaskDefinition | undefined {
  return TASKS.get(name);
}

/** Whether a caller allowed tasks up to `reach` may name this task. */
export function isReachable(definition: TaskDefinition, reach: TaskVisibility): boolean {
  return reach === 'internal' || definition.visibility === 'public';
}

/**
 * Why a task may not run inline in the orchestrator, or undefined when it may: a task that
 * heartbeats needs a remote activity (local ones cannot heartbeat), and a CPU-bound pool's
 * task would starve the workflow thread.
 */
export function whyNotLocal(definition: TaskDefinition): string | undefined {
  if (definition.defaults.heartbeatTimeout !== undefined) return `${definition.name} heartbeats, which only a remote activity can do`;
  if (isCpuBoundPool(definition.pool)) return `${definition.name} is CPU-bound and runs on the ${definition.pool} pool only`;
  return undefined;
}

/** Whether a step of this task runs as a local activity, given its merged options. */
export function runsLocally(definition: TaskDefinition, options: StepOptions): boolean {
  if (options.local !== undefined) return options.local && whyNotLocal(definition) === undefined;
  return definition.light === true && options.queue === undefined;
}
