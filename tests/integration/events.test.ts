/**
 * Event triggers against the real servers (README, "Event triggers"): POST /triggers registers a
 * canvas for an event name in the key's tenant; POST /events/:name starts every matching one,
 * idempotent by its Event-Id (the same id answers the same runs and starts nothing new, even
 * after a crash between starts; another body is 422), and with deliverToWaiting resumes the
 * tenant's runs waiting for it (OrchestraWaitingFor), once per event id. Tenants never see or
 * start each other's; the built-in trigger (src/triggers/builtin.ts) fires for any tenant.
 */
import { connectDatabase, disconnectDatabase } from '../../src/db/mongo';
import { eventHash, pruneReceivedEvents, recordEvent, RECEIVED_EVENTS_COLLECTION } from '../../src/triggers/event-log';
import { collection } from '../../src/triggers/store';
import { eventRunId } from '../../src/triggers/run-ids';
import { verifySignature } from '../../src/webhooks/signing';
import { KeyedApps, type TestKey } from '../support/keyed-apps';
import { WebhookReceiver } from '../support/webhook-receiver';

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const KEYS = {
  acme: { secret: `acme-${run}-secret`, scopes: ['write'], tenant: `acme-${run}` },
  acmeReader: { secret: `acme-reader-${run}-secret`, scopes: ['read'], tenant: `acme-${run}` },
  globex: { secret: `globex-${run}-secret`, scopes: ['write'], tenant: `globex-${run}` },
} satisfies Record<string, TestKey>;
type Who = keyof typeof KEYS;

const apps = new KeyedApps(KEYS);
let base: string;

beforeAll(async () => {
  await connectDatabase(process.env.MONGODB_URI!);
  await apps.connect();
  base = await apps.start();
});

afterAll(async () => {
  await apps.close();
  await disconnectDatabase();
});

interface Reply {
  status: number;
  body: any;
}

/** A request as `who`, with extra headers (Event-Id). */
async function as(who: Who, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEYS[who].secret}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const post = (who: Who, name: string, body: unknown, eventId?: string) =>
  as(who, 'POST', `/events/${encodeURIComponent(name)}`, body, eventId === undefined ? {} : { 'Event-Id': eventId });

async function register(who: Who, trigger: Record<string, unknown>): Promise<Record<string, any>> {
  const reply = await as(who, 'POST', '/triggers', trigger);
  if (reply.status !== 201) throw new Error(`register: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** The run's end as its owner reads it. */
async function ended(who: Who, workflowId: string): Promise<any> {
  const reply = await as(who, 'GET', `/workflows/${encodeURIComponent(workflowId)}/result?timeout=60s`);
  if (reply.status !== 200) throw new Error(`no end: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** How many runs Temporal holds under this id (any status). */
async function runsUnder(workflowId: string): Promise<number> {
  let count = 0;
  for await (const _ of apps.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) count++;
  return count;
}

/** Waits until visibility shows the run waiting for `event` (OrchestraWaitingFor), bounded. */
async function waitingFor(workflowId: string, event: string): Promise<void> {
  const query = `WorkflowId = "${workflowId}" AND OrchestraWaitingFor = "${event}" AND ExecutionStatus = "Running"`;
  for (let tries = 0; tries < 120; tries++) {
    for await (const _ of apps.client.workflow.list({ query })) return;
    await sleep(250);
  }
  throw new Error(`${workflowId} never showed OrchestraWaitingFor=${event}`);
}

async function startRun(who: Who, canvas: unknown): Promise<string> {
  const reply = await as(who, 'POST', '/workflows', { canvas });
  if (reply.status !== 201) throw new Error(`start: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body.workflowId as string;
}

test('an event starts one run per matching trigger; the same Event-Id again answers the same runs and starts nothing', async () => {
  const event = `order.paid-${run}`;
  const paid = await register('acme', {
    id: `paid-${run}`,
    event,
    filter: { status: 'paid', 'order.country': { in: ['FR', 'DE'] } },
    canvas: { chain: [{ task: 'noop' }] },
    tags: ['billing'],
  });
  expect(paid).toMatchObject({ id: `paid-${run}`, event, builtin: false, createdBy: 'acme' });
  const every = await register('acme', { event, canvas: { task: 'noop', args: ['any order'], immutable: true } });
  expect(typeof every.id).toBe('string');

  const payload = { status: 'paid', order: { id: 42, country: 'FR' } };
  const first = await post('acme', event, { payload }, `evt-1-${run}`);
  expect(first.status).toBe(202);
  expect(first.body).toMatchObject({ eventId: `evt-1-${run}`, event, repeated: false, delivered: [] });
  const started = first.body.started as Array<{ triggerId: string; workflowId: string; runId: string }>;
  expect(started.map((s) => s.triggerId).sort()).toEqual([paid.id, every.id].sort());
  // Each run's id is derived from (tenant, event id, trigger id): the same on any API process.
  for (const s of started) expect(s.workflowId).toBe(eventRunId(KEYS.acme.tenant, `evt-1-${run}`, s.triggerId));

  // The payload is the canvas's input; the event is in the run's metadata, the trigger's tags on it.
  const byTrigger = new Map(started.map((s) => [s.triggerId, s]));
  const paidRun = await ended('acme', byTrigger.get(paid.id)!.workflowId);
  expect(paidRun).toMatchObject({ status: 'COMPLETED', result: payload, tags: ['billing'], tenant: KEYS.acme.tenant });
  expect(paidRun.metadata).toMatchObject({ event: { name: event, id: `evt-1-${run}`, trigger: paid.id } });
  expect(await ended('acme', byTrigger.get(every.id)!.workflowId)).toMatchObject({ status: 'COMPLETED', result: 'any order' });

  // Twice more, once after the runs completed: the same ids, nothing new.
  for (const attempt of [1, 2]) {
    const again = await post('acme', event, { payload: { order: { country: 'FR', id: 42 }, status: 'paid' } }, `evt-1-${run}`);
    expect([attempt, again.status]).toEqual([attempt, 200]);
    expect(again.body.repeated).toBe(true);
    expect(again.body.started.map((s: any) => [s.triggerId, s.workflowId, s.runId]).sort()).toEqual(
      started.map((s) => [s.triggerId, s.workflowId, s.runId]).sort(),
    );
  }
  for (const s of started) expect(await runsUnder(s.workflowId)).toBe(1);

  // The same id with another body: 422, and nothing starts.
  const other = await post('acme', event, { payload: { status: 'paid', order: { id: 43, country: 'FR' } } }, `evt-1-${run}`);
  expect(other.status).toBe(422);
  expect(other.body.errors).toEqual([expect.objectContaining({ path: 'header.Event-Id' })]);

  // Filters: a payload the filter refuses starts only the unfiltered trigger.
  for (const refused of [{ status: 'pending', order: { country: 'FR' } }, { status: 'paid', order: { country: 'US' } }, { status: 'paid' }]) {
    const reply = await post('acme', event, { payload: refused }, `evt-refused-${JSON.stringify(refused).length}-${run}`);
    expect(reply.status).toBe(202);
    expect(reply.body.started.map((s: any) => s.triggerId)).toEqual([every.id]);
  }
});

test('a repeat after a crash between starts starts what the first request planned, and only that', async () => {
  const event = `crash-${run}`;
  const trigger = await register('acme', { id: `crash-${run}`, event, canvas: { task: 'noop' } });
  // The first request recorded the event and died before starting anything.
  const eventId = `evt-crash-${run}`;
  const payload = { n: 1 };
  await recordEvent({
    tenant: KEYS.acme.tenant,
    eventId,
    name: event,
    hash: eventHash({ name: event, payload, deliverToWaiting: false }),
    starts: [{ triggerId: trigger.id, workflowId: eventRunId(KEYS.acme.tenant, eventId, trigger.id) }],
    deliverToWaiting: false,
  });
  // A trigger registered since is not part of that event.
  await register('acme', { id: `crash-later-${run}`, event, canvas: { task: 'noop' } });
  const retried = await post('acme', event, { payload }, eventId);
  expect(retried.status).toBe(200);
  expect(retried.body.started).toEqual([expect.objectContaining({ triggerId: trigger.id, workflowId: eventRunId(KEYS.acme.tenant, eventId, trigger.id) })]);
  expect(await ended('acme', retried.body.started[0].workflowId)).toMatchObject({ status: 'COMPLETED', result: payload });
});

test("tenants: another tenant's events never start or resume this tenant's runs, and its triggers are invisible", async () => {
  const event = `shared-${run}`;
  const trigger = await register('acme', { id: `shared-${run}`, event, canvas: { task: 'noop' } });
  const waiter = await startRun('acme', { wait: { event, timeout: '5m' } });
  await waitingFor(waiter, event);

  const foreign = await post('globex', event, { payload: 'from globex', deliverToWaiting: true }, `evt-shared-${run}`);
  expect(foreign.status).toBe(202);
  expect(foreign.body).toMatchObject({ started: [], delivered: [] });
  expect((await as('globex', 'GET', `/triggers/${trigger.id}`)).status).toBe(404);
  expect((await as('globex', 'DELETE', `/triggers/${trigger.id}`)).status).toBe(404);
  const listed = (await as('globex', 'GET', '/triggers')).body.triggers as Array<{ id: string; builtin: boolean }>;
  expect(listed.filter((t) => !t.builtin)).toEqual([]);
  // The same trigger id is free in another tenant, and an Event-Id is per tenant.
  const own = await register('globex', { id: `shared-${run}`, event, canvas: { task: 'noop', args: ['globex'], immutable: true } });
  const globexEvent = await post('globex', event, {}, `evt-shared-2-${run}`);
  expect(globexEvent.body.started).toEqual([expect.objectContaining({ triggerId: own.id })]);
  expect(await ended('globex', globexEvent.body.started[0].workflowId)).toMatchObject({ result: 'globex', tenant: KEYS.globex.tenant });
  // Acme's waiting run is still waiting, and acme's reader sees its trigger but may not post.
  expect((await as('acme', 'GET', `/workflows/${waiter}`)).body.status).toBe('RUNNING');
  expect((await as('acmeReader', 'GET', `/triggers/${trigger.id}`)).body).toMatchObject({ id: trigger.id, event });
  expect((await as('acmeReader', 'POST', `/events/${event}`, {})).status).toBe(403);
  expect((await as('acmeReader', 'POST', '/triggers', { event, canvas: { task: 'noop' } })).status).toBe(403);
  await as('acme', 'POST', `/workflows/${waiter}/cancel`);
  // Deleted, it starts nothing more; deleted twice is a 404.
  expect((await as('acme', 'DELETE', `/triggers/${trigger.id}`)).status).toBe(204);
  expect((await as('acme', 'DELETE', `/triggers/${trigger.id}`)).status).toBe(404);
  expect((await post('acme', event, {}, `evt-shared-3-${run}`)).body.started).toEqual([]);
});

test('deliverToWaiting resumes the waiting runs of the tenant, once per event id', async () => {
  const event = `approved-${run}`;
  const waiter = await startRun('acme', { chain: [{ wait: { event, timeout: '5m' } }, { task: 'noop' }] });
  const bystander = await startRun('acme', { wait: { event: `other-${run}`, timeout: '5m' } });
  await waitingFor(waiter, event);
  const reply = await post('acme', event, { payload: { approvedBy: 'ana' }, deliverToWaiting: true }, `evt-approve-${run}`);
  expect(reply.status).toBe(202);
  expect(reply.body).toMatchObject({ started: [], delivered: [{ workflowId: waiter }] });
  const view = await ended('acme', waiter);
  expect(view).toMatchObject({ status: 'COMPLETED', result: { approvedBy: 'ana' } });
  expect(view.state.children[0].receivedFrom).toMatchObject({ by: 'acme' });
  // The same event again answers the same delivery and signals nothing.
  const again = await post('acme', event, { payload: { approvedBy: 'ana' }, deliverToWaiting: true }, `evt-approve-${run}`);
  expect(again.body).toMatchObject({ repeated: true, delivered: [{ workflowId: waiter }] });
  const history = await apps.client.workflow.getHandle(waiter).fetchHistory();
  expect(history.events?.filter((e) => e.workflowExecutionSignaledEventAttributes).length).toBe(1);
  expect((await as('acme', 'GET', `/workflows/${bystander}`)).body.status).toBe('RUNNING');
  await as('acme', 'POST', `/workflows/${bystander}/cancel`);
});

test('a run keeps one event per event id: the same Event-Id sent twice feeds one wait node', async () => {
  const event = `twice-${run}`;
  const id = await startRun('acme', { chain: [{ wait: { event, timeout: '5m' } }, { wait: { event, timeout: '3s', default: 'no second event' } }] });
  const send = (payload: string, eventId: string) => as('acme', 'POST', `/workflows/${id}/events/${event}`, { payload }, { 'Event-Id': eventId });
  expect((await send('bad id', 'not an id!')).body.errors).toEqual([{ path: 'header.Event-Id', message: expect.any(String) }]);
  expect((await send('first', `evt-twice-${run}`)).status).toBe(202);
  expect((await send('first again', `evt-twice-${run}`)).status).toBe(202);
  expect(await ended('acme', id)).toMatchObject({ status: 'COMPLETED', result: 'no second event' });
});

test('400s name the path; nothing is registered or started', async () => {
  const event = `bad-${run}`;
  const cases: Array<[unknown, string]> = [
    [{ event, canvas: { chain: [{ task: 'noop' }, { task: 'nope' }] } }, 'canvas.chain[1].task'],
    [{ canvas: { task: 'noop' } }, 'event'],
    [{ event: 'no spaces', canvas: { task: 'noop' } }, 'event'],
    [{ event, canvas: { task: 'noop' }, filter: { 'a..b': 1 } }, 'filter["a..b"]'],
    [{ event, canvas: { task: 'noop' }, filter: { a: { gt: 1 } } }, 'filter["a"]'],
    [{ event, canvas: { task: 'noop' }, filter: { a: { in: [] } } }, 'filter["a"].in'],
    [{ event, canvas: { task: 'noop' }, workflowId: 'mine' }, 'workflowId'],
    [{ event, canvas: { task: 'noop' }, debounce: { key: 'k', period: '1s' } }, 'debounce'],
    [{ event, canvas: { task: 'noop' }, id: '-bad' }, 'id'],
    [{ event, canvas: { task: 'noop' }, metadata: { event: 1 } }, 'metadata.event'],
    // The payload is the first step's first argument: add(payload, 1, 2) is one too many.
    [{ event, canvas: { task: 'add', args: [1, 2] } }, 'canvas.args[1]'],
    // Internal tasks need admin.
    [{ event, canvas: { task: 'files.cleanupOrphans' } }, 'canvas.task'],
  ];
  for (const [body, path] of cases) {
    const reply = await as('acme', 'POST', '/triggers', body);
    expect([path, reply.status]).toEqual([path, 400]);
    expect(reply.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  }
  expect((await as('acme', 'GET', `/triggers?event=${event}`)).body.triggers.filter((t: any) => !t.builtin)).toEqual([]);

  expect((await as('acme', 'POST', '/events/bad%20name', {})).body.errors).toEqual([expect.objectContaining({ path: 'path.name' })]);
  expect((await post('acme', event, {}, 'no spaces allowed')).body.errors).toEqual([expect.objectContaining({ path: 'header.Event-Id' })]);
  expect((await post('acme', event, { payload: 'x'.repeat(70_000) })).body.errors).toEqual([expect.objectContaining({ path: 'payload' })]);
  expect((await post('acme', event, { payload: 1, deliverToWaiting: 'yes' })).body.errors).toEqual([expect.objectContaining({ path: 'deliverToWaiting' })]);
  expect((await post('acme', event, { payload: 1, extra: true })).body.errors).toEqual([expect.objectContaining({ path: 'extra' })]);

  // A taken id is a 409; so is a built-in's.
  await register('acme', { id: `taken-${run}`, event, canvas: { task: 'noop' } });
  expect((await as('acme', 'POST', '/triggers', { id: `taken-${run}`, event: `${event}-2`, canvas: { task: 'noop' } })).status).toBe(409);
  expect((await as('acme', 'POST', '/triggers', { id: 'cleanup-orphaned-files-now', event, canvas: { task: 'noop' } })).status).toBe(409);
});

test('a trigger declared in code: listed to every key, fired by any tenant, its runs the application’s', async () => {
  const listed = (await as('globex', 'GET', '/triggers?event=orchestra.files.cleanup')).body.triggers;
  expect(listed).toEqual([expect.objectContaining({ id: 'cleanup-orphaned-files-now', builtin: true, event: 'orchestra.files.cleanup' })]);
  expect((await as('acme', 'DELETE', '/triggers/cleanup-orphaned-files-now')).status).toBe(409);
  const reply = await post('globex', 'orchestra.files.cleanup', { payload: { reason: 'test' } }, `evt-cleanup-${run}`);
  expect(reply.status).toBe(202);
  expect(reply.body.started).toEqual([
    expect.objectContaining({
      triggerId: 'cleanup-orphaned-files-now',
      builtin: true,
      workflowId: eventRunId(KEYS.globex.tenant, `evt-cleanup-${run}`, 'cleanup-orphaned-files-now'),
    }),
  ]);
  const view = await ended('globex', reply.body.started[0].workflowId);
  expect(view).toMatchObject({ status: 'COMPLETED', tenant: 'orchestra', tags: ['builtin-trigger'] });
  // The application's run: readable by every key, not cancellable by one without admin.
  expect((await as('acme', 'GET', `/workflows/${reply.body.started[0].workflowId}`)).status).toBe(200);
});

test('a run a trigger started can be retried from its failed step, with its payload', async () => {
  const event = `retry-${run}`;
  await register('acme', {
    id: `retry-${run}`,
    event,
    canvas: { chain: [{ task: 'noop' }, { task: 'divide', args: [0], options: { retry: { maxAttempts: 1 } } }] },
  });
  const reply = await post('acme', event, { payload: 6 }, `evt-retry-${run}`);
  const failed = await ended('acme', reply.body.started[0].workflowId);
  expect(failed).toMatchObject({ status: 'FAILED', failure: { type: 'ZeroDivisionError' } });
  const retried = await as('acme', 'POST', `/workflows/${reply.body.started[0].workflowId}/retry`);
  expect(retried.status).toBe(201);
  expect(retried.body.reused).toBe(1);
  expect(await ended('acme', retried.body.workflowId)).toMatchObject({ status: 'FAILED', failure: { type: 'ZeroDivisionError' } });
});

test("a trigger's notify is checked when it is registered, and its runs' webhooks are signed with the registering key's secret", async () => {
  const receiver = new WebhookReceiver();
  await receiver.listen();
  try {
    const event = `notify.${run}`;
    const refused = await as('acme', 'POST', '/triggers', { event, canvas: { task: 'noop' }, notify: { url: 'http://10.0.0.9/hook' } });
    expect(refused.status).toBe(400);
    expect(refused.body.errors.map((e: { path: string }) => e.path)).toEqual(['notify.url']);

    await register('acme', { id: `notify-${run}`, event, canvas: { task: 'noop' }, notify: { url: receiver.url } });
    const posted = await post('acme', event, { payload: { n: 1 } }, `notify-${run}`);
    const [{ workflowId }] = posted.body.started;
    expect((await ended('acme', workflowId)).status).toBe('COMPLETED');
    const secret = (await as('acme', 'GET', '/webhooks/signing-secret')).body.secret;
    const [delivery] = receiver.for(workflowId);
    expect(JSON.parse(delivery.body)).toMatchObject({ event: 'run.completed', workflowId });
    expect(verifySignature(secret, String(delivery.headers['orchestra-signature']), delivery.body)).toBe(true);
  } finally {
    await receiver.close();
  }
});

test('event ids are remembered for the retention, then forgotten by the daily prune: a repeat is then a new event', async () => {
  const event = `prune.${run}`;
  await register('acme', { id: `prune-${run}`, event, canvas: { task: 'noop' } });
  const old = `old-${run}`;
  const recent = `recent-${run}`;
  expect((await post('acme', event, { payload: 1 }, old)).status).toBe(202);
  expect((await post('acme', event, { payload: 1 }, recent)).status).toBe(202);
  // The first one was received eight days ago.
  const records = collection<{ _id: string; receivedAt: string }>(RECEIVED_EVENTS_COLLECTION);
  await records.updateOne({ _id: `${KEYS.acme.tenant}/${old}` }, { $set: { receivedAt: new Date(Date.now() - 8 * 86_400_000).toISOString() } });

  const { deleted } = await pruneReceivedEvents();
  expect(deleted).toBeGreaterThanOrEqual(1);
  expect(await records.findOne({ _id: `${KEYS.acme.tenant}/${old}` })).toBeNull();
  expect(await records.findOne({ _id: `${KEYS.acme.tenant}/${recent}` })).not.toBeNull();
  expect((await post('acme', event, { payload: 1 }, recent)).body.repeated).toBe(true);
  // Forgotten: a new event, whose run (the same derived id) Temporal still holds, so nothing runs twice.
  const again = await post('acme', event, { payload: 1 }, old);
  expect(again.status).toBe(202);
  expect(again.body.repeated).toBe(false);
  expect(again.body.started).toEqual([expect.objectContaining({ existing: true })]);
});
