/**
 * Bulk cancel and retry (README, "Operating many runs"): POST /workflows/bulk/cancel and
 * /workflows/bulk/retry act on every run a filter matches within the caller's reach, as a
 * tracked operation (a bulkOperation run, src/workflows/bulk-operation.ts) that
 * GET /operations/:id follows. `?dryRun=true` answers the count and starts nothing.
 */
import { Router } from '@koa/router';
import { WorkflowFailedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { RUN_TAGS, TagSchema, WorkflowIdSchema } from '../../canvas/schemas';
import { readValid } from '../../http/body';
import { callerTenant, requires, taskReach, tenantReach } from '../../http/auth';
import { badRequest, notFound } from '../../http/problem';
import { json, problem } from '../../http/route-docs';
import { startWorkflow } from '../../temporal/start';
import { BULK_ACTIONS, BULK_PROGRESS_QUERY, type BulkAction, type BulkInput, type BulkProgress } from '../../workflows/language/bulk';
import { WORKFLOW_TYPES } from '../../workflows/workflow-types';
import type { AppContext } from '../context';
import { runQuery, RUN_STATUSES, type RunStatus } from '../runs';
import { filterText } from './workflow-docs';

/** Runs one operation may act on: past it, narrow the filter (e.g. by startedBefore) and send several. */
export const MAX_BULK_RUNS = 10_000;
/** Runs named one by one in a filter (`ids`): a page of the dashboard's list. */
export const MAX_BULK_IDS = 100;
/** Runs listed and acted on per page, and the most acted on per second (Temporal's own rate limits stay far off). */
export const BULK_PAGE_SIZE = 50;
export const BULK_RUNS_PER_SECOND = 50;

/** The statuses each action applies to: the first is the default. */
const ACTION_STATUSES: Record<BulkAction, readonly RunStatus[]> = {
  cancel: ['RUNNING'],
  retry: ['FAILED', 'CANCELED', 'TERMINATED', 'TIMED_OUT'],
};

const BulkFilter = z
  .strictObject({
    status: z
      .enum(RUN_STATUSES)
      .optional()
      .meta({ description: 'cancel: RUNNING (the default); retry: FAILED (the default), CANCELED, TERMINATED or TIMED_OUT.' }),
    tag: z.array(TagSchema).max(RUN_TAGS.max).optional().meta({ description: 'Runs carrying every one of these tags.' }),
    task: filterText.optional().meta({ description: 'Runs whose canvas uses this task.' }),
    kind: filterText.optional().meta({ description: 'The OrchestraWorkflowKind, e.g. canvas.' }),
    idPrefix: filterText.optional().meta({ description: 'Workflow ids starting with this.' }),
    ids: z
      .array(WorkflowIdSchema)
      .min(1)
      .max(MAX_BULK_IDS)
      .optional()
      .meta({ description: `These runs (at most ${MAX_BULK_IDS}): the dashboard's selection.` }),
    startedAfter: z.iso.datetime({ offset: true }).optional(),
    startedBefore: z.iso.datetime({ offset: true }).optional(),
  })
  .meta({ id: 'BulkFilter' });

const BulkBody = z.strictObject({
  filter: BulkFilter,
  reason: z.string().max(500).optional().meta({ description: 'Logged with each cancel.' }),
});

const ActionParam = z.enum(BULK_ACTIONS);

export const BULK_DOCS = {
  start: {
    summary: 'Cancel or retry every run a filter matches, as a tracked operation',
    description: [
      "`cancel` requests cancellation of each matching RUNNING run; `retry` starts a retry of each matching canvas run that ended (POST /workflows/:id/retry), skipping runs already retried. Only the caller's tenant's runs match (every tenant's for admin keys), and only runs started before the request.",
      `A filter needs at least one criterion besides status. One operation acts on at most ${MAX_BULK_RUNS.toLocaleString('en-US')} runs, at most ${BULK_RUNS_PER_SECOND} a second. \`?dryRun=true\` answers the count and starts nothing.`,
    ].join('\n\n'),
    params: { action: { description: 'cancel or retry', schema: ActionParam } },
    query: z.object({ dryRun: z.enum(['true', 'false']).optional().meta({ description: 'true: count the matching runs, act on none.' }) }),
    body: BulkBody,
    responses: {
      202: json(
        { json: { type: 'object', properties: { operationId: { type: 'string' }, action: { type: 'string' }, matched: { type: 'integer' } } } },
        'Started; follow GET /operations/:id.',
      ),
      200: json(
        { json: { type: 'object', properties: { action: { type: 'string' }, matched: { type: 'integer' }, dryRun: { const: true } } } },
        'The dry run: how many runs match.',
      ),
      400: problem('Invalid filter, a status the action does not apply to, no criterion, or more runs than one operation may take; nothing was started.'),
    },
  },
  operation: {
    summary: "A bulk operation's progress",
    params: { id: { description: 'The operationId POST /workflows/bulk/:action answered.' } },
    responses: {
      200: json(
        {
          json: {
            type: 'object',
            properties: {
              operationId: { type: 'string' },
              action: { type: 'string' },
              status: { type: 'string' },
              matched: { type: 'integer' },
              done: { type: 'integer' },
              failed: { type: 'integer' },
              skipped: { type: 'integer' },
              progress: { type: 'number' },
              errors: { type: 'array', items: { type: 'object' } },
            },
          },
        },
        'Counts so far (or final).',
      ),
      404: problem('No operation with this id within the key’s reach.'),
    },
  },
};

export function bulkRoutes(app: AppContext): Router {
  const router = new Router();
  const { client, config, runs } = app;

  router.post('/workflows/bulk/:action', requires('write', BULK_DOCS.start), async (ctx) => {
    const action = ActionParam.safeParse(ctx.params.action);
    if (!action.success) throw badRequest([{ path: 'path.action', message: `must be ${BULK_ACTIONS.join(' or ')}` }]);
    const { filter, reason } = await readValid(ctx, BulkBody, config.api.maxBodyBytes);
    const statuses = ACTION_STATUSES[action.data];
    const status = filter.status ?? statuses[0];
    if (!statuses.includes(status)) throw badRequest([{ path: 'filter.status', message: `${action.data} applies to ${statuses.join(', ')} runs` }]);
    const { status: _status, ...criteria } = filter;
    if (Object.values(criteria).every((v) => v === undefined || (Array.isArray(v) && v.length === 0)))
      throw badRequest([
        { path: 'filter', message: 'needs at least one criterion besides status (tag, task, kind, idPrefix, ids, startedAfter, startedBefore)' },
      ]);
    const reach = tenantReach(ctx);
    const query = runQuery({
      status,
      tags: filter.tag,
      task: filter.task,
      kind: filter.kind,
      idPrefix: filter.idPrefix,
      ids: filter.ids,
      tenant: reach.all ? undefined : reach.tenant,
      // Runs started after the request are not this operation's (nor are its own retries).
      startedAfter: filter.startedAfter,
      startedBefore: minIso(filter.startedBefore, new Date().toISOString()),
      type: action.data === 'retry' ? WORKFLOW_TYPES.canvas : undefined,
      excludeTypes: [WORKFLOW_TYPES.bulkOperation],
    });
    const { count } = await client.workflowService.countWorkflowExecutions({ namespace: config.temporal.namespace, query });
    const matched = Number(count ?? 0);
    if (ctx.query.dryRun === 'true') {
      ctx.body = { action: action.data, matched, dryRun: true };
      return;
    }
    if (matched > MAX_BULK_RUNS) {
      throw badRequest([
        { path: 'filter', message: `matches ${matched} runs; one operation acts on at most ${MAX_BULK_RUNS} (narrow it, e.g. with startedBefore)` },
      ]);
    }
    const input: BulkInput = {
      action: action.data,
      query,
      matched,
      tenants: reach,
      tasks: taskReach(ctx),
      pageSize: BULK_PAGE_SIZE,
      perSecond: BULK_RUNS_PER_SECOND,
      ...(reason ? { reason } : {}),
    };
    const operationId = `bulk-${action.data}-${randomUUID()}`;
    await startWorkflow(client, { type: WORKFLOW_TYPES.bulkOperation, workflowId: operationId, args: [input], tasks: [], tenant: callerTenant(ctx) });
    ctx.status = 202;
    ctx.set('Location', `/operations/${operationId}`);
    ctx.body = { operationId, action: action.data, matched, links: { self: `/operations/${operationId}` } };
  });

  router.get('/operations/:id', requires('read', BULK_DOCS.operation), async (ctx) => {
    const description = await runs.describeWithin(ctx.params.id, tenantReach(ctx));
    if (description.type !== WORKFLOW_TYPES.bulkOperation) throw notFound(`no operation with id ${ctx.params.id}`);
    const handle = client.workflow.getHandle(ctx.params.id);
    const status = description.status.name;
    let progress: BulkProgress | undefined;
    let failure: string | undefined;
    if (status === 'RUNNING') progress = await handle.query<BulkProgress>(BULK_PROGRESS_QUERY);
    else if (status === 'COMPLETED') progress = (await handle.result()) as BulkProgress;
    else
      failure = await handle.result().then(
        () => undefined,
        (error: unknown) => (error instanceof WorkflowFailedError ? (error.cause?.message ?? error.message) : String(error)),
      );
    const processed = progress ? progress.done + progress.failed + progress.skipped : 0;
    ctx.body = {
      operationId: ctx.params.id,
      action: progress?.action ?? null,
      status,
      matched: progress?.matched ?? null,
      done: progress?.done ?? 0,
      failed: progress?.failed ?? 0,
      skipped: progress?.skipped ?? 0,
      progress: progress && progress.matched > 0 ? Math.min(1, processed / progress.matched) : status === 'COMPLETED' ? 1 : 0,
      errors: progress?.errors ?? [],
      ...(failure ? { failure } : {}),
      startTime: description.startTime.toISOString(),
      closeTime: description.closeTime?.toISOString() ?? null,
    };
  });

  return router;
}

function minIso(a: string | undefined, b: string): string {
  return a !== undefined && Date.parse(a) < Date.parse(b) ? a : b;
}
