/** The `canvas` workflow: runs a validated canvas request (POST /workflows). */
import { CancellationScope, defineQuery, isCancellation, setHandler } from '@temporalio/workflow';
import { describeFailure, invalidCanvas, readCanvasFailure } from '../canvas/failures';
import type { CanvasFailure, CanvasRequest, CanvasState, Json } from '../canvas/types';
import { validateCanvasRequest } from '../canvas/validate';
import { Interpreter, type Placement } from './interpreter';

export const stateQuery = defineQuery<CanvasState>('state');

/** A request as the workflow receives it; `input` and `placement` are set only for delegated chunks. */
export interface CanvasRun extends CanvasRequest {
  input?: { value: Json };
  placement?: Placement;
}

export async function canvas(request: CanvasRun): Promise<Json> {
  // The API validated it already; runs started otherwise (the temporal CLI, a client) get
  // the same checks, and a clean failure instead of a workflow task that fails forever.
  // Chunks of a delegated fan-out come from a validated parent.
  if (!request.placement) {
    const checked = validateCanvasRequest(request, { nodeLimit: false });
    if (!checked.ok) throw invalidCanvas('canvas request', checked.issues);
  }
  const interpreter = new Interpreter(request.canvas, request.defaults, request.placement);
  setHandler(stateQuery, () => interpreter.state());
  try {
    return await interpreter.run(request.input);
  } catch (error) {
    if (request.onError && (!isCancellation(error) || request.onError.onCancel)) {
      await runErrback(request, error);
    }
    throw error;
  }
}

/** Celery's link_error: runs once with the failure as its first argument, even after a cancel. */
async function runErrback(request: CanvasRun, error: unknown): Promise<void> {
  const { onCancel: _onCancel, ...errback } = request.onError!;
  const failure: CanvasFailure = readCanvasFailure(error) ?? { ...describeFailure(error), node: { path: 'canvas' } };
  const interpreter = new Interpreter(errback, request.defaults, { basePath: 'onError', indexOffset: 0 });
  try {
    await CancellationScope.nonCancellable(() => interpreter.run({ value: failure as unknown as Json }));
  } catch {
    // The run's own failure is what the caller must see; the errback's failure is in
    // the run's history (its activity failed), and must not replace it.
  }
}
