/** Schedules without a server: cron checking, validation paths, the mapping to Temporal, the hash, the declarations. */
import { ServiceError } from '@temporalio/client';
import * as workflows from '../../src/workflows';
import { scheduleProblem } from '../../src/api/routes/schedules';
import { HttpProblem } from '../../src/http/problem';
import { parseCron, parseField } from '../../src/schedules/cron';
import { builtinSchedules } from '../../src/schedules/builtin';
import { startupDeclarations } from '../../src/schedules/startup';
import { CODE_WORKFLOWS } from '../../src/schedules/code-workflows';
import { definitionHash, validateSchedulePatch, validateScheduleDefinition, type ScheduleDefinition } from '../../src/schedules/definition';
import { toScheduleOptions } from '../../src/schedules/temporal-options';
import { toTemporalSpec } from '../../src/schedules/spec';
import { formatDuration, specFromTemporal } from '../../src/schedules/readback';

const canvasAction = {
  canvas: {
    chain: [
      { task: 'add', args: [1, 2] },
      { task: 'mul', args: [3] },
    ],
  },
};
const valid = (overrides: Record<string, unknown> = {}) => ({
  id: 'nightly',
  spec: { cron: ['0 7 * * MON-FRI'], timezone: 'Europe/Paris' },
  action: canvasAction,
  ...overrides,
});
const paths = (body: unknown) => {
  const result = validateScheduleDefinition(body);
  return result.ok ? [] : result.issues.map((i) => i.path);
};
const messageAt = (body: unknown, path: string) => {
  const result = validateScheduleDefinition(body);
  return result.ok ? undefined : result.issues.find((i) => i.path === path)?.message;
};

describe('cron expressions', () => {
  test.each([
    ['0 7 * * MON-FRI', '0 7 * * MON-FRI'],
    ['*/15  9-17 * * 1-5', '*/15 9-17 * * 1-5'],
    ['0 0 1 jan-mar *', '0 0 1 jan-mar *'],
    ['0 12 * * 7', '0 12 * * 7'],
    ['5/15 * * * *', '5/15 * * * *'],
    ['0 0 1,15 * sun,Wednesday', '0 0 1,15 * sun,Wednesday'],
    // Six fields put seconds first; Temporal reads six as "… year", so it gets seven.
    ['30 */5 * * * *', '30 */5 * * * * *'],
    ['@daily', '@daily'],
    ['@Hourly', '@hourly'],
  ])('%s is valid', (expression, temporal) => {
    expect(parseCron(expression)).toEqual({ ok: true, value: expect.objectContaining({ temporal }) });
  });

  test.each([
    ['0 7 * *', /has 4 fields/],
    ['0 7 * * * * *', /has 7 fields/],
    ['61 * * * *', /minute "61": 61 is out of range \(0-59\)/],
    ['0 25 * * *', /hour "25"/],
    ['0 0 32 * *', /day-of-month "32"/],
    ['0 0 * 13 *', /month "13"/],
    ['0 0 * * FOO', /"FOO" is not a day-of-week \(0-7 or a name like SUN\)/],
    ['*/0 * * * *', /step "0" must be a whole number of at least 1/],
    ['5-1 * * * *', /runs backwards/],
    ['0 0 L * *', /Quartz/],
    ['0 12 * * 1#2', /Quartz/],
    ['0 0 ? * MON', /Quartz/],
    ['1,,2 * * * *', /is not a value/],
    ['@every 5m', /intervals/],
    ['CRON_TZ=Europe/Paris 0 7 * * *', /spec.timezone/],
    ['@often', /unknown shorthand/],
    ['', /has 1 field/],
  ])('%j is refused: %s', (expression, message) => {
    const parsed = parseCron(expression);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  test('names are case-insensitive, short or full, and 7 is Sunday', () => {
    expect(parseField('dayOfWeek', 'mon-FRIDAY')).toEqual({ ok: true, value: [{ start: 1, end: 5, step: 1 }] });
    expect(parseField('month', 'Jul,DEC')).toEqual({
      ok: true,
      value: [
        { start: 7, end: 7, step: 1 },
        { start: 12, end: 12, step: 1 },
      ],
    });
    expect(parseField('dayOfWeek', '*')).toEqual({ ok: true, value: [{ start: 0, end: 6, step: 1 }] });
    expect(parseField('hour', 9)).toEqual({ ok: true, value: [{ start: 9, end: 9, step: 1 }] });
  });
});

describe('schedule validation', () => {
  test('a valid definition of each kind passes', () => {
    expect(paths(valid())).toEqual([]);
    expect(paths(valid({ spec: { intervals: [{ every: '15m', offset: '2m' }] } }))).toEqual([]);
    expect(paths(valid({ spec: { calendars: [{ hour: '9,17', minute: 30, dayOfWeek: 'SAT' }], timezone: 'America/New_York' } }))).toEqual([]);
    expect(paths(valid({ action: { workflow: 'arithmeticDemo', args: [1, 2, 3] } }))).toEqual([]);
    expect(
      paths(
        valid({
          spec: {
            cron: ['30 0 7 * * *'],
            intervals: [{ every: '1h' }],
            skip: [{ dayOfWeek: 'SUN', hour: '*', minute: '*', second: '*' }],
            startAt: '2030-01-01T00:00:00Z',
            endAt: '2031-01-01T00:00:00+01:00',
            jitter: '30s',
          },
          policies: { overlap: 'BUFFER_ONE', catchupWindow: '1m', pauseOnFailure: true },
          state: { paused: true, note: 'waiting for go-live' },
          memo: { description: 'nightly totals' },
        }),
      ),
    ).toEqual([]);
  });

  test('each problem is reported with its JSON path, all at once', () => {
    const body = valid({
      spec: { cron: ['0 7 * * MON-FRI', '0 99 * * *'], timezone: 'Mars/Olympus_Mons', startAt: '2030-01-02T00:00:00Z', endAt: '2030-01-01T00:00:00Z' },
      action: { canvas: { chain: [{ task: 'explode' }] } },
      policies: { overlap: 'SOMETIMES', catchupWindow: '1s' },
    });
    expect(paths(body).sort()).toEqual(
      ['action.canvas.chain[0].task', 'policies.catchupWindow', 'policies.overlap', 'spec.cron[1]', 'spec.endAt', 'spec.timezone'].sort(),
    );
    expect(messageAt(body, 'spec.cron[1]')).toMatch(/hour "99"/);
    expect(messageAt(body, 'spec.timezone')).toMatch(/IANA/);
    expect(messageAt(body, 'action.canvas.chain[0].task')).toMatch(/unknown task "explode"/);
    expect(messageAt(body, 'policies.overlap')).toMatch(/SKIP, BUFFER_ONE, BUFFER_ALL, CANCEL_OTHER, TERMINATE_OTHER, ALLOW_ALL/);
  });

  test('spec problems', () => {
    expect(paths(valid({ spec: {} }))).toEqual(['spec']);
    expect(paths(valid({ spec: { cron: [] } }))).toEqual(['spec']);
    expect(paths(valid({ spec: { intervals: [{ every: '15m', offset: '15m' }] } }))).toEqual(['spec.intervals[0].offset']);
    expect(paths(valid({ spec: { intervals: [{ every: '1500ms' }] } }))).toEqual(['spec.intervals[0].every']);
    expect(paths(valid({ spec: { intervals: [{ every: 'often' }] } }))).toEqual(['spec.intervals[0].every']);
    expect(paths(valid({ spec: { calendars: [{ hour: 24 }] } }))).toEqual(['spec.calendars[0].hour']);
    expect(paths(valid({ spec: { calendars: [{ hours: 2 }] } }))).toEqual(['spec.calendars[0].hours']);
    expect(paths(valid({ spec: { cron: ['0 7 * * *'], startAt: 'tomorrow' } }))).toEqual(['spec.startAt']);
    expect(paths(valid({ spec: { cron: ['0 7 * * *'], startAt: '2030-01-01T00:00:00' } }))).toEqual(['spec.startAt']);
    expect(paths(valid({ spec: { cron: '0 7 * * *' } }))).toEqual(['spec.cron']);
  });

  test('action problems', () => {
    expect(paths(valid({ action: { workflow: 'rmrf' } }))).toEqual(['action.workflow']);
    expect(messageAt(valid({ action: { workflow: 'rmrf' } }), 'action.workflow')).toMatch(/can start digest, arithmeticDemo/);
    expect(paths(valid({ action: { workflow: 'digest', args: [1] } }))).toEqual(['action.args']);
    expect(paths(valid({ action: { workflow: 'arithmeticDemo', args: ['x'] } }))).toEqual(['action.args[0]']);
    expect(paths(valid({ action: { ...canvasAction, exclusive: true } }))).toEqual(['action.exclusive']);
    expect(paths(valid({ action: { canvas: { task: 'divide', args: [1, 'two'] } } }))).toEqual(['action.canvas.args[1]']);
    expect(paths(valid({ action: { ...canvasAction, workflow: 'arithmeticDemo' } }))).toEqual(['action']);
    expect(paths(valid({ action: 'add' }))).toEqual(['action']);
    expect(paths(valid({ action: {} }))).toEqual(['action.canvas']);
  });

  test('top-level problems', () => {
    expect(paths({ spec: valid().spec, action: canvasAction })).toEqual(['id']);
    expect(paths(valid({ id: 'has spaces' }))).toEqual(['id']);
    expect(paths(valid({ colour: 'blue' }))).toEqual(['colour']);
    expect(paths(valid({ memo: { createdBy: 'me' } }))).toEqual(['memo.createdBy']);
    expect(paths(valid({ state: { remainingActions: 0 } }))).toEqual(['state.remainingActions']);
    expect(paths([])).toEqual(['']);
  });

  test('a PATCH changes spec, action or policies, and says where state and memo change instead', () => {
    expect(validateSchedulePatch({ policies: { overlap: 'BUFFER_ALL' } }).ok).toBe(true);
    const refused = validateSchedulePatch({ state: { paused: true }, memo: {}, spec: { cron: ['nope'] } });
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.issues.map((i) => i.path).sort()).toEqual(['memo', 'spec.cron[0]', 'state']);
      expect(refused.issues.find((i) => i.path === 'state')?.message).toMatch(/pause/);
    }
    expect(validateSchedulePatch({}).ok).toBe(false);
  });
});

describe('mapping to Temporal', () => {
  test('spec: cron passes through (seconds-first six become seven), calendars become ranges, durations milliseconds', () => {
    const spec = toTemporalSpec({
      cron: ['0 7 * * MON-FRI', '30 0 12 * * *'],
      intervals: [{ every: '15m', offset: '2m' }],
      calendars: [{ hour: '9,17', minute: 30, dayOfWeek: 'FRI-7', month: 'JAN-MAR/2' }],
      skip: [{ dayOfMonth: 25, month: 'DEC' }],
      timezone: 'Europe/Paris',
      startAt: '2030-01-01T00:00:00+01:00',
      jitter: '30s',
    });
    expect(spec.cronExpressions).toEqual(['0 7 * * MON-FRI', '30 0 12 * * * *']);
    expect(spec.intervals).toEqual([{ every: 900_000, offset: 120_000 }]);
    expect(spec.calendars?.[0]).toMatchObject({
      hour: [
        { start: 9, end: 9, step: 1 },
        { start: 17, end: 17, step: 1 },
      ],
      minute: [{ start: 30, end: 30, step: 1 }],
      dayOfWeek: [
        { start: 'FRIDAY', end: 'SATURDAY', step: 1 },
        { start: 'SUNDAY', end: 'SUNDAY', step: 1 },
      ],
      month: [{ start: 'JANUARY', end: 'MARCH', step: 2 }],
    });
    expect(spec.skip?.[0]).toMatchObject({ dayOfMonth: [{ start: 25, end: 25, step: 1 }], month: [{ start: 'DECEMBER', end: 'DECEMBER', step: 1 }] });
    expect(spec.startAt?.toISOString()).toBe('2029-12-31T23:00:00.000Z');
    expect(spec.jitter).toBe(30_000);
  });

  test('a canvas action starts `canvas` on the orchestrator queue, with a readable id prefix, memo and search attributes', () => {
    const definition = valid({ memo: { description: 'nightly totals' } }) as ScheduleDefinition;
    const options = toScheduleOptions(definition, { createdBy: 'orchestra-api', tenant: 'team-a' });
    expect(options.memo).toEqual({ description: 'nightly totals', createdBy: 'orchestra-api', tenant: 'team-a' });
    expect(options.policies).toEqual({ overlap: 'SKIP', catchupWindow: undefined, pauseOnFailure: false });
    const action = options.action;
    expect(action).toMatchObject({
      workflowType: 'canvas',
      taskQueue: 'orchestra-workflows',
      workflowId: 'schedule-nightly',
      args: [{ ...canvasAction, tenant: 'team-a' }],
    });
    expect(action.memo).toMatchObject({
      description: 'nightly totals',
      createdBy: 'orchestra-api',
      scheduleId: 'nightly',
      orchestraSchedule: { hash: definitionHash(definition), spec: definition.spec },
    });
    const attributes = Object.fromEntries(
      (action.typedSearchAttributes as { getAll(): Array<{ key: { name: string }; value: unknown }> }).getAll().map((p) => [p.key.name, p.value]),
    );
    expect(attributes).toEqual({ OrchestraWorkflowKind: 'canvas', OrchestraTenant: 'team-a', OrchestraTasks: ['add', 'mul'] });
  });

  test('a code workflow action starts that workflow with its args and timeout', () => {
    const options = toScheduleOptions(
      valid({ action: { workflow: 'arithmeticDemo', args: [1, 2, 3], workflowId: 'demo', timeout: '5m' } }) as ScheduleDefinition,
      { createdBy: 'orchestra-api', tenant: 'team-a' },
    );
    expect(options.action).toMatchObject({ workflowType: 'arithmeticDemo', args: [1, 2, 3], workflowId: 'demo', workflowExecutionTimeout: 300_000 });
  });

  test("Temporal's described spec reads back in the API's form", () => {
    expect(
      specFromTemporal({
        calendars: [
          {
            second: [{ start: 0, end: 0, step: 1 }],
            minute: [{ start: 0, end: 0, step: 1 }],
            hour: [{ start: 7, end: 7, step: 1 }],
            dayOfMonth: [{ start: 1, end: 31, step: 1 }],
            month: [{ start: 'JANUARY', end: 'DECEMBER', step: 1 }],
            year: [],
            dayOfWeek: [{ start: 'MONDAY', end: 'FRIDAY', step: 1 }],
          },
        ],
        intervals: [{ every: 900_000, offset: 0 }],
        skip: [],
        timezone: 'Europe/Paris',
      }),
    ).toEqual({ calendars: [{ second: '0', minute: '0', hour: '7', dayOfWeek: 'MON-FRI' }], intervals: [{ every: '15m' }], timezone: 'Europe/Paris' });
    expect([formatDuration(900_000), formatDuration(86_400_000), formatDuration(1500)]).toEqual(['15m', '1d', '1500ms']);
  });
});

describe('definition hash', () => {
  test('ignores key order and state, follows spec, action, policies and memo', () => {
    const a = valid() as ScheduleDefinition;
    const reordered = {
      action: {
        canvas: {
          chain: [
            { args: [1, 2], task: 'add' },
            { args: [3], task: 'mul' },
          ],
        },
      },
      spec: { timezone: 'Europe/Paris', cron: ['0 7 * * MON-FRI'] },
      id: 'nightly',
    } as ScheduleDefinition;
    expect(definitionHash(reordered)).toBe(definitionHash(a));
    expect(definitionHash({ ...a, state: { paused: true } } as ScheduleDefinition)).toBe(definitionHash(a));
    expect(definitionHash({ ...a, policies: { overlap: 'SKIP' } })).toBe(definitionHash(a)); // the default, written out
    expect(definitionHash({ ...a, spec: { ...a.spec, timezone: 'UTC' } })).not.toBe(definitionHash(a));
    expect(definitionHash({ ...a, policies: { overlap: 'BUFFER_ONE' } })).not.toBe(definitionHash(a));
    expect(definitionHash({ ...a, memo: { description: 'x' } })).not.toBe(definitionHash(a));
  });
});

describe('declarations', () => {
  test('every built-in schedule validates, in any time zone setting', () => {
    for (const timezone of ['UTC', 'Europe/Paris']) {
      for (const declaration of builtinSchedules({ schedules: { builtins: 'on', timezone } })) {
        expect([declaration.id, validateScheduleDefinition(declaration)]).toEqual([declaration.id, expect.objectContaining({ ok: true })]);
      }
    }
  });

  test('BUILTIN_SCHEDULES=paused creates them paused, with a note; the definitions (and hashes) stay the same', () => {
    const on = startupDeclarations({ schedules: { builtins: 'on', timezone: 'UTC' } });
    const paused = startupDeclarations({ schedules: { builtins: 'paused', timezone: 'UTC' } });
    expect(on.every((d) => d.state === undefined)).toBe(true);
    expect(paused.map((d) => d.state)).toEqual(on.map(() => ({ paused: true, note: expect.stringContaining('BUILTIN_SCHEDULES=paused') })));
    expect(paused.map(definitionHash)).toEqual(on.map(definitionHash));
  });

  test('every schedulable code workflow is exported by src/workflows (so a worker registers it)', () => {
    const exported = workflows as unknown as Record<string, unknown>;
    for (const { name } of CODE_WORKFLOWS) expect([name, typeof exported[name]]).toEqual([name, 'function']);
  });
});

describe("Temporal's refusals", () => {
  const grpc = (code: number, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });

  test('an invalid argument is a 400, even when our own checks let it through', () => {
    const problem = scheduleProblem(new ServiceError('Failed to create schedule', { cause: grpc(3, 'unknown time zone Foo/Bar') }), 'x') as HttpProblem;
    expect(problem).toBeInstanceOf(HttpProblem);
    expect(problem.status).toBe(400);
    expect(problem.errors?.[0].message).toContain('unknown time zone Foo/Bar');
    const spec = scheduleProblem(new TypeError('DayOfWeek is not in range [0-7]'), 'x', true) as HttpProblem;
    expect([spec.status, spec.errors?.[0].path]).toEqual([400, 'spec']);
  });

  test('anything else is not hidden', () => {
    const other = new ServiceError('Failed', { cause: grpc(14, 'unavailable') });
    expect(scheduleProblem(other, 'x')).toBe(other);
    const bug = new TypeError('x is undefined');
    expect(scheduleProblem(bug, 'x')).toBe(bug);
  });
});
