/**
 * Tenants over HTTP against the real servers: keys of two teams and an admin, through the
 * real app in this process (the runs execute on the test stack's pools). Another team's run
 * or schedule does not exist for a key (404); flow-control keys are per tenant; pools and
 * priority 1 are not a caller's to choose; built-in schedules and retries respect reach.
 */
process.env.LOG_LEVEL = 'warn';
import { Client, Connection } from '@temporalio/client';
import type { Server } from 'node:http';
import { createApp } from '../../src/api/app';
import { ApiKeys, hashKey } from '../../src/http/auth';
import type { AppContext } from '../../src/api/context';
import { ApiMetrics } from '../../src/http/metrics';
import { Runs } from '../../src/api/runs';
import { loadConfig, type Config } from '../../src/config';
import { startWorkflow } from '../../src/temporal/start';
import { APP_TENANT } from '../../src/workflows/tenants';

const KEYS = {
  aWrite: { secret: 'a-write', scopes: ['write'], tenant: 'team-a' },
  aRead: { secret: 'a-read', scopes: ['read'], tenant: 'team-a' },
  aAdmin: { secret: 'a-admin', scopes: ['admin'], tenant: 'team-a' },
  bWrite: { secret: 'b-write', scopes: ['write'], tenant: 'team-b' },
  admin: { secret: 'ops-admin', scopes: ['admin'], tenant: 'ops' },
} as const;
type Who = keyof typeof KEYS;
const KEY_FILE = JSON.stringify({ keys: Object.entries(KEYS).map(([id, k]) => ({ id, sha256: hashKey(k.secret), scopes: k.scopes, tenant: k.tenant })) });
const uid = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

let connection: Connection;
let client: Client;
const apps: Array<{ server: Server; context: AppContext }> = [];

async function startApp(overrides: Partial<Config['security']> = {}): Promise<string> {
  const base = loadConfig();
  const config: Config = { ...base, security: { ...base.security, devMode: false, apiKeysFile: undefined, apiKeysInline: KEY_FILE, ...overrides } };
  const context: AppContext = {
    config,
    client,
    runs: new Runs(client, config),
    pingDatabase: async () => undefined,
    apiKeys: new ApiKeys({ inline: KEY_FILE }),
    metrics: new ApiMetrics(),
  };
  const server = await new Promise<Server>((resolve) => {
    const s = createApp(context).listen(0, '127.0.0.1', () => resolve(s));
  });
  apps.push({ server, context });
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

let url: string;

interface Reply {
  status: number;
  body: any;
}

async function as(who: Who, method: string, path: string, body?: unknown, base = url): Promise<Reply> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEYS[who].secret}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function started(who: Who, request: Record<string, unknown>): Promise<string> {
  const reply = await as(who, 'POST', '/workflows', request);
  if (reply.status !== 201) throw new Error(`start failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.workflowId as string;
}

async function ended(who: Who, workflowId: string): Promise<any> {
  const reply = await as(who, 'GET', `/workflows/${encodeURIComponent(workflowId)}/result?timeout=60s`);
  if (reply.status !== 200) throw new Error(`no end: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

beforeAll(async () => {
  connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  client = new Client({ connection });
  url = await startApp();
});

afterAll(async () => {
  for (const app of apps) {
    app.context.apiKeys.close();
    await new Promise((resolve) => app.server.close(resolve));
  }
  await connection.close();
});

describe('runs belong to the tenant of the key that started them', () => {
  let running: string;
  let done: string;

  beforeAll(async () => {
    running = await started('aWrite', { canvas: { wait: { event: 'go', timeout: '2m' } } });
    done = await started('aWrite', {
      canvas: {
        chain: [
          { task: 'add', args: [2, 3] },
          { task: 'mul', args: [4] },
        ],
      },
    });
    expect((await ended('aWrite', done)).result).toBe(20);
  });

  test('the run carries OrchestraTenant, so the Temporal UI and CLI filter by it', async () => {
    const description = await client.workflow.getHandle(done).describe();
    expect(description.searchAttributes.OrchestraTenant).toEqual(['team-a']);
  });

  test("the same tenant's keys read it; another tenant's key gets 404 on every route, exactly as for an unknown id", async () => {
    expect((await as('aRead', 'GET', `/workflows/${done}`)).body).toMatchObject({ workflowId: done, tenant: 'team-a', result: 20 });
    const unknown = uid('no-such-run');
    for (const [method, path, body] of [
      ['GET', `/workflows/${done}`],
      ['GET', `/workflows/${done}/result?timeout=1s`],
      ['GET', `/workflows/${running}/events`],
      ['POST', `/workflows/${running}/cancel`],
      ['POST', `/workflows/${running}/events/go`, {}],
      ['POST', `/workflows/${done}/retry`],
    ] as Array<[string, string, unknown?]>) {
      const foreign = await as('bWrite', method, path, body);
      const missing = await as('bWrite', method, path.replace(/\/workflows\/[^/?]+/, `/workflows/${unknown}`), body);
      expect([method, path, foreign.status, foreign.body.title]).toEqual([method, path, 404, missing.body.title]);
      expect(foreign.body.detail.replace(done, '<id>').replace(running, '<id>')).toBe(missing.body.detail.replace(unknown, '<id>'));
    }
    // Still running and untouched: b's cancel and event reached nothing.
    expect((await as('aRead', 'GET', `/workflows/${running}`)).body.status).toBe('RUNNING');
  });

  test("an admin key reaches every tenant's runs; terminate is admin's", async () => {
    expect((await as('admin', 'GET', `/workflows/${done}`)).body).toMatchObject({ status: 'COMPLETED', tenant: 'team-a' });
    expect((await as('aWrite', 'POST', `/workflows/${running}/terminate`, {})).status).toBe(403);
    expect((await as('admin', 'POST', `/workflows/${running}/terminate`, { reason: 'tenant test' })).status).toBe(200);
  });

  test("GET /workflows lists the caller's tenant only; admin lists all, or one tenant with ?tenant", async () => {
    const b = await started('bWrite', { canvas: { task: 'noop', args: [1] } });
    await ended('bWrite', b);
    const ids = async (who: Who, query: string) => {
      // Visibility is eventually consistent: wait until the newest run shows.
      for (let i = 0; i < 50; i++) {
        const list = (await as(who, 'GET', `/workflows?limit=1000${query}`)).body.runs.map((r: { workflowId: string }) => r.workflowId) as string[];
        if (list.includes(who.startsWith('b') ? b : done) || i === 49) return list;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return [];
    };
    const listA = await ids('aRead', '&tenant=team-b');
    expect(listA).toEqual(expect.arrayContaining([done, running]));
    expect(listA).not.toContain(b);
    const listB = await ids('bWrite', '');
    expect(listB).toContain(b);
    expect(listB).not.toContain(done);
    const adminA = await ids('admin', '&tenant=team-a');
    expect(adminA).toContain(done);
    expect(adminA).not.toContain(b);
  });

  test("an id another tenant holds is taken (409) and says nothing of that run; the owner's retry of its key gets its run", async () => {
    const id = uid('shared-id');
    // A run that stays open: a start of a closed run's id would be a new run (201).
    const open = { canvas: { wait: { event: 'never', timeout: '1m' } }, workflowId: id };
    await started('aWrite', open);
    const again = await as('aWrite', 'POST', '/workflows', open);
    expect(again.status).toBe(200);
    const foreign = await as('bWrite', 'POST', '/workflows', open);
    expect(foreign.status).toBe(409);
    expect(foreign.body).not.toHaveProperty('runId');
    expect(JSON.stringify(foreign.body)).not.toMatch(/COMPLETED|RUNNING|team-a/);
    await as('admin', 'POST', `/workflows/${id}/terminate`, { reason: 'test done' });
  });

  test("the application's own runs are readable by every key, and only admin acts on them", async () => {
    const id = uid('app-owned');
    await startWorkflow(client, {
      type: 'canvas',
      workflowId: id,
      args: [{ canvas: { wait: { event: 'never', timeout: '1m' } } }],
      tasks: [],
      tenant: APP_TENANT,
    });
    expect((await as('bWrite', 'GET', `/workflows/${id}`)).body).toMatchObject({ status: 'RUNNING', tenant: APP_TENANT });
    expect((await as('bWrite', 'POST', `/workflows/${id}/cancel`)).status).toBe(404);
    expect((await as('admin', 'POST', `/workflows/${id}/cancel`)).status).toBe(202);
  });
});

describe('flow-control keys are per tenant', () => {
  test("the same debounce key of two tenants is two debouncers, each its tenant's", async () => {
    const key = uid('dk');
    const a = await as('aWrite', 'POST', '/workflows', { canvas: { task: 'add', args: [1, 1] }, debounce: { key, period: '300ms' } });
    const b = await as('bWrite', 'POST', '/workflows', { canvas: { task: 'add', args: [2, 2] }, debounce: { key, period: '300ms' } });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.workflowId).toBe(`debounce-team-a/${key}`);
    expect(b.body.workflowId).toBe(`debounce-team-b/${key}`);
    expect((await ended('aWrite', a.body.workflowId)).result).toBe(2);
    expect((await ended('bWrite', b.body.workflowId)).result).toBe(4);
    expect((await as('bWrite', 'GET', `/workflows/${encodeURIComponent(a.body.workflowId)}`)).status).toBe(404);
  });

  test("tenant B's run with A's concurrency key never waits for A's slot; A's limit is fixed by its first holder", async () => {
    const key = uid('ck');
    const holder = await started('aWrite', { canvas: { wait: { event: 'release', timeout: '2m' } }, concurrency: { key, limit: 1 } });
    await waitUntil(async () => (await as('aRead', 'GET', `/workflows/${holder}`)).body.state?.queue?.status === 'running');
    // A second run of A asking for a wider limit still waits: the key's limit is its first holder's.
    const wider = await started('aWrite', { canvas: { task: 'add', args: [1, 2] }, concurrency: { key, limit: 5 } });
    const b = await started('bWrite', { canvas: { task: 'add', args: [3, 4] }, concurrency: { key, limit: 1 } });
    expect((await ended('bWrite', b)).result).toBe(7);
    expect((await as('aRead', 'GET', `/workflows/${wider}`)).body.state.queue.status).toBe('waiting');
    expect((await as('aWrite', 'POST', `/workflows/${holder}/events/release`, {})).status).toBe(202);
    expect((await ended('aWrite', wider)).result).toBe(3);
    const coordinator = await client.workflow.getHandle(`concurrency-team-a/${key}`).describe();
    expect(coordinator.searchAttributes.OrchestraTenant).toEqual(['team-a']);
  });

  test('past TENANT_MAX_FLOW_KEYS live keys a new key is a 429; a live key and other tenants still go', async () => {
    const limited = await startApp({ tenantMaxFlowKeys: 1 });
    const key = uid('live');
    const hold = { canvas: { wait: { event: 'never', timeout: '1m' } } };
    const first = await as('aWrite', 'POST', '/workflows', { ...hold, debounce: { key, period: '1m' } }, limited);
    expect(first.status).toBe(201);
    await waitUntil(
      async () => (await client.workflow.count(`OrchestraTenant = "team-a" AND WorkflowType = "debouncer" AND ExecutionStatus = "Running"`)).count >= 1,
    );
    const second = await as('aWrite', 'POST', '/workflows', { ...hold, debounce: { key: `${key}-2`, period: '1m' } }, limited);
    expect(second.status).toBe(429);
    expect(second.body.detail).toContain('TENANT_MAX_FLOW_KEYS');
    expect((await as('aWrite', 'POST', '/workflows', { ...hold, debounce: { key, period: '1m' } }, limited)).status).toBe(201);
    await client.workflow.getHandle(first.body.workflowId).terminate('tenant test');
  });
});

describe("pools and priority are not a caller's to choose", () => {
  test('routing a task off its pool is a 400 with the path for a write key; admin may', async () => {
    const onMedia = await as('bWrite', 'POST', '/workflows', { canvas: { task: 'sleep', args: [10], options: { queue: 'media' } } });
    expect(onMedia.status).toBe(400);
    expect(onMedia.body.errors).toEqual([{ path: 'canvas.options.queue', message: expect.stringContaining('needs an admin key') }]);
    const byDefaults = await as('bWrite', 'POST', '/workflows', { canvas: { chain: [{ task: 'add', args: [1, 2] }] }, defaults: { queue: 'ml' } });
    expect(byDefaults.status).toBe(400);
    expect(byDefaults.body.errors).toEqual([{ path: 'canvas.chain[0]', message: expect.stringContaining('set at defaults.queue') }]);
    expect((await as('bWrite', 'POST', '/workflows', { canvas: { task: 'add', args: [1, 2], options: { queue: 'default' } } })).status).toBe(201);
    expect((await as('admin', 'POST', '/workflows', { canvas: { task: 'sleep', args: [10], options: { queue: 'media' } } })).status).toBe(201);
  });

  test('priority 1 is reserved to admin keys', async () => {
    const first = await as('bWrite', 'POST', '/workflows', { canvas: { task: 'noop', args: [1] }, priority: 1 });
    expect(first.status).toBe(400);
    expect(first.body.errors).toEqual([{ path: 'priority', message: expect.stringContaining('admin') }]);
    expect((await as('bWrite', 'POST', '/workflows', { canvas: { task: 'noop', args: [1] }, priority: 2 })).status).toBe(201);
    expect((await as('admin', 'POST', '/workflows', { canvas: { task: 'noop', args: [1] }, priority: 1 })).status).toBe(201);
  });

  test("a retry re-checks the stored request against the retrying key, and keeps the run its tenant's", async () => {
    // team-a's admin started a failing run with priority 1; team-a's write key may not start that.
    const failing = await started('aAdmin', { canvas: { task: 'divide', args: [1, 0] }, priority: 1 });
    expect((await ended('aAdmin', failing)).status).toBe('FAILED');
    const refused = await as('aWrite', 'POST', `/workflows/${failing}/retry`);
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([{ path: 'priority', message: expect.stringContaining('admin') }]);
    const retried = await as('admin', 'POST', `/workflows/${failing}/retry`);
    expect(retried.status).toBe(201);
    const description = await client.workflow.getHandle(retried.body.workflowId).describe();
    expect(description.searchAttributes.OrchestraTenant).toEqual(['team-a']);
  });
});

describe('schedules belong to tenants; built-ins and internal actions need admin', () => {
  const schedule = (id: string) => ({ id, spec: { intervals: [{ every: '1h' }] }, action: { canvas: { task: 'add', args: [1, 2] } }, state: { paused: true } });

  test("another tenant's schedule is a 404 on every route; its runs are its owner's", async () => {
    const id = uid('tenant-sched');
    expect((await as('aWrite', 'POST', '/schedules', schedule(id))).status).toBe(201);
    for (const [method, path, body] of [
      ['GET', `/schedules/${id}`],
      ['PATCH', `/schedules/${id}`, { spec: { intervals: [{ every: '2h' }] } }],
      ['POST', `/schedules/${id}/pause`, {}],
      ['POST', `/schedules/${id}/trigger`, {}],
      ['POST', `/schedules/${id}/backfill`, { start: '2030-01-01T00:00:00Z', end: '2030-01-01T02:00:00Z' }],
    ] as Array<[string, string, unknown?]>) {
      expect([method, path, (await as('bWrite', method, path, body)).status]).toEqual([method, path, 404]);
    }
    const listed = (await as('bWrite', 'GET', '/schedules')).body.schedules.map((s: { id: string }) => s.id);
    expect(listed).not.toContain(id);
    expect((await as('aWrite', 'POST', `/schedules/${id}/trigger`, {})).status).toBe(202);
    await waitUntil(async () => (await client.workflow.count(`OrchestraTenant = "team-a" AND WorkflowId STARTS_WITH "schedule-${id}"`)).count >= 1);
    await as('admin', 'DELETE', `/schedules/${id}`);
  });

  test('trigger, backfill, pause and PATCH of a built-in schedule need admin (403 for a write key)', async () => {
    const builtins = (await as('admin', 'GET', '/schedules')).body.schedules.filter((s: { builtin: boolean }) => s.builtin);
    expect(builtins.length).toBeGreaterThan(0);
    const id = builtins[0].id as string;
    expect((await as('aWrite', 'GET', `/schedules/${id}`)).status).toBe(200);
    for (const [method, path, body] of [
      ['POST', `/schedules/${id}/trigger`, {}],
      ['POST', `/schedules/${id}/pause`, {}],
      ['POST', `/schedules/${id}/backfill`, { start: '2030-01-01T00:00:00Z', end: '2030-01-02T00:00:00Z' }],
      ['PATCH', `/schedules/${id}`, { spec: { intervals: [{ every: '2h' }] } }],
    ] as Array<[string, string, unknown?]>) {
      expect([method, path, (await as('aWrite', method, path, body)).status]).toEqual([method, path, 403]);
    }
  });

  test('a backfill is bounded: more than the documented maximum of runs is a 400 and starts nothing', async () => {
    const id = uid('wide-backfill');
    expect((await as('aWrite', 'POST', '/schedules', { ...schedule(id), spec: { intervals: [{ every: '1m' }] } })).status).toBe(201);
    const wide = await as('aWrite', 'POST', `/schedules/${id}/backfill`, { start: '2030-01-01T00:00:00Z', end: '2030-01-02T00:00:00Z' });
    expect(wide.status).toBe(400);
    expect(wide.body.errors).toEqual([{ path: 'end', message: expect.stringContaining('at most 500') }]);
    expect((await as('aWrite', 'POST', `/schedules/${id}/backfill`, { start: '2030-01-01T00:00:00Z', end: '2030-01-01T00:05:00Z' })).status).toBe(202);
    await as('admin', 'DELETE', `/schedules/${id}`);
  });
});

async function waitUntil(probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
