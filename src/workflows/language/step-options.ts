/**
 * Option merging (registry defaults < request defaults < enclosing nodes < the node) and
 * the mapping onto Temporal's ActivityOptions. Pure: the workflow bundle uses it.
 */
import { ActivityCancellationType, type ActivityOptions, type LocalActivityOptions } from '@temporalio/common';
import { POOLS, isActivityPool, type PoolName } from '../tasks/pools';
import { durationMs } from './duration';
import type { StepOptions } from './types';

export function mergeOptions(...layers: Array<StepOptions | undefined>): StepOptions {
  const merged: StepOptions = {};
  for (const layer of layers) {
    if (!layer) continue;
    const { retry, ...rest } = layer;
    Object.assign(merged, stripUndefined(rest));
    if (retry) merged.retry = { ...merged.retry, ...stripUndefined(retry) };
  }
  return merged;
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function queueOf(pool: PoolName): string {
  return POOLS[pool].queue;
}

/**
 * A local activity's retries back off in the workflow with a durable timer once the
 * backoff reaches this (Temporal's localRetryThreshold), instead of inside one workflow task.
 */
export const LOCAL_RETRY_THRESHOLD = '10s';

/**
 * The activity options Temporal enforces for one step; `home` is the task's registry pool.
 * A batch of `scale` items gets `scale` times the step's timeouts (one item's budget each).
 */
export function toActivityOptions(options: StepOptions, home: PoolName, activityId: string, scale = 1): ActivityOptions {
  const pool = options.queue && isActivityPool(options.queue) ? options.queue : home;
  const retry = options.retry ?? {};
  const ms = (d: StepOptions['delay']) => (d === undefined ? undefined : durationMs(d));
  const scaled = (d: StepOptions['delay']) => (d === undefined ? undefined : durationMs(d) * scale);
  const activity: ActivityOptions = {
    activityId,
    taskQueue: queueOf(pool),
    startToCloseTimeout: scaled(options.startToCloseTimeout),
    scheduleToCloseTimeout: scaled(options.scheduleToCloseTimeout),
    heartbeatTimeout: ms(options.heartbeatTimeout),
    retry: {
      maximumAttempts: retry.maxAttempts,
      initialInterval: ms(retry.initialInterval),
      backoffCoefficient: retry.backoffCoefficient,
      // Layers merge field by field, so a node's initialInterval can pass an inherited
      // maxInterval; Temporal refuses that, so the cap is raised to the first interval.
      maximumInterval: atLeast(ms(retry.maxInterval), ms(retry.initialInterval)),
      nonRetryableErrorTypes: retry.nonRetryable,
    },
  };
  // Temporal needs one of the two timeouts; the registry gives every task one, this is the backstop.
  if (activity.startToCloseTimeout === undefined && activity.scheduleToCloseTimeout === undefined) {
    activity.startToCloseTimeout = 5 * 60_000;
  }
  return activity;
}

/** The same step as a local activity in the orchestrator: same retry policy and timeouts, no queue or heartbeat. */
export function toLocalActivityOptions(options: StepOptions, path: string, scale = 1): LocalActivityOptions {
  const { startToCloseTimeout, scheduleToCloseTimeout, retry } = toActivityOptions(options, 'default', path, scale);
  return {
    startToCloseTimeout,
    scheduleToCloseTimeout,
    retry,
    localRetryThreshold: durationMs(LOCAL_RETRY_THRESHOLD),
    cancellationType: ActivityCancellationType.TRY_CANCEL,
    summary: path,
  };
}

function atLeast(value: number | undefined, floor: number | undefined): number | undefined {
  return value === undefined || floor === undefined ? value : Math.max(value, floor);
}
