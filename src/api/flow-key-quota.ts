/**
 * A bound on each tenant's live flow-control workflows. Every debounce or concurrency key
 * is a workflow of its own (a debouncer, a coordinator) while it is in use, so a caller
 * inventing keys would otherwise start workflows without end. Past TENANT_MAX_FLOW_KEYS
 * live ones, a request with a key that is not live yet is a 429; a live key costs nothing new.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { concurrencyWorkflowId, debounceWorkflowId } from '../workflows/language/flow-control';
import type { CanvasRequest } from '../workflows/language/types';
import type { Config } from '../config';
import { TenantKey } from '../temporal/search-attributes';
import { tenantFlowKey } from '../workflows/tenants';
import { WORKFLOW_TYPES } from '../workflows/workflow-types';
import { HttpProblem } from '../http/problem';

const RETRY_AFTER_SECONDS = 30;

export async function assertFlowKeyRoom(client: Client, config: Config, tenant: string, request: CanvasRequest): Promise<void> {
  const ids = [
    request.debounce && debounceWorkflowId(tenantFlowKey(request.debounce.key, tenant)),
    request.concurrency && concurrencyWorkflowId(tenantFlowKey(request.concurrency.key, tenant)),
  ].filter((id): id is string => id !== undefined);
  if (ids.length === 0) return;
  const max = config.security.tenantMaxFlowKeys;
  const types = [WORKFLOW_TYPES.debouncer, WORKFLOW_TYPES.concurrencyCoordinator].map((t) => `"${t}"`).join(', ');
  const { count } = await client.workflow.count(`${TenantKey.name} = "${tenant}" AND WorkflowType IN (${types}) AND ExecutionStatus = "Running"`);
  if (count < max) return;
  for (const id of ids) {
    if (!(await isRunning(client, id))) {
      throw new HttpProblem(
        429,
        'Too Many Requests',
        `The tenant holds ${count} live debounce and concurrency keys, the most it may (TENANT_MAX_FLOW_KEYS=${max}); reuse a live key or wait for one to go quiet.`,
        undefined,
        { 'Retry-After': String(RETRY_AFTER_SECONDS) },
      );
    }
  }
}

async function isRunning(client: Client, workflowId: string): Promise<boolean> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
