/**
 * The links a run carries wherever it is shown (POST and GET /workflows, schedules' recent
 * runs): the API's own paths for it and its history in the Temporal Web UI. Here, beside
 * the other Temporal helpers, so the API and the schedules both read it without one
 * importing the other.
 */
import type { Config } from '../config';

export interface RunLinks {
  self: string;
  result: string;
  events: string;
  ui: string;
}

export function runLinks(config: Config, workflowId: string, runId: string): RunLinks {
  const id = encodeURIComponent(workflowId);
  return {
    self: `/workflows/${id}`,
    result: `/workflows/${id}/result`,
    events: `/workflows/${id}/events`,
    ui: `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${id}/${runId}/history`,
  };
}
