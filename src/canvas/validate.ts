/**
 * Validates a canvas request before anything starts, reporting every problem at once
 * with its JSON path (`canvas.chain[2].args[0]`). Structure comes from the zod schemas;
 * what zod cannot see (task names, arguments against each task's schema, whether a node
 * receives an input, sizes) is checked while walking the tree.
 */
import type { z } from 'zod';
import { getTask, TASK_NAMES, type TaskDefinition } from '../tasks/registry';
import { LIMITS } from './limits';
import {
  ChainNodeSchema,
  ChordNodeSchema,
  DurationSchema,
  GroupNodeSchema,
  MapNodeSchema,
  StepOptionsSchema,
  TaskNodeSchema,
  WorkflowIdSchema,
} from './schemas';
import type { CanvasRequest, Json } from './types';

export interface Issue {
  path: string;
  message: string;
}

export type Validation<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

/** Each kind's own fields, without its members (which are walked one by one). */
const CHAIN_FIELDS = ChainNodeSchema.omit({ chain: true });
const GROUP_FIELDS = GroupNodeSchema.omit({ group: true });
const CHORD_FIELDS = ChordNodeSchema.omit({ chord: true });
const CHORD_SHAPE_FIELDS = ChordNodeSchema.shape.chord.omit({ header: true, body: true });

const KINDS = ['task', 'chain', 'group', 'chord', 'map'] as const;
/** Enough to fix a request; a canvas with thousands of bad items need not list all. */
const MAX_ISSUES = 100;

export function joinPath(base: string, segments: ReadonlyArray<PropertyKey>): string {
  let path = base;
  for (const s of segments) path += typeof s === 'number' ? `[${s}]` : path === '' ? String(s) : `.${String(s)}`;
  return path;
}

class Walker {
  readonly issues: Issue[] = [];
  nodes = 0;

  add(path: string, message: string): void {
    if (this.issues.length < MAX_ISSUES) this.issues.push({ path, message });
  }

  /** Runs a zod schema and records its issues under `path`. */
  check(schema: z.ZodType, value: unknown, path: string): boolean {
    const parsed = schema.safeParse(value);
    if (parsed.success) return true;
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) this.add(joinPath(path, [...issue.path, key]), 'is not a known field');
      } else {
        this.add(joinPath(path, issue.path), issue.message);
      }
    }
    return false;
  }

  node(value: unknown, path: string, hasInput: boolean, depth: number): void {
    this.nodes++;
    if (depth > LIMITS.maxDepth) return this.add(path, `nesting is deeper than ${LIMITS.maxDepth}`);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return this.add(path, `must be a node: an object with one of ${KINDS.join(', ')}`);
    }
    const kinds = KINDS.filter((k) => k in value);
    if (kinds.length !== 1) {
      return this.add(path, kinds.length === 0 ? `must have one of ${KINDS.join(', ')}` : `has ${kinds.join(' and ')}; a node is one kind`);
    }
    const node = value as Record<string, unknown>;
    switch (kinds[0]) {
      case 'task':
        return this.taskNode(node, path, hasInput);
      case 'chain':
        return this.members(CHAIN_FIELDS, node, 'chain', path, (i) => (i === 0 ? hasInput : true), depth);
      case 'group':
        return this.members(GROUP_FIELDS, node, 'group', path, () => hasInput, depth);
      case 'chord':
        return this.chordNode(node, path, hasInput, depth);
      case 'map':
        return this.mapNode(node, path, hasInput);
    }
  }

  private taskNode(node: Record<string, unknown>, path: string, hasInput: boolean): void {
    if (!this.check(TaskNodeSchema, node, path)) return;
    const definition = this.knownTask(node.task as string, `${path}.task`);
    if (!definition) return;
    const receivesInput = hasInput && node.immutable !== true;
    this.taskArgs(definition, path, receivesInput ? 1 : 0, node.args as Json[] | undefined, node.kwargs as Record<string, Json> | undefined);
  }

  /** Chains and groups: check the node's own fields, then each member. */
  private members(fields: z.ZodType, node: Record<string, unknown>, key: 'chain' | 'group', path: string, memberInput: (i: number) => boolean, depth: number): void {
    const list = node[key];
    this.check(fields, omitKey(node, key), path);
    if (!Array.isArray(list)) return this.add(`${path}.${key}`, 'must be an array of nodes');
    if (list.length === 0) this.add(`${path}.${key}`, `must not be empty`);
    if (list.length > LIMITS.maxFanOut) return this.add(`${path}.${key}`, `has ${list.length} members; the limit is ${LIMITS.maxFanOut}`);
    list.forEach((member, i) => this.node(member, `${path}.${key}[${i}]`, memberInput(i), depth + 1));
  }

  private chordNode(node: Record<string, unknown>, path: string, hasInput: boolean, depth: number): void {
    const chord = node.chord as Record<string, unknown> | undefined;
    if (typeof chord !== 'object' || chord === null || !Array.isArray(chord.header) || chord.body === undefined) {
      return this.add(`${path}.chord`, 'must be {"header": [node, ...], "body": node}');
    }
    const { header, body, ...shape } = chord;
    this.check(CHORD_FIELDS, omitKey(node, 'chord'), path);
    this.check(CHORD_SHAPE_FIELDS, shape, `${path}.chord`);
    if (header.length === 0) this.add(`${path}.chord.header`, 'must not be empty');
    header.forEach((member, i) => this.node(member, `${path}.chord.header[${i}]`, hasInput, depth + 1));
    this.node(body, `${path}.chord.body`, true, depth + 1);
  }

  private mapNode(node: Record<string, unknown>, path: string, hasInput: boolean): void {
    if (!this.check(MapNodeSchema, node, path)) return;
    const spec = node.map as { task: string; items?: Json[]; spread?: boolean; args?: Json[]; kwargs?: Record<string, Json> };
    const definition = this.knownTask(spec.task, `${path}.map.task`);
    if (!definition) return;
    if (spec.items === undefined && !hasInput) {
      this.add(`${path}.map.items`, 'is required here: a map without items maps over its input, and this node receives none (put it after a step in a chain)');
    }
    if (spec.items === undefined) return this.taskArgs(definition, `${path}.map`, spec.spread ? 0 : 1, spec.args, spec.kwargs, !spec.spread);
    spec.items.forEach((item, i) => {
      const itemPath = `${path}.map.items[${i}]`;
      if (spec.spread && !Array.isArray(item)) return this.add(itemPath, 'must be an array of arguments: the map has "spread": true');
      const leading = spec.spread ? (item as Json[]) : [item];
      this.taskArgs(definition, itemPath, 0, [...leading, ...(spec.args ?? [])], spec.kwargs, false, `${path}.map`);
    });
  }

  private knownTask(name: string, path: string): TaskDefinition | undefined {
    const definition = getTask(name);
    if (!definition) this.add(path, `unknown task "${name}"; known tasks: ${TASK_NAMES.join(', ')}`);
    return definition;
  }

  /**
   * Checks static arguments against the task's parameters. `offset` is how many leading
   * arguments arrive at run time (the previous result, or a map item), whose type
   * only the task itself can check.
   */
  private taskArgs(definition: TaskDefinition, path: string, offset: number, args: Json[] = [], kwargs: Record<string, Json> = {}, checkArity = true, argsBase = path): void {
    const params = definition.params;
    const signature = `${definition.name}(${params.map((p) => (p.optional ? `${p.name}?` : p.name)).join(', ')})`;
    args.forEach((arg, i) => {
      const param = params[offset + i];
      if (!param) return this.add(`${argsBase}.args[${i}]`, `is one argument too many: ${signature}${offset ? ' already receives the previous result first' : ''}`);
      this.check(param.schema, arg, `${argsBase}.args[${i}]`);
    });
    for (const [name, value] of Object.entries(kwargs)) {
      const index = params.findIndex((p) => p.name === name);
      if (index < 0) this.add(`${argsBase}.kwargs.${name}`, `is not a parameter of ${signature}`);
      else if (index < offset + args.length) this.add(`${argsBase}.kwargs.${name}`, `is given twice (also by position) to ${signature}`);
      else this.check(params[index].schema, value, `${argsBase}.kwargs.${name}`);
    }
    if (!checkArity) return;
    params.forEach((param, index) => {
      const given = index < offset + args.length || param.name in kwargs;
      if (!given && !param.optional) this.add(`${path}.args`, `is missing ${param.name}: ${signature}`);
    });
  }
}

function omitKey(node: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _omitted, ...rest } = node;
  return rest;
}

/** Validates a POST /workflows body. */
export function validateCanvasRequest(body: unknown): Validation<CanvasRequest> {
  const walker = new Walker();
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, issues: [{ path: '', message: 'must be a JSON object with a "canvas" field' }] };
  }
  const request = body as Record<string, unknown>;
  const known = new Set(['canvas', 'defaults', 'workflowId', 'exclusive', 'timeout', 'onError']);
  for (const key of Object.keys(request)) if (!known.has(key)) walker.add(key, 'is not a known field');
  if (request.canvas === undefined) walker.add('canvas', 'is required');
  else walker.node(request.canvas, 'canvas', false, 0);
  if (walker.nodes > LIMITS.maxNodes) walker.add('canvas', `has ${walker.nodes} nodes; the limit is ${LIMITS.maxNodes}`);
  if (request.defaults !== undefined) walker.check(StepOptionsSchema, request.defaults, 'defaults');
  if (request.workflowId !== undefined) walker.check(WorkflowIdSchema, request.workflowId, 'workflowId');
  if (request.exclusive !== undefined && typeof request.exclusive !== 'boolean') walker.add('exclusive', 'must be a boolean');
  if (request.timeout !== undefined) walker.check(DurationSchema, request.timeout, 'timeout');
  if (request.onError !== undefined) validateErrback(walker, request.onError);
  return walker.issues.length ? { ok: false, issues: walker.issues } : { ok: true, value: request as unknown as CanvasRequest };
}

/** The errback is a task that receives the failure as its first argument. */
function validateErrback(walker: Walker, onError: unknown): void {
  if (typeof onError !== 'object' || onError === null || !('task' in onError)) return walker.add('onError', 'must be a task node');
  const { onCancel, ...task } = onError as Record<string, unknown>;
  if (onCancel !== undefined && typeof onCancel !== 'boolean') walker.add('onError.onCancel', 'must be a boolean');
  walker.node(task, 'onError', true, 0);
}
