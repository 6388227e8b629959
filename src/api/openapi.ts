/**
 * The OpenAPI document, generated from the zod schemas that validate requests, and the
 * /docs page (Swagger UI served from the installed package: no other host is asked).
 */
import { Router } from '@koa/router';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { CanvasRequestSchema } from '../canvas/schemas';
import { LIMITS } from '../canvas/limits';
import { RUN_STATUSES } from './runs';
import './retry'; // RetryStarted
// Imported for their schemas' registration (.meta ids) in zod's global registry.
import '../schedules/definition';
import '../schedules/action';
import { requires } from './auth';

function schemas(): Record<string, unknown> {
  // Every schema registered with .meta({id}) becomes a component; refs point at components.
  const generated = z.toJSONSchema(z.globalRegistry, { uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' });
  return generated.schemas as Record<string, unknown>;
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });
const json = (schema: unknown, description: string) => ({ description, content: { 'application/json': { schema } } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const scheduleId = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The schedule id.' };
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'The workflow id.' };

export function buildOpenApi(): Record<string, unknown> {
  void CanvasRequestSchema; // registered on import; referenced below by id
  const components = {
    ...schemas(),
    Problem: {
      type: 'object',
      description: 'RFC 9457 problem details; `errors` lists each invalid part by JSON path.',
      properties: {
        type: { type: 'string' },
        title: { type: 'string' },
        status: { type: 'integer' },
        detail: { type: 'string' },
        instance: { type: 'string' },
        errors: { type: 'array', items: { type: 'object', properties: { path: { type: 'string', example: 'canvas.chain[2].args[0]' }, message: { type: 'string' } } } },
      },
    },
    ScheduleAction: { oneOf: [ref('CanvasRequest'), ref('WorkflowAction')], description: 'A canvas request, as POST /workflows takes it, or a named code workflow.' },
    Schedule: {
      type: 'object',
      required: ['id', 'spec', 'action'],
      properties: { id: { type: 'string' }, spec: ref('ScheduleSpec'), action: ref('ScheduleAction'), policies: ref('SchedulePolicies'), state: ref('ScheduleState'), memo: { type: 'object' } },
    },
    Started: { type: 'object', properties: { workflowId: { type: 'string' }, runId: { type: 'string' }, links: ref('Links') } },
    Links: { type: 'object', properties: { self: { type: 'string' }, result: { type: 'string' }, events: { type: 'string' }, ui: { type: 'string', description: 'The run in the Temporal Web UI.' } } },
    Run: {
      type: 'object',
      properties: {
        workflowId: { type: 'string' },
        runId: { type: 'string' },
        type: { type: 'string' },
        status: { type: 'string', enum: [...RUN_STATUSES] },
        startTime: { type: ['string', 'null'], format: 'date-time' },
        closeTime: { type: ['string', 'null'], format: 'date-time' },
        result: {},
        failure: { type: ['object', 'null'], properties: { type: { type: 'string' }, message: { type: 'string' }, node: { type: 'object' } } },
        progress: { type: ['object', 'null'], properties: { completed: { type: 'integer' }, known: { type: 'integer' } } },
        state: { type: ['object', 'null'], description: 'The live node tree.' },
        retryOf: { ...ref('RunRef'), description: 'Present on a retry: the run it retries.' },
        retriedBy: { ...ref('RunRef'), description: 'Present on a run that was retried: the run that retried it.' },
        links: ref('Links'),
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Orchestra',
      version: '0.1.0',
      description: `Workflow orchestration on Temporal. Canvas limits: ${LIMITS.maxNodes} nodes, ${LIMITS.maxRequestBytes} bytes per request, ${LIMITS.maxFanOut} members or items per fan-out, maxConcurrency up to ${LIMITS.maxConcurrency}.`,
    },
    paths: {
      '/workflows': {
        post: {
          summary: 'Start a canvas',
          parameters: [{ name: 'Idempotency-Key', in: 'header', schema: { type: 'string' }, description: 'Works as the body\'s workflowId.' }],
          requestBody: { required: true, content: { 'application/json': { schema: ref('CanvasRequest') } } },
          responses: {
            201: json(ref('Started'), 'Started. With `debounce`: queued into the key\'s one run, `debounce-<key>`, whose id every request of the period gets.'),
            200: json(ref('Started'), 'A run with this workflowId is already open: that run.'),
            400: problem('Invalid request; nothing was started.'),
            409: problem('"exclusive": true and a run with this id is open.'),
            413: problem('Body too large.'),
          },
        },
        get: {
          summary: 'List runs, newest first',
          parameters: [
            { name: 'status', in: 'query', schema: { type: 'string', enum: [...RUN_STATUSES] } },
            { name: 'type', in: 'query', schema: { type: 'string' } },
            { name: 'id', in: 'query', schema: { type: 'string' }, description: 'Workflow ids starting with this.' },
            { name: 'kind', in: 'query', schema: { type: 'string' }, description: 'The OrchestraWorkflowKind search attribute, e.g. canvas.' },
            { name: 'task', in: 'query', schema: { type: 'string' }, description: 'Runs whose canvas uses this task (OrchestraTasks).' },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 20 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' }, description: 'nextCursor of the previous page.' },
          ],
          responses: { 200: json({ type: 'object', properties: { runs: { type: 'array', items: ref('Run') }, nextCursor: { type: ['string', 'null'] } } }, 'A page of runs.'), 400: problem('Invalid query.') },
        },
      },
      '/workflows/{id}': { get: { summary: 'A run: status, result or failure, live state', parameters: [idParam], responses: { 200: json(ref('Run'), 'The run.'), 404: problem('Unknown id.') } } },
      '/workflows/{id}/result': {
        get: {
          summary: 'Wait for the end of a run',
          parameters: [idParam, { name: 'timeout', in: 'query', schema: ref('Duration'), description: 'Default 30s, at most 5m.' }],
          responses: { 200: json(ref('Run'), 'The run ended.'), 202: json(ref('Run'), 'Still running after the timeout.'), 404: problem('Unknown id.') },
        },
      },
      '/workflows/{id}/events': { get: { summary: 'Server-Sent Events of the run\'s state until it ends', parameters: [idParam], responses: { 200: { description: 'text/event-stream of `state` events, then one `end` event.' }, 404: problem('Unknown id.') } } },
      '/workflows/{id}/cancel': { post: { summary: 'Cancel: running steps are cancelled, the run ends CANCELED', parameters: [idParam], responses: { 202: { description: 'Cancellation requested.' }, 404: problem('Unknown id.'), 409: problem('Not running.') } } },
      '/workflows/{id}/events/{name}': {
        post: {
          summary: 'Deliver an event to the run\'s wait nodes (kept until a wait node for its name takes it)',
          parameters: [idParam, { name: 'name', in: 'path', required: true, schema: ref('EventName'), description: 'The event name a wait node waits for.' }],
          requestBody: { content: { 'application/json': { schema: ref('EventBody') } } },
          responses: {
            202: json({ type: 'object', properties: { workflowId: { type: 'string' }, event: { type: 'string' }, status: { const: 'DELIVERED' } } }, 'The run has the event.'),
            400: problem('A bad name (path.name) or body.'),
            404: problem('Unknown id.'),
            409: problem('The run has ended.'),
          },
        },
      },
      '/workflows/{id}/retry': {
        post: {
          summary: 'Start a new run of a failed, cancelled, terminated or timed-out canvas run, reusing the steps that completed',
          parameters: [idParam],
          responses: {
            201: json(ref('RetryStarted'), 'The new run, and how many steps it reuses.'),
            404: problem('Unknown id.'),
            409: problem('Running or completed, not a canvas run, a delegated chunk, or already retried (the message names the retry).'),
            503: problem('No orchestrator worker answered with the run\'s completed steps in time.'),
          },
        },
      },
      '/workflows/{id}/terminate': {
        post: {
          summary: 'Terminate at once',
          parameters: [idParam],
          requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { reason: { type: 'string' } } } } } },
          responses: { 200: { description: 'Terminated.' }, 404: problem('Unknown id.'), 409: problem('Not running.') },
        },
      },
      '/schedules': {
        post: {
          summary: 'Create a schedule (Celery beat entry) on Temporal Schedules',
          requestBody: { required: true, content: { 'application/json': { schema: ref('Schedule') } } },
          responses: { 201: { description: 'Created.' }, 400: problem('Invalid; nothing created.'), 409: problem('The id exists.') },
        },
        get: { summary: 'List schedules', responses: { 200: { description: 'The schedules.' } } },
      },
      '/schedules/{id}': {
        get: { summary: 'A schedule: spec, next 5 run times, recent actions, paused and note', parameters: [scheduleId], responses: { 200: { description: 'The schedule.' }, 404: problem('Unknown id.') } },
        patch: {
          summary: 'Change spec, action or policies',
          parameters: [scheduleId],
          requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { spec: ref('ScheduleSpec'), action: ref('ScheduleAction'), policies: ref('SchedulePolicies') } } } } },
          responses: { 200: { description: 'Updated.' }, 400: problem('Invalid.'), 404: problem('Unknown id.') },
        },
        delete: { summary: 'Delete a schedule (admin)', parameters: [scheduleId], responses: { 204: { description: 'Deleted.' }, 404: problem('Unknown id.') } },
      },
      '/schedules/{id}/pause': { post: { summary: 'Pause, with {"note"}', parameters: [scheduleId], responses: { 200: { description: 'Paused.' } } } },
      '/schedules/{id}/unpause': { post: { summary: 'Unpause, with {"note"}', parameters: [scheduleId], responses: { 200: { description: 'Unpaused.' } } } },
      '/schedules/{id}/trigger': { post: { summary: 'Run now, with an optional {"overlap"}', parameters: [scheduleId], responses: { 200: { description: 'Triggered.' } } } },
      '/schedules/{id}/backfill': {
        post: {
          summary: 'Run the actions of a past period, {start, end, overlap}',
          parameters: [scheduleId],
          requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { start: { type: 'string', format: 'date-time' }, end: { type: 'string', format: 'date-time' }, overlap: { type: 'string' } } } } } },
          responses: { 200: { description: 'Backfill started.' } },
        },
      },
      '/tasks': { get: { summary: 'The task registry', responses: { 200: { description: 'Each task: name, pool, queue, defaults, parameters with JSON Schema.' } } } },
      '/health': { get: { summary: 'The process is up', responses: { 200: { description: 'Up.' } } } },
      '/ready': { get: { summary: 'Temporal and the database answer', responses: { 200: { description: 'Ready.' }, 503: { description: 'Not ready, with which check failed.' } } } },
    },
    components: { schemas: components },
  };
}

const SWAGGER_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const SWAGGER_ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png']);

const DOCS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Orchestra API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>`;

const DOCS_INIT = `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', deepLinking: true });`;

export function docsRoutes(): Router {
  const router = new Router();
  const document = buildOpenApi();
  router.get('/openapi.json', requires('public'), (ctx) => {
    ctx.body = document;
  });
  router.get('/docs', requires('public'), (ctx) => {
    ctx.type = 'html';
    ctx.body = DOCS_PAGE;
  });
  router.get('/docs/init.js', requires('public'), (ctx) => {
    ctx.type = 'application/javascript';
    ctx.body = DOCS_INIT;
  });
  router.get('/docs/assets/:file', requires('public'), async (ctx) => {
    if (!SWAGGER_ASSETS.has(ctx.params.file)) return;
    ctx.type = path.extname(ctx.params.file);
    ctx.set('Cache-Control', 'public, max-age=86400');
    ctx.body = await readFile(path.join(SWAGGER_DIR, ctx.params.file));
  });
  return router;
}
