/**
 * Reading workflow runs from Temporal into the API's view: status, result or failure,
 * the canvas's live node tree, and each running task's own heartbeat progress.
 */
import {
  isGrpcServiceError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
} from '@temporalio/client';
import type { LoadedDataConverter, Payload } from '@temporalio/common';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { temporal } from '@temporalio/proto';
import { describeFailure, readCanvasFailure } from '../workflows/language/failures';
import { FINAL_STATE_MEMO } from '../workflows/language/final-state';
import type { CanvasFailure, CanvasState, Json, NodeState } from '../workflows/language/types';
import type { Config } from '../config';
import { ClosedRunCache } from './closed-run-cache';
import { runLinks, type RunLinks } from '../temporal/links';
import { GrpcStatus } from '../temporal/grpc-status';
import { TagsKey, TasksKey, TenantKey, WorkflowKindKey } from '../temporal/search-attributes';
import { RUN_METADATA_MEMO } from '../temporal/start';
import { withinReach, type TenantReach } from '../workflows/tenants';
import { badRequest, conflict, notFound } from '../http/problem';
import { retryLinks, type RunRef } from './retry';

export const RUN_STATUSES = ['RUNNING', 'COMPLETED', 'FAILED', 'CANCELED', 'TERMINATED', 'TIMED_OUT', 'CONTINUED_AS_NEW'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunFailure {
  type: string;
  message: string;
  node?: CanvasFailure['node'];
}

/** One run as `GET /workflows/:id` shows it: its summary plus outcome and live state. */
export interface RunView extends RunSummary {
  /** Who owns the run (OrchestraTenant); null for runs from before tenants. */
  tenant: string | null;
  /** The request's `metadata`, null when it gave none. */
  metadata: Json | null;
  result: Json | null;
  failure: RunFailure | null;
  progress: CanvasState['progress'] | null;
  state: NodeState | null;
  /** The run this one retries (POST /workflows/:id/retry), and the run that retried this one. */
  retryOf?: RunRef;
  retriedBy?: RunRef;
}

/**
 * How long the API waits for a worker to answer the state query: a closed run's query
 * replays its whole history on a worker, which takes longer than a cached running one.
 */
const QUERY_DEADLINE_MS = { running: 3000, closed: 15_000 };

type Outcome = Pick<RunView, 'result' | 'failure' | 'progress' | 'state'>;

/** How a closed run ended: its result, or its failure. */
export type RunOutcome = Pick<RunView, 'result' | 'failure'>;

function failedOutcome(error: WorkflowFailedError): RunOutcome {
  return { result: null, failure: readCanvasFailure(error) ?? describeFailure(error.cause ?? error) };
}

export class Runs {
  /**
   * A closed run's state query replays its whole history on a worker; its answer cannot
   * change, so each closed run is asked once (by run id, within RUN_CACHE_MAX_BYTES).
   */
  private readonly closed: ClosedRunCache<Outcome>;

  constructor(
    private readonly client: Client,
    private readonly config: Config,
  ) {
    this.closed = new ClosedRunCache(config.api.closedRunCacheBytes);
  }

  handle(workflowId: string): WorkflowHandle {
    return this.client.workflow.getHandle(workflowId);
  }

  /**
   * The run's description when it is within `reach` for `purpose`. Unknown and another
   * tenant's are the same 404: the answer says nothing about other tenants' runs.
   */
  async describeWithin(workflowId: string, reach: TenantReach, purpose: 'read' | 'act' = 'read'): Promise<WorkflowExecutionDescription> {
    const missing = () => notFound(`no workflow with id ${workflowId}`);
    const description = await this.handle(workflowId)
      .describe()
      .catch((error: unknown) => {
        throw error instanceof WorkflowNotFoundError ? missing() : error;
      });
    if (!reach.all && !withinReach(reach, await this.ownerOf(description), purpose)) throw missing();
    return description;
  }

  /**
   * A caller-chosen id must not be another tenant's: Temporal would start a new run under
   * an id whose last run has closed, and the owner would then find the stranger's run there.
   */
  async assertIdAvailable(workflowId: string, reach: TenantReach): Promise<void> {
    if (reach.all) return;
    const description = await this.handle(workflowId)
      .describe()
      .catch((error: unknown) => {
        if (error instanceof WorkflowNotFoundError) return undefined;
        throw error;
      });
    // Taken, and nothing said of whose or in what state.
    if (description && !withinReach(reach, await this.ownerOf(description), 'act')) throw conflict(`the workflow id ${workflowId} is taken; choose another`);
  }

  /** The run's tenant; a delegated chunk (a child run) belongs to its parent's. */
  private async ownerOf(description: WorkflowExecutionDescription, depth = 0): Promise<string | undefined> {
    const own = description.typedSearchAttributes.get(TenantKey);
    const parentId = description.parentExecution?.workflowId;
    if (own !== undefined || !parentId || depth >= 3) return own;
    const parent = await this.client.workflow
      .getHandle(parentId)
      .describe()
      .catch(() => undefined);
    return parent && this.ownerOf(parent, depth + 1);
  }

  /**
   * The run's view; an unknown id (or one out of `reach`) is a 404, never a pending forever.
   * `closedWith` is the outcome waitForClose just read, so a closed run's result is not read twice.
   */
  async view(workflowId: string, reach: TenantReach, closedWith?: RunOutcome): Promise<RunView> {
    const handle = this.handle(workflowId);
    const description = await this.describeWithin(workflowId, reach);
    const status = runStatus(description.status.name);
    const view: RunView = {
      workflowId,
      runId: description.runId,
      type: description.type,
      status,
      tenant: description.typedSearchAttributes.get(TenantKey) ?? null,
      tags: description.typedSearchAttributes.get(TagsKey) ?? [],
      metadata: (description.memo?.[RUN_METADATA_MEMO] as Json | undefined) ?? null,
      startTime: description.startTime.toISOString(),
      closeTime: description.closeTime?.toISOString() ?? null,
      result: null,
      failure: null,
      progress: null,
      state: null,
      links: runLinks(this.config, workflowId, description.runId),
    };
    Object.assign(view, await retryLinks(this.client, workflowId, description));
    const remembered = this.closed.get(description.runId);
    if (remembered) return { ...view, ...remembered };
    if (status !== 'RUNNING') Object.assign(view, closedWith ?? (await this.outcome(this.client.workflow.getHandle(workflowId, description.runId))));
    // A run that closed by itself recorded its final state in its memo: no query, no replay.
    // Terminated and timed-out runs ran no code at the end; they are asked (once) instead.
    const recorded = status === 'RUNNING' ? undefined : (description.memo?.[FINAL_STATE_MEMO] as CanvasState | undefined);
    const state = recorded ?? (await this.queryState(handle, status === 'RUNNING' ? QUERY_DEADLINE_MS.running : QUERY_DEADLINE_MS.closed));
    if (state) {
      view.progress = state.progress;
      view.state = state.root;
      await addHeartbeats(state.root, description.raw.pendingActivities ?? [], this.client.options.loadedDataConverter);
    }
    if (status !== 'RUNNING' && state) this.remember(description.runId, view);
    return view;
  }

  private remember(runId: string, { result, failure, progress, state }: RunView): void {
    this.closed.set(runId, { result, failure, progress, state });
  }

  private async outcome(handle: WorkflowHandle): Promise<RunOutcome> {
    try {
      return { result: (await handle.result()) as Json, failure: null };
    } catch (error) {
      if (!(error instanceof WorkflowFailedError)) throw error;
      return failedOutcome(error);
    }
  }

  /** The canvas state, or null for workflows that do not answer it (or no worker in time). */
  private async queryState(handle: WorkflowHandle, deadlineMs: number): Promise<CanvasState | null> {
    try {
      return await this.client.withDeadline(Date.now() + deadlineMs, () => handle.query<CanvasState>('state'));
    } catch {
      return null;
    }
  }

  /**
   * Waits up to `timeoutMs` for the run to close. Answers whether it did, with its outcome
   * when the wait read one (for view(), which then need not read it again).
   */
  async waitForClose(workflowId: string, timeoutMs: number, reach: TenantReach): Promise<{ closed: boolean; outcome?: RunOutcome }> {
    // An admin's wait reads nothing first: an unknown id is found by the wait itself.
    if (!reach.all) await this.describeWithin(workflowId, reach);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const result = (await this.client.withAbortSignal(controller.signal, () => this.handle(workflowId).result())) as Json;
      return { closed: true, outcome: { result, failure: null } };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) throw notFound(`no workflow with id ${workflowId}`);
      if (error instanceof WorkflowFailedError) return { closed: true, outcome: failedOutcome(error) };
      return { closed: !controller.signal.aborted };
    } finally {
      clearTimeout(timer);
    }
  }

  async list(filter: RunFilter & { pageSize: number; cursor?: string }): Promise<{ runs: RunSummary[]; nextCursor: string | null }> {
    const response = await this.client.workflowService
      .listWorkflowExecutions({
        namespace: this.config.temporal.namespace,
        pageSize: filter.pageSize,
        nextPageToken: filter.cursor ? Buffer.from(filter.cursor, 'base64url') : undefined,
        query: runQuery(filter),
      })
      .catch((error: unknown) => {
        // The server answers a page token it cannot read with UNKNOWN (not retried, ../temporal/clients).
        const refused = isGrpcServiceError(error) && (error.code === GrpcStatus.UNKNOWN || error.code === GrpcStatus.INVALID_ARGUMENT);
        if (filter.cursor && refused)
          throw badRequest([{ path: 'query.cursor', message: 'is not a cursor this API gave; start again without one' }], 'The query is not valid.');
        throw error;
      });
    const runs = (response.executions ?? []).map((info) => summary(this.config, info));
    const token = response.nextPageToken;
    return { runs, nextCursor: token && token.length ? Buffer.from(token).toString('base64url') : null };
  }
}

/** A visibility query for the runs `filter` matches (quotes and backslashes dropped from values). */
export function runQuery(filter: RunFilter): string {
  const clauses: string[] = [];
  const quoted = (value: string) => `"${value.replace(/["\\]/g, '')}"`;
  if (filter.status) clauses.push(`ExecutionStatus = "${VISIBILITY_STATUS[filter.status]}"`);
  if (filter.type) clauses.push(`WorkflowType = ${quoted(filter.type)}`);
  if (filter.idPrefix) clauses.push(`WorkflowId STARTS_WITH ${quoted(filter.idPrefix)}`);
  if (filter.kind) clauses.push(`${WorkflowKindKey.name} = ${quoted(filter.kind)}`);
  // A keyword list equals a value when it contains it.
  if (filter.task) clauses.push(`${TasksKey.name} = ${quoted(filter.task)}`);
  if (filter.tenant) clauses.push(`${TenantKey.name} = ${quoted(filter.tenant)}`);
  // Every tag given: a keyword list equals each value it contains.
  for (const tag of filter.tags ?? []) clauses.push(`${TagsKey.name} = ${quoted(tag)}`);
  if (filter.ids?.length) clauses.push(`WorkflowId IN (${filter.ids.map(quoted).join(', ')})`);
  if (filter.startedAfter) clauses.push(`StartTime > ${quoted(filter.startedAfter)}`);
  if (filter.startedBefore) clauses.push(`StartTime <= ${quoted(filter.startedBefore)}`);
  for (const type of filter.excludeTypes ?? []) clauses.push(`WorkflowType != ${quoted(type)}`);
  return clauses.join(' AND ');
}

/** What GET /workflows can narrow the list by (the search attributes the API sets on each start). */
export interface RunFilter {
  status?: RunStatus;
  type?: string;
  /** Workflow ids starting with this. */
  idPrefix?: string;
  /** The OrchestraWorkflowKind search attribute: canvas, or a code workflow's kind. */
  kind?: string;
  /** A task the run's canvas uses (OrchestraTasks). */
  task?: string;
  /** The runs of one tenant (OrchestraTenant). */
  tenant?: string;
  /** Runs carrying every one of these tags (OrchestraTags). */
  tags?: readonly string[];
  /** These runs only. */
  ids?: readonly string[];
  /** Runs started after, or at or before, these ISO times. */
  startedAfter?: string;
  startedBefore?: string;
  /** Workflow types left out (a bulk operation's own runs). */
  excludeTypes?: readonly string[];
}

export interface RunSummary {
  workflowId: string;
  runId: string;
  type: string;
  status: RunStatus;
  startTime: string | null;
  closeTime: string | null;
  /** The request's `tags` (OrchestraTags). */
  tags: string[];
  links: RunLinks;
}

/** The SDK spells one status CANCELLED; Temporal's own name (CLI, UI, server) is CANCELED. */
function runStatus(sdkName: string): RunStatus {
  return (sdkName === 'CANCELLED' ? 'CANCELED' : sdkName) as RunStatus;
}

const VISIBILITY_STATUS: Record<RunStatus, string> = {
  RUNNING: 'Running',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  CANCELED: 'Canceled',
  TERMINATED: 'Terminated',
  TIMED_OUT: 'TimedOut',
  CONTINUED_AS_NEW: 'ContinuedAsNew',
};

type ExecutionInfo = temporal.api.workflow.v1.IWorkflowExecutionInfo;

function summary(config: Config, info: ExecutionInfo): RunSummary {
  const workflowId = info.execution?.workflowId ?? '';
  const runId = info.execution?.runId ?? '';
  const statusName = temporal.api.enums.v1.WorkflowExecutionStatus[info.status ?? 0] ?? 'UNSPECIFIED';
  return {
    workflowId,
    runId,
    type: info.type?.name ?? '',
    status: statusName.replace('WORKFLOW_EXECUTION_STATUS_', '') as RunStatus,
    startTime: timestamp(info.startTime),
    closeTime: timestamp(info.closeTime),
    tags: decodeTypedSearchAttributes(info.searchAttributes?.indexedFields as Record<string, Payload> | undefined).get(TagsKey) ?? [],
    links: runLinks(config, workflowId, runId),
  };
}

function timestamp(ts: { seconds?: { toNumber(): number } | number | null; nanos?: number | null } | null | undefined): string | null {
  if (!ts || ts.seconds == null) return null;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : ts.seconds.toNumber();
  return new Date(seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString();
}

type PendingActivity = temporal.api.workflow.v1.IPendingActivityInfo;

/**
 * Running tasks report their attempt and own progress through Temporal, keyed by node path.
 * Heartbeat details arrive as raw payloads (describe does not decode them), so they go
 * through the client's own codecs (encryption) and converter, as the worker wrote them.
 */
async function addHeartbeats(root: NodeState, pending: PendingActivity[], converter: LoadedDataConverter): Promise<void> {
  if (pending.length === 0) return;
  const byPath = new Map<string, NodeState>();
  const visit = (node: NodeState) => {
    byPath.set(node.path, node);
    node.children?.forEach(visit);
  };
  visit(root);
  for (const activity of pending) {
    const node = byPath.get(activity.activityId ?? '');
    if (!node) continue;
    node.attempt = activity.attempt ?? undefined;
    const details = activity.heartbeatDetails?.payloads?.[0];
    if (details) {
      // One unreadable heartbeat (a key no longer configured) shows no progress, not a 500.
      const beat = await decodePayload<{ progress?: number; message?: string; meta?: Json }>(details as Payload, converter).catch(() => undefined);
      node.heartbeat = { progress: beat?.progress ?? null, message: beat?.message ?? null, ...(beat?.meta === undefined ? {} : { meta: beat.meta }) };
    }
    const lastFailure = activity.lastFailure;
    if (lastFailure) node.lastError = { type: lastFailure.applicationFailureInfo?.type ?? 'Error', message: lastFailure.message ?? '' };
  }
}

/** Codecs undo in the reverse order of encoding (the last codec encoded last). */
async function decodePayload<T>(payload: Payload, converter: LoadedDataConverter): Promise<T> {
  let payloads = [payload];
  for (const codec of [...converter.payloadCodecs].reverse()) payloads = await codec.decode(payloads);
  return converter.payloadConverter.fromPayload<T>(payloads[0]!);
}
