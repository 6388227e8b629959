/** What every scenario gets: the system, its clients, the references, and the run's scale. */
import type { Client } from '@temporalio/client';
import type { Plan } from './counts';
import type { OrchestraApi } from './orchestra';
import type { References } from './references';
import { cpuMs } from './procstat';
import type { System } from './stack';

export interface BenchContext {
  /** How much of everything, and the time caps (bench/counts.ts). */
  plan: Plan;
  system: System;
  client: Client;
  api: OrchestraApi;
  refs: References;
  log: (line: string) => void;
  /** Figures one scenario leaves for a later one (e.g. L1's per-workflow cost). */
  shared: { l1MsPerWorkflow?: number; l1WorkflowsPerSecond?: number; fanOutActivitiesPerSecond?: number };
}

/**
 * Waits until the server and the workers are quiet again (together under a tenth of a
 * core over 300 ms, from /proc), so work a round left behind does not weigh on the next.
 * Without our own processes (--url) it waits a fixed two seconds. Answers how long it waited.
 */
export async function waitForQuiet(ctx: BenchContext, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  const pids = Object.entries(ctx.system.pids()).filter(([name]) => name === 'temporal' || name.startsWith('worker-'));
  if (pids.length === 0) {
    await sleep(2000);
    return Date.now() - started;
  }
  const busy = () => pids.reduce((sum, [, pid]) => sum + (cpuMs(pid) ?? 0), 0);
  let last = busy();
  while (Date.now() - started < timeoutMs) {
    await sleep(300);
    const now = busy();
    if (now - last < 30) break;
    last = now;
  }
  return Date.now() - started;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
