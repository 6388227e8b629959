/**
 * GET /healthz of a worker process: healthy only when every SDK worker in it is RUNNING
 * AND the Temporal server lists this process among its task queue's pollers with a recent
 * poll (describeTaskQueue: the server's own record of who polled, and when). A process
 * that answers but whose workers stopped, or cannot reach the server, or polls a wrong
 * namespace, is unhealthy. Compose healthchecks and Kubernetes probes call it
 * (WORKER_HEALTH_ADDRESS; `off` for none).
 */
import { createServer, type Server } from 'node:http';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';

const { TaskQueueType, TaskQueueKind } = temporal.api.enums.v1;

/** A poll is "recent" within this window; an idle worker re-polls about every minute (long poll). */
export const RECENT_POLL_MS = 2 * 60_000;
/** The answer is reused this long, so probes do not turn into a stream of server calls. */
const CACHE_MS = 5000;
const DESCRIBE_DEADLINE_MS = 3000;

export interface WorkerHealth {
  healthy: boolean;
  workers: Array<{ taskQueue: string; state: string; lastPollAgeSeconds: number | null; problem?: string }>;
}

export interface HealthTarget {
  worker: Pick<Worker, 'getState'> & { options: { taskQueue: string; identity: string; namespace: string } };
  /** Which queue type this worker polls for its work: workflow or activity tasks. */
  kind: 'workflows' | 'activities';
}

/** Checks each worker now: its SDK state, and the server's last poll from its identity. */
export async function checkWorkers(
  connection: Pick<NativeConnection, 'workflowService' | 'withDeadline'>,
  targets: HealthTarget[],
  now = Date.now(),
): Promise<WorkerHealth> {
  const workers = await Promise.all(
    targets.map(async ({ worker, kind }) => {
      const { taskQueue, identity, namespace } = worker.options;
      const state = worker.getState();
      if (state !== 'RUNNING') return { taskQueue, state, lastPollAgeSeconds: null, problem: `the SDK worker is ${state}` };
      try {
        const response = await connection.withDeadline(now + DESCRIBE_DEADLINE_MS, () =>
          connection.workflowService.describeTaskQueue({
            namespace,
            taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
            taskQueueType: kind === 'workflows' ? TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW : TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
          }),
        );
        const mine = (response.pollers ?? []).find((p) => p.identity === identity);
        const seconds = mine?.lastAccessTime?.seconds;
        const lastPoll = seconds == null ? null : Number(seconds) * 1000 + (mine?.lastAccessTime?.nanos ?? 0) / 1e6;
        if (lastPoll === null) return { taskQueue, state, lastPollAgeSeconds: null, problem: `the server lists no poll from ${identity}` };
        const age = Math.max(0, now - lastPoll);
        return {
          taskQueue,
          state,
          lastPollAgeSeconds: Math.round(age / 1000),
          ...(age > RECENT_POLL_MS ? { problem: `last poll ${Math.round(age / 1000)} s ago` } : {}),
        };
      } catch (error) {
        return { taskQueue, state, lastPollAgeSeconds: null, problem: `Temporal did not answer: ${(error as Error).message}` };
      }
    }),
  );
  return { healthy: workers.every((w) => !w.problem), workers };
}

/** Serves GET /healthz on host:port: 200 with the details when healthy, 503 otherwise. */
export function serveWorkerHealth(address: string, check: () => Promise<WorkerHealth>): Server {
  let cached: { at: number; health: Promise<WorkerHealth> } | undefined;
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/healthz' && req.url !== '/health')) {
      res.writeHead(404).end();
      return;
    }
    if (!cached || Date.now() - cached.at > CACHE_MS) cached = { at: Date.now(), health: check() };
    void cached.health.then((health) => {
      res.writeHead(health.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(health));
    });
  });
  const colon = address.lastIndexOf(':');
  server.listen(Number(address.slice(colon + 1)), address.slice(0, colon));
  server.unref();
  return server;
}
