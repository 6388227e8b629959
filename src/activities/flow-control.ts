/**
 * Activities of the flow-control workflows, run by the orchestrator pool with its worker's
 * client: queueing a run at its key's coordinator, and finding runs that ended holding a slot.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  CONCURRENCY_SIGNALS,
  concurrencyWorkflowId,
  FLOW_ACTIVITIES,
  type CoordinatorState,
  type RunRef,
  type SlotRequest,
} from '../workflows/language/flow-control';
import { runPlacement } from '../temporal/start';
import { APP_TENANT } from '../workflows/tenants';
import { WORKFLOW_TYPES } from '../workflows/workflow-types';

/** Signal-with-start: the key's coordinator is started by its first run and ends when idle. */
async function enqueue(key: string, request: SlotRequest): Promise<void> {
  // The first request fixes the key's limit for as long as its coordinator lives.
  const initial: CoordinatorState = { key, holders: [], waiters: [], limit: request.limit };
  await Context.current().client.workflow.signalWithStart(WORKFLOW_TYPES.concurrencyCoordinator, {
    ...runPlacement(WORKFLOW_TYPES.concurrencyCoordinator, [], request.tenant ?? APP_TENANT),
    workflowId: concurrencyWorkflowId(key),
    args: [initial],
    signal: CONCURRENCY_SIGNALS.acquire,
    signalArgs: [request],
  });
}

/** The runs among `runs` that are no longer running. */
async function closedRuns(runs: RunRef[]): Promise<RunRef[]> {
  const { client } = Context.current();
  const closed: RunRef[] = [];
  for (const run of runs) {
    try {
      const description = await client.workflow.getHandle(run.workflowId, run.runId).describe();
      if (description.status.name !== 'RUNNING') closed.push(run);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) closed.push(run);
      else throw error;
    }
  }
  return closed;
}

export function flowControlActivities(): Record<string, (...args: never[]) => Promise<unknown>> {
  return { [FLOW_ACTIVITIES.enqueue]: enqueue, [FLOW_ACTIVITIES.closedRuns]: closedRuns };
}
