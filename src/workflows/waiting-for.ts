/**
 * The OrchestraWaitingFor search attribute: the event names the run's wait nodes wait for
 * right now, so POST /events/:name with `deliverToWaiting` finds the runs to signal with one
 * visibility query. Kept in the sandbox (the workflow upserts it); src/temporal/search-attributes.ts
 * registers it with the others.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { upsertSearchAttributes } from '@temporalio/workflow';
import { hasChange } from './patches';

export const WaitingForKey = defineSearchAttributeKey('OrchestraWaitingFor', SearchAttributeType.KEYWORD_LIST);

// Module state is per workflow execution. Two wait nodes may wait for one name at once.
const waiting = new Map<string, number>();

function publish(): void {
  const names = [...waiting.keys()].sort();
  // An empty list would be stored as such: null removes the attribute, so the run no longer matches.
  upsertSearchAttributes([{ key: WaitingForKey, value: names.length ? names : null }]);
}

/**
 * Marks the run as waiting for `name` until the returned function is called. Runs started
 * before the change (./patches.ts) never upsert, so their histories replay unchanged.
 */
export function markWaiting(name: string): () => void {
  if (!hasChange('waitingForAttribute')) return () => undefined;
  const before = waiting.get(name) ?? 0;
  waiting.set(name, before + 1);
  if (before === 0) publish();
  return () => {
    const left = (waiting.get(name) ?? 1) - 1;
    if (left > 0) return void waiting.set(name, left);
    waiting.delete(name);
    publish();
  };
}
