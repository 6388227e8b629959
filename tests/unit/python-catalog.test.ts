/**
 * The API's side of the Python pool with no server: the catalog the pool publishes, read
 * through a stub loader (caching, the last known list, malformed entries), the step
 * defaults Celery's options map to, and canvases validated against Python signatures.
 */
import { validateCanvasRequest } from '../../src/canvas/validate';
import { mentionedTaskNames, PythonCatalog, pythonTaskDefinition, pythonTasksFor, pythonTasksOf, type PublishedTask } from '../../src/tasks/python-catalog';

const published = (name: string, over: Partial<PublishedTask> = {}): PublishedTask => ({
  name,
  description: `${name} in Python`,
  params: [
    { name: 'a', kind: 'positional', optional: false },
    { name: 'b', kind: 'positional', optional: true },
  ],
  varArgs: false,
  varKwargs: false,
  bind: false,
  maxRetries: 3,
  defaultRetryDelay: 180,
  autoretryFor: [],
  retryBackoff: false,
  timeLimit: null,
  softTimeLimit: null,
  ...over,
});

describe("Celery's options as step defaults", () => {
  test('max_retries bounds the attempts (None: no bound); time_limit is the backstop of the attempt; heartbeats notice a dead pool', () => {
    expect(pythonTaskDefinition(published('t')).defaults).toEqual({
      startToCloseTimeout: '1h',
      heartbeatTimeout: '10s',
      retry: { maxAttempts: 4, initialInterval: '1s', backoffCoefficient: 2, maxInterval: '1m' },
    });
    const limited = pythonTaskDefinition(published('t', { maxRetries: null, timeLimit: 2.5 }));
    expect(limited.defaults.retry?.maxAttempts).toBe(0);
    expect(limited.defaults.startToCloseTimeout).toBe(12_500);
    expect(limited).toMatchObject({ pool: 'python', visibility: 'public', celery: { maxRetries: null, timeLimit: 2.5 } });
  });
});

describe('the catalog reader', () => {
  test('reads once per ttl, keeps the last list when the database fails, and fails only when it never read one', async () => {
    let reads = 0;
    let fail = false;
    const catalog = new PythonCatalog(async () => {
      reads++;
      if (fail) throw new Error('database down');
      return { app: 'tasks:app', tasks: [published('tasks.a')] };
    }, 60_000);
    expect([...(await catalog.tasks()).keys()]).toEqual(['tasks.a']);
    await catalog.tasks();
    expect(reads).toBe(1);

    const stale = new PythonCatalog(async () => {
      reads++;
      if (fail) throw new Error('database down');
      return { app: 'tasks:app', tasks: [published('tasks.a')] };
    }, 0);
    await stale.tasks();
    fail = true;
    expect([...(await stale.tasks()).keys()]).toEqual(['tasks.a']);
    await expect(new PythonCatalog(async () => Promise.reject(new Error('database down'))).tasks()).rejects.toThrow('database down');
  });

  test('no document is no tasks; a malformed entry and a built-in name are skipped', async () => {
    expect((await new PythonCatalog(async () => null).tasks()).size).toBe(0);
    const catalog = new PythonCatalog(async () => ({ app: 'x:app', tasks: [published('ok'), { name: 'broken' }, published('add')] }));
    expect([...(await catalog.tasks()).keys()]).toEqual(['ok']);
  });

  test('a canvas that names only registry tasks does not read the catalog', async () => {
    let reads = 0;
    const catalog = new PythonCatalog(async () => {
      reads++;
      return { app: 'x:app', tasks: [published('py.t')] };
    });
    expect((await pythonTasksFor(catalog, { canvas: { chain: [{ task: 'add', args: [1, 2] }, { map: { task: 'mul', items: [1] } }] } })).size).toBe(0);
    expect(reads).toBe(0);
    expect([...mentionedTaskNames({ canvas: { group: [{ task: 'add' }, { chunks: { task: 'py.t', items: [] } }] } })]).toEqual(['add', 'py.t']);
    expect([...(await pythonTasksFor(catalog, { canvas: { task: 'py.t' } })).keys()]).toEqual(['py.t']);
    expect(reads).toBe(1);
  });
});

describe('validation against Python signatures', () => {
  const python = new Map(
    [
      published('py.ab'),
      published('py.star', {
        params: [
          { name: 'a', kind: 'positionalOnly', optional: false },
          { name: 'scale', kind: 'keywordOnly', optional: false },
        ],
        varArgs: true,
        varKwargs: true,
      }),
    ].map((t) => [t.name, pythonTaskDefinition(t)]),
  );
  const issues = (canvas: unknown) => {
    const v = validateCanvasRequest({ canvas }, { reach: 'public', python });
    return v.ok ? [] : v.issues;
  };

  test('positional, optional and keyword arguments as Python binds them', () => {
    expect(issues({ task: 'py.ab', args: [1] })).toEqual([]);
    expect(issues({ task: 'py.ab', kwargs: { a: 1, b: 2 } })).toEqual([]);
    expect(issues({ task: 'py.ab', args: [1, 2, 3] })).toEqual([{ path: 'canvas.args[2]', message: 'is one argument too many: py.ab(a, b?)' }]);
    expect(issues({ task: 'py.ab', args: [1], kwargs: { a: 2 } })).toEqual([
      { path: 'canvas.kwargs.a', message: 'is given twice (also by position) to py.ab(a, b?)' },
    ]);
    expect(issues({ task: 'py.ab', args: [] })).toEqual([{ path: 'canvas.args', message: 'is missing a: py.ab(a, b?)' }]);
  });

  test('*args, keyword-only, positional-only and **kwargs', () => {
    expect(issues({ task: 'py.star', args: [1, 2, 3], kwargs: { scale: 2, anything: true } })).toEqual([]);
    expect(issues({ task: 'py.star', args: [1] })).toEqual([{ path: 'canvas.args', message: 'is missing scale: py.star(a, *args, scale, **kwargs)' }]);
    // Positional-only cannot be named; with **kwargs the name lands there, and `a` is still missing.
    expect(issues({ task: 'py.star', kwargs: { a: 1, scale: 1 } })).toEqual([
      { path: 'canvas.args', message: 'is missing a: py.star(a, *args, scale, **kwargs)' },
    ]);
  });

  test('an unknown name lists the Python tasks too; a Python task cannot run locally or be routed by a non-admin', () => {
    expect(issues({ task: 'py.nope' })[0].message).toMatch(/known tasks: .*add.*py\.ab, py\.star/);
    expect(issues({ task: 'py.ab', args: [1], options: { local: true } })).toEqual([
      { path: 'canvas.options.local', message: 'cannot be true: py.ab is a Python task and runs on the python pool only' },
    ]);
    expect(issues({ task: 'py.ab', args: [1], options: { queue: 'default' } })[0]).toMatchObject({ path: 'canvas.options.queue' });
  });

  test('the run carries the specs of the Python tasks it names, without schemas', () => {
    const v = validateCanvasRequest({ canvas: { chain: [{ task: 'add', args: [1, 2] }, { task: 'py.ab' }] } }, { python });
    expect(v.ok).toBe(true);
    const specs = pythonTasksOf(v.ok ? v.value : ({} as never), python)!;
    expect(Object.keys(specs)).toEqual(['py.ab']);
    expect(JSON.parse(JSON.stringify(specs['py.ab']))).toEqual({
      name: 'py.ab',
      visibility: 'public',
      pool: 'python',
      description: 'py.ab in Python',
      params: [
        { name: 'a', optional: false, kind: 'positional' },
        { name: 'b', optional: true, kind: 'positional' },
      ],
      varArgs: false,
      varKwargs: false,
      defaults: pythonTaskDefinition(published('py.ab')).defaults,
    });
  });
});
