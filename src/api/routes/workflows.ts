/** /workflows: start canvases, read runs, wait for results, stream state, cancel, terminate. */
import { Router } from '@koa/router';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { Context } from 'koa';
import { parseDuration } from '../../workflows/language/duration';
import { taskNamesOf, type CanvasRequest } from '../../workflows/language/types';
import { EventBodySchema, EventNameSchema, WorkflowIdSchema } from '../../canvas/schemas';
import { EVENT_SIGNAL, type CanvasEvent } from '../../workflows/language/events';
import { retryRun } from '../retry';
import { PythonCatalog, pythonTasksFor, pythonTasksOf } from '../../tasks/python-catalog';
import { validateCanvasRequest } from '../../canvas/validate';
import { isTaskName } from '../../workflows/tasks/catalog';
import { startWorkflow } from '../../temporal/start';
import { WORKFLOW_TYPES } from '../../workflows/workflow-types';
import { readJson, readValid } from '../../http/body';
import { readQuery } from '../../http/query';
import { badRequest, conflict, HttpProblem, tooManyRequests } from '../../http/problem';
import { runLinks } from '../../temporal/links';
import type { AppContext } from '../context';
import { callerOf, callerTenant, requires, taskReach, tenantReach } from '../../http/auth';
import { CallerSlots } from '../../http/caller-slots';
import type { TenantReach } from '../../workflows/tenants';
import { assertFlowKeyRoom } from '../flow-key-quota';
import { RunEvents, type EventSink } from '../run-events';
import { reservedPrefixOf } from '../../workflows/app/run-ids';
import { assertSameRequest, REQUEST_HASH_MEMO, requestHash } from '../idempotency';
import { startDebounced } from '../debounced-start';
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

  router.post('/', requires('write', WORKFLOW_DOCS.start), async (ctx) => {
    const body = await readJson(ctx, config.api.maxBodyBytes);
    const python = await pythonTasksFor(pythonCatalog, body);
    const validation = validateCanvasRequest(body, { reach: taskReach(ctx), python });
    if (!validation.ok) throw badRequest(validation.issues);
    const pythonTasks = pythonTasksOf(validation.value, python);
    const request = pythonTasks ? { ...validation.value, pythonTasks } : validation.value;
    const tenant = callerTenant(ctx);
    const idempotencyKey = ctx.get('idempotency-key') || undefined;
    await assertFlowKeyRoom(client, config, tenant, request);
    if (request.debounce) {
      // Collapsed into the key's one run, whose id every caller gets (docs/canvas.md, "Debounce").
      if (idempotencyKey)
        throw badRequest([
          { path: 'header.Idempotency-Key', message: 'cannot be combined with debounce: requests with one key already collapse into one run' },
        ]);
      const { workflowId: id, runId } = await startDebounced(client, { ...request, debounce: request.debounce }, tenant);
      metrics.workflowStarts.inc({ type: WORKFLOW_TYPES.debouncer });
      ctx.state.workflowId = id;
      ctx.status = 201;
      ctx.body = { workflowId: id, runId, debounce: request.debounce, links: runLinks(config, id, runId) };
      ctx.set('Location', `/workflows/${encodeURIComponent(id)}`);
      return;
    }
    const workflowId = chooseWorkflowId(request, idempotencyKey);
    if (request.workflowId !== undefined || idempotencyKey !== undefined) await runs.assertIdAvailable(workflowId, tenantReach(ctx));
    const hash = idempotencyKey === undefined ? undefined : requestHash(request);
    try {
      const handle = await startWorkflow(client, {
        type: WORKFLOW_TYPES.canvas,
        workflowId,
        args: [{ ...request, tenant }],
        tasks: taskNamesOf(request.canvas).filter((name) => isTaskName(name) || python.has(name)),
        tenant,
        timeoutMs: request.timeout === undefined ? undefined : parseDuration(request.timeout),
        priority: request.priority,
        // With a key, the id is never reused while Temporal keeps the run (see ../idempotency).
        ...(hash === undefined ? {} : { reuse: WorkflowIdReusePolicy.REJECT_DUPLICATE, memo: { [REQUEST_HASH_MEMO]: hash } }),
      });
      metrics.workflowStarts.inc({ type: WORKFLOW_TYPES.canvas });
      ctx.state.workflowId = workflowId;
      ctx.status = 201;
      ctx.body = { workflowId, runId: handle.firstExecutionRunId, links: runLinks(config, workflowId, handle.firstExecutionRunId) };
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      // Workflow ids are one namespace: an id another tenant holds is taken, and that is all it says.
      const existing = await runs.describeWithin(workflowId, tenantReach(ctx), 'act').catch((error: unknown) => {
        throw error instanceof HttpProblem && error.status === 404 ? conflict(`the workflow id ${workflowId} is taken; choose another`) : error;
      });
      // The same key again (a retry, while the run is open or after it closed): that run.
      if (hash !== undefined) assertSameRequest(existing, hash);
      // The id is taken by an open run: idempotent start returns it; exclusive refuses.
      else if (request.exclusive) throw conflict(`workflow ${workflowId} is already running; "exclusive": true allows one run at a time`);
      ctx.status = 200;
      ctx.body = { workflowId, runId: existing.runId, status: existing.status.name, links: runLinks(config, workflowId, existing.runId), existing: true };
    }
    ctx.set('Location', `/workflows/${encodeURIComponent(workflowId)}`);
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
    const handle = await openRun(ctx.params.id, tenantReach(ctx));
    const event: CanvasEvent = { name: name.data, payload: payload ?? null };
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

/** The body's workflowId, else the Idempotency-Key header, else a fresh id; never one of the application's own. */
function chooseWorkflowId(request: CanvasRequest, idempotencyKey: string | undefined): string {
  if (request.workflowId && idempotencyKey && request.workflowId !== idempotencyKey) {
    throw new HttpProblem(400, 'Bad Request', 'workflowId and the Idempotency-Key header differ; give one, or the same.', [
      { path: 'workflowId', message: 'differs from the Idempotency-Key header' },
    ]);
  }
  const id = request.workflowId ?? idempotencyKey;
  const path = request.workflowId === undefined ? 'header.Idempotency-Key' : 'workflowId';
  const checked = id === undefined ? undefined : WorkflowIdSchema.safeParse(id);
  if (checked && !checked.success) {
    throw badRequest([{ path, message: checked.error.issues[0]?.message ?? 'is not a valid workflow id' }]);
  }
  const reserved = id === undefined ? undefined : reservedPrefixOf(id);
  if (reserved) throw badRequest([{ path, message: `must not start with "${reserved}": ids with this prefix belong to the application's own runs` }]);
  return id ?? `canvas-${randomUUID()}`;
}
