/**
 * POST /workflows with `debounce`: the request is a signal to its key's debouncer
 * (src/workflows/debounce.ts), started by the first request of a quiet key. Every request
 * with the key answers the debouncer's id, the run that will carry the last canvas.
 */
import type { Client } from '@temporalio/client';
import { parseDuration } from '../workflows/language/duration';
import { DEBOUNCE_SIGNAL, debounceWorkflowId } from '../workflows/language/flow-control';
import { taskNamesOf, type CanvasRequest, type DebounceSpec } from '../workflows/language/types';
import { isTaskName } from '../workflows/tasks/catalog';
import { metadataMemo, runPlacement, withoutRunLabels } from '../temporal/start';
import { tenantFlowKey } from '../workflows/tenants';
import { WORKFLOW_TYPES } from '../workflows/workflow-types';
import type { DebounceStart } from '../workflows/debounce';

export async function startDebounced(
  client: Client,
  request: CanvasRequest & { debounce: DebounceSpec },
  tenant: string,
): Promise<{ workflowId: string; runId: string }> {
  // The key is the tenant's own: another tenant's equal key is another debouncer.
  const workflowId = debounceWorkflowId(tenantFlowKey(request.debounce.key, tenant));
  const start: DebounceStart = { key: request.debounce.key, period: request.debounce.period };
  const timeout = request.timeout === undefined ? undefined : parseDuration(request.timeout);
  const handle = await client.workflow.signalWithStart(WORKFLOW_TYPES.debouncer, {
    // Tags and metadata are those of the request that starts the key's run (later ones join it).
    ...runPlacement(WORKFLOW_TYPES.debouncer, taskNamesOf(request.canvas).filter(isTaskName), tenant, request.tags),
    ...(request.metadata ? { memo: metadataMemo(request.metadata) } : {}),
    workflowId,
    args: [start],
    signal: DEBOUNCE_SIGNAL,
    signalArgs: [{ ...withoutRunLabels(request), tenant }],
    // Taken from the request that starts the debouncer; later ones of the same period join it.
    workflowExecutionTimeout: timeout,
    priority: request.priority === undefined ? undefined : { priorityKey: request.priority },
  });
  return { workflowId, runId: handle.signaledRunId };
}
