/** /workflows: start canvases, read runs, wait for results, stream state, cancel, terminate. */
import { Router } from '@koa/router';
import { WorkflowNotFoundError } from '@temporalio/client';
import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import { parseDuration } from '../../workflows/language/duration';
import { EventBodySchema, EventNameSchema } from '../../canvas/schemas';
import { EVENT_ID_PATTERN, EVENT_ID_RULE, EVENT_SIGNAL, type CanvasEvent } from '../../workflows/language/events';
import { retryRun } from '../retry';
import { PythonCatalog } from '../../tasks/python-catalog';
import { WORKFLOW_TYPES } from '../../workflows/workflow-types';
import { readJson, readValid } from '../../http/body';
import { chargeRequests } from '../../http/rate-limit';
import { readQuery } from '../../http/query';
import { badRequest, conflict, tooManyRequests } from '../../http/problem';
import { runLinks } from '../../temporal/links';
import type { AppContext } from '../context';
import { callerName, callerOf, requires, taskReach, tenantReach } from '../../http/auth';
import { CallerSlots } from '../../http/caller-slots';
import type { TenantReach } from '../../workflows/tenants';
import { RunEvents, type EventSink } from '../run-events';
import { startCallerOf, startCanvasRun, validateStart, type CanvasStarter } from '../canvas-start';
import { BATCH_JSON_DEPTH, startBatch, validateBatch } from '../batch-start';
import { RunListQuery, TerminateBody, WORKFLOW_DOCS } from './workflow-docs';

const MAX_WAIT_MS = 5 * 60_000;
/** How long a caller over RESULT_MAX_WAITS_PER_KEY is asked to wait: one of its waits answers by then, or soon after. */
const WAIT_RETRY_AFTER_SECONDS = 5;

export function workflowRoutes(app: AppContext): Router {
  const router = new Router({ prefix: '/workflows' });
  const { client, config, runs, metrics } = app;
  const pythonCatalog = app.pythonTasks ?? new PythonCatalog();
  const events = new RunEvents(runs, config.api.events, metrics);
  const resultWaits = new CallerSlots(config.api.maxResultWaitsPerCaller);

  const starter: CanvasStarter = { client, config, runs, metrics, pythonCatalog };

  router.post('/', requires('write', WORKFLOW_DOCS.start), async (ctx) => {
    const body = await readJson(ctx, config.api.maxBodyBytes);
    const caller = startCallerOf(ctx);
    const valid = await validateStart(body, caller, pythonCatalog, config.webhooks);
    if (!valid.ok) throw badRequest(valid.issues);
    const answer = await startCanvasRun(starter, caller, valid.value, ctx.get('idempotency-key') || undefined);
    // The request log names the run this request started (not one it found).
    if (answer.status === 201) ctx.state.workflowId = answer.workflowId;
    ctx.status = answer.status;
    ctx.body = answer.body;
    ctx.set('Location', `/workflows/${encodeURIComponent(answer.workflowId)}`);
  });

  // Many canvases in one request: all validated first, then each started as POST / would (../batch-start).
  router.post('/batch', requires('write', WORKFLOW_DOCS.batch), async (ctx) => {
    const body = await readJson(ctx, config.api.maxBodyBytes, BATCH_JSON_DEPTH);
    const caller = startCallerOf(ctx);
    const idempotencyKey = ctx.get('idempotency-key') || undefined;
    const valid = await validateBatch(body, caller, pythonCatalog, config.webhooks, idempotencyKey);
    if (!valid.ok) throw badRequest(valid.issues);
    // A batch of N starts counts as N requests against the caller's rate limit (this one and N - 1 more).
    chargeRequests(ctx, valid.value.length - 1);
    const answer = await startBatch(starter, caller, valid.value, idempotencyKey);
    ctx.status = answer.status;
    ctx.body = answer.body;
  });

  router.get('/', requires('read', WORKFLOW_DOCS.list), async (ctx) => {
    const query = readQuery(ctx, RunListQuery);
    // An empty filter is no filter.
    const text = (value: string | undefined) => (value === '' ? undefined : value);
    const reach = tenantReach(ctx);
    const tenant = reach.all ? text(query.tenant) : reach.tenant;
    ctx.body = await runs.list({
      status: query.status,
      type: text(query.type),
      idPrefix: text(query.id),
      kind: text(query.kind),
      task: text(query.task),
      tenant,
      tags: query.tag,
      pageSize: query.limit,
      cursor: text(query.cursor),
    });
  });

  router.get('/:id', requires('read', WORKFLOW_DOCS.view), async (ctx) => {
    ctx.body = await runs.view(ctx.params.id, tenantReach(ctx));
  });

  router.get('/:id/result', requires('read', WORKFLOW_DOCS.result), async (ctx) => {
    const timeout = ctx.query.timeout === undefined ? 30_000 : parseDuration(String(ctx.query.timeout));
    if (timeout === undefined || timeout > MAX_WAIT_MS) {
      throw badRequest([{ path: 'query.timeout', message: `must be a duration up to ${MAX_WAIT_MS / 60_000}m, like "30s"` }], 'The query is not valid.');
    }
    // Each wait holds a connection and a long poll on Temporal: capped per caller, as streams are.
    const owner = streamOwner(ctx);
    const release = resultWaits.take(owner);
    if (!release) {
      metrics.resultWaitRefusals.inc();
      throw tooManyRequests(
        `this key has ${resultWaits.of(owner)} result waits open, the most one may (RESULT_MAX_WAITS_PER_KEY); wait for one to answer`,
        WAIT_RETRY_AFTER_SECONDS,
      );
    }
    try {
      const reach = tenantReach(ctx);
      const { closed, outcome } = await runs.waitForClose(ctx.params.id, timeout, reach);
      ctx.body = await runs.view(ctx.params.id, reach, outcome);
      // Not finished within the timeout: 202 with the current state, so a client can poll again.
      ctx.status = closed ? 200 : 202;
    } finally {
      release();
    }
  });

  router.get('/:id/events', requires('read', WORKFLOW_DOCS.events), async (ctx) => {
    // The run's feed is shared by every subscriber, so each one's reach is checked here.
    if (!tenantReach(ctx).all) await runs.describeWithin(ctx.params.id, tenantReach(ctx));
    // Frames wait in the pass-through until the headers are out, then flow to the response.
    const stream = new PassThrough();
    let close = () => {};
    const leave = () => {
      close();
      stream.destroy();
    };
    const sink: EventSink = {
      write: (frame) => void stream.write(frame),
      end: () => stream.end(),
      // Written and not yet taken by the client: in the pass-through and in the response.
      buffered: () => stream.readableLength + stream.writableLength + ctx.res.writableLength,
      // A client that stopped reading: drop the connection, and what it has not read with it.
      abort: () => {
        leave();
        ctx.res.destroy();
      },
    };
    // 404 for an unknown run, 429/503 over a cap: all before the stream opens.
    close = await events.subscribe(ctx.params.id, streamOwner(ctx), sink);
    ctx.res.on('close', leave);
    if (ctx.res.destroyed) return leave(); // the client left while the run was being read
    ctx.req.socket.setTimeout(0);
    ctx.set({ 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    ctx.status = 200;
    // Piped by hand: Koa's own pipeline would log each client that leaves as an error.
    ctx.respond = false;
    ctx.res.flushHeaders();
    stream.pipe(ctx.res);
  });

  router.post('/:id/cancel', requires('write', WORKFLOW_DOCS.cancel), async (ctx) => {
    const handle = await openRun(ctx.params.id, tenantReach(ctx));
    await handle.cancel();
    ctx.status = 202;
    ctx.body = { workflowId: ctx.params.id, status: 'CANCEL_REQUESTED', links: { self: `/workflows/${encodeURIComponent(ctx.params.id)}` } };
  });

  // An event for the run's wait nodes; kept in the run's inbox until a wait node takes it.
  router.post('/:id/events/:name', requires('write', WORKFLOW_DOCS.event), async (ctx) => {
    const name = EventNameSchema.safeParse(ctx.params.name);
    const { payload } = await readValid(ctx, EventBodySchema, config.api.maxBodyBytes, {});
    if (!name.success) throw badRequest([{ path: 'path.name', message: name.error.issues[0]?.message ?? 'is not a valid event name' }]);
    // With an Event-Id the run keeps the event once, however often it is sent (a client's retry).
    const eventId = ctx.get('event-id') || undefined;
    if (eventId !== undefined && !EVENT_ID_PATTERN.test(eventId)) throw badRequest([{ path: 'header.Event-Id', message: EVENT_ID_RULE }]);
    const handle = await openRun(ctx.params.id, tenantReach(ctx));
    // Who sent it is recorded with the event (the run's history) and on the wait node that takes it.
    const event: CanvasEvent = {
      name: name.data,
      payload: payload ?? null,
      sentBy: callerName(ctx),
      sentAt: new Date().toISOString(),
      ...(eventId === undefined ? {} : { id: eventId }),
    };
    await handle.signal(EVENT_SIGNAL, event).catch((error: unknown) => {
      // It ended between the check and the signal.
      if (error instanceof WorkflowNotFoundError) throw conflict(`workflow ${ctx.params.id} is not running`);
      throw error;
    });
    ctx.status = 202;
    ctx.body = { workflowId: ctx.params.id, event: name.data, status: 'DELIVERED' };
  });

  // A new run of a failed canvas run that reuses its completed steps (../retry).
  router.post('/:id/retry', requires('write', WORKFLOW_DOCS.retry), async (ctx) => {
    const started = await retryRun(client, ctx.params.id, {
      tenants: tenantReach(ctx),
      tasks: taskReach(ctx),
      describeWithin: (id, reach, purpose) => runs.describeWithin(id, reach, purpose),
      pythonCatalog,
    });
    metrics.workflowStarts.inc({ type: WORKFLOW_TYPES.canvas });
    ctx.status = 201;
    ctx.body = { ...started, links: runLinks(config, started.workflowId, started.runId) };
    ctx.set('Location', `/workflows/${encodeURIComponent(started.workflowId)}`);
  });

  router.post('/:id/terminate', requires('admin', WORKFLOW_DOCS.terminate), async (ctx) => {
    const { reason } = await readValid(ctx, TerminateBody, config.api.maxBodyBytes, {});
    const handle = await openRun(ctx.params.id, tenantReach(ctx));
    await handle.terminate(reason ?? 'terminated through the API');
    ctx.body = { workflowId: ctx.params.id, status: 'TERMINATED' };
  });

  /** The handle of a run that is still open: 404 if unknown or out of reach, 409 if it has ended. */
  async function openRun(workflowId: string, reach: TenantReach) {
    const description = await runs.describeWithin(workflowId, reach, 'act');
    if (description.status.name !== 'RUNNING') throw conflict(`workflow ${workflowId} is not running`);
    return client.workflow.getHandle(workflowId, description.runId);
  }

  return router;
}

/** Whose event streams count against one cap: a key's, or (development mode) an address's. */
function streamOwner(ctx: Context): string {
  const caller = callerOf(ctx);
  return caller.kind === 'key' ? `key:${caller.id}` : `ip:${ctx.ip}`;
}
