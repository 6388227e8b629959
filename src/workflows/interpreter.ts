/**
 * The canvas interpreter: runs one canvas node tree with Celery's data-flow rules
 * (docs/canvas.md). Deterministic workflow code; every task is an activity.
 * The `canvas` workflow and the project's code workflows both run through it.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  executeChild,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import { durationMs } from './language/duration';
import { LIMITS } from './language/limits';
import { mergeOptions, toActivityOptions, toLocalActivityOptions } from './language/step-options';
import {
  BATCH_ACTIVITY,
  LIGHT_CHAIN_ACTIVITY,
  chainArgs,
  placeKwargs,
  type BatchInput,
  type LightChainInput,
  type LightChainOutcome,
  type PythonRetries,
} from './language/arguments';
import { describeFailure, readCanvasFailure, stepFailure } from './language/failures';
import {
  nodeKind,
  type CanvasNode,
  type CanvasRequest,
  type CanvasState,
  type Json,
  type MapSpec,
  type NodeState,
  type StepOptions,
  type TaskNode,
  type WaitNode,
} from './language/types';
import { PYTHON_POOL, WORKFLOW_TASK_QUEUE } from './tasks/pools';
import { findTaskSpec, limitedQueueOf, runsLocally, type PythonTaskSpecs, type TaskSpec } from './tasks/catalog';
import { ErrorType } from './errors';
import { Semaphore } from './semaphore';
import { takeEvent } from './events';
import { hasChange } from './patches';
import { chunksBatching, mapBatching, ONE_PER_MEMBER, type Batching, type FanOutUnits } from './batching';
import { counts, countTasks, hasWait, nodeRef, settleState, typeName, type Settled } from './node-helpers';
import { WORKFLOW_TYPES } from './workflow-types';

/** A node's input: absent for the first node of a top-level chain, else the previous result. */
type Input = { value: Json } | undefined;

/**
 * Where a canvas sits: its root's path, and for a fan-out chunk run by a child workflow,
 * the index of its first member in the parent's fan-out and the parent's member segment
 * (a chord's header runs in the child as a group), so paths read as in the parent.
 */
export interface Placement {
  basePath: string;
  indexOffset: number;
  segment?: string;
}

type ActivityFn = (...args: Json[]) => Promise<Json>;

/** One step of a light run, with its merged options. */
interface LightStep {
  node: TaskNode;
  st: NodeState;
  options: StepOptions;
}

export class Interpreter {
  readonly root: NodeState;
  private completed = 0;
  private known = 0;
  private activitiesScheduled = 0;
  private readonly pending = new Semaphore(LIMITS.pendingActivitiesPerRun);
  private childCount = 0;
  private readonly localActivities: boolean;
  /** Results of the steps that completed, by step id (see Resume in ./language/events), for a retry. */
  private readonly steps: Record<string, Json> = {};
  private readonly resume: Map<string, Json>;

  constructor(
    private readonly canvas: CanvasNode,
    private readonly defaults: StepOptions = {},
    private readonly placement: Placement = { basePath: 'canvas', indexOffset: 0 },
    /** A retried run's completed steps: these return their stored result instead of running. */
    resume: Record<string, Json> = {},
    /** The run's Python tasks (CanvasRun.pythonTasks). */
    private readonly pythonTasks: PythonTaskSpecs = {},
  ) {
    this.root = this.buildState(canvas, placement.basePath, true);
    this.localActivities = hasChange('localActivities');
    this.resume = new Map(Object.entries(resume));
  }

  private taskSpec(name: string): TaskSpec | undefined {
    return findTaskSpec(name, this.pythonTasks);
  }

  /** The steps that completed (reused ones included), by step id. */
  completedSteps(): Record<string, Json> {
    return this.steps;
  }

  /** The stored result of a step a retry reuses, recorded as this run's own. */
  private reusedStep(stepId: string): { value: Json } | undefined {
    if (!this.resume.has(stepId)) return undefined;
    const value = this.resume.get(stepId)!;
    this.steps[stepId] = value;
    return { value };
  }

  state(): CanvasState {
    return { status: this.root.status, progress: { completed: this.completed, known: this.known }, root: this.root };
  }

  async run(input?: Input): Promise<Json> {
    return this.runNode(this.canvas, this.root, input, {});
  }

  // ---- the live state tree -------------------------------------------------------------

  private buildState(node: CanvasNode, path: string, isRoot = false): NodeState {
    const kind = nodeKind(node);
    const st: NodeState = { path, kind, status: 'pending' };
    if (node.id !== undefined) st.id = node.id;
    if ('task' in node) {
      st.task = node.task;
      this.known++;
    } else if ('chain' in node) {
      st.children = node.chain.map((child, i) => this.buildState(child, `${path}.chain[${i}]`));
    } else if ('group' in node) {
      st.children = this.fanOutState(node.group.length, (i) =>
        this.buildState(node.group[i], `${path}.${this.segmentFor(isRoot, 'group')}[${i + this.offsetFor(isRoot)}]`),
      );
      if (!st.children) this.known += countTasks(node.group);
      st.counts = counts(node.group.length);
    } else if ('chord' in node) {
      const header = node.chord.header.map((child, i) => this.buildState(child, `${path}.chord.header[${i}]`));
      st.children = [...header, this.buildState(node.chord.body, `${path}.chord.body`)];
    } else if ('chunks' in node) {
      st.task = node.chunks.task;
      st.counts = counts(node.chunks.items.length);
      this.known += node.chunks.items.length;
    } else if ('wait' in node) {
      st.event = node.wait.event;
    } else {
      st.task = node.map.task;
      const items = node.map.items;
      if (items) {
        st.counts = counts(items.length);
        // A batched map's items run inside batch activities: counted, not listed.
        if (node.map.batchSize === undefined) st.children = this.fanOutState(items.length, (i) => this.itemState(node.map, path, i + this.offsetFor(isRoot)));
        if (!st.children) this.known += items.length;
      }
    }
    return st;
  }

  /** One state entry per member for small fan-outs; counts alone for large ones. */
  private fanOutState(size: number, make: (i: number) => NodeState): NodeState[] | undefined {
    if (size > LIMITS.detailedStateMembers) return undefined;
    return Array.from({ length: size }, (_, i) => make(i));
  }

  private itemState(spec: MapSpec, path: string, index: number): NodeState {
    this.known++;
    return { path: `${path}.map.items[${index}]`, kind: 'task', task: spec.task, status: 'pending' };
  }

  private start(st: NodeState): void {
    st.status = 'running';
    st.startedAt = new Date().toISOString();
  }

  /** Back to pending: a light step that will run again on its own. */
  private unstart(st: NodeState): void {
    st.status = 'pending';
    delete st.startedAt;
  }

  private finish(st: NodeState, outcome: { result: Json } | { error: unknown }): void {
    st.endedAt = new Date().toISOString();
    if ('result' in outcome) {
      st.status = 'completed';
      st.result = outcome.result;
      return;
    }
    st.status = isCancellation(outcome.error) ? 'cancelled' : 'failed';
    if (st.status === 'failed') st.error = describeFailure(outcome.error);
  }

  private async track(st: NodeState, work: () => Promise<Json>): Promise<Json> {
    this.start(st);
    try {
      const result = await work();
      this.finish(st, { result });
      return result;
    } catch (error) {
      this.finish(st, { error });
      throw error;
    }
  }

  // ---- evaluation ----------------------------------------------------------------------

  private async runNode(node: CanvasNode, st: NodeState, input: Input, inherited: StepOptions): Promise<Json> {
    const options = mergeOptions(inherited, node.options);
    if ('task' in node) return this.runTask(node, st, input, inherited);
    if ('wait' in node) return this.track(st, () => this.runWait(node, st));
    return this.track(st, async () => {
      if ('chain' in node) return this.runChain(node.chain, st, input, options);
      if ('group' in node) return this.runGroup(node.group, st, input, options, node);
      if ('chord' in node) {
        const header = await this.runGroup(node.chord.header, st, input, options, node.chord, 'chord.header');
        const body = st.children![st.children!.length - 1];
        return this.runNode(node.chord.body, body, { value: header }, options);
      }
      if ('chunks' in node) return this.runBatches(chunksBatching(node.chunks), st, options);
      return this.runMap(node.map, st, input, options);
    });
  }

  /**
   * Celery's chain: each result is prepended to the next node's args (unless immutable).
   * Two or more light steps in a row run as one local activity (runLightSteps); a step
   * that failed there runs again on its own, and so does everything after a fallback.
   */
  private async runChain(nodes: CanvasNode[], st: NodeState, input: Input, options: StepOptions): Promise<Json> {
    let current = input;
    for (let i = 0; i < nodes.length; i++) {
      const light = this.lightRun(nodes, st.children!, i, options);
      if (light.length > 1 && hasChange('lightChains')) {
        const done = await this.runLightSteps(light, current);
        if (done.length > 0) current = { value: done[done.length - 1] };
        if (done.length === light.length) {
          i += light.length - 1;
          continue;
        }
        // The step that failed (or all, if the activity did) runs on its own, right now.
        i += done.length;
      }
      current = { value: await this.runNode(nodes[i], st.children![i], current, options) };
    }
    return current === undefined ? null : current.value;
  }

  /** The steps from `from` on that could run together as light steps (fewer than 2: no light run). */
  private lightRun(nodes: CanvasNode[], states: NodeState[], from: number, inherited: StepOptions): LightStep[] {
    const run: LightStep[] = [];
    if (!this.localActivities) return run;
    for (let i = from; i < nodes.length; i++) {
      const step = this.lightStep(nodes[i], states[i], inherited);
      if (!step) break;
      run.push(step);
    }
    return run;
  }

  /** A task step that is light, runs locally, has no delay and no bound over its attempts, and is not a reused result. */
  private lightStep(node: CanvasNode, st: NodeState, inherited: StepOptions): LightStep | undefined {
    if (!('task' in node) || this.resume.has(st.path)) return undefined;
    const definition = this.taskSpec(node.task);
    if (!definition?.light) return undefined;
    const options = mergeOptions(definition.defaults, this.defaults, inherited, node.options);
    const light = runsLocally(definition, options) && options.delay === undefined && options.scheduleToCloseTimeout === undefined;
    return light ? { node, st, options } : undefined;
  }

  /**
   * Runs light chain steps in one local activity, one attempt, within the sum of their
   * time limits. Returns the results of the steps that completed, in order; the caller
   * runs the rest one by one (the failed step with its full retry policy: light tasks are
   * idempotent, so running one again is safe).
   */
  private async runLightSteps(steps: LightStep[], input: Input): Promise<Json[]> {
    const states = steps.map((step) => step.st);
    // Each step's own limit as its local activity would get it (defaults included); no step has a schedule-to-close bound.
    const limitMs = steps.reduce((sum, { st, options }) => sum + durationMs(toLocalActivityOptions(options, st.path).startToCloseTimeout as number), 0);
    const run = proxyLocalActivities<Record<string, (input: LightChainInput) => Promise<LightChainOutcome>>>(
      toLocalActivityOptions({ startToCloseTimeout: limitMs, retry: { maxAttempts: 1 } }, `${states[0].path}..${states[states.length - 1].path}`),
    )[LIGHT_CHAIN_ACTIVITY];
    const request: LightChainInput = { steps: steps.map(({ node: { task, args, kwargs, immutable } }) => ({ task, args, kwargs, immutable })), input };
    for (const st of states) this.start(st);
    this.activitiesScheduled++;
    let outcome: LightChainOutcome;
    try {
      outcome = await this.pending.with(() => run(request));
    } catch (error) {
      if (isCancellation(error)) {
        // As one step at a time would show it: the first step cancelled, the rest never started.
        this.finish(states[0], { error });
        for (const st of states.slice(1)) this.unstart(st);
        throw error;
      }
      outcome = { results: [], failedAt: 0 };
    }
    outcome.results.forEach((result, k) => {
      this.finish(states[k], { result });
      this.steps[states[k].path] = result;
      this.completed++;
    });
    for (const st of states.slice(outcome.results.length)) this.unstart(st);
    return outcome.results;
  }

  /** Takes the node's event from the run's inbox (waiting up to its timeout); the payload is the result. */
  private async runWait(node: WaitNode, st: NodeState): Promise<Json> {
    const { event, timeout } = node.wait;
    const ms = durationMs(timeout);
    st.waitingFor = { event, until: new Date(Date.now() + ms).toISOString() };
    try {
      const received = await takeEvent(event, ms);
      if (received) {
        if (received.sentBy !== undefined) st.receivedFrom = { by: received.sentBy, ...(received.sentAt ? { at: received.sentAt } : {}) };
        return received.payload;
      }
    } finally {
      delete st.waitingFor;
    }
    if ('default' in node.wait) return node.wait.default ?? null;
    throw stepFailure({ type: ErrorType.EventTimeout, message: `no event "${event}" arrived within ${timeout}`, node: nodeRef(st) });
  }

  private async runTask(node: TaskNode, st: NodeState, input: Input, inherited: StepOptions, leading: Json[] = []): Promise<Json> {
    try {
      const reused = this.reusedStep(st.path);
      if (reused) {
        Object.assign(st, { status: 'completed', result: reused.value, reused: true, endedAt: new Date().toISOString() });
        return reused.value;
      }
      const definition = this.taskSpec(node.task);
      if (!definition) throw ApplicationFailure.create({ type: ErrorType.UnknownTask, message: `unknown task ${node.task}`, nonRetryable: true });
      const options = mergeOptions(definition.defaults, this.defaults, inherited, node.options);
      const args = [...leading, ...chainArgs(input, node.immutable, node.args)];
      const python = definition.pool === PYTHON_POOL;
      // A Python task takes its kwargs as keywords (and Celery's retries unless the canvas set its own); TypeScript tasks by position.
      const call = python ? [pythonCall(args, node.kwargs, [this.defaults, inherited, node.options])] : args;
      if (!python) placeKwargs(args, definition.params, node.kwargs);
      if (options.delay !== undefined) await sleep(durationMs(options.delay));
      this.activitiesScheduled++;
      const activity = this.activity(definition, options, st.path, node.task);
      const result = await this.track(st, () => this.pending.with(() => activity(...call)));
      this.steps[st.path] = result;
      return result;
    } catch (error) {
      // Failures before the activity (bad kwargs, a cancelled delay) end the node too.
      if (st.status === 'pending') this.finish(st, { error });
      if (isCancellation(error)) throw error;
      throw stepFailure({ ...describeFailure(error), node: nodeRef(st) });
    } finally {
      if (st.status === 'completed') this.completed++;
    }
  }

  /** The activity that runs one step: local in this worker for light tasks, else on the task's pool. */
  private activity(definition: TaskSpec, options: StepOptions, path: string, type: string, scale = 1): ActivityFn {
    if (this.localActivities && runsLocally(definition, options)) {
      const local = toLocalActivityOptions(options, path, scale);
      // sdk-core drops a schedule-to-close timeout that fires while a retry backs off inside
      // the worker (the step then ran all its attempts): with a bound on all attempts, every
      // retry backs off on a durable timer, and the next attempt checks the bound.
      if (local.scheduleToCloseTimeout !== undefined) local.localRetryThreshold = 0;
      return proxyLocalActivities<Record<string, ActivityFn>>(local)[type];
    }
    const remote = toActivityOptions(options, definition.pool, path, scale);
    // A rate-limited task runs on its own queue, whose dispatch rate the server limits.
    if (definition.maxPerSecond !== undefined && type === definition.name && hasChange('rateLimitedQueues')) remote.taskQueue = limitedQueueOf(definition);
    return proxyActivities<Record<string, ActivityFn>>({ ...remote, cancellationType: ActivityCancellationType.TRY_CANCEL })[type];
  }

  private async runGroup(
    members: CanvasNode[],
    st: NodeState,
    input: Input,
    options: StepOptions,
    shape: { maxConcurrency?: number; settle?: boolean },
    segment = 'group',
  ): Promise<Json[]> {
    const limit = shape.maxConcurrency ?? LIMITS.defaultConcurrency;
    if (this.shouldDelegate(members.length, countTasks(members), members)) {
      return this.delegate(members.length, limit, shape.settle ?? false, st, segment, (from, to) => ({
        request: {
          canvas: { group: members.slice(from, to), maxConcurrency: limit, settle: shape.settle },
          defaults: mergeOptions(this.defaults, options),
          input,
        },
        tasks: countTasks(members.slice(from, to)),
      }));
    }
    return this.fanOut(members.length, limit, shape.settle ?? false, st, (i) => {
      const child = st.children?.[i] ?? { path: this.memberPath(st, segment, i), kind: nodeKind(members[i]), status: 'pending' as const };
      return this.runNode(members[i], child, input, options);
    });
  }

  /** Celery's map/starmap: one task per item; items come from the node or from its input. */
  private async runMap(spec: MapSpec, st: NodeState, input: Input, options: StepOptions): Promise<Json[]> {
    const items = spec.items ?? input?.value;
    if (!Array.isArray(items)) {
      throw stepFailure({
        type: ErrorType.InvalidArguments,
        message: `map over ${spec.task} needs an array of items, got ${typeName(items)}`,
        node: nodeRef(st),
      });
    }
    if (spec.batchSize !== undefined) {
      if (!spec.items) this.expandMap(spec, st, items.length);
      return this.runBatches(mapBatching(spec, items), st, options);
    }
    if (items.length > LIMITS.maxFanOut) {
      throw stepFailure({ type: ErrorType.FanOutLimit, message: `map of ${items.length} items is over the limit of ${LIMITS.maxFanOut}`, node: nodeRef(st) });
    }
    if (!spec.items) this.expandMap(spec, st, items.length);
    const limit = spec.maxConcurrency ?? LIMITS.defaultConcurrency;
    if (this.shouldDelegate(items.length, items.length)) {
      return this.delegate(items.length, limit, spec.settle ?? false, st, 'map.items', (from, to) => ({
        request: { canvas: { map: { ...spec, items: items.slice(from, to), maxConcurrency: limit } }, defaults: mergeOptions(this.defaults, options) },
        tasks: to - from,
      }));
    }
    // The item is the first argument; the map's `options` are the items' own (innermost) options.
    const itemNode: TaskNode = { task: spec.task, args: spec.args, kwargs: spec.kwargs, immutable: true, options: spec.options };
    return this.fanOut(items.length, limit, spec.settle ?? false, st, (i) => {
      const item = items[i];
      const itemSt = st.children?.[i] ?? { path: this.memberPath(st, 'map.items', i), kind: 'task' as const, task: spec.task, status: 'pending' as const };
      if (spec.spread && !Array.isArray(item)) {
        throw stepFailure({ type: ErrorType.InvalidArguments, message: `spread map item ${i} is not an array of arguments`, node: nodeRef(itemSt) });
      }
      return this.runTask(itemNode, itemSt, undefined, options, spec.spread ? (item as Json[]) : [item]);
    });
  }

  /**
   * Celery's chunks, and maps with `batchSize`: one activity per batch of items, each
   * running the task for its items in order. The state counts items, not batches.
   */
  private async runBatches(batching: Batching, st: NodeState, inherited: StepOptions): Promise<Json[]> {
    const { items, size } = batching;
    const batches = Math.ceil(items.length / size);
    if (batches > LIMITS.maxFanOut || items.length > LIMITS.maxBatchedItems) {
      throw stepFailure({
        type: ErrorType.FanOutLimit,
        message: `${items.length} items in ${batches} batches is over the limit of ${LIMITS.maxFanOut} batches or ${LIMITS.maxBatchedItems} items`,
        node: nodeRef(st),
      });
    }
    const definition = this.taskSpec(batching.task);
    if (!definition) throw stepFailure({ type: ErrorType.UnknownTask, message: `unknown task ${batching.task}`, node: nodeRef(st) });
    const limit = batching.maxConcurrency ?? LIMITS.defaultConcurrency;
    const units: FanOutUnits = { count: (from, to) => Math.min(items.length, to * size) - from * size, first: (from) => from * size };
    if (this.shouldDelegate(batches, batches)) {
      return this.delegate(
        batches,
        limit,
        false,
        st,
        batching.shape === 'chunks' ? 'chunks.items' : 'map.items',
        (from, to) => ({
          request: { canvas: batching.slice(items.slice(from * size, to * size)), defaults: mergeOptions(this.defaults, inherited) },
          tasks: units.count(from, to),
        }),
        units,
      );
    }
    // The batch's options are the task's, with its timeouts stretched to the batch's length.
    const options = mergeOptions(definition.defaults, this.defaults, inherited, batching.options);
    const parts = await this.fanOut(batches, limit, false, { ...st, counts: undefined }, async (k) => {
      const slice = items.slice(k * size, (k + 1) * size);
      const input: BatchInput = {
        task: batching.task,
        items: slice,
        spread: batching.spread,
        args: batching.args,
        kwargs: batching.kwargs,
        offset: this.offsetOf(st) + k * size,
        ...(definition.pool === PYTHON_POOL ? { retries: retriesOf([this.defaults, inherited, batching.options]) } : {}),
      };
      const stepId = `${st.path}#${k}`;
      const reused = this.reusedStep(stepId);
      if (!reused) this.activitiesScheduled++;
      if (st.counts) st.counts.running += slice.length;
      try {
        const run = this.activity(definition, options, stepId, BATCH_ACTIVITY, slice.length);
        const results = reused ? (reused.value as Json[]) : ((await this.pending.with(() => run(input as unknown as Json))) as Json[]);
        this.steps[stepId] = results;
        this.completed += slice.length;
        if (st.counts) st.counts.completed += slice.length;
        return results;
      } catch (error) {
        if (st.counts) st.counts.failed += slice.length;
        if (isCancellation(error)) throw error;
        throw stepFailure({ ...describeFailure(error), node: nodeRef(st) });
      } finally {
        if (st.counts) st.counts.running -= slice.length;
      }
    });
    return batching.shape === 'chunks' ? parts : (parts as Json[][]).flat();
  }

  /** A map over its input learns its size only now: it joins the known tasks here. */
  private expandMap(spec: MapSpec, st: NodeState, size: number): void {
    st.counts = counts(size);
    if (spec.batchSize === undefined) st.children = this.fanOutState(size, (i) => this.itemState(spec, st.path, i + this.offsetOf(st)));
    if (!st.children) this.known += size;
  }

  /**
   * The root fan-out of a delegated chunk reads as in the parent: its member indexes
   * continue the parent's, under the parent's segment (a chord header runs as a group).
   */
  private offsetFor(isRoot: boolean): number {
    return isRoot ? this.placement.indexOffset : 0;
  }

  private segmentFor(isRoot: boolean, own: string): string {
    return (isRoot && this.placement.segment) || own;
  }

  private offsetOf(st: NodeState): number {
    return this.offsetFor(st === this.root);
  }

  private memberPath(st: NodeState, segment: string, i: number): string {
    return `${st.path}.${this.segmentFor(st === this.root, segment)}[${i + this.offsetOf(st)}]`;
  }

  /**
   * Runs `size` members at most `limit` at a time. Without `settle` the first failure
   * cancels the members still running and fails the fan-out; with it, every member runs
   * and yields {ok, value} or {ok, error}. Cancellation of the run always propagates.
   */
  private async fanOut(size: number, limit: number, settle: boolean, st: NodeState, member: (i: number) => Promise<Json>): Promise<Json[]> {
    const results: Json[] = new Array(size).fill(null);
    let next = 0;
    let firstError: unknown;
    const tally = st.counts;
    await CancellationScope.cancellable(async () => {
      const scope = CancellationScope.current();
      const lane = async (): Promise<void> => {
        while (next < size && firstError === undefined) {
          const i = next++;
          if (tally) tally.running++;
          try {
            const value = await member(i);
            results[i] = settle ? { ok: true, value } : value;
            if (tally) tally.completed++;
          } catch (error) {
            if (tally) tally.failed++;
            if (settle && !isCancellation(error)) {
              results[i] = { ok: false, error: (readCanvasFailure(error) ?? describeFailure(error)) as unknown as Json };
            } else if (firstError === undefined) {
              firstError = error;
              scope.cancel();
            }
          } finally {
            if (tally) tally.running--;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(limit, size) }, lane));
    });
    if (firstError !== undefined) throw firstError;
    return results;
  }

  // ---- large fan-outs in child workflows -------------------------------------------------

  /**
   * Large fan-outs always go to children. A fan-out that would push this run past its
   * activity budget goes too, unless this run has scheduled nothing yet: a child starts
   * with a fresh budget, and delegating again from there would recurse forever.
   */
  private shouldDelegate(members: number, activities: number, nodes: CanvasNode[] = []): boolean {
    // Events reach this run only: a fan-out with wait nodes stays here, whatever its size.
    if (nodes.some(hasWait)) return false;
    if (members > LIMITS.inlineFanOut) return true;
    return this.activitiesScheduled > 0 && this.activitiesScheduled + activities > LIMITS.activitiesPerRun;
  }

  /**
   * Splits a fan-out into child `canvas` runs of at most `inlineFanOut` members. Each child
   * runs at most `limit` members at once and `limit / inlineFanOut` children (at least
   * one) run at once, so the fan-out as a whole never exceeds `limit`.
   */
  private async delegate(
    size: number,
    limit: number,
    settle: boolean,
    st: NodeState,
    segment: string,
    chunk: (from: number, to: number) => { request: CanvasRequest & { input?: Input }; tasks: number },
    units: FanOutUnits = ONE_PER_MEMBER,
  ): Promise<Json[]> {
    const chunkSize = LIMITS.inlineFanOut;
    const chunks = Math.ceil(size / chunkSize);
    const parallelChildren = Math.max(1, Math.floor(limit / chunkSize));
    const parts: Json[][] = new Array(chunks);
    const info = workflowInfo();
    await this.fanOut(chunks, parallelChildren, false, { ...st, counts: undefined }, async (k) => {
      const from = k * chunkSize;
      const to = Math.min(size, from + chunkSize);
      const { request, tasks } = chunk(from, to);
      const placement: Placement = {
        basePath: st.path,
        indexOffset: this.offsetOf(st) + units.first(from),
        segment: this.segmentFor(st === this.root, segment),
      };
      const members = units.count(from, to);
      if (st.counts) st.counts.running += members;
      const stepId = `${st.path}/${k}`;
      try {
        parts[k] =
          (this.reusedStep(stepId)?.value as Json[] | undefined) ??
          (await executeChild(canvasChildWorkflowType, {
            args: [{ ...request, placement, pythonTasks: this.pythonTasks }],
            workflowId: `${info.workflowId}/${st.path}/${k}-${this.childCount++}`,
            taskQueue: WORKFLOW_TASK_QUEUE,
          }));
        this.steps[stepId] = parts[k];
      } catch (error) {
        if (st.counts) st.counts.failed += members;
        throw readCanvasFailure(error) ? stepFailure(readCanvasFailure(error)!) : error;
      } finally {
        if (st.counts) st.counts.running -= members;
      }
      this.completed += tasks;
      if (st.counts) st.counts.completed += members;
      // Small fan-outs (delegated for the budget) list their members: show how they ended.
      parts[k].forEach((result, j) => {
        const member = st.children?.[from + j];
        if (member) settleState(member, settle ? (result as unknown as Settled) : { ok: true, value: result });
      });
      return null;
    });
    return parts.flat();
  }
}

/**
 * What a Python step receives (python/orchestra_python/activities.py): positional args,
 * kwargs as keywords, and whose retry settings decide: Celery's own (max_retries,
 * autoretry_for, self.retry) unless the canvas gave a `retry` option on the way down.
 */
function pythonCall(args: Json[], kwargs: Record<string, Json> | undefined, layers: Array<StepOptions | undefined>): Json {
  return { args, kwargs: kwargs ?? {}, retries: retriesOf(layers) };
}

function retriesOf(layers: Array<StepOptions | undefined>): PythonRetries {
  return layers.some((options) => options?.retry !== undefined) ? 'canvas' : 'celery';
}

/** The workflow type that runs delegated chunks (the `canvas` workflow itself). */
const canvasChildWorkflowType = WORKFLOW_TYPES.canvas;
