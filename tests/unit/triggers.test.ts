/**
 * Event triggers without a server: the filter language, the trigger body's validation (paths
 * as POST /workflows gives them; the payload counted as the first step's input), the built-in
 * list, run ids derived from (tenant, event id, trigger id), and on the workflow side the
 * patch that gates OrchestraWaitingFor (runs that recorded the earlier baseline keep exactly
 * its changes) and the attribute's upserts (a fake `@temporalio/workflow`).
 */
import { matchesFilter, validateFilter, type EventFilter } from '../../src/triggers/filter';
import { validateTrigger } from '../../src/triggers/definition';
import { BuiltinTriggers } from '../../src/triggers/builtin-registry';
import { eventRunId } from '../../src/triggers/run-ids';
import { Issues } from '../../src/validation/issues';

jest.mock('@temporalio/workflow', () => jest.requireActual('../support/fake-workflow').workflowModule);

const filterIssues = (filter: unknown) => {
  const issues = new Issues();
  validateFilter(filter, 'filter', issues);
  return issues.list.map((i) => i.path);
};

test('filters: equality on dotted paths, eq, in and exists, all conditions together', () => {
  const payload = { status: 'paid', order: { total: 12.5, country: 'FR', lines: [{ sku: 'A-1' }], meta: { a: 1, b: [2] } }, coupon: null };
  const cases: Array<[EventFilter, boolean]> = [
    [{ status: 'paid' }, true],
    [{ status: 'PAID' }, false],
    [{ 'order.total': 12.5 }, true],
    [{ 'order.total': '12.5' }, false],
    [{ 'order.lines.0.sku': 'A-1' }, true],
    [{ 'order.lines.1.sku': 'A-1' }, false],
    [{ 'order.meta': { eq: { b: [2], a: 1 } } }, true],
    [{ 'order.country': { in: ['DE', 'FR'] } }, true],
    [{ 'order.country': { in: ['DE'] } }, false],
    [{ coupon: null }, true],
    [{ missing: null }, false],
    [{ coupon: { exists: true }, missing: { exists: false } }, true],
    [{ status: 'paid', 'order.country': 'US' }, false],
  ];
  for (const [filter, expected] of cases) expect([filter, matchesFilter(filter, payload)]).toEqual([filter, expected]);
  expect(matchesFilter(undefined, 'anything')).toBe(true);
  expect(matchesFilter({ status: 'paid' }, 'not an object')).toBe(false);
  expect(matchesFilter({ 'a.b': 1 }, { 'a.b': 1 })).toBe(false); // a path, not a key with a dot
});

test('filters are validated with paths', () => {
  expect(filterIssues({ status: 'paid', 'a.b.c': { in: [1, 2] }, x: { exists: false }, y: { eq: [1] } })).toEqual([]);
  expect(filterIssues([])).toEqual(['filter']);
  expect(filterIssues({})).toEqual(['filter']);
  expect(filterIssues({ 'a..b': 1 })).toEqual(['filter["a..b"]']);
  expect(filterIssues({ a: [1] })).toEqual(['filter["a"]']);
  expect(filterIssues({ a: { gt: 1 } })).toEqual(['filter["a"]']);
  expect(filterIssues({ a: { eq: 1, in: [1] } })).toEqual(['filter["a"]']);
  expect(filterIssues({ a: { in: [] } })).toEqual(['filter["a"].in']);
  expect(filterIssues({ a: { exists: 'yes' } })).toEqual(['filter["a"].exists']);
  expect(filterIssues(Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i])))).toEqual(['filter']);
});

test("a trigger's canvas is checked as POST /workflows checks it, with the payload as its first step's input", () => {
  const valid = (body: unknown) => validateTrigger(body, { reach: 'public', newId: () => 'generated' });
  const ok = valid({
    event: 'order.paid',
    canvas: {
      chain: [
        { task: 'add', args: [1] },
        { task: 'mul', args: [2] },
      ],
    },
    tags: ['billing'],
  });
  expect(ok).toEqual({ ok: true, value: { id: 'generated', event: 'order.paid', request: { canvas: expect.any(Object), tags: ['billing'] } } });
  // A map without items maps over the payload; the first task receives it.
  expect(valid({ event: 'e', canvas: { map: { task: 'noop' } } }).ok).toBe(true);
  const paths = (body: unknown) => {
    const result = valid(body);
    return result.ok ? [] : result.issues.map((i) => i.path);
  };
  expect(paths({ event: 'e', canvas: { task: 'add', args: [1, 2] } })).toEqual(['canvas.args[1]']);
  expect(paths({ event: 'e', canvas: { task: 'add', args: [1, 2], immutable: true } })).toEqual([]);
  expect(paths({ event: 'e', canvas: { chain: [{ task: 'noop' }, { task: 'nope' }] } })).toEqual(['canvas.chain[1].task']);
  expect(paths({ event: 'e', canvas: { task: 'noop' }, workflowId: 'x', exclusive: true, debounce: { key: 'k', period: '1s' } })).toEqual([
    'workflowId',
    'exclusive',
    'debounce',
  ]);
  expect(paths({ canvas: { task: 'noop' }, id: 'has space' })).toEqual(['id', 'event']);
  expect(paths({ event: 'e', canvas: { task: 'noop' }, metadata: { event: 'mine' } })).toEqual(['metadata.event']);
  expect(paths({ event: 'e', canvas: { task: 'files.cleanupOrphans' } })).toEqual(['canvas.task']);
  expect(paths('no')).toEqual(['']);
});

test('the built-in triggers are valid, and a bad declaration fails the start', () => {
  const builtins = new BuiltinTriggers();
  expect(builtins.all.length).toBeGreaterThan(0);
  expect(builtins.forEvent('orchestra.files.cleanup').map((t) => t.id)).toEqual(['cleanup-orphaned-files-now']);
  expect(() => new BuiltinTriggers([{ id: 'x', event: 'e', description: 'bad', canvas: { task: 'nope' } }])).toThrow(/canvas.task/);
  const twice = { id: 'x', event: 'e', description: 'twice', canvas: { task: 'noop' } };
  expect(() => new BuiltinTriggers([twice, twice])).toThrow(/declared twice/);
});

test('run ids come from (tenant, event id, trigger id) alone', () => {
  const id = eventRunId('acme', 'evt-1', 'paid');
  expect(id).toMatch(/^event-paid-[0-9a-f]{32}$/);
  expect(eventRunId('acme', 'evt-1', 'paid')).toBe(id);
  expect(eventRunId('globex', 'evt-1', 'paid')).not.toBe(id);
  expect(eventRunId('acme', 'evt-2', 'paid')).not.toBe(id);
});

describe('the workflow side', () => {
  function load() {
    jest.resetModules();
    return {
      fake: (require('../support/fake-workflow') as typeof import('../support/fake-workflow')).fake,
      patches: require('../../src/workflows/patches') as typeof import('../../src/workflows/patches'),
      events: require('../../src/workflows/events') as typeof import('../../src/workflows/events'),
    };
  }

  test('a run that recorded the earlier baseline keeps its changes and gets none added since; a new run records the new baseline alone', () => {
    const old = load();
    old.fake.patched = (id) => id === 'orchestra-baseline-2026-12';
    for (const change of ['localActivities', 'rateLimitedQueues', 'lightChains', 'finalStateMemo', 'avatarOnePass', 'digestPages'] as const) {
      expect([change, old.patches.hasChange(change)]).toEqual([change, true]);
    }
    expect(old.patches.hasChange('waitingForAttribute')).toBe(false);
    // A run from before any baseline: only the changes it recorded itself.
    const older = load();
    older.fake.patched = (id) => id === 'orchestra-local-activities';
    expect(older.patches.hasChange('localActivities')).toBe(true);
    expect(older.patches.hasChange('waitingForAttribute')).toBe(false);
    const fresh = load();
    expect(fresh.patches.hasChange('waitingForAttribute')).toBe(true);
    expect(fresh.patches.hasChange('lightChains')).toBe(true);
    expect(new Set(fresh.fake.patches)).toEqual(new Set(['orchestra-baseline-2027-01']));
  });

  test('a wait names its event in OrchestraWaitingFor while it waits, and only then', async () => {
    const w = load();
    w.events.listenForEvents();
    const first = w.events.takeEvent('approved', 60_000);
    const second = w.events.takeEvent('approved', 60_000);
    const other = w.events.takeEvent('shipped', 60_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(w.fake.searchAttributeUpserts).toEqual([{ OrchestraWaitingFor: ['approved'] }, { OrchestraWaitingFor: ['approved', 'shipped'] }]);
    w.fake.signal('event', { name: 'approved', payload: 1, id: 'e1' });
    w.fake.signal('event', { name: 'approved', payload: 2, id: 'e1' }); // the same id: dropped
    w.fake.signal('event', { name: 'approved', payload: 3 });
    expect([(await first)?.payload, (await second)?.payload]).toEqual([1, 3]);
    w.fake.signal('event', { name: 'shipped', payload: 4 });
    await other;
    expect(w.fake.searchAttributeUpserts.slice(2)).toEqual([{ OrchestraWaitingFor: ['shipped'] }, { OrchestraWaitingFor: null }]);
    // An event already in the inbox is taken without waiting: no upsert.
    w.fake.signal('event', { name: 'early', payload: 5 });
    expect((await w.events.takeEvent('early', 1000))?.payload).toBe(5);
    expect(w.fake.searchAttributeUpserts).toHaveLength(4);
  });

  test('runs from before the change never upsert it', async () => {
    const w = load();
    w.fake.patched = (id) => id === 'orchestra-baseline-2026-12';
    w.events.listenForEvents();
    const taken = w.events.takeEvent('approved', 60_000);
    await new Promise((resolve) => setImmediate(resolve));
    w.fake.signal('event', { name: 'approved', payload: 1 });
    await taken;
    expect(w.fake.searchAttributeUpserts).toEqual([]);
  });
});
