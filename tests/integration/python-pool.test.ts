/**
 * The Python pool (README, "Bring your Celery tasks") against the real servers: the test
 * stack's pool serves the example Celery app (examples/celery-app/tasks.py) with the tests'
 * own tasks (tests/fixtures/celery/orchestra_test_tasks.py), unchanged Celery code. The
 * catalog, validation, mixed canvases, Celery's argument passing, failures, retries,
 * progress, cancellation and a kill -9 of the pool mid-task.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { projectRoot } from '../../src/config';
import { call, control, runCanvas, temporalClient, waitFor, waitForEnd } from '../support/http';

let client: Client;
beforeAll(async () => {
  client = await temporalClient();
});
afterAll(async () => {
  await client.connection.close();
});

const logFile = () => path.join(process.env.ORCHESTRA_DATA_DIR!, 'logs', 'worker-python.log');

async function start(request: Record<string, unknown>): Promise<string> {
  const started = await call('POST', '/workflows', request);
  if (started.status !== 201) throw new Error(`start failed: ${started.status} ${JSON.stringify(started.body)}`);
  return started.body.workflowId;
}

/** The attempt each activity of a run ended on, by activity id (its node path). */
async function attempts(workflowId: string): Promise<Record<string, number>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, string>();
  const out: Record<string, number> = {};
  for (const event of history.events ?? []) {
    const s = event.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(event.eventId), s.activityId ?? '');
    const started = event.activityTaskStartedEventAttributes;
    if (started) out[scheduled.get(String(started.scheduledEventId)) ?? '?'] = started.attempt ?? 0;
  }
  return out;
}

describe('the catalog', () => {
  test('GET /tasks lists every task of the Celery app under its Celery name, with pool python and the parameters of its signature', async () => {
    const reply = await call('GET', '/tasks');
    expect(reply.status).toBe(200);
    const byName = new Map<string, any>(reply.body.tasks.map((t: any) => [t.name, t]));
    // Named by module.function, or by the name= it was given; Celery's own tasks are not served.
    for (const name of ['tasks.word_count', 'tasks.convert', 'tasks.crunch', 'ml.predict', 'py.add', 'py.signature']) {
      expect(byName.get(name)).toMatchObject({ pool: 'python', queue: 'orchestra-python', visibility: 'public' });
    }
    expect([...byName.keys()].some((name) => name.startsWith('celery.'))).toBe(false);
    expect(byName.get('ml.predict').params.map((p: any) => [p.name, p.optional])).toEqual([
      ['features', false],
      ['weights', true],
      ['bias', true],
    ]);
    expect(byName.get('py.signature')).toMatchObject({
      varArgs: true,
      varKwargs: true,
      params: [
        { name: 'a', kind: 'positional', optional: false },
        { name: 'b', kind: 'positional', optional: true },
        { name: 'scale', kind: 'keywordOnly', optional: true },
      ],
    });
    // Celery's options, and the step defaults they map to.
    expect(byName.get('tasks.convert')).toMatchObject({
      celery: { bind: true, maxRetries: 5, defaultRetryDelay: 1, autoretryFor: ['RatesUnavailable'] },
      defaults: { heartbeatTimeout: '10s', retry: { maxAttempts: 6 } },
    });
    expect(byName.get('tasks.word_count').description).toBe('Counts the words of a text.');
    // The TypeScript registry is still there.
    expect(byName.get('add')).toMatchObject({ pool: 'default' });
  });

  test('GET /pools lists the python pool with its pollers', async () => {
    const reply = await call('GET', '/pools');
    const python = reply.body.pools.find((p: any) => p.name === 'python');
    expect(python).toMatchObject({ queue: 'orchestra-python' });
    expect(JSON.stringify(python)).toMatch(/python@/);
  });
});

describe('validation against the published signatures: 400 with the path, nothing started', () => {
  test.each([
    ['an unknown task', { canvas: { task: 'tasks.nope', args: [] } }, 'canvas.task', /unknown task "tasks.nope"/],
    ['one argument too many', { canvas: { task: 'tasks.word_count', args: ['a', 'b'] } }, 'canvas.args[1]', /one argument too many: tasks.word_count\(text\)/],
    ['a missing argument', { canvas: { task: 'py.add', args: [1] } }, 'canvas.args', /is missing y/],
    ['an unknown keyword', { canvas: { task: 'py.add', args: [1, 2], kwargs: { z: 3 } } }, 'canvas.kwargs.z', /is not a parameter of py.add\(x, y\)/],
    ['a missing keyword-only argument', { canvas: { task: 'py.kwonly', args: [1] } }, 'canvas.args', /is missing flag: py.kwonly\(a, \*, flag\)/],
    ['a keyword given by position too', { canvas: { task: 'py.add', args: [1, 2], kwargs: { y: 3 } } }, 'canvas.kwargs.y', /given twice/],
    [
      'a chain step with its input and too many args',
      {
        canvas: {
          chain: [
            { task: 'add', args: [1, 2] },
            { task: 'py.add', args: [1, 2] },
          ],
        },
      },
      'canvas.chain[1].args[1]',
      /already receives the previous result/,
    ],
    ['a Python task run locally', { canvas: { task: 'py.add', args: [1, 2], options: { local: true } } }, 'canvas.options.local', /Python task/],
  ])('%s', async (_label, body, at, message) => {
    const workflowId = `py-invalid-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
    const reply = await call('POST', '/workflows', { ...body, workflowId });
    expect(reply.status).toBe(400);
    const issue = reply.body.errors.find((e: any) => e.path === at);
    expect(issue?.message).toMatch(message);
    expect((await call('GET', `/workflows/${workflowId}`)).status).toBe(404);
  });

  test('*args and **kwargs take any further arguments', async () => {
    const view = await runCanvas({ canvas: { task: 'py.signature', args: [1, 3, 4, 5], kwargs: { scale: 2, extra: 'x' } } });
    expect(view).toMatchObject({ status: 'COMPLETED', result: { a: 1, b: 3, rest: [4, 5], scale: 2, extra: { extra: 'x' } } });
  });
});

describe('mixed canvases: TypeScript and Python steps pass results as JSON', () => {
  test('a chain prepends each result, across languages', async () => {
    const view = await runCanvas({
      canvas: {
        chain: [
          { task: 'add', args: [2, 3] },
          { task: 'py.add', args: [10] },
          { task: 'mul', args: [2] },
        ],
      },
    });
    expect(view).toMatchObject({ status: 'COMPLETED', result: 30 });
  });

  test('a chord with a Python and a TypeScript header, and a Python body', async () => {
    const view = await runCanvas({
      canvas: {
        chord: {
          header: [
            { task: 'tasks.word_count', args: ['the quick brown fox'] },
            { task: 'add', args: [3, 4] },
          ],
          body: { task: 'py.signature', kwargs: { scale: 3 } },
        },
      },
    });
    expect(view).toMatchObject({ status: 'COMPLETED', result: { a: [4, 7], b: 2, rest: [], scale: 3, extra: {} } });
  });

  test('a map, a batched map and chunks over a Python task', async () => {
    const view = await runCanvas({
      canvas: {
        group: [
          { map: { task: 'py.add', items: [1, 2, 3], args: [10] } },
          { map: { task: 'py.add', items: [1, 2, 3, 4, 5], args: [100], batchSize: 2 } },
          {
            chunks: {
              task: 'py.add',
              items: [
                [1, 2],
                [3, 4],
                [5, 6],
              ],
              size: 2,
            },
          },
        ],
      },
    });
    expect(view).toMatchObject({
      status: 'COMPLETED',
      result: [
        [11, 12, 13],
        [101, 102, 103, 104, 105],
        // One list of results per chunk, as Celery's chunks give.
        [[3, 7], [11]],
      ],
    });
  });
});

describe("Celery's semantics", () => {
  test('an exception fails the step with its Python type and message, at once (Celery does not retry it)', async () => {
    const id = await start({
      canvas: {
        chain: [
          { task: 'add', args: [1, 1] },
          { task: 'py.fail', args: ['bad input'], immutable: true },
        ],
      },
    });
    const view = await waitForEnd(id);
    expect(view.status).toBe('FAILED');
    expect(view.failure).toMatchObject({ type: 'ValueError', message: 'bad input', node: { path: 'canvas.chain[1]' } });
    expect((await attempts(id))['canvas.chain[1]']).toBe(1);
  });

  test("the canvas's own retry option wins: every exception is retried by its policy", async () => {
    const id = await start({ canvas: { task: 'py.fail', args: ['again'], options: { retry: { maxAttempts: 3, initialInterval: '100ms' } } } });
    const view = await waitForEnd(id);
    expect(view.failure).toMatchObject({ type: 'ValueError', message: 'again' });
    expect((await attempts(id)).canvas).toBe(3);
  });

  test('autoretry_for retries with request.retries counting the attempts', async () => {
    const view = await runCanvas({ canvas: { task: 'tasks.convert', args: [10, 'USD'], kwargs: { fail_times: 2 } } });
    expect(view).toMatchObject({ status: 'COMPLETED', result: { eur: 9.2, attempts: 3 } });
  });

  test('self.retry(countdown=...) retries with a request id that stays the same', async () => {
    const id = await start({ canvas: { task: 'py.retry', args: [2] } });
    const view = await waitForEnd(id);
    expect(view).toMatchObject({ status: 'COMPLETED', result: { id: `${id}/canvas`, retries: 2 } });
  });

  test('past max_retries the original exception fails the step', async () => {
    const id = await start({ canvas: { task: 'py.retry_exhausted' } });
    const view = await waitForEnd(id);
    expect(view.failure).toMatchObject({ type: 'ConnectionError', message: 'still down' });
    expect((await attempts(id)).canvas).toBe(2);
  });

  test('a result that is not JSON fails the step clearly', async () => {
    const view = await runCanvas({ canvas: { task: 'py.not_json' } });
    expect(view.failure).toMatchObject({ type: 'ResultNotJSONSerializable' });
    expect(view.failure.message).toMatch(/py.not_json returned a set/);
  });

  test('soft_time_limit raises SoftTimeLimitExceeded inside the task, which may clean up', async () => {
    const view = await runCanvas({ canvas: { task: 'py.soft_limit' } });
    expect(view).toMatchObject({ status: 'COMPLETED', result: 'cleaned up after the soft time limit' });
  });
});

describe('progress, cancellation and a killed pool', () => {
  test("update_state's meta is the step's progress in GET /workflows/:id; a cancel stops the task in its thread", async () => {
    const id = await start({ canvas: { task: 'tasks.crunch', args: [600], kwargs: { step_ms: 50 } } });
    const running = await waitFor(id, (v) => (v.state?.heartbeat?.meta?.current ?? 0) >= 5, 30_000);
    expect(running.state.heartbeat).toMatchObject({ message: 'PROGRESS', meta: { total: 600 } });
    expect(running.state.heartbeat.progress).toBeGreaterThan(0);
    expect((await call('POST', `/workflows/${id}/cancel`)).status).toBe(202);
    const ended = await waitForEnd(id);
    expect(ended.status).toBe('CANCELED');
    // The pool says the task stopped where it stood (Celery's revoke with terminate).
    const deadline = Date.now() + 15_000;
    while (!readFileSync(logFile(), 'utf8').includes(`step ${id}/canvas (tasks.crunch) cancelled: stopped`)) {
      if (Date.now() > deadline) throw new Error(`the pool did not log the cancellation of ${id}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });

  test('kill -9 of the pool mid-task: the restarted pool runs the step again and the run completes', async () => {
    const id = await start({
      canvas: {
        chain: [
          { task: 'add', args: [1, 2] },
          { task: 'py.slow', args: [5], immutable: true },
        ],
      },
    });
    await waitFor(id, (v) => (v.state?.children?.[1]?.heartbeat?.meta?.current ?? 0) >= 2, 30_000);
    await control('kill', 'worker-python');
    const view = await waitForEnd(id, '120s');
    expect(view).toMatchObject({ status: 'COMPLETED', result: { attempt: 2 } });
  });
});

describe('the example app (examples/celery-app/README.md)', () => {
  test("the walk-through's request runs as the README says", async () => {
    const readme = readFileSync(path.join(projectRoot, 'examples', 'celery-app', 'README.md'), 'utf8');
    const request = JSON.parse(/```json\n([\s\S]*?)```/.exec(readme)![1]);
    const expected = JSON.parse(/<!-- result -->\n```\n([\s\S]*?)```/.exec(readme)![1]);
    const view = await runCanvas(request);
    expect(view).toMatchObject({ status: 'COMPLETED', result: expected });
  });
});
