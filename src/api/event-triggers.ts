/**
 * What POST /events/:name does (README, "Event triggers"): start every canvas registered for
 * the event whose filter its payload meets (the caller's tenant's triggers and the built-in
 * ones), and with `deliverToWaiting` resume the caller's runs whose wait nodes wait for it.
 *
 * Idempotent by event id: the event is recorded before anything starts (src/triggers/event-log.ts),
 * each run's id is derived from (tenant, event id, trigger id) (src/triggers/run-ids.ts) and
 * started with REJECT_DUPLICATE, and each resumed run keeps an event id once (the workflow's
 * inbox). So the same id again, even after a crash between two starts, starts only what the
 * first request did not, and answers the same runs.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Config } from '../config';
import { HttpProblem } from '../http/problem';
import type { ApiMetrics } from '../http/metrics';
import { pythonTasksFor, pythonTasksOf, type PythonCatalog } from '../tasks/python-catalog';
import { canvasStartOptions, startWorkflow, withoutRunLabels } from '../temporal/start';
import { TenantKey, WaitingForKey } from '../temporal/search-attributes';
import type { BuiltinTriggers } from '../triggers/builtin-registry';
import { EVENT_METADATA_KEY, type TriggerDefinition } from '../triggers/definition';
import { eventHash, recordDelivery, recordEvent, type EventRecord, type PlannedStart } from '../triggers/event-log';
import { matchesFilter } from '../triggers/filter';
import { TRIGGER_LIMITS } from '../triggers/limits';
import { eventRunId } from '../triggers/run-ids';
import { triggersFor, type StoredTrigger } from '../triggers/store';
import { EVENT_SIGNAL, type CanvasEvent } from '../workflows/language/events';
import type { Json } from '../workflows/language/types';
import { APP_TENANT } from '../workflows/tenants';
import { WORKFLOW_TYPES } from '../workflows/workflow-types';
import { inParallel } from './in-parallel';

export interface EventDeps {
  client: Client;
  config: Config;
  metrics: ApiMetrics;
  pythonCatalog: PythonCatalog;
  builtins: BuiltinTriggers;
}

/** Who posts: the tenant whose triggers and runs the event reaches, and how the sender is recorded. */
export interface EventSender {
  tenant: string;
  sentBy: string;
}

export interface PostedEvent {
  name: string;
  eventId: string;
  payload: Json;
  deliverToWaiting: boolean;
}

/** One run the event started (or had started, when repeated). */
export interface StartedRun {
  triggerId: string;
  workflowId: string;
  runId?: string;
  builtin?: true;
  /** The run existed already: this event id came before. */
  existing?: true;
  /** The trigger was deleted after the first request and before its run could start: no run. */
  notStarted?: 'trigger deleted';
}

export interface EventAnswer {
  /** 202 a new event; 200 the same event id again (nothing new started). */
  status: 200 | 202;
  body: {
    eventId: string;
    event: string;
    repeated: boolean;
    started: StartedRun[];
    delivered: Array<{ workflowId: string }>;
    deliveryTruncated?: true;
  };
}

/** Starts at once: enough to hide Temporal's round trips for an event's (at most 20) triggers. */
const START_CONCURRENCY = 5;
const SIGNAL_CONCURRENCY = 8;

export async function postEvent(deps: EventDeps, sender: EventSender, event: PostedEvent): Promise<EventAnswer> {
  const { name, eventId, payload, deliverToWaiting } = event;
  const own = await triggersFor(sender.tenant, name);
  const builtins = deps.builtins.forEvent(name);
  const hash = eventHash({ name, payload, deliverToWaiting });
  const plan: PlannedStart[] = [
    ...own.filter((t) => matchesFilter(t.filter, payload)).map((t) => ({ triggerId: t.id, workflowId: eventRunId(sender.tenant, eventId, t.id) })),
    ...builtins
      .filter((t) => matchesFilter(t.filter, payload))
      .map((t) => ({ triggerId: t.id, workflowId: eventRunId(sender.tenant, eventId, t.id), builtin: true as const })),
  ];
  const { fresh, record } = await recordEvent({ tenant: sender.tenant, eventId, name, hash, starts: plan, deliverToWaiting });
  if (!fresh && record.hash !== hash) {
    throw new HttpProblem(422, 'Unprocessable Content', 'This Event-Id was used with a different event; use a new id for a new event.', [
      { path: 'header.Event-Id', message: 'was used with a different event name, payload or deliverToWaiting' },
    ]);
  }
  // A repeat starts what its first request planned, with the triggers as they are now.
  const definitions = new Map<string, TriggerDefinition>([...own, ...builtins].map((t) => [t.id, t]));
  const started = await inParallel(record.starts, START_CONCURRENCY, (planned) =>
    startRun(deps, sender, record, planned, definitions.get(planned.triggerId), payload),
  );
  const delivery = deliverToWaiting
    ? await deliver(deps, sender, record, payload, new Set(started.map((s) => s.workflowId)))
    : { delivered: [], truncated: false };
  return {
    status: fresh ? 202 : 200,
    body: {
      eventId,
      event: name,
      repeated: !fresh,
      started,
      delivered: delivery.delivered.map((workflowId) => ({ workflowId })),
      ...(delivery.truncated ? { deliveryTruncated: true as const } : {}),
    },
  };
}

async function startRun(
  deps: EventDeps,
  sender: EventSender,
  record: EventRecord,
  planned: PlannedStart,
  trigger: TriggerDefinition | undefined,
  payload: Json,
): Promise<StartedRun> {
  const { client, metrics, pythonCatalog } = deps;
  const { triggerId, workflowId, builtin } = planned;
  const base: StartedRun = { triggerId, workflowId, ...(builtin ? { builtin } : {}) };
  if (!trigger) {
    const existing = await client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    return existing ? { ...base, runId: existing.runId, existing: true } : { ...base, notStarted: 'trigger deleted' };
  }
  const request = trigger.request;
  // Built-in triggers' runs are the application's; a tenant's triggers' runs are the tenant's.
  const owner = builtin ? APP_TENANT : sender.tenant;
  const python = await pythonTasksFor(pythonCatalog, request);
  const pythonTasks = pythonTasksOf({ ...request }, python);
  try {
    const handle = await startWorkflow(client, {
      type: WORKFLOW_TYPES.canvas,
      workflowId,
      // The payload is the canvas's input: its first step receives it (docs/canvas.md, "Started by an event").
      args: [{ ...withoutRunLabels(request), ...(pythonTasks ? { pythonTasks } : {}), ...signerOf(trigger), input: { value: payload }, tenant: owner }],
      ...canvasStartOptions(request, python),
      tenant: owner,
      tags: request.tags,
      metadata: { ...request.metadata, [EVENT_METADATA_KEY]: { name: record.name, id: record.eventId, trigger: triggerId, receivedAt: record.receivedAt } },
      // Never a second run for one event and trigger while Temporal keeps the first (its retention).
      reuse: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    });
    metrics.workflowStarts.inc({ type: WORKFLOW_TYPES.canvas });
    return { ...base, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    const existing = await client.workflow.getHandle(workflowId).describe();
    return { ...base, runId: existing.runId, existing: true };
  }
}

/** Whose signing secret signs the run's `notify` webhook: the key that registered the trigger (a built-in one has none). */
function signerOf(trigger: TriggerDefinition | StoredTrigger): { notifySigner?: string } {
  return trigger.request.notify && 'signer' in trigger ? { notifySigner: trigger.signer } : {};
}

/**
 * Signals the sender's running runs that wait for the event (OrchestraWaitingFor, which the
 * wait nodes keep: src/workflows/waiting-for.ts), at most TRIGGER_LIMITS.deliveries. A repeat
 * after a finished delivery answers the runs recorded then and signals nothing.
 */
async function deliver(
  deps: EventDeps,
  sender: EventSender,
  record: EventRecord,
  payload: Json,
  startedNow: ReadonlySet<string>,
): Promise<{ delivered: string[]; truncated: boolean }> {
  if (record.delivered) return { delivered: record.delivered, truncated: record.deliveryTruncated === true };
  const query = `ExecutionStatus = "Running" AND ${TenantKey.name} = "${sender.tenant}" AND ${WaitingForKey.name} = "${record.name}"`;
  const waiting: string[] = [];
  let truncated = false;
  for await (const run of deps.client.workflow.list({ query, pageSize: TRIGGER_LIMITS.deliveries })) {
    if (startedNow.has(run.workflowId)) continue;
    if (waiting.length === TRIGGER_LIMITS.deliveries) {
      truncated = true;
      break;
    }
    waiting.push(run.workflowId);
  }
  const event: CanvasEvent = { name: record.name, payload, id: record.eventId, sentBy: sender.sentBy, sentAt: record.receivedAt };
  const signalled = await inParallel(waiting, SIGNAL_CONCURRENCY, async (workflowId) => {
    try {
      await deps.client.workflow.getHandle(workflowId).signal(EVENT_SIGNAL, event);
      return workflowId;
    } catch (error) {
      // It ended since the query: nothing to resume.
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  });
  const delivered = signalled.filter((id): id is string => id !== undefined);
  await recordDelivery(sender.tenant, record.eventId, delivered, truncated);
  return { delivered, truncated };
}
