/** The `canvas` workflow: runs a validated canvas request (POST /workflows). */
import { CancellationScope, defineQuery, isCancellation, setHandler } from '@temporalio/workflow';
import { RETRY_QUERY, type Resume } from './language/events';
import { describeFailure, invalidCanvas, readCanvasFailure } from './language/failures';
import type { CanvasFailure, CanvasRequest, Json } from './language/types';
import type { PythonTaskSpecs } from './tasks/catalog';
import { checkStructure } from './language/structure';
import { publishState } from './final-state';
import { Interpreter, type Placement } from './interpreter';
import { ConcurrencySlot } from './concurrency-slot';
import { withFlowState } from './flow-state';
import { listenForEvents, receivedEvents } from './events';
import { notificationState, notifyRunEnd, type RunEnd } from './notify';

/** A request as the workflow receives it; `input` and `placement` are set only for delegated chunks. */
export interface CanvasRun extends CanvasRequest {
  input?: { value: Json };
  placement?: Placement;
  /** Set by POST /workflows/:id/retry: the earlier run's completed steps and events. */
  resume?: Resume;
  /** Who owns the run (set by the API, never by the caller); it scopes its concurrency key. */
  tenant?: string;
  /** The specs of the Python tasks the canvas names, as the API resolved them at start (set by the API, never by the caller). */
  pythonTasks?: PythonTaskSpecs;
  /** The key whose signing secret signs the `notify` webhook when it gives none (set by the API, never by the caller). */
  notifySigner?: string;
}

/** What a closed run tells POST /workflows/:id/retry (replayed on a worker, so old runs answer too). */
export interface RetryState {
  request: CanvasRun;
  resume: Resume;
}

export const retryStateQuery = defineQuery<RetryState>(RETRY_QUERY);

export async function canvas(request: CanvasRun): Promise<Json> {
  // The API validated it in full already; runs started otherwise (the temporal CLI, a
  // client) get the structural check, and a clean failure instead of a workflow task that
  // fails forever. Chunks of a delegated fan-out come from a checked parent.
  if (!request.placement) {
    const problems = checkStructure(request);
    if (problems.length > 0) throw invalidCanvas('canvas request', problems);
  }
  listenForEvents(request.resume?.events);
  const interpreter = new Interpreter(request.canvas, request.defaults, request.placement, request.resume?.steps, request.pythonTasks);
  // A concurrency key holds a slot at its coordinator while the canvas runs (delegated chunks run inside their parent's).
  const slot = request.concurrency && !request.placement ? new ConcurrencySlot(request.concurrency, request.tenant) : undefined;
  publishState(() => withFlowState(interpreter.state(), slot?.state(), notificationState()));
  setHandler(retryStateQuery, () => ({ request, resume: { steps: interpreter.completedSteps(), events: receivedEvents() } }));
  // Delegated chunks report to their parent, which notifies for the whole run.
  const notify = request.placement ? undefined : request.notify;
  let result: Json;
  try {
    result = await (slot ? slot.hold(() => interpreter.run(request.input)) : interpreter.run(request.input));
  } catch (error) {
    if (request.onError && (!isCancellation(error) || request.onError.onCancel)) {
      await runErrback(request, error);
    }
    if (notify) await notifyRunEnd(notify, request.notifySigner ?? '', endOf(error));
    throw error;
  }
  if (notify) await notifyRunEnd(notify, request.notifySigner ?? '', { status: 'completed', result });
  return result;
}

function endOf(error: unknown): RunEnd {
  if (isCancellation(error)) return { status: 'canceled' };
  return { status: 'failed', failure: readCanvasFailure(error) ?? { ...describeFailure(error), node: { path: 'canvas' } } };
}

/** Celery's link_error: runs once with the failure as its first argument, even after a cancel. */
async function runErrback(request: CanvasRun, error: unknown): Promise<void> {
  const { onCancel: _onCancel, ...errback } = request.onError!;
  const failure: CanvasFailure = readCanvasFailure(error) ?? { ...describeFailure(error), node: { path: 'canvas' } };
  const interpreter = new Interpreter(errback, request.defaults, { basePath: 'onError', indexOffset: 0 }, {}, request.pythonTasks);
  try {
    await CancellationScope.nonCancellable(() => interpreter.run({ value: failure as unknown as Json }));
  } catch {
    // The run's own failure is what the caller must see; the errback's failure is in
    // the run's history (its activity failed), and must not replace it.
  }
}
