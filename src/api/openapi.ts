/**
 * The OpenAPI document and the /docs page (Swagger UI served from the installed package: no
 * other host is asked). The document is built from the routers: each route's path and
 * method as Koa matches them, its scope and its description from `requires(scope, doc)`
 * (./route-docs), request schemas from the zod schemas that validate them (zod's own
 * JSON Schema conversion; schemas registered with .meta({id}) become components).
 */
import { Router } from '@koa/router';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { CanvasRequestSchema } from '../canvas/schemas';
import { LIMITS } from '../workflows/language/limits';
import { RUN_STATUSES } from './runs';
import './retry'; // RetryStarted
// Imported for their schemas' registration (.meta ids) in zod's global registry.
import '../schedules/definition';
import '../schedules/action';
import { declaredAccess, declaredDoc, requires, type RouteAccess } from '../http/auth';
import type { ResponseDoc, RouteDoc, SchemaDoc } from '../http/route-docs';

function schemas(): JsonObject {
  // Every schema registered with .meta({id}) becomes a component; refs point at components.
  const generated = z.toJSONSchema(z.globalRegistry, { uri: (id) => `#/components/schemas/${id}`, unrepresentable: 'any' });
  // Unnamed schemas used by several components come in a "__shared" document: make each a component.
  const { __shared: shared, ...named } = generated.schemas as JsonObject & { __shared?: { $defs?: JsonObject } };
  const components: JsonObject = { ...named };
  for (const [name, definition] of Object.entries(shared?.$defs ?? {})) components[`Shared_${name}`] = definition;
  return JSON.parse(JSON.stringify(components).replaceAll('#/components/schemas/__shared#/$defs/', '#/components/schemas/Shared_')) as JsonObject;
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/** Schemas written as JSON Schema: what the API answers (requests are described by their zod schemas). */
function responseComponents(): Record<string, unknown> {
  return {
    Problem: {
      type: 'object',
      description: 'RFC 9457 problem details; `errors` lists each invalid part by JSON path.',
      properties: {
        type: { type: 'string' },
        title: { type: 'string' },
        status: { type: 'integer' },
        detail: { type: 'string' },
        instance: { type: 'string' },
        errors: {
          type: 'array',
          items: { type: 'object', properties: { path: { type: 'string', example: 'canvas.chain[2].args[0]' }, message: { type: 'string' } } },
        },
      },
    },
    ScheduleAction: {
      oneOf: [ref('CanvasRequest'), ref('WorkflowAction')],
      description: 'A canvas request, as POST /workflows takes it, or a named code workflow.',
    },
    Schedule: {
      type: 'object',
      required: ['id', 'spec', 'action'],
      properties: {
        id: { type: 'string' },
        spec: ref('ScheduleSpec'),
        action: ref('ScheduleAction'),
        policies: ref('SchedulePolicies'),
        state: ref('ScheduleState'),
        memo: { type: 'object' },
      },
    },
    EventFilter: {
      type: 'object',
      description:
        'Conditions on the event payload, all of which must hold, keyed by dotted path (`order.status`, `items.0.sku`): a string, number, boolean or null (equal), `{"eq": <any JSON>}`, `{"in": [values]}` or `{"exists": true|false}`. Up to 20.',
      additionalProperties: {},
      example: { status: 'paid', 'order.country': { in: ['FR', 'DE'] } },
    },
    TriggerBody: {
      description:
        "A canvas request as POST /workflows takes it (without workflowId, exclusive, debounce), plus the event that starts it. The event's payload is the canvas's input: its first step receives it as a chain's next step receives a result.",
      allOf: [
        ref('CanvasRequest'),
        {
          type: 'object',
          required: ['event', 'canvas'],
          properties: {
            id: { type: 'string', description: 'Letters, digits, . _ -; up to 64. Generated when absent.' },
            event: ref('EventName'),
            filter: ref('EventFilter'),
          },
        },
      ],
    },
    Trigger: {
      description: 'A trigger as registered (its body), with who registered it and when; built-in triggers (declared in code) say `builtin: true`.',
      allOf: [
        ref('TriggerBody'),
        {
          type: 'object',
          properties: {
            builtin: { type: 'boolean' },
            createdAt: { type: 'string', format: 'date-time' },
            createdBy: { type: 'string' },
            description: { type: 'string', description: 'Built-in triggers only.' },
            links: {
              type: 'object',
              properties: { self: { type: 'string' }, runs: { type: 'string', description: "GET /workflows?id=event-<id>-: the trigger's runs." } },
            },
          },
        },
      ],
    },
    EventAccepted: {
      type: 'object',
      required: ['eventId', 'event', 'repeated', 'started', 'delivered'],
      properties: {
        eventId: { type: 'string', description: 'The Event-Id header, or the id made for an event without one.' },
        event: { type: 'string' },
        repeated: { type: 'boolean', description: 'This Event-Id came before: the runs are those of the first request, nothing new started.' },
        started: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              triggerId: { type: 'string' },
              workflowId: { type: 'string', description: 'event-<trigger id>-<hash of tenant, event id and trigger id>.' },
              runId: { type: 'string' },
              builtin: { const: true },
              existing: { const: true, description: 'The run existed already (a repeated Event-Id).' },
              notStarted: { type: 'string', description: 'Set when the trigger was deleted before a repeated event could start its run.' },
            },
          },
        },
        delivered: {
          type: 'array',
          items: { type: 'object', properties: { workflowId: { type: 'string' } } },
          description: 'With deliverToWaiting: the runs resumed.',
        },
        deliveryTruncated: { const: true, description: 'More runs waited than one event resumes (100).' },
      },
    },
    Started: { type: 'object', properties: { workflowId: { type: 'string' }, runId: { type: 'string' }, links: ref('Links') } },
    BatchStarted: {
      type: 'object',
      required: ['started', 'existing', 'failed', 'items'],
      properties: {
        started: { type: 'integer', description: 'Items that started a new run (201).' },
        existing: { type: 'integer', description: 'Items answered with the run that already held their id (200).' },
        failed: { type: 'integer', description: 'Items refused (4xx or 5xx).' },
        items: { type: 'array', items: ref('BatchItem'), description: "One per canvas, in the request's order." },
      },
    },
    BatchItem: {
      type: 'object',
      required: ['index', 'status'],
      properties: {
        index: { type: 'integer', description: "The canvas's index in the request." },
        status: { type: 'integer', description: "What POST /workflows would have answered for this canvas: 201, 200, or the refusal's status." },
        workflowId: { type: 'string', description: "The run's id; on a refusal, the id the item asked for, if it named one." },
        runId: { type: 'string' },
        existing: { const: true, description: "The run already held the id (a retried Idempotency-Key, or an open run's workflowId)." },
        runStatus: { type: 'string', enum: [...RUN_STATUSES], description: "With `existing`: that run's status." },
        debounce: ref('Debounce'),
        links: ref('Links'),
        error: { ...ref('Problem'), description: 'The refusal, as POST /workflows would have answered it (409, 422, 429…).' },
      },
    },
    Links: {
      type: 'object',
      properties: {
        self: { type: 'string' },
        result: { type: 'string' },
        events: { type: 'string' },
        ui: { type: 'string', description: 'The run in the Temporal Web UI.' },
      },
    },
    Run: {
      type: 'object',
      properties: {
        workflowId: { type: 'string' },
        runId: { type: 'string' },
        type: { type: 'string' },
        status: { type: 'string', enum: [...RUN_STATUSES] },
        startTime: { type: ['string', 'null'], format: 'date-time' },
        closeTime: { type: ['string', 'null'], format: 'date-time' },
        tags: { type: 'array', items: { type: 'string' }, description: "The request's tags (OrchestraTags)." },
        metadata: { type: ['object', 'null'], description: "The request's metadata (GET /workflows/:id only)." },
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
}

type Layer = Router['stack'][number];
type JsonObject = Record<string, unknown>;

/** A zod schema as JSON Schema: a registered one (.meta({id})) by reference, others inline with their registered parts as references. */
function zodSchema(schema: z.ZodType, components: JsonObject, io: 'input' | 'output' = 'input'): JsonObject {
  const id = z.globalRegistry.get(schema)?.id;
  if (id && id in components) return ref(id);
  const { $schema: _drop, $defs, ...converted } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonObject & { $defs?: JsonObject };
  // Registered parts come back as #/$defs/<id>: they are components already (or become ones).
  for (const [name, definition] of Object.entries($defs ?? {})) if (!(name in components)) components[name] = rewriteRefs(definition);
  return rewriteRefs(converted) as JsonObject;
}

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string' ? inner.replace('#/$defs/', '#/components/schemas/') : rewriteRefs(inner),
    ]),
  );
}

function schemaOf(doc: SchemaDoc, components: JsonObject, io: 'input' | 'output' = 'output'): JsonObject {
  if ('ref' in doc && typeof doc.ref === 'string') return ref(doc.ref);
  if ('json' in doc && typeof doc.json === 'object') return doc.json as JsonObject;
  return zodSchema(doc as z.ZodType, components, io);
}

/** `/workflows/:id/events/:name` → `/workflows/{id}/events/{name}`, and the names. */
export function openApiPath(routerPath: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = routerPath.replace(/:(\w+)/g, (_m, name: string) => (params.push(name), `{${name}}`));
  return { path, params };
}

const PARAM_DESCRIPTIONS: Record<string, string> = { id: "The resource's id (a workflow id, a user id, a schedule id…)." };

function operation(doc: RouteDoc, access: RouteAccess, pathParams: string[], components: JsonObject): JsonObject {
  const parameters: JsonObject[] = pathParams.map((name) => {
    const given = doc.params?.[name];
    return {
      name,
      in: 'path',
      required: true,
      schema: given?.schema ? schemaOf(given.schema, components, 'input') : { type: 'string' },
      description: given?.description ?? PARAM_DESCRIPTIONS[name] ?? `The ${name}.`,
    };
  });
  if (doc.query) {
    for (const [name, field] of Object.entries(doc.query.shape as Record<string, z.ZodType>)) {
      const schema = zodSchema(field, components, 'input');
      const description = z.globalRegistry.get(field)?.description ?? (schema.description as string | undefined);
      parameters.push({ name, in: 'query', required: !field.safeParse(undefined).success, schema, ...(description ? { description } : {}) });
    }
  }
  for (const [name, header] of Object.entries(doc.headers ?? {})) {
    parameters.push({
      name,
      in: 'header',
      required: header.required ?? false,
      schema: header.schema ? schemaOf(header.schema, components, 'input') : { type: 'string' },
      description: header.description,
    });
  }
  const responses: JsonObject = {};
  for (const [status, response] of Object.entries(doc.responses)) {
    const r: ResponseDoc = typeof response === 'string' ? { description: response } : response;
    responses[status] = {
      description: r.description,
      ...(r.schema ? { content: { [r.contentType ?? 'application/json']: { schema: schemaOf(r.schema, components) } } } : {}),
    };
  }
  if (access !== 'public') {
    responses['401'] ??= { description: 'No API key, or one that matches none.', content: { 'application/problem+json': { schema: ref('Problem') } } };
    responses['403'] ??= { description: `The key lacks the ${access} scope.`, content: { 'application/problem+json': { schema: ref('Problem') } } };
  }
  let requestBody: JsonObject | undefined;
  if (doc.body) {
    const isZod = typeof (doc.body as z.ZodType).safeParse === 'function';
    const body = isZod
      ? { contentType: 'application/json', schema: doc.body as z.ZodType, required: true, description: undefined }
      : (doc.body as Exclude<RouteDoc['body'], z.ZodType | undefined>);
    requestBody = {
      required: body.required ?? true,
      ...(body.description ? { description: body.description } : {}),
      content: { [body.contentType]: body.schema ? { schema: schemaOf(body.schema, components, 'input') } : {} },
    };
  }
  return {
    summary: doc.summary,
    ...(doc.description ? { description: doc.description } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses,
    ...(access === 'public' ? { security: [] } : { 'x-required-scope': access }),
    ...(doc.asset ? { tags: ['assets'] } : {}),
  };
}

/** The routes of these routers that are operations: a method other than HEAD (router.use middleware has none). */
export function routeOperations(routers: Router[]): Array<{ method: string; path: string; layer: Layer }> {
  return routers.flatMap((router) =>
    router.stack.flatMap((layer) =>
      layer.methods.filter((m) => m !== 'HEAD').map((method) => ({ method: method.toLowerCase(), path: String(layer.path), layer })),
    ),
  );
}

/**
 * The OpenAPI document of these routers: every route with a method, each described by the
 * doc its `requires(scope, doc)` carries. A route without one is an error here, so the
 * document cannot silently lack a route (tests/unit/openapi.test.ts builds it from apiRouters).
 */
export function buildOpenApi(routers: Router[]): JsonObject {
  void CanvasRequestSchema; // registered on import; referenced below by id
  const components: JsonObject = { ...schemas(), ...responseComponents() };
  const paths: Record<string, JsonObject> = {};
  const undocumented: string[] = [];
  for (const { method, path: routerPath, layer } of routeOperations(routers)) {
    const doc = declaredDoc(layer.stack[0]);
    const access = declaredAccess(layer.stack[0]);
    if (!doc || !access) {
      undocumented.push(`${method.toUpperCase()} ${routerPath}`);
      continue;
    }
    const { path, params } = openApiPath(routerPath);
    paths[path] = { ...paths[path], [method]: operation(doc, access, params, components) };
  }
  if (undocumented.length) throw new Error(`routes without an OpenAPI doc in their requires(scope, doc): ${undocumented.join(', ')}`);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Orchestra',
      version: '0.1.0',
      description: `Workflow orchestration on Temporal. Canvas limits: ${LIMITS.maxNodes} nodes, ${LIMITS.maxRequestBytes} bytes per request, ${LIMITS.maxFanOut} members or items per fan-out, maxConcurrency up to ${LIMITS.maxConcurrency}.`,
    },
    security: [{ apiKey: [] }],
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key: Authorization: Bearer <key>. Each operation names the scope it needs (x-required-scope).',
        },
      },
    },
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

/** `routers` is called at the first request, when every router (this one too) exists. */
export function docsRoutes(routers: () => Router[]): Router {
  const router = new Router();
  let document: JsonObject | undefined;
  router.get(
    '/openapi.json',
    requires('public', {
      summary: 'This document',
      responses: { 200: { description: "OpenAPI 3.1, built from the routes' own declarations.", schema: { json: { type: 'object' } } } },
    }),
    (ctx) => {
      document ??= buildOpenApi(routers());
      ctx.body = document;
    },
  );
  router.get(
    '/docs',
    requires('public', {
      summary: 'Swagger UI over /openapi.json',
      asset: true,
      responses: { 200: { description: 'An HTML page.', contentType: 'text/html', schema: { json: { type: 'string' } } } },
    }),
    (ctx) => {
      ctx.type = 'html';
      ctx.body = DOCS_PAGE;
    },
  );
  router.get('/docs/init.js', requires('public', { summary: "The docs page's script", asset: true, responses: { 200: 'JavaScript.' } }), (ctx) => {
    ctx.type = 'application/javascript';
    ctx.body = DOCS_INIT;
  });
  router.get(
    '/docs/assets/:file',
    requires('public', {
      summary: "Swagger UI's files, from the installed package",
      asset: true,
      params: { file: { description: 'swagger-ui.css, swagger-ui-bundle.js, …' } },
      responses: { 200: 'The file.', 404: 'Not one of them.' },
    }),
    async (ctx) => {
      if (!SWAGGER_ASSETS.has(ctx.params.file)) return;
      ctx.type = path.extname(ctx.params.file);
      ctx.set('Cache-Control', 'public, max-age=86400');
      ctx.body = await readFile(path.join(SWAGGER_DIR, ctx.params.file));
    },
  );
  return router;
}
