/**
 * Validates a canvas request before anything starts, reporting every problem at once
 * with its JSON path (`canvas.chain[2].args[0]`). Structure comes from the zod schemas;
 * what zod cannot see (task names, arguments against each task's schema, whether a node
 * receives an input, sizes) is checked while walking the tree.
 */
import type { z } from 'zod';
import { Issues, type Validation } from '../validation/issues';
import { getTask, isReachable, TASK_NAMES, whyNotLocal, type TaskDefinition, type TaskVisibility } from '../tasks/registry';
import { LIMITS } from '../workflows/language/limits';
import { checkStepRouting } from './step-routing';
import {
  ChainNodeSchema,
  ChordNodeSchema,
  CANVAS_REQUEST_FIELDS,
  ChunksNodeSchema,
  ConcurrencySchema,
  DebounceSchema,
  PrioritySchema,
  NotifySchema,
  RunMetadataSchema,
  TagsSchema,
  DurationSchema,
  GroupNodeSchema,
  MapNodeSchema,
  StepOptionsSchema,
  TaskNodeSchema,
  WaitNodeSchema,
  WorkflowIdSchema,
} from './schemas';
import { type CanvasNode, type CanvasRequest, type Json, type StepOptions } from '../workflows/language/types';

// The issue types live in ./issues; re-exported for the validator's callers.
export { joinPath, type Issue, type Validation } from '../validation/issues';

/** Each kind's own fields, without its members (which are walked one by one). */
const CHAIN_FIELDS = ChainNodeSchema.omit({ chain: true });
const GROUP_FIELDS = GroupNodeSchema.omit({ group: true });
const CHORD_FIELDS = ChordNodeSchema.omit({ chord: true });
const CHORD_SHAPE_FIELDS = ChordNodeSchema.shape.chord.omit({ header: true, body: true });

const KINDS = ['task', 'chain', 'group', 'chord', 'map', 'chunks', 'wait'] as const;
class Walker extends Issues {
  nodes = 0;
  /** Which tasks this caller may name (src/tasks/registry.ts, TaskVisibility). */
  reach: TaskVisibility = 'internal';
  /** The Python pool's tasks (src/tasks/python-catalog.ts), beside the registry's. */
  python: ReadonlyMap<string, TaskDefinition> = new Map();

  readonly lookup = (name: string): TaskDefinition | undefined => getTask(name) ?? this.python.get(name);

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
      case 'chunks':
        return this.chunksNode(node, path);
      case 'wait':
        // Event name, timeout and default are all the schema's; the input, if any, is ignored.
        this.check(WaitNodeSchema, node, path);
        return;
    }
  }

  private taskNode(node: Record<string, unknown>, path: string, hasInput: boolean): void {
    // An unknown field or a bad option does not hide argument problems; a malformed call does.
    if (!this.check(TaskNodeSchema, node, path) && !isCall(node)) return;
    const definition = this.knownTask(node.task as string, `${path}.task`);
    if (!definition) return;
    const receivesInput = hasInput && node.immutable !== true;
    const args = ((node.args as Json[] | undefined) ?? []).map((arg, i): Arg => [arg, `${path}.args[${i}]`]);
    this.taskArgs(definition, {
      path,
      offset: receivesInput ? 1 : 0,
      leading: 'the previous result',
      args,
      kwargs: node.kwargs as Record<string, Json> | undefined,
      arity: true,
    });
  }

  /** Chains and groups: check the node's own fields, then each member. */
  private members(
    fields: z.ZodType,
    node: Record<string, unknown>,
    key: 'chain' | 'group',
    path: string,
    memberInput: (i: number) => boolean,
    depth: number,
  ): void {
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
    if (!this.check(MapNodeSchema, node, path) && !(isObject(node.map) && isCall(node.map) && (node.map.items === undefined || Array.isArray(node.map.items))))
      return;
    const spec = node.map as {
      task: string;
      items?: Json[];
      spread?: boolean;
      args?: Json[];
      kwargs?: Record<string, Json>;
      batchSize?: number;
      settle?: boolean;
    };
    const definition = this.knownTask(spec.task, `${path}.map.task`);
    if (!definition) return;
    const mapPath = `${path}.map`;
    if (spec.batchSize !== undefined && spec.settle) this.add(`${mapPath}.settle`, 'cannot be combined with batchSize: a batch fails or succeeds as a whole');
    if (spec.batchSize === undefined && spec.items && spec.items.length > LIMITS.maxFanOut) {
      this.add(`${mapPath}.items`, `has ${spec.items.length} items; the limit is ${LIMITS.maxFanOut} (${LIMITS.maxBatchedItems} with batchSize)`);
    }
    if (spec.items === undefined && !hasInput) {
      this.add(`${mapPath}.items`, 'is required here: a map without items maps over its input, and this node receives none (put it after a step in a chain)');
    }
    if (!spec.spread) {
      // Each item is the first argument; the map's own args and kwargs follow it.
      const own = (spec.args ?? []).map((arg, i): Arg => [arg, `${mapPath}.args[${i}]`]);
      const first = definition.params.find((p) => p.kind !== 'keywordOnly');
      spec.items?.forEach((item, i) => {
        if (first) this.check(first.schema, item, `${mapPath}.items[${i}]`);
        else if (!definition.varArgs) this.add(`${mapPath}.items[${i}]`, `is one argument too many: ${signature(definition)} takes none`);
      });
      return this.taskArgs(definition, { path: mapPath, offset: 1, leading: 'the item', args: own, kwargs: spec.kwargs, arity: true });
    }
    // Spread: each item is the leading positional args, so arity is per item.
    if (spec.items === undefined) return this.taskArgs(definition, { path: mapPath, offset: 0, args: [], kwargs: spec.kwargs, arity: false });
    this.spreadItems(definition, mapPath, spec.items, spec.args, spec.kwargs, 'the map has "spread": true');
  }

  /** Celery's chunks: like a spread map whose items are always written in the request. */
  private chunksNode(node: Record<string, unknown>, path: string): void {
    if (!this.check(ChunksNodeSchema, node, path) && !(isObject(node.chunks) && isCall(node.chunks) && Array.isArray(node.chunks.items))) return;
    const spec = node.chunks as { task: string; items: Json[]; args?: Json[]; kwargs?: Record<string, Json> };
    const definition = this.knownTask(spec.task, `${path}.chunks.task`);
    if (definition) this.spreadItems(definition, `${path}.chunks`, spec.items, spec.args, spec.kwargs, 'each item of chunks is a list of arguments');
  }

  /** Items that are each a task's leading positional arguments, followed by the spec's own args. */
  private spreadItems(
    definition: TaskDefinition,
    specPath: string,
    items: Json[],
    args: Json[] | undefined,
    kwargs: Record<string, Json> | undefined,
    why: string,
  ): void {
    const own = (args ?? []).map((arg, i): Arg => [arg, `${specPath}.args[${i}]`]);
    items.forEach((item, i) => {
      const itemPath = `${specPath}.items[${i}]`;
      if (!Array.isArray(item)) return this.add(itemPath, `must be an array of arguments: ${why}`);
      const spread = item.map((arg, j): Arg => [arg, `${itemPath}[${j}]`]);
      this.taskArgs(definition, { path: specPath, missingPath: itemPath, offset: 0, args: [...spread, ...own], kwargs, arity: true });
    });
  }

  private knownTask(name: string, path: string): TaskDefinition | undefined {
    const definition = this.lookup(name);
    if (!definition) this.add(path, `unknown task "${name}"; known tasks: ${[...TASK_NAMES, ...this.python.keys()].join(', ')}`);
    else if (!isReachable(definition, this.reach)) {
      this.add(path, `task "${name}" is internal: the application's own workflows use it, API canvases and schedules may not (with an admin key they may)`);
      return undefined;
    }
    return definition;
  }

  /**
   * Checks static arguments against the task's parameters. `offset` is how many leading
   * arguments arrive at run time (the previous result, or a map item), whose type
   * only the task itself can check.
   */
  private taskArgs(definition: TaskDefinition, at: ArgsAt): void {
    const { params } = definition;
    const sig = signature(definition);
    // Positional arguments fill the parameters that take them; kwargs name any but positional-only ones.
    const positional = params.filter((p) => p.kind !== 'keywordOnly');
    at.args.forEach(([arg, argPath], i) => {
      const param = positional[at.offset + i];
      if (param) this.check(param.schema, arg, argPath);
      else if (!definition.varArgs)
        this.add(argPath, `is one argument too many: ${sig}${at.leading && at.offset > 0 ? ` already receives ${at.leading} first` : ''}`);
    });
    const byPosition = at.offset + at.args.length;
    for (const [name, value] of Object.entries(at.kwargs ?? {})) {
      const param = params.find((p) => p.name === name && p.kind !== 'positionalOnly');
      const kwargPath = `${at.path}.kwargs.${name}`;
      if (!param) {
        if (!definition.varKwargs) this.add(kwargPath, `is not a parameter of ${sig}`);
      } else if (positional.indexOf(param) >= 0 && positional.indexOf(param) < byPosition) this.add(kwargPath, `is given twice (also by position) to ${sig}`);
      else this.check(param.schema, value, kwargPath);
    }
    if (!at.arity) return;
    params.forEach((param) => {
      const index = positional.indexOf(param);
      const given = (index >= 0 && index < byPosition) || (param.kind !== 'positionalOnly' && param.name in (at.kwargs ?? {}));
      if (!given && !param.optional) this.add(at.missingPath ?? `${at.path}.args`, `is missing ${param.name}: ${sig}`);
    });
  }
}

/** A static argument and its JSON path. */
type Arg = [Json, string];

interface ArgsAt {
  /** The node (or map spec) whose `args` and `kwargs` these are. */
  path: string;
  /** Where a missing argument is reported; `${path}.args` unless said. */
  missingPath?: string;
  /** Arguments that arrive first at run time, and what they are (for messages). */
  offset: number;
  leading?: string;
  args: Arg[];
  kwargs?: Record<string, Json>;
  /** Whether every required parameter must be given. */
  arity: boolean;
}

/** `add(x, y)`, with a Python task's `*args`, keyword-only parameters and `**kwargs` as Python writes them. */
function signature(definition: TaskDefinition): string {
  const name = (p: TaskDefinition['params'][number]) => (p.optional ? `${p.name}?` : p.name);
  const parts = definition.params.filter((p) => p.kind !== 'keywordOnly').map(name);
  const keywordOnly = definition.params.filter((p) => p.kind === 'keywordOnly').map(name);
  if (definition.varArgs) parts.push('*args');
  else if (keywordOnly.length > 0) parts.push('*');
  parts.push(...keywordOnly);
  if (definition.varKwargs) parts.push('**kwargs');
  return `${definition.name}(${parts.join(', ')})`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A task name with args and kwargs of the right shapes, whatever else is wrong. */
function isCall(value: Record<string, unknown>): boolean {
  return typeof value.task === 'string' && (value.args === undefined || Array.isArray(value.args)) && (value.kwargs === undefined || isObject(value.kwargs));
}

function omitKey(node: Record<string, unknown>, key: string): Record<string, unknown> {
  const { [key]: _omitted, ...rest } = node;
  return rest;
}

export interface ValidateOptions {
  /**
   * The node count limit of a request body (default on). Code workflows turn it off: they
   * build canvases in memory, and the fan-out limit still holds when they run.
   */
  nodeLimit?: boolean;
  /** Which tasks the caller may name: 'public' ones only (API callers without admin), or 'internal' ones too (the default: code). */
  reach?: TaskVisibility;
  /** The Python pool's tasks, which a canvas may name beside the registry's (src/tasks/python-catalog.ts, pythonTasksFor). */
  python?: ReadonlyMap<string, TaskDefinition>;
  /** The canvas receives an input (an event trigger's payload): its first step gets it as a chain's next step gets a result. */
  input?: boolean;
}

/** Validates a POST /workflows body (and canvases that code workflows build). */
export function validateCanvasRequest(body: unknown, options: ValidateOptions = {}): Validation<CanvasRequest> {
  const walker = new Walker();
  walker.reach = options.reach ?? 'internal';
  walker.python = options.python ?? new Map();
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, issues: [{ path: '', message: 'must be a JSON object with a "canvas" field' }] };
  }
  const request = body as Record<string, unknown>;
  for (const key of Object.keys(request)) if (!CANVAS_REQUEST_FIELDS.has(key)) walker.add(key, 'is not a known field');
  if (request.canvas === undefined) walker.add('canvas', 'is required');
  else walker.node(request.canvas, 'canvas', options.input === true, 0);
  if (options.nodeLimit !== false && walker.nodes > LIMITS.maxNodes) walker.add('canvas', `has ${walker.nodes} nodes; the limit is ${LIMITS.maxNodes}`);
  if (request.defaults !== undefined) walker.check(StepOptionsSchema, request.defaults, 'defaults');
  if (request.workflowId !== undefined) walker.check(WorkflowIdSchema, request.workflowId, 'workflowId');
  if (request.exclusive !== undefined && typeof request.exclusive !== 'boolean') walker.add('exclusive', 'must be a boolean');
  if (request.timeout !== undefined) walker.check(DurationSchema, request.timeout, 'timeout');
  if (request.onError !== undefined) validateErrback(walker, request.onError);
  if (request.tags !== undefined) walker.check(TagsSchema, request.tags, 'tags');
  if (request.metadata !== undefined) walker.check(RunMetadataSchema, request.metadata, 'metadata');
  if (request.notify !== undefined) walker.check(NotifySchema, request.notify, 'notify');
  validateFlowControl(walker, request);
  if (walker.list.length === 0) checkLocalSteps(walker, request as unknown as CanvasRequest, walker.lookup);
  if (walker.list.length === 0) checkStepRouting(walker, request as unknown as CanvasRequest, walker.reach, walker.lookup);
  return walker.list.length ? { ok: false, issues: walker.list } : { ok: true, value: request as unknown as CanvasRequest };
}

/** The envelope's flow control (docs/canvas.md, "Flow control"). */
function validateFlowControl(walker: Walker, request: Record<string, unknown>): void {
  if (request.concurrency !== undefined) walker.check(ConcurrencySchema, request.concurrency, 'concurrency');
  if (request.priority !== undefined && walker.check(PrioritySchema, request.priority, 'priority') && request.priority === 1 && walker.reach !== 'internal') {
    walker.add('priority', "cannot be 1 without an admin key: priority 1 goes before every team's work, so it is reserved (2 to 5 are anyone's)");
  }
  if (request.debounce === undefined) return;
  walker.check(DebounceSchema, request.debounce, 'debounce');
  // A debounced run is named after its key, and a later request replaces an earlier one.
  if (request.workflowId !== undefined) walker.add('workflowId', "cannot be combined with debounce: the run's id is debounce-<key>");
  if (request.exclusive !== undefined) walker.add('exclusive', 'cannot be combined with debounce: requests with one key always collapse into one run');
}

/** The errback is a task that receives the failure as its first argument. */
function validateErrback(walker: Walker, onError: unknown): void {
  if (typeof onError !== 'object' || onError === null || !('task' in onError)) return walker.add('onError', 'must be a task node');
  const { onCancel, ...task } = onError as Record<string, unknown>;
  if (onCancel !== undefined && typeof onCancel !== 'boolean') walker.add('onError.onCancel', 'must be a boolean');
  walker.node(task, 'onError', true, 0);
}

/** Where `local` was last set on the way down to a node, and whether a `queue` was. */
interface Placing {
  local?: { value: boolean; path: string };
  queue: boolean;
}

function placingWith(outer: Placing, options: StepOptions | undefined, optionsPath: string): Placing {
  if (!options) return outer;
  return {
    local: options.local === undefined ? outer.local : { value: options.local, path: `${optionsPath}.local` },
    queue: outer.queue || options.queue !== undefined,
  };
}

/**
 * `local: true` (on the step or any enclosing node, or in `defaults`) is refused for a task
 * that cannot run inline, and beside a `queue`: a local activity runs in the orchestrator.
 * Runs on a structurally valid request only.
 */
function checkLocalSteps(walker: Issues, request: CanvasRequest, lookup: (name: string) => TaskDefinition | undefined): void {
  const check = (task: string, at: Placing, nodePath: string): void => {
    const definition = lookup(task);
    if (!definition || at.local?.value !== true) return;
    const problem = whyNotLocal(definition) ?? (at.queue ? 'a local activity runs in the orchestrator pool, so it cannot be combined with "queue"' : undefined);
    if (!problem) return;
    const ownOption = at.local.path.startsWith(`${nodePath}.`);
    if (ownOption) walker.add(at.local.path, `cannot be true: ${problem}`);
    else walker.add(nodePath, `cannot run locally ("local" is set at ${at.local.path}): ${problem}`);
  };
  const visit = (node: CanvasNode, path: string, outer: Placing): void => {
    const at = placingWith(outer, node.options, `${path}.options`);
    if ('task' in node) return check(node.task, at, path);
    if ('map' in node) return check(node.map.task, placingWith(at, node.map.options, `${path}.map.options`), path);
    if ('chunks' in node) return check(node.chunks.task, placingWith(at, node.chunks.options, `${path}.chunks.options`), path);
    if ('chain' in node) return node.chain.forEach((child, i) => visit(child, `${path}.chain[${i}]`, at));
    if ('group' in node) return node.group.forEach((child, i) => visit(child, `${path}.group[${i}]`, at));
    if ('wait' in node) return; // runs no task
    node.chord.header.forEach((child, i) => visit(child, `${path}.chord.header[${i}]`, at));
    visit(node.chord.body, `${path}.chord.body`, at);
  };
  const base = placingWith({ queue: false }, request.defaults, 'defaults');
  visit(request.canvas, 'canvas', base);
  if (request.onError) visit(request.onError, 'onError', base);
}
