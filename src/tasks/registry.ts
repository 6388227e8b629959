/**
 * The task registry: every task's name, home pool, defaults and argument schema.
 * Workers register exactly these tasks, the API validates canvases against them,
 * `GET /tasks` and the docs list them. Add a task here first.
 */
import { z } from 'zod';
import type { StepOptions } from '../canvas/types';
import type { PoolName } from './pools';

export interface TaskParam {
  name: string;
  schema: z.ZodType;
  optional?: boolean;
}

export interface TaskDefinition {
  name: string;
  pool: PoolName;
  description: string;
  params: TaskParam[];
  defaults: StepOptions;
}

const num = z.number().finite();
const quick: StepOptions = { startToCloseTimeout: '30s', retry: { maxAttempts: 3, initialInterval: '1s', backoffCoefficient: 2, maxInterval: '30s' } };

const definitions: TaskDefinition[] = [
  { name: 'add', pool: 'default', description: 'x + y', params: [{ name: 'x', schema: num }, { name: 'y', schema: num }], defaults: quick },
  { name: 'mul', pool: 'default', description: 'x * y', params: [{ name: 'x', schema: num }, { name: 'y', schema: num }], defaults: quick },
  { name: 'xsum', pool: 'default', description: 'The sum of a list of numbers.', params: [{ name: 'numbers', schema: z.array(num) }], defaults: quick },
  {
    name: 'divide',
    pool: 'default',
    description: 'x / y; dividing by zero fails at once with ZeroDivisionError.',
    params: [{ name: 'x', schema: num }, { name: 'y', schema: num }],
    defaults: quick,
  },
  {
    name: 'sleep',
    pool: 'default',
    description: 'Waits ms milliseconds, heartbeating its progress (0..100); stops promptly when cancelled. Returns ms.',
    params: [{ name: 'ms', schema: z.number().int().min(0).max(86_400_000) }],
    defaults: { startToCloseTimeout: '1h', heartbeatTimeout: '5s', retry: { maxAttempts: 3 } },
  },
  {
    name: 'flaky',
    pool: 'default',
    description: 'Fails with a retryable FlakyError on attempts 1..failTimes, then returns the attempt that succeeded.',
    params: [{ name: 'failTimes', schema: z.number().int().min(0).max(100) }],
    defaults: { startToCloseTimeout: '30s', retry: { maxAttempts: 10, initialInterval: '200ms', backoffCoefficient: 1.5, maxInterval: '2s' } },
  },
  {
    name: 'noop',
    pool: 'default',
    description: 'Returns its first argument, or null. For benchmarks and tests.',
    params: [{ name: 'value', schema: z.json(), optional: true }],
    defaults: quick,
  },
];

export const TASKS: ReadonlyMap<string, TaskDefinition> = new Map(definitions.map((d) => [d.name, d]));
export const TASK_NAMES: readonly string[] = definitions.map((d) => d.name);

export function getTask(name: string): TaskDefinition | undefined {
  return TASKS.get(name);
}

/** Whether any task calls this pool home (a pool with none has nothing to poll for). */
export function poolHasTasks(pool: PoolName): boolean {
  return definitions.some((d) => d.pool === pool);
}
