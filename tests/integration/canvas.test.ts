/**
 * Conformance of the canvas language (docs/canvas.md, /work/shared/CANVAS.md) against the
 * real dev server, worker pools and API: data flow, options, failures, cancellation,
 * idempotent start, limits, validation, live state, SSE, docs, and fan-outs at scale.
 *
 * Every canvas runs two ways (docs/canvas.md, "Where a step runs"): as sent, where light
 * tasks run inline as local activities in the orchestrator, and forced remote, with
 * `"defaults": {"local": false}` merged into each request. Both must give the same results.
 * A local activity leaves one MarkerRecorded event ('core_local_activity') where a remote
 * one leaves ActivityTaskScheduled/Started/Completed; `steps()` reads both. Tests that need
 * what only a scheduled activity records (its timeouts and retry policy, or overlap in time)
 * run in remote mode only, and say so.
 */
import type { Client } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { apiUrl, call, runCanvas, temporalClient, waitFor, waitForEnd } from '../support/http';

type Event = temporal.api.history.v1.IHistoryEvent;
type Node = Record<string, unknown>;

const t = (name: string, ...args: unknown[]): Node => ({ task: name, args });
const si = (name: string, ...args: unknown[]): Node => ({ task: name, args, immutable: true });
const uid = (prefix: string) => `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

let client: Client;
beforeAll(async () => {
  client = await temporalClient();
});
afterAll(async () => {
  await client.connection.close();
});

/** Where light tasks run: `local` sends requests as written, `remote` adds `defaults.local: false`. */
type Mode = 'local' | 'remote';
const MODES: Array<{ mode: Mode; label: string }> = [
  { mode: 'local', label: 'as sent (light tasks inline)' },
  { mode: 'remote', label: 'forced remote (defaults.local: false)' },
];

function inMode(mode: Mode, request: Node): Node {
  if (mode === 'local') return request;
  return { ...request, defaults: { ...(request.defaults as Node | undefined), local: false } };
}

async function runIn(mode: Mode, canvas: Node, extra: Node = {}, timeout = '90s'): Promise<any> {
  return runCanvas(inMode(mode, { canvas, ...extra }), timeout);
}

async function startIn(mode: Mode, body: Node, headers: Record<string, string> = {}): Promise<string> {
  const started = await call('POST', '/workflows', inMode(mode, body), headers);
  expect(started.status).toBe(201);
  return started.body.workflowId;
}

/** Outside the per-mode suites: requests as sent. */
const run = (canvas: Node, extra: Node = {}, timeout = '90s') => runIn('local', canvas, extra, timeout);
const start = (body: Node, headers: Record<string, string> = {}) => startIn('local', body, headers);

async function events(workflowId: string): Promise<Event[]> {
  return (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
}

const decode = (payload: unknown) => defaultPayloadConverter.fromPayload(payload as Payload);
const ms = (ts: Event['eventTime']) => Number(ts!.seconds) * 1000 + Math.floor((ts!.nanos ?? 0) / 1e6);
const durationMs = (d: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  d ? Number(d.seconds ?? 0) * 1000 + Math.round((d.nanos ?? 0) / 1e6) : undefined;

function scheduled(history: Event[]) {
  return history
    .filter((e) => e.activityTaskScheduledEventAttributes)
    .map((e) => ({ eventId: Number(e.eventId), time: ms(e.eventTime), ...e.activityTaskScheduledEventAttributes! }));
}

/** The marker sdk-core records for each resolved local activity (and each timer-backed retry). */
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

/** One step as the history shows it, wherever it ran. */
interface Step {
  where: 'local' | 'remote';
  /** The node path: a remote activity's id, a local activity's summary. */
  path: string;
  type: string;
  eventId: number;
  time: number;
  /** Remote: the arguments as scheduled. */
  input?: unknown[];
  /** Local: the attempt the marker records, the backoff it waits on a timer before the next, its result. */
  attempt?: number;
  backoffMs?: number;
  result?: unknown;
}

/**
 * Every step of a run in history order: one per scheduled remote activity, one per local
 * activity marker (a local retry that backs off on a durable timer adds a marker per round).
 */
function steps(history: Event[]): Step[] {
  const found: Step[] = [];
  for (const e of history) {
    const base = { eventId: Number(e.eventId), time: ms(e.eventTime) };
    const remote = e.activityTaskScheduledEventAttributes;
    if (remote) {
      found.push({ ...base, where: 'remote', path: remote.activityId!, type: remote.activityType!.name!, input: (remote.input?.payloads ?? []).map(decode) });
    }
    const marker = e.markerRecordedEventAttributes;
    if (marker?.markerName === LOCAL_ACTIVITY_MARKER) {
      const data = decode(marker.details!.data!.payloads![0]) as { attempt: number; activity_type: string; backoff?: { seconds?: number; nanos?: number } };
      const result = marker.details!.result?.payloads?.[0];
      found.push({
        ...base,
        where: 'local',
        path: decode(e.userMetadata!.summary) as string,
        type: data.activity_type,
        attempt: data.attempt,
        backoffMs: data.backoff ? durationMs(data.backoff) : undefined,
        result: result ? decode(result) : undefined,
      });
    }
  }
  return found;
}

/** The most activities that were scheduled and not yet closed at any one time (remote activities only). */
function peakConcurrency(history: Event[]): number {
  const marks: Array<[number, number]> = [];
  for (const e of history) {
    if (e.activityTaskScheduledEventAttributes) marks.push([ms(e.eventTime), +1]);
    const closed =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes ??
      e.activityTaskCanceledEventAttributes;
    if (closed) marks.push([ms(e.eventTime), -1]);
  }
  // Closes sort before opens at the same instant: a slot freed and taken is not an overlap.
  marks.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, delta] of marks) peak = Math.max(peak, (now += delta));
  return peak;
}

/** Child workflow ids a run started, from its history. */
function childIds(history: Event[]): string[] {
  return history
    .filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)
    .map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes!.workflowId!);
}

/** Every run under a workflow (itself and its children, recursively) with its event count. */
async function historySizes(workflowId: string): Promise<Array<{ workflowId: string; events: number; history: Event[] }>> {
  const history = await events(workflowId);
  const sizes = [{ workflowId, events: history.length, history }];
  for (const child of childIds(history)) sizes.push(...(await historySizes(child)));
  return sizes;
}

/** The first argument a step got: a remote step's input; a local `noop` step's result (noop returns it). */
function firstArg(step: Step): unknown {
  return step.where === 'remote' ? step.input![0] : step.result;
}

describe.each(MODES)('$label', ({ mode }) => {
  // This suite's requests go out in its mode: these shadow the module's as-sent helpers.
  const run = (canvas: Node, extra: Node = {}, timeout = '90s') => runIn(mode, canvas, extra, timeout);
  const start = (body: Node, headers: Record<string, string> = {}) => startIn(mode, body, headers);
  /** Where a light task's step runs in this mode (sleep and flaky are not light: always remote). */
  const light = mode;
  const remoteOnly = mode === 'remote' ? test : test.skip;

  describe('data flow (Celery rules)', () => {
    test('a single task: add(4, 5) = 9', async () => {
      expect(await run(t('add', 4, 5))).toMatchObject({ status: 'COMPLETED', result: 9 });
    });

    test('chain(add(4,5), add(6), mul(7)) = 105: each result prepended to the next args', async () => {
      const done = await run({ chain: [t('add', 4, 5), t('add', 6), t('mul', 7)] });
      expect(done.result).toBe(105);
      // Remote: each step once, under its own path. Local: the three light steps in a row
      // run as one local activity (a light run), which returns each step's result.
      const ran = steps(await events(done.workflowId));
      if (mode === 'local') {
        expect(ran.map((s) => [s.where, s.type, s.path])).toEqual([[light, 'canvas.lightChain', 'canvas.chain[0]..canvas.chain[2]']]);
        expect(ran[0].result).toEqual({ results: [9, 15, 105] });
      } else {
        expect(ran.map((s) => [s.where, s.type, s.path])).toEqual([
          [light, 'add', 'canvas.chain[0]'],
          [light, 'add', 'canvas.chain[1]'],
          [light, 'mul', 'canvas.chain[2]'],
        ]);
      }
    });

    test('chain(group(add(2,2), add(4,4)), xsum) = 12: a group followed by a node is a chord', async () => {
      expect((await run({ chain: [{ group: [t('add', 2, 2), t('add', 4, 4)] }, t('xsum')] })).result).toBe(12);
    });

    test('chain(add(1,1), group(mul(2), mul(3))) = [4, 6]: the group gives its input to every member', async () => {
      expect((await run({ chain: [t('add', 1, 1), { group: [t('mul', 2), t('mul', 3)] }] })).result).toEqual([4, 6]);
    });

    test('immutable (si) ignores the previous result, and its own result flows on', async () => {
      expect((await run({ chain: [t('add', 1, 1), si('add', 10, 10), t('mul', 2)] })).result).toBe(40);
    });

    test('a group result is in declaration order, whatever finishes first', async () => {
      const run1 = await run({ group: [{ chain: [t('sleep', 600), si('add', 1, 0)] }, t('add', 2, 0), t('add', 3, 0)] });
      expect(run1.result).toEqual([1, 2, 3]);
    });

    test('chord: the body receives the header array', async () => {
      expect((await run({ chord: { header: [t('add', 1, 1), t('add', 2, 2)], body: t('xsum') } })).result).toBe(6);
    });

    test('a chord in a chain gives its input to the header', async () => {
      expect((await run({ chain: [t('add', 1, 1), { chord: { header: [t('mul', 2), t('mul', 3)], body: t('xsum') } }] })).result).toBe(10);
    });

    test('map with items, the item first then the map args', async () => {
      expect((await run({ map: { task: 'add', items: [1, 2, 3], args: [10] } })).result).toEqual([11, 12, 13]);
    });

    test('map over the input: dynamic fan-out over the previous result', async () => {
      const done = await run({ chain: [t('noop', [1, 2, 3]), { map: { task: 'mul', args: [10] } }] });
      expect(done.result).toEqual([10, 20, 30]);
      expect(done.progress).toEqual({ completed: 4, known: 4 });
    });

    test('map over an input that is not an array fails with InvalidArgumentsError at the map', async () => {
      const done = await run({ chain: [t('add', 1, 1), { map: { task: 'mul', args: [10] }, id: 'fan' }] });
      expect(done.status).toBe('FAILED');
      expect(done.failure).toMatchObject({ type: 'InvalidArgumentsError', node: { path: 'canvas.chain[1]', id: 'fan' } });
      expect(done.failure.message).toContain('number');
    });

    test('starmap: spread items are positional args', async () => {
      expect(
        (
          await run({
            map: {
              task: 'add',
              items: [
                [1, 2],
                [3, 4],
              ],
              spread: true,
            },
          })
        ).result,
      ).toEqual([3, 7]);
    });

    test('starmap over the input', async () => {
      expect(
        (
          await run({
            chain: [
              t('noop', [
                [2, 3],
                [4, 5],
              ]),
              { map: { task: 'mul', spread: true } },
            ],
          })
        ).result,
      ).toEqual([6, 20]);
    });

    test('nesting four levels: chain > group > chain > group/map/chord', async () => {
      const canvas = {
        chain: [
          t('add', 1, 1),
          {
            group: [
              { chain: [t('mul', 3), t('add', 1)] },
              { chord: { header: [t('add', 1), t('add', 2)], body: t('xsum') } },
              { chain: [{ group: [t('add', 0), t('add', 1)] }, { map: { task: 'mul', args: [10] } }] },
            ],
          },
          t('noop'),
        ],
      };
      expect((await run(canvas)).result).toEqual([7, 7, [20, 30]]);
    });

    test('kwargs are placed by parameter name, after the input', async () => {
      expect((await run({ task: 'divide', kwargs: { y: 4, x: 10 } })).result).toBe(2.5);
      expect((await run({ chain: [t('add', 4, 4), { task: 'divide', kwargs: { y: 2 } }] })).result).toBe(4);
      expect((await run({ map: { task: 'divide', items: [2, 4], kwargs: { y: 2 } } })).result).toEqual([1, 2]);
    });
  });

  describe('options', () => {
    test('queue routes a step to an allowed pool; an unknown queue is a 400', async () => {
      const done = await run({ chain: [{ ...t('add', 1, 2), options: { queue: 'default' } }, t('mul', 2)], options: { queue: 'default' } });
      expect(done.result).toBe(6);
      const queues = scheduled(await events(done.workflowId)).map((a) => a.taskQueue!.name);
      expect(queues).toEqual(['orchestra-default', 'orchestra-default']);
      const bad = await call('POST', '/workflows', { canvas: { ...t('add', 1, 2), options: { queue: 'gpu' } } });
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([{ path: 'canvas.options.queue', message: expect.stringContaining('default') }]);
    });

    test('retry: maxAttempts and backoff map onto the retry policy', async () => {
      const options = { retry: { maxAttempts: 3, initialInterval: '500ms', backoffCoefficient: 2, maxInterval: '5s' } };
      const done = await run({ ...t('flaky', 2), options });
      expect(done).toMatchObject({ status: 'COMPLETED', result: 3 });
      const history = await events(done.workflowId);
      const [activity] = scheduled(history);
      expect(activity.retryPolicy).toMatchObject({ maximumAttempts: 3, backoffCoefficient: 2 });
      expect(durationMs(activity.retryPolicy!.initialInterval)).toBe(500);
      expect(durationMs(activity.retryPolicy!.maximumInterval)).toBe(5000);
      const startedAttempt = history.find((e) => e.activityTaskStartedEventAttributes)!.activityTaskStartedEventAttributes!.attempt;
      expect(startedAttempt).toBe(3);
      // Backoff 500 ms then 1 s: at least 1.5 s between scheduling and completion.
      const completed = history.find((e) => e.activityTaskCompletedEventAttributes)!;
      expect(ms(completed.eventTime) - activity.time).toBeGreaterThanOrEqual(1400);
    });

    test("retry: too few attempts fail with the task's own error and the last attempt", async () => {
      const done = await run({ ...t('flaky', 5), options: { retry: { maxAttempts: 2, initialInterval: '100ms' } } });
      expect(done.status).toBe('FAILED');
      expect(done.failure).toMatchObject({ type: 'FlakyError', message: 'attempt 2 of 5 planned failures', node: { path: 'canvas', task: 'flaky' } });
    });

    test('nonRetryable listing FlakyError fails at once, on the first attempt', async () => {
      const done = await run({ ...t('flaky', 1), options: { retry: { nonRetryable: ['FlakyError'] } } });
      expect(done.failure).toMatchObject({ type: 'FlakyError', message: 'attempt 1 of 1 planned failures' });
      const history = await events(done.workflowId);
      expect(history.filter((e) => e.activityTaskStartedEventAttributes).map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual([1]);
    });

    test('startToCloseTimeout on a sleep fails it with TimeoutError', async () => {
      const started = Date.now();
      const done = await run({ ...t('sleep', 20_000), options: { startToCloseTimeout: '1s', retry: { maxAttempts: 1 } } });
      expect(done.status).toBe('FAILED');
      expect(done.failure).toMatchObject({ type: 'TimeoutError', node: { path: 'canvas', task: 'sleep' } });
      expect(done.failure.message).toMatch(/start.?to.?close/i);
      expect(Date.now() - started).toBeLessThan(15_000);
    });

    test('heartbeatTimeout: a step that heartbeats less often than asked fails with TimeoutError', async () => {
      // sleep(120000) heartbeats once a second; 400 ms is shorter than that.
      const done = await run({ ...t('sleep', 120_000), options: { heartbeatTimeout: '400ms', retry: { maxAttempts: 1 } } });
      expect(done.failure).toMatchObject({ type: 'TimeoutError' });
      expect(done.failure.message).toMatch(/heartbeat/i);
    });

    test('scheduleToCloseTimeout bounds one attempt that runs too long', async () => {
      const done = await run({ ...t('sleep', 20_000), options: { scheduleToCloseTimeout: '2s', startToCloseTimeout: '1h' } });
      expect(done.failure).toMatchObject({ type: 'TimeoutError' });
      expect(done.failure.message).toMatch(/schedule.?to.?close/i);
    });

    test('scheduleToCloseTimeout bounds all attempts together', async () => {
      const started = Date.now();
      const options = { scheduleToCloseTimeout: '3s', retry: { maxAttempts: 100, initialInterval: '500ms', backoffCoefficient: 1 } };
      const done = await run({ ...t('flaky', 100), options });
      expect(done.status).toBe('FAILED');
      // Timed out mid-attempt or during a backoff (then Temporal reports the last attempt's error).
      expect(['TimeoutError', 'FlakyError']).toContain(done.failure.type);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(2000);
      expect(elapsed).toBeLessThan(30_000);
    });

    test('delay waits on a durable timer before the step starts', async () => {
      const done = await run({ chain: [t('add', 1, 1), { ...t('mul', 3), options: { delay: '2s' } }] });
      expect(done.result).toBe(6);
      const history = await events(done.workflowId);
      const timers = history.filter((e) => e.timerStartedEventAttributes);
      expect(timers).toHaveLength(1);
      expect(durationMs(timers[0].timerStartedEventAttributes!.startToFireTimeout)).toBe(2000);
      const [first, second] = steps(history);
      expect([first.where, second.where]).toEqual([light, light]);
      expect(Number(timers[0].eventId)).toBeGreaterThan(first.eventId);
      expect(second.time - ms(timers[0].eventTime)).toBeGreaterThanOrEqual(1900);
    });

    // Remote only: a local activity's marker records neither its timeouts nor its retry policy.
    remoteOnly('options merge outside in: registry < request defaults < enclosing nodes < the node', async () => {
      const canvas = {
        chain: [
          t('add', 1, 1),
          {
            group: [t('mul', 2), { ...t('mul', 3), options: { startToCloseTimeout: '14s', retry: { maxAttempts: 6 } } }],
            options: { startToCloseTimeout: '13s' },
          },
        ],
        options: { startToCloseTimeout: '12s', retry: { initialInterval: '2s' } },
      };
      const done = await run(canvas, { defaults: { startToCloseTimeout: '11s', heartbeatTimeout: '9s', retry: { maxAttempts: 4 } } });
      expect(done.result).toEqual([4, 6]);
      const byId = Object.fromEntries(scheduled(await events(done.workflowId)).map((a) => [a.activityId, a]));
      const summary = (id: string) => ({
        startToClose: durationMs(byId[id].startToCloseTimeout),
        heartbeat: durationMs(byId[id].heartbeatTimeout),
        attempts: byId[id].retryPolicy!.maximumAttempts,
        initial: durationMs(byId[id].retryPolicy!.initialInterval),
        // from the registry's defaults for add/mul, which nothing above overrides
        maxInterval: durationMs(byId[id].retryPolicy!.maximumInterval),
      });
      expect(summary('canvas.chain[0]')).toEqual({ startToClose: 12_000, heartbeat: 9000, attempts: 4, initial: 2000, maxInterval: 30_000 });
      expect(summary('canvas.chain[1].group[0]')).toEqual({ startToClose: 13_000, heartbeat: 9000, attempts: 4, initial: 2000, maxInterval: 30_000 });
      expect(summary('canvas.chain[1].group[1]')).toEqual({ startToClose: 14_000, heartbeat: 9000, attempts: 6, initial: 2000, maxInterval: 30_000 });
    });

    test("a map's own options apply to its items, over the node options", async () => {
      const done = await run({
        map: { task: 'add', items: [1], args: [1], options: { startToCloseTimeout: '7s' } },
        options: { startToCloseTimeout: '6s', heartbeatTimeout: '5s' },
      });
      expect(done.result).toEqual([2]);
      const history = await events(done.workflowId);
      expect(steps(history).map((s) => [s.where, s.path])).toEqual([[light, 'canvas.map.items[0]']]);
      // The timeouts are on record only for a scheduled (remote) activity; a marker has none.
      if (mode === 'remote') {
        const [item] = scheduled(history);
        expect(durationMs(item.startToCloseTimeout)).toBe(7000);
        expect(durationMs(item.heartbeatTimeout)).toBe(5000);
      }
    });
  });

  describe('failure paths', () => {
    test('a chain stops at the first failure; later nodes stay pending', async () => {
      const done = await run({ chain: [t('add', 1, 1), { ...t('divide', 0), id: 'the-division' }, t('mul', 2), t('add', 1)] });
      expect(done.status).toBe('FAILED');
      expect(done.failure).toEqual({
        type: 'ZeroDivisionError',
        message: 'division by zero',
        node: { path: 'canvas.chain[1]', id: 'the-division', task: 'divide' },
      });
      expect(done.state.status).toBe('failed');
      expect(done.state.children.map((c: any) => c.status)).toEqual(['completed', 'failed', 'pending', 'pending']);
      expect(done.state.children[1]).toMatchObject({ id: 'the-division', error: { type: 'ZeroDivisionError', message: 'division by zero' } });
      // Local: the light run stops at the failing step, which then runs (and fails) on its own.
      expect(steps(await events(done.workflowId)).map((s) => [s.where, s.path])).toEqual(
        mode === 'local'
          ? [
              [light, 'canvas.chain[0]..canvas.chain[3]'],
              [light, 'canvas.chain[1]'],
            ]
          : [
              [light, 'canvas.chain[0]'],
              [light, 'canvas.chain[1]'],
            ],
      );
    });

    test('group fail-fast: the first failure cancels running siblings', async () => {
      const started = Date.now();
      const done = await run({ group: [t('sleep', 30_000), t('divide', 1, 0)] });
      expect(done.status).toBe('FAILED');
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(done.failure.node.path).toBe('canvas.group[1]');
      expect(done.state.children.map((c: any) => c.status)).toEqual(['cancelled', 'failed']);
      const history = await events(done.workflowId);
      if (mode === 'remote') {
        expect(history.some((e) => e.activityTaskCancelRequestedEventAttributes)).toBe(true);
      } else {
        // divide fails inline in the first workflow task, usually before the sleep's schedule
        // command reaches the server: then the cancel drops that command and the sleep never
        // starts. If it was scheduled, its cancellation was requested.
        const sleeps = scheduled(history).filter((a) => a.activityType!.name === 'sleep');
        const cancelRequested = history.some((e) => e.activityTaskCancelRequestedEventAttributes);
        expect(sleeps.length === 0 || cancelRequested).toBe(true);
        expect(history.some((e) => e.activityTaskCompletedEventAttributes)).toBe(false);
      }
    });

    test('a failing map cancels the rest and names the item', async () => {
      const done = await run({
        map: {
          task: 'divide',
          items: [
            [1, 1],
            [1, 0],
            [1, 2],
          ],
          spread: true,
          maxConcurrency: 1,
        },
      });
      expect(done.failure).toMatchObject({ type: 'ZeroDivisionError', node: { path: 'canvas.map.items[1]', task: 'divide' } });
      expect(done.state.children.map((c: any) => c.status)).toEqual(['completed', 'failed', 'pending']);
    });

    test('settle: true yields {ok, value} / {ok: false, error} per member', async () => {
      const done = await run({ group: [t('add', 1, 1), t('divide', 1, 0)], settle: true });
      expect(done.status).toBe('COMPLETED');
      expect(done.result).toEqual([
        { ok: true, value: 2 },
        { ok: false, error: { type: 'ZeroDivisionError', message: 'division by zero', node: { path: 'canvas.group[1]', task: 'divide' } } },
      ]);
    });

    test('settle on a map; the outcomes flow on in the chain', async () => {
      const done = await run({
        chain: [
          {
            map: {
              task: 'divide',
              items: [
                [4, 2],
                [1, 0],
              ],
              spread: true,
              settle: true,
            },
          },
          t('noop'),
        ],
      });
      expect(done.result).toEqual([
        { ok: true, value: 2 },
        { ok: false, error: expect.objectContaining({ type: 'ZeroDivisionError' }) },
      ]);
    });

    test('the failure of a nested node names its full path', async () => {
      const done = await run({ chain: [t('add', 1, 1), { group: [t('mul', 2), { chain: [t('add', 0), { ...t('divide', 0), id: 'inner' }] }] }] });
      expect(done.failure).toEqual({
        type: 'ZeroDivisionError',
        message: 'division by zero',
        node: { path: 'canvas.chain[1].group[1].chain[1]', id: 'inner', task: 'divide' },
      });
    });

    test('an argument the task rejects at run time fails with InvalidArgumentsError', async () => {
      // The validator cannot type the chain input; the task's contract does.
      const done = await run({ chain: [t('noop', 'text'), t('add', 1)] });
      expect(done.failure).toMatchObject({ type: 'InvalidArgumentsError', node: { path: 'canvas.chain[1]' } });
      expect(done.failure.message).toContain('add');
    });

    test('onError runs once with the failure as its first argument; the run keeps its failure', async () => {
      const done = await run(t('divide', 1, 0), { onError: { task: 'noop' } });
      expect(done.status).toBe('FAILED');
      expect(done.failure).toMatchObject({ type: 'ZeroDivisionError', node: { path: 'canvas' } });
      const errbacks = steps(await events(done.workflowId)).filter((s) => s.path === 'onError');
      expect(errbacks.map((s) => [s.where, s.type])).toEqual([[light, 'noop']]);
      // noop returns its first argument: a marker's result shows what a scheduled activity's input does.
      expect(firstArg(errbacks[0])).toEqual({ type: 'ZeroDivisionError', message: 'division by zero', node: { path: 'canvas', task: 'divide' } });
    });

    test('onError does not run when the canvas succeeds', async () => {
      const done = await run(t('add', 1, 1), { onError: { task: 'noop' } });
      expect(done.result).toBe(2);
      expect(steps(await events(done.workflowId)).map((s) => s.path)).toEqual(['canvas']);
    });

    test('onError does not run on cancel, unless onCancel: true', async () => {
      for (const onCancel of [false, true]) {
        const id = await start({ canvas: { ...t('sleep', 60_000), options: { heartbeatTimeout: '2s' } }, onError: { task: 'noop', onCancel } });
        await waitFor(id, (v) => v.state?.status === 'running');
        expect((await call('POST', `/workflows/${id}/cancel`)).status).toBe(202);
        expect((await waitForEnd(id, '60s')).status).toBe('CANCELED');
        const errbacks = steps(await events(id)).filter((s) => s.path === 'onError');
        expect(errbacks.map((s) => s.where)).toEqual(onCancel ? [light] : []);
        if (onCancel) expect(firstArg(errbacks[0])).toMatchObject({ type: 'CancelledError', node: { path: 'canvas' } });
      }
    });

    test('cancel mid-group: running steps are cancelled, nothing later starts, the run ends CANCELED', async () => {
      const id = await start({ canvas: { chain: [{ group: [t('sleep', 60_000), t('sleep', 60_000), t('add', 1, 1)] }, t('noop')] } });
      await waitFor(id, (v) => v.state?.children?.[0]?.children?.[2]?.status === 'completed' && v.state.children[0].children[0].status === 'running');
      expect((await call('POST', `/workflows/${id}/cancel`)).status).toBe(202);
      const done = await waitForEnd(id, '60s');
      expect(done.status).toBe('CANCELED');
      const group = done.state.children[0];
      expect(group.children.map((c: any) => c.status)).toEqual(['cancelled', 'cancelled', 'completed']);
      expect(done.state.children[1].status).toBe('pending');
      expect(
        steps(await events(id))
          .map((s) => `${s.type}:${s.where}`)
          .sort(),
      ).toEqual([`add:${light}`, 'sleep:remote', 'sleep:remote']);
    });

    test('a request timeout ends the run TIMED_OUT', async () => {
      const done = await run(t('sleep', 60_000), { timeout: '2s' }, '60s');
      expect(done.status).toBe('TIMED_OUT');
    });
  });

  describe('chunks and batched maps', () => {
    const pairs = Array.from({ length: 25 }, (_, i) => [i, i]);

    test("chunks: Celery's add.chunks(items, 10) gives a list of per-chunk result lists", async () => {
      const done = await run({ chunks: { task: 'add', items: pairs, size: 10 } });
      expect(done.status).toBe('COMPLETED');
      expect(done.result).toEqual([
        Array.from({ length: 10 }, (_, i) => 2 * i),
        Array.from({ length: 10 }, (_, i) => 2 * (i + 10)),
        Array.from({ length: 5 }, (_, i) => 2 * (i + 20)),
      ]);
      // One batch activity per chunk, under the node's path and the chunk's number.
      const ran = steps(await events(done.workflowId));
      expect(ran.map((s) => `${s.where} ${s.type} ${s.path}`).sort()).toEqual([0, 1, 2].map((k) => `${light} canvas.batch canvas#${k}`));
      // The state counts items, not chunks.
      expect(done.state).toMatchObject({ kind: 'chunks', status: 'completed', counts: { total: 25, completed: 25, failed: 0, running: 0 } });
      expect(done.progress).toEqual({ completed: 25, known: 25 });
    });

    test('chunks with kwargs, in a chain: the next step receives the list of lists', async () => {
      const done = await run({ chain: [{ chunks: { task: 'divide', items: [[8], [4], [2]], size: 2, kwargs: { y: 2 } } }, t('noop')] });
      expect(done.result).toEqual([[4, 2], [1]]);
    });

    test('a failing chunk item fails the run, named by its index among all the items', async () => {
      const done = await run({
        chunks: {
          task: 'divide',
          items: [
            [1, 1],
            [2, 1],
            [3, 1],
            [4, 0],
            [5, 1],
          ],
          size: 2,
          maxConcurrency: 1,
        },
        id: 'split',
      });
      expect(done.status).toBe('FAILED');
      expect(done.failure).toEqual({ type: 'ZeroDivisionError', message: 'item 3: division by zero', node: { path: 'canvas', id: 'split', task: 'divide' } });
      // One at a time: the first chunk completed, the second failed, the third never started.
      expect(done.state).toMatchObject({ status: 'failed', counts: { total: 5, completed: 2, failed: 2, running: 0 } });
      expect(steps(await events(done.workflowId)).map((s) => s.path)).toEqual(['canvas#0', 'canvas#1']);
    });

    test('a map with batchSize returns the same flat list as without: items, starmap with kwargs, over the input', async () => {
      const items = Array.from({ length: 37 }, (_, i) => i);
      const plain = await run({ map: { task: 'mul', items, args: [3] } });
      const batched = await run({ map: { task: 'mul', items, args: [3], batchSize: 8 } });
      expect(plain.result).toEqual(items.map((i) => 3 * i));
      expect(batched.result).toEqual(plain.result);
      expect(batched.progress).toEqual({ completed: 37, known: 37 });
      expect(steps(await events(batched.workflowId)).map((s) => `${s.where} ${s.type}`)).toEqual(Array(5).fill(`${light} canvas.batch`));
      const starmap = await run({ map: { task: 'divide', items: [[8], [6], [4]], spread: true, kwargs: { y: 2 }, batchSize: 2 } });
      expect(starmap.result).toEqual([4, 3, 2]);
      const overInput = await run({ chain: [t('noop', [1, 2, 3, 4, 5]), { map: { task: 'add', args: [10], batchSize: 2 } }, t('xsum')] });
      expect(overInput.result).toBe(65);
      expect(overInput.progress).toEqual({ completed: 7, known: 7 });
    });

    test('a failing item of a batched map is named by its index in the whole map', async () => {
      const done = await run({
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
          maxConcurrency: 1,
        },
      });
      expect(done.status).toBe('FAILED');
      expect(done.failure).toEqual({ type: 'ZeroDivisionError', message: 'item 2: division by zero', node: { path: 'canvas', task: 'divide' } });
      expect(done.state.counts).toEqual({ total: 4, completed: 2, failed: 2, running: 0 });
    });

    // Remote only: a local activity's marker records no timeouts or retry policy.
    remoteOnly("a batch's timeouts are the task's times the items in it; its retry policy is the task's", async () => {
      const done = await run({ chunks: { task: 'add', items: pairs, size: 10, options: { startToCloseTimeout: '2s' } } });
      expect(done.status).toBe('COMPLETED');
      const batches = scheduled(await events(done.workflowId));
      expect(batches.map((a) => durationMs(a.startToCloseTimeout)).sort((a, b) => a! - b!)).toEqual([10_000, 20_000, 20_000]);
      for (const batch of batches) expect(batch.retryPolicy).toMatchObject({ maximumAttempts: 3, backoffCoefficient: 2 });
    });
  });

  describe('live state and streams', () => {
    test("GET /workflows/:id while running: statuses, progress, and a running sleep's heartbeat", async () => {
      // heartbeatTimeout 2s: the SDK sends heartbeats at most every 1.6 s.
      const id = await start({ canvas: { chain: [{ ...t('sleep', 8000), id: 'nap', options: { heartbeatTimeout: '2s' } }, t('add', 1)] } });
      const view = await waitFor(id, (v) => (v.state?.children?.[0]?.heartbeat?.progress ?? 0) > 0);
      expect(view.status).toBe('RUNNING');
      expect(view.progress).toEqual({ completed: 0, known: 2 });
      expect(view.state).toMatchObject({ path: 'canvas', kind: 'chain', status: 'running' });
      expect(view.state.children[0]).toMatchObject({
        id: 'nap',
        task: 'sleep',
        status: 'running',
        attempt: 1,
        heartbeat: { progress: expect.any(Number), message: expect.stringContaining('slept') },
      });
      expect(view.state.children[0].startedAt).toEqual(expect.any(String));
      expect(view.state.children[1]).toMatchObject({ status: 'pending', task: 'add' });
      const done = await waitForEnd(id);
      expect(done.result).toBe(8001);
      expect(done.progress).toEqual({ completed: 2, known: 2 });
      expect(done.state.children[1]).toMatchObject({ status: 'completed', result: 8001 });
    });

    test('a fan-out of more than 100 members shows counts instead of members', async () => {
      const done = await run({ map: { task: 'noop', items: Array.from({ length: 150 }, (_, i) => i) } });
      expect(done.result).toHaveLength(150);
      expect(done.state.counts).toEqual({ total: 150, completed: 150, failed: 0, running: 0 });
      expect(done.state.children).toBeUndefined();
      expect(done.progress).toEqual({ completed: 150, known: 150 });
    });

    test('GET /workflows/:id/events streams state events until an end event', async () => {
      const id = await start({ canvas: { chain: [t('sleep', 1500), t('add', 1)] } });
      const response = await fetch(`${apiUrl()}/workflows/${id}/events`, { signal: AbortSignal.timeout(60_000) });
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      const received: Array<{ event: string; data: any }> = [];
      let buffer = '';
      while (!received.some((e) => e.event === 'end')) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const field = (name: string) =>
            block
              .split('\n')
              .find((l) => l.startsWith(`${name}: `))
              ?.slice(name.length + 2);
          received.push({ event: field('event')!, data: JSON.parse(field('data')!) });
        }
      }
      await reader.cancel();
      const states = received.filter((e) => e.event === 'state');
      expect(states.length).toBeGreaterThanOrEqual(2);
      expect(states[0].data.status).toBe('RUNNING');
      expect(states[states.length - 1].data).toMatchObject({ status: 'COMPLETED', result: 1501 });
      expect(received[received.length - 1]).toEqual({ event: 'end', data: { status: 'COMPLETED' } });
    });
  });
});

describe('light steps inline keep their declared retries and timeouts', () => {
  // `local: true` forces flaky (not light, but free to run inline) into the orchestrator.
  const inline = (failTimes: number, options: Node) => ({ ...t('flaky', failTimes), options: { local: true, ...options } });

  test('retries with backoff inside the worker below the 10 s local retry threshold: one marker, the last attempt', async () => {
    const done = await run(inline(2, { retry: { maxAttempts: 3, initialInterval: '500ms', backoffCoefficient: 2, maxInterval: '5s' } }));
    expect(done).toMatchObject({ status: 'COMPLETED', result: 3 });
    const history = await events(done.workflowId);
    const ran = steps(history);
    expect(ran.map((s) => [s.where, s.type, s.path, s.attempt, s.backoffMs])).toEqual([['local', 'flaky', 'canvas', 3, undefined]]);
    expect(history.some((e) => e.timerStartedEventAttributes)).toBe(false);
    // Backoff 500 ms then 1 s before the third attempt.
    expect(ran[0].time - ms(history[0].eventTime)).toBeGreaterThanOrEqual(1400);
  });

  test('a backoff past the local retry threshold waits on a durable timer between attempts', async () => {
    const done = await run(inline(1, { retry: { maxAttempts: 2, initialInterval: '11s', maxInterval: '20s' } }));
    expect(done).toMatchObject({ status: 'COMPLETED', result: 2 });
    const history = await events(done.workflowId);
    expect(steps(history).map((s) => [s.where, s.attempt, s.backoffMs])).toEqual([
      ['local', 1, 11_000],
      ['local', 2, undefined],
    ]);
    const timers = history.filter((e) => e.timerStartedEventAttributes);
    expect(timers.map((e) => durationMs(e.timerStartedEventAttributes!.startToFireTimeout))).toEqual([11_000]);
  }, 60_000);

  test('nonRetryable fails at once, on the first attempt', async () => {
    const done = await run(inline(1, { retry: { nonRetryable: ['FlakyError'] } }));
    expect(done.failure).toMatchObject({ type: 'FlakyError', message: 'attempt 1 of 1 planned failures', node: { path: 'canvas', task: 'flaky' } });
    expect(steps(await events(done.workflowId)).map((s) => [s.where, s.attempt])).toEqual([['local', 1]]);
  });

  test('scheduleToCloseTimeout bounds all local attempts together', async () => {
    const started = Date.now();
    const done = await run(inline(100, { scheduleToCloseTimeout: '3s', retry: { maxAttempts: 100, initialInterval: '500ms', backoffCoefficient: 1 } }));
    expect(done.status).toBe('FAILED');
    expect(['TimeoutError', 'FlakyError']).toContain(done.failure.type);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(2000);
    expect(elapsed).toBeLessThan(30_000); // generous: only catches attempts that ignore the bound
    // Each retry waits on a durable timer (sdk-core would lose the bound during a backoff
    // inside the worker): a marker per attempt, all inline, far fewer than 100.
    const ran = steps(await events(done.workflowId));
    expect(ran.every((s) => s.where === 'local')).toBe(true);
    expect(ran.length).toBeGreaterThanOrEqual(2);
    expect(ran.length).toBeLessThan(20);
  });
});

describe('idempotent start', () => {
  const sleeper = { ...t('sleep', 30_000), options: { heartbeatTimeout: '2s' } };

  test('the same workflowId while open answers 200 with the same run; after it closes, a new run', async () => {
    const workflowId = uid('idem');
    const first = await call('POST', '/workflows', { canvas: sleeper, workflowId });
    expect(first.status).toBe(201);
    const second = await call('POST', '/workflows', { canvas: sleeper, workflowId });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ workflowId, runId: first.body.runId, existing: true });
    await call('POST', `/workflows/${workflowId}/terminate`, {});
    await waitForEnd(workflowId, '30s');
    const third = await call('POST', '/workflows', { canvas: t('add', 1, 1), workflowId });
    expect(third.status).toBe(201);
    expect(third.body.runId).not.toBe(first.body.runId);
  });

  test('the Idempotency-Key header works the same', async () => {
    const key = uid('key');
    const first = await call('POST', '/workflows', { canvas: sleeper }, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    expect(first.body.workflowId).toBe(key);
    const second = await call('POST', '/workflows', { canvas: sleeper }, { 'Idempotency-Key': key });
    expect(second.status).toBe(200);
    expect(second.body.runId).toBe(first.body.runId);
    const differs = await call('POST', '/workflows', { canvas: sleeper, workflowId: `${key}-other` }, { 'Idempotency-Key': key });
    expect(differs.status).toBe(400);
    await call('POST', `/workflows/${key}/terminate`, {});
  });

  test('exclusive: true answers 409 while a run of that id is open', async () => {
    const workflowId = uid('lock');
    expect((await call('POST', '/workflows', { canvas: sleeper, workflowId, exclusive: true })).status).toBe(201);
    const again = await call('POST', '/workflows', { canvas: sleeper, workflowId, exclusive: true });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toContain('application/problem+json');
    await call('POST', `/workflows/${workflowId}/terminate`, {});
  });
});

describe('validation and limits', () => {
  async function count(): Promise<number> {
    return (await client.workflow.count('WorkflowType="canvas"')).count;
  }

  test('several problems are reported at once, each with its JSON path', async () => {
    const before = await count();
    const reply = await call('POST', '/workflows', {
      canvas: {
        chain: [
          t('add', 'x', 1),
          { task: 'explode' },
          { group: [] },
          { ...t('sleep', 10), options: { delay: 'soon', queue: 'gpu', retry: { maxAttempts: 0 } } },
          { task: 'mul', args: [1, 2], colour: 'blue' },
          { map: { task: 'add', items: [1, 'two'], args: [1] } },
        ],
      },
      timeout: 'forever',
      surprise: true,
    });
    expect(reply.status).toBe(400);
    const paths = reply.body.errors.map((e: any) => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'surprise',
        'canvas.chain[0].args[0]',
        'canvas.chain[1].task',
        'canvas.chain[2].group',
        'canvas.chain[3].options.delay',
        'canvas.chain[3].options.queue',
        'canvas.chain[3].options.retry.maxAttempts',
        'canvas.chain[4].colour',
        'canvas.chain[4].args[1]',
        'canvas.chain[5].map.items[1]',
        'timeout',
      ]),
    );
    // chain[0] is the first step: it receives no input, so add('x', 1) is checked as written.
    expect(reply.body.errors.find((e: any) => e.path === 'canvas.chain[4].args[1]').message).toContain('already receives the previous result');
    expect(await count()).toBe(before);
  });

  test('a map without items needs an input', async () => {
    const reply = await call('POST', '/workflows', { canvas: { map: { task: 'add', args: [1] } } });
    expect(reply.status).toBe(400);
    expect(reply.body.errors[0].path).toBe('canvas.map.items');
  });

  test('too many nodes is a 400', async () => {
    const reply = await call('POST', '/workflows', { canvas: { group: Array.from({ length: 5001 }, (_, i) => t('add', i, 1)) } });
    expect(reply.status).toBe(400);
    expect(reply.body.errors).toContainEqual({ path: 'canvas', message: expect.stringMatching(/5002 nodes; the limit is 5000/) });
  });

  test('nesting deeper than the limit is a 400', async () => {
    let canvas: Node = t('add', 1, 1);
    for (let i = 0; i < 40; i++) canvas = { chain: [canvas] };
    const reply = await call('POST', '/workflows', { canvas });
    expect(reply.status).toBe(400);
    expect(reply.body.errors[0].message).toContain('nesting is deeper than 32');
  });

  test('a body over the byte limit is a 413', async () => {
    const items = Array.from({ length: 60_000 }, (_, i) => i * 1000);
    const reply = await call('POST', '/workflows', { canvas: { map: { task: 'noop', items } } });
    expect(reply.status).toBe(413);
  });

  test('malformed durations and bad nesting', async () => {
    const reply = await call('POST', '/workflows', {
      canvas: { chord: { header: [], body: t('xsum') }, options: { startToCloseTimeout: '5 minutes' } },
      defaults: { heartbeatTimeout: -1 },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.errors.map((e: any) => e.path)).toEqual(
      expect.arrayContaining(['canvas.chord.header', 'canvas.options.startToCloseTimeout', 'defaults.heartbeatTimeout']),
    );
    const twoKinds = await call('POST', '/workflows', { canvas: { task: 'add', chain: [] } });
    expect(twoKinds.body.errors[0]).toEqual({ path: 'canvas', message: 'has task and chain; a node is one kind' });
  });
});

describe('runs started without the API', () => {
  // Inside the workflow the check is structural (no zod in the sandbox): unknown tasks and
  // malformed nodes fail the run at once; argument types are the tasks' own to check.
  test('a malformed canvas started with the Temporal client fails at once with every structural problem', async () => {
    const handle = await client.workflow.start('canvas', {
      taskQueue: 'orchestra-workflows',
      workflowId: uid('invalid'),
      args: [{ canvas: { chain: [{ task: 'explode' }, { nonsense: true }, t('add', 'x')] } }],
    });
    const error: any = await handle.result().catch((e: unknown) => e);
    expect(error.cause).toMatchObject({ type: 'InvalidCanvasError', nonRetryable: true });
    for (const path of ['canvas.chain[0].task', 'canvas.chain[1]']) expect(error.cause.message).toContain(path);
    expect(error.cause.message).not.toContain('canvas.chain[2]');
    expect(steps(await events(handle.workflowId))).toHaveLength(0);
  });
});

describe('registry and docs', () => {
  test('GET /tasks lists the registry', async () => {
    const reply = await call('GET', '/tasks');
    expect(reply.status).toBe(200);
    const add = reply.body.tasks.find((task: any) => task.name === 'add');
    expect(add).toMatchObject({ pool: 'default', queue: 'orchestra-default', defaults: { startToCloseTimeout: '30s' } });
    expect(add.params).toEqual([
      { name: 'x', optional: false, schema: expect.objectContaining({ type: 'number' }) },
      { name: 'y', optional: false, schema: expect.objectContaining({ type: 'number' }) },
    ]);
    expect(reply.body.tasks.map((task: any) => task.name)).toEqual(expect.arrayContaining(['add', 'mul', 'xsum', 'divide', 'sleep', 'flaky', 'noop']));
  });

  test('GET /openapi.json has the CanvasRequest schema and the /workflows paths', async () => {
    const doc = (await call('GET', '/openapi.json')).body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.schemas.CanvasRequest).toBeDefined();
    expect(doc.components.schemas.CanvasRequest.properties).toHaveProperty('canvas');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/workflows', '/workflows/{id}', '/workflows/{id}/events', '/workflows/{id}/cancel', '/tasks']),
    );
    expect(doc.paths['/workflows'].post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/CanvasRequest');
  });

  test('GET /docs is HTML whose assets are served from the same host', async () => {
    const page = await call('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const assets = [...String(page.body).matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/(?!\/)/);
      expect((await call('GET', asset)).status).toBe(200);
    }
  });
});

describe('code workflows through the builders', () => {
  test('arithmeticDemo runs two canvases on the same interpreter, with their own paths', async () => {
    const workflowId = uid('arith');
    const handle = await client.workflow.start('arithmeticDemo', { taskQueue: 'orchestra-workflows', workflowId, args: [4, 5, 7] });
    expect(await handle.result()).toEqual({ product: 63, squares: [3969, 16] });
    // Code workflows take no request defaults: their light steps run inline, a chain's as one light run.
    const ran = steps(await events(workflowId));
    expect(ran.map((s) => `${s.where} ${s.path}`).sort()).toEqual([
      'local product.chain[0]..product.chain[1]',
      'local squares.map.items[0]',
      'local squares.map.items[1]',
    ]);
    const state = await handle.query<any>('state');
    expect(state.progress).toEqual({ completed: 4, known: 4 });
    expect(state.root.children.map((c: any) => [c.path, c.status])).toEqual([
      ['product', 'completed'],
      ['squares', 'completed'],
    ]);
    // The API reads code workflows like canvases.
    expect((await call('GET', `/workflows/${workflowId}`)).body).toMatchObject({
      status: 'COMPLETED',
      type: 'arithmeticDemo',
      progress: { completed: 4, known: 4 },
    });
  });
});

// The heavy fan-outs run once, as sent (light tasks inline); the results of large canvases in
// both modes are covered above at smaller sizes. Overlap in time can only be read from
// scheduled activities, so the concurrency checks use remote steps (sleep, or local: false).
describe('fan-out at scale', () => {
  test('maxConcurrency 3: never more than 3 activities at once', async () => {
    const done = await run({ map: { task: 'sleep', items: Array.from({ length: 12 }, () => 300), maxConcurrency: 3 } });
    expect(done.result).toHaveLength(12);
    expect(peakConcurrency(await events(done.workflowId))).toBe(3);
  });

  test('a delegated fan-out shares maxConcurrency across its children (remote steps, to see their overlap)', async () => {
    const done = await runIn('remote', { map: { task: 'noop', items: Array.from({ length: 540 }, (_, i) => i), maxConcurrency: 4 } }, {}, '5m');
    expect(done.status).toBe('COMPLETED');
    expect(done.result).toEqual(Array.from({ length: 540 }, (_, i) => i));
    const runs = await historySizes(done.workflowId);
    expect(runs).toHaveLength(3); // the parent and two chunks of 500 and 40
    for (const r of runs) expect(peakConcurrency(r.history)).toBeLessThanOrEqual(4);
    // The chunks run one after the other: limit 4 allows one child at a time.
    const [first, second] = runs.slice(1).map((r) => r.history);
    expect(ms(second[0].eventTime)).toBeGreaterThanOrEqual(ms(first[first.length - 1].eventTime));
    // Paths read as in the parent.
    expect(scheduled(second)[0].activityId).toBe('canvas.map.items[500]');
  }, 300_000);

  test('a failure in a delegated chunk names the item by its index in the whole fan-out', async () => {
    const items = Array.from({ length: 520 }, (_, i) => [i, i === 510 ? 0 : 1]);
    const done = await run({ chain: [t('add', 1, 1), { map: { task: 'divide', items, spread: true }, id: 'big' }] }, {}, '5m');
    expect(done.status).toBe('FAILED');
    expect(done.failure).toEqual({ type: 'ZeroDivisionError', message: 'division by zero', node: { path: 'canvas.chain[1].map.items[510]', task: 'divide' } });
    expect(done.state.children[1]).toMatchObject({ id: 'big', status: 'failed', counts: { total: 520, completed: 500, failed: 20 } });
  }, 300_000);

  test('cancelling a run cancels its child workflows and their running steps', async () => {
    const id = await start({ canvas: { map: { task: 'sleep', items: new Array(501).fill(60_000), maxConcurrency: 2, options: { heartbeatTimeout: '2s' } } } });
    const [child] = await (async () => {
      for (;;) {
        const ids = childIds(await events(id));
        if (ids.length) return ids;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    })();
    await waitFor(child, (v) => v.state?.counts?.running === 2);
    expect((await call('POST', `/workflows/${id}/cancel`)).status).toBe(202);
    expect((await waitForEnd(id, '60s')).status).toBe('CANCELED');
    const childRun = await waitForEnd(child, '60s');
    expect(childRun.status).toBe('CANCELED');
    // TRY_CANCEL: the child asks its running steps to stop and ends without waiting for them.
    const cancelRequests = (await events(child)).filter((e) => e.activityTaskCancelRequestedEventAttributes);
    expect(cancelRequests).toHaveLength(2);
  }, 300_000);

  test('past 2,500 activities in one run, further fan-outs go to a child workflow', async () => {
    const maps = Array.from({ length: 5 }, (_, k) => ({ map: { task: 'noop', items: new Array(500).fill(k) } }));
    const done = await run({ chain: [...maps, { group: [si('add', 1, 1), si('add', 2, 2)], id: 'late' }] }, {}, '5m');
    expect(done.result).toEqual([2, 4]);
    const runs = await historySizes(done.workflowId);
    expect(runs).toHaveLength(2);
    // Local activities count against the budget like remote ones.
    expect(steps(runs[0].history).filter((s) => s.where === 'local')).toHaveLength(2500);
    expect(
      steps(runs[1].history)
        .map((s) => s.path)
        .sort(),
    ).toEqual(['canvas.chain[5].group[0]', 'canvas.chain[5].group[1]']);
    console.log(`2,500 activities in one run: ${runs[0].events} events`);
    expect(runs[0].events).toBeLessThan(10_240); // Temporal's history warning
    // The group's members are listed in the parent's state, done by the child. (Answering
    // the query replays the whole history; ask Temporal directly, with its longer deadline.)
    const state = await client.workflow.getHandle(done.workflowId).query<any>('state');
    expect(state.root.children[5].children.map((c: any) => [c.status, c.result])).toEqual([
      ['completed', 2],
      ['completed', 4],
    ]);
    expect(state.progress).toEqual({ completed: 2502, known: 2502 });
  }, 600_000);

  test('a map over 10,000 items completes with no history over 20,000 events', async () => {
    const items = Array.from({ length: 10_000 }, (_, i) => i);
    const started = Date.now();
    const done = await run({ map: { task: 'noop', items } }, {}, '5m');
    const seconds = (Date.now() - started) / 1000;
    expect(done.status).toBe('COMPLETED');
    expect(done.result).toEqual(items);
    expect(done.progress).toEqual({ completed: 10_000, known: 10_000 });
    const runs = await historySizes(done.workflowId);
    const largest = Math.max(...runs.map((r) => r.events));
    console.log(`map of 10,000 noop: ${seconds.toFixed(1)} s, ${runs.length} runs, largest history ${largest} events`);
    expect(runs.length).toBe(21);
    expect(largest).toBeLessThan(20_000);
    // Every item ran once, inline: one local-activity marker each (no backoff rounds for noop).
    // (The concurrency bound is checked on remote steps in the delegated fan-out test above.)
    expect(runs.map((r) => steps(r.history).filter((s) => s.where === 'local').length).reduce((a, b) => a + b, 0)).toBe(10_000);
  }, 600_000);

  test('a group of 2,500 members completes through the API', async () => {
    const workflowId = uid('group-2500');
    const members = Array.from({ length: 2500 }, (_, i) => t('add', i, 1));
    const run = await runCanvas({ workflowId, canvas: { chain: [{ group: members }, t('xsum')] } }, '5m');
    expect(run.status).toBe('COMPLETED');
    expect(run.result).toBe((2500 * 2501) / 2);
    const runs = await historySizes(workflowId);
    expect(runs.length).toBe(6);
    expect(Math.max(...runs.map((r) => r.events))).toBeLessThan(20_000);
    expect(steps(runs[runs.length - 1].history).map((s) => s.path)).toContain('canvas.chain[0].group[2499]');
  }, 600_000);
});
