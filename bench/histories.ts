/** Reading histories: event counts, and the child workflows of a run (for big fan-outs). */
import type { Client } from '@temporalio/client';

export async function eventCount(client: Client, workflowId: string): Promise<number> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return history.events?.length ?? 0;
}

/** Child workflow ids recorded in a run's own history. */
export async function childIdsFromHistory(client: Client, workflowId: string): Promise<string[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const id = e.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
    return id ? [id] : [];
  });
}

/**
 * Child workflow ids through the visibility query ParentWorkflowId="<id>". Visibility is
 * eventually consistent: retries until it lists `expected` children or `timeoutMs` passes.
 */
export async function childIdsFromVisibility(client: Client, workflowId: string, expected: number, timeoutMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids: string[] = [];
    for await (const run of client.workflow.list({ query: `ParentWorkflowId="${workflowId}"` })) ids.push(run.workflowId);
    if (ids.length >= expected || Date.now() > deadline) return ids;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
