/**
 * Typed builders of canvas nodes, so code workflows compose the same chains, groups,
 * chords and maps as POST /workflows, and `runCanvas` to run one inside any workflow
 * through the same interpreter:
 *
 *   const product = await runCanvas<number>(chain(task('add', 4, 5), task('mul', 7)));
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { ErrorType } from './errors';
import type {
  CanvasNode,
  CanvasState,
  ChainNode,
  ChordNode,
  GroupNode,
  Json,
  MapNode,
  MapSpec,
  NodeState,
  StepOptions,
  TaskNode,
  WaitNode,
  WaitSpec,
} from './language/types';
import { invalidCanvas } from './language/failures';
import { checkStructure } from './language/structure';
import { publishState } from './final-state';
import { Interpreter } from './interpreter';

/** A signature: the chain's previous result is prepended to `args`. */
export function task(name: string, ...args: Json[]): TaskNode {
  return { task: name, args };
}

/** An immutable signature (Celery's `.si()`): ignores the previous result. */
export function si(name: string, ...args: Json[]): TaskNode {
  return { task: name, args, immutable: true };
}

/** The same task with keyword arguments, placed by parameter name. */
export function withKwargs(node: TaskNode, kwargs: Record<string, Json>): TaskNode {
  return { ...node, kwargs: { ...node.kwargs, ...kwargs } };
}

export function chain(...nodes: CanvasNode[]): ChainNode {
  return { chain: nodes };
}

export function group(...nodes: CanvasNode[]): GroupNode {
  return { group: nodes };
}

export function chord(header: CanvasNode[], body: CanvasNode): ChordNode {
  return { chord: { header, body } };
}

/**
 * Waits for an event sent to this run (POST /workflows/:id/events/:name); its payload is
 * the node's result. Without `default`, no event by `timeout` fails with EventTimeoutError.
 */
export function wait(event: string, options: Omit<WaitSpec, 'event'>): WaitNode {
  return { wait: { event, ...options } };
}

type MapExtras = Omit<MapSpec, 'task' | 'items' | 'spread'>;

/** One `taskName` call per item; without items, maps over the node's input. */
export function map(taskName: string, items?: Json[], extras: MapExtras = {}): MapNode {
  return { map: { task: taskName, ...(items ? { items } : {}), ...extras } };
}

/** Like `map`, each item an array of positional args (Celery's starmap). */
export function starmap(taskName: string, items?: Json[][], extras: MapExtras = {}): MapNode {
  return { map: { task: taskName, ...(items ? { items } : {}), spread: true, ...extras } };
}

/** The node with options merged over its own (the node's own options win over enclosing ones). */
export function withOptions<T extends CanvasNode>(node: T, options: StepOptions): T {
  const merged: StepOptions = { ...node.options, ...options };
  if (node.options?.retry && options.retry) merged.retry = { ...node.options.retry, ...options.retry };
  return { ...node, options: merged };
}

/** Names a node, so its state and failures can be found by `id`. */
export function withId<T extends CanvasNode>(node: T, id: string): T {
  return { ...node, id };
}

/** Fan-out settings of a group or map. */
export function withConcurrency<T extends GroupNode | MapNode>(node: T, maxConcurrency: number, settle?: boolean): T {
  if ('group' in node) return { ...node, maxConcurrency, ...(settle === undefined ? {} : { settle }) };
  return { ...node, map: { ...node.map, maxConcurrency, ...(settle === undefined ? {} : { settle }) } };
}

export interface RunCanvasOptions {
  /** Request-level defaults (below enclosing and node options). */
  defaults?: StepOptions;
  /**
   * The root's path and so the prefix of every activity id. Each canvas of one workflow
   * needs its own: the first defaults to `canvas`, later ones to `canvas-2`, `canvas-3`…
   */
  name?: string;
}

// Module state is per workflow execution (the SDK isolates workflow modules).
const interpreters: Interpreter[] = [];

/**
 * Checks the structure of a canvas and runs it inside the calling workflow; answers its
 * result. The workflow's `state` query shows this canvas, or all of them under one root
 * when the workflow has run several. The check reads the task catalog: removing a task
 * that a running workflow's canvas names changes its replay (tests/replay catches it).
 * Typed builders and unit tests of the workflows keep the arguments right.
 */
export async function runCanvas<T extends Json = Json>(node: CanvasNode, options: RunCanvasOptions = {}): Promise<T> {
  const name = options.name ?? (interpreters.length === 0 ? 'canvas' : `canvas-${interpreters.length + 1}`);
  if (interpreters.some((i) => i.root.path === name)) {
    throw ApplicationFailure.nonRetryable(`a canvas named "${name}" already ran in this workflow; give each its own name`, ErrorType.InvalidCanvas);
  }
  // The checks of POST /workflows but its node count (paths read from `canvas`), before anything runs.
  const problems = checkStructure({ canvas: node });
  if (problems.length > 0) throw invalidCanvas(`canvas ${name}`, problems);
  const interpreter = new Interpreter(node, options.defaults, { basePath: name, indexOffset: 0 });
  interpreters.push(interpreter);
  publishState(combinedState);
  return (await interpreter.run()) as T;
}

/** One canvas's state as is; several under a `workflow` root, the latest deciding the status. */
function combinedState(): CanvasState {
  if (interpreters.length === 1) return interpreters[0].state();
  const states = interpreters.map((i) => i.state());
  const root: NodeState = { path: 'workflow', kind: 'chain', status: states[states.length - 1].status, children: states.map((s) => s.root) };
  const progress = states.reduce((sum, s) => ({ completed: sum.completed + s.progress.completed, known: sum.known + s.progress.known }), {
    completed: 0,
    known: 0,
  });
  return { status: root.status, progress, root };
}
