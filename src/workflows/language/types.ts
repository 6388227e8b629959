/**
 * The canvas language's types (docs/canvas.md is the reference). Plain types only:
 * shared by the API's validator, the workflow interpreter and the typed builders.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** "500ms", "30s", "5m", "1h", "1d" or an integer number of milliseconds. */
export type Duration = string | number;

export interface RetryOptions {
  maxAttempts?: number;
  initialInterval?: Duration;
  backoffCoefficient?: number;
  maxInterval?: Duration;
  nonRetryable?: string[];
}

export interface StepOptions {
  queue?: string;
  retry?: RetryOptions;
  startToCloseTimeout?: Duration;
  scheduleToCloseTimeout?: Duration;
  heartbeatTimeout?: Duration;
  delay?: Duration;
  /** Run inline as a local activity in the orchestrator (light tasks do by default). */
  local?: boolean;
}

interface NodeBase {
  id?: string;
  options?: StepOptions;
}

export interface TaskNode extends NodeBase {
  task: string;
  args?: Json[];
  kwargs?: Record<string, Json>;
  immutable?: boolean;
}

export interface ChainNode extends NodeBase {
  chain: CanvasNode[];
}

export interface GroupNode extends NodeBase {
  group: CanvasNode[];
  maxConcurrency?: number;
  settle?: boolean;
}

export interface ChordNode extends NodeBase {
  chord: { header: CanvasNode[]; body: CanvasNode; maxConcurrency?: number; settle?: boolean };
}

export interface MapSpec {
  task: string;
  items?: Json[];
  spread?: boolean;
  args?: Json[];
  kwargs?: Record<string, Json>;
  maxConcurrency?: number;
  settle?: boolean;
  options?: StepOptions;
  /** Items per activity: the map runs in batches and still returns one flat list. */
  batchSize?: number;
}

export interface MapNode extends NodeBase {
  map: MapSpec;
}

/** Celery's `task.chunks(items, size)`: each item is a list of arguments. */
export interface ChunksSpec {
  task: string;
  items: Json[][];
  size: number;
  args?: Json[];
  kwargs?: Record<string, Json>;
  maxConcurrency?: number;
  options?: StepOptions;
}

export interface ChunksNode extends NodeBase {
  chunks: ChunksSpec;
}

/** Waits for an event delivered to the run (POST /workflows/:id/events/:name); its payload is the result. */
export interface WaitSpec {
  event: string;
  timeout: Duration;
  /** The result when no event arrives in time; without it the node fails with EventTimeoutError. */
  default?: Json;
}

export interface WaitNode extends NodeBase {
  wait: WaitSpec;
}

export type CanvasNode = TaskNode | ChainNode | GroupNode | ChordNode | MapNode | ChunksNode | WaitNode;

/** At most `limit` runs with this key run their canvas at once; the rest wait in arrival order. */
export interface ConcurrencySpec {
  key: string;
  limit: number;
}

/** Requests with one key within `period` collapse into one run, of the last request's canvas. */
export interface DebounceSpec {
  key: string;
  period: Duration;
}

/** Task priority: 1 runs first, 5 last; 3 when not given (Temporal's priorityKey). */
export type Priority = 1 | 2 | 3 | 4 | 5;

export interface CanvasRequest {
  canvas: CanvasNode;
  defaults?: StepOptions;
  workflowId?: string;
  exclusive?: boolean;
  timeout?: Duration;
  onError?: TaskNode & { onCancel?: boolean };
  concurrency?: ConcurrencySpec;
  debounce?: DebounceSpec;
  priority?: Priority;
  /** The caller's labels (the OrchestraTags search attribute); not read by the workflow. */
  tags?: string[];
  /** The caller's small JSON object, kept in the run's memo; not read by the workflow. */
  metadata?: { [key: string]: Json };
  /** A webhook for the run's end (./notify.ts). */
  notify?: NotifySpec;
}

/** A run's terminal states, as a completion webhook names them (./notify.ts). */
export type RunOutcome = 'completed' | 'failed' | 'canceled';

/** A request's `notify`: POST the run's end to `url` (docs/canvas.md, "Completion webhooks"). */
export interface NotifySpec {
  url: string;
  /** Which terminal states are sent; all three when absent. */
  on?: RunOutcome[];
  /** Signs the body (HMAC-SHA256); the starting key's signing secret when absent (GET /webhooks/signing-secret). */
  secret?: string;
}

/** The notification shown on the run's state (the root's `notification`). */
export interface NotificationState {
  url: string;
  event: `run.${RunOutcome}`;
  deliveryId: string;
  status: 'delivering' | 'delivered' | 'failed';
  responseStatus?: number;
  attempts?: number;
  error?: string;
}

/** What a failed canvas reports: the node that failed and the task's own error. */
export interface CanvasFailure {
  type: string;
  message: string;
  node: { path: string; id?: string; task?: string };
}

export type NodeStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
export type NodeKind = 'task' | 'chain' | 'group' | 'chord' | 'map' | 'chunks' | 'wait';

/** The live tree the `state` query returns. */
export interface NodeState {
  path: string;
  kind: NodeKind;
  id?: string;
  task?: string;
  status: NodeStatus;
  attempt?: number;
  startedAt?: string;
  endedAt?: string;
  result?: Json;
  error?: { type: string; message: string };
  /** Added by the API from Temporal while the task runs: its own reported progress. */
  /** A running task's own report: progress 0..100 and a message; a Python task's update_state also gives its `meta`. */
  heartbeat?: { progress: number | null; message: string | null; meta?: Json };
  /** Added by the API while the task runs: the previous attempt's error, when it is retrying. */
  lastError?: { type: string; message: string };
  children?: NodeState[];
  /** A wait node's event name. */
  event?: string;
  /** While a wait node waits: the event and when it stops waiting (ISO time). */
  waitingFor?: { event: string; until: string };
  /** A wait node's event, once taken: who sent it and when (an approval's record). */
  receivedFrom?: { by: string; at?: string };
  /** A retried run's step whose result came from the run it retries (not run again). */
  reused?: boolean;
  /** Fan-outs: counts rather than one entry per item once they are large. */
  counts?: { total: number; completed: number; failed: number; running: number };
  /** The root only: the run's concurrency key, while it waits for its slot and after. */
  queue?: QueueState;
  /** The root only: a debounced run's requests so far. */
  debounce?: DebounceState;
  /** The root only: the run's task priority, when the request gave one. */
  priority?: number;
  /** The root only: the run's completion webhook, once it is due: delivering, delivered or failed. */
  notification?: NotificationState;
}

/** A run with a concurrency key: waiting for its slot, or holding it. */
export interface QueueState {
  key: string;
  limit: number;
  status: 'waiting' | 'running' | 'released';
  /** When the run asked for its slot. */
  since: string;
  grantedAt?: string;
}

/** A debounced run before it fires: how many requests it collapsed so far. */
export interface DebounceState {
  key: string;
  period: Duration;
  requests: number;
  status: 'waiting' | 'fired';
  lastRequestAt: string;
  firedAt?: string;
}

export interface CanvasState {
  status: NodeStatus;
  progress: { completed: number; known: number };
  root: NodeState;
}

export function nodeKind(node: CanvasNode): NodeKind {
  if ('task' in node) return 'task';
  if ('chain' in node) return 'chain';
  if ('group' in node) return 'group';
  if ('chord' in node) return 'chord';
  if ('chunks' in node) return 'chunks';
  if ('wait' in node) return 'wait';
  return 'map';
}

/** The nodes written inside a node (a map's items are data, not nodes). */
export function childNodes(node: CanvasNode): CanvasNode[] {
  if ('chain' in node) return node.chain;
  if ('group' in node) return node.group;
  if ('chord' in node) return [...node.chord.header, node.chord.body];
  return [];
}

/** Every task a canvas names (its maps' and chunks' tasks included), sorted, once each. */
export function taskNamesOf(node: CanvasNode, into = new Set<string>()): string[] {
  if ('task' in node) into.add(node.task);
  else if ('map' in node) into.add(node.map.task);
  else if ('chunks' in node) into.add(node.chunks.task);
  for (const child of childNodes(node)) taskNamesOf(child, into);
  return [...into].sort();
}
