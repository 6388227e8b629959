/**
 * GET /pools: each worker pool's task queue as Temporal describes it (the workers polling
 * it, its backlog and recent task rates), next to the tasks the registry routes there.
 * GET /session: who the caller is and what its key may do, so the dashboard can hide
 * the buttons a key cannot use (the routes still check on every request).
 */
import { Router } from '@koa/router';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { callerHas, callerOf, requires, SCOPES, type Scope } from '../../http/auth';
import type { Config } from '../../config';
import { POOLS, POOL_NAMES, type PoolName } from '../../workflows/tasks/pools';
import { TASKS } from '../../tasks/registry';
import type { AppContext } from '../context';
import { json } from '../../http/route-docs';

const { TaskQueueType, TaskQueueKind } = temporal.api.enums.v1;

/** Each description is one round trip to the server; a slow server must not hold the page. */
const DESCRIBE_DEADLINE_MS = 5000;

export interface Poller {
  identity: string;
  lastAccessTime: string | null;
  /** Tasks per second the poller asked to be limited to, when it set a limit. */
  ratePerSecond: number | null;
}

export interface QueueDescription {
  pollers: Poller[];
  /** Server statistics; null when the server does not report them. */
  stats: { backlog: number; backlogAgeSeconds: number; addRate: number; dispatchRate: number } | null;
}

export interface PoolView {
  name: PoolName;
  queue: string;
  runs: 'workflows' | 'activities';
  concurrency: number;
  cpuBound: boolean;
  tasks: string[];
  workflow: QueueDescription;
  activity: QueueDescription;
  /** The description failed (the message), while the others may have answered. */
  error: string | null;
}

export function poolRoutes(app: AppContext): Router {
  const router = new Router();
  const { client, config } = app;

  router.get(
    '/pools',
    requires('read', {
      summary: 'Each worker pool: its task queue, the workers polling it, backlog and task rates, the tasks routed there',
      responses: {
        200: json(
          { json: { type: 'object', properties: { pools: { type: 'array', items: { type: 'object' } } } } },
          'The pools (a description that failed carries its error).',
        ),
      },
    }),
    async (ctx) => {
      ctx.body = { pools: await Promise.all(POOL_NAMES.map((name) => describePool(client, config, name))) };
    },
  );

  router.get(
    '/session',
    requires('read', {
      summary: 'Who the caller is and which scopes its key holds (the dashboard hides what it cannot use)',
      responses: {
        200: json(
          {
            json: {
              type: 'object',
              properties: {
                devMode: { type: 'boolean' },
                keyId: { type: ['string', 'null'] },
                scopes: { type: 'array', items: { enum: [...SCOPES] } },
                temporalUi: { type: 'string' },
              },
            },
          },
          'The session.',
        ),
      },
    }),
    (ctx) => {
      const caller = callerOf(ctx);
      const scopes: Scope[] = SCOPES.filter((scope) => callerHas(ctx, scope));
      ctx.body = { devMode: caller.kind === 'dev', keyId: caller.kind === 'key' ? caller.id : null, scopes, temporalUi: config.temporal.uiUrl };
    },
  );

  return router;
}

async function describePool(client: Client, config: Config, name: PoolName): Promise<PoolView> {
  const spec = POOLS[name];
  const view: PoolView = {
    name,
    queue: spec.queue,
    runs: spec.runs,
    concurrency: spec.concurrency,
    cpuBound: 'cpuBound' in spec && spec.cpuBound,
    tasks: [...TASKS.values()]
      .filter((t) => t.pool === name)
      .map((t) => t.name)
      .sort(),
    workflow: { pollers: [], stats: null },
    activity: { pollers: [], stats: null },
    error: null,
  };
  try {
    [view.workflow, view.activity] = await Promise.all(
      [TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY].map((type) => describeQueue(client, config, spec.queue, type)),
    );
  } catch (error) {
    view.error = (error as Error).message;
  }
  return view;
}

async function describeQueue(client: Client, config: Config, queue: string, type: temporal.api.enums.v1.TaskQueueType): Promise<QueueDescription> {
  const response = await client.withDeadline(Date.now() + DESCRIBE_DEADLINE_MS, () =>
    client.workflowService.describeTaskQueue({
      namespace: config.temporal.namespace,
      taskQueue: { name: queue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: type,
      reportStats: true,
    }),
  );
  const stats = response.stats;
  return {
    pollers: (response.pollers ?? []).map((p) => ({
      identity: p.identity ?? '',
      lastAccessTime: seconds(p.lastAccessTime) === null ? null : new Date(seconds(p.lastAccessTime)! * 1000).toISOString(),
      ratePerSecond: p.ratePerSecond || null,
    })),
    stats: stats
      ? {
          backlog: Number(stats.approximateBacklogCount ?? 0),
          backlogAgeSeconds: seconds(stats.approximateBacklogAge) ?? 0,
          addRate: stats.tasksAddRate ?? 0,
          dispatchRate: stats.tasksDispatchRate ?? 0,
        }
      : null,
  };
}

type ProtoDuration = { seconds?: { toNumber(): number } | number | null; nanos?: number | null } | null | undefined;

function seconds(value: ProtoDuration): number | null {
  if (!value || value.seconds == null) return null;
  const whole = typeof value.seconds === 'number' ? value.seconds : value.seconds.toNumber();
  return whole + (value.nanos ?? 0) / 1e9;
}
