/** The registry is the one home of tasks: workers, validation and docs must agree with it. */
import { closeActivityDeps, createActivityDeps, createImplementations } from '../../src/activities';
import { loadConfig } from '../../src/config';
import { checkArgs, checkJson } from '../../src/activities/contract';
import { ACTIVITY_POOL_NAMES } from '../../src/workflows/tasks/pools';
import { getTask, TASKS } from '../../src/tasks/registry';

describe('task registry', () => {
  const deps = createActivityDeps(loadConfig());
  afterAll(() => closeActivityDeps(deps));

  test('every task has an implementation, and every implementation a task', () => {
    expect(Object.keys(createImplementations(deps)).sort()).toEqual([...TASKS.keys()].sort());
  });

  test('every task lives on an activity pool and has a timeout', () => {
    for (const task of TASKS.values()) {
      expect(ACTIVITY_POOL_NAMES).toContain(task.pool);
      expect(task.defaults.startToCloseTimeout ?? task.defaults.scheduleToCloseTimeout).toBeDefined();
      expect(new Set(task.params.map((p) => p.name)).size).toBe(task.params.length);
    }
  });
});

describe('task contract', () => {
  const divide = getTask('divide')!;

  test('arguments are checked against the registry schema', () => {
    expect(checkArgs(divide, [1, 2])).toBeUndefined();
    expect(checkArgs(divide, [1])).toBe('missing argument y');
    expect(checkArgs(divide, [1, 'x'])).toMatch(/^argument y: /);
    expect(checkArgs(divide, [1, 2, 3])).toMatch(/at most 2 arguments/);
  });

  test('results must be JSON all the way down', () => {
    expect(checkJson({ a: [1, 'b', null, true, { c: 2 }] })).toBeUndefined();
    expect(checkJson(undefined)).toBe('result is undefined');
    expect(checkJson({ when: new Date(0) })).toBe('result.when is a Date');
    expect(checkJson([1, Number.NaN])).toBe('result[1] is NaN');
    expect(checkJson({ f: () => 1 })).toBe('result.f is a function');
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    expect(checkJson(loop)).toBe('result.self is circular');
  });
});
