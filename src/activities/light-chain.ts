/**
 * The light-chain runner: consecutive light steps of a chain (short, idempotent, no
 * heartbeat; catalog `light`) in one local activity, so the run records one marker for all
 * of them rather than one per step. It stops at the first step that fails and reports how
 * far it got; the workflow then runs that step, and the rest, one by one as usual, so
 * retries, errors and the state tree are what they would have been (docs/canvas.md).
 */
import { chainArgs, placeKwargs, type LightChainInput, type LightChainOutcome } from '../workflows/language/arguments';
import type { Json } from '../workflows/language/types';
import { ErrorType, permanentFailure } from '../workflows/errors';
import { getTask } from '../tasks/registry';

type Task = (...args: unknown[]) => Promise<unknown>;

export function lightChainRunner(tasks: Readonly<Record<string, Task>>): (input: LightChainInput) => Promise<LightChainOutcome> {
  return async ({ steps, input }) => {
    const results: Json[] = [];
    let current = input;
    for (let i = 0; i < steps.length; i++) {
      const { task, args, kwargs, immutable } = steps[i];
      const definition = getTask(task);
      const run = tasks[task];
      if (!definition?.light || !run) throw permanentFailure(ErrorType.InvalidArguments, `light chain with task ${task}, which is not light`);
      try {
        const callArgs = chainArgs(current, immutable, args);
        placeKwargs(callArgs, definition.params, kwargs);
        current = { value: (await run(...callArgs)) as Json };
      } catch {
        return { results, failedAt: i };
      }
      results.push(current.value);
    }
    return { results };
  };
}
