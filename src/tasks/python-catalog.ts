/**
 * The Python pool's tasks as the API knows them. The pool publishes its Celery app's tasks
 * to the database when it starts (python/orchestra_python/catalog.py: names, parameters
 * from each function's signature, the Celery options that map to step options); the API
 * reads that document at most every `ttlMs` and keeps the last list it read, so starts
 * still validate while the pool is down (their runs wait on its queue) or the database
 * does not answer. A canvas naming only TypeScript tasks never reads it.
 */
import { z } from 'zod';
import mongoose from 'mongoose';
import { logger } from '../logging';
import { getTask, type TaskDefinition } from './registry';
import { PYTHON_POOL } from '../workflows/tasks/pools';
import { getTaskSpec, type PythonTaskSpecs, type TaskSpec } from '../workflows/tasks/catalog';
import { taskNamesOf, type CanvasRequest, type StepOptions } from '../workflows/language/types';

export const PYTHON_CATALOG_COLLECTION = 'task_catalogs';
export const PYTHON_CATALOG_ID = 'python';

/** One task as the pool publishes it. */
const PublishedTask = z.object({
  name: z.string().min(1).max(200),
  description: z.string().max(1000),
  params: z.array(z.object({ name: z.string(), kind: z.enum(['positional', 'keywordOnly', 'positionalOnly']), optional: z.boolean() })),
  varArgs: z.boolean(),
  varKwargs: z.boolean(),
  bind: z.boolean(),
  maxRetries: z.number().int().min(0).nullable(),
  defaultRetryDelay: z.number().min(0).nullable(),
  autoretryFor: z.array(z.string()),
  retryBackoff: z.boolean(),
  timeLimit: z.number().positive().nullable(),
  softTimeLimit: z.number().positive().nullable(),
});
export type PublishedTask = z.infer<typeof PublishedTask>;

const PublishedCatalog = z.object({ app: z.string(), tasks: z.array(z.unknown()), publishedAt: z.date().optional(), publishedBy: z.string().optional() });

/** A Python task's registry entry: its Celery options shown beside the step options they map to. */
export interface PythonTaskDefinition extends TaskDefinition {
  celery: Omit<PublishedTask, 'name' | 'description' | 'params' | 'varArgs' | 'varKwargs'>;
}

/** How long a Python step may run without a heartbeat before another attempt starts (the pool beats every second). */
const PYTHON_HEARTBEAT_TIMEOUT = '10s';
/** Celery has no time limit by default; Temporal needs one. Heartbeats notice a dead pool well before. */
const PYTHON_DEFAULT_TIME_LIMIT = '1h';
/** A time_limit is enforced in the pool (TimeLimitExceeded); the activity's own limit is a backstop past it. */
const TIME_LIMIT_BACKSTOP_MS = 10_000;

/**
 * Celery's options as step defaults (README, "Bring your Celery tasks"): max_retries is the
 * attempts' bound (None: no bound); the interval applies to lost workers and timeouts, as
 * self.retry() and autoretry_for give each retry Celery's own countdown.
 */
export function pythonTaskDefinition(task: PublishedTask): PythonTaskDefinition {
  const defaults: StepOptions = {
    startToCloseTimeout: task.timeLimit === null ? PYTHON_DEFAULT_TIME_LIMIT : Math.ceil(task.timeLimit * 1000) + TIME_LIMIT_BACKSTOP_MS,
    heartbeatTimeout: PYTHON_HEARTBEAT_TIMEOUT,
    retry: { maxAttempts: task.maxRetries === null ? 0 : task.maxRetries + 1, initialInterval: '1s', backoffCoefficient: 2, maxInterval: '1m' },
  };
  const { name, description, params, varArgs, varKwargs, ...celery } = task;
  return {
    name,
    visibility: 'public',
    pool: PYTHON_POOL,
    description,
    params: params.map((p) => ({ name: p.name, optional: p.optional, kind: p.kind, schema: z.json() })),
    varArgs,
    varKwargs,
    defaults,
    celery,
  };
}

/** The plain spec a run carries (no schemas: they do not serialize). */
export function toTaskSpec(definition: TaskDefinition): TaskSpec {
  const { params, ...rest } = definition;
  const spec: TaskSpec & { celery?: unknown } = { ...rest, params: params.map(({ schema: _schema, ...param }) => param) };
  delete spec.celery;
  return spec;
}

export interface PythonCatalogSnapshot {
  app: string;
  publishedAt?: Date;
  tasks: ReadonlyMap<string, PythonTaskDefinition>;
}

type Loader = () => Promise<unknown>;

const loadFromDatabase: Loader = async () => {
  const db = mongoose.connection.db;
  // Answered 503 like any database outage (src/http/availability.ts), not 500.
  if (!db) throw new mongoose.mongo.MongoNotConnectedError('the database is not connected yet: the Python pool catalog cannot be read');
  return db.collection<{ _id: string }>(PYTHON_CATALOG_COLLECTION).findOne({ _id: PYTHON_CATALOG_ID });
};

export class PythonCatalog {
  private known: PythonCatalogSnapshot | undefined;
  private readAt = -Infinity;
  private reading: Promise<void> | undefined;

  constructor(
    private readonly load: Loader = loadFromDatabase,
    private readonly ttlMs = 2_000,
  ) {}

  /** The tasks the pool last published (empty when it never did); reads again when the copy is older than ttlMs. */
  async snapshot(): Promise<PythonCatalogSnapshot | undefined> {
    if (Date.now() - this.readAt >= this.ttlMs) {
      this.reading ??= this.read().finally(() => (this.reading = undefined));
      try {
        await this.reading;
      } catch (error) {
        // The last known list, if any: a database hiccup does not refuse starts it already knew.
        if (!this.known) throw error;
        logger().warn({ err: error }, 'the Python pool catalog could not be read; using the last known list');
      }
    }
    return this.known;
  }

  async tasks(): Promise<ReadonlyMap<string, PythonTaskDefinition>> {
    return (await this.snapshot())?.tasks ?? new Map();
  }

  private async read(): Promise<void> {
    const raw = await this.load();
    this.readAt = Date.now();
    if (raw === null || raw === undefined) return;
    const doc = PublishedCatalog.safeParse(raw);
    if (!doc.success) return void logger().warn({ issues: doc.error.issues }, 'the Python pool catalog is malformed; ignored');
    const tasks = new Map<string, PythonTaskDefinition>();
    for (const entry of doc.data.tasks) {
      const task = PublishedTask.safeParse(entry);
      if (!task.success) {
        logger().warn({ entry, issues: task.error.issues }, 'a Python task entry is malformed; skipped');
        continue;
      }
      // A TypeScript task of the same name keeps it: the catalog's names are fixed.
      if (getTaskSpec(task.data.name)) {
        logger().warn({ task: task.data.name }, 'a Python task has the name of a built-in task; the built-in one is used');
        continue;
      }
      tasks.set(task.data.name, pythonTaskDefinition(task.data));
    }
    this.known = { app: doc.data.app, publishedAt: doc.data.publishedAt, tasks };
  }
}

/** Every string under a `task` key: the names a request body mentions, before it is known to be well formed. */
export function mentionedTaskNames(body: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(body)) body.forEach((item) => mentionedTaskNames(item, into));
  else if (typeof body === 'object' && body !== null) {
    for (const [key, value] of Object.entries(body)) {
      if (key === 'task' && typeof value === 'string') into.add(value);
      else mentionedTaskNames(value, into);
    }
  }
  return into;
}

/**
 * The Python tasks to validate `body` with: none when it names only registry tasks (no
 * database read), else the pool's last published list.
 */
export async function pythonTasksFor(catalog: PythonCatalog, body: unknown): Promise<ReadonlyMap<string, TaskDefinition>> {
  const names = [...mentionedTaskNames(body)];
  return names.every((name) => getTask(name)) ? new Map() : catalog.tasks();
}

/** The specs of the Python tasks a valid request names, for the run to carry (CanvasRun.pythonTasks). */
export function pythonTasksOf(request: CanvasRequest, python: ReadonlyMap<string, TaskDefinition>): PythonTaskSpecs | undefined {
  const names = taskNamesOf(request.canvas);
  if (request.onError) names.push(request.onError.task);
  const used = names.filter((name) => python.has(name));
  return used.length === 0 ? undefined : Object.fromEntries(used.map((name) => [name, toTaskSpec(python.get(name)!)]));
}
