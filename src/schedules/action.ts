/**
 * What a schedule starts: a canvas (the same JSON as POST /workflows) or a code workflow
 * by name with its args. Both become Temporal's startWorkflow action on the orchestrator
 * queue, with the project's search attributes so the runs read right in the Web UI.
 */
import type { ScheduleOptionsAction } from '@temporalio/client';
import { z } from 'zod';
import { durationMs } from '../workflows/language/duration';
import { DurationSchema, WorkflowIdSchema } from '../canvas/schemas';
import { taskNamesOf, type CanvasRequest, type Duration, type Json } from '../workflows/language/types';
import { validateCanvasRequest } from '../canvas/validate';
import { getTask, isReachable, type TaskVisibility } from '../tasks/registry';
import { isTaskName } from '../workflows/tasks/catalog';
import { metadataMemo, runPlacement, withoutRunLabels } from '../temporal/start';
import { WORKFLOW_TYPES, type WorkflowType } from '../workflows/workflow-types';
import { RUN_ID_PREFIXES } from '../workflows/app/run-ids';
import { CODE_WORKFLOWS, getCodeWorkflow } from './code-workflows';
import { Issues } from '../validation/issues';
import { at } from './paths';

/** A canvas request; its `workflowId` is the prefix of the runs' ids (Temporal appends the time). */
export type CanvasAction = Omit<CanvasRequest, 'exclusive'>;

export interface WorkflowAction {
  workflow: string;
  args?: Json[];
  /** Prefix of the runs' ids; `schedule-<id>` when absent. */
  workflowId?: string;
  timeout?: Duration;
}

export type ScheduleAction = CanvasAction | WorkflowAction;

export function isWorkflowAction(action: ScheduleAction): action is WorkflowAction {
  return 'workflow' in action;
}

const WorkflowActionSchema = z
  .strictObject({
    workflow: z.string().min(1).max(200),
    args: z.array(z.json()).max(100).optional(),
    workflowId: WorkflowIdSchema.optional(),
    timeout: DurationSchema.optional(),
  })
  .meta({ id: 'WorkflowAction', description: 'A named code workflow of the project, with its args.' });

const SHAPES = '{"canvas": …} (as POST /workflows takes) or {"workflow": "<name>", "args": […]}';

/** `reach`: which tasks the action may use ('public' for API callers without admin; src/tasks/registry.ts). */
export function validateAction(value: unknown, path: string, issues: Issues, reach: TaskVisibility = 'internal'): ScheduleAction | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    issues.add(path, `must be ${SHAPES}`);
    return undefined;
  }
  const has = (key: string) => key in value;
  if (has('workflow') && has('canvas')) {
    issues.add(path, 'has both canvas and workflow; an action starts one of them');
    return undefined;
  }
  return has('workflow') ? validateWorkflowAction(value, path, issues, reach) : validateCanvasAction(value as Record<string, unknown>, path, issues, reach);
}

function validateCanvasAction(value: Record<string, unknown>, path: string, issues: Issues, reach: TaskVisibility): CanvasAction | undefined {
  const before = issues.list.length;
  if ('exclusive' in value) {
    issues.add(
      at(path, 'exclusive'),
      'does not apply to a schedule: policies.overlap decides whether runs may overlap ("SKIP", the default, allows one at a time)',
    );
  }
  if ('debounce' in value) issues.add(at(path, 'debounce'), 'does not apply to a schedule: the schedule decides when runs start');
  const validation = validateCanvasRequest(value, { reach });
  if (!validation.ok) for (const issue of validation.issues) issues.add(issue.path === '' ? path : at(path, issue.path), issue.message);
  return issues.list.length === before && validation.ok ? validation.value : undefined;
}

function validateWorkflowAction(value: object, path: string, issues: Issues, reach: TaskVisibility): WorkflowAction | undefined {
  if (!issues.check(WorkflowActionSchema, value, path)) return undefined;
  const action = value as WorkflowAction;
  const known = getCodeWorkflow(action.workflow);
  if (!known) {
    const names = CODE_WORKFLOWS.map((w) => w.name);
    issues.add(
      at(path, 'workflow'),
      `unknown workflow "${action.workflow}"; a schedule can start ${names.length ? names.join(', ') : 'no code workflow yet'}, or a canvas with {"canvas": …}`,
    );
    return undefined;
  }
  // A code workflow is as internal as the most internal task it runs.
  const internal = known.tasks.filter((task) => {
    const definition = getTask(task);
    return definition !== undefined && !isReachable(definition, reach);
  });
  if (internal.length) {
    issues.add(
      at(path, 'workflow'),
      `workflow "${action.workflow}" is internal (it runs ${internal.join(', ')}): the application schedules it itself, API schedules may not (with an admin key they may)`,
    );
    return undefined;
  }
  return issues.check(known.args, action.args ?? [], at(path, 'args')) ? action : undefined;
}

/** The workflow type the action starts, which is also its OrchestraWorkflowKind. */
export function actionKind(action: ScheduleAction): WorkflowType {
  return isWorkflowAction(action) ? (getCodeWorkflow(action.workflow)?.name ?? WORKFLOW_TYPES.canvas) : WORKFLOW_TYPES.canvas;
}

export interface ActionContext {
  scheduleId: string;
  /** The memo every run gets, shown in the Web UI. */
  memo: Record<string, unknown>;
  /** Who owns the schedule, and so every run it starts. */
  tenant: string;
}

/** A valid action as Temporal's startWorkflow action. */
export function toTemporalAction(action: ScheduleAction, { scheduleId, memo, tenant }: ActionContext): ScheduleOptionsAction {
  const kind = actionKind(action);
  const tasks = isWorkflowAction(action) ? (getCodeWorkflow(action.workflow)?.tasks ?? []) : taskNamesOf(action.canvas).filter(isTaskName);
  const { workflowId, timeout } = action;
  return {
    type: 'startWorkflow',
    workflowType: kind,
    ...runPlacement(kind, tasks, tenant, isWorkflowAction(action) ? [] : (action.tags ?? [])),
    // Temporal appends the scheduled time: schedule-nightly-2030-01-01T07:00:00Z.
    workflowId: workflowId ?? `${RUN_ID_PREFIXES.schedule}${scheduleId}`,
    args: isWorkflowAction(action) ? (action.args ?? []) : [{ ...canvasRun(action), tenant }],
    workflowExecutionTimeout: timeout === undefined ? undefined : durationMs(timeout),
    ...(!isWorkflowAction(action) && action.priority !== undefined ? { priority: { priorityKey: action.priority } } : {}),
    memo: isWorkflowAction(action) ? memo : { ...memo, ...metadataMemo(action.metadata) },
    // The Web UI shows this as the run's summary, next to its id.
    staticSummary: typeof memo.description === 'string' ? `${scheduleId}: ${memo.description}` : `started by schedule ${scheduleId}`,
  };
}

/** What the canvas workflow receives: the request without the API-level id, tags and metadata (those go on the run). */
function canvasRun(action: CanvasAction): CanvasRequest {
  const { workflowId: _prefix, ...run } = withoutRunLabels(action);
  return run;
}
