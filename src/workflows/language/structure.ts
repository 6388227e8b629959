/**
 * The structural check a workflow makes of a canvas it was handed: every node is one known
 * kind with the fields that kind needs, every task is in the catalog, nesting is bounded.
 * Workflow-safe (no zod): the full validation, arguments against each task's schema
 * included, happens once at the edge (./validate.ts, used by the API and the schedules);
 * a run started another way (the temporal CLI, a client) gets this check, and a task that
 * receives arguments of the wrong type fails with InvalidArgumentsError when it runs.
 */
import { findTaskSpec, type PythonTaskSpecs } from '../tasks/catalog';
import type { Issue } from './issues';
import { LIMITS } from './limits';
import { parseDuration } from './duration';
import { EVENT_NAME_PATTERN } from './events';

const KINDS = ['task', 'chain', 'group', 'chord', 'map', 'chunks', 'wait'] as const;

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class StructureCheck {
  readonly issues: Issue[] = [];

  constructor(private readonly pythonTasks: PythonTaskSpecs | undefined) {}

  private add(path: string, message: string): void {
    if (this.issues.length < 100) this.issues.push({ path, message });
  }

  node(value: unknown, path: string, depth: number): void {
    if (depth > LIMITS.maxDepth) return this.add(path, `nesting is deeper than ${LIMITS.maxDepth}`);
    if (!isObject(value)) return this.add(path, `must be a node: an object with one of ${KINDS.join(', ')}`);
    const kinds = KINDS.filter((k) => k in value);
    if (kinds.length !== 1) {
      return this.add(path, kinds.length === 0 ? `must have one of ${KINDS.join(', ')}` : `has ${kinds.join(' and ')}; a node is one kind`);
    }
    switch (kinds[0]) {
      case 'task':
        return this.call(value, path);
      case 'chain':
      case 'group':
        return this.members(value[kinds[0]], `${path}.${kinds[0]}`, depth);
      case 'chord': {
        const chord = value.chord;
        if (!isObject(chord)) return this.add(`${path}.chord`, 'must be {"header": [node, ...], "body": node}');
        this.members(chord.header, `${path}.chord.header`, depth);
        return this.node(chord.body, `${path}.chord.body`, depth + 1);
      }
      case 'map':
        return this.fanOut(value.map, `${path}.map`, false);
      case 'chunks':
        return this.fanOut(value.chunks, `${path}.chunks`, true);
      case 'wait':
        return this.wait(value.wait, `${path}.wait`);
    }
  }

  private members(list: unknown, path: string, depth: number): void {
    if (!Array.isArray(list) || list.length === 0) return this.add(path, 'must be a non-empty array of nodes');
    list.forEach((member, i) => this.node(member, `${path}[${i}]`, depth + 1));
  }

  /** A task name from the catalog with args and kwargs of the right shapes. */
  private call(fields: Fields, path: string): void {
    if (typeof fields.task !== 'string' || !findTaskSpec(fields.task, this.pythonTasks))
      this.add(`${path}.task`, `unknown task ${JSON.stringify(fields.task)}`);
    if (fields.args !== undefined && !Array.isArray(fields.args)) this.add(`${path}.args`, 'must be an array');
    if (fields.kwargs !== undefined && !isObject(fields.kwargs)) this.add(`${path}.kwargs`, 'must be an object');
  }

  /** An event name and a timeout the interpreter can read (the API checks them in full). */
  private wait(spec: unknown, path: string): void {
    if (!isObject(spec)) return this.add(path, 'must be {"event": name, "timeout": duration}');
    if (typeof spec.event !== 'string' || !EVENT_NAME_PATTERN.test(spec.event)) this.add(`${path}.event`, 'must be 1 to 100 letters, digits, . _ : or -');
    if (parseDuration(spec.timeout) === undefined) this.add(`${path}.timeout`, 'must be a duration like "30s"');
  }

  private fanOut(spec: unknown, path: string, chunks: boolean): void {
    if (!isObject(spec)) return this.add(path, 'must be an object with a task');
    this.call(spec, path);
    if (chunks && !(Array.isArray(spec.items) && spec.items.every(Array.isArray))) this.add(`${path}.items`, 'must be an array of argument lists');
    if (!chunks && spec.items !== undefined && !Array.isArray(spec.items)) this.add(`${path}.items`, 'must be an array');
    const size = chunks ? spec.size : spec.batchSize;
    if ((chunks || size !== undefined) && !(Number.isInteger(size) && (size as number) >= 1))
      this.add(`${path}.${chunks ? 'size' : 'batchSize'}`, 'must be a positive integer');
  }
}

/** The structural problems of a canvas request, each with its JSON path; empty when none. */
export function checkStructure(request: unknown): Issue[] {
  if (!isObject(request)) return [{ path: '', message: 'must be a JSON object with a "canvas" field' }];
  const check = new StructureCheck(isObject(request.pythonTasks) ? (request.pythonTasks as PythonTaskSpecs) : undefined);
  check.node(request.canvas, 'canvas', 0);
  if (request.onError !== undefined) check.node(request.onError, 'onError', 0);
  return check.issues;
}
