/**
 * Issue 14, items 1 and 2, against the real dev server, pools and API: wait nodes fed by
 * POST /workflows/:id/events/:name (before and after the node is reached, timeout with
 * and without a default, the waiting state), and POST /workflows/:id/retry, whose new run
 * does not run the steps that completed (read from its history: no activity and no
 * local-activity marker for them).
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { call, temporalClient, waitFor, waitForEnd } from '../support/http';

type Event = temporal.api.history.v1.IHistoryEvent;
type Node = Record<string, unknown>;

const t = (name: string, ...args: unknown[]): Node => ({ task: name, args });
const wait = (event: string, timeout: string, extra: Node = {}): Node => ({ wait: { event, timeout, ...extra } });
const uid = (prefix: string) => `${prefix}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
const path = (id: string) => `/workflows/${encodeURIComponent(id)}`;

let client: Client;
beforeAll(async () => {
  client = await temporalClient();
});
afterAll(async () => {
  await client.connection.close();
});

async function start(body: Node): Promise<string> {
  const started = await call('POST', '/workflows', body);
  expect(started.status).toBe(201);
  return started.body.workflowId;
}

const send = (workflowId: string, name: string, body: unknown = {}) => call('POST', `${path(workflowId)}/events/${name}`, body);

/** The node paths of every step the run itself executed: remote activities and local-activity markers. */
async function executedPaths(workflowId: string): Promise<string[]> {
  const events: Event[] = (await client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
  const paths: string[] = [];
  for (const e of events) {
    if (e.activityTaskScheduledEventAttributes) paths.push(e.activityTaskScheduledEventAttributes.activityId!);
    if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') {
      paths.push(defaultPayloadConverter.fromPayload(e.userMetadata!.summary as Payload) as string);
    }
  }
  return paths;
}

function findNode(root: any, nodePath: string): any {
  if (root.path === nodePath) return root;
  for (const child of root.children ?? []) {
    const found = findNode(child, nodePath);
    if (found) return found;
  }
  return undefined;
}

describe('wait for an event', () => {
  test('a wait in the middle of a chain: the state says what it waits for, the payload flows on', async () => {
    const id = await start({ canvas: { chain: [t('add', 2, 3), wait('approved', '1m'), t('add', 10)] } });
    const view = await waitFor(id, (v) => findNode(v.state, 'canvas.chain[1]')?.waitingFor !== undefined);
    const node = findNode(view.state, 'canvas.chain[1]');
    expect(node).toMatchObject({ kind: 'wait', event: 'approved', status: 'running', waitingFor: { event: 'approved' } });
    // until is about a minute after now (bound generous: only a wrong unit would miss it).
    const until = Date.parse(node.waitingFor.until);
    expect(until).toBeGreaterThan(Date.now() + 20_000);
    expect(until).toBeLessThan(Date.now() + 120_000);
    expect(findNode(view.state, 'canvas.chain[0]')).toMatchObject({ status: 'completed', result: 5 });

    const sent = await send(id, 'approved', { payload: 32 });
    expect(sent.status).toBe(202);
    const end = await waitForEnd(id);
    expect(end.status).toBe('COMPLETED');
    // The payload replaced the previous result: add(32, 10).
    expect(end.result).toBe(42);
    expect(findNode(end.state, 'canvas.chain[1]')).toMatchObject({ status: 'completed', result: 32 });
    expect(findNode(end.state, 'canvas.chain[1]').waitingFor).toBeUndefined();
  });

  test('an event sent before its node is reached is kept and used when reached', async () => {
    const id = await start({ canvas: { chain: [t('sleep', 1500), wait('go', '1m'), t('noop')] } });
    expect((await send(id, 'go', { payload: { ok: true, by: 'early' } })).status).toBe(202);
    // Another name does not satisfy the node.
    expect((await send(id, 'other', { payload: 1 })).status).toBe(202);
    const end = await waitForEnd(id);
    expect(end.status).toBe('COMPLETED');
    expect(end.result).toEqual({ ok: true, by: 'early' });
  });

  test('two waits for one name take one event each, in order', async () => {
    const id = await start({ canvas: { chain: [wait('step', '1m'), wait('step', '1m'), t('noop')] } });
    expect((await send(id, 'step', { payload: 'first' })).status).toBe(202);
    expect((await send(id, 'step', { payload: 'second' })).status).toBe(202);
    const end = await waitForEnd(id);
    expect(findNode(end.state, 'canvas.chain[0]').result).toBe('first');
    expect(end.result).toBe('second');
  });

  test('no event by the timeout: EventTimeoutError, naming the node', async () => {
    const end = await waitForEnd(await start({ canvas: { chain: [t('add', 1, 1), { ...wait('never', '1s'), id: 'approval' }, t('mul', 2)] } }));
    expect(end.status).toBe('FAILED');
    expect(end.failure).toMatchObject({ type: 'EventTimeoutError', node: { path: 'canvas.chain[1]', id: 'approval' } });
    expect(findNode(end.state, 'canvas.chain[1]')).toMatchObject({ status: 'failed', error: { type: 'EventTimeoutError' } });
    expect(findNode(end.state, 'canvas.chain[2]').status).toBe('pending');
  });

  test('no event by the timeout with a default: the default is the result', async () => {
    const end = await waitForEnd(await start({ canvas: { chain: [wait('never', '1s', { default: 7 }), t('mul', 6)] } }));
    expect(end.status).toBe('COMPLETED');
    expect(end.result).toBe(42);
  });

  test('a null payload (or none) is the result null', async () => {
    const id = await start({ canvas: wait('ping', '1m') });
    expect((await send(id, 'ping')).status).toBe(202);
    expect((await waitForEnd(id)).result).toBeNull();
  });

  test('404 for an unknown run, 409 for an ended one, 400 with paths for a bad name or body', async () => {
    expect((await send(uid('no-such-run'), 'approved', { payload: 1 })).status).toBe(404);
    const ended = await start({ canvas: t('add', 1, 1) });
    await waitForEnd(ended);
    expect((await send(ended, 'approved', { payload: 1 })).status).toBe(409);

    const running = await start({ canvas: wait('x', '30s', { default: null }) });
    const badName = await send(running, 'not%20ok', { payload: 1 });
    expect(badName.status).toBe(400);
    expect(badName.body.errors).toEqual([expect.objectContaining({ path: 'path.name' })]);
    const badBody = await send(running, 'x', { payload: 1, extra: true });
    expect(badBody.status).toBe(400);
    expect(badBody.body.errors).toEqual([expect.objectContaining({ path: 'extra' })]);
    expect((await call('POST', `${path(running)}/cancel`)).status).toBe(202);
  });

  test('a wait node is validated before anything starts', async () => {
    const refused = await call('POST', '/workflows', {
      canvas: { chain: [t('add', 1, 1), { wait: { event: 'bad name', timeout: 'soon' } }, { wait: { event: 'ok' } }] },
    });
    expect(refused.status).toBe(400);
    const paths = refused.body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['canvas.chain[1].wait.event', 'canvas.chain[1].wait.timeout', 'canvas.chain[2].wait.timeout']));
  });

  test('a wait inside a group waits in parallel with its siblings', async () => {
    const id = await start({ canvas: { group: [wait('a', '1m'), wait('b', '1m'), t('add', 1, 2)] } });
    await waitFor(id, (v) => findNode(v.state, 'canvas.group[1]')?.waitingFor !== undefined);
    await send(id, 'b', { payload: 'B' });
    await send(id, 'a', { payload: 'A' });
    expect((await waitForEnd(id)).result).toEqual(['A', 'B', 3]);
  });
});

describe('retry from the failed step', () => {
  test('a failed chain: the retry reuses the completed steps, runs only the rest, and the runs link each other', async () => {
    // flaky(1) with one attempt fails every time: the retry fails at the same step, and shows which steps ran.
    const canvas = { chain: [t('add', 4, 5), t('mul', 2), { task: 'flaky', args: [1], immutable: true, options: { retry: { maxAttempts: 1 } } }, t('add', 1)] };
    const first = await start({ canvas });
    const failed = await waitForEnd(first);
    expect(failed.status).toBe('FAILED');
    expect(failed.failure).toMatchObject({ type: 'FlakyError', node: { path: 'canvas.chain[2]' } });
    // The two light steps ran as one light run; each step's result is still its own (reused: 2 below).
    expect(await executedPaths(first)).toEqual(['canvas.chain[0]..canvas.chain[1]', 'canvas.chain[2]']);

    const retried = await call('POST', `${path(first)}/retry`);
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({ workflowId: `${first}-retry-1`, reused: 2, retryOf: { workflowId: first, runId: failed.runId } });
    const second = retried.body.workflowId;
    const end = await waitForEnd(second);
    expect(end.status).toBe('FAILED');
    expect(end.failure.node.path).toBe('canvas.chain[2]');
    // Only the failed step ran again: no activity and no marker for the reused ones.
    expect(await executedPaths(second)).toEqual(['canvas.chain[2]']);
    expect(findNode(end.state, 'canvas.chain[1]')).toMatchObject({ status: 'completed', result: 18, reused: true });
    expect(end.retryOf).toEqual({ workflowId: first, runId: failed.runId });
    expect((await call('GET', path(first))).body.retriedBy).toEqual({ workflowId: second, runId: end.runId });

    // The same run again: 409 naming its retry. The retry itself can be retried (retry-2).
    const again = await call('POST', `${path(first)}/retry`);
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain(second);
    const third = await call('POST', `${path(second)}/retry`);
    expect(third.status).toBe(201);
    expect(third.body).toMatchObject({ workflowId: `${first}-retry-2`, reused: 2 });
    await waitForEnd(third.body.workflowId);
    expect(await executedPaths(third.body.workflowId)).toEqual(['canvas.chain[2]']);
  });

  test('a run that timed out waiting for an event: the retry waits again, and completes when the event comes', async () => {
    const first = await start({ canvas: { chain: [t('add', 1, 2), { group: [t('mul', 2), t('mul', 3)] }, wait('approved', '1s'), t('add', 100)] } });
    expect((await waitForEnd(first)).failure.type).toBe('EventTimeoutError');
    const retried = await call('POST', `${path(first)}/retry`);
    expect(retried.status).toBe(201);
    expect(retried.body.reused).toBe(3);
    const second = retried.body.workflowId;
    // The retry's wait has its own timeout (1s): send at once.
    expect((await send(second, 'approved', { payload: 5 })).status).toBe(202);
    const end = await waitForEnd(second);
    expect(end.status).toBe('COMPLETED');
    expect(end.result).toBe(105);
    expect(await executedPaths(second)).toEqual(['canvas.chain[3]']);
  });

  test('events the failed run received are carried into the retry', async () => {
    // The event arrives, then the step before its node fails: the retry's node still finds it.
    const first = await start({
      canvas: { chain: [t('sleep', 1000), { task: 'flaky', args: [1], immutable: true, options: { retry: { maxAttempts: 1 } } }, wait('late', '1m')] },
    });
    expect((await send(first, 'late', { payload: 'kept' })).status).toBe(202);
    expect((await waitForEnd(first)).status).toBe('FAILED');
    const retried = await call('POST', `${path(first)}/retry`);
    expect(retried.body.reused).toBe(1);
    const end = await waitForEnd(retried.body.workflowId);
    // flaky fails again (attempt 1 of 1), so the wait is not reached; the carried event is in its request.
    expect(end.status).toBe('FAILED');
    const state = await client.workflow.getHandle(retried.body.workflowId).query<any>('retryState');
    expect(state.resume.events).toEqual([{ name: 'late', payload: 'kept', sentBy: 'development mode', sentAt: expect.any(String) }]);
  });

  test('a cancelled run can be retried', async () => {
    const first = await start({ canvas: { chain: [t('add', 1, 1), wait('never', '10m'), t('mul', 3)] } });
    await waitFor(first, (v) => findNode(v.state, 'canvas.chain[1]')?.waitingFor !== undefined);
    expect((await call('POST', `${path(first)}/cancel`)).status).toBe(202);
    expect((await waitForEnd(first)).status).toBe('CANCELED');
    const retried = await call('POST', `${path(first)}/retry`);
    expect(retried.status).toBe(201);
    expect(retried.body.reused).toBe(1);
    await send(retried.body.workflowId, 'never', { payload: 4 });
    expect((await waitForEnd(retried.body.workflowId)).result).toBe(12);
  });

  test('409 for a completed or running run, 404 for an unknown one', async () => {
    const done = await start({ canvas: t('add', 1, 1) });
    await waitForEnd(done);
    const completed = await call('POST', `${path(done)}/retry`);
    expect(completed.status).toBe(409);
    expect(completed.body.detail).toContain('COMPLETED');
    const running = await start({ canvas: wait('x', '1m', { default: 0 }) });
    expect((await call('POST', `${path(running)}/retry`)).status).toBe(409);
    await call('POST', `${path(running)}/cancel`);
    expect((await call('POST', `${path(uid('no-such-run'))}/retry`)).status).toBe(404);
  });
});
