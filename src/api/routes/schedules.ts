/**
 * /schedules: Celery beat on Temporal Schedules. Create, list, read (next run times,
 * recent runs and their statuses), change, pause and unpause, trigger, backfill, delete.
 * Everything is validated before Temporal sees it; Temporal's own refusals still map to
 * 400 (invalid), 404 (unknown id) and 409 (id taken).
 */
import { Router } from '@koa/router';
import { isGrpcServiceError, ScheduleAlreadyRunning, ScheduleNotFoundError, ServiceError, type ScheduleHandle } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Json } from '../../workflows/language/types';
import type { Issue } from '../../canvas/validate';
import { builtinSchedules } from '../../schedules/builtin';
import { GrpcStatus } from '../../temporal/grpc-status';
import { readQuery } from '../../http/query';
import { OverlapSchema, validateScheduleDefinition, validateSchedulePatch, type ScheduleDefinition } from '../../schedules/definition';
import { CREATED_BY_API, CREATED_BY_BUILTIN, scheduleTenant } from '../../schedules/memo';
import { validateAction } from '../../schedules/action';
import { Issues } from '../../validation/issues';
import { withinReach } from '../../workflows/tenants';
import { toScheduleOptions, toScheduleUpdate } from '../../schedules/temporal-options';
import { definitionOf } from '../../schedules/readback';
import { listSchedules, scheduleLinks, scheduleView } from '../../schedules/view';
import { readJson, readValid } from '../../http/body';
import { badRequest, conflict, HttpProblem, notFound } from '../../http/problem';
import type { AppContext } from '../context';
import { callerHas, callerTenant, requires, taskReach, tenantReach } from '../../http/auth';
import { json, problem, type RouteDoc } from '../../http/route-docs';
import { reservedPrefixOf } from '../../workflows/app/run-ids';

const Timestamp = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with an offset, like "2030-01-01T07:00:00Z"' });
const NoteBody = z.strictObject({ note: z.string().max(1000).optional() });
const TriggerBody = z.strictObject({ overlap: OverlapSchema.optional() });
const BackfillBody = z.strictObject({ start: Timestamp, end: Timestamp, overlap: OverlapSchema.optional() });
/** Past runs one backfill may start (Temporal counts them from the schedule's spec before anything starts). */
export const MAX_BACKFILL_RUNS = 500;
const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });
const SCHEDULE_PATCH = {
  json: {
    type: 'object',
    properties: {
      spec: { $ref: '#/components/schemas/ScheduleSpec' },
      action: { $ref: '#/components/schemas/ScheduleAction' },
      policies: { $ref: '#/components/schemas/SchedulePolicies' },
    },
  },
};
const VIEW = { json: { type: 'object', description: 'The schedule: spec, action, policies, next run times, recent actions, paused and note, links.' } };

export function scheduleRoutes(app: AppContext): Router {
  const router = new Router({ prefix: '/schedules' });
  const { client, config } = app;
  const builtinIds = new Set(builtinSchedules(config).map((d) => d.id));

  const body = <S extends z.ZodType>(ctx: Context, schema: S): Promise<z.output<S>> => readValid(ctx, schema, config.api.maxBodyBytes, {});

  /**
   * The handle and description of a schedule the caller may see; 404 if there is none or it
   * is another tenant's. To act on it (`act`), a built-in schedule, or one whose action a
   * key of this scope could not create, needs admin (403): it runs the application's tasks.
   */
  const existing = async (ctx: Context, id: string, purpose: 'read' | 'act' = 'read') => {
    const handle = client.schedule.getHandle(id);
    let description: Awaited<ReturnType<ScheduleHandle['describe']>>;
    try {
      description = await handle.describe();
    } catch (error) {
      throw scheduleProblem(error, id);
    }
    const reach = tenantReach(ctx);
    const owner = scheduleTenant(description.memo);
    if (!withinReach(reach, owner, 'read')) throw notFound(`no schedule with id ${id}`);
    if (purpose === 'act' && !callerHas(ctx, 'admin')) {
      if (!withinReach(reach, owner, 'act'))
        throw new HttpProblem(403, 'Forbidden', `schedule ${id} is the application's own; changing, pausing, triggering or backfilling it needs an admin key`);
      const issues = new Issues();
      validateAction(definitionOf(description).action, 'action', issues, taskReach(ctx));
      if (issues.list.length)
        throw new HttpProblem(403, 'Forbidden', `schedule ${id} runs tasks or workflows only an admin key may start; acting on it needs an admin key`);
    }
    return { handle, description };
  };

  const view = async (ctx: Context, id: string) => scheduleView(client, config, (await existing(ctx, id)).description);

  /** Built-ins are declared in code: a change here would be undone at the next start. */
  const refuseBuiltin = (id: string, createdBy: unknown, what: string) => {
    if (createdBy === CREATED_BY_BUILTIN) {
      throw conflict(
        `schedule ${id} is built in (src/schedules/builtin.ts) and is kept as declared there at every start; ${what} it there, or pause it with POST /schedules/${id}/pause`,
      );
    }
  };

  /** Runs one schedule operation on a schedule the caller may act on, mapping Temporal's refusals to problems. */
  const act = async (ctx: Context, id: string, operation: (handle: ScheduleHandle) => Promise<void>) => {
    const { handle } = await existing(ctx, id, 'act');
    try {
      await operation(handle);
    } catch (error) {
      throw scheduleProblem(error, id);
    }
  };

  const createDoc: RouteDoc = {
    summary: 'Create a schedule (Celery beat entry) on Temporal Schedules',
    body: { contentType: 'application/json', schema: { ref: 'Schedule' } },
    responses: {
      201: json(VIEW, 'Created: the schedule as read back.'),
      400: problem('Invalid; nothing created.'),
      409: problem('The id exists, or belongs to a built-in schedule.'),
    },
  };
  router.post('/', requires('write', createDoc), async (ctx) => {
    const validation = validateScheduleDefinition(await readJson(ctx, config.api.maxBodyBytes), taskReach(ctx));
    if (!validation.ok) throw badRequest(validation.issues, 'The schedule is not valid; nothing was created.');
    const definition = validation.value;
    refuseReservedPrefix(definition.action.workflowId);
    if (builtinIds.has(definition.id)) throw conflict(`the id ${definition.id} belongs to a built-in schedule (src/schedules/builtin.ts)`);
    try {
      await client.schedule.create(toScheduleOptions(definition, { createdBy: CREATED_BY_API, tenant: callerTenant(ctx) }));
    } catch (error) {
      throw scheduleProblem(error, definition.id, true);
    }
    ctx.status = 201;
    ctx.set('Location', scheduleLinks(config, definition.id).self);
    ctx.body = await view(ctx, definition.id);
  });

  router.get(
    '/',
    requires('read', {
      summary: 'List schedules',
      query: ListQuery,
      responses: {
        200: json({ json: { type: 'object', properties: { schedules: { type: 'array', items: VIEW.json } } } }, 'The schedules.'),
        400: problem('Invalid query.'),
      },
    }),
    async (ctx) => {
      const { limit } = readQuery(ctx, ListQuery);
      const reach = tenantReach(ctx);
      ctx.body = { schedules: await listSchedules(client, config, limit, (memo) => withinReach(reach, scheduleTenant(memo), 'read')) };
    },
  );

  router.get(
    '/:id',
    requires('read', {
      summary: 'A schedule: spec, next 5 run times, recent actions, paused and note',
      responses: { 200: json(VIEW, 'The schedule.'), 404: problem('Unknown id.') },
    }),
    async (ctx) => {
      ctx.body = await view(ctx, ctx.params.id);
    },
  );

  const patchDoc: RouteDoc = {
    summary: 'Change spec, action or policies (each given part replaces the current one; policies merge)',
    body: { contentType: 'application/json', schema: SCHEDULE_PATCH },
    responses: { 200: json(VIEW, 'Updated.'), 400: problem('Invalid; nothing changed.'), 404: problem('Unknown id.'), 409: problem('A built-in schedule.') },
  };
  router.patch('/:id', requires('write', patchDoc), async (ctx) => {
    const id = ctx.params.id;
    const validation = validateSchedulePatch(await readJson(ctx, config.api.maxBodyBytes), taskReach(ctx));
    if (!validation.ok) throw badRequest(validation.issues, 'The change is not valid; nothing was changed.');
    const patch = validation.value;
    refuseReservedPrefix(patch.action?.workflowId);
    const { handle, description } = await existing(ctx, id, 'act');
    refuseBuiltin(id, description.memo?.createdBy, 'change');
    const current = definitionOf(description);
    const createdBy = typeof description.memo?.createdBy === 'string' ? description.memo.createdBy : CREATED_BY_API;
    // The schedule stays its owner's, whoever changes it (an admin, say).
    const tenant = scheduleTenant(description.memo) ?? callerTenant(ctx);
    // Each given part replaces the current one; policies merge field by field.
    const merged: ScheduleDefinition = {
      id,
      spec: patch.spec ?? current.spec,
      action: patch.action ?? current.action,
      policies: {
        overlap: description.policies.overlap ?? 'SKIP',
        catchupWindow: description.policies.catchupWindow,
        pauseOnFailure: description.policies.pauseOnFailure,
        ...patch.policies,
      },
      memo: current.memo as Record<string, Json>,
    };
    try {
      await handle.update((previous) => ({ ...toScheduleUpdate(merged, { createdBy, tenant }), state: previous.state }));
    } catch (error) {
      throw scheduleProblem(error, id, true);
    }
    ctx.body = await view(ctx, id);
  });

  for (const action of ['pause', 'unpause'] as const) {
    router.post(
      `/:id/${action}`,
      requires('write', {
        summary: `${action === 'pause' ? 'Pause' : 'Unpause'}, with an optional note`,
        body: { contentType: 'application/json', schema: NoteBody, required: false },
        responses: { 200: json(VIEW, 'The schedule.'), 404: problem('Unknown id.') },
      }),
      async (ctx) => {
        const { note } = await body(ctx, NoteBody);
        await act(ctx, ctx.params.id, (handle) => handle[action](note ?? `${action}d through the API`));
        ctx.body = await view(ctx, ctx.params.id);
      },
    );
  }

  // Runs the action now, even while paused (Temporal's semantics: pause stops the spec, not
  // a trigger). Without an overlap given, the schedule's own policy applies: the SDK alone
  // would default a trigger to ALLOW_ALL, which would let "run now" overlap a SKIP schedule.
  router.post(
    '/:id/trigger',
    requires('write', {
      summary: 'Run now (even while paused), with an optional overlap policy',
      body: { contentType: 'application/json', schema: TriggerBody, required: false },
      responses: { 202: 'Triggered.', 404: problem('Unknown id.') },
    }),
    async (ctx) => {
      const id = ctx.params.id;
      const requested = (await body(ctx, TriggerBody)).overlap;
      const overlap = requested ?? (await existing(ctx, id, 'act')).description.policies.overlap;
      await act(ctx, id, (handle) => handle.trigger(overlap));
      ctx.status = 202;
      ctx.body = { id, triggered: true, overlap, links: scheduleLinks(config, id) };
    },
  );

  // [start, end): an hour of a 15-minute schedule is four runs. (Temporal itself, and the
  // CLI's `temporal schedule backfill`, include both ends.)
  router.post(
    '/:id/backfill',
    requires('write', {
      summary: 'Run the actions of a past period [start, end)',
      body: BackfillBody,
      responses: { 200: 'Backfill started.', 400: problem('Invalid period.'), 404: problem('Unknown id.') },
    }),
    async (ctx) => {
      const { start, end, overlap } = await body(ctx, BackfillBody);
      const from = new Date(start);
      const to = new Date(end);
      if (to <= from) throw badRequest([{ path: 'end', message: 'must be after start' }]);
      await act(ctx, ctx.params.id, async (handle) => {
        const runs = await matchingTimes(handle.scheduleId, from, new Date(to.getTime() - 1));
        if (runs > MAX_BACKFILL_RUNS)
          throw badRequest([
            {
              path: 'end',
              message: `the period holds ${runs >= TEMPORAL_MATCHING_TIMES_CAP ? 'at least ' : ''}${runs} runs of this schedule; one backfill starts at most ${MAX_BACKFILL_RUNS}`,
            },
          ]);
        await handle.backfill({ start: from, end: new Date(to.getTime() - 1), overlap });
      });
      ctx.status = 202;
      ctx.body = {
        id: ctx.params.id,
        backfill: { start: from.toISOString(), end: to.toISOString(), overlap: overlap ?? "the schedule's policy" },
        links: scheduleLinks(config, ctx.params.id),
      };
    },
  );

  router.delete(
    '/:id',
    requires('admin', { summary: 'Delete a schedule', responses: { 204: 'Deleted.', 404: problem('Unknown id.'), 409: problem('A built-in schedule.') } }),
    async (ctx) => {
      const id = ctx.params.id;
      const { description } = await existing(ctx, id, 'act');
      refuseBuiltin(id, description.memo?.createdBy, 'remove');
      await act(ctx, id, (handle) => handle.delete());
      ctx.status = 204;
    },
  );

  /** How many times the schedule's spec fires in [start, end], as Temporal counts them. */
  async function matchingTimes(scheduleId: string, start: Date, end: Date): Promise<number> {
    const request = { namespace: config.temporal.namespace, scheduleId, startTime: msToTs(start.getTime()), endTime: msToTs(end.getTime()) };
    const response: { startTime?: unknown[] | null } = await client.workflowService.listScheduleMatchingTimes(request);
    return response.startTime?.length ?? 0;
  }

  return router;
}

/** Temporal answers at most this many matching times for one query. */
const TEMPORAL_MATCHING_TIMES_CAP = 1000;

/** A run id prefix of the application's own (comment-, schedule-, …) would let this schedule's runs take their ids. */
function refuseReservedPrefix(workflowId: string | undefined): void {
  const prefix = workflowId === undefined ? undefined : reservedPrefixOf(workflowId);
  if (prefix) throw badRequest([{ path: 'action.workflowId', message: `must not start with "${prefix}": the application's own runs use that prefix` }]);
}

/** Temporal's refusals as problems: unknown id 404, taken id 409, invalid argument 400. */
export function scheduleProblem(error: unknown, id: string, writingSpec = false): unknown {
  if (error instanceof ScheduleNotFoundError) return notFound(`no schedule with id ${id}`);
  if (error instanceof ScheduleAlreadyRunning) return conflict(`a schedule with id ${id} already exists`);
  // The SDK rethrows Temporal's "Invalid schedule spec: …" as a TypeError with the rest of the message.
  if (writingSpec && error instanceof TypeError) return invalid([{ path: 'spec', message: `Temporal refused it: ${error.message}` }]);
  const cause = error instanceof ServiceError ? error.cause : error;
  if (isGrpcServiceError(cause) && cause.code === GrpcStatus.INVALID_ARGUMENT) return invalid([{ path: '', message: `Temporal refused it: ${cause.details}` }]);
  return error;
}

function invalid(issues: Issue[]): HttpProblem {
  return badRequest(issues, 'Temporal refused the schedule; nothing was changed.');
}
