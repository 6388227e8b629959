/**
 * Light tasks inline and batches (docs/canvas.md, "Where a step runs" and "Batches"):
 * local activities in the orchestrator, `local` overrides, Celery's chunks, batched maps,
 * and a kill of the orchestrator in the middle of a chain of local activities.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { apiUrl, call, control, runCanvas, temporalClient, waitFor, waitForEnd } from '../support/http';

type Event = temporal.api.history.v1.IHistoryEvent;
const t = (name: string, ...args: unknown[]) => ({ task: name, args });

let client: Client;
beforeAll(async () => {
  client = await temporalClient();
});
afterAll(async () => {
  await client.connection.close();
});

async function history(workflowId: string): Promise<Event[]> {
  return (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}
const remoteSteps = (events: Event[]) =>
  events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name);
const localSteps = (events: Event[]) => events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
/** The activity type of each local activity the run recorded, in order (from sdk-core's marker data). */
const localActivityTypes = (events: Event[]) =>
  events
    .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')
    .map((e) => {
      const payload = e.markerRecordedEventAttributes!.details!.data!.payloads![0];
      return (JSON.parse(Buffer.from(payload.data!).toString()) as { activity_type: string }).activity_type;
    });

describe('light tasks run inline', () => {
  test('chain(add(4,5), add(6), mul(7)) = 105 in one local activity for the three light steps, and no remote one', async () => {
    const view = await runCanvas({ canvas: { chain: [t('add', 4, 5), t('add', 6), t('mul', 7)] } });
    expect(view).toMatchObject({ status: 'COMPLETED', result: 105, progress: { completed: 3, known: 3 } });
    expect(view.state.children.map((c: { status: string; result: unknown }) => [c.status, c.result])).toEqual([
      ['completed', 9],
      ['completed', 15],
      ['completed', 105],
    ]);
    const events = await history(view.workflowId);
    expect(remoteSteps(events)).toEqual([]);
    expect(localActivityTypes(events)).toEqual(['canvas.lightChain']);
  });

  test('light runs stop at a step that is not light, and start again after it', async () => {
    const view = await runCanvas({
      canvas: { chain: [t('add', 1, 1), t('add', 2), { ...t('sleep', 10), immutable: true }, t('add', 1), t('mul', 2), t('noop')] },
    });
    expect(view).toMatchObject({ status: 'COMPLETED', result: 22 });
    const events = await history(view.workflowId);
    expect(remoteSteps(events)).toEqual(['sleep']);
    expect(localActivityTypes(events)).toEqual(['canvas.lightChain', 'canvas.lightChain']);
  });

  test('a light step that fails inside a light run runs again on its own: same failure, earlier steps kept', async () => {
    const view = await runCanvas({ canvas: { chain: [t('add', 1, 1), { ...t('divide', 0), id: 'split' }, t('add', 1)] } });
    expect(view.status).toBe('FAILED');
    expect(view.failure).toMatchObject({ type: 'ZeroDivisionError', node: { path: 'canvas.chain[1]', id: 'split', task: 'divide' } });
    expect(view.state.children.map((c: { status: string }) => c.status)).toEqual(['completed', 'failed', 'pending']);
    expect(view.state.children[0].result).toBe(2);
    expect(localActivityTypes(await history(view.workflowId))).toEqual(['canvas.lightChain', 'divide']);
  });

  test('"local": false runs a light task on its pool; the result is the same', async () => {
    const view = await runCanvas({ canvas: { chain: [t('add', 4, 5), t('add', 6), t('mul', 7)] }, defaults: { local: false } });
    expect(view).toMatchObject({ status: 'COMPLETED', result: 105 });
    const events = await history(view.workflowId);
    expect(remoteSteps(events)).toEqual(['add', 'add', 'mul']);
    expect(localSteps(events)).toBe(0);
  });

  test('"local": true on a task that heartbeats or on a CPU pool\'s task is a 400 naming the path', async () => {
    const reply = await call('POST', '/workflows', {
      canvas: {
        chain: [
          { ...t('sleep', 10), options: { local: true } },
          { task: 'spam.detect', args: [{ text: 'hi' }], immutable: true },
        ],
      },
      defaults: { local: true },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toEqual([
      { path: 'canvas.chain[0].options.local', message: expect.stringContaining('heartbeats') },
      { path: 'canvas.chain[1]', message: expect.stringContaining('defaults.local') },
    ]);
  });

  test('a light step still retries as declared (flaky forced local)', async () => {
    const view = await runCanvas({ canvas: { ...t('flaky', 2), options: { local: true, retry: { initialInterval: '100ms' } } } });
    expect(view).toMatchObject({ status: 'COMPLETED', result: 3 });
    expect(remoteSteps(await history(view.workflowId))).toEqual([]);
  });

  test('divide(1, 0) inline fails at once with ZeroDivisionError naming the node', async () => {
    const view = await runCanvas({ canvas: { chain: [t('add', 1, 1), { ...t('divide', 0), id: 'split' }] } });
    expect(view.status).toBe('FAILED');
    expect(view.failure).toMatchObject({ type: 'ZeroDivisionError', node: { path: 'canvas.chain[1]', id: 'split', task: 'divide' } });
  });
});

describe('batches', () => {
  const pairs = Array.from({ length: 25 }, (_, i) => [i, i]);

  test("chunks: a list of per-chunk result lists, as Celery's add.chunks(items, 10)", async () => {
    const view = await runCanvas({ canvas: { chunks: { task: 'add', items: pairs, size: 10 } } });
    expect(view.status).toBe('COMPLETED');
    expect(view.result).toEqual([
      Array.from({ length: 10 }, (_, i) => 2 * i),
      Array.from({ length: 10 }, (_, i) => 2 * (i + 10)),
      Array.from({ length: 5 }, (_, i) => 2 * (i + 20)),
    ]);
    expect(view.state).toMatchObject({ kind: 'chunks', counts: { total: 25, completed: 25 } });
    expect(localSteps(await history(view.workflowId))).toBe(3);
  });

  test('a map with batchSize returns the same flat list as without, local and remote', async () => {
    const items = Array.from({ length: 37 }, (_, i) => i);
    const plain = await runCanvas({ canvas: { map: { task: 'mul', items, args: [3] } } });
    const batched = await runCanvas({ canvas: { map: { task: 'mul', items, args: [3], batchSize: 8 } } });
    const remote = await runCanvas({ canvas: { map: { task: 'mul', items, args: [3], batchSize: 8, options: { local: false } } } });
    expect(batched.result).toEqual(plain.result);
    expect(remote.result).toEqual(plain.result);
    expect(remoteSteps(await history(remote.workflowId))).toEqual(Array(5).fill('canvas.batch'));
  });

  test('a batched map over the previous result, in a chain', async () => {
    const view = await runCanvas({ canvas: { chain: [t('noop', [1, 2, 3, 4, 5]), { map: { task: 'add', args: [10], batchSize: 2 } }, t('xsum')] } });
    expect(view).toMatchObject({ status: 'COMPLETED', result: 65 });
  });

  test('a failing item fails its batch and is named by its index in the whole map', async () => {
    const view = await runCanvas({
      canvas: {
        map: {
          task: 'divide',
          items: [
            [1, 1],
            [2, 2],
            [3, 0],
            [4, 4],
          ],
          spread: true,
          batchSize: 2,
        },
      },
    });
    expect(view.status).toBe('FAILED');
    expect(view.failure).toMatchObject({ type: 'ZeroDivisionError', message: expect.stringContaining('item 2'), node: { path: 'canvas' } });
  });

  test('60,000 chunk items in 600 batches: more batches than one run keeps inline go to child workflows', async () => {
    const items = Array.from({ length: 60_000 }, (_, i) => [i % 7]);
    const view = await runCanvas({ canvas: { chunks: { task: 'noop', items, size: 100 } } }, '180s');
    expect(view.status).toBe('COMPLETED');
    expect(view.result).toHaveLength(600);
    expect(view.result[599]).toEqual(items.slice(59_900).map(([v]) => v));
  });

  test('validation: chunks items must be argument lists, batchSize and settle do not mix', async () => {
    const reply = await call('POST', '/workflows', {
      canvas: { group: [{ chunks: { task: 'add', items: [[1, 2], 3], size: 2 } }, { map: { task: 'noop', items: [1], batchSize: 2, settle: true } }] },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['canvas.group[0].chunks.items[1]', 'canvas.group[1].map.settle']),
    );
  });
});

describe('durability', () => {
  test('kill -9 of the orchestrator in the middle of a chain of local activities: the run completes with the right result', async () => {
    // Twenty inline steps behind a delay: the kill lands while the chain is in flight.
    const steps = Array.from({ length: 20 }, () => ({ ...t('add', 1), options: { delay: '150ms' } }));
    const started = await call('POST', '/workflows', { canvas: { chain: [t('add', 0, 0), ...steps] } });
    expect(started.status).toBe(201);
    await waitFor(started.body.workflowId, (v) => (v.progress?.completed ?? 0) >= 3, 60_000);
    await control('kill', 'worker-orchestrator', 'SIGKILL');
    const view = await waitForEnd(started.body.workflowId, '120s');
    expect(view).toMatchObject({ status: 'COMPLETED', result: 20 });
  });
});

describe('closed runs are read without replay', () => {
  test('a closed run keeps its final state in its memo, and GET /workflows/:id answers from it with no worker to replay it', async () => {
    const view = await runCanvas({ canvas: { chain: [t('add', 4, 5), { group: [t('mul', 2), t('mul', 3)] }] } });
    expect(view.status).toBe('COMPLETED');
    const memo = (await client.workflow.getHandle(view.workflowId).describe()).memo as Record<string, any>;
    expect(memo.orchestraFinalState.root).toMatchObject({ kind: 'chain', status: 'completed', children: [{ result: 9 }, { result: [18, 27] }] });
    // A fresh API process (nothing cached) and no orchestrator to answer a query: the state comes from the memo.
    await control('stop', 'worker-orchestrator');
    await control('stop', 'api');
    await control('start', 'api');
    try {
      for (let i = 0; i < 120 && (await fetch(`${apiUrl()}/health`).catch(() => null))?.ok !== true; i++) await new Promise((r) => setTimeout(r, 500));
      const again = await call('GET', `/workflows/${view.workflowId}`);
      expect(again.status).toBe(200);
      expect(again.body.state).toMatchObject({ kind: 'chain', status: 'completed' });
      expect(again.body.progress).toEqual({ completed: 3, known: 3 });
    } finally {
      await control('start', 'worker-orchestrator');
    }
  });
});
