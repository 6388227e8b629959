/**
 * The API's security surface against real servers: every route's declared scope (walked
 * from the routers themselves, with case and trailing-slash variants), internal tasks,
 * reserved run ids, Idempotency-Key after completion, rate limits before authentication,
 * /ready's detail, write content types, and a few hundred malformed bodies (never a 5xx).
 * Keyed tests run the real app in this process; the rest use the shared development-mode API.
 */
// The in-process apps log every request; the assertions say what matters here.
process.env.LOG_LEVEL = 'warn';
import type { Router } from '@koa/router';
import { Client, Connection } from '@temporalio/client';
import type { Server } from 'node:http';
import { apiRouters, createApp } from '../../src/api/app';
import { ApiKeys, declaredAccess, hashKey } from '../../src/http/auth';
import type { AppContext } from '../../src/api/context';
import { ApiMetrics } from '../../src/http/metrics';
import { Runs } from '../../src/api/runs';
import { loadConfig, type Config } from '../../src/config';
import { apiUrl, call, raw, rawPaced, waitForEnd } from '../support/http';

const SECRETS = { read: 'sec-read', write: 'sec-write', admin: 'sec-admin' } as const;
const KEYS = JSON.stringify({ keys: Object.entries(SECRETS).map(([scope, secret]) => ({ id: scope, sha256: hashKey(secret), scopes: [scope] })) });
const uid = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

let connection: Connection;
let client: Client;

interface Running {
  url: string;
  server: Server;
  context: AppContext;
}

function contextFor(overrides: Partial<Config['security']>, pingDatabase: () => Promise<void> = async () => undefined): AppContext {
  const base = loadConfig();
  const config: Config = { ...base, security: { ...base.security, devMode: false, apiKeysFile: undefined, apiKeysInline: KEYS, ...overrides } };
  const apiKeys = new ApiKeys({ inline: config.security.apiKeysInline });
  return { config, client, runs: new Runs(client, config), pingDatabase, apiKeys, metrics: new ApiMetrics() };
}

async function startApp(context: AppContext, routers?: Router[]): Promise<Running> {
  const app = createApp(context, routers);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, context };
}

const stopApp = (app: Running) => new Promise((resolve) => app.server.close(resolve));

const bearer = (secret?: string): Record<string, string> => (secret ? { authorization: `Bearer ${secret}` } : {});
const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  client = new Client({ connection });
});

afterAll(async () => {
  await connection.close();
});

describe('every route declares its scope where it is defined', () => {
  type Layer = Router['stack'][number];
  const hits: string[] = [];
  let app: Running;
  let routes: Array<{ layer: Layer; method: string; path: string; access: string | undefined }>;

  beforeAll(async () => {
    const context = contextFor({ rateLimitPerMinute: 0, rateLimitAnonymousPerMinute: 0 });
    const routers = apiRouters(context);
    // Every route of every router (router.use middleware has no methods and is not a route).
    routes = routers
      .flatMap((router) => router.stack.filter((layer) => layer.methods.length > 0))
      .map((layer) => ({
        layer,
        method: layer.methods.find((m) => m !== 'HEAD') ?? 'GET',
        path: String(layer.path).replace(/:(\w+)/g, 'p1'),
        access: declaredAccess(layer.stack[0]),
      }));
    // The handler (last middleware) only records that it ran: no route does real work here.
    for (const { layer, method, path } of routes) {
      const recorder = (ctx: { status: number; body: unknown }) => {
        hits.push(`${method} ${path}`);
        ctx.status = 200;
        ctx.body = { reached: path };
      };
      layer.stack[layer.stack.length - 1] = recorder as unknown as Layer['stack'][number];
    }
    app = await startApp(context, routers);
  });

  afterAll(async () => {
    app.context.apiKeys.close();
    await stopApp(app);
  });

  test('each route names public, read, write or admin as its first middleware', () => {
    expect(routes.length).toBeGreaterThan(20);
    const undeclared = routes.filter((r) => r.access === undefined).map((r) => `${r.method} ${r.path}`);
    expect(undeclared).toEqual([]);
    const access = Object.fromEntries(routes.map((r) => [`${r.method} ${r.path}`, r.access]));
    expect(access).toMatchObject({
      'POST /workflows/p1/terminate': 'admin',
      'DELETE /schedules/p1': 'admin',
      'POST /workflows': 'write',
      'GET /workflows/p1': 'read',
      'GET /health': 'public',
    });
  });

  test('the canonical path with a sufficient key reaches each handler (so the variants below are real)', async () => {
    // OPTIONS is answered by the codec router's CORS middleware before its route.
    for (const route of routes.filter((r) => r.method !== 'OPTIONS')) {
      hits.length = 0;
      const reply = await raw(app.url, route.method, route.path, { ...bearer(SECRETS.admin), ...json }, route.method === 'GET' ? undefined : '{}');
      expect([`${route.method} ${route.path}`, reply.status, hits]).toEqual([`${route.method} ${route.path}`, 200, [`${route.method} ${route.path}`]]);
    }
  });

  test('upper-case and trailing-slash variants with an under-scoped key never run the handler', async () => {
    const under: Record<string, Array<string | undefined>> = { read: [undefined, 'not-a-key'], write: [SECRETS.read], admin: [SECRETS.write] };
    let tried = 0;
    for (const route of routes) {
      if (route.access === 'public') continue;
      const segments = route.path.split('/');
      const lastUpper = [...segments.slice(0, -1), segments[segments.length - 1].toUpperCase()].join('/');
      const variants = [route.path, route.path.toUpperCase(), `${route.path}/`, `${route.path.toUpperCase()}/`, lastUpper, `${lastUpper}/`, `${route.path}//`];
      for (const secret of under[route.access!]) {
        for (const variant of variants) {
          hits.length = 0;
          const reply = await raw(app.url, route.method, variant, { ...bearer(secret), ...json }, route.method === 'GET' ? undefined : '{}');
          tried++;
          expect([route.method, variant, secret, [401, 403, 404].includes(reply.status), hits]).toEqual([route.method, variant, secret, true, []]);
        }
      }
    }
    expect(tried).toBeGreaterThan(100);
  });

  test('the probe from the report: a write key terminating by TERMINATE or terminate/ is 403', async () => {
    for (const path of ['/workflows/x/TERMINATE', '/workflows/x/terminate/', '/Workflows/x/Terminate']) {
      hits.length = 0;
      const reply = await raw(app.url, 'POST', path, { ...bearer(SECRETS.write), ...json }, '{}');
      expect([path, reply.status, hits]).toEqual([path, 403, []]);
    }
  });
});

describe('keys: internal tasks, rate limits before authentication, /ready', () => {
  test('a write key may not name internal tasks or internal code workflows; admin may', async () => {
    const app = await startApp(contextFor({}));
    try {
      const post = (secret: string, path: string, body: unknown) => raw(app.url, 'POST', path, { ...bearer(secret), ...json }, JSON.stringify(body));
      const mail = { task: 'email.send', args: [{ to: 'x@example.com', subject: 'hi', text: 'hello' }] };
      const refused = await post(SECRETS.write, '/workflows', {
        canvas: {
          chain: [
            { task: 'add', args: [1, 2] },
            { ...mail, immutable: true },
          ],
        },
      });
      expect(refused.status).toBe(400);
      expect(JSON.parse(refused.text).errors).toEqual([{ path: 'canvas.chain[1].task', message: expect.stringContaining('is internal') }]);
      const schedule = await post(SECRETS.write, '/schedules', {
        id: uid('sec-digest'),
        spec: { intervals: [{ every: '1h' }] },
        action: { workflow: 'digest' },
        state: { paused: true },
      });
      expect([schedule.status, JSON.parse(schedule.text).errors[0].path]).toEqual([400, 'action.workflow']);
      // An operator's tool with admin: a cleanup that deletes only files older than 30 days.
      const admin = await post(SECRETS.admin, '/workflows', { canvas: { task: 'files.cleanupOrphans', args: [30 * 86_400_000] } });
      expect(admin.status).toBe(201);
      const tasks = JSON.parse((await raw(app.url, 'GET', '/tasks', bearer(SECRETS.read))).text) as { tasks: Array<{ name: string; visibility: string }> };
      expect(tasks.tasks.find((t) => t.name === 'email.send')?.visibility).toBe('internal');
      expect(tasks.tasks.find((t) => t.name === 'add')?.visibility).toBe('public');
    } finally {
      app.context.apiKeys.close();
      await stopApp(app);
    }
  });

  test('requests without a valid key are limited per address before the 401; a valid key keeps its own bucket', async () => {
    const app = await startApp(contextFor({ rateLimitPerMinute: 60, rateLimitBurst: 3, rateLimitAnonymousPerMinute: 60 }));
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await raw(app.url, 'GET', '/tasks', bearer(`guess-${i}`))).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
      const noKey = await raw(app.url, 'GET', '/workflows');
      expect(noKey.status).toBe(429);
      expect(Number(noKey.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(JSON.parse(noKey.text).detail).toContain('RATE_LIMIT_ANONYMOUS_PER_MINUTE');
      expect((await raw(app.url, 'GET', '/tasks', bearer(SECRETS.read))).status).toBe(200);
    } finally {
      app.context.apiKeys.close();
      await stopApp(app);
    }
  });

  test('/ready names the dependency that is down to anyone, and its error text only to a key holder', async () => {
    const secretText = 'connect ECONNREFUSED db-internal.corp:27017';
    const app = await startApp(contextFor({}, async () => Promise.reject(new Error(secretText))));
    try {
      for (const secret of [undefined, 'not-a-key']) {
        const anonymous = await raw(app.url, 'GET', '/ready', bearer(secret));
        expect(anonymous.status).toBe(503);
        expect(JSON.parse(anonymous.text).checks).toEqual({ temporal: 'ok', database: 'unreachable' });
        expect(anonymous.text).not.toContain('db-internal');
      }
      const keyed = await raw(app.url, 'GET', '/ready', bearer(SECRETS.read));
      expect(JSON.parse(keyed.text).checks.database).toBe(`unreachable: ${secretText}`);
    } finally {
      app.context.apiKeys.close();
      await stopApp(app);
    }
  });
});

describe('development mode API', () => {
  test('writes must be JSON or multipart: text/plain, form-urlencoded and untyped bodies are 415; browsers cross-site are 403', async () => {
    const canvas = JSON.stringify({ canvas: { task: 'add', args: [1, 2] } });
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'text/plain;charset=UTF-8']) {
      expect([type, (await raw(apiUrl(), 'POST', '/workflows', { 'content-type': type }, canvas)).status]).toEqual([type, 415]);
    }
    expect((await raw(apiUrl(), 'POST', '/workflows', {}, canvas)).status).toBe(415);
    expect((await raw(apiUrl(), 'POST', '/users', { 'content-type': 'text/plain' }, '{"name":"a","email":"a@example.com"}')).status).toBe(415);
    // No body and no type (curl -X POST …/cancel) is fine; the same from a cross-site page is not.
    expect((await raw(apiUrl(), 'POST', '/workflows/no-such-run/cancel')).status).toBe(404);
    expect((await raw(apiUrl(), 'POST', '/workflows/no-such-run/cancel', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })).status).toBe(403);
    expect((await raw(apiUrl(), 'POST', '/workflows', { ...json }, canvas)).status).toBe(201);
  });

  test("ids of the application's own runs are refused on POST /workflows and in API schedules", async () => {
    const body = { canvas: { task: 'add', args: [1, 2] } };
    const comment = await call('POST', '/workflows', { ...body, workflowId: 'comment-65a1b2c3d4e5f60718293a4b' });
    expect([comment.status, comment.body.errors]).toEqual([400, [{ path: 'workflowId', message: expect.stringContaining('comment-') }]]);
    const avatar = await call('POST', '/workflows', body, { 'Idempotency-Key': `avatar-65a1b2c3d4e5f60718293a4b-${'a'.repeat(32)}` });
    expect([avatar.status, avatar.body.errors?.[0]?.path]).toEqual([400, 'header.Idempotency-Key']);
    const scheduled = await call('POST', '/workflows', { ...body, workflowId: 'schedule-digest-daily-2030-01-01T07:00:00Z' });
    expect(scheduled.status).toBe(400);
    const schedule = await call('POST', '/schedules', {
      id: uid('sec-prefix'),
      spec: { intervals: [{ every: '1h' }] },
      action: { ...body, workflowId: 'schedule-digest-daily' },
      state: { paused: true },
    });
    expect([schedule.status, schedule.body.errors?.[0]?.path]).toEqual([400, 'action.workflowId']);
  });

  test('Idempotency-Key after the run completed returns that run; the same key with another body is 422', async () => {
    const key = uid('idem-done');
    const body = { canvas: { task: 'add', args: [2, 3] }, defaults: { retry: { maxAttempts: 2 } } };
    const first = await call('POST', '/workflows', body, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    expect((await waitForEnd(key, '60s')).status).toBe('COMPLETED');
    // The same request, keys in another order: a retry of the same request.
    const again = await call(
      'POST',
      '/workflows',
      { defaults: { retry: { maxAttempts: 2 } }, canvas: { args: [2, 3], task: 'add' } },
      { 'Idempotency-Key': key },
    );
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ workflowId: key, runId: first.body.runId, status: 'COMPLETED', existing: true });
    const other = await call('POST', '/workflows', { canvas: { task: 'add', args: [2, 4] } }, { 'Idempotency-Key': key });
    expect([other.status, other.body.errors]).toEqual([422, [{ path: 'header.Idempotency-Key', message: 'was used with a different request body' }]]);
    // Still exactly one run under the key.
    const runs: string[] = [];
    for await (const run of client.workflow.list({ query: `WorkflowId = "${key}"` })) runs.push(run.runId);
    expect(runs).toEqual([first.body.runId]);
  });
});

describe('malformed bodies never answer 5xx', () => {
  const created: string[] = [];
  afterAll(async () => {
    for (const id of created) await call('DELETE', `/schedules/${id}`);
  });

  /** A small deterministic generator, so a failure names a body that can be sent again. */
  function bodies(): Array<[string, string]> {
    const deep = (n: number, open: string, close: string, inner = '1') => `${open.repeat(n)}${inner}${close.repeat(n)}`;
    const bad = [
      '',
      ' ',
      '{',
      '}',
      '{"a":}',
      '{"a" 1}',
      '[1,]',
      'nul',
      'tru',
      '"unterminated',
      '{"a":"\\x"}',
      '\u0000',
      '{"a":1}}',
      '{,}',
      "{'a':1}",
      'NaN',
      'Infinity',
      '-',
      '1e',
      '0x10',
      '{"a":01}',
    ];
    const tops = ['null', 'true', '0', '-1', '"text"', '[]', '[{}]', '[null]', '{}', '1e400', '123456789012345678901234567890'];
    const nests = [129, 200, 1_000, 10_000, 50_000, 100_000].flatMap((n) => [deep(n, '[', ']', ''), deep(n, '{"a":', '}'), `{"x":${deep(n, '[', ']', '')}}`]);
    const protos = [
      '{"__proto__":{"admin":true}}',
      '{"constructor":{"prototype":{"admin":true}}}',
      '{"prototype":1}',
      '{"toString":1}',
      '{"hasOwnProperty":"x"}',
      '{"a":{"__proto__":[]}}',
      '{"valueOf":{}}',
    ];
    const odd: unknown[] = [
      null,
      true,
      false,
      0,
      -1,
      1e308,
      -1e308,
      Number.MAX_SAFE_INTEGER + 2,
      0.1,
      '',
      'x'.repeat(10_000),
      '\u0000',
      '$gt',
      [],
      {},
      [[]],
      { $gt: '' },
      { 'a.b': 1 },
      [1, 'a', null],
    ];
    const valid: Record<string, Record<string, unknown>> = {
      '/workflows': { canvas: { task: 'add', args: [1, 2] } },
      '/schedules': { id: 'fuzz', spec: { intervals: [{ every: '1h' }] }, action: { canvas: { task: 'noop' } }, state: { paused: true } },
      '/users': { name: 'fuzz', email: 'fuzz@example.com' },
      '/comments': { authorId: '65a1b2c3d4e5f60718293a4b', text: 'hello' },
    };
    const out: Array<[string, string]> = [];
    for (const [route, body] of Object.entries(valid)) {
      for (const text of [...bad, ...tops, ...nests, ...protos]) out.push([route, text]);
      // Each field replaced by each odd value, and the field's own shape nested deep.
      for (const field of Object.keys(body)) {
        for (const value of odd) out.push([route, JSON.stringify({ ...body, [field]: value })]);
        out.push([route, JSON.stringify({ ...body, [field]: undefined }).replace(/}$/, `,"${field}":${deep(150, '[', ']', '')}}`)]);
      }
      out.push([route, JSON.stringify({ ...body, extra: 1 })]);
      out.push([route, JSON.stringify(body).replace(/}$/, ',"__proto__":{"polluted":true}}')]);
      out.push([route, JSON.stringify(body).slice(0, -1)]);
      out.push([route, JSON.stringify(body).replace(/"[^"]*"/, '1e999')]);
    }
    // Canvas-specific shapes: huge numbers in args, nodes nested past the limit, odd kinds.
    out.push(['/workflows', '{"canvas":{"task":"add","args":[1e999,2]}}']);
    out.push(['/workflows', JSON.stringify({ canvas: Array.from({ length: 40 }).reduce<unknown>((n) => ({ chain: [n] }), { task: 'noop' }) })]);
    out.push(['/workflows', '{"canvas":{"task":"add","args":[1,2],"__proto__":{"task":"email.send"}}}']);
    out.push(['/workflows', '{"canvas":{"chain":null}}']);
    out.push(['/workflows', '{"canvas":{"group":[{"map":{"task":"add","items":[[[[]]]]}}]}}']);
    return out;
  }

  test('a few hundred bad bodies to /workflows, /schedules, /users and /comments: every answer is 4xx', async () => {
    const cases = bodies();
    expect(cases.length).toBeGreaterThan(300);
    const statuses = new Map<number, number>();
    const fivexx: string[] = [];
    for (const [route, text] of cases) {
      // Paced by the development mode's own rate limit: wait as told and send the same body again.
      const reply = await rawPaced(apiUrl(), 'POST', route, json, text);
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      if (reply.status >= 500) fivexx.push(`${route} ${reply.status} ${text.slice(0, 120)}`);
      if (route === '/schedules' && reply.status === 201) created.push(JSON.parse(text).id as string);
    }
    expect(fivexx).toEqual([]);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(cases.length / 2);
  });
});
