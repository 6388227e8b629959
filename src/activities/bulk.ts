/**
 * The page activity of a bulk operation (src/workflows/bulk-operation.ts), run by the
 * orchestrator pool with its worker's client: lists one page of the operation's query and
 * cancels or retries each run on it, as the caller's key may. Safe to run twice: a run that
 * already ended is not cancelled again, a run already retried is not retried again (both
 * count as skipped).
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { loadConfig } from '../config';
import { HttpProblem } from '../http/problem';
import { PythonCatalog } from '../tasks/python-catalog';
import { retryRun } from '../api/retry';
import { Runs } from '../api/runs';
import { BULK_MAX_ERRORS, BULK_PAGE_ACTIVITY, type BulkError, type BulkInput, type BulkPage } from '../workflows/language/bulk';

type Outcome = 'done' | 'skipped' | { error: string };

async function cancelRun(client: Client, workflowId: string, runId: string, reason: string | undefined): Promise<Outcome> {
  const handle = client.workflow.getHandle(workflowId, runId);
  try {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') return 'skipped';
    await handle.cancel();
    if (reason) Context.current().log.info('bulk cancel', { workflowId, reason });
    return 'done';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return 'skipped';
    throw error;
  }
}

export function bulkActivities(): Record<string, (...args: never[]) => Promise<unknown>> {
  const config = loadConfig();
  let runs: Runs | undefined;
  const pythonCatalog = new PythonCatalog();

  async function page(input: BulkInput, pageToken: string | null): Promise<BulkPage> {
    const { client } = Context.current();
    const reader = (runs ??= new Runs(client, config));
    const response = await client.workflowService.listWorkflowExecutions({
      namespace: config.temporal.namespace,
      query: input.query,
      pageSize: input.pageSize,
      nextPageToken: pageToken ? Buffer.from(pageToken, 'base64') : undefined,
    });
    const result: BulkPage = { done: 0, failed: 0, skipped: 0, errors: [], nextPageToken: null };
    const errors: BulkError[] = [];
    for (const execution of response.executions ?? []) {
      const workflowId = execution.execution?.workflowId ?? '';
      const runId = execution.execution?.runId ?? '';
      let outcome: Outcome;
      try {
        if (input.action === 'cancel') outcome = await cancelRun(client, workflowId, runId, input.reason);
        else {
          await retryRun(client, workflowId, {
            tenants: input.tenants,
            tasks: input.tasks,
            describeWithin: (id, reach, purpose) => reader.describeWithin(id, reach, purpose),
            pythonCatalog,
          });
          outcome = 'done';
        }
      } catch (error) {
        // 409: retried already, or no longer retryable; 404: out of reach or gone. Anything else is this run's failure.
        if (error instanceof HttpProblem && (error.status === 409 || error.status === 404)) outcome = 'skipped';
        else if (error instanceof HttpProblem) outcome = { error: error.detail ?? error.title };
        else throw error;
      }
      if (outcome === 'done') result.done++;
      else if (outcome === 'skipped') result.skipped++;
      else {
        result.failed++;
        if (errors.length < BULK_MAX_ERRORS) errors.push({ workflowId, message: outcome.error });
      }
      Context.current().heartbeat();
    }
    const token = response.nextPageToken;
    return { ...result, errors, nextPageToken: token && token.length ? Buffer.from(token).toString('base64') : null };
  }

  return { [BULK_PAGE_ACTIVITY]: page };
}
