/**
 * Every run records its final state tree in its memo as it closes, so a closed run is read
 * from `describe` alone: no state query, which would replay its whole history on a worker.
 * One workflow interceptor does it for every workflow type that publishes a state.
 */
import {
  setHandler,
  upsertMemo,
  type Next,
  type WorkflowExecuteInput,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptorsFactory,
} from '@temporalio/workflow';
import { FINAL_STATE_MEMO, trimStateForMemo } from './language/final-state';
import { hasChange } from './patches';
import type { CanvasState } from './language/types';
import { stateQuery } from './state-query';

/** Runs recorded before this patch close without the memo (and replay unchanged). */

// Module state is per workflow execution (the SDK isolates workflow modules).
let currentState: (() => CanvasState) | undefined;

/** Answers the `state` query with `state`, and records it in the memo when the run closes. */
export function publishState(state: () => CanvasState): void {
  currentState = state;
  setHandler(stateQuery, state);
}

function recordFinalState(): void {
  if (!currentState || !hasChange('finalStateMemo')) return;
  upsertMemo({ [FINAL_STATE_MEMO]: trimStateForMemo(currentState()) });
}

class FinalStateInterceptor implements WorkflowInboundCallsInterceptor {
  async execute(input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>): Promise<unknown> {
    try {
      const result = await next(input);
      recordFinalState();
      return result;
    } catch (error) {
      recordFinalState();
      throw error;
    }
  }
}

export const interceptors: WorkflowInterceptorsFactory = () => ({ inbound: [new FinalStateInterceptor()] });
