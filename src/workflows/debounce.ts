/**
 * Debounce (docs/canvas.md, "Flow control"): every request with one key is a signal to the
 * key's debouncer, `debounce-<key>` (signal-with-start from the API). It keeps the last
 * request and, once the key has been quiet for the period, runs that request's canvas
 * inline, so the debouncer's id is the run every caller was given. Requests arriving while
 * the canvas runs start the next period, in the next run of the same id (continue-as-new).
 */
import { allHandlersFinished, condition, continueAsNew, defineSignal, setHandler } from '@temporalio/workflow';
import { durationMs } from './language/duration';
import { DEBOUNCE_SIGNAL } from './language/flow-control';
import { nodeKind, type DebounceState, type Duration, type Json } from './language/types';
import { canvas, type CanvasRun } from './canvas';
import { publishState } from './final-state';
import { showDebounce } from './flow-state';

export const debounceSignal = defineSignal<[CanvasRun]>(DEBOUNCE_SIGNAL);

export interface DebounceStart {
  key: string;
  period: Duration;
  /** Carried across continue-as-new: the request that arrived while the last canvas ran. */
  request?: CanvasRun;
  requests?: number;
}

export async function debouncer(start: DebounceStart): Promise<Json> {
  let latest = start.request;
  let arrived = start.requests ?? 0;
  let fired = false;
  let next: CanvasRun | undefined;
  let nextCount = 0;
  const state: DebounceState = { key: start.key, period: start.period, requests: arrived, status: 'waiting', lastRequestAt: new Date().toISOString() };
  setHandler(debounceSignal, (request) => {
    if (fired) {
      next = request;
      nextCount++;
      return;
    }
    latest = request;
    arrived++;
    state.requests = arrived;
    state.lastRequestAt = new Date().toISOString();
  });
  showDebounce(() => ({ ...state }));
  publishState(() => ({
    status: 'pending',
    progress: { completed: 0, known: 0 },
    root: { path: 'canvas', kind: latest ? nodeKind(latest.canvas) : 'task', status: 'pending', debounce: { ...state } },
  }));

  await condition(() => latest !== undefined);
  // Quiet for the period (the last request's own): no request within it.
  for (;;) {
    const seen = arrived;
    const period = durationMs(latest!.debounce?.period ?? start.period);
    if (!(await condition(() => arrived !== seen, period))) break;
  }
  fired = true;
  state.status = 'fired';
  state.firedAt = new Date().toISOString();
  const { debounce: _debounce, ...request } = latest!;
  let result: Json = null;
  try {
    result = await canvas(request);
  } catch (error) {
    if (!next) throw error;
  }
  if (next) {
    await condition(allHandlersFinished);
    return continueAsNew<typeof debouncer>({ key: start.key, period: next.debounce?.period ?? start.period, request: next, requests: nextCount });
  }
  return result;
}
