/**
 * The OpenAPI descriptions of the /workflows routes (see ../route-docs), one per route,
 * named after it; each route passes its own to `requires(scope, WORKFLOW_DOCS.<route>)`.
 * Kept beside workflows.ts rather than inline so the handlers stay readable.
 */
import { z } from 'zod';
import { CanvasRequestSchema, DurationSchema, EventBodySchema, EventNameSchema, RUN_TAGS, TagSchema } from '../../canvas/schemas';
import { json, problem, type RouteDoc } from '../../http/route-docs';
import { RUN_STATUSES } from '../runs';
import { MAX_BATCH_CANVASES } from '../batch-start';

/** POST /workflows/batch's body as documented; the route checks the envelope, then each item as POST /workflows checks its body. */
const BatchStartBody = z.strictObject({
  canvases: z
    .array(CanvasRequestSchema)
    .min(1)
    .max(MAX_BATCH_CANVASES)
    .meta({ description: `1 to ${MAX_BATCH_CANVASES} canvas requests, each the body POST /workflows takes.` }),
});

export const TerminateBody = z.strictObject({ reason: z.string().max(1000).optional() });

/** GET /workflows's query; the handler checks the same bounds and names each bad one by path. */
// A control character breaks the server's visibility query (a NUL answered 503 after 20 s).
export const filterText = z.string().regex(/^[^\u0000-\u001f\u007f]*$/, 'must not contain control characters');

export const RunListQuery = z.object({
  status: z.enum(RUN_STATUSES).optional(),
  type: filterText.optional().meta({ description: 'The workflow type, e.g. canvas.' }),
  id: filterText.optional().meta({ description: 'Workflow ids starting with this.' }),
  kind: filterText.optional().meta({ description: 'The OrchestraWorkflowKind search attribute, e.g. canvas.' }),
  task: filterText.optional().meta({ description: 'Runs whose canvas uses this task (OrchestraTasks).' }),
  tenant: filterText.optional().meta({ description: "Admin keys: one tenant's runs (OrchestraTenant). Other keys always see their own tenant's only." }),
  tag: z
    .union([TagSchema, z.array(TagSchema).max(RUN_TAGS.max, `may be given at most ${RUN_TAGS.max} times`)])
    .optional()
    .transform((tag) => (tag === undefined ? [] : Array.isArray(tag) ? tag : [tag]))
    .meta({ description: 'Runs carrying this tag (OrchestraTags). Repeat it for runs carrying every one: `?tag=a&tag=b`.' }),
  limit: z.coerce.number().int().min(1).max(1000).default(20),
  cursor: filterText.optional().meta({ description: 'nextCursor of the previous page.' }),
});

const RunPage = {
  json: { type: 'object', properties: { runs: { type: 'array', items: { $ref: '#/components/schemas/Run' } }, nextCursor: { type: ['string', 'null'] } } },
};

export const WORKFLOW_DOCS = {
  start: {
    summary: 'Start a canvas',
    headers: { 'Idempotency-Key': { description: "Works as the body's workflowId; the same key with another request is a 422." } },
    body: CanvasRequestSchema,
    responses: {
      201: json('Started', "Started. With `debounce`: queued into the key's one run, `debounce-<key>`, whose id every request of the period gets."),
      200: json('Started', 'A run with this workflowId is already open: that run.'),
      400: problem('Invalid request; nothing was started. Each issue has its JSON path.'),
      409: problem('"exclusive": true and a run with this id is open, or the id is taken by a run out of the key\'s reach or started without a key.'),
      422: problem('The Idempotency-Key was used with a different request.'),
      413: problem('Body too large.'),
      429: problem("Too many live debounce and concurrency keys for the key's tenant (TENANT_MAX_FLOW_KEYS)."),
    },
  },
  batch: {
    summary: `Start up to ${MAX_BATCH_CANVASES} canvases: all validated first, then each its own run, each with its own answer`,
    description: [
      'Every canvas is validated (as POST /workflows validates its body) before any starts: one invalid canvas is a 400 listing every issue under its index (`canvases[3].canvas.chain[1].task`), and nothing is started.',
      "Then each canvas starts as POST /workflows would start it, and `items` answers each, in the request's order: `status` is what POST /workflows would have answered (201, 200 with `existing`, or a refusal with its problem in `error`). A refused item does not stop the others.",
      "The body's limit is the same as POST /workflows's (API_MAX_BODY_BYTES), for the whole batch.",
    ].join('\n\n'),
    headers: {
      'Idempotency-Key': {
        description:
          "Item i is started with the key `<key>:<i>`, so the same batch again answers the same runs (each 200, `existing`) and starts nothing; an item changed since is that item's 422. Items may not carry their own workflowId or debounce with it (400).",
      },
    },
    body: BatchStartBody,
    responses: {
      201: json('BatchStarted', 'Every canvas started a new run.'),
      200: json('BatchStarted', 'Every canvas has its run, and some were already there (`existing`): a retried batch.'),
      207: json('BatchStarted', "Some canvases were refused (each item's `error`); the others started."),
      400: problem('The envelope or a canvas is invalid (paths `canvases`, `canvases[i]…`, `header.Idempotency-Key`); nothing was started.'),
      413: problem('Body too large (API_MAX_BODY_BYTES, for the whole batch).'),
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
    headers: {
      'Event-Id': {
        description: "The event's id (letters, digits, . _ : @ = -; up to 128): the run keeps one event per name and id, so a resent event is not taken twice.",
      },
    },
    body: { contentType: 'application/json', schema: EventBodySchema, required: false },
    responses: {
      202: json(
        { json: { type: 'object', properties: { workflowId: { type: 'string' }, event: { type: 'string' }, status: { const: 'DELIVERED' } } } },
        'The run has the event.',
      ),
      400: problem('A bad name (path.name), Event-Id (header.Event-Id) or body.'),
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
