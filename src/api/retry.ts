/**
 * POST /workflows/:id/retry: a new run of a failed canvas run's request that reuses the
 * results of the steps that completed and runs only the rest.
 *
 * Where the results come from: the closed run answers the `retryState` query with its
 * request, the results of its completed steps keyed by step id, and the events it received
 * (a query on a closed run replays its history on a worker, so the answer is complete,
 * never the trimmed memo, and runs recorded before this feature answer it too).
 *
 * How the runs link: the new run's memo holds `orchestraRetry` {of, root, number}; its id
 * is `<root>-retry-<number>`, where root is the first run's id and number counts the
 * retries. A closed run's `retriedBy` is found by describing the next ids in that
 * sequence and taking the one whose memo names this run (strongly consistent, unlike a
 * visibility query; an id already taken by another run is skipped, both here and at start).
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { z } from 'zod';
import { RETRY_QUERY, type Resume } from '../workflows/language/events';
import { canvasStartOptions, RUN_METADATA_MEMO, startWorkflow } from '../temporal/start';
import type { WorkflowArgs } from '../workflows/signatures';
import { WORKFLOW_TYPES } from '../workflows/workflow-types';
import { badRequest, conflict, HttpProblem } from '../http/problem';
import { validateCanvasRequest } from '../canvas/validate';
import { pythonTasksFor, pythonTasksOf, type PythonCatalog } from '../tasks/python-catalog';
import type { TaskVisibility } from '../tasks/registry';
import { TagsKey, TenantKey } from '../temporal/search-attributes';
import { APP_TENANT, type TenantReach } from '../workflows/tenants';

/** The memo field of a retry run. */
export const RETRY_MEMO = 'orchestraRetry';

/** Ids probed past a taken one (a reused workflow id can hold an unrelated run). */
const MAX_PROBES = 10;

/** The new run's input stays far under Temporal's 2 MB payload limit. */
const MAX_RESUME_BYTES = 1024 * 1024;

/** A query on a closed run replays its history on a worker. */
const QUERY_DEADLINE_MS = 15_000;

const RETRYABLE = new Set(['FAILED', 'CANCELLED', 'CANCELED', 'TERMINATED', 'TIMED_OUT']);

export const RunRefSchema = z.object({ workflowId: z.string(), runId: z.string() }).meta({ id: 'RunRef' });
export type RunRef = z.infer<typeof RunRefSchema>;

/** The 201 answer of POST /workflows/:id/retry (links are added by the route). */
export const RetryStartedSchema = RunRefSchema.extend({
  reused: z.number().int().meta({ description: 'Steps whose results the new run reuses instead of running them.' }),
  retryOf: RunRefSchema,
  links: z.record(z.string(), z.string()).optional(),
}).meta({ id: 'RetryStarted' });

interface RetryMemo {
  of: RunRef;
  root: string;
  number: number;
}

export type RetryStarted = Omit<z.infer<typeof RetryStartedSchema>, 'links'>;

type CanvasRun = WorkflowArgs<'canvas'>[0];

interface RetryState {
  request: CanvasRun;
  resume: Resume;
}

/** Whose runs the caller may retry, and which tasks its canvases may name: a retry is checked as a start would be. */
export interface RetryReach {
  tenants: TenantReach;
  tasks: TaskVisibility;
  /** The run's description when the caller may act on it; a 404 otherwise (Runs.describeWithin). */
  describeWithin: (workflowId: string, reach: TenantReach, purpose: 'act') => Promise<WorkflowExecutionDescription>;
  /** The Python pool's tasks: a retried run's Python steps take the options the pool publishes now. */
  pythonCatalog: PythonCatalog;
}

export async function retryRun(client: Client, workflowId: string, reach: RetryReach): Promise<RetryStarted> {
  const old = await reach.describeWithin(workflowId, reach.tenants, 'act');
  // The new run is the old one's tenant's, whoever retries it (an admin, say).
  const tenant = old.typedSearchAttributes.get(TenantKey) ?? APP_TENANT;
  if (old.type !== WORKFLOW_TYPES.canvas) throw conflict(`workflow ${workflowId} is a ${old.type} run; only canvas runs (POST /workflows) can be retried`);
  if (!RETRYABLE.has(old.status.name)) {
    throw conflict(`workflow ${workflowId} is ${old.status.name}; only a run that ended FAILED, CANCELED, TERMINATED or TIMED_OUT can be retried`);
  }
  const handle = client.workflow.getHandle(workflowId, old.runId);
  let state: RetryState;
  try {
    state = await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query<RetryState>(RETRY_QUERY));
  } catch (error) {
    throw new HttpProblem(
      503,
      'Service Unavailable',
      `the completed steps of ${workflowId} could not be read (no orchestrator worker answered in time): ${(error as Error).message}`,
    );
  }
  const { resume: _earlier, placement, tenant: _owner, pythonTasks: _resolved, notifySigner, input, ...stored } = state.request;
  if (placement) throw conflict(`workflow ${workflowId} is a chunk of a larger fan-out; retry the run that started it`);
  // What the caller may start today: its scope may have changed, or the run was another key's.
  const python = await pythonTasksFor(reach.pythonCatalog, stored);
  // A run an event trigger started has the event's payload as its input (docs/canvas.md): the retry keeps it.
  const validation = validateCanvasRequest(stored, { reach: reach.tasks, python, input: input !== undefined });
  if (!validation.ok) throw badRequest(validation.issues, `The request of ${workflowId} is not one this key may start (paths are in that request).`);
  const pythonTasks = pythonTasksOf(stored, python);
  const request = { ...stored, ...(pythonTasks ? { pythonTasks } : {}), ...(input ? { input } : {}) };
  if (JSON.stringify(state.resume).length > MAX_RESUME_BYTES) {
    throw conflict(`the completed steps of ${workflowId} hold more than ${MAX_RESUME_BYTES} bytes of results; too much to carry into a new run`);
  }
  const lineage = readRetryMemo(old.memo);
  const root = lineage?.root ?? workflowId;
  const retryOf: RunRef = { workflowId, runId: old.runId };
  const first = (lineage?.number ?? 0) + 1;
  for (let number = first; number < first + MAX_PROBES; number++) {
    const id = `${root}-retry-${number}`;
    const memo: RetryMemo = { of: retryOf, root, number };
    try {
      const started = await startWorkflow(client, {
        type: WORKFLOW_TYPES.canvas,
        workflowId: id,
        // Its webhook, if any, is signed as the run's was (the starting key's secret), whoever retries it.
        args: [{ ...request, resume: state.resume, tenant, ...(notifySigner === undefined ? {} : { notifySigner }) }],
        ...canvasStartOptions(request, python),
        tenant,
        // The retry carries the run's tags and metadata: it is the same piece of work.
        tags: old.typedSearchAttributes.get(TagsKey),
        metadata: old.memo?.[RUN_METADATA_MEMO],
        // Never a second run under a retry id: the id names one retry of one run.
        reuse: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        memo: { [RETRY_MEMO]: memo },
      });
      return { workflowId: id, runId: started.firstExecutionRunId, reused: Object.keys(state.resume.steps).length, retryOf };
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      const taken = await describe(client, id);
      if (taken && readRetryMemo(taken.memo)?.of.runId === old.runId) {
        throw conflict(`workflow ${workflowId} was already retried by ${id}; retry that run if it failed too`);
      }
    }
  }
  throw conflict(`no free retry id for ${workflowId} among ${root}-retry-${first}…${first + MAX_PROBES - 1}`);
}

/** The runs a canvas run is linked to by retries: the run it retries, the run that retried it. */
export async function retryLinks(
  client: Client,
  workflowId: string,
  description: WorkflowExecutionDescription,
): Promise<{ retryOf?: RunRef; retriedBy?: RunRef }> {
  if (description.type !== WORKFLOW_TYPES.canvas) return {};
  const lineage = readRetryMemo(description.memo);
  const links: { retryOf?: RunRef; retriedBy?: RunRef } = {};
  if (lineage) links.retryOf = lineage.of;
  if (!RETRYABLE.has(description.status.name)) return links;
  const root = lineage?.root ?? workflowId;
  const first = (lineage?.number ?? 0) + 1;
  for (let number = first; number < first + MAX_PROBES; number++) {
    const id = `${root}-retry-${number}`;
    const candidate = await describe(client, id);
    if (!candidate) break;
    if (readRetryMemo(candidate.memo)?.of.runId === description.runId) {
      links.retriedBy = { workflowId: id, runId: candidate.runId };
      break;
    }
  }
  return links;
}

async function describe(client: Client, workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return undefined;
    throw error;
  }
}

function readRetryMemo(memo: Record<string, unknown> | undefined): RetryMemo | undefined {
  const value = memo?.[RETRY_MEMO] as Partial<RetryMemo> | undefined;
  if (!value || typeof value.root !== 'string' || typeof value.number !== 'number' || typeof value.of?.runId !== 'string') return undefined;
  return value as RetryMemo;
}
