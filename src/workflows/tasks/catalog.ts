/**
 * The task catalog: every task's name, home pool, visibility, defaults and parameter names,
 * as plain data. Workflow-safe (no zod): the interpreter reads it inside the workflow
 * sandbox. The argument schemas live beside the API and the activities, in
 * ./registry.ts, keyed by the same names, so a task added here without its schemas (or
 * its implementation in src/activities/index.ts) is a type error. Add a task here first.
 */
import type { StepOptions } from '../language/types';
import { isCpuBoundPool, POOLS, PYTHON_POOL, type PoolName } from './pools';

/**
 * Who may name a task in a canvas. `public` tasks compute from their arguments alone and
 * are for API callers with `write`. `internal` tasks act on the application's data
 * (send mail to any address, change users and comments, delete files): its own workflows
 * and built-in schedules use them, and through the API only `admin` keys (and development
 * mode) may, as an operator's tool.
 */
export type TaskVisibility = 'public' | 'internal';

export interface TaskParamSpec {
  name: string;
  optional?: boolean;
  /**
   * How a Python task takes it (TypeScript tasks take every parameter by position, and
   * kwargs are placed by name): `keywordOnly` after `*`, `positionalOnly` before `/`.
   */
  kind?: 'positional' | 'keywordOnly' | 'positionalOnly';
}

export interface TaskSpec {
  name: string;
  visibility: TaskVisibility;
  pool: PoolName;
  description: string;
  params: readonly TaskParamSpec[];
  defaults: StepOptions;
  /**
   * Short, idempotent and silent (no heartbeat): runs inline as a local activity in the
   * orchestrator pool unless a canvas says `"local": false`. One round trip saved per step.
   */
  light?: boolean;
  /**
   * Most activities of this task a second, across every worker of its pool (Celery's
   * rate_limit). The task gets its own task queue in its pool, rate-limited by the Temporal
   * server (limitedQueueOf); TASK_RATE_LIMITS may change the number per deployment.
   */
  maxPerSecond?: number;
  /** A Python task with `*args` / `**kwargs`: any further positional / keyword arguments. */
  varArgs?: boolean;
  varKwargs?: boolean;
}

/** Keeps each entry's literal names, so task and parameter names are types. */
function task<const T extends TaskSpec>(spec: T): T {
  return spec;
}

const quick: StepOptions = { startToCloseTimeout: '30s', retry: { maxAttempts: 3, initialInterval: '1s', backoffCoefficient: 2, maxInterval: '30s' } };

/** Small database steps: quick, retried through a short database hiccup. */
const domainDefaults: StepOptions = { startToCloseTimeout: '30s', retry: { maxAttempts: 5, initialInterval: '1s', backoffCoefficient: 2, maxInterval: '10s' } };

const ENTRIES = [
  task({ name: 'add', visibility: 'public', pool: 'default', light: true, description: 'x + y', params: [{ name: 'x' }, { name: 'y' }], defaults: quick }),
  task({ name: 'mul', visibility: 'public', pool: 'default', light: true, description: 'x * y', params: [{ name: 'x' }, { name: 'y' }], defaults: quick }),
  task({
    name: 'xsum',
    visibility: 'public',
    pool: 'default',
    light: true,
    description: 'The sum of a list of numbers.',
    params: [{ name: 'numbers' }],
    defaults: quick,
  }),
  task({
    name: 'divide',
    visibility: 'public',
    pool: 'default',
    light: true,
    description: 'x / y; dividing by zero fails at once with ZeroDivisionError.',
    params: [{ name: 'x' }, { name: 'y' }],
    defaults: quick,
  }),
  task({
    name: 'sleep',
    visibility: 'public',
    pool: 'default',
    description: 'Waits ms milliseconds, heartbeating its progress (0..100); stops promptly when cancelled. Returns ms.',
    params: [{ name: 'ms' }],
    defaults: { startToCloseTimeout: '1h', heartbeatTimeout: '5s', retry: { maxAttempts: 3 } },
  }),
  task({
    name: 'throttled',
    visibility: 'public',
    pool: 'default',
    description:
      'Returns its first argument, or null; at most maxPerSecond (5 unless the deployment says otherwise) run each second across the pool. Shows per-task rate limits.',
    params: [{ name: 'value', optional: true }],
    defaults: quick,
    maxPerSecond: 5,
  }),
  task({
    name: 'flaky',
    visibility: 'public',
    pool: 'default',
    description: 'Fails with a retryable FlakyError on attempts 1..failTimes, then returns the attempt that succeeded.',
    params: [{ name: 'failTimes' }],
    defaults: { startToCloseTimeout: '30s', retry: { maxAttempts: 10, initialInterval: '200ms', backoffCoefficient: 1.5, maxInterval: '2s' } },
  }),
  task({
    name: 'noop',
    visibility: 'public',
    pool: 'default',
    light: true,
    description: 'Returns its first argument, or null. For benchmarks and tests.',
    params: [{ name: 'value', optional: true }],
    defaults: quick,
  }),
  // ---- the domain: comments, spam, email, avatars (src/app/<feature>/activities.ts, src/activities/spam.ts)
  task({
    name: 'spam.detect',
    visibility: 'public',
    pool: 'ml',
    description: 'Scores {commentId} (and stores the score on the comment) or {text} with the spam classifier; returns {spam, probability}.',
    params: [{ name: 'input' }],
    defaults: { startToCloseTimeout: '30s', retry: { maxAttempts: 5, initialInterval: '1s', backoffCoefficient: 2, maxInterval: '10s' } },
  }),
  task({
    name: 'spam.detectBatch',
    visibility: 'public',
    pool: 'ml',
    description: 'Scores up to 1000 texts in one activity; returns [{spam, probability}] in order.',
    params: [{ name: 'texts' }],
    defaults: { startToCloseTimeout: '2m', retry: { maxAttempts: 3, initialInterval: '1s' } },
  }),
  task({
    name: 'email.send',
    visibility: 'internal',
    pool: 'email',
    description:
      'Sends one email at most once per idempotency key (default: workflow id + activity id), recorded in the email log. ' +
      'SMTP 4xx and unreachable servers are retryable SmtpTransientError; 5xx and bad addresses are SmtpPermanentError / InvalidEmailError.',
    params: [{ name: 'message' }, { name: 'idempotencyKey', optional: true }],
    // An SMTP relay's sending limit; TASK_RATE_LIMITS sets the deployment's own.
    maxPerSecond: 50,
    // Retries span a minute or two of SMTP outage; the heartbeat timeout notices a dead worker fast.
    defaults: {
      startToCloseTimeout: '1m',
      heartbeatTimeout: '10s',
      retry: { maxAttempts: 12, initialInterval: '1s', backoffCoefficient: 2, maxInterval: '10s' },
    },
  }),
  task({
    name: 'media.thumbnail',
    visibility: 'internal',
    pool: 'media',
    description:
      'Reads an avatar original from the database, writes a square WebP of `size` pixels back under a deterministic id; images over the pixel limit or undecodable fail with ImageRejectedError.',
    params: [{ name: 'input' }],
    defaults: { startToCloseTimeout: '2m', heartbeatTimeout: '20s', retry: { maxAttempts: 3, initialInterval: '1s', backoffCoefficient: 2 } },
  }),
  task({
    name: 'media.thumbnails',
    visibility: 'internal',
    pool: 'media',
    description:
      'Reads an avatar original once and writes a square WebP of each of `sizes` under deterministic ids; a retried attempt skips sizes already stored. Images over the pixel limit or undecodable fail with ImageRejectedError.',
    params: [{ name: 'input' }],
    defaults: { startToCloseTimeout: '5m', heartbeatTimeout: '20s', retry: { maxAttempts: 3, initialInterval: '1s', backoffCoefficient: 2 } },
  }),
  task({
    name: 'files.cleanupOrphans',
    visibility: 'internal',
    pool: 'default',
    description:
      'Deletes avatar originals and thumbnails in the database that no user references and that are older than graceMs (default 1 h); returns {scanned, deleted, sample}.',
    params: [{ name: 'graceMs', optional: true }],
    defaults: { startToCloseTimeout: '10m', heartbeatTimeout: '1m', retry: { maxAttempts: 3, initialInterval: '10s' } },
  }),
  task({
    name: 'events.pruneReceived',
    visibility: 'internal',
    pool: 'default',
    description:
      'Forgets the event ids POST /events/:name received more than olderThanMs ago (default 7 days): a repeat of such an id is a new event; returns {deleted}.',
    params: [{ name: 'olderThanMs', optional: true }],
    defaults: { startToCloseTimeout: '10m', retry: { maxAttempts: 3, initialInterval: '10s' } },
  }),
  task({
    name: 'comments.publish',
    visibility: 'internal',
    pool: 'default',
    light: true,
    description: 'Marks a pending comment published; returns {status, mentions: [user id]} (the author excluded).',
    params: [{ name: 'commentId' }],
    defaults: domainDefaults,
  }),
  task({
    name: 'comments.markSpam',
    visibility: 'internal',
    pool: 'default',
    light: true,
    description: 'Marks a pending comment spam; returns {status}.',
    params: [{ name: 'commentId' }],
    defaults: domainDefaults,
  }),
  task({
    name: 'comments.recordOutcome',
    visibility: 'internal',
    pool: 'default',
    light: true,
    description: "Stores how the comment's mention emails went (a settled group's results); returns {sent, duplicates, failed}.",
    params: [{ name: 'deliveries' }, { name: 'commentId' }],
    defaults: domainDefaults,
  }),
  task({
    name: 'users.setAvatar',
    visibility: 'internal',
    pool: 'default',
    light: true,
    description:
      "Points the user's avatar at an upload and its thumbnails, unless a newer upload already did; deletes the files it replaces. Returns {applied}.",
    params: [{ name: 'thumbnails' }, { name: 'userId' }, { name: 'originalId' }],
    defaults: domainDefaults,
  }),
  task({
    name: 'users.discardUpload',
    visibility: 'internal',
    pool: 'default',
    description: "Deletes a failed upload's original and any thumbnails made from it, unless the user's avatar points at it. Returns {deleted}.",
    params: [{ name: 'userId' }, { name: 'originalId' }],
    defaults: domainDefaults,
  }),
  task({
    name: 'digest.plan',
    visibility: 'internal',
    pool: 'default',
    description: 'Lists the users with published mentions since their last digest, up to now; returns {until, users: [{userId, since}]}.',
    params: [],
    defaults: domainDefaults,
  }),
  task({
    name: 'digest.planPage',
    visibility: 'internal',
    pool: 'default',
    description:
      'One page of the digest plan: users after `after` (by id, at most `limit` read) with published mentions since their last digest, up to `until`; returns {users: [{userId, since}], next}.',
    params: [{ name: 'page' }],
    defaults: domainDefaults,
  }),
  task({
    name: 'users.markDigested',
    visibility: 'internal',
    pool: 'default',
    light: true,
    description: "Advances the user's lastDigestAt to the end of the period the sent digest (email.send's result) covered.",
    params: [{ name: 'sent' }, { name: 'userId' }],
    defaults: domainDefaults,
  }),
] as const;

type Entry = (typeof ENTRIES)[number];
export type TaskName = Entry['name'];
/** The parameter names of one task, as the catalog lists them. */
export type TaskParamName<N extends TaskName> = Extract<Entry, { name: N }>['params'][number]['name'];

export const CATALOG: ReadonlyMap<string, TaskSpec> = new Map(ENTRIES.map((entry) => [entry.name, entry]));
export const TASK_NAMES: readonly TaskName[] = ENTRIES.map((entry) => entry.name);

export function getTaskSpec(name: string): TaskSpec | undefined {
  return CATALOG.get(name);
}

/**
 * The specs of a run's Python tasks, by name: the API resolves them from the Python pool's
 * catalog when it starts the run (src/tasks/python-catalog.ts) and passes them in the
 * request, so the run keeps the options it started with whatever the pool publishes later.
 */
export type PythonTaskSpecs = Readonly<Record<string, TaskSpec>>;

/** A task of the catalog, or one of the run's Python tasks. */
export function findTaskSpec(name: string, pythonTasks: PythonTaskSpecs | undefined): TaskSpec | undefined {
  return CATALOG.get(name) ?? (pythonTasks && Object.hasOwn(pythonTasks, name) ? pythonTasks[name] : undefined);
}

export function isTaskName(name: string): name is TaskName {
  return CATALOG.has(name);
}

/** Whether a caller allowed tasks up to `reach` may name this task. */
export function isReachable(spec: TaskSpec, reach: TaskVisibility): boolean {
  return reach === 'internal' || spec.visibility === 'public';
}

/**
 * Why a task may not run inline in the orchestrator, or undefined when it may: a task that
 * heartbeats needs a remote activity (local ones cannot heartbeat), and a CPU-bound pool's
 * task would starve the workflow thread.
 */
export function whyNotLocal(spec: TaskSpec): string | undefined {
  if (spec.pool === PYTHON_POOL) return `${spec.name} is a Python task and runs on the python pool only`;
  if (spec.defaults.heartbeatTimeout !== undefined) return `${spec.name} heartbeats, which only a remote activity can do`;
  if (spec.maxPerSecond !== undefined) return `${spec.name} is rate-limited on its pool's queue, which a local activity would bypass`;
  if (isCpuBoundPool(spec.pool)) return `${spec.name} is CPU-bound and runs on the ${spec.pool} pool only`;
  return undefined;
}

/** Whether a step of this task runs as a local activity, given its merged options. */
export function runsLocally(spec: TaskSpec, options: StepOptions): boolean {
  if (options.local !== undefined) return options.local && whyNotLocal(spec) === undefined;
  return spec.light === true && options.queue === undefined;
}

/** Tasks that declare maxPerSecond: each has its own rate-limited queue in its home pool. */
export const RATE_LIMITED_TASKS: readonly TaskSpec[] = [...CATALOG.values()].filter((spec) => spec.maxPerSecond !== undefined);

/**
 * The queue of a rate-limited task: the server's per-queue dispatch limit
 * (maxTaskQueueActivitiesPerSecond) holds across every worker polling it, which a queue
 * shared with other tasks could not give one task.
 */
export function limitedQueueOf(spec: TaskSpec): string {
  return `${POOLS[spec.pool].queue}-limited-${spec.name}`;
}
