/**
 * L1's workload: the smallest useful Temporal workflow, one activity that does nothing.
 * Bundled with bundleWorkflowCode by bench/minimal-worker.ts; no Orchestra code in it,
 * so it measures what the server and the SDK cost on their own.
 */
import { proxyActivities } from '@temporalio/workflow';

export interface MinimalActivities {
  noop(): Promise<null>;
}

const { noop } = proxyActivities<MinimalActivities>({ startToCloseTimeout: '30s' });

export async function minimal(): Promise<null> {
  return noop();
}
