/** The canvas validator, durations and option merging, without servers. */
import { durationMs, MAX_DURATION_MS, parseDuration } from '../../src/workflows/language/duration';
import { LIMITS } from '../../src/workflows/language/limits';
import { mergeOptions, toActivityOptions } from '../../src/workflows/language/step-options';
import { joinPath, validateCanvasRequest, type Issue } from '../../src/canvas/validate';

const t = (task: string, ...args: unknown[]) => ({ task, args });

function issues(body: unknown): Issue[] {
  const result = validateCanvasRequest(body);
  if (result.ok) throw new Error('expected the request to be invalid');
  return result.issues;
}

const paths = (body: unknown) => issues(body).map((i) => i.path);
const valid = (body: unknown) => expect(validateCanvasRequest(body)).toEqual({ ok: true, value: body });

describe('valid canvases', () => {
  test.each([
    ['a task', { canvas: t('add', 4, 5) }],
    ['the chain of the docs', { canvas: { chain: [t('add', 4, 5), t('add', 6), t('mul', 7)] } }],
    ['a chord by chain', { canvas: { chain: [{ group: [t('add', 2, 2), t('add', 4, 4)] }, t('xsum')] } }],
    ['a group given the chain input', { canvas: { chain: [t('add', 1, 1), { group: [t('mul', 2), t('mul', 3)] }] } }],
    ['an immutable step', { canvas: { chain: [t('add', 1, 1), { ...t('add', 2, 2), immutable: true }] } }],
    ['a chord', { canvas: { chord: { header: [t('add', 1, 1)], body: t('xsum'), maxConcurrency: 2, settle: true } } }],
    ['a map with items and args', { canvas: { map: { task: 'add', items: [1, 2], args: [10] } } }],
    ['a map over the input', { canvas: { chain: [t('noop', [1, 2]), { map: { task: 'mul', args: [2] } }] } }],
    [
      'a starmap',
      {
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
      },
    ],
    ['a starmap over the input', { canvas: { chain: [t('noop', [[1, 2]]), { map: { task: 'add', spread: true } }] } }],
    ['kwargs in any order', { canvas: { task: 'divide', kwargs: { y: 2, x: 1 } } }],
    ['kwargs after the input', { canvas: { chain: [t('add', 1, 1), { task: 'divide', kwargs: { y: 2 } }] } }],
    ['an optional parameter left out', { canvas: t('noop') }],
    [
      'every option',
      {
        canvas: {
          ...t('sleep', 10),
          options: {
            queue: 'default',
            retry: { maxAttempts: 5, initialInterval: '1s', backoffCoefficient: 2, maxInterval: '1m', nonRetryable: ['ZeroDivisionError'] },
            startToCloseTimeout: '30s',
            scheduleToCloseTimeout: '5m',
            heartbeatTimeout: 10_000,
            delay: '1.5s',
          },
        },
      },
    ],
    [
      'the envelope',
      {
        canvas: t('add', 1, 1),
        defaults: { retry: { maxAttempts: 3 } },
        workflowId: 'invoice-2024/001',
        exclusive: true,
        timeout: '1h',
        onError: { task: 'noop', onCancel: true },
      },
    ],
  ])('%s', (_name, body) => valid(body));
});

describe('paths and messages', () => {
  test('an argument of the wrong type names its index', () => {
    expect(issues({ canvas: { chain: [t('add', 1, 1), t('add', 2), t('mul', 'x')] } })).toEqual([
      { path: 'canvas.chain[2].args[0]', message: expect.stringContaining('number') },
    ]);
  });

  test('the first step of a top-level chain receives nothing; later steps receive the previous result', () => {
    expect(issues({ canvas: { chain: [t('add', 1), t('add', 2, 3)] } })).toEqual([
      { path: 'canvas.chain[0].args', message: 'is missing y: add(x, y)' },
      { path: 'canvas.chain[1].args[1]', message: 'is one argument too many: add(x, y) already receives the previous result first' },
    ]);
  });

  test('an unknown task lists the known ones', () => {
    expect(issues({ canvas: { task: 'explode' } })).toEqual([
      { path: 'canvas.task', message: expect.stringMatching(/^unknown task "explode"; known tasks: add, mul/) },
    ]);
  });

  test('every problem at once, argument problems even beside an unknown field', () => {
    expect(
      paths({
        canvas: { group: [{ ...t('add', 1, 'y'), colour: 'red' }, { group: [] }, { chain: 'no' }, 42, {}, { task: 'add', chain: [] }] },
        defaults: { queue: 'gpu', delay: 'later' },
        workflowId: 'has spaces',
        exclusive: 'yes',
        extra: 1,
      }),
    ).toEqual([
      'extra',
      'canvas.group[0].colour',
      'canvas.group[0].args[1]',
      'canvas.group[1].group',
      'canvas.group[2].chain',
      'canvas.group[3]',
      'canvas.group[4]',
      'canvas.group[5]',
      'defaults.queue',
      'defaults.delay',
      'workflowId',
      'exclusive',
    ]);
  });

  test('kwargs: unknown names, names also given by position, wrong types', () => {
    expect(
      issues({ canvas: { chain: [t('add', 1, 1), { task: 'add', args: [2], kwargs: { x: 1, z: 3 } }, { task: 'divide', kwargs: { y: 'two' } }] } }),
    ).toEqual([
      { path: 'canvas.chain[1].kwargs.x', message: 'is given twice (also by position) to add(x, y)' },
      { path: 'canvas.chain[1].kwargs.z', message: 'is not a parameter of add(x, y)' },
      { path: 'canvas.chain[2].kwargs.y', message: expect.stringContaining('number') },
    ]);
  });

  test('a map names the bad item, and its own args by their own index', () => {
    expect(issues({ canvas: { map: { task: 'add', items: [1, 'two', 3, 'four'], args: ['ten'] } } })).toEqual([
      { path: 'canvas.map.items[1]', message: expect.stringContaining('number') },
      { path: 'canvas.map.items[3]', message: expect.stringContaining('number') },
      { path: 'canvas.map.args[0]', message: expect.stringContaining('number') },
    ]);
  });

  test('a map: missing arguments are reported once, not per item', () => {
    expect(issues({ canvas: { map: { task: 'add', items: [1, 2, 3] } } })).toEqual([{ path: 'canvas.map.args', message: 'is missing y: add(x, y)' }]);
  });

  test('a starmap checks each item as the leading args', () => {
    expect(issues({ canvas: { map: { task: 'add', items: [[1, 2], [1], 3, [1, 'x'], [1, 2, 3]], spread: true } } })).toEqual([
      { path: 'canvas.map.items[1]', message: 'is missing y: add(x, y)' },
      { path: 'canvas.map.items[2]', message: 'must be an array of arguments: the map has "spread": true' },
      { path: 'canvas.map.items[3][1]', message: expect.stringContaining('number') },
      { path: 'canvas.map.items[4][2]', message: 'is one argument too many: add(x, y)' },
    ]);
  });

  test('a map without items needs an input', () => {
    expect(issues({ canvas: { map: { task: 'mul', args: [2] } } })).toEqual([
      { path: 'canvas.map.items', message: expect.stringContaining('maps over its input') },
    ]);
  });

  test('a chord: its header, body and fields', () => {
    expect(paths({ canvas: { chord: { header: [], body: t('nope'), settle: 'yes' }, maxConcurrency: 2 } })).toEqual([
      'canvas.maxConcurrency',
      'canvas.chord.settle',
      'canvas.chord.header',
      'canvas.chord.body.task',
    ]);
    expect(paths({ canvas: { chord: { header: [t('add', 1, 1)] } } })).toEqual(['canvas.chord']);
  });

  test('the chord body receives the header array: xsum needs no args there', () => {
    valid({ canvas: { chord: { header: [t('add', 1, 1)], body: t('xsum') } } });
    expect(paths({ canvas: { chord: { header: [t('add', 1, 1)], body: t('xsum', [1]) } } })).toEqual(['canvas.chord.body.args[0]']);
  });

  test('options: unknown queues, fields and bad retry values', () => {
    expect(
      issues({
        canvas: { ...t('add', 1, 1), options: { queue: 'gpu', retries: 3, retry: { maxAttempts: 0, backoffCoefficient: 0.5, nonRetryable: 'FlakyError' } } },
      }),
    ).toEqual([
      { path: 'canvas.options.queue', message: 'must be one of the pools: default, ml, email, media, python' },
      { path: 'canvas.options.retry.maxAttempts', message: expect.stringContaining('>=1') },
      { path: 'canvas.options.retry.backoffCoefficient', message: expect.stringContaining('>=1') },
      { path: 'canvas.options.retry.nonRetryable', message: expect.stringContaining('array') },
      { path: 'canvas.options.retries', message: 'is not a known field' },
    ]);
  });

  test('the errback receives the failure first', () => {
    valid({ canvas: t('add', 1, 1), onError: { task: 'noop' } });
    expect(issues({ canvas: t('add', 1, 1), onError: { task: 'add', args: [1, 2], onCancel: 'yes' } })).toEqual([
      { path: 'onError.onCancel', message: 'must be a boolean' },
      { path: 'onError.args[1]', message: 'is one argument too many: add(x, y) already receives the previous result first' },
    ]);
    expect(paths({ canvas: t('add', 1, 1), onError: { chain: [] } })).toEqual(['onError']);
  });

  test('not an object', () => {
    for (const body of [null, [], 'canvas', 3]) expect(issues(body)).toEqual([{ path: '', message: 'must be a JSON object with a "canvas" field' }]);
    expect(issues({})).toEqual([{ path: 'canvas', message: 'is required' }]);
  });

  test('joinPath', () => {
    expect(joinPath('', ['canvas', 'chain', 2, 'args', 0])).toBe('canvas.chain[2].args[0]');
    expect(joinPath('canvas.options', ['retry', 'maxAttempts'])).toBe('canvas.options.retry.maxAttempts');
  });
});

describe('limits', () => {
  test('nodes', () => {
    const group = (n: number) => ({ canvas: { group: Array.from({ length: n }, () => t('add', 1, 1)) } });
    valid(group(LIMITS.maxNodes - 1));
    expect(issues(group(LIMITS.maxNodes))).toEqual([{ path: 'canvas', message: `has ${LIMITS.maxNodes + 1} nodes; the limit is ${LIMITS.maxNodes}` }]);
    // Code workflows build canvases in memory: only the request body has a node limit.
    expect(validateCanvasRequest(group(LIMITS.maxNodes * 3), { nodeLimit: false }).ok).toBe(true);
  });

  test('depth', () => {
    const nest = (depth: number) => {
      let canvas: object = t('add', 1, 1);
      for (let i = 0; i < depth; i++) canvas = { chain: [canvas] };
      return { canvas };
    };
    valid(nest(LIMITS.maxDepth));
    const problems = issues(nest(LIMITS.maxDepth + 1));
    expect(problems).toEqual([{ path: `canvas${'.chain[0]'.repeat(LIMITS.maxDepth + 1)}`, message: `nesting is deeper than ${LIMITS.maxDepth}` }]);
  });

  test('fan-out and concurrency', () => {
    expect(paths({ canvas: { map: { task: 'noop', items: new Array(LIMITS.maxFanOut + 1).fill(1) } } })).toEqual(['canvas.map.items']);
    expect(paths({ canvas: { group: [t('add', 1, 1)], maxConcurrency: LIMITS.maxConcurrency + 1 } })).toEqual(['canvas.maxConcurrency']);
    expect(paths({ canvas: { map: { task: 'noop', items: [1], maxConcurrency: 0 } } })).toEqual(['canvas.map.maxConcurrency']);
  });

  test('a map over thousands of bad items stops at 100 problems', () => {
    expect(issues({ canvas: { map: { task: 'add', items: new Array(5000).fill('x'), args: [1] } } })).toHaveLength(100);
  });

  test('a large valid map validates quickly', () => {
    const started = Date.now();
    valid({ canvas: { map: { task: 'add', items: Array.from({ length: 10_000 }, (_, i) => i), args: [1] } } });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('durations', () => {
  test.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1.5s', 1500],
    [' 2s ', 2000],
    [0, 0],
    [250, 250],
  ])('%p is %p ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
    expect(durationMs(input)).toBe(expected);
  });

  test.each([['5 minutes'], ['s'], ['-1s'], ['1w'], [-1], [1.5], [null], [{}], ['']])('%p is not a duration', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });

  test('durations are capped at 366 days: the cap itself is one, anything longer or absurd is not', () => {
    expect(MAX_DURATION_MS).toBe(366 * 86_400_000);
    for (const atCap of ['366d', '8784h', '527040m', `${MAX_DURATION_MS / 1000}s`, `${MAX_DURATION_MS}ms`, MAX_DURATION_MS])
      expect([atCap, parseDuration(atCap)]).toEqual([atCap, MAX_DURATION_MS]);
    const tooLong = [
      '367d',
      '366.5d',
      `${MAX_DURATION_MS + 1}ms`,
      MAX_DURATION_MS + 1,
      `1${'0'.repeat(400)}s`,
      `${'9'.repeat(400)}.5ms`,
      1e300,
      Number.MAX_SAFE_INTEGER,
      Number.MAX_VALUE,
      `1${'0'.repeat(20)}d`,
    ];
    for (const value of tooLong) expect([String(value).slice(0, 30), parseDuration(value)]).toEqual([String(value).slice(0, 30), undefined]);
  });

  test('durationMs, for durations already accepted (workflow code), is not capped: runs recorded before the cap replay unchanged', () => {
    expect(durationMs('400d')).toBe(400 * 86_400_000);
  });

  test('durationMs throws on what is not a duration', () => {
    expect(() => durationMs('soon')).toThrow('not a duration: "soon"');
  });

  test('the validator reports each bad duration once, where it is', () => {
    const message = 'must be a duration like "500ms", "30s", "5m", "1h" or integer milliseconds, at most "366d"';
    expect(issues({ canvas: t('add', 1, 1), defaults: { delay: -5, heartbeatTimeout: true, startToCloseTimeout: 1.5 } })).toEqual([
      { path: 'defaults.startToCloseTimeout', message },
      { path: 'defaults.heartbeatTimeout', message },
      { path: 'defaults.delay', message },
    ]);
    expect(
      paths({ canvas: { ...t('add', 1, 1), options: { delay: 'soon', startToCloseTimeout: -5, retry: { maxInterval: '1 minute' } } }, timeout: '1 hour' }),
    ).toEqual(['canvas.options.retry.maxInterval', 'canvas.options.startToCloseTimeout', 'canvas.options.delay', 'timeout']);
  });

  test('an absurdly long duration is a 400 at its path, wherever it is', () => {
    const huge = `1${'0'.repeat(400)}s`;
    const message = 'must be a duration like "500ms", "30s", "5m", "1h" or integer milliseconds, at most "366d"';
    expect(issues({ canvas: { ...t('add', 1, 1), options: { delay: 1e300 } }, timeout: huge, defaults: { retry: { maxInterval: '367d' } } })).toEqual([
      { path: 'canvas.options.delay', message },
      { path: 'defaults.retry.maxInterval', message },
      { path: 'timeout', message },
    ]);
  });
});

describe('option merging', () => {
  test('outside in, retry field by field, undefined never erases', () => {
    const registry = { startToCloseTimeout: '30s', retry: { maxAttempts: 3, initialInterval: '1s', backoffCoefficient: 2 } };
    const defaults = { heartbeatTimeout: '10s', retry: { maxAttempts: 5 } };
    const chain = { startToCloseTimeout: '1m', retry: { initialInterval: '2s' } };
    const own = { queue: 'ml', retry: { nonRetryable: ['FlakyError'] }, delay: undefined };
    expect(mergeOptions(registry, defaults, undefined, chain, own)).toEqual({
      startToCloseTimeout: '1m',
      heartbeatTimeout: '10s',
      queue: 'ml',
      retry: { maxAttempts: 5, initialInterval: '2s', backoffCoefficient: 2, nonRetryable: ['FlakyError'] },
    });
  });

  test('mergeOptions does not modify its layers', () => {
    const layer = { retry: { maxAttempts: 2 } };
    mergeOptions(layer, { retry: { maxAttempts: 9 } });
    expect(layer).toEqual({ retry: { maxAttempts: 2 } });
  });

  test('toActivityOptions maps onto Temporal', () => {
    const options = mergeOptions(
      {
        startToCloseTimeout: '30s',
        retry: { maxAttempts: 3, initialInterval: '1s', backoffCoefficient: 2, maxInterval: '1m', nonRetryable: ['ZeroDivisionError'] },
      },
      { queue: 'ml', heartbeatTimeout: '5s', scheduleToCloseTimeout: '5m' },
    );
    expect(toActivityOptions(options, 'default', 'canvas.chain[0]')).toEqual({
      activityId: 'canvas.chain[0]',
      taskQueue: 'orchestra-ml',
      startToCloseTimeout: 30_000,
      scheduleToCloseTimeout: 300_000,
      heartbeatTimeout: 5000,
      retry: { maximumAttempts: 3, initialInterval: 1000, backoffCoefficient: 2, maximumInterval: 60_000, nonRetryableErrorTypes: ['ZeroDivisionError'] },
    });
  });

  test('toActivityOptions: the home queue, and a timeout when none is given', () => {
    const activity = toActivityOptions({}, 'default', 'x');
    expect(activity.taskQueue).toBe('orchestra-default');
    expect(activity.startToCloseTimeout).toBe(5 * 60_000);
  });
});

describe('wait nodes', () => {
  test.each([
    ['in a chain, with a default', { canvas: { chain: [t('add', 1, 1), { wait: { event: 'approved', timeout: '24h', default: { ok: false } } }, t('noop')] } }],
    ['alone, null default', { canvas: { wait: { event: 'a.b:c-d_e', timeout: 1000, default: null } } }],
    ['in a group, with an id', { canvas: { group: [{ wait: { event: 'x', timeout: '1m' }, id: 'approval' }, t('add', 1, 2)] } }],
  ])('%s is valid', (_name, body) => valid(body));

  test('bad names, timeouts and fields, each with its path', () => {
    expect(
      paths({
        canvas: {
          chain: [
            { wait: { event: 'has space', timeout: '1m' } },
            { wait: { event: 'ok' } },
            { wait: { event: 'ok', timeout: 'soon', extra: 1 } },
            { wait: 'approved' },
          ],
        },
      }).sort(),
    ).toEqual(
      [
        'canvas.chain[0].wait.event',
        'canvas.chain[1].wait.timeout',
        'canvas.chain[2].wait.extra',
        'canvas.chain[2].wait.timeout',
        'canvas.chain[3].wait',
      ].sort(),
    );
    expect(paths({ canvas: { wait: { event: 'x'.repeat(101), timeout: '1m' } } })).toEqual(['canvas.wait.event']);
    expect(paths({ canvas: { wait: { event: 'x', timeout: '1m' }, task: 'add' } })).toEqual(['canvas']);
  });
});
