/** Running canvases two ways: through the REST API, and through the raw Temporal client. */
import type { Client } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { WORKFLOW_TASK_QUEUE } from '../src/workflows/tasks/pools';
import type { HttpClient } from './load';

/** A canvas request as POST /workflows takes it (plain JSON). */
export type CanvasRequestJson = { canvas: unknown } & Record<string, unknown>;

export class OrchestraApi {
  constructor(readonly http: HttpClient) {}

  /** POST /workflows; the new run's workflow id. */
  async start(request: CanvasRequestJson): Promise<string> {
    const res = await this.http.request('POST', '/workflows', JSON.stringify(request));
    if (res.status !== 201) throw new Error(`POST /workflows: ${res.status} ${res.body.slice(0, 300)}`);
    return (JSON.parse(res.body) as { workflowId: string }).workflowId;
  }

  /**
   * GET /workflows/:id/result until it is closed, for at most `waitSeconds` in all (each
   * request waits at most the API's 5 minutes); throws unless it COMPLETED.
   */
  async result(workflowId: string, waitSeconds = 60): Promise<unknown> {
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const leftSeconds = Math.ceil((deadline - Date.now()) / 1000);
      if (leftSeconds <= 0) throw new Error(`${workflowId} still running after ${waitSeconds} s`);
      const res = await this.http.request('GET', `/workflows/${encodeURIComponent(workflowId)}/result?timeout=${Math.min(leftSeconds, 300)}s`);
      if (res.status === 202) continue;
      if (res.status !== 200) throw new Error(`GET result of ${workflowId}: ${res.status} ${res.body.slice(0, 300)}`);
      const view = JSON.parse(res.body) as { status: string; result: unknown; failure: unknown };
      if (view.status !== 'COMPLETED') throw new Error(`${workflowId} ended ${view.status}: ${JSON.stringify(view.failure)}`);
      return view.result;
    }
  }

  async run(request: CanvasRequestJson): Promise<unknown> {
    return this.result(await this.start(request));
  }
}

/** The API's start without the API: client.workflow.start of 'canvas' on the orchestrator queue. */
export async function rawStart(client: Client, request: CanvasRequestJson, prefix = 'bench-raw'): Promise<string> {
  const workflowId = `${prefix}-${randomUUID()}`;
  await client.workflow.start('canvas', { taskQueue: WORKFLOW_TASK_QUEUE, workflowId, args: [request] });
  return workflowId;
}

/** Start and wait: client.workflow.start + handle.result(). */
export async function rawRun(client: Client, request: CanvasRequestJson, prefix = 'bench-raw'): Promise<unknown> {
  return client.workflow.getHandle(await rawStart(client, request, prefix)).result();
}
