/**
 * Tags and metadata on runs, against the real servers: stored on the run (OrchestraTags,
 * the memo), shown by GET /workflows/:id and the list, filtered by `?tag=` (repeatable,
 * every one must match), bounded with 400s at their paths, carried by schedules' runs and
 * by retries.
 */
import { Client } from '@temporalio/client';
import { call, temporalClient, waitForEnd } from '../support/http';

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const chain = {
  chain: [
    { task: 'add', args: [2, 3] },
    { task: 'mul', args: [4] },
  ],
};

let client: Client;
const schedules: string[] = [];

beforeAll(async () => {
  client = await temporalClient();
});

afterAll(async () => {
  for (const id of schedules) await call('DELETE', `/schedules/${id}`);
  await client.connection.close();
});

async function start(body: Record<string, unknown>): Promise<string> {
  const reply = await call('POST', '/workflows', body);
  if (reply.status !== 201) throw new Error(`start: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.workflowId as string;
}

/** The ids GET /workflows lists for these tags, once visibility shows `expected` of them (bounded). */
async function listed(tags: string[], expected: number): Promise<string[]> {
  const query = tags.map((t) => `tag=${encodeURIComponent(t)}`).join('&');
  let ids: string[] = [];
  for (let tries = 0; tries < 60; tries++) {
    const reply = await call('GET', `/workflows?${query}&limit=50`);
    expect(reply.status).toBe(200);
    ids = (reply.body.runs as Array<{ workflowId: string }>).map((r) => r.workflowId).sort();
    if (ids.length >= expected) break;
    await sleep(250);
  }
  return ids;
}

test('tags and metadata are stored on the run and shown with it; Temporal sees OrchestraTags', async () => {
  const tags = [`order:${run}`, 'customer:acme'];
  const metadata = { source: 'checkout', attempt: 1, items: [{ sku: 'A-1', qty: 2 }] };
  const id = await start({ canvas: chain, tags, metadata });
  const view = await waitForEnd(id);
  expect(view).toMatchObject({ status: 'COMPLETED', result: 20, tags, metadata });
  const described = await client.workflow.getHandle(id).describe();
  expect(described.searchAttributes.OrchestraTags).toEqual(tags);
  // What the workflow received is the canvas, not the labels: they live on the run.
  const input = (await client.workflow.getHandle(id).fetchHistory()).events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
  const started = JSON.parse(Buffer.from(input!).toString('utf8')) as Record<string, unknown>;
  expect(started).not.toHaveProperty('tags');
  expect(started).not.toHaveProperty('metadata');
  // A run without them shows none.
  const plain = await start({ canvas: chain });
  expect(await waitForEnd(plain)).toMatchObject({ tags: [], metadata: null });
});

test('GET /workflows?tag= lists the runs carrying every tag given, each with its tags', async () => {
  const [red, blue, batch] = [`red-${run}`, `blue-${run}`, `batch:${run}`];
  const both = await start({ canvas: chain, tags: [batch, red, blue] });
  const onlyRed = await start({ canvas: chain, tags: [batch, red] });
  const onlyBlue = await start({ canvas: chain, tags: [batch, blue] });
  expect(await listed([batch], 3)).toEqual([both, onlyRed, onlyBlue].sort());
  expect(await listed([batch, red], 2)).toEqual([both, onlyRed].sort());
  expect(await listed([red, blue], 1)).toEqual([both]);
  expect(await listed([`unused-${run}`], 0)).toEqual([]);
  const rows = (await call('GET', `/workflows?tag=${encodeURIComponent(red)}&tag=${encodeURIComponent(blue)}`)).body.runs;
  expect(rows).toEqual([expect.objectContaining({ workflowId: both, tags: [batch, red, blue] })]);
  // The Temporal CLI's and UI's filter finds them the same way.
  const viaTemporal: string[] = [];
  for await (const info of client.workflow.list({ query: `OrchestraTags = "${red}" AND OrchestraTags = "${blue}"` })) viaTemporal.push(info.workflowId);
  expect(viaTemporal).toEqual([both]);
});

test('bounds: a 400 at the path of what is wrong, and nothing is started', async () => {
  const id = `tags-bad-${run}`;
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ tags: Array.from({ length: 11 }, (_, i) => `t${i}`) }, 'tags'],
    [{ tags: ['ok', 'x'.repeat(65)] }, 'tags[1]'],
    [{ tags: ['has space'] }, 'tags[0]'],
    [{ tags: [''] }, 'tags[0]'],
    [{ tags: ['same', 'same'] }, 'tags'],
    [{ tags: 'not-a-list' }, 'tags'],
    [{ metadata: ['not', 'an', 'object'] }, 'metadata'],
    [{ metadata: { blob: 'x'.repeat(5000) } }, 'metadata'],
  ];
  for (const [extra, path] of cases) {
    const reply = await call('POST', '/workflows', { canvas: chain, workflowId: id, ...extra });
    expect({ extra: Object.keys(extra), status: reply.status }).toEqual({ extra: Object.keys(extra), status: 400 });
    expect(reply.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  }
  expect((await call('GET', `/workflows/${id}`)).status).toBe(404);
  // The list's filter has the same bounds.
  const badQuery = await call('GET', '/workflows?tag=has%20space');
  expect(badQuery.status).toBe(400);
  expect(badQuery.body.errors[0].path).toMatch(/^query\.tag/);
  const tooMany = await call('GET', `/workflows?${Array.from({ length: 11 }, (_, i) => `tag=t${i}`).join('&')}`);
  expect(tooMany.status).toBe(400);
  expect(tooMany.body.errors[0].path).toMatch(/^query\.tag/);
});

test("a schedule's canvas action tags the runs it starts and gives them its metadata", async () => {
  const id = `t-tags-${run}`;
  schedules.push(id);
  const tags = [`nightly:${run}`];
  const created = await call('POST', '/schedules', {
    id,
    spec: { cron: ['0 0 1 1 *'] },
    action: { canvas: chain, tags, metadata: { owner: 'reports' } },
  });
  expect(created.status).toBe(201);
  expect((await call('POST', `/schedules/${id}/trigger`)).status).toBe(202);
  const ids = await listed(tags, 1);
  expect(ids).toHaveLength(1);
  expect(await waitForEnd(ids[0])).toMatchObject({ status: 'COMPLETED', result: 20, tags, metadata: { owner: 'reports' } });
});

test('a retry carries the run’s tags and metadata', async () => {
  const tags = [`retry:${run}`];
  // flaky(1) with one attempt fails every time, so the retry fails too and shows its labels.
  const id = await start({ canvas: { task: 'flaky', args: [1], options: { retry: { maxAttempts: 1 } } }, tags, metadata: { ticket: 7 } });
  expect(await waitForEnd(id)).toMatchObject({ status: 'FAILED' });
  const retried = await call('POST', `/workflows/${id}/retry`);
  expect(retried.status).toBe(201);
  const view = await waitForEnd(retried.body.workflowId);
  expect(view).toMatchObject({ status: 'FAILED', tags, metadata: { ticket: 7 }, retryOf: { workflowId: id } });
});
