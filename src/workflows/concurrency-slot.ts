/**
 * The canvas workflow's side of concurrency per key: queue at the key's coordinator
 * (./concurrency.ts), wait for the grant, run, and give the slot back however the run ends
 * (completed, failed or cancelled, waiting or running).
 */
import {
  ActivityCancellationType,
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  patched,
  proxyLocalActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { concurrencyWorkflowId, FLOW_ACTIVITIES, type SlotRequest } from './language/flow-control';
import { tenantFlowKey } from './tenants';
import type { ConcurrencySpec, QueueState } from './language/types';
import { grantedSignal, releaseSignal } from './concurrency';

/** Runs with a concurrency key mark their histories: the slot's commands came with it. */
const CONCURRENCY_PATCH = 'orchestra-concurrency-keys';

/**
 * Signal-with-start of the coordinator, from the orchestrator. A local activity: one
 * marker instead of an activity round trip; retried until the server takes it. Cancelling
 * waits for it, so the run's release never overtakes its own acquire.
 */
const { [FLOW_ACTIVITIES.enqueue]: enqueue } = proxyLocalActivities<Record<string, (key: string, request: SlotRequest) => Promise<void>>>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '5s' },
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
});

export class ConcurrencySlot {
  private granted = false;
  private queue: QueueState | undefined;
  /** The coordinator's key: the spec's, owned by the run's tenant (runs from before tenants have none). */
  private readonly key: string;

  constructor(
    private readonly spec: ConcurrencySpec,
    private readonly tenant: string | undefined,
  ) {
    this.key = tenantFlowKey(spec.key, tenant);
    setHandler(grantedSignal, () => {
      this.granted = true;
    });
  }

  /** For the root of the state tree. */
  state(): QueueState | undefined {
    return this.queue;
  }

  async hold<T>(work: () => Promise<T>): Promise<T> {
    patched(CONCURRENCY_PATCH);
    const { workflowId, runId } = workflowInfo();
    this.queue = { key: this.spec.key, limit: this.spec.limit, status: 'waiting', since: new Date().toISOString() };
    try {
      await enqueue(this.key, { workflowId, runId, limit: this.spec.limit, ...(this.tenant === undefined ? {} : { tenant: this.tenant }) });
      await condition(() => this.granted);
      this.queue.status = 'running';
      this.queue.grantedAt = new Date().toISOString();
      return await work();
    } finally {
      await CancellationScope.nonCancellable(async () => {
        try {
          await getExternalWorkflowHandle(concurrencyWorkflowId(this.key)).signal(releaseSignal, { workflowId, runId });
        } catch {
          // No coordinator: the acquire never reached one, or it already let this run go.
        }
      });
      this.queue.status = 'released';
    }
  }
}
