/**
 * POST /workflows/batch against the real servers: each canvas its own run, answered in
 * order; validation of every item before anything starts (paths under `canvases[i]`);
 * the batch's Idempotency-Key as `<key>:<i>` per item; per-item refusals (409, 422, 429)
 * beside items that start; tenants' reach, as for POST /workflows. The shared API runs in
 * development mode (one tenant, admin); the tenant tests start an app of their own with keys.
 */
process.env.LOG_LEVEL = 'warn';
import type { Client } from '@temporalio/client';
import { MAX_BATCH_CANVASES } from '../../src/api/batch-start';
import { call, waitForEnd } from '../support/http';
import { KeyedApps } from '../support/keyed-apps';

type Node = Record<string, unknown>;
const uid = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
/** add(i, 1) then mul(10): (i + 1) * 10, so each item's result names its index. */
const chain = (i: number): Node => ({
  canvas: {
    chain: [
      { task: 'add', args: [i, 1] },
      { task: 'mul', args: [10] },
    ],
  },
});
/** A run that stays open until it is terminated (or a minute passes). */
const open = (workflowId: string): Node => ({ canvas: { wait: { event: 'never', timeout: '1m' } }, workflowId });

const batch = (canvases: unknown, headers: Record<string, string> = {}) => call('POST', '/workflows/batch', { canvases }, headers);
const paths = (body: { errors?: Array<{ path: string }> }) => (body.errors ?? []).map((e) => e.path);

async function terminate(workflowId: string): Promise<void> {
  await call('POST', `/workflows/${encodeURIComponent(workflowId)}/terminate`, { reason: 'batch test done' });
}

describe('a valid batch', () => {
  test('starts each canvas as its own run, listed in the request order, each with its own result', async () => {
    const reply = await batch([0, 1, 2, 3, 4].map(chain));
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ started: 5, existing: 0, failed: 0 });
    const items = reply.body.items as Array<{ index: number; status: number; workflowId: string; runId: string; links: { self: string } }>;
    expect(items.map((item) => [item.index, item.status])).toEqual([0, 1, 2, 3, 4].map((i) => [i, 201]));
    expect(new Set(items.map((item) => item.workflowId)).size).toBe(5);
    for (const item of items) {
      expect(item.workflowId).toMatch(/^canvas-/);
      expect(item.links.self).toBe(`/workflows/${encodeURIComponent(item.workflowId)}`);
    }
    const results = await Promise.all(items.map((item) => waitForEnd(item.workflowId)));
    expect(results.map((run) => [run.status, run.runId, run.result])).toEqual(items.map((item, i) => ['COMPLETED', item.runId, (i + 1) * 10]));
  });

  test("an item naming an open run's id gets that run (200, existing): the batch is 200, each item has its run", async () => {
    const held = uid('batch-held');
    expect((await call('POST', '/workflows', open(held))).status).toBe(201);
    const reply = await batch([chain(1), open(held)]);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ started: 1, existing: 1, failed: 0 });
    expect(reply.body.items[1]).toMatchObject({ index: 1, status: 200, workflowId: held, existing: true, runStatus: 'RUNNING' });
    expect((await waitForEnd(reply.body.items[0].workflowId)).result).toBe(20);
    await terminate(held);
  });

  test('the route is in the OpenAPI document, with the write scope and its answers', async () => {
    const operation = (await call('GET', '/openapi.json')).body.paths['/workflows/batch'].post;
    expect(operation['x-required-scope']).toBe('write');
    expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['200', '201', '207', '400', '413']));
    expect(operation.requestBody.content['application/json'].schema.properties.canvases.maxItems).toBe(MAX_BATCH_CANVASES);
  });
});

describe('validation comes first: one invalid canvas and nothing starts', () => {
  test('an unknown task in canvases[2] and a bad argument in canvases[4]: a 400 with both indexed paths, and no item started', async () => {
    const ids = [0, 1, 2, 3, 4, 5].map((i) => uid(`batch-invalid-${i}`));
    const canvases: Node[] = ids.map((workflowId, i) => ({ ...chain(i), workflowId }));
    canvases[2] = { canvas: { chain: [{ task: 'add', args: [1, 2] }, { task: 'no-such-task' }] }, workflowId: ids[2] };
    canvases[4] = {
      canvas: {
        chain: [
          { task: 'add', args: ['x', 2] },
          { task: 'mul', args: [2] },
        ],
      },
      workflowId: ids[4],
    };
    const reply = await batch(canvases);
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(paths(reply.body)).toEqual(['canvases[2].canvas.chain[1].task', 'canvases[4].canvas.chain[0].args[0]']);
    expect(reply.body.errors[0].message).toContain('unknown task "no-such-task"');
    for (const id of ids) expect([id, (await call('GET', `/workflows/${id}`)).status]).toEqual([id, 404]);
  });

  test('the envelope: not an object, no list, an empty list, over the maximum, an item that is not an object, an unknown field', async () => {
    const cases: Array<[unknown, string[]]> = [
      [[chain(1)], ['']],
      [{}, ['canvases']],
      [{ canvases: 'all of them' }, ['canvases']],
      [{ canvases: [] }, ['canvases']],
      [{ canvases: Array.from({ length: MAX_BATCH_CANVASES + 1 }, (_, i) => chain(i)) }, ['canvases']],
      [{ canvases: [chain(1), 7] }, ['canvases[1]']],
      [{ canvases: [chain(1)], dryRun: true }, ['dryRun']],
    ];
    for (const [body, expected] of cases) {
      const reply = await call('POST', '/workflows/batch', body);
      expect([JSON.stringify(body).slice(0, 60), reply.status, paths(reply.body)]).toEqual([JSON.stringify(body).slice(0, 60), 400, expected]);
    }
    const tooMany = await call('POST', '/workflows/batch', { canvases: Array.from({ length: MAX_BATCH_CANVASES + 1 }, (_, i) => chain(i)) });
    expect(tooMany.body.errors[0].message).toContain(`at most ${MAX_BATCH_CANVASES}`);
  });

  test("the same workflowId in two items, and an item's workflowId beside the batch's Idempotency-Key, are 400s at the item", async () => {
    const id = uid('batch-twice');
    const twice = await batch([{ ...chain(1), workflowId: id }, chain(2), { ...chain(3), workflowId: id }]);
    expect([twice.status, paths(twice.body)]).toEqual([400, ['canvases[2].workflowId']]);
    expect(twice.body.errors[0].message).toContain('canvases[0]');
    const key = uid('batch-key');
    const keyed = await batch([chain(1), { ...chain(2), workflowId: `${key}:1` }], { 'Idempotency-Key': key });
    expect([keyed.status, paths(keyed.body)]).toEqual([400, ['canvases[1].workflowId']]);
    expect((await call('GET', `/workflows/${id}`)).status).toBe(404);
    expect((await call('GET', `/workflows/${key}:0`)).status).toBe(404);
  });

  test('the Idempotency-Key must leave room for ":<index>", and must not be one of the application\'s ids', async () => {
    const key = `k${'x'.repeat(197)}`; // 198 characters: "<key>:9" is 200, "<key>:10" is 201
    const tooLong = await batch(
      Array.from({ length: 11 }, (_, i) => chain(i)),
      { 'Idempotency-Key': key },
    );
    expect([tooLong.status, paths(tooLong.body)]).toEqual([400, ['header.Idempotency-Key']]);
    expect(tooLong.body.errors[0].message).toContain('at most 197 characters in a batch of 11');
    const reserved = await batch([chain(1)], { 'Idempotency-Key': `comment-${uid('x')}` });
    expect([reserved.status, paths(reserved.body)]).toEqual([400, ['header.Idempotency-Key']]);
  });
});

describe("the batch's Idempotency-Key", () => {
  test('the same batch again answers the same runs (existing) and starts nothing; a changed item is its own 422', async () => {
    const key = uid('batch-idem');
    const canvases = [0, 1, 2].map(chain);
    const first = await batch(canvases, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    const ids = first.body.items.map((item: { workflowId: string }) => item.workflowId);
    const runIds = first.body.items.map((item: { runId: string }) => item.runId);
    expect(ids).toEqual([`${key}:0`, `${key}:1`, `${key}:2`]);
    expect((await Promise.all(ids.map((id: string) => waitForEnd(id)))).map((run) => run.result)).toEqual([10, 20, 30]);

    const again = await batch(canvases, { 'Idempotency-Key': key });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ started: 0, existing: 3, failed: 0 });
    expect(again.body.items.map((item: Node) => [item.status, item.workflowId, item.runId, item.existing, item.runStatus])).toEqual(
      ids.map((id: string, i: number) => [200, id, runIds[i], true, 'COMPLETED']),
    );

    const changed = await batch([canvases[0], chain(7), canvases[2]], { 'Idempotency-Key': key });
    expect(changed.status).toBe(207);
    expect(changed.body).toMatchObject({ started: 0, existing: 2, failed: 1 });
    expect(changed.body.items.map((item: Node) => [item.index, item.status, item.runId])).toEqual([
      [0, 200, runIds[0]],
      [1, 422, undefined],
      [2, 200, runIds[2]],
    ]);
    expect(changed.body.items[1]).toMatchObject({
      workflowId: `${key}:1`,
      error: { status: 422, errors: [{ path: 'header.Idempotency-Key', message: 'was used with a different request body' }] },
    });
    // Still the first run under that id: the changed item started nothing.
    expect((await call('GET', `/workflows/${key}:1`)).body).toMatchObject({ runId: runIds[1], result: 20 });
  });
});

describe('partial failure: a refused item does not stop the others', () => {
  test('"exclusive": true with the id of an open run is that item\'s 409; the others start; the batch is 207', async () => {
    const held = uid('batch-exclusive');
    const holder = await call('POST', '/workflows', open(held));
    expect(holder.status).toBe(201);
    const reply = await batch([chain(1), { ...open(held), exclusive: true }, chain(3)]);
    expect(reply.status).toBe(207);
    expect(reply.body).toMatchObject({ started: 2, existing: 0, failed: 1 });
    expect(reply.body.items.map((item: Node) => [item.index, item.status])).toEqual([
      [0, 201],
      [1, 409],
      [2, 201],
    ]);
    expect(reply.body.items[1]).toMatchObject({ workflowId: held, error: { status: 409, title: 'Conflict' } });
    expect(reply.body.items[1].error.detail).toContain('"exclusive": true');
    expect(reply.body.items[1]).not.toHaveProperty('runId');
    expect((await waitForEnd(reply.body.items[0].workflowId)).result).toBe(20);
    expect((await waitForEnd(reply.body.items[2].workflowId)).result).toBe(40);
    // The open run is the holder's, untouched.
    expect((await call('GET', `/workflows/${held}`)).body).toMatchObject({ status: 'RUNNING', runId: holder.body.runId });
    await terminate(held);
  });
});

// Keys of two teams, as in tenants.test.ts, on an app of this file's own (the runs execute on the test stack's pools).
const keys = new KeyedApps({
  aWrite: { secret: 'batch-a-write', scopes: ['write'], tenant: 'batch-team-a' },
  aRead: { secret: 'batch-a-read', scopes: ['read'], tenant: 'batch-team-a' },
  bWrite: { secret: 'batch-b-write', scopes: ['write'], tenant: 'batch-team-b' },
});

describe('tenants and keys', () => {
  let client: Client;
  const startApp = (overrides?: Parameters<typeof keys.start>[0]) => keys.start(overrides);
  const as = (who: Parameters<typeof keys.as>[0], base: string, method: string, path: string, body?: unknown) => keys.as(who, base, method, path, body);

  let url: string;
  beforeAll(async () => {
    await keys.connect();
    client = keys.client;
    url = await startApp();
  });
  afterAll(() => keys.close());

  test('the write scope is needed', async () => {
    expect((await as('aRead', url, 'POST', '/workflows/batch', { canvases: [chain(1)] })).status).toBe(403);
  });

  test("an id another tenant holds is that item's 409 and says nothing of the run; the caller's other items are its own runs", async () => {
    const held = uid('batch-foreign');
    expect((await as('aWrite', url, 'POST', '/workflows', open(held))).status).toBe(201);
    const reply = await as('bWrite', url, 'POST', '/workflows/batch', { canvases: [open(held), chain(4)] });
    expect(reply.status).toBe(207);
    expect(reply.body.items.map((item: Node) => [item.index, item.status])).toEqual([
      [0, 409],
      [1, 201],
    ]);
    expect(reply.body.items[0]).toEqual({
      index: 0,
      status: 409,
      workflowId: held,
      error: { status: 409, title: 'Conflict', detail: `the workflow id ${held} is taken; choose another` },
    });
    expect(reply.text).not.toMatch(/RUNNING|batch-team-a/);
    const mine = reply.body.items[1].workflowId as string;
    expect((await as('bWrite', url, 'GET', `/workflows/${mine}/result?timeout=60s`)).body).toMatchObject({ tenant: 'batch-team-b', result: 50 });
    expect((await as('aRead', url, 'GET', `/workflows/${mine}`)).status).toBe(404);
    const description = await client.workflow.getHandle(mine).describe();
    expect(description.searchAttributes.OrchestraTenant).toEqual(['batch-team-b']);
    await client.workflow.getHandle(held).terminate('batch test done');
  });

  test("admin-only choices are validated per item with the caller's reach: priority 1 from a write key is a 400 at its index", async () => {
    const id = uid('batch-priority');
    const reply = await as('bWrite', url, 'POST', '/workflows/batch', {
      canvases: [
        { ...chain(1), workflowId: id },
        { ...chain(2), priority: 1 },
      ],
    });
    expect([reply.status, paths(reply.body)]).toEqual([400, ['canvases[1].priority']]);
    expect((await as('bWrite', url, 'GET', `/workflows/${id}`)).status).toBe(404);
  });

  test("past TENANT_MAX_FLOW_KEYS a new debounce key is that item's 429; the item without one starts", async () => {
    const limited = await startApp({ tenantMaxFlowKeys: 1 });
    const key = uid('batch-live');
    const hold = { canvas: { wait: { event: 'never', timeout: '1m' } } };
    const first = await as('aWrite', limited, 'POST', '/workflows', { ...hold, debounce: { key, period: '1m' } });
    expect(first.status).toBe(201);
    const deadline = Date.now() + 30_000;
    while ((await client.workflow.count(`OrchestraTenant = "batch-team-a" AND WorkflowType = "debouncer" AND ExecutionStatus = "Running"`)).count < 1) {
      if (Date.now() > deadline) throw new Error('the debouncer is not visible as running');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const reply = await as('aWrite', limited, 'POST', '/workflows/batch', { canvases: [{ ...hold, debounce: { key: `${key}-2`, period: '1m' } }, chain(5)] });
    expect(reply.status).toBe(207);
    expect(reply.body.items.map((item: Node) => [item.index, item.status])).toEqual([
      [0, 429],
      [1, 201],
    ]);
    expect(reply.body.items[0].error.detail).toContain('TENANT_MAX_FLOW_KEYS');
    expect((await as('aWrite', limited, 'GET', `/workflows/${reply.body.items[1].workflowId}/result?timeout=60s`)).body.result).toBe(60);
    await client.workflow.getHandle(first.body.workflowId).terminate('batch test done');
  });
});
