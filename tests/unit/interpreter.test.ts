/**
 * The canvas interpreter with stubbed activities and no server: the `canvas` workflow
 * runs against a fake `@temporalio/workflow` (tests/support/fake-workflow.ts) whose
 * activities are the stubs below. Celery's data flow as docs/canvas.md states it: what
 * each step received, what the run returned, the failure it reported, the state it published.
 * The task stubs compute what the real tasks do (add, mul, xsum, divide, noop); light runs
 * go through the real light-chain runner (src/activities/light-chain.ts) over those stubs.
 */
import type { Stub } from '../support/fake-workflow';
import type { CanvasNode, CanvasState, Json, NodeState } from '../../src/workflows/language/types';
import type { CanvasRun } from '../../src/workflows/canvas';
import { EVENT_SIGNAL } from '../../src/workflows/language/events';

jest.mock('@temporalio/workflow', () => jest.requireActual('../support/fake-workflow').workflowModule);
// Every run here ends in milliseconds; one that waits for ever (a member never cancelled) fails in 10 s.
jest.setTimeout(10_000);

/** A fresh workflow execution: module state (the event inbox, the published state) starts empty. */
function load() {
  jest.resetModules();
  return {
    fake: (require('../support/fake-workflow') as typeof import('../support/fake-workflow')).fake,
    canvas: (require('../../src/workflows/canvas') as typeof import('../../src/workflows/canvas')).canvas,
    failures: require('../../src/workflows/language/failures') as typeof import('../../src/workflows/language/failures'),
    common: require('@temporalio/common') as typeof import('@temporalio/common'),
    workflow: require('@temporalio/workflow') as typeof import('@temporalio/workflow'),
    lightChainRunner: (require('../../src/activities/light-chain') as typeof import('../../src/activities/light-chain')).lightChainRunner,
  };
}

let w: ReturnType<typeof load>;
/** The task stubs, by task name; each records nothing itself: `w.fake.calls` does. */
let tasks: Record<string, Stub>;

beforeEach(() => {
  w = load();
  const { ApplicationFailure } = w.common;
  tasks = {
    add: (x: number, y: number) => x + y,
    mul: (x: number, y: number) => x * y,
    xsum: (numbers: number[]) => numbers.reduce((sum, n) => sum + n, 0),
    noop: (value: Json = null) => value,
    divide: (x: number, y: number) => {
      if (y === 0) throw ApplicationFailure.create({ type: 'ZeroDivisionError', message: 'division by zero', nonRetryable: true });
      return x / y;
    },
  };
  // Light tasks inside a light run and batches call the same stubs, through `tasks` (so a test may swap one).
  const byName = new Proxy({}, { get: (_t, name: string) => tasks[name] && (async (...args: unknown[]) => tasks[name](...args)) });
  w.fake.activities = new Proxy({} as Record<string, Stub>, {
    get: (_t, type: string) => {
      if (type === 'canvas.lightChain') return w.lightChainRunner(byName);
      if (type === 'canvas.batch') {
        return ({ task, items, spread, args }: { task: string; items: Json[]; spread: boolean; args?: Json[] }) =>
          items.map((item) => tasks[task](...(spread ? (item as Json[]) : [item]), ...(args ?? [])));
      }
      return tasks[type];
    },
  });
});

/** Runs a request to its end: its result or its failure, and the state it published (none if it failed before publishing). */
async function run(request: CanvasRun): Promise<{ result?: Json; error?: unknown; state: CanvasState }> {
  const state = () => (w.fake.hasHandler('state') ? (w.fake.query('state') as CanvasState) : (undefined as unknown as CanvasState));
  try {
    const result = await w.canvas(request);
    return { result, state: state() };
  } catch (error) {
    return { error, state: state() };
  }
}

const remote = { local: false } as const;
const calls = () => w.fake.calls.map((call) => [call.type, call.args]);
const node = (state: CanvasState, path: string): NodeState => {
  const find = (st: NodeState): NodeState | undefined => (st.path === path ? st : st.children?.map(find).find(Boolean));
  const found = find(state.root);
  if (!found) throw new Error(`no node ${path} in the state`);
  return found;
};
const t = (task: string, ...args: Json[]): CanvasNode => ({ task, args });

describe('chain', () => {
  test("each result is prepended to the next step's args: add(4,5), add(6), mul(7) is 105", async () => {
    const { result, state } = await run({ canvas: { chain: [t('add', 4, 5), t('add', 6), t('mul', 7)] }, defaults: remote });
    expect(result).toBe(105);
    expect(calls()).toEqual([
      ['add', [4, 5]],
      ['add', [9, 6]],
      ['mul', [15, 7]],
    ]);
    // Each step is an activity on its task's pool, its id the step's path.
    expect(w.fake.calls.map((c) => [c.local, c.options.taskQueue, c.options.activityId])).toEqual([
      [false, 'orchestra-default', 'canvas.chain[0]'],
      [false, 'orchestra-default', 'canvas.chain[1]'],
      [false, 'orchestra-default', 'canvas.chain[2]'],
    ]);
    expect(state.status).toBe('completed');
    expect(state.progress).toEqual({ completed: 3, known: 3 });
    expect(state.root.children!.map((c) => [c.path, c.status, c.result])).toEqual([
      ['canvas.chain[0]', 'completed', 9],
      ['canvas.chain[1]', 'completed', 15],
      ['canvas.chain[2]', 'completed', 105],
    ]);
  });

  test('an immutable step gets only its own args', async () => {
    const { result } = await run({ canvas: { chain: [t('add', 1, 1), { task: 'add', args: [2, 3], immutable: true }, t('mul', 10)] }, defaults: remote });
    expect(calls()).toEqual([
      ['add', [1, 1]],
      ['add', [2, 3]],
      ['mul', [5, 10]],
    ]);
    expect(result).toBe(50);
  });

  test('consecutive light steps run as one local activity, each step keeping its own state', async () => {
    const { result, state } = await run({ canvas: { chain: [t('add', 4, 5), t('add', 6), t('mul', 7)] } });
    expect(result).toBe(105);
    expect(w.fake.calls).toHaveLength(1);
    const [light] = w.fake.calls;
    expect([light.type, light.local, light.options.summary]).toEqual(['canvas.lightChain', true, 'canvas.chain[0]..canvas.chain[2]']);
    expect(light.args).toEqual([
      {
        steps: [
          { task: 'add', args: [4, 5] },
          { task: 'add', args: [6] },
          { task: 'mul', args: [7] },
        ],
      },
    ]);
    expect(state.root.children!.map((c) => [c.status, c.result])).toEqual([
      ['completed', 9],
      ['completed', 15],
      ['completed', 105],
    ]);
    expect(state.progress).toEqual({ completed: 3, known: 3 });
  });

  test('a step that fails in a light run runs again on its own, then the rest as a new light run', async () => {
    let mulCalls = 0;
    tasks.mul = (x: number, y: number) => {
      if (mulCalls++ === 0) throw new Error('first attempt fails');
      return x * y;
    };
    const { result, state } = await run({ canvas: { chain: [t('add', 1, 1), t('mul', 3), t('add', 4), t('mul', 2)] } });
    expect(result).toBe(20);
    expect(calls()).toEqual([
      [
        'canvas.lightChain',
        [
          {
            steps: [
              { task: 'add', args: [1, 1] },
              { task: 'mul', args: [3] },
              { task: 'add', args: [4] },
              { task: 'mul', args: [2] },
            ],
          },
        ],
      ],
      ['mul', [2, 3]],
      [
        'canvas.lightChain',
        [
          {
            steps: [
              { task: 'add', args: [4] },
              { task: 'mul', args: [2] },
            ],
            input: { value: 6 },
          },
        ],
      ],
    ]);
    expect(w.fake.calls[1]).toMatchObject({ local: true, options: { summary: 'canvas.chain[1]' } });
    expect(state.root.children!.map((c) => c.result)).toEqual([2, 6, 10, 20]);
  });

  test('a failing step fails the run with its path, type and message; later steps never start', async () => {
    const { error, state } = await run({ canvas: { chain: [t('add', 1, 1), { id: 'div', task: 'divide', args: [0] }, t('mul', 3)] }, defaults: remote });
    expect(error).toBeInstanceOf(w.common.ApplicationFailure);
    expect(w.failures.readCanvasFailure(error)).toEqual({
      type: 'ZeroDivisionError',
      message: 'division by zero',
      node: { path: 'canvas.chain[1]', id: 'div', task: 'divide' },
    });
    expect(calls()).toEqual([
      ['add', [1, 1]],
      ['divide', [2, 0]],
    ]);
    expect(state.status).toBe('failed');
    expect(state.root.children!.map((c) => c.status)).toEqual(['completed', 'failed', 'pending']);
    expect(node(state, 'canvas.chain[1]').error).toEqual({ type: 'ZeroDivisionError', message: 'division by zero' });
  });
});

describe('group and chord', () => {
  test('a group gives its input to every member and returns their results in declaration order', async () => {
    // The first member finishes last.
    let releaseFirst!: () => void;
    const first = new Promise<void>((resolve) => (releaseFirst = resolve));
    const finished: number[] = [];
    tasks.mul = async (x: number, y: number) => {
      if (y === 2) await first;
      else setImmediate(releaseFirst);
      finished.push(y);
      return x * y;
    };
    const { result, state } = await run({ canvas: { chain: [t('add', 1, 1), { group: [t('mul', 2), t('mul', 3)] }] }, defaults: remote });
    expect(finished).toEqual([3, 2]);
    expect(result).toEqual([4, 6]);
    expect(calls()).toEqual([
      ['add', [1, 1]],
      ['mul', [2, 2]],
      ['mul', [2, 3]],
    ]);
    expect(node(state, 'canvas.chain[1]').counts).toEqual({ total: 2, completed: 2, failed: 0, running: 0 });
    expect(node(state, 'canvas.chain[1].group[0]').result).toBe(4);
  });

  test('a group followed by a step is a chord: the step receives the list', async () => {
    const { result } = await run({ canvas: { chain: [{ group: [t('add', 2, 2), t('add', 4, 4)] }, { task: 'xsum' }] }, defaults: remote });
    expect(calls()).toEqual([
      ['add', [2, 2]],
      ['add', [4, 4]],
      ['xsum', [[4, 8]]],
    ]);
    expect(result).toBe(12);
  });

  test("a chord's body gets the header's list; header members get the chord's input", async () => {
    const { result, state } = await run({
      canvas: { chain: [t('noop', 10), { chord: { header: [t('add', 1), t('mul', 2)], body: { task: 'xsum' } } }] },
      defaults: remote,
    });
    expect(calls()).toEqual([
      ['noop', [10]],
      ['add', [10, 1]],
      ['mul', [10, 2]],
      ['xsum', [[11, 20]]],
    ]);
    expect(result).toBe(31);
    expect(node(state, 'canvas.chain[1].chord.body').result).toBe(31);
    expect(node(state, 'canvas.chain[1].chord.header[1]').result).toBe(20);
  });

  test('the first failure cancels the members still running and fails the group at its path', async () => {
    tasks.sleep = () => new Promise(() => undefined); // runs until cancelled
    const { error, state } = await run({ canvas: { group: [t('sleep', 60_000), t('divide', 1, 0)] } });
    expect(w.failures.readCanvasFailure(error)).toEqual({
      type: 'ZeroDivisionError',
      message: 'division by zero',
      node: { path: 'canvas.group[1]', task: 'divide' },
    });
    expect(w.fake.callsOf('sleep')[0].status).toBe('cancelled');
    expect(state.root.children!.map((c) => c.status)).toEqual(['cancelled', 'failed']);
  });

  test('settle: every member runs, and each result says ok or names the error', async () => {
    const { result } = await run({ canvas: { group: [t('add', 1, 1), t('divide', 1, 0), t('mul', 2, 3)], settle: true }, defaults: remote });
    expect(result).toEqual([
      { ok: true, value: 2 },
      { ok: false, error: { type: 'ZeroDivisionError', message: 'division by zero', node: { path: 'canvas.group[1]', task: 'divide' } } },
      { ok: true, value: 6 },
    ]);
  });
});

describe('map, starmap, chunks', () => {
  test("map: the item is the first argument, then the map's args; results in item order", async () => {
    const { result, state } = await run({ canvas: { map: { task: 'add', items: [1, 2, 3], args: [10] } } });
    expect(result).toEqual([11, 12, 13]);
    expect(calls()).toEqual([
      ['add', [1, 10]],
      ['add', [2, 10]],
      ['add', [3, 10]],
    ]);
    expect(w.fake.calls.map((c) => c.options.summary)).toEqual(['canvas.map.items[0]', 'canvas.map.items[1]', 'canvas.map.items[2]']);
    expect(state.progress).toEqual({ completed: 3, known: 3 });
  });

  test('a map without items maps over its input, which joins the known tasks when it arrives', async () => {
    const { result, state } = await run({ canvas: { chain: [{ task: 'noop', args: [[1, 2, 3]] }, { map: { task: 'mul', args: [2] } }] } });
    expect(result).toEqual([2, 4, 6]);
    expect(calls()).toEqual([
      ['noop', [[1, 2, 3]]],
      ['mul', [1, 2]],
      ['mul', [2, 2]],
      ['mul', [3, 2]],
    ]);
    expect(state.progress).toEqual({ completed: 4, known: 4 });
    expect(node(state, 'canvas.chain[1]').children!.map((c) => [c.path, c.result])).toEqual([
      ['canvas.chain[1].map.items[0]', 2],
      ['canvas.chain[1].map.items[1]', 4],
      ['canvas.chain[1].map.items[2]', 6],
    ]);
  });

  test('starmap (spread): each item is the list of positional args', async () => {
    const { result } = await run({
      canvas: {
        map: {
          task: 'add',
          items: [
            [1, 2],
            [3, 4],
          ],
          spread: true,
        },
      },
    });
    expect(calls()).toEqual([
      ['add', [1, 2]],
      ['add', [3, 4]],
    ]);
    expect(result).toEqual([3, 7]);
  });

  test('a map over an input that is not a list fails with InvalidArgumentsError at its path', async () => {
    const { error } = await run({ canvas: { chain: [t('add', 1, 2), { map: { task: 'mul', args: [2] } }] }, defaults: remote });
    expect(w.failures.readCanvasFailure(error)).toEqual({
      type: 'InvalidArgumentsError',
      message: 'map over mul needs an array of items, got number',
      node: { path: 'canvas.chain[1]', task: 'mul' },
    });
    expect(calls()).toEqual([['add', [1, 2]]]);
  });

  test('chunks: one batch activity per chunk, a list of results per chunk', async () => {
    const { result, state } = await run({
      canvas: {
        chunks: {
          task: 'add',
          items: [
            [1, 2],
            [3, 4],
            [5, 6],
            [7, 8],
            [9, 10],
          ],
          size: 2,
        },
      },
    });
    expect(result).toEqual([[3, 7], [11, 15], [19]]);
    expect(w.fake.calls.map((c) => [c.type, c.local, c.options.summary, c.args])).toEqual([
      [
        'canvas.batch',
        true,
        'canvas#0',
        [
          {
            task: 'add',
            items: [
              [1, 2],
              [3, 4],
            ],
            spread: true,
            offset: 0,
          },
        ],
      ],
      [
        'canvas.batch',
        true,
        'canvas#1',
        [
          {
            task: 'add',
            items: [
              [5, 6],
              [7, 8],
            ],
            spread: true,
            offset: 2,
          },
        ],
      ],
      ['canvas.batch', true, 'canvas#2', [{ task: 'add', items: [[9, 10]], spread: true, offset: 4 }]],
    ]);
    expect(state.root.counts).toEqual({ total: 5, completed: 5, failed: 0, running: 0 });
  });

  test('a map with batchSize returns the same flat list as without', async () => {
    const { result } = await run({ canvas: { map: { task: 'mul', items: [1, 2, 3, 4, 5], args: [10], batchSize: 2 } } });
    expect(result).toEqual([10, 20, 30, 40, 50]);
    expect(w.fake.calls.map((c) => (c.args[0] as { items: Json[] }).items)).toEqual([[1, 2], [3, 4], [5]]);
  });

  test("a map of more than 500 items runs in child canvas runs that keep the parent's paths", async () => {
    const items = Array.from({ length: 1200 }, (_, i) => i);
    w.fake.child = (_type: string, request: { canvas: { map: { items: number[] } } }) => request.canvas.map.items.map((x) => x * 2);
    const { result, state } = await run({ canvas: { map: { task: 'mul', items, args: [2] } } });
    expect(result).toEqual(items.map((x) => x * 2));
    expect(w.fake.calls).toEqual([]);
    expect(w.fake.children.map((c) => [c.type, c.options.workflowId, c.options.args[0].canvas.map.items.length, c.options.args[0].placement])).toEqual([
      ['canvas', 'test-run/canvas/0-0', 500, { basePath: 'canvas', indexOffset: 0, segment: 'map.items' }],
      ['canvas', 'test-run/canvas/1-1', 500, { basePath: 'canvas', indexOffset: 500, segment: 'map.items' }],
      ['canvas', 'test-run/canvas/2-2', 200, { basePath: 'canvas', indexOffset: 1000, segment: 'map.items' }],
    ]);
    expect(state.root.counts).toEqual({ total: 1200, completed: 1200, failed: 0, running: 0 });
  });

  test("a child run's failure fails the parent with the item's path as the child named it", async () => {
    w.fake.child = () => {
      throw w.failures.stepFailure({ type: 'ZeroDivisionError', message: 'division by zero', node: { path: 'canvas.map.items[742]', task: 'divide' } });
    };
    const { error } = await run({ canvas: { map: { task: 'divide', items: Array.from({ length: 800 }, () => 0), args: [1] } } });
    expect(w.failures.readCanvasFailure(error)?.node).toEqual({ path: 'canvas.map.items[742]', task: 'divide' });
  });
});

describe('kwargs', () => {
  test("kwargs go to their parameters' positions, in any order; a skipped parameter is null", async () => {
    tasks['users.setAvatar'] = () => ({ applied: true });
    await run({ canvas: { task: 'users.setAvatar', args: [['thumb']], kwargs: { originalId: 'o1', userId: 'u1' } } });
    await run({ canvas: { task: 'users.setAvatar', args: [['thumb']], kwargs: { originalId: 'o2' } } });
    expect(calls()).toEqual([
      ['users.setAvatar', [['thumb'], 'u1', 'o1']],
      ['users.setAvatar', [['thumb'], null, 'o2']],
    ]);
  });

  test('in a chain, kwargs come after the previous result', async () => {
    const { result } = await run({ canvas: { chain: [t('add', 2, 3), { task: 'divide', kwargs: { y: 5 } }] }, defaults: remote });
    expect(calls()).toEqual([
      ['add', [2, 3]],
      ['divide', [5, 5]],
    ]);
    expect(result).toBe(1);
  });

  test('a kwarg also given by position fails the step at its path before anything runs', async () => {
    const { error, state } = await run({ canvas: { chain: [t('add', 1, 2), { task: 'add', args: [3], kwargs: { x: 0 } }] }, defaults: remote });
    expect(w.failures.readCanvasFailure(error)).toEqual({
      type: 'InvalidArgumentsError',
      message: 'keyword argument x is also given by position',
      node: { path: 'canvas.chain[1]', task: 'add' },
    });
    expect(calls()).toEqual([['add', [1, 2]]]);
    expect(node(state, 'canvas.chain[1]').status).toBe('failed');
  });
});

describe('the run', () => {
  test('where a step runs: light tasks inline, others on their pool, a rate-limited task on its own queue', async () => {
    tasks.sleep = (ms: number) => ms;
    tasks.throttled = (value: Json) => value;
    await run({ canvas: { group: [t('add', 1, 2), t('sleep', 5), t('throttled', 7), { task: 'add', args: [1, 2], options: { queue: 'ml' } }] } });
    expect(w.fake.calls.map((c) => [c.type, c.local, c.options.taskQueue])).toEqual([
      ['add', true, undefined],
      ['sleep', false, 'orchestra-default'],
      ['throttled', false, 'orchestra-default-limited-throttled'],
      ['add', false, 'orchestra-ml'],
    ]);
  });

  test('a run recorded before local activities replays with every step remote', async () => {
    w.fake.patched = () => false;
    const { result } = await run({ canvas: { chain: [t('add', 1, 2), t('add', 3)] } });
    expect(result).toBe(6);
    expect(w.fake.calls.map((c) => [c.type, c.local, c.options.taskQueue])).toEqual([
      ['add', false, 'orchestra-default'],
      ['add', false, 'orchestra-default'],
    ]);
  });

  test('a delay is a durable timer before the step', async () => {
    await run({ canvas: { task: 'add', args: [1, 2], options: { delay: '5s' } } });
    expect(w.fake.sleeps).toEqual([5000]);
    expect(calls()).toEqual([['add', [1, 2]]]);
  });

  test('a canvas that fails the structural check fails at once, running nothing', async () => {
    const { error, state } = await run({ canvas: { chain: [t('add', 1, 2), t('nope')] } });
    expect((error as { type?: string }).type).toBe('InvalidCanvasError');
    expect((error as Error).message).toMatch(/canvas\.chain\[1\]/);
    expect(w.fake.calls).toEqual([]);
    expect(state).toBeUndefined();
  });

  test('onError runs once with the failure as its first argument; the run keeps its own failure', async () => {
    const { error } = await run({ canvas: t('divide', 1, 0), onError: { task: 'noop' } });
    expect(w.failures.readCanvasFailure(error)?.type).toBe('ZeroDivisionError');
    expect(calls()).toEqual([
      ['divide', [1, 0]],
      ['noop', [{ type: 'ZeroDivisionError', message: 'division by zero', node: { path: 'canvas', task: 'divide' } }]],
    ]);
  });

  test('a cancel reaches the running step; nothing later starts and onError does not run', async () => {
    tasks.sleep = () => new Promise(() => undefined);
    const running = run({ canvas: { chain: [t('sleep', 60_000), t('add', 1)] }, onError: { task: 'noop' } });
    await w.fake.idle();
    w.fake.cancel();
    const { error, state } = await running;
    expect(w.workflow.isCancellation(error)).toBe(true);
    expect(calls()).toEqual([['sleep', [60_000]]]);
    expect(w.fake.calls[0].status).toBe('cancelled');
    expect(state.root.children!.map((c) => c.status)).toEqual(['cancelled', 'pending']);
  });
});

describe('wait', () => {
  test('the payload of an event is the result, whether it came before the node or while it waits', async () => {
    tasks.noop = (value: Json) => {
      w.fake.signal(EVENT_SIGNAL, { name: 'early', payload: { ok: 1 } }); // arrives while step 0 runs
      return value;
    };
    const running = run({ canvas: { chain: [t('noop', 1), { wait: { event: 'early', timeout: '1h' } }, { wait: { event: 'late', timeout: '1h' } }] } });
    await w.fake.idle();
    const waiting = w.fake.query('state') as CanvasState;
    expect(node(waiting, 'canvas.chain[1]').result).toEqual({ ok: 1 });
    expect(node(waiting, 'canvas.chain[2]').waitingFor?.event).toBe('late');
    w.fake.signal(EVENT_SIGNAL, { name: 'late', payload: 'approved' });
    expect((await running).result).toBe('approved');
  });

  test('no event by the timeout: the default is the result', async () => {
    const withDefault = run({ canvas: { wait: { event: 'never', timeout: '1m', default: 'fallback' } } });
    await w.fake.idle();
    w.fake.fireTimers();
    expect((await withDefault).result).toBe('fallback');
  });

  test('no event by the timeout and no default: EventTimeoutError at the wait node', async () => {
    const without = run({ canvas: { wait: { event: 'never', timeout: '1m' } } });
    await w.fake.idle();
    w.fake.fireTimers();
    expect(w.failures.readCanvasFailure((await without).error)).toEqual({
      type: 'EventTimeoutError',
      message: 'no event "never" arrived within 1m',
      node: { path: 'canvas' },
    });
  });
});

describe('Python steps (README, "Bring your Celery tasks")', () => {
  const pyAdd = {
    name: 'py.add',
    visibility: 'public' as const,
    pool: 'python' as const,
    description: 'x + y in Python',
    params: [{ name: 'x' }, { name: 'y', optional: true }],
    defaults: { startToCloseTimeout: '1h', heartbeatTimeout: '10s', retry: { maxAttempts: 4 } },
  };
  beforeEach(() => {
    // The Python pool receives one envelope: positional args, kwargs as keywords, whose retries decide.
    tasks['py.add'] = ({ args, kwargs }: { args: number[]; kwargs: Record<string, number> }) => args[0] + (args[1] ?? kwargs.y);
  });

  test('a chain passes results across languages; the Python step gets {args, kwargs, retries} on the python queue', async () => {
    const { result } = await run({
      canvas: { chain: [t('add', 1, 2), { task: 'py.add', kwargs: { y: 10 } }, t('mul', 2)] },
      pythonTasks: { 'py.add': pyAdd },
    });
    expect(result).toBe(26);
    expect(calls()[1]).toEqual(['py.add', [{ args: [3], kwargs: { y: 10 }, retries: 'celery' }]]);
    const py = w.fake.calls[1];
    expect([py.local, py.options.taskQueue, py.options.heartbeatTimeout, (py.options.retry as { maximumAttempts?: number }).maximumAttempts]).toEqual([
      false,
      'orchestra-python',
      10_000,
      4,
    ]);
  });

  test("a canvas retry option on the way down makes the canvas's policy decide", async () => {
    await run({ canvas: { group: [t('py.add', 1, 2)], options: { retry: { maxAttempts: 2 } } }, pythonTasks: { 'py.add': pyAdd } });
    expect(calls()).toEqual([['py.add', [{ args: [1, 2], kwargs: {}, retries: 'canvas' }]]]);
    expect((w.fake.calls[0].options.retry as { maximumAttempts?: number }).maximumAttempts).toBe(2);
  });

  test('a Python task the run was not given fails as unknown', async () => {
    const { error } = await run({ canvas: t('py.add', 1, 2) });
    expect(w.failures.readCanvasFailure(error)?.message ?? String(error)).toMatch(/unknown task/);
  });
});
