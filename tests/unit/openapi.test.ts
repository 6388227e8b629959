/**
 * The OpenAPI document against the routers themselves: every route of every router the
 * API serves (walked from each router's stack, as Koa matches them) is in /openapi.json
 * with its method and path, every $ref resolves, and request bodies validated by a zod
 * schema carry that schema. No server is needed: the Temporal client is lazy.
 */
import { Router } from '@koa/router';
import { Client } from '@temporalio/client';
import { apiRouters } from '../../src/api/app';
import { ApiKeys, declaredAccess, requires } from '../../src/http/auth';
import { ApiMetrics } from '../../src/http/metrics';
import { buildOpenApi, openApiPath, routeOperations } from '../../src/api/openapi';
import { Runs } from '../../src/api/runs';
import { loadConfig } from '../../src/config';

const config = loadConfig();
const client = new Client(); // a lazy connection: nothing is dialled unless a route runs
const apiKeys = new ApiKeys({ inline: '{"keys": []}' });
const routers = apiRouters({ config, client, runs: new Runs(client, config), pingDatabase: async () => undefined, apiKeys, metrics: new ApiMetrics() });
const document = buildOpenApi(routers) as { paths: Record<string, Record<string, Record<string, unknown>>>; components: { schemas: Record<string, unknown> } };

afterAll(() => apiKeys.close());

test('every route of every router is in the document, with its method and path', () => {
  const operations = routeOperations(routers);
  expect(operations.length).toBeGreaterThan(35);
  const missing = operations
    .filter(({ method, path }) => !document.paths[openApiPath(path).path]?.[method])
    .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
  expect(missing).toEqual([]);
  // …and nothing else: each documented operation is a route.
  const routes = new Set(operations.map(({ method, path }) => `${method} ${openApiPath(path).path}`));
  const extra = Object.entries(document.paths)
    .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m} ${path}`))
    .filter((op) => !routes.has(op));
  expect(extra).toEqual([]);
});

test('the resources the issue names are all there', () => {
  for (const path of [
    '/users',
    '/users/{id}/avatar',
    '/users/{id}/avatar/{size}',
    '/comments',
    '/codec/decode',
    '/metrics',
    '/health',
    '/ready',
    '/pools',
    '/session',
    '/ui',
    '/tasks',
    '/schedules/{id}/trigger',
    '/workflows/{id}/events/{name}',
    '/workflows/{id}/retry',
  ]) {
    expect([path, path in document.paths]).toEqual([path, true]);
  }
});

test('path parameters are declared; scopes and 401/403 follow requires()', () => {
  const event = document.paths['/workflows/{id}/events/{name}'].post as {
    parameters: Array<{ name: string; in: string }>;
    'x-required-scope': string;
    responses: Record<string, unknown>;
  };
  expect(event.parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual(['id', 'name']);
  expect(event['x-required-scope']).toBe('write');
  expect(Object.keys(event.responses)).toEqual(expect.arrayContaining(['202', '401', '403']));
  const terminate = document.paths['/workflows/{id}/terminate'].post as { 'x-required-scope': string };
  expect(terminate['x-required-scope']).toBe('admin');
  const health = document.paths['/health'].get as { security: unknown[]; responses: Record<string, unknown> };
  expect(health.security).toEqual([]);
  expect(health.responses['401']).toBeUndefined();
});

test('request bodies and queries come from the zod schemas that validate them', () => {
  const body = (path: string, method: string) =>
    (document.paths[path][method].requestBody as { content: Record<string, { schema: Record<string, unknown> }> }).content;
  expect(body('/workflows', 'post')['application/json'].schema).toEqual({ $ref: '#/components/schemas/CanvasRequest' });
  const user = body('/users', 'post')['application/json'].schema as { properties: Record<string, unknown>; required: string[]; additionalProperties: boolean };
  expect(Object.keys(user.properties).sort()).toEqual(['email', 'name']);
  expect(user.additionalProperties).toBe(false); // strictObject
  expect(Object.keys(body('/users/{id}/avatar', 'post'))).toEqual(['multipart/form-data']);
  expect(body('/codec/decode', 'post')['application/json'].schema).toHaveProperty('properties.payloads.maxItems', 1000);
  const list = document.paths['/workflows'].get.parameters as Array<{ name: string; in: string; schema: { maximum?: number } }>;
  expect(list.map((p) => p.name)).toEqual(['status', 'type', 'id', 'kind', 'task', 'tenant', 'tag', 'limit', 'cursor']);
  expect(list.find((p) => p.name === 'limit')?.schema.maximum).toBe(1000);
});

test('every $ref points at a component', () => {
  const refs = new Set<string>();
  const walk = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(walk);
    if (typeof value !== 'object' || value === null) return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === '$ref' && typeof inner === 'string') refs.add(inner);
      else walk(inner);
    }
  };
  walk(document);
  expect(refs.size).toBeGreaterThan(10);
  const dangling = [...refs].filter((r) => !r.startsWith('#/components/schemas/') || !(r.slice('#/components/schemas/'.length) in document.components.schemas));
  expect(dangling).toEqual([]);
});

test('a route declared without a doc stops the document from being built', () => {
  const stray = new Router();
  stray.get('/stray', requires('read'), (ctx) => void (ctx.body = 1));
  expect(declaredAccess(stray.stack[0].stack[0])).toBe('read');
  expect(() => buildOpenApi([...routers, stray])).toThrow('routes without an OpenAPI doc in their requires(scope, doc): GET /stray');
});
