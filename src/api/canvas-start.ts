/**
 * Starting one canvas run: what POST /workflows does, and what POST /workflows/batch does for
 * each of its items (./batch-start). Validation with the Python pool's tasks and the
 * caller's reach, the tenant's flow-key quota, debounce, the run's id (the body's, the
 * Idempotency-Key's or a fresh one), the start with the idempotency and `exclusive` rules,
 * and the start metric. One home, so the two routes cannot answer differently.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import type { Context } from 'koa';
import type { Config } from '../config';
import { validateCanvasRequest, type Issue, type Validation } from '../canvas/validate';
import { WorkflowIdSchema } from '../canvas/schemas';
import { pythonTasksFor, pythonTasksOf, type PythonCatalog } from '../tasks/python-catalog';
import type { TaskDefinition, TaskVisibility } from '../tasks/registry';
import { canvasStartOptions, startWorkflow, withoutRunLabels } from '../temporal/start';
import { runLinks, type RunLinks } from '../temporal/links';
import type { PythonTaskSpecs } from '../workflows/tasks/catalog';
import type { CanvasRequest, DebounceSpec } from '../workflows/language/types';
import { reservedPrefixOf } from '../workflows/app/run-ids';
import type { TenantReach } from '../workflows/tenants';
import { WORKFLOW_TYPES } from '../workflows/workflow-types';
import { callerKeyId, callerTenant, taskReach, tenantReach } from '../http/auth';
import { notifyIssues, type WebhookRules } from '../webhooks/notify-check';
import type { ApiMetrics } from '../http/metrics';
import { badRequest, conflict, HttpProblem } from '../http/problem';
import { assertFlowKeyRoom } from './flow-key-quota';
import { startDebounced } from './debounced-start';
import { assertSameRequest, REQUEST_HASH_MEMO, requestHash } from './idempotency';
import type { Runs } from './runs';

/** What a start needs from the application. */
export interface CanvasStarter {
  client: Client;
  config: Config;
  runs: Runs;
  metrics: ApiMetrics;
  pythonCatalog: PythonCatalog;
}

/** Who starts: the tenant that will own the run, the runs it reaches, the tasks it may name, its key (which signs its webhooks). */
export interface StartCaller {
  tenant: string;
  tenants: TenantReach;
  tasks: TaskVisibility;
  keyId: string;
}

export function startCallerOf(ctx: Context): StartCaller {
  return { tenant: callerTenant(ctx), tenants: tenantReach(ctx), tasks: taskReach(ctx), keyId: callerKeyId(ctx) };
}

/** A request that passed validation; it carries the specs of the Python tasks it names (CanvasRun.pythonTasks). */
export interface ValidStart {
  request: CanvasRequest & { pythonTasks?: PythonTaskSpecs };
  python: ReadonlyMap<string, TaskDefinition>;
}

/** A start's answer: 201 for a new run (or a debounced request), 200 for the run that already holds the id. */
export type StartAnswer =
  | { status: 201; workflowId: string; body: { workflowId: string; runId: string; debounce?: DebounceSpec; links: RunLinks } }
  | { status: 200; workflowId: string; body: { workflowId: string; runId: string; status: string; links: RunLinks; existing: true } };

/**
 * The request body checked against the caller's reach, with the Python tasks it names
 * resolved, and its webhook's URL against the webhook rules (config.webhooks).
 */
export async function validateStart(body: unknown, caller: StartCaller, pythonCatalog: PythonCatalog, webhooks: WebhookRules): Promise<Validation<ValidStart>> {
  const python = await pythonTasksFor(pythonCatalog, body);
  const validation = validateCanvasRequest(body, { reach: caller.tasks, python });
  if (!validation.ok) return validation;
  const webhookIssues = await notifyIssues(validation.value.notify, webhooks);
  if (webhookIssues.length) return { ok: false, issues: webhookIssues };
  const pythonTasks = pythonTasksOf(validation.value, python);
  return { ok: true, value: { request: pythonTasks ? { ...validation.value, pythonTasks } : validation.value, python } };
}

/** Starts a validated request; refusals are thrown as HttpProblems (400, 409, 422, 429). */
export async function startCanvasRun(starter: CanvasStarter, caller: StartCaller, start: ValidStart, idempotencyKey: string | undefined): Promise<StartAnswer> {
  const { client, config, runs, metrics } = starter;
  const { request, python } = start;
  await assertFlowKeyRoom(client, config, caller.tenant, request);
  if (request.debounce) {
    // Collapsed into the key's one run, whose id every caller gets (docs/canvas.md, "Debounce").
    if (idempotencyKey)
      throw badRequest([{ path: 'header.Idempotency-Key', message: 'cannot be combined with debounce: requests with one key already collapse into one run' }]);
    const { workflowId, runId } = await startDebounced(client, { ...request, debounce: request.debounce }, caller.tenant);
    metrics.workflowStarts.inc({ type: WORKFLOW_TYPES.debouncer });
    return { status: 201, workflowId, body: { workflowId, runId, debounce: request.debounce, links: runLinks(config, workflowId, runId) } };
  }
  const workflowId = chooseWorkflowId(request, idempotencyKey);
  if (request.workflowId !== undefined || idempotencyKey !== undefined) await runs.assertIdAvailable(workflowId, caller.tenants);
  const hash = idempotencyKey === undefined ? undefined : requestHash(request);
  try {
    const handle = await startWorkflow(client, {
      type: WORKFLOW_TYPES.canvas,
      workflowId,
      args: [{ ...withoutRunLabels(request), tenant: caller.tenant, ...(request.notify ? { notifySigner: caller.keyId } : {}) }],
      ...canvasStartOptions(request, python),
      tenant: caller.tenant,
      tags: request.tags,
      metadata: request.metadata,
      // With a key, the id is never reused while Temporal keeps the run (see ./idempotency).
      ...(hash === undefined ? {} : { reuse: WorkflowIdReusePolicy.REJECT_DUPLICATE, memo: { [REQUEST_HASH_MEMO]: hash } }),
    });
    metrics.workflowStarts.inc({ type: WORKFLOW_TYPES.canvas });
    const runId = handle.firstExecutionRunId;
    return { status: 201, workflowId, body: { workflowId, runId, links: runLinks(config, workflowId, runId) } };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    // Workflow ids are one namespace: an id another tenant holds is taken, and that is all it says.
    const existing = await runs.describeWithin(workflowId, caller.tenants, 'act').catch((error: unknown) => {
      throw error instanceof HttpProblem && error.status === 404 ? conflict(`the workflow id ${workflowId} is taken; choose another`) : error;
    });
    // The same key again (a retry, while the run is open or after it closed): that run.
    if (hash !== undefined) assertSameRequest(existing, hash);
    // The id is taken by an open run: idempotent start returns it; exclusive refuses.
    else if (request.exclusive) throw conflict(`workflow ${workflowId} is already running; "exclusive": true allows one run at a time`);
    const body = {
      workflowId,
      runId: existing.runId,
      status: existing.status.name,
      links: runLinks(config, workflowId, existing.runId),
      existing: true as const,
    };
    return { status: 200, workflowId, body };
  }
}

/** What keeps `id` from being a run's id: not a workflow id, or one of the application's own. */
export function workflowIdIssues(id: string, path: string): Issue[] {
  const checked = WorkflowIdSchema.safeParse(id);
  if (!checked.success) return [{ path, message: checked.error.issues[0]?.message ?? 'is not a valid workflow id' }];
  const reserved = reservedPrefixOf(id);
  return reserved ? [{ path, message: `must not start with "${reserved}": ids with this prefix belong to the application's own runs` }] : [];
}

/** The body's workflowId, else the Idempotency-Key header, else a fresh id; never one of the application's own. */
function chooseWorkflowId(request: CanvasRequest, idempotencyKey: string | undefined): string {
  if (request.workflowId && idempotencyKey && request.workflowId !== idempotencyKey) {
    throw new HttpProblem(400, 'Bad Request', 'workflowId and the Idempotency-Key header differ; give one, or the same.', [
      { path: 'workflowId', message: 'differs from the Idempotency-Key header' },
    ]);
  }
  const id = request.workflowId ?? idempotencyKey;
  if (id === undefined) return `canvas-${randomUUID()}`;
  const issues = workflowIdIssues(id, request.workflowId === undefined ? 'header.Idempotency-Key' : 'workflowId');
  if (issues.length) throw badRequest(issues);
  return id;
}
