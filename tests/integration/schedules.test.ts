/**
 * Schedules end to end, against the real dev server and worker pools: every kind of spec
 * read back as next run times, trigger, pause, backfill, overlap policies, changes, the
 * built-in declarations and their sync, the CLI, and invalid input. Every schedule a test
 * creates is deleted at the end.
 */
import type { Client } from '@temporalio/client';
import { execFileSync } from 'node:child_process';
import { loadConfig } from '../../src/config';
import { provision } from '../../src/devservices/processes';
import { builtinSchedules } from '../../src/schedules/builtin';
import { definitionHash, type ScheduleDefinition } from '../../src/schedules/definition';
import { syncSchedules, type SyncResult } from '../../src/schedules/sync';
import { call, temporalClient } from '../support/http';

const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const created = new Set<string>();
let client: Client;

/** A schedule id unique to this run, deleted after the suite. */
const scheduleId = (name: string) => {
  const id = `t-${name}-${run}`;
  created.add(id);
  return id;
};

/** Fires next on January 1st: the tests' own triggers and backfills are the only runs. */
const YEARLY = { cron: ['0 0 1 1 *'] };
const quickCanvas = {
  canvas: {
    chain: [
      { task: 'add', args: [2, 3] },
      { task: 'mul', args: [4] },
    ],
  },
};

async function create(body: Record<string, unknown>): Promise<any> {
  const reply = await call('POST', '/schedules', body);
  if (reply.status !== 201) throw new Error(`create failed: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

async function get(id: string): Promise<any> {
  const reply = await call('GET', `/schedules/${id}`);
  if (reply.status !== 200) throw new Error(`GET /schedules/${id}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** Polls GET /schedules/:id until `predicate` holds (bounded); answers the last view. */
async function waitForSchedule(id: string, predicate: (view: any) => boolean, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await get(id);
    if (predicate(view)) return view;
    if (Date.now() > deadline) throw new Error(`schedule ${id}: condition not met within ${timeoutMs} ms: ${JSON.stringify(view).slice(0, 3000)}`);
    await sleep(500);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const allEnded = (view: any) => view.runningWorkflowIds.length === 0 && view.recentActions.every((a: any) => a.status !== 'RUNNING');

/** Wall-clock parts of an instant in a time zone: {weekday: 'Mon', hour: '07', minute: '00', second: '00'}. */
function local(iso: string, timeZone: string): Record<string, string> {
  const format = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  return Object.fromEntries(format.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
}

function increasing(times: string[]): boolean {
  return times.every((t, i) => i === 0 || Date.parse(t) > Date.parse(times[i - 1]));
}

beforeAll(async () => {
  client = await temporalClient();
});

afterAll(async () => {
  for (const id of created) await call('DELETE', `/schedules/${id}`);
  await client.connection.close();
});

describe('next run times read back from Temporal match the spec', () => {
  test('cron "0 7 * * MON-FRI" in Europe/Paris: 07:00 Paris time, weekdays only', async () => {
    const id = scheduleId('paris');
    const view = await create({
      id,
      spec: { cron: ['0 7 * * MON-FRI'], timezone: 'Europe/Paris' },
      action: quickCanvas,
      state: { paused: true, note: 'only read' },
    });
    expect(view).toMatchObject({
      id,
      builtin: false,
      createdBy: 'orchestra-api',
      spec: { cron: ['0 7 * * MON-FRI'], timezone: 'Europe/Paris' },
      state: { paused: true, note: 'only read' },
    });
    expect(view.links.ui).toMatch(new RegExp(`/namespaces/default/schedules/${id}$`));
    expect(view.nextRunTimes).toHaveLength(5);
    expect(increasing(view.nextRunTimes)).toBe(true);
    for (const time of view.nextRunTimes) {
      const parts = local(time, 'Europe/Paris');
      expect([time, parts.weekday, parts.hour, parts.minute, parts.second]).toEqual([time, expect.stringMatching(/^(Mon|Tue|Wed|Thu|Fri)$/), '07', '00', '00']);
    }
  });

  test('intervals every 15m offset 2m: at :02, :17, :32, :47', async () => {
    const view = await create({
      id: scheduleId('interval'),
      spec: { intervals: [{ every: '15m', offset: '2m' }] },
      action: quickCanvas,
      state: { paused: true },
    });
    expect(view.spec.intervals).toEqual([{ every: '15m', offset: '2m' }]);
    expect(view.nextRunTimes).toHaveLength(5);
    for (const [i, time] of view.nextRunTimes.entries()) {
      expect((Date.parse(time) - 120_000) % 900_000).toBe(0);
      if (i > 0) expect(Date.parse(time) - Date.parse(view.nextRunTimes[i - 1])).toBe(900_000);
    }
  });

  test('calendars: Saturdays at 09:30 and 17:30 New York time', async () => {
    const view = await create({
      id: scheduleId('calendar'),
      spec: { calendars: [{ hour: '9,17', minute: 30, dayOfWeek: 'SAT' }], timezone: 'America/New_York' },
      action: quickCanvas,
      state: { paused: true },
    });
    expect(view.nextRunTimes).toHaveLength(5);
    for (const time of view.nextRunTimes) {
      const parts = local(time, 'America/New_York');
      expect([time, parts.weekday, `${parts.hour}:${parts.minute}:${parts.second}`]).toEqual([time, 'Sat', expect.stringMatching(/^(09|17):30:00$/)]);
    }
  });

  test('cron with a seconds field, mixed with an interval: every time fits one of them', async () => {
    const view = await create({
      id: scheduleId('mixed'),
      spec: { cron: ['30 */5 * * * *'], intervals: [{ every: '1h', offset: '7m' }] },
      action: quickCanvas,
      state: { paused: true },
    });
    expect(view.nextRunTimes).toHaveLength(5);
    for (const time of view.nextRunTimes) {
      const at = new Date(time);
      const cron = at.getUTCSeconds() === 30 && at.getUTCMinutes() % 5 === 0;
      const interval = at.getUTCSeconds() === 0 && at.getUTCMinutes() === 7;
      expect([time, cron || interval]).toEqual([time, true]);
    }
    expect(view.nextRunTimes.some((t: string) => new Date(t).getUTCSeconds() === 30)).toBe(true);
  });

  test('startAt, endAt and skip bound the times', async () => {
    const view = await create({
      id: scheduleId('bounded'),
      spec: { cron: ['0 12 * * *'], startAt: '2030-01-01T00:00:00Z', endAt: '2030-01-04T00:00:00Z', skip: [{ month: 'JAN', dayOfMonth: 2, hour: 12 }] },
      action: quickCanvas,
    });
    expect(view.nextRunTimes).toEqual(['2030-01-01T12:00:00.000Z', '2030-01-03T12:00:00.000Z']);
  });
});

describe('running', () => {
  test('trigger: the run completes, named and labelled for the Web UI', async () => {
    const id = scheduleId('trigger');
    await create({ id, spec: YEARLY, action: quickCanvas, memo: { description: 'trigger test' } });
    expect((await call('POST', `/schedules/${id}/trigger`)).status).toBe(202);
    const view = await waitForSchedule(id, (v) => v.recentActions[0]?.status === 'COMPLETED');
    const [action] = view.recentActions;
    // The action's workflow id is the prefix; Temporal appends the scheduled time.
    expect(action.workflowId).toMatch(new RegExp(`^schedule-${id}-\\d{4}-\\d\\d-\\d\\dT`));
    expect(action.links.self).toBe(`/workflows/${encodeURIComponent(action.workflowId)}`);
    expect((await call('GET', action.links.self)).body).toMatchObject({ status: 'COMPLETED', result: 20, type: 'canvas' });
    const described = await client.workflow.getHandle(action.workflowId).describe();
    expect(described.memo).toMatchObject({ description: 'trigger test', createdBy: 'orchestra-api', scheduleId: id });
    expect(described.searchAttributes).toMatchObject({ OrchestraWorkflowKind: ['canvas'], OrchestraTasks: ['add', 'mul'], TemporalScheduledById: [id] });
    expect(await described.staticSummary()).toBe(`${id}: trigger test`);
    // The Web UI's and the CLI's filter finds a schedule's runs (visibility: eventually).
    const listed: string[] = [];
    for (let tries = 0; tries < 40 && listed.length === 0; tries++) {
      for await (const info of client.workflow.list({ query: `TemporalScheduledById="${id}"` })) listed.push(info.workflowId);
      if (listed.length === 0) await sleep(250);
    }
    expect(listed).toEqual([action.workflowId]);
  });

  test('a code workflow by name, with its args', async () => {
    const id = scheduleId('code');
    await create({ id, spec: YEARLY, action: { workflow: 'arithmeticDemo', args: [1, 2, 3] } });
    await call('POST', `/schedules/${id}/trigger`);
    const view = await waitForSchedule(id, (v) => v.recentActions[0]?.status === 'COMPLETED');
    expect(view.action).toEqual({ workflow: 'arithmeticDemo', args: [1, 2, 3] });
    const runView = (await call('GET', view.recentActions[0].links.self)).body;
    expect(runView).toMatchObject({ type: 'arithmeticDemo', result: { product: 9, squares: [81, 1] } });
    const described = await client.workflow.getHandle(view.recentActions[0].workflowId).describe();
    expect(described.searchAttributes).toMatchObject({ OrchestraWorkflowKind: ['arithmeticDemo'], OrchestraTasks: ['add', 'mul'] });
  });

  test('paused: no scheduled run; a trigger still runs (Temporal semantics); unpaused: runs resume', async () => {
    const id = scheduleId('pause');
    await create({
      id,
      spec: { intervals: [{ every: '3s' }] },
      action: { canvas: { task: 'noop', args: ['tick'] } },
      state: { paused: true, note: 'not yet' },
    });
    await sleep(8000); // more than two intervals
    let view = await get(id);
    expect(view.state).toEqual({ paused: true, note: 'not yet', remainingActions: null });
    expect(view.recentActions).toEqual([]);
    expect(view.counts.actionsTaken).toBe(0);

    // Pause stops the spec, not a trigger: an operator's "run now" still runs.
    await call('POST', `/schedules/${id}/trigger`);
    view = await waitForSchedule(id, (v) => v.recentActions.length === 1 && allEnded(v));
    expect(view.recentActions[0].status).toBe('COMPLETED');
    expect(view.state.paused).toBe(true);

    view = (await call('POST', `/schedules/${id}/unpause`, { note: 'go' })).body;
    expect(view.state).toMatchObject({ paused: false, note: 'go' });
    await waitForSchedule(id, (v) => v.counts.actionsTaken >= 3);

    view = (await call('POST', `/schedules/${id}/pause`, { note: 'stop for the weekend' })).body;
    expect(view.state).toMatchObject({ paused: true, note: 'stop for the weekend' });
    const settled = await waitForSchedule(id, allEnded);
    await sleep(7000);
    expect((await get(id)).counts.actionsTaken).toBe(settled.counts.actionsTaken);
  });

  test('backfill of a past hour of a 15-minute schedule: four runs, at :00, :15, :30 and :45', async () => {
    const id = scheduleId('backfill');
    // Paused, so only the backfill runs (a backfill runs whether the schedule is paused or not).
    await create({ id, spec: { intervals: [{ every: '15m' }] }, action: quickCanvas, state: { paused: true } });
    const end = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const start = end - 3_600_000;
    const reply = await call('POST', `/schedules/${id}/backfill`, {
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
      overlap: 'BUFFER_ALL',
    });
    expect(reply.status).toBe(202);
    const view = await waitForSchedule(id, (v) => v.recentActions.length === 4 && v.recentActions.every((a: any) => a.status === 'COMPLETED'), 90_000);
    const scheduled = view.recentActions.map((a: any) => a.scheduledAt).sort();
    expect(scheduled).toEqual([0, 1, 2, 3].map((q) => new Date(start + q * 900_000).toISOString()));
    await sleep(2000);
    expect((await get(id)).recentActions).toHaveLength(4);
  });

  test('overlap on a slow action triggered three times while it runs: SKIP runs one, BUFFER_ONE runs two', async () => {
    const slow = { canvas: { task: 'sleep', args: [8000] } };
    const outcome = async (overlap: string) => {
      const id = scheduleId(`overlap-${overlap.toLowerCase().replace('_', '')}`);
      await create({ id, spec: YEARLY, action: slow, policies: { overlap } });
      // Over a second apart: Temporal names each run <prefix>-<time to the second>, so two
      // triggers within one second would collide on the id rather than test the policy.
      for (let i = 0; i < 3; i++) {
        if (i > 0) await sleep(1200);
        expect((await call('POST', `/schedules/${id}/trigger`)).status).toBe(202);
      }
      await waitForSchedule(id, (v) => v.recentActions.length >= 1 && allEnded(v), 90_000);
      await sleep(6000); // a buffered run would have started by now
      return waitForSchedule(id, allEnded, 90_000);
    };
    const [skip, bufferOne] = await Promise.all([outcome('SKIP'), outcome('BUFFER_ONE')]);
    expect(skip.recentActions.map((a: any) => a.status)).toEqual(['COMPLETED']);
    expect(skip.counts.skippedOverlap).toBe(2);
    expect(bufferOne.counts.skippedOverlap).toBe(1);
    expect(bufferOne.recentActions.map((a: any) => a.status)).toEqual(['COMPLETED', 'COMPLETED']);
    // The second started only after the first ended: buffered, never overlapping.
    const [second, first] = bufferOne.recentActions;
    const firstRun = await client.workflow.getHandle(first.workflowId).describe();
    expect(Date.parse(second.takenAt)).toBeGreaterThanOrEqual(firstRun.closeTime!.getTime() - 1000);
  });
});

describe('changing and reading', () => {
  test('PATCH replaces spec or action and merges policies; state and memo stay', async () => {
    const id = scheduleId('patch');
    await create({
      id,
      spec: YEARLY,
      action: quickCanvas,
      policies: { catchupWindow: '5m' },
      state: { paused: true, note: 'held' },
      memo: { description: 'patched' },
    });
    let reply = await call('PATCH', `/schedules/${id}`, { spec: { cron: ['0 9 * * *'], timezone: 'Asia/Tokyo' }, policies: { overlap: 'BUFFER_ALL' } });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      spec: { cron: ['0 9 * * *'], timezone: 'Asia/Tokyo' },
      policies: { overlap: 'BUFFER_ALL', catchupWindow: '5m', pauseOnFailure: false },
      state: { paused: true, note: 'held' },
      memo: { description: 'patched' },
    });
    for (const time of reply.body.nextRunTimes) expect(local(time, 'Asia/Tokyo')).toMatchObject({ hour: '09', minute: '00' });

    reply = await call('PATCH', `/schedules/${id}`, { action: { canvas: { task: 'add', args: [20, 22] } } });
    expect(reply.body.action).toEqual({ canvas: { task: 'add', args: [20, 22] } });
    expect(reply.body.spec.cron).toEqual(['0 9 * * *']);
    await call('POST', `/schedules/${id}/trigger`);
    const view = await waitForSchedule(id, (v) => v.recentActions[0]?.status === 'COMPLETED');
    expect((await call('GET', view.recentActions[0].links.self)).body.result).toBe(42);
    const described = await client.workflow.getHandle(view.recentActions[0].workflowId).describe();
    expect(described.searchAttributes).toMatchObject({ OrchestraTasks: ['add'] });

    const bad = await call('PATCH', `/schedules/${id}`, { spec: { cron: ['0 9 * * FUNDAY'] }, state: { paused: false } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.path).sort()).toEqual(['spec.cron[0]', 'state']);
    expect((await get(id)).spec.cron).toEqual(['0 9 * * *']);
  });

  test('GET /schedules lists them (visibility is eventually consistent)', async () => {
    const id = scheduleId('listed');
    await create({ id, spec: YEARLY, action: quickCanvas, state: { paused: true, note: 'listed' } });
    let item: any;
    for (let tries = 0; tries < 60 && !item; tries++) {
      item = (await call('GET', '/schedules')).body.schedules.find((s: any) => s.id === id);
      if (!item) await sleep(500);
    }
    expect(item).toMatchObject({ id, builtin: false, workflowType: 'canvas', paused: true, note: 'listed', links: { self: `/schedules/${id}` } });
    expect(item.nextRunTimes[0]).toMatch(/-01-01T00:00:00.000Z$/);
    expect((await call('GET', '/schedules?limit=0')).body.errors[0].path).toBe('query.limit');
  });

  test('the temporal CLI sees and drives the same schedules', async () => {
    const id = scheduleId('cli');
    await create({ id, spec: YEARLY, action: quickCanvas });
    const cli = provision('temporal');
    const address = ['--address', process.env.TEMPORAL_ADDRESS!];
    const described = JSON.parse(execFileSync(cli, ['schedule', 'describe', ...address, '--schedule-id', id, '-o', 'json'], { encoding: 'utf8' }));
    expect(JSON.stringify(described)).toContain(`schedule-${id}`);
    execFileSync(cli, ['schedule', 'toggle', ...address, '--schedule-id', id, '--pause', '--reason', 'paused from the CLI']);
    expect((await get(id)).state).toMatchObject({ paused: true, note: 'paused from the CLI' });
    execFileSync(cli, ['schedule', 'trigger', ...address, '--schedule-id', id]);
    await waitForSchedule(id, (v) => v.recentActions[0]?.status === 'COMPLETED');

    // A schedule made with the CLI reads back in the API's form, and a PATCH keeps its spec.
    const made = scheduleId('cli-made');
    execFileSync(cli, [
      'schedule',
      'create',
      ...address,
      '--schedule-id',
      made,
      '--cron',
      '0 7 * * MON-FRI',
      '--time-zone',
      'Europe/Paris',
      '--workflow-id',
      `cli-${made}`,
      '--task-queue',
      'orchestra-workflows',
      '--type',
      'canvas',
      '--input',
      JSON.stringify(quickCanvas),
    ]);
    const before = await get(made);
    expect(before).toMatchObject({
      builtin: false,
      createdBy: null,
      spec: { calendars: [{ second: '0', minute: '0', hour: '7', dayOfWeek: 'MON-FRI' }], timezone: 'Europe/Paris' },
      action: { ...quickCanvas, workflowId: `cli-${made}` },
    });
    const patched = await call('PATCH', `/schedules/${made}`, { policies: { overlap: 'BUFFER_ONE' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ spec: before.spec, action: before.action, policies: { overlap: 'BUFFER_ONE' }, nextRunTimes: before.nextRunTimes });
  });
});

describe('invalid input', () => {
  const problems: Array<[string, Record<string, unknown>, string]> = [
    ['a bad cron string', { spec: { cron: ['0 7 * * MON-FRI', '0 7 * * NEVER'] } }, 'spec.cron[1]'],
    ['an unknown time zone', { spec: { cron: ['0 7 * * *'], timezone: 'Europe/Atlantis' } }, 'spec.timezone'],
    ['an end before the start', { spec: { cron: ['0 7 * * *'], startAt: '2030-02-01T00:00:00Z', endAt: '2030-01-01T00:00:00Z' } }, 'spec.endAt'],
    ['an invalid canvas', { action: { canvas: { chain: [{ task: 'explode' }] } } }, 'action.canvas.chain[0].task'],
    ['an unknown workflow', { action: { workflow: 'dropDatabase' } }, 'action.workflow'],
    ['an unknown overlap policy', { policies: { overlap: 'WHENEVER' } }, 'policies.overlap'],
  ];

  test.each(problems)('%s is a 400 naming its path, and nothing is created', async (_what, change, path) => {
    const id = scheduleId('invalid');
    const reply = await call('POST', '/schedules', { id, spec: YEARLY, action: quickCanvas, ...change });
    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toContain('application/problem+json');
    expect(reply.body.errors).toEqual([{ path, message: expect.any(String) }]);
    expect((await call('GET', `/schedules/${id}`)).status).toBe(404);
  });

  test('an id that exists is a 409; an unknown id is a 404 everywhere', async () => {
    const id = scheduleId('taken');
    await create({ id, spec: YEARLY, action: quickCanvas });
    expect((await call('POST', '/schedules', { id, spec: YEARLY, action: quickCanvas })).status).toBe(409);
    const unknown = `/schedules/no-such-schedule-${run}`;
    const window = { start: '2030-01-01T00:00:00Z', end: '2030-01-01T01:00:00Z' };
    for (const [method, path, body] of [
      ['GET', unknown],
      ['PATCH', unknown, { policies: { overlap: 'SKIP' } }],
      ['DELETE', unknown],
      ['POST', `${unknown}/pause`],
      ['POST', `${unknown}/unpause`],
      ['POST', `${unknown}/trigger`],
      ['POST', `${unknown}/backfill`, window],
    ] as Array<[string, string, unknown?]>) {
      expect([method, path, (await call(method, path, body)).status]).toEqual([method, path, 404]);
    }
    const backwards = await call('POST', `/schedules/${id}/backfill`, { start: window.end, end: window.start });
    expect([backwards.status, backwards.body.errors[0].path]).toEqual([400, 'end']);
    const overlap = await call('POST', `/schedules/${id}/trigger`, { overlap: 'SOMETIMES' });
    expect([overlap.status, overlap.body.errors[0].path]).toEqual([400, 'overlap']);
    expect((await call('DELETE', `/schedules/${id}`)).status).toBe(204);
    expect((await call('GET', `/schedules/${id}`)).status).toBe(404);
  });
});

describe('built-in schedules declared in code', () => {
  const ids = builtinSchedules(loadConfig()).map((d) => d.id);

  test('the API and orchestrator starts created them, and guard them from PATCH and DELETE', async () => {
    expect(ids).toEqual(expect.arrayContaining(['digest-daily', 'cleanup-orphaned-files', 'prune-received-events']));
    const digest = await waitUntilExists('digest-daily');
    expect(digest).toMatchObject({
      builtin: true,
      createdBy: 'orchestra-builtin',
      spec: { cron: ['0 7 * * *'], timezone: 'UTC' },
      action: { workflow: 'digest', args: [] },
      policies: { overlap: 'SKIP', catchupWindow: '6h' },
    });
    for (const time of digest.nextRunTimes) expect(time).toMatch(/T07:00:00.000Z$/);
    // BUILTIN_SCHEDULES=paused (a test stack may set it) creates them paused.
    expect(digest.state.paused).toBe(loadConfig().schedules.builtins === 'paused');
    const cleanup = await waitUntilExists('cleanup-orphaned-files');
    for (const time of cleanup.nextRunTimes) expect(new Date(time).getUTCMinutes()).toBe(17);
    const prune = await waitUntilExists('prune-received-events');
    expect(prune).toMatchObject({ builtin: true, action: { canvas: { task: 'events.pruneReceived' } } });
    for (const time of prune.nextRunTimes) expect(time).toMatch(/T03:41:00.000Z$/);
    expect((await call('PATCH', '/schedules/digest-daily', { policies: { overlap: 'ALLOW_ALL' } })).status).toBe(409);
    expect((await call('DELETE', '/schedules/digest-daily')).status).toBe(409);
    expect((await call('POST', '/schedules', { id: 'digest-daily', spec: YEARLY, action: quickCanvas })).status).toBe(409);
  });

  test('the declarations are in step already: a further sync changes nothing', async () => {
    await Promise.all(ids.map(waitUntilExists));
    const results = await syncSchedules(client, builtinSchedules(loadConfig()), { prune: false });
    expect(results).toEqual(ids.map((id) => ({ id, outcome: 'unchanged' })));
  });

  test('two syncs at once create one schedule; a change updates it, keeping it paused; a removal deletes it', async () => {
    const owner = `orchestra-test-${run}`;
    const id = scheduleId('declared');
    const declaration: ScheduleDefinition = {
      id,
      spec: { cron: ['30 6 * * *'], timezone: 'Europe/Paris' },
      action: quickCanvas,
      memo: { description: 'declared in a test' },
    };
    const sync = (declarations: ScheduleDefinition[]) => syncSchedules(client, declarations, { owner });

    const outcomes = (await Promise.all([sync([declaration]), sync([declaration])])).map((r: SyncResult[]) => r.find((x) => x.id === id)!.outcome).sort();
    expect(outcomes[0]).toBe('created');
    expect(['exists', 'unchanged']).toContain(outcomes[1]);
    let view = await get(id);
    expect(view).toMatchObject({ spec: declaration.spec, createdBy: owner, memo: { description: 'declared in a test' }, recentActions: [] });
    for (const time of view.nextRunTimes) expect(local(time, 'Europe/Paris')).toMatchObject({ hour: '06', minute: '30' });
    const described = await client.schedule.getHandle(id).describe();
    expect(described.action.memo).toMatchObject({ orchestraSchedule: { hash: definitionHash(declaration) } });

    expect(await sync([declaration])).toEqual([{ id, outcome: 'unchanged' }]);

    // An operator pauses it; the declaration then changes: updated, still paused.
    await call('POST', `/schedules/${id}/pause`, { note: 'held by an operator' });
    const changed: ScheduleDefinition = { ...declaration, spec: { cron: ['45 6 * * MON'], timezone: 'Europe/Paris' } };
    expect(await sync([changed])).toEqual([{ id, outcome: 'updated' }]);
    view = await get(id);
    expect(view).toMatchObject({ spec: changed.spec, state: { paused: true, note: 'held by an operator' } });
    for (const time of view.nextRunTimes) expect(local(time, 'Europe/Paris')).toMatchObject({ weekday: 'Mon', hour: '06', minute: '45' });
    expect(await sync([changed])).toEqual([{ id, outcome: 'unchanged' }]);

    // No longer declared: removed, once the visibility store lists it.
    let removal: SyncResult[] = [];
    for (let tries = 0; tries < 60 && removal.length === 0; tries++) {
      removal = await sync([]);
      if (removal.length === 0) await sleep(500);
    }
    expect(removal).toEqual([{ id, outcome: 'removed' }]);
    expect((await call('GET', `/schedules/${id}`)).status).toBe(404);
  });
});

/** Built-ins appear shortly after the processes start (their sync runs in the background). */
async function waitUntilExists(id: string): Promise<any> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const reply = await call('GET', `/schedules/${id}`);
    if (reply.status === 200) return reply.body;
    if (Date.now() > deadline) throw new Error(`schedule ${id} not created: ${reply.status} ${JSON.stringify(reply.body)}`);
    await sleep(500);
  }
}
