/** Builds the Temporal worker of one pool: workflows for the orchestrator, activities for the rest. */
import type { Duration } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { createActivities, createActivityDeps, type ActivityDeps } from '../activities';
import { poolConcurrency, type Config } from '../config';
import { POOLS, type PoolName } from '../tasks/pools';
import { dataConverter } from '../temporal/clients';
import { bundleWorkflows } from './workflow-bundle';

export interface PoolWorkerOptions {
  config: Config;
  connection: NativeConnection;
  pool: PoolName;
  /** How long running activities may finish after a shutdown signal. */
  shutdownGraceTime?: Duration;
  /** The activities' dependencies, made once per process (src/workers/main.ts); made here when not given. */
  deps?: ActivityDeps;
}

export async function createPoolWorker({ config, connection, pool, shutdownGraceTime = '30s', deps = createActivityDeps(config) }: PoolWorkerOptions): Promise<Worker> {
  const spec = POOLS[pool];
  const base: WorkerOptions = {
    connection,
    namespace: config.temporal.namespace,
    taskQueue: spec.queue,
    shutdownGraceTime,
    identity: `${pool}@${process.pid}`,
    dataConverter: dataConverter(config),
  };
  if (spec.runs === 'workflows') {
    return Worker.create({
      ...base,
      workflowBundle: config.workflowBundlePath ? { codePath: config.workflowBundlePath } : await bundleWorkflows(),
      maxConcurrentWorkflowTaskExecutions: poolConcurrency(pool, spec.concurrency),
      maxCachedWorkflows: 1000,
      // Light tasks run here as local activities (src/tasks/registry.ts, `light`).
      activities: createActivities(deps),
    });
  }
  return Worker.create({
    ...base,
    activities: createActivities(deps),
    maxConcurrentActivityTaskExecutions: poolConcurrency(pool, spec.concurrency),
  });
}
