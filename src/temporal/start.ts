/**
 * The one way anything starts an Orchestra workflow: on the orchestrator's queue, with the
 * search attributes the UI and `GET /workflows` filter on (OrchestraWorkflowKind,
 * OrchestraTasks, OrchestraTenant). The API's canvases, the application's runs and the schedules' actions
 * all go through here.
 */
import type { Client, WorkflowHandleWithFirstExecutionRunId, WorkflowStartOptions } from '@temporalio/client';
import { TypedSearchAttributes, type WorkflowIdReusePolicy } from '@temporalio/common';
import { WORKFLOW_TASK_QUEUE } from '../workflows/tasks/pools';
import { TagsKey, TasksKey, TenantKey, WorkflowKindKey } from './search-attributes';
import type { WorkflowArgs } from '../workflows/signatures';
import type { WorkflowType } from '../workflows/workflow-types';
import { parseDuration } from '../workflows/language/duration';
import { taskNamesOf, type CanvasRequest } from '../workflows/language/types';
import { isTaskName } from '../workflows/tasks/catalog';

export interface WorkflowStart<T extends WorkflowType> {
  type: T;
  workflowId: string;
  args: WorkflowArgs<T>;
  /** The tasks the run may schedule (the registry's and the Python pool's), for the OrchestraTasks search attribute. */
  tasks: readonly string[];
  /** Who owns the run (./tenants.ts), for the OrchestraTenant search attribute. */
  tenant: string;
  /** The caller's labels, for the OrchestraTags search attribute. */
  tags?: readonly string[];
  /** The caller's metadata, kept in the memo (RUN_METADATA_MEMO) beside `memo`. */
  metadata?: unknown;
  reuse?: WorkflowIdReusePolicy;
  /** The whole run's deadline in ms (Temporal's workflowExecutionTimeout). */
  timeoutMs?: number;
  memo?: Record<string, unknown>;
  /** Temporal task priority, 1 (first) to 5; the run's activities and children inherit it. */
  priority?: number;
}

/** Queue and search attributes of every Orchestra run (schedule actions use these too). */
export function runPlacement(
  type: WorkflowType,
  tasks: readonly string[],
  tenant: string,
  tags: readonly string[] = [],
): { taskQueue: string; typedSearchAttributes: TypedSearchAttributes } {
  return {
    taskQueue: WORKFLOW_TASK_QUEUE,
    typedSearchAttributes: new TypedSearchAttributes([
      { key: WorkflowKindKey, value: type },
      { key: TenantKey, value: tenant },
      ...(tasks.length ? [{ key: TasksKey, value: [...new Set(tasks)].sort() }] : []),
      ...(tags.length ? [{ key: TagsKey, value: [...tags] }] : []),
    ]),
  };
}

/** The memo field holding a request's `metadata` (GET /workflows/:id shows it). */
export const RUN_METADATA_MEMO = 'orchestraMetadata';

/** The memo fields that keep a run's `metadata`: none without it. */
export function metadataMemo(metadata: unknown): Record<string, unknown> {
  return metadata === undefined ? {} : { [RUN_METADATA_MEMO]: metadata };
}

/** A request without its `tags` and `metadata`: those go on the run (search attribute, memo), not into the workflow's input. */
export function withoutRunLabels<T extends { tags?: unknown; metadata?: unknown }>(request: T): Omit<T, 'tags' | 'metadata'> {
  const { tags: _tags, metadata: _metadata, ...rest } = request;
  return rest;
}

/**
 * What a canvas request decides of its run's start, however it is started (POST /workflows,
 * a retry, an event): the tasks its search attribute lists (the registry's, and the Python
 * pool's it names), its timeout and its priority.
 */
export function canvasStartOptions(
  request: Pick<CanvasRequest, 'canvas' | 'timeout' | 'priority'>,
  python: { has(task: string): boolean },
): Pick<WorkflowStart<'canvas'>, 'tasks' | 'timeoutMs' | 'priority'> {
  return {
    tasks: taskNamesOf(request.canvas).filter((task) => isTaskName(task) || python.has(task)),
    timeoutMs: request.timeout === undefined ? undefined : parseDuration(request.timeout),
    priority: request.priority,
  };
}

export function startWorkflow<T extends WorkflowType>(client: Client, start: WorkflowStart<T>): Promise<WorkflowHandleWithFirstExecutionRunId> {
  const memo = { ...start.memo, ...metadataMemo(start.metadata) };
  const options: WorkflowStartOptions = {
    ...runPlacement(start.type, start.tasks, start.tenant, start.tags),
    workflowId: start.workflowId,
    args: start.args,
    workflowIdReusePolicy: start.reuse,
    workflowExecutionTimeout: start.timeoutMs,
    memo: Object.keys(memo).length ? memo : undefined,
    priority: start.priority === undefined ? undefined : { priorityKey: start.priority },
  };
  return client.workflow.start(start.type, options);
}
