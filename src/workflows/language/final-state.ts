/**
 * The final state tree a closed run keeps in its memo (src/workflows/final-state.ts writes
 * it, the API reads it). Bounded: a memo counts against Temporal's size limits, so a large
 * tree gives up its nodes' results first, then its members, keeping the statuses and counts.
 */
import type { CanvasState, NodeState } from './types';

export const FINAL_STATE_MEMO = 'orchestraFinalState';

/**
 * Well under the server's memo limit (`limit.memoSize.error`, 32 KiB by default, shared with
 * the run's other memo fields); past it the upsert would fail the workflow task.
 */
export const FINAL_STATE_MAX_BYTES = 16 * 1024;

export function trimStateForMemo(state: CanvasState): CanvasState & { trimmed?: 'results' | 'members' } {
  if (jsonSize(state) <= FINAL_STATE_MAX_BYTES) return state;
  const withoutResults = { ...state, root: mapTree(state.root, ({ result: _result, ...rest }) => rest), trimmed: 'results' as const };
  if (jsonSize(withoutResults) <= FINAL_STATE_MAX_BYTES) return withoutResults;
  const { children: _children, result: _result, ...root } = state.root;
  return { ...state, root, trimmed: 'members' };
}

function mapTree(node: NodeState, f: (node: NodeState) => NodeState): NodeState {
  const mapped = f(node);
  return mapped.children ? { ...mapped, children: mapped.children.map((child) => mapTree(child, f)) } : mapped;
}

/** UTF-16 length is close enough for a bound (payloads are UTF-8 JSON). */
function jsonSize(value: unknown): number {
  return JSON.stringify(value).length;
}
