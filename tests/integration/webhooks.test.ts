/**
 * Completion webhooks against the real servers and a receiver on this machine: one signed
 * POST per terminal state the request names, with an Idempotency-Key; retried with backoff
 * on 5xx, not on other 4xx; the outcome on the run's state; refused hosts are a 400 at
 * `notify.url` and nothing starts; and a kill -9 of the orchestrator pool while the
 * receiver holds the POST still delivers exactly once to a receiver that honours the key.
 */
import { verifySignature } from '../../src/webhooks/signing';
import { call, control, waitFor, waitForEnd } from '../support/http';
import { WebhookReceiver } from '../support/webhook-receiver';

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const SECRET = 'a-receivers-shared-secret-of-some-length';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const receiver = new WebhookReceiver();

beforeAll(async () => {
  await receiver.listen();
});

afterAll(async () => {
  await receiver.close();
});

afterEach(() => {
  receiver.answer = () => 200;
});

async function start(body: Record<string, unknown>): Promise<{ workflowId: string; runId: string }> {
  const reply = await call('POST', '/workflows', body);
  if (reply.status !== 201) throw new Error(`start: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** The run's state once its webhook has an outcome (the run closes right after). */
async function notificationOf(workflowId: string): Promise<any> {
  const view = await waitFor(workflowId, (v) => v.status !== 'RUNNING' && ['delivered', 'failed'].includes(v.state?.notification?.status), 60_000);
  return view.state.notification;
}

test('a completed run is POSTed once, signed, with its result and an Idempotency-Key', async () => {
  const { workflowId, runId } = await start({
    canvas: {
      chain: [
        { task: 'add', args: [2, 3] },
        { task: 'mul', args: [4] },
      ],
    },
    notify: { url: `${receiver.url}/hooks/a`, secret: SECRET },
  });
  expect((await waitForEnd(workflowId)).result).toBe(20);
  const notification = await notificationOf(workflowId);
  expect(notification).toMatchObject({
    status: 'delivered',
    responseStatus: 200,
    attempts: 1,
    event: 'run.completed',
    deliveryId: `${workflowId}/${runId}/completed`,
  });

  await sleep(500);
  const posts = receiver.for(workflowId);
  expect(posts).toHaveLength(1);
  const [post] = posts;
  expect(post.key).toBe(`${workflowId}/${runId}/completed`);
  expect(post.headers['content-type']).toBe('application/json');
  expect(post.headers['orchestra-event']).toBe('run.completed');
  expect(verifySignature(SECRET, String(post.headers['orchestra-signature']), post.body)).toBe(true);
  expect(verifySignature('another-secret-entirely-0000', String(post.headers['orchestra-signature']), post.body)).toBe(false);
  expect(JSON.parse(post.body)).toMatchObject({ event: 'run.completed', workflowId, runId, status: 'completed', result: 20, deliveryId: post.key });
});

test('only the states `on` names are sent: a failure with its cause, a cancel, and nothing for an unnamed state', async () => {
  const on = ['failed', 'canceled'];
  const failed = await start({ canvas: { task: 'divide', args: [1, 0] }, notify: { url: receiver.url, on, secret: SECRET } });
  const canceled = await start({ canvas: { task: 'sleep', args: [60] }, notify: { url: receiver.url, on, secret: SECRET } });
  const completed = await start({ canvas: { task: 'add', args: [1, 1] }, notify: { url: receiver.url, on, secret: SECRET } });
  await waitFor(canceled.workflowId, (v) => v.state?.status === 'running');
  expect((await call('POST', `/workflows/${canceled.workflowId}/cancel`)).status).toBe(202);

  expect(await notificationOf(failed.workflowId)).toMatchObject({ status: 'delivered', event: 'run.failed' });
  expect(JSON.parse(receiver.for(failed.workflowId)[0].body)).toMatchObject({ status: 'failed', failure: { type: 'ZeroDivisionError' } });
  expect(await notificationOf(canceled.workflowId)).toMatchObject({ status: 'delivered', event: 'run.canceled' });
  expect((await waitForEnd(canceled.workflowId)).status).toBe('CANCELED');

  expect((await waitForEnd(completed.workflowId)).status).toBe('COMPLETED');
  expect((await call('GET', `/workflows/${completed.workflowId}`)).body.state.notification).toBeUndefined();
  await sleep(500);
  expect(receiver.for(failed.workflowId)).toHaveLength(1);
  expect(receiver.for(canceled.workflowId)).toHaveLength(1);
  expect(receiver.for(completed.workflowId)).toHaveLength(0);
});

test("without a secret, the starting key's signing secret signs (GET /webhooks/signing-secret)", async () => {
  const secret = await call('GET', '/webhooks/signing-secret');
  expect(secret.status).toBe(200);
  expect(secret.body).toMatchObject({ keyId: 'development', header: 'Orchestra-Signature' });
  const { workflowId } = await start({ canvas: { task: 'add', args: [1, 2] }, notify: { url: receiver.url } });
  expect(await notificationOf(workflowId)).toMatchObject({ status: 'delivered' });
  const [post] = receiver.for(workflowId);
  expect(verifySignature(secret.body.secret, String(post.headers['orchestra-signature']), post.body)).toBe(true);
});

test('a 5xx is retried with backoff under one Idempotency-Key; another 4xx fails the delivery at once', async () => {
  receiver.answer = (_request, copies) => (copies > 2 ? 200 : 503);
  const flaky = await start({ canvas: { task: 'add', args: [1, 2] }, notify: { url: receiver.url, secret: SECRET } });
  expect(await notificationOf(flaky.workflowId)).toMatchObject({ status: 'delivered', attempts: 3, responseStatus: 200 });
  const posts = receiver.for(flaky.workflowId);
  expect(posts).toHaveLength(3);
  expect(new Set(posts.map((p) => p.key)).size).toBe(1);
  expect(new Set(posts.map((p) => p.body)).size).toBe(1);
  expect(posts.map((p) => p.headers['orchestra-attempt'])).toEqual(['1', '2', '3']);

  receiver.answer = () => 410;
  const gone = await start({ canvas: { task: 'add', args: [1, 2] }, notify: { url: receiver.url, secret: SECRET } });
  const failed = await notificationOf(gone.workflowId);
  expect(failed).toMatchObject({ status: 'failed' });
  expect(failed.error).toContain('410');
  // The run's own outcome is its canvas's: a refused webhook does not fail it.
  expect((await waitForEnd(gone.workflowId)).status).toBe('COMPLETED');
  expect(receiver.for(gone.workflowId)).toHaveLength(1);
});

test('refused URLs and bad fields are 400s at their paths, and nothing starts', async () => {
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    // The test stack lists 127.0.0.1 only (WEBHOOK_ALLOWED_HOSTS); unlisted private ranges are tests/unit/webhook-url-policy.test.ts's.
    [{ url: 'http://10.0.0.8/hook' }, 'notify.url', /WEBHOOK_ALLOWED_HOSTS/],
    [{ url: 'http://169.254.169.254/latest/meta-data' }, 'notify.url', /WEBHOOK_ALLOWED_HOSTS/],
    [{ url: 'http://[::1]:9/x' }, 'notify.url', /WEBHOOK_ALLOWED_HOSTS/],
    [{ url: 'http://localhost:9/x' }, 'notify.url', /WEBHOOK_ALLOWED_HOSTS/],
    [{ url: 'ftp://127.0.0.1/x' }, 'notify.url', /http/],
    [{ url: 'http://user:pw@127.0.0.1/x' }, 'notify.url', /credentials/],
    [{ url: 'not a url' }, 'notify.url', /absolute/],
    [{ url: receiver.url, secret: 'short' }, 'notify.secret', /at least 16/],
    [{ url: receiver.url, on: ['done'] }, 'notify.on[0]', /./],
    [{ url: receiver.url, on: [] }, 'notify.on', /at least one/],
    [{ url: receiver.url, extra: 1 }, 'notify.extra', /./],
  ];
  for (const [index, [notify, path, message]] of cases.entries()) {
    const workflowId = `refused-${run}-${index}`;
    const reply = await call('POST', '/workflows', { workflowId, canvas: { task: 'add', args: [1, 2] }, notify });
    expect({ notify, status: reply.status }).toEqual({ notify, status: 400 });
    const issue = reply.body.errors.find((e: { path: string }) => e.path === path);
    expect({ notify, issue: issue?.message }).toEqual({ notify, issue: expect.stringMatching(message) });
    expect((await call('GET', `/workflows/${workflowId}`)).status).toBe(404);
  }
  // A batch checks every item's webhook before anything starts.
  const batch = await call('POST', '/workflows/batch', {
    canvases: [
      { workflowId: `refused-${run}-batch-0`, canvas: { task: 'add', args: [1, 2] }, notify: { url: receiver.url } },
      { workflowId: `refused-${run}-batch-1`, canvas: { task: 'add', args: [1, 2] }, notify: { url: 'http://192.168.1.1/' } },
    ],
  });
  expect(batch.status).toBe(400);
  expect(batch.body.errors.map((e: { path: string }) => e.path)).toEqual(['canvases[1].notify.url']);
  expect((await call('GET', `/workflows/refused-${run}-batch-0`)).status).toBe(404);
});

test('a kill -9 of the orchestrator pool mid-delivery still delivers exactly once to a receiver honouring the key', async () => {
  let held = false;
  // The first POST is held open (the sender waits for an answer that never comes); later copies are answered.
  receiver.answer = (_request, copies) => {
    if (copies === 1) {
      held = true;
      return undefined;
    }
    return 200;
  };
  const { workflowId, runId } = await start({ canvas: { task: 'add', args: [20, 22] }, notify: { url: receiver.url, secret: SECRET } });
  for (let waited = 0; !held; waited += 50) {
    if (waited > 30_000) throw new Error('the webhook never arrived');
    await sleep(50);
  }
  await control('kill', 'worker-orchestrator', 'SIGKILL');

  expect((await waitForEnd(workflowId, '120s')).result).toBe(42);
  const notification = await notificationOf(workflowId);
  expect(notification).toMatchObject({ status: 'delivered', responseStatus: 200 });
  expect(notification.attempts).toBeGreaterThanOrEqual(2);

  const posts = receiver.for(workflowId);
  expect(posts.length).toBeGreaterThanOrEqual(2);
  expect(new Set(posts.map((p) => p.key))).toEqual(new Set([`${workflowId}/${runId}/completed`]));
  expect(new Set(posts.map((p) => p.body)).size).toBe(1);
  for (const post of posts) expect(verifySignature(SECRET, String(post.headers['orchestra-signature']), post.body)).toBe(true);
  expect([...receiver.processed.keys()].filter((key) => key.startsWith(`${workflowId}/`))).toHaveLength(1);
}, 180_000);
