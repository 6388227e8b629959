/**
 * How a step's arguments are assembled: a map item or chunk item first, then the node's own
 * args, then kwargs at their parameters' positions. Pure: the workflow interpreter and the
 * batch activity (which runs a chunk's items in a worker) both use it.
 */
import { ApplicationFailure } from '@temporalio/common';
import { ErrorType } from '../errors';
import type { Json } from './types';

/** The args of one item of a map or chunks node: spread items are argument lists. */
export function itemArgs(item: Json, spread: boolean, own: Json[] | undefined): Json[] {
  return [...(spread ? (item as Json[]) : [item]), ...(own ?? [])];
}

/** kwargs go to the positions their parameter names hold in the registry, in any order. */
export function placeKwargs(args: Json[], params: ReadonlyArray<{ name: string }>, kwargs: Record<string, Json> | undefined): void {
  if (!kwargs) return;
  const positional = args.length;
  for (const [name, value] of Object.entries(kwargs)) {
    const index = params.findIndex((p) => p.name === name);
    if (index < 0 || index < positional) {
      const why = index < 0 ? 'is not a parameter' : 'is also given by position';
      throw ApplicationFailure.create({ type: ErrorType.InvalidArguments, message: `keyword argument ${name} ${why}`, nonRetryable: true });
    }
    // Parameters skipped between the positional args and a keyword arrive as null.
    while (args.length < index) args.push(null);
    args[index] = value;
  }
}

/** The name every pool registers the batch runner under (not a task: canvases cannot call it). */
export const BATCH_ACTIVITY = 'canvas.batch';

/** What one batch activity receives: a slice of a map's or chunks node's items. */
export interface BatchInput {
  task: string;
  items: Json[];
  spread: boolean;
  args?: Json[];
  kwargs?: Record<string, Json>;
  /** The index of the first item in the whole map, so a failing item is named as the user wrote it. */
  offset: number;
  /** Python tasks only: whose retry settings decide (the interpreter's pythonCall). */
  retries?: PythonRetries;
}

/** Whose retry settings decide a Python step: the Celery task's own, or the canvas's `retry` option. */
export type PythonRetries = 'celery' | 'canvas';

/** A chain step's args: the previous result first (unless immutable or there is none), then its own. */
export function chainArgs(input: { value: Json } | undefined, immutable: boolean | undefined, own: Json[] | undefined): Json[] {
  return [...(immutable || !input ? [] : [input.value]), ...(own ?? [])];
}

/**
 * The name the orchestrator registers the light-chain runner under (not a task): consecutive
 * light steps of a chain run in one local activity, one durable record for all of them.
 */
export const LIGHT_CHAIN_ACTIVITY = 'canvas.lightChain';

/** One step of a light chain, as the chain node wrote it. */
export interface LightChainStep {
  task: string;
  args?: Json[];
  kwargs?: Record<string, Json>;
  immutable?: boolean;
}

/** What the light-chain activity receives: its steps, and the input of the first one. */
export interface LightChainInput {
  steps: LightChainStep[];
  input?: { value: Json };
}

/**
 * Each step's result up to the first that failed. A failing step is not an error of the
 * activity: the workflow runs it again as a step of its own, with its own retry policy.
 */
export interface LightChainOutcome {
  results: Json[];
  failedAt?: number;
}
