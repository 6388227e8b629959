/**
 * Concurrency per key (docs/canvas.md, "Flow control"): one coordinator workflow per key,
 * `concurrency-<key>`, hands out at most `limit` slots; canvas runs ask for one before
 * running their canvas (./concurrency-slot.ts) and give it back when they end. A durable
 * workflow rather than a lock in a database: the queue survives a restart of any process.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { CONCURRENCY_QUERY, CONCURRENCY_SIGNALS, FLOW_ACTIVITIES, type CoordinatorState, type RunRef, type SlotRequest } from './language/flow-control';

export const acquireSignal = defineSignal<[SlotRequest]>(CONCURRENCY_SIGNALS.acquire);
export const releaseSignal = defineSignal<[RunRef]>(CONCURRENCY_SIGNALS.release);
export const grantedSignal = defineSignal<[]>(CONCURRENCY_SIGNALS.granted);
export const queueQuery = defineQuery<CoordinatorState>(CONCURRENCY_QUERY);

/**
 * While runs wait, how often the holders are checked for runs that ended without giving
 * their slot back (terminated, or timed out by their own `timeout`): no workflow code runs then.
 */
const SWEEP_INTERVAL_MS = 30_000;

/** Continue-as-new well before Temporal's history limits; the state is two short lists. */
const MAX_HISTORY_EVENTS = 2_000;

const { [FLOW_ACTIVITIES.closedRuns]: closedRuns } = proxyActivities<Record<string, (runs: RunRef[]) => Promise<RunRef[]>>>({
  startToCloseTimeout: '30s',
  retry: { maximumInterval: '10s' },
});

const same = (a: RunRef) => (b: RunRef) => a.workflowId === b.workflowId && a.runId === b.runId;

export async function concurrencyCoordinator(state: CoordinatorState): Promise<void> {
  const { holders, waiters } = state;
  const drop = (list: SlotRequest[], run: RunRef) => {
    const i = list.findIndex(same(run));
    if (i >= 0) list.splice(i, 1);
  };
  setHandler(acquireSignal, (request) => {
    // An acquire delivered twice (an activity retried after the signal landed) queues once.
    if (!holders.some(same(request)) && !waiters.some(same(request))) waiters.push(request);
  });
  setHandler(releaseSignal, (run) => {
    drop(holders, run);
    drop(waiters, run);
  });
  setHandler(queueQuery, () => state);

  for (;;) {
    // Arrival order: only the first waiter may take a slot, under the key's limit.
    while (waiters.length > 0 && holders.length < (state.limit ?? waiters[0].limit)) {
      const next = waiters.shift()!;
      holders.push(next);
      try {
        await getExternalWorkflowHandle(next.workflowId, next.runId).signal(grantedSignal);
      } catch {
        drop(holders, next); // the run has ended: the slot goes to the next one
      }
    }
    if (holders.length === 0 && waiters.length === 0) {
      // Done; an acquire arriving now makes Temporal retry this completion with it.
      await condition(allHandlersFinished);
      return;
    }
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof concurrencyCoordinator>(state);
    }
    const before = { holders: holders.length, waiters: waiters.length };
    const changed = await condition(() => holders.length !== before.holders || waiters.length !== before.waiters, SWEEP_INTERVAL_MS);
    if (!changed && waiters.length > 0) {
      for (const ended of await closedRuns([...holders])) drop(holders, ended);
    }
  }
}
