/**
 * Bulk cancel and retry against the real servers: 100 runs, 50 tagged, and exactly the 50
 * are acted on; the operation is tracked by GET /operations/:id; a dry run counts; a kill -9
 * of the orchestrator pool (which runs the operation) mid-operation resumes it, and no run
 * is retried twice; filters are validated with their paths; another tenant's key reaches
 * none of these runs.
 */
import { call, control, waitForEnd } from '../support/http';
import { KeyedApps } from '../support/keyed-apps';

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const waiting = { wait: { event: 'never', timeout: '10m' } };
const failing = { task: 'flaky', args: [1], options: { retry: { maxAttempts: 1 } } };

/** Starts `count` runs of `canvas` through POST /workflows/batch, tagging the first `tagged` with `tag` and all with `all`. */
async function startRuns(prefix: string, canvas: object, count: number, tagged: number, tag: string, all: string): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${run}-${i}`);
  for (let from = 0; from < count; from += 50) {
    const canvases = ids.slice(from, from + 50).map((workflowId, k) => ({ workflowId, canvas, tags: from + k < tagged ? [all, tag] : [all] }));
    const reply = await call('POST', '/workflows/batch', { canvases });
    expect(reply.status).toBe(201);
  }
  return ids;
}

/** Polls until `probe` answers `expected` (visibility is eventually consistent), bounded. */
async function eventually<T>(probe: () => Promise<T>, expected: T, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (JSON.stringify(last) !== JSON.stringify(expected) && Date.now() < deadline) {
    await sleep(500);
    last = await probe();
  }
  return last;
}

async function matched(action: string, filter: object): Promise<number> {
  const reply = await call('POST', `/workflows/bulk/${action}?dryRun=true`, { filter });
  expect(reply.status).toBe(200);
  return reply.body.matched as number;
}

async function operationEnd(operationId: string, timeoutMs = 180_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reply = await call('GET', `/operations/${operationId}`);
    expect(reply.status).toBe(200);
    if (reply.body.status !== 'RUNNING') return reply.body;
    if (Date.now() > deadline) throw new Error(`operation ${operationId} still running: ${JSON.stringify(reply.body)}`);
    await sleep(500);
  }
}

/** Waits for the (restarted) API to answer again, bounded. */
async function apiAnswering(timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await call('GET', '/health').catch(() => null))?.status !== 200) {
    if (Date.now() > deadline) throw new Error('the API did not come back');
    await sleep(250);
  }
}

async function idsWith(query: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const reply: { status: number; body: { runs: Array<{ workflowId: string }>; nextCursor: string | null } } = await call(
      'GET',
      `/workflows?${query}&limit=100${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(reply.status).toBe(200);
    ids.push(...reply.body.runs.map((r) => r.workflowId));
    cursor = reply.body.nextCursor;
  } while (cursor);
  return ids.sort();
}

test('bulk cancel: of 100 running runs, exactly the 50 tagged are cancelled, tracked by the operation across a kill -9 of the API', async () => {
  const [tag, all] = [`bulk-c:${run}`, `bulk-c-all:${run}`];
  const ids = await startRuns('bulkc', waiting, 100, 50, tag, all);
  expect(await eventually(() => matched('cancel', { tag: [all] }), 100)).toBe(100);
  expect(await matched('cancel', { tag: [tag] })).toBe(50);

  const started = await call('POST', '/workflows/bulk/cancel', { filter: { tag: [tag] }, reason: 'bulk test' });
  expect(started.status).toBe(202);
  expect(started.body).toMatchObject({ action: 'cancel', matched: 50, links: { self: `/operations/${started.body.operationId}` } });
  // The API that accepted it dies at once: the operation is a workflow, and goes on without it.
  await control('kill', 'api', 'SIGKILL');
  await apiAnswering();
  const end = await operationEnd(started.body.operationId);
  expect(end).toMatchObject({ status: 'COMPLETED', action: 'cancel', matched: 50, done: 50, failed: 0, skipped: 0, progress: 1, errors: [] });

  const tagged = ids.slice(0, 50).sort();
  const untagged = ids.slice(50).sort();
  expect(await eventually(() => idsWith(`tag=${encodeURIComponent(all)}&status=CANCELED`), tagged)).toEqual(tagged);
  expect(await idsWith(`tag=${encodeURIComponent(all)}&status=RUNNING`)).toEqual(untagged);

  // The rest, with a time filter: every one of them, and a second cancel of the first 50 does nothing.
  const rest = await call('POST', '/workflows/bulk/cancel', { filter: { tag: [all], startedAfter: new Date(Date.now() - 3_600_000).toISOString() } });
  expect(rest.body.matched).toBe(50);
  expect(await operationEnd(rest.body.operationId)).toMatchObject({ status: 'COMPLETED', done: 50, failed: 0 });
  expect(await eventually(() => idsWith(`tag=${encodeURIComponent(all)}&status=CANCELED`), ids.slice().sort())).toEqual(ids.slice().sort());
});

test('bulk retry: exactly the 50 tagged failed runs get one retry each, across a kill -9 of the pool running the operation', async () => {
  const [tag, all] = [`bulk-r:${run}`, `bulk-r-all:${run}`];
  const ids = await startRuns('bulkr', failing, 100, 50, tag, all);
  for (const id of [ids[0], ids[99]]) expect((await waitForEnd(id)).status).toBe('FAILED');
  expect(await eventually(() => matched('retry', { tag: [all] }), 100)).toBe(100);

  const started = await call('POST', '/workflows/bulk/retry', { filter: { tag: [tag], status: 'FAILED' } });
  expect(started.status).toBe(202);
  expect(started.body.matched).toBe(50);
  // The operation runs on the orchestrator pool: kill it while the operation is under way.
  await sleep(300);
  await control('kill', 'worker-orchestrator', 'SIGKILL');
  const end = await operationEnd(started.body.operationId);
  expect(end).toMatchObject({ status: 'COMPLETED', action: 'retry', matched: 50, failed: 0, errors: [] });
  // A page retried after the kill finds the runs it already retried (skipped), never retries them again.
  expect(end.done + end.skipped).toBe(50);

  for (const [i, id] of ids.entries()) {
    const retry = await call('GET', `/workflows/${id}-retry-1`);
    expect({ id, status: retry.status }).toEqual({ id, status: i < 50 ? 200 : 404 });
    if (i < 50) {
      expect(retry.body.tags).toEqual([all, tag]);
      expect((await call('GET', `/workflows/${id}-retry-2`)).status).toBe(404);
    }
  }
});

test('filters are validated with their paths, and nothing starts', async () => {
  const cases: Array<[string, unknown, string]> = [
    ['/workflows/bulk/pause', { filter: { tag: ['x'] } }, 'path.action'],
    ['/workflows/bulk/cancel', { filter: {} }, 'filter'],
    ['/workflows/bulk/cancel', { filter: { status: 'RUNNING' } }, 'filter'],
    ['/workflows/bulk/cancel', { filter: { tag: ['x'], status: 'FAILED' } }, 'filter.status'],
    ['/workflows/bulk/retry', { filter: { tag: ['x'], status: 'RUNNING' } }, 'filter.status'],
    ['/workflows/bulk/retry', { filter: { tag: ['has space'] } }, 'filter.tag[0]'],
    ['/workflows/bulk/retry', { filter: { tag: ['x'], startedAfter: 'yesterday' } }, 'filter.startedAfter'],
    ['/workflows/bulk/retry', { filter: { tag: ['x'], colour: 'red' } }, 'filter.colour'],
    ['/workflows/bulk/retry', { filters: { tag: ['x'] } }, 'filters'],
  ];
  for (const [path, body, where] of cases) {
    const reply = await call('POST', path, body);
    expect({ path, body, status: reply.status }).toEqual({ path, body, status: 400 });
    expect(reply.body.errors.map((e: { path: string }) => e.path)).toContain(where);
  }
  expect((await call('GET', '/operations/no-such-operation')).status).toBe(404);
});

describe('tenants', () => {
  const keys = new KeyedApps({
    aWrite: { secret: 'bulk-a-write', scopes: ['write'], tenant: 'bulk-team-a' },
    bWrite: { secret: 'bulk-b-write', scopes: ['write'], tenant: 'bulk-team-b' },
  });
  let url: string;
  beforeAll(async () => {
    await keys.connect();
    url = await keys.start();
  });
  afterAll(() => keys.close());

  test("a key's bulk operation reaches its tenant's runs only, and its operation is not another tenant's to read", async () => {
    const tag = `bulk-t:${run}`;
    const a = await keys.as('aWrite', url, 'POST', '/workflows', { canvas: waiting, tags: [tag] });
    const b = await keys.as('bWrite', url, 'POST', '/workflows', { canvas: waiting, tags: [tag] });
    expect([a.status, b.status]).toEqual([201, 201]);
    const count = async () => (await keys.as('bWrite', url, 'POST', '/workflows/bulk/cancel?dryRun=true', { filter: { tag: [tag] } })).body.matched as number;
    expect(await eventually(count, 1)).toBe(1);
    const op = await keys.as('bWrite', url, 'POST', '/workflows/bulk/cancel', { filter: { tag: [tag] } });
    expect(op.body.matched).toBe(1);
    expect((await keys.as('aWrite', url, 'GET', `/operations/${op.body.operationId}`)).status).toBe(404);
    const deadline = Date.now() + 60_000;
    let view = await keys.as('bWrite', url, 'GET', `/operations/${op.body.operationId}`);
    while (view.body.status === 'RUNNING' && Date.now() < deadline) {
      await sleep(500);
      view = await keys.as('bWrite', url, 'GET', `/operations/${op.body.operationId}`);
    }
    expect(view.body).toMatchObject({ status: 'COMPLETED', done: 1 });
    expect((await keys.as('aWrite', url, 'GET', `/workflows/${a.body.workflowId}`)).body.status).toBe('RUNNING');
    expect((await keys.as('bWrite', url, 'GET', `/workflows/${b.body.workflowId}/result?timeout=30s`)).body.status).toBe('CANCELED');
    await keys.as('aWrite', url, 'POST', `/workflows/${a.body.workflowId}/cancel`);
  });
});
