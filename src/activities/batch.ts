/**
 * The batch runner behind `chunks` and `map` with `batchSize`: one activity runs a task for
 * each item of its slice, in order, and returns their results. A failing item fails the
 * batch with the task's own error type, naming the item's index; a retry runs the whole
 * batch again (tasks are idempotent). A remote batch heartbeats its item count.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { itemArgs, placeKwargs, type BatchInput } from '../workflows/language/arguments';
import type { Json } from '../workflows/language/types';
import { ErrorType, permanentFailure } from '../workflows/errors';
import { getTask } from '../tasks/registry';

type Task = (...args: unknown[]) => Promise<unknown>;

export function batchRunner(tasks: Readonly<Record<string, Task>>): (input: BatchInput) => Promise<Json[]> {
  return async ({ task, items, spread, args, kwargs, offset }) => {
    const definition = getTask(task);
    const run = tasks[task];
    if (!definition || !run) throw permanentFailure(ErrorType.InvalidArguments, `batch of unknown task ${task}`);
    const ctx = Context.current();
    const results: Json[] = [];
    for (let i = 0; i < items.length; i++) {
      const callArgs = itemArgs(items[i], spread, args);
      try {
        placeKwargs(callArgs, definition.params, kwargs);
        results.push((await run(...callArgs)) as Json);
      } catch (error) {
        throw itemFailure(error, offset + i);
      }
      if (!ctx.info.isLocal)
        ctx.heartbeat({ progress: Math.floor(((i + 1) / items.length) * 100), message: `${i + 1} of ${items.length} items`, completed: i + 1 });
    }
    return results;
  };
}

/** The item's own error, its message prefixed with the item's index in the whole map. */
function itemFailure(error: unknown, index: number): ApplicationFailure {
  const message = error instanceof Error ? error.message : String(error);
  const type = error instanceof ApplicationFailure ? (error.type ?? 'Error') : error instanceof Error ? error.name : 'Error';
  const nonRetryable = error instanceof ApplicationFailure && error.nonRetryable === true;
  return ApplicationFailure.create({
    type,
    message: `item ${index}: ${message}`,
    nonRetryable,
    details: [{ item: index }],
    cause: error instanceof Error ? error : undefined,
  });
}
