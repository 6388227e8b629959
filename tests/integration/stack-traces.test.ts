/**
 * The SDK's per-promise stack traces in the orchestrator's workflow threads: off by default
 * (src/workers/workflow-stack-traces.ts), on with WORKFLOW_STACK_TRACES=true. Against the
 * real dev server, with the orchestrator's own worker in this process and its own namespace.
 */
process.env.LOG_LEVEL = 'warn';

import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import workerThreads from 'node:worker_threads';
import { loadConfig, type Config } from '../../src/config';
import { dataConverter } from '../../src/temporal/clients';
import { startWorkflow } from '../../src/temporal/start';
import { DEV_TENANT } from '../../src/workflows/tenants';
import { createPoolWorker } from '../../src/workers/pool';
import { pollUntil, registerTestNamespace } from '../support/temporal';

const namespace = `orchestra-stack-traces-${Date.now()}`;
let connection: Connection;
let native: NativeConnection;
let client: Client;
let base: Config;

/** Runs `body` with an orchestrator worker of this config, then shuts it down. */
async function withOrchestrator(config: Config, body: () => Promise<void>): Promise<void> {
  const worker: Worker = await createPoolWorker({ config, connection: native, pool: 'orchestrator', shutdownGraceTime: '1s' });
  const running = worker.run();
  try {
    await body();
  } finally {
    worker.shutdown();
    await running;
  }
}

/** A run that waits for an event that never comes, and what `__stack_trace` answers for it. */
async function stackTraceOfWaitingRun(): Promise<{ ok: true; stack: string } | { ok: false; error: string }> {
  const handle = await startWorkflow(client, {
    type: 'canvas',
    workflowId: `stack-${randomUUID()}`,
    args: [{ canvas: { wait: { event: 'never', timeout: '1m' } } }],
    tasks: [],
    tenant: DEV_TENANT,
  });
  try {
    const answer = await pollUntil(
      () =>
        handle.query<string>('__stack_trace').then(
          (stack) => ({ ok: true as const, stack }),
          (error: Error) => ({ ok: false as const, error: error.message }),
        ),
      (a) => a.ok || /not enabled/.test(a.error),
    );
    return answer;
  } finally {
    await handle.terminate('test done');
  }
}

beforeAll(async () => {
  base = loadConfig();
  connection = await Connection.connect({ address: base.temporal.address });
  await registerTestNamespace(connection, namespace);
  native = await NativeConnection.connect({ address: base.temporal.address });
  client = new Client({ connection, namespace, dataConverter: dataConverter(base) });
}, 60_000);

afterAll(async () => {
  await native?.close();
  await connection?.close();
});

const configWith = (workflowStackTraces: boolean): Config => ({ ...base, temporal: { ...base.temporal, namespace }, workflowStackTraces });

test('off by default: the run works and __stack_trace says stack traces are not enabled', async () => {
  expect(loadConfig().workflowStackTraces).toBe(false);
  const ThreadWorker = workerThreads.Worker;
  await withOrchestrator(configWith(false), async () => {
    const answer = await stackTraceOfWaitingRun();
    expect(answer).toEqual({ ok: false, error: expect.stringMatching(/Workflow stack traces are not enabled/) });
  });
  // Only the SDK's workflow threads were affected, and only while the worker was created.
  expect(workerThreads.Worker).toBe(ThreadWorker);
}, 60_000);

test('WORKFLOW_STACK_TRACES=true: __stack_trace shows where the run waits', async () => {
  await withOrchestrator(configWith(true), async () => {
    const answer = await stackTraceOfWaitingRun();
    expect(answer.ok).toBe(true);
    expect(answer.ok && answer.stack).toMatch(/interpreter/);
  });
}, 60_000);
