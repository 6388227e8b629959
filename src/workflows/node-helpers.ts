/**
 * Small pure helpers over the canvas and its state tree for the interpreter: counts, node
 * references for failures, settled members, what a node contains. Workflow-safe.
 */
import { childNodes, type CanvasFailure, type CanvasNode, type Json, type NodeState } from './language/types';

/** A settled member's outcome, as fanOut writes it. */
export type Settled = { ok: true; value: Json } | { ok: false; error: CanvasFailure };

export function settleState(member: NodeState, outcome: Settled): void {
  if (outcome.ok) Object.assign(member, { status: 'completed', result: outcome.value });
  else Object.assign(member, { status: 'failed', error: { type: outcome.error.type, message: outcome.error.message } });
}

export function counts(total: number): NodeState['counts'] {
  return { total, completed: 0, failed: 0, running: 0 };
}

/** Tasks known before running: task nodes and the items of maps that list them. */
export function countTasks(nodes: CanvasNode[]): number {
  let total = 0;
  for (const node of nodes) {
    if ('task' in node) total++;
    else if ('map' in node) total += node.map.items?.length ?? 0;
    else if ('chunks' in node) total += node.chunks.items.length;
    else total += countTasks(childNodes(node));
  }
  return total;
}

export function hasWait(node: CanvasNode): boolean {
  return 'wait' in node || childNodes(node).some(hasWait);
}

export function nodeRef(st: NodeState): CanvasFailure['node'] {
  const ref: CanvasFailure['node'] = { path: st.path };
  if (st.id !== undefined) ref.id = st.id;
  if (st.task !== undefined) ref.task = st.task;
  return ref;
}

export function typeName(value: unknown): string {
  if (value === undefined) return 'no input';
  if (value === null) return 'null';
  return Array.isArray(value) ? 'array' : typeof value;
}
