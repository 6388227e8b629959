/**
 * The API's security rules that are pure logic: task visibility in canvases and schedules,
 * reserved run ids, the JSON nesting limit, development mode's loopback-only rule.
 */
import { assertSafeToListen } from '../../src/http/auth';
import { MAX_JSON_DEPTH, nestingDepth, parseJson } from '../../src/http/body';
import { HttpProblem } from '../../src/http/problem';
import { validateCanvasRequest } from '../../src/canvas/validate';
import { commentWorkflowId } from '../../src/app/comments/model';
import { avatarWorkflowId, originalFileId } from '../../src/app/ids';
import { reservedPrefixOf } from '../../src/workflows/app/run-ids';
import { builtinSchedules } from '../../src/schedules/builtin';
import { validateScheduleDefinition, validateSchedulePatch } from '../../src/schedules/definition';
import { toTemporalAction } from '../../src/schedules/action';
import { TASKS } from '../../src/tasks/registry';

describe('task visibility', () => {
  test('demo tasks and spam screening are public; mail, users, comments, files, digests and thumbnails internal', () => {
    for (const task of TASKS.values()) expect(['public', 'internal']).toContain(task.visibility);
    for (const name of ['add', 'mul', 'xsum', 'divide', 'noop', 'sleep', 'flaky', 'spam.detect', 'spam.detectBatch'])
      expect([name, TASKS.get(name)?.visibility]).toEqual([name, 'public']);
    const internal = [...TASKS.keys()].filter((name) => /^(email|users|comments|files|digest)\./.test(name) || name === 'media.thumbnail');
    expect(internal.length).toBeGreaterThanOrEqual(10);
    for (const name of internal) expect([name, TASKS.get(name)!.visibility]).toEqual([name, 'internal']);
  });

  const mail = { task: 'email.send', args: [{ to: 'x@example.com', subject: 's', text: 't' }] };

  test('a public caller naming an internal task gets its JSON path, wherever it is in the canvas', () => {
    const result = validateCanvasRequest(
      {
        canvas: {
          chain: [
            { task: 'add', args: [1, 2] },
            { ...mail, immutable: true },
          ],
        },
      },
      { reach: 'public' },
    );
    expect(result).toEqual({ ok: false, issues: [{ path: 'canvas.chain[1].task', message: expect.stringContaining('is internal') }] });
    const mapped = validateCanvasRequest({ canvas: { map: { task: 'media.thumbnail', items: [] } } }, { reach: 'public' });
    expect(mapped.ok ? [] : mapped.issues.map((i) => i.path)).toEqual(['canvas.map.task']);
    const errback = validateCanvasRequest({ canvas: { task: 'add', args: [1, 2] }, onError: { task: 'files.cleanupOrphans' } }, { reach: 'public' });
    expect(errback.ok ? [] : errback.issues.map((i) => i.path)).toEqual(['onError.task']);
  });

  test('public tasks pass for a public caller; internal ones for code and admin (reach internal)', () => {
    expect(validateCanvasRequest({ canvas: { task: 'spam.detect', args: [{ text: 'hello' }] } }, { reach: 'public' }).ok).toBe(true);
    expect(validateCanvasRequest({ canvas: mail }, { reach: 'internal' }).ok).toBe(true);
    expect(validateCanvasRequest({ canvas: mail }).ok).toBe(true); // code workflows' default
  });

  test('API schedules refuse internal tasks and code workflows that run them; built-ins still validate', () => {
    const schedule = (action: unknown) => ({ id: 'x', spec: { intervals: [{ every: '1h' }] }, action });
    const canvas = validateScheduleDefinition(schedule({ canvas: { group: [{ task: 'noop' }, mail] } }), 'public');
    expect(canvas.ok ? [] : canvas.issues.map((i) => i.path)).toEqual(['action.canvas.group[1].task']);
    const digest = validateScheduleDefinition(schedule({ workflow: 'digest' }), 'public');
    expect(digest).toEqual({ ok: false, issues: [{ path: 'action.workflow', message: expect.stringContaining('is internal') }] });
    expect(validateScheduleDefinition(schedule({ workflow: 'arithmeticDemo', args: [1, 2] }), 'public').ok).toBe(true);
    const patch = validateSchedulePatch({ action: { canvas: mail } }, 'public');
    expect(patch.ok ? [] : patch.issues.map((i) => i.path)).toEqual(['action.canvas.task']);
    const config = { schedules: { timezone: 'UTC', builtins: 'on' } } as Parameters<typeof builtinSchedules>[0];
    for (const declaration of builtinSchedules(config)) expect([declaration.id, validateScheduleDefinition(declaration).ok]).toEqual([declaration.id, true]);
  });
});

describe('reserved run ids', () => {
  test('the ids the application makes for its own runs are reserved, by the same prefixes that make them', () => {
    expect(reservedPrefixOf(commentWorkflowId('65a1b2c3d4e5f60718293a4b'))).toBe('comment-');
    expect(reservedPrefixOf(avatarWorkflowId(originalFileId('65a1b2c3d4e5f60718293a4b', 'ab'.repeat(32))))).toBe('avatar-');
    const action = toTemporalAction({ canvas: { task: 'noop' } }, { scheduleId: 'nightly', memo: {}, tenant: 'team-a' });
    expect(reservedPrefixOf((action as { workflowId: string }).workflowId)).toBe('schedule-');
    expect(reservedPrefixOf('temporal-sys-scheduler:nightly')).toBe('temporal-sys-');
    expect(reservedPrefixOf('COMMENT-65a1b2c3d4e5f60718293a4b')).toBe('comment-');
    expect(reservedPrefixOf('report-2030-01-01')).toBeUndefined();
    expect(reservedPrefixOf('canvas-1234')).toBeUndefined();
  });
});

describe('JSON bodies', () => {
  const problem = (text: string): HttpProblem | undefined => {
    try {
      parseJson(text);
      return undefined;
    } catch (error) {
      return error as HttpProblem;
    }
  };

  test('nesting is counted in one pass, ignoring brackets inside strings', () => {
    expect(nestingDepth('{"a": [1, {"b": []}]}')).toBe(4);
    expect(nestingDepth('{"a": "[[[[{{{{\\"[["}')).toBe(1);
    expect(nestingDepth('3')).toBe(0);
    expect(nestingDepth('['.repeat(1_000_000), 10)).toBe(11); // stops early
  });

  test('deep nesting, bad JSON and __proto__ keys are 400s with a message', () => {
    const deep = problem(`${'['.repeat(10_000)}${']'.repeat(10_000)}`);
    expect([deep?.status, deep?.detail]).toEqual([400, `The body nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels.`]);
    expect(problem(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`)).toBeUndefined();
    expect(problem('{"a": ')?.status).toBe(400);
    expect(problem('{"a": {"__proto__": {"admin": true}}}')?.errors).toEqual([{ path: '', message: 'keys named "__proto__" are not accepted' }]);
    expect(problem('{"constructor": {"prototype": 1}}')).toBeUndefined();
  });
});

describe('development mode', () => {
  test('listens on loopback only; with keys (no dev mode) anywhere', () => {
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.5']) expect(() => assertSafeToListen(host, true)).not.toThrow();
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'api.example.com'])
      expect(() => assertSafeToListen(host, true)).toThrow(/refusing to listen on .* in development mode.*API_KEYS/);
    expect(() => assertSafeToListen('0.0.0.0', false)).not.toThrow();
  });
});
