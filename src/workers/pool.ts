/** Builds the Temporal worker of one pool: workflows for the orchestrator, activities for the rest. */
import { hostname } from 'node:os';
import type { Duration } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, createActivityDeps, type ActivityDeps } from '../activities';
import { flowControlActivities } from '../activities/flow-control';
import { bulkActivities } from '../activities/bulk';
import { webhookActivities } from '../activities/webhook';
import { poolConcurrency, type Config } from '../config';
import { POOLS, type PoolName } from '../workflows/tasks/pools';
import { limitedQueueOf, RATE_LIMITED_TASKS } from '../workflows/tasks/catalog';
import { dataConverter } from '../temporal/clients';
import { activeTracing } from '../telemetry/tracing';
import { workflowBundleFor } from './workflow-bundle';
import { withoutWorkflowStackTraces } from './workflow-stack-traces';

export interface PoolWorkerOptions {
  config: Config;
  connection: NativeConnection;
  pool: PoolName;
  /** How long running activities may finish after a shutdown signal. */
  shutdownGraceTime?: Duration;
  /** The activities' dependencies, made once per process (src/workers/main.ts); made here when not given. */
  deps?: ActivityDeps;
}

export async function createPoolWorker({
  config,
  connection,
  pool,
  shutdownGraceTime = '30s',
  deps = createActivityDeps(config),
}: PoolWorkerOptions): Promise<Worker> {
  const spec = POOLS[pool];
  const tracing = activeTracing();
  const base: WorkerOptions = {
    connection,
    namespace: config.temporal.namespace,
    taskQueue: spec.queue,
    shutdownGraceTime,
    // Host and pid: in containers every worker is pid 1, and the health check (./health) finds its own polls by identity.
    identity: `${pool}@${hostname()}:${process.pid}`,
    dataConverter: dataConverter(config),
    ...tracing?.workerOptions(spec.runs),
  };
  if (spec.runs === 'workflows') {
    const workflowBundle = await workflowBundleFor(config.workflowBundlePath, tracing !== undefined);
    const create = () =>
      Worker.create({
        ...base,
        workflowBundle,
        maxConcurrentWorkflowTaskExecutions: poolConcurrency(pool, spec.concurrency),
        maxCachedWorkflows: 1000,
        // Light tasks run here as local activities (src/tasks/registry.ts, `light`), and the flow-control, bulk and webhook workflows' own.
        activities: { ...createActivities(deps), ...flowControlActivities(), ...bulkActivities(), ...webhookActivities(config) },
      });
    return config.workflowStackTraces ? create() : withoutWorkflowStackTraces(create);
  }
  return Worker.create({
    ...base,
    activities: createActivities(deps),
    maxConcurrentActivityTaskExecutions: poolConcurrency(pool, spec.concurrency),
  });
}

/**
 * One worker per rate-limited task of this pool, on the task's own queue (catalog
 * limitedQueueOf). maxTaskQueueActivitiesPerSecond is enforced by the Temporal server for
 * the whole queue, whatever the number of workers polling it; every worker of the pool
 * reads the same TASK_RATE_LIMITS, so none resets the limit to another value.
 */
export async function createRateLimitedWorkers({
  config,
  connection,
  pool,
  shutdownGraceTime = '30s',
  deps = createActivityDeps(config),
}: PoolWorkerOptions): Promise<Worker[]> {
  if (POOLS[pool].runs !== 'activities') return [];
  const activities = createActivities(deps);
  return Promise.all(
    RATE_LIMITED_TASKS.filter((spec) => spec.pool === pool).map((spec) =>
      Worker.create({
        connection,
        namespace: config.temporal.namespace,
        taskQueue: limitedQueueOf(spec),
        shutdownGraceTime,
        identity: `${pool}/${spec.name}@${hostname()}:${process.pid}`,
        dataConverter: dataConverter(config),
        ...activeTracing()?.workerOptions('activities'),
        activities: { [spec.name]: activities[spec.name] },
        maxTaskQueueActivitiesPerSecond: config.taskRateLimits[spec.name] ?? spec.maxPerSecond,
        maxConcurrentActivityTaskExecutions: poolConcurrency(pool, POOLS[pool].concurrency),
      }),
    ),
  );
}
