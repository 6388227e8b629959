/**
 * The OpenAPI descriptions of the /workflows routes (see ../route-docs), one per route,
 * named after it; each route passes its own to `requires(scope, WORKFLOW_DOCS.<route>)`.
 * Kept beside workflows.ts rather than inline so the handlers stay readable.
 */
import { z } from 'zod';
import { CanvasRequestSchema, DurationSchema, EventBodySchema, EventNameSchema } from '../../canvas/schemas';
import { json, problem, type RouteDoc } from '../../http/route-docs';
import { RUN_STATUSES } from '../runs';

export const TerminateBody = z.strictObject({ reason: z.string().max(1000).optional() });

/** GET /workflows's query; the handler checks the same bounds and names each bad one by path. */
// A control character breaks the server's visibility query (a NUL answered 503 after 20 s).
const filterText = z.string().regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters');

export const RunListQuery = z.object({
  status: z.enum(RUN_STATUSES).optional(),
  type: filterText.optional().meta({ description: 'The workflow type, e.g. canvas.' }),
  id: filterText.optional().meta({ description: 'Workflow ids starting with this.' }),
  kind: filterText.optional().meta({ description: 'The OrchestraWorkflowKind search attribute, e.g. canvas.' }),
  task: filterText.optional().meta({ description: 'Runs whose canvas uses this task (OrchestraTasks).' }),
  tenant: filterText.optional().meta({ description: "Admin keys: one tenant's runs (OrchestraTenant). Other keys always see their own tenant's only." }),
  limit: z.coerce.number().int().min(1).max(1000).default(20),
  cursor: filterText.optional().meta({ description: 'nextCursor of the previous page.' }),
});

const RunPage = {
  json: { type: 'object', properties: { runs: { type: 'array', items: { $ref: '#/components/schemas/Run' } }, nextCursor: { type: ['string', 'null'] } } },
};

export const WORKFLOW_DOCS = {
  start: {
    summary: 'Start a canvas',
    headers: { 'Idempotency-Key': { description: "Works as the body's workflowId; the same key with another request is a 409." } },
    body: CanvasRequestSchema,
    responses: {
      201: json('Started', "Started. With `debounce`: queued into the key's one run, `debounce-<key>`, whose id every request of the period gets."),
      200: json('Started', 'A run with this workflowId is already open: that run.'),
      400: problem('Invalid request; nothing was started. Each issue has its JSON path.'),
      409: problem(
        '"exclusive": true and a run with this id is open, an Idempotency-Key reused with another request, or the id is taken by a run out of the key\'s reach.',
      ),
      413: problem('Body too large.'),
      429: problem("Too many live debounce and concurrency keys for the key's tenant (TENANT_MAX_FLOW_KEYS)."),
    },
  },
  list: { summary: 'List runs, newest first', query: RunListQuery, responses: { 200: json(RunPage, 'A page of runs.'), 400: problem('Invalid query.') } },
  view: {
    summary: 'A run: status, result or failure, live state',
    params: { id: { description: 'The workflow id.' } },
    responses: { 200: json('Run', 'The run.'), 404: problem('Unknown id.') },
  },
  result: {
    summary: 'Wait for the end of a run',
    query: z.object({ timeout: DurationSchema.optional().meta({ description: 'Default 30s, at most 5m.' }) }),
    responses: {
      200: json('Run', 'The run ended.'),
      202: json('Run', 'Still running after the timeout.'),
      400: problem('Bad timeout.'),
      404: problem('Unknown id.'),
    },
  },
  events: {
    summary: "Server-Sent Events of the run's state until it ends",
    responses: {
      200: { description: '`state` events, then one `end` event.', contentType: 'text/event-stream', schema: { json: { type: 'string' } } },
      404: problem('Unknown id.'),
      429: problem('Too many streams for this key.'),
      503: problem('Too many streams on this API process.'),
    },
  },
  cancel: {
    summary: 'Cancel: running steps are cancelled, the run ends CANCELED',
    responses: { 202: 'Cancellation requested.', 404: problem('Unknown id.'), 409: problem('Not running.') },
  },
  event: {
    summary: "Deliver an event to the run's wait nodes (kept until a wait node for its name takes it)",
    params: { name: { schema: EventNameSchema, description: 'The event name a wait node waits for.' } },
    body: { contentType: 'application/json', schema: EventBodySchema, required: false },
    responses: {
      202: json(
        { json: { type: 'object', properties: { workflowId: { type: 'string' }, event: { type: 'string' }, status: { const: 'DELIVERED' } } } },
        'The run has the event.',
      ),
      400: problem('A bad name (path.name) or body.'),
      404: problem('Unknown id.'),
      409: problem('The run has ended.'),
    },
  },
  retry: {
    summary: 'Start a new run of a failed, cancelled, terminated or timed-out canvas run, reusing the steps that completed',
    responses: {
      201: json('RetryStarted', 'The new run, and how many steps it reuses.'),
      404: problem('Unknown id.'),
      409: problem('Running or completed, not a canvas run, a delegated chunk, or already retried (the message names the retry).'),
      503: problem("No orchestrator worker answered with the run's completed steps in time."),
    },
  },
  terminate: {
    summary: 'Terminate at once',
    body: { contentType: 'application/json', schema: TerminateBody, required: false },
    responses: { 200: 'Terminated.', 404: problem('Unknown id.'), 409: problem('Not running.') },
  },
} satisfies Record<string, RouteDoc>;
