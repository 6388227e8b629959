/**
 * The envelope's flow control on the root of a run's state tree: its concurrency queue, its
 * debounce, its priority (docs/canvas.md, "Flow control"), and its completion webhook.
 */
import { workflowInfo } from '@temporalio/workflow';
import type { CanvasState, DebounceState, NotificationState, QueueState } from './language/types';

// Module state is per workflow execution (the SDK isolates workflow modules).
let debounce: (() => DebounceState) | undefined;

/** The debouncer shows its requests on the state of the canvas it runs. */
export function showDebounce(state: () => DebounceState): void {
  debounce = state;
}

export function withFlowState(state: CanvasState, queue: QueueState | undefined, notification?: NotificationState): CanvasState {
  const priority = workflowInfo().priority?.priorityKey;
  if (!queue && !debounce && !priority && !notification) return state;
  const root = { ...state.root };
  if (notification) root.notification = notification;
  if (queue) root.queue = { ...queue };
  if (debounce) root.debounce = debounce();
  if (priority) root.priority = priority;
  return { ...state, root };
}
