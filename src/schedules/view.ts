/**
 * Schedules as GET /schedules and GET /schedules/:id show them: the definition as
 * written, the next run times, and the recent runs with their statuses.
 */
import type { Client, ScheduleDescription } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { runLinks, type RunLinks } from '../temporal/links';
import type { Config } from '../config';
import type { ScheduleAction } from './action';
import type { OverlapPolicy } from './definition';
import { CREATED_BY_BUILTIN } from './memo';
import { definitionOf, formatDuration } from './readback';
import type { ScheduleSpecInput } from './spec';

export interface RecentAction {
  scheduledAt: string;
  takenAt: string;
  workflowId: string;
  runId: string;
  /** Temporal's status of the run: RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED, TIMED_OUT, … */
  status: string;
  links: RunLinks;
}

export interface ScheduleView {
  id: string;
  /** Declared in src/schedules/builtin.ts and kept in step at every start. */
  builtin: boolean;
  createdBy: string | null;
  spec: ScheduleSpecInput;
  action: ScheduleAction;
  policies: { overlap: OverlapPolicy; catchupWindow: string; pauseOnFailure: boolean };
  state: { paused: boolean; note: string | null; remainingActions: number | null };
  memo: Record<string, unknown>;
  nextRunTimes: string[];
  /** Newest first. */
  recentActions: RecentAction[];
  runningWorkflowIds: string[];
  counts: { actionsTaken: number; skippedOverlap: number; missedCatchupWindow: number };
  createdAt: string;
  updatedAt: string | null;
  links: ScheduleLinks;
}

export interface ScheduleLinks {
  self: string;
  ui: string;
}

export function scheduleLinks(config: Config, id: string): ScheduleLinks {
  return {
    self: `/schedules/${encodeURIComponent(id)}`,
    ui: `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/schedules/${encodeURIComponent(id)}`,
  };
}

const NEXT_RUNS = 5;

export async function scheduleView(client: Client, config: Config, description: ScheduleDescription): Promise<ScheduleView> {
  const id = description.scheduleId;
  const { info, state, policies } = description;
  const rawRecent = description.raw.info?.recentActions ?? [];
  const recentActions = await Promise.all(
    info.recentActions.map(async (action, i): Promise<RecentAction> => {
      const { workflowId, firstExecutionRunId: runId } = action.action.workflow;
      return {
        scheduledAt: action.scheduledAt.toISOString(),
        takenAt: action.takenAt.toISOString(),
        workflowId,
        runId,
        status: await runStatus(client, workflowId, runId, rawRecent[i]?.startWorkflowStatus),
        links: runLinks(config, workflowId, runId),
      };
    }),
  );
  const createdBy = typeof description.memo?.createdBy === 'string' ? description.memo.createdBy : null;
  return {
    id,
    builtin: createdBy === CREATED_BY_BUILTIN,
    createdBy,
    ...definitionOf(description),
    policies: { overlap: policies.overlap as OverlapPolicy, catchupWindow: formatDuration(policies.catchupWindow), pauseOnFailure: policies.pauseOnFailure },
    state: { paused: state.paused, note: state.note || null, remainingActions: state.remainingActions ?? null },
    nextRunTimes: info.nextActionTimes.slice(0, NEXT_RUNS).map((t) => t.toISOString()),
    recentActions: recentActions.reverse(),
    runningWorkflowIds: info.runningActions.map((a) => a.workflow.workflowId),
    counts: { actionsTaken: info.numActionsTaken, skippedOverlap: info.numActionsSkippedOverlap, missedCatchupWindow: info.numActionsMissedCatchupWindow },
    createdAt: info.createdAt.toISOString(),
    updatedAt: info.lastUpdatedAt?.toISOString() ?? null,
    links: scheduleLinks(config, id),
  };
}

/** The status right now; the schedule's own copy of it is only eventually consistent. */
async function runStatus(
  client: Client,
  workflowId: string,
  runId: string,
  cached: temporal.api.enums.v1.WorkflowExecutionStatus | null | undefined,
): Promise<string> {
  try {
    const name = (await client.workflow.getHandle(workflowId, runId).describe()).status.name;
    return name === 'CANCELLED' ? 'CANCELED' : name;
  } catch {
    const name = temporal.api.enums.v1.WorkflowExecutionStatus[cached ?? 0] ?? 'UNSPECIFIED';
    return name.replace('WORKFLOW_EXECUTION_STATUS_', '');
  }
}

export interface ScheduleListItem {
  id: string;
  builtin: boolean;
  workflowType: string | null;
  paused: boolean;
  note: string | null;
  nextRunTimes: string[];
  recentActions: Array<{ scheduledAt: string; workflowId: string }>;
  memo: Record<string, unknown>;
  links: ScheduleLinks;
}

/** Schedules from Temporal's visibility store (eventually consistent, like GET /workflows). */
export async function listSchedules(
  client: Client,
  config: Config,
  limit: number,
  visible: (memo: Record<string, unknown>) => boolean = () => true,
): Promise<ScheduleListItem[]> {
  const items: ScheduleListItem[] = [];
  for await (const summary of client.schedule.list({ pageSize: Math.min(limit, 100) })) {
    const memo = summary.memo ?? {};
    if (!visible(memo)) continue;
    items.push({
      id: summary.scheduleId,
      builtin: memo.createdBy === CREATED_BY_BUILTIN,
      workflowType: summary.action?.workflowType ?? null,
      paused: summary.state.paused,
      note: summary.state.note || null,
      nextRunTimes: summary.info.nextActionTimes.slice(0, NEXT_RUNS).map((t) => t.toISOString()),
      recentActions: summary.info.recentActions
        .slice(-3)
        .reverse()
        .map((a) => ({ scheduledAt: a.scheduledAt.toISOString(), workflowId: a.action.workflow.workflowId })),
      memo,
      links: scheduleLinks(config, summary.scheduleId),
    });
    if (items.length >= limit) break;
  }
  return items.sort((a, b) => a.id.localeCompare(b.id));
}
