/**
 * How much each scenario does. The issue's counts (--issue-counts) take eight minutes or
 * more on a busy 2-core machine, so the default run does less where it must, says where in
 * every result, and caps the steps whose length does not bias their figure (serial calls,
 * repeated groups) at a time per round. --quick is a smoke run.
 */
export interface Plan {
  warmUp: { l1: number; canvases: number };
  /** (a) serial calls each way (capped per step and round), runs each way a round at concurrency 32. */
  a: { rounds: number; serial: number; serialCapS: number; parallelPerRound: number };
  /** (b) chains of 3 in all, L1 runs a round. */
  b: { rounds: number; chains: number; l1PerRound: number };
  /** (c) groups of 100 in all (capped per round), one chain of 100 a round, L1 runs a round. */
  c: { rounds: number; groups: number; groupCapS: number; l1PerRound: number };
  /** (d) images through the pool in all, of how many distinct originals; direct images a round. */
  d: { rounds: number; images: number; distinct: number; directPerRound: number };
  /** (e) messages one per task and in tasks of 100. */
  e: { rounds: number; onePerTask: number; batched: number };
  /** (f) seconds of start-only load per variant in all. */
  f: { rounds: number; seconds: number };
  /** (g) map items, and the time it may take, judged from (c)'s fan-out rate. */
  g: { items: number; budgetS: number };
  /**
   * (h) Orchestra and Celery side by side: serial chains of 3 after warm-up (capped per
   * round), chains of 3 at concurrency 32, a group of no-ops, no-op items in chunks.
   */
  h: { rounds: number; warmUp: number; serial: number; serialCapS: number; chains: number; group: number; chunkItems: number; chunkSize: number };
}

export const ISSUE_COUNTS: Plan = {
  warmUp: { l1: 32, canvases: 16 },
  a: { rounds: 4, serial: 200, serialCapS: Infinity, parallelPerRound: 160 },
  b: { rounds: 5, chains: 500, l1PerRound: 150 },
  c: { rounds: 5, groups: 10, groupCapS: Infinity, l1PerRound: 64 },
  d: { rounds: 4, images: 200, distinct: 20, directPerRound: 50 },
  e: { rounds: 5, onePerTask: 5000, batched: 5000 },
  f: { rounds: 4, seconds: 20 },
  g: { items: 10_000, budgetS: Infinity },
  h: { rounds: 3, warmUp: 10, serial: 100, serialCapS: Infinity, chains: 300, group: 5000, chunkItems: 5000, chunkSize: 100 },
};

/** Sized for about 270 s of scenarios at a load average of 7 on 2 cores; less on a quiet machine. */
export const DEFAULT_PLAN: Plan = {
  warmUp: { l1: 32, canvases: 16 },
  a: { rounds: 3, serial: 200, serialCapS: 3, parallelPerRound: 64 },
  b: { rounds: 4, chains: 256, l1PerRound: 64 },
  c: { rounds: 3, groups: 10, groupCapS: 3, l1PerRound: 32 },
  d: { rounds: 3, images: 24, distinct: 8, directPerRound: 24 },
  e: { rounds: 3, onePerTask: 900, batched: 3000 },
  f: { rounds: 4, seconds: 10 },
  g: { items: 10_000, budgetS: 40 },
  h: { rounds: 2, warmUp: 10, serial: 100, serialCapS: 10, chains: 300, group: 5000, chunkItems: 5000, chunkSize: 100 },
};

export const QUICK_PLAN: Plan = {
  warmUp: { l1: 16, canvases: 8 },
  a: { rounds: 2, serial: 20, serialCapS: 2, parallelPerRound: 32 },
  b: { rounds: 2, chains: 64, l1PerRound: 32 },
  c: { rounds: 2, groups: 2, groupCapS: 2, l1PerRound: 32 },
  d: { rounds: 2, images: 8, distinct: 4, directPerRound: 8 },
  e: { rounds: 2, onePerTask: 200, batched: 400 },
  f: { rounds: 2, seconds: 2 },
  g: { items: 1_000, budgetS: 10 },
  h: { rounds: 1, warmUp: 3, serial: 20, serialCapS: 3, chains: 64, group: 500, chunkItems: 1000, chunkSize: 100 },
};

/** Seconds as the load generator's durationMs (undefined: no cap). */
export function capMs(seconds: number): number | undefined {
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

/** Where a plan does less than the issue's list, whatever the machine's speed. */
export function fixedReductions(plan: Plan): string[] {
  const issue = ISSUE_COUNTS;
  const lines: string[] = [];
  const less = (what: string, ours: number, theirs: number) => {
    if (ours < theirs) lines.push(`${what}: ${ours.toLocaleString('en-US')} instead of ${theirs.toLocaleString('en-US')}`);
  };
  less('(b) chains of 3', plan.b.chains, issue.b.chains);
  less('(c) rounds (one chain of 100 each)', plan.c.rounds, issue.c.rounds);
  less('(d) images through the media pool', plan.d.images, issue.d.images);
  less('(e) messages one per task through the ml pool', plan.e.onePerTask, issue.e.onePerTask);
  less('(e) messages 100 per task through the ml pool', plan.e.batched, issue.e.batched);
  less('(f) seconds of start-only load per variant', plan.f.seconds, issue.f.seconds);
  less('(h) rounds of the Celery comparison', plan.h.rounds, issue.h.rounds);
  return lines;
}
