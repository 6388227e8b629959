/** TASK_RATE_LIMITS (src/config.ts): a deployment's per-task rate over the catalog's maxPerSecond. */
import { loadConfig } from '../../src/config';
import { getTaskSpec, limitedQueueOf, RATE_LIMITED_TASKS, whyNotLocal } from '../../src/workflows/tasks/catalog';

const withEnv = (value: string | undefined, read: () => unknown): unknown => {
  const before = process.env.TASK_RATE_LIMITS;
  if (value === undefined) delete process.env.TASK_RATE_LIMITS;
  else process.env.TASK_RATE_LIMITS = value;
  try {
    return read();
  } finally {
    if (before === undefined) delete process.env.TASK_RATE_LIMITS;
    else process.env.TASK_RATE_LIMITS = before;
  }
};

test("defaults are the catalog's maxPerSecond; the variable overrides one task", () => {
  expect(withEnv(undefined, () => loadConfig().taskRateLimits)).toEqual({ throttled: 5, 'email.send': 50 });
  expect(withEnv('{"email.send": 2.5}', () => loadConfig().taskRateLimits)).toEqual({ throttled: 5, 'email.send': 2.5 });
});

test('a task the catalog does not rate-limit, a bad number or bad JSON stops the process at start', () => {
  expect(() => withEnv('{"add": 5}', loadConfig)).toThrow(/add declares no maxPerSecond/);
  expect(() => withEnv('{"throttled": 0}', loadConfig)).toThrow(/throttled must be a number of activities per second above 0/);
  expect(() => withEnv('{"throttled": "5"}', loadConfig)).toThrow(/throttled must be a number/);
  expect(() => withEnv('email.send=5', loadConfig)).toThrow(/must be a JSON object/);
  expect(() => withEnv('[1]', loadConfig)).toThrow(/must be a JSON object/);
});

test('each rate-limited task has its own queue in its home pool and never runs locally', () => {
  expect(RATE_LIMITED_TASKS.map((t) => [t.name, limitedQueueOf(t)])).toEqual([
    ['throttled', 'orchestra-default-limited-throttled'],
    ['email.send', 'orchestra-email-limited-email.send'],
  ]);
  expect(whyNotLocal(getTaskSpec('throttled')!)).toMatch(/rate-limited/);
});
