/**
 * Tracing (README, "Tracing"): one trace runs from the API's `POST /workflows` span through
 * the client's StartWorkflow span into the workflow (RunWorkflow, StartActivity) and on to
 * the activities' RunActivity spans, each span the child of the one before.
 *
 * Tracing is on in this process, with an in-memory exporter: the API app, its Temporal
 * client and the workers (an orchestrator and a default pool) are this process's, made by
 * the same code as the real ones (createApp, connectClient, createPoolWorker), on a
 * namespace of their own, so the shared stack's pools never take these runs' tasks.
 */
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanKind } from '@opentelemetry/api';
import type { Client } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { Server } from 'node:http';
import { createApp } from '../../src/api/app';
import { Runs } from '../../src/api/runs';
import { loadConfig, type Config } from '../../src/config';
import { ApiKeys } from '../../src/http/auth';
import { ApiMetrics } from '../../src/http/metrics';
import { installTracing } from '../../src/telemetry/install';
import type { Tracing } from '../../src/telemetry/tracing';
import { connectClient } from '../../src/temporal/clients';
import { quietLogger } from '../../src/devservices/quiet-logger';
import { bundleWorkflows } from '../../src/workers/workflow-bundle';
import { NamespaceWorkers, pollUntil } from '../support/temporal';

const namespace = `orchestra-tracing-${Date.now()}`;
const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let workers: NamespaceWorkers;
let client: Client;
let server: Server;
let apiUrl: string;
/** The traced run of the first test, replayed by the last. */
let tracedRunId: string | undefined;

beforeAll(async () => {
  tracing = installTracing('orchestra-tracing-test', new SimpleSpanProcessor(exporter));
  const base = loadConfig();
  // Development mode (no keys); no prebuilt bundle, so the orchestrator bundles the traced workflows itself.
  const config: Config = {
    ...base,
    temporal: { ...base.temporal, namespace },
    workflowBundlePath: undefined,
    security: { ...base.security, devMode: true },
  };
  workers = await NamespaceWorkers.start(config);
  client = await connectClient(config);
  const app = createApp({
    config,
    client,
    runs: new Runs(client, config),
    pingDatabase: async () => undefined,
    apiKeys: new ApiKeys({}),
    metrics: new ApiMetrics(),
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  apiUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await workers?.stop();
  await client?.connection.close();
  await tracing?.shutdown();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: await response.json() };
}

const named = (spans: ReadableSpan[], name: string) => spans.filter((span) => span.name === name);

/** The one span of `trace` called `name`, whose parent is `parent`. */
function childOf(trace: ReadableSpan[], name: string, parent: ReadableSpan): ReadableSpan {
  const matches = named(trace, name);
  expect({ name, count: matches.length }).toEqual({ name, count: 1 });
  expect({ name, parent: matches[0].parentSpanId }).toEqual({ name, parent: parent.spanContext().spanId });
  return matches[0];
}

test('one trace links POST /workflows to the workflow and to every activity it ran', async () => {
  // add runs inline in the orchestrator (a light task: a local activity); mul on the default pool.
  const started = await api('POST', '/workflows', {
    canvas: {
      chain: [
        { task: 'add', args: [2, 3] },
        { task: 'mul', args: [4], options: { local: false } },
      ],
    },
  });
  expect(started.status).toBe(201);
  const workflowId: string = started.body.workflowId;
  tracedRunId = workflowId;

  const result = await api('GET', `/workflows/${workflowId}/result?timeout=60s`);
  expect(result.status).toBe(200);
  expect(result.body.result).toBe(20);

  // The workflow's spans reach the exporter through the orchestrator's sink, after its last workflow task.
  const spans = await pollUntil(
    async () => exporter.getFinishedSpans(),
    (all) => named(all, 'RunWorkflow:canvas').length > 0,
    30_000,
  );

  const posts = spans.filter(
    (span) => span.kind === SpanKind.SERVER && span.attributes['http.route'] === '/workflows' && span.attributes['http.request.method'] === 'POST',
  );
  expect(posts).toHaveLength(1);
  const post = posts[0];
  expect(post.name).toBe('POST /workflows');
  expect(post.attributes['http.response.status_code']).toBe(201);
  expect(post.parentSpanId).toBeUndefined();

  const traceId = post.spanContext().traceId;
  const trace = spans.filter((span) => span.spanContext().traceId === traceId);
  const start = childOf(trace, 'StartWorkflow:canvas', post);
  expect(start.attributes.temporalWorkflowId).toBe(workflowId);
  const run = childOf(trace, 'RunWorkflow:canvas', start);

  // The remote activity: scheduled by the workflow, run by the default pool's worker.
  const scheduleMul = childOf(trace, 'StartActivity:mul', run);
  const runMul = childOf(trace, 'RunActivity:mul', scheduleMul);
  expect(runMul.attributes.temporalWorkflowId).toBe(workflowId);

  // The light step, a local activity in the orchestrator, is in the same trace.
  const scheduleAdd = childOf(trace, 'StartActivity:add', run);
  childOf(trace, 'RunActivity:add', scheduleAdd);

  // The read that waited for the result is a trace of its own, with the route's template in its name.
  const read = spans.find((span) => span.name === 'GET /workflows/:id/result');
  expect(read?.spanContext().traceId).not.toBe(traceId);
  expect(read?.attributes['http.response.status_code']).toBe(200);
});

test("a caller's traceparent makes the request part of the caller's trace", async () => {
  const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
  const callerSpan = '00f067aa0ba902b7';
  const response = await fetch(`${apiUrl}/health`, { headers: { traceparent: `00-${callerTrace}-${callerSpan}-01` } });
  expect(response.status).toBe(200);
  const span = exporter.getFinishedSpans().find((s) => s.name === 'GET /health');
  expect(span?.spanContext().traceId).toBe(callerTrace);
  expect(span?.parentSpanId).toBe(callerSpan);
});

test('a traced run replays on the plain workflow bundle: tracing may be turned off with runs in flight', async () => {
  expect(tracedRunId).toBeDefined();
  const history = await client.workflow.getHandle(tracedRunId!).fetchHistory();
  // The start carried the trace context in the workflow's headers.
  expect(Object.keys(history.events![0].workflowExecutionStartedEventAttributes!.header?.fields ?? {})).toContain('_tracer-data');
  await Worker.runReplayHistory({ workflowBundle: await bundleWorkflows(quietLogger), replayName: 'orchestra-untraced-replay' }, history, tracedRunId);
});
