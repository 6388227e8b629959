/**
 * The two reference points every Orchestra figure is divided by, each its own process:
 * L1, a minimal TypeScript worker of a one-activity workflow on the same Temporal server,
 * and L2, a trivial Koa route. Also their drivers: the raw Temporal client for L1, the
 * in-repo load generator for L2.
 */
import { Connection, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { randomUUID } from 'node:crypto';
import { freePort, waitForPort } from '../src/devservices/processes';
import { eventCount } from './histories';
import { closedLoop, HttpClient, type LoadResult } from './load';
import type { System } from './stack';

export interface References {
  /** The task queue the minimal worker polls. */
  minimalQueue: string;
  /** The trivial Koa route's URL. */
  trivialUrl: string;
  trivial: HttpClient;
}

export async function startReferences(system: System): Promise<References> {
  const minimalQueue = `bench-minimal-${randomUUID().slice(0, 8)}`;
  const port = await freePort();
  system.spawn('minimal-worker', 'bench/minimal-worker.ts', [
    '--address',
    system.temporalAddress,
    '--namespace',
    system.namespace,
    '--task-queue',
    minimalQueue,
  ]);
  const trivial = system.spawn('trivial-koa', 'bench/trivial-server.ts', ['--port', String(port)]);
  await waitForPort(port, 60_000, trivial);
  await waitForQueuePollers(system, minimalQueue, 120_000);
  const trivialUrl = `http://127.0.0.1:${port}`;
  return { minimalQueue, trivialUrl, trivial: new HttpClient(trivialUrl) };
}

/** Waits until a queue has both a workflow and an activity poller. */
async function waitForQueuePollers(system: System, queue: string, timeoutMs: number): Promise<void> {
  const connection = await Connection.connect({ address: system.temporalAddress });
  const deadline = Date.now() + timeoutMs;
  const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
  try {
    for (const taskQueueType of [TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY]) {
      for (;;) {
        const response = await connection.workflowService.describeTaskQueue({ namespace: system.namespace, taskQueue: { name: queue }, taskQueueType });
        if ((response.pollers ?? []).length > 0) break;
        if (Date.now() > deadline) throw new Error(`the minimal worker does not poll ${queue} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
  } finally {
    await connection.close();
  }
}

export interface L1Round {
  workflowsPerSecond: number;
  eventsPerSecond: number;
  /** Wall ms per workflow at saturation: the server's cost of one workflow of one activity. */
  msPerWorkflow: number;
  load: LoadResult;
}

let minimalEvents: number | undefined;

/** L1: `count` minimal workflows (or as many as `capMs` allows), start + result, through the raw client at `concurrency`. */
export async function runL1(client: Client, refs: References, count: number, capMs?: number, concurrency = 32): Promise<L1Round> {
  const tag = randomUUID().slice(0, 8);
  const load = await closedLoop({ concurrency, count, durationMs: capMs }, async (seq) => {
    const handle = await client.workflow.start('minimal', { taskQueue: refs.minimalQueue, workflowId: `bench-l1-${tag}-${seq}`, args: [] });
    await handle.result();
  });
  if (load.errors) throw new Error(`L1: ${load.errors} workflows failed: ${load.errorSamples.join(' | ')}`);
  minimalEvents ??= await eventCount(client, `bench-l1-${tag}-0`);
  return { workflowsPerSecond: load.perSecond, eventsPerSecond: load.perSecond * minimalEvents, msPerWorkflow: 1000 / load.perSecond, load };
}

/** History events of one minimal workflow (known once L1 has run). */
export function minimalWorkflowEvents(): number | undefined {
  return minimalEvents;
}

/** L2: the trivial route under the load generator. */
export async function runL2(refs: References, durationMs: number, concurrency = 32): Promise<LoadResult> {
  const load = await closedLoop({ concurrency, durationMs }, async () => void (await refs.trivial.expectOk('GET', '/')));
  if (load.errors) throw new Error(`L2: ${load.errors} requests failed: ${load.errorSamples.join(' | ')}`);
  return load;
}
