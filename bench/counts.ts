/**
 * How much each scenario does: the issue's counts, each step capped at a time per round
 * so the whole run stays near five minutes on a busy 2-core machine. A capped step stops
 * starting new work at its cap and reports how much it did; every shortfall from the
 * issue's count is listed with the results. --issue-counts lifts the caps; --quick is a
 * small smoke run.
 */
export interface Plan {
  warmUp: { l1: number; canvases: number };
  /** (a) serial calls each way, runs each way a round at concurrency 32; caps per step and round. */
  a: { rounds: number; serial: number; parallelPerRound: number; serialCapS: number; parallelCapS: number };
  /** (b) chains of 3 in all, L1 runs a round; caps per step and round. */
  b: { rounds: number; chains: number; l1PerRound: number; chainCapS: number; l1CapS: number };
  /** (c) groups of 100 in all (and one chain of 100 a round), L1 runs a round; cap on a round's groups. */
  c: { rounds: number; groups: number; l1PerRound: number; groupCapS: number };
  /** (d) images in all, of how many distinct originals; cap on a round's pool step. */
  d: { rounds: number; images: number; distinct: number; poolCapS: number };
  /** (e) messages one per task and in tasks of 100; cap on a round's pool steps. */
  e: { rounds: number; onePerTask: number; batched: number; poolCapS: number };
  /** (f) seconds of start-only load per variant in all. */
  f: { rounds: number; seconds: number };
  /** (g) map items, and the time it may take, judged from (c)'s fan-out rate. */
  g: { items: number; budgetS: number };
}

export const ISSUE_COUNTS: Plan = {
  warmUp: { l1: 32, canvases: 16 },
  a: { rounds: 4, serial: 200, parallelPerRound: 160, serialCapS: Infinity, parallelCapS: Infinity },
  b: { rounds: 5, chains: 500, l1PerRound: 150, chainCapS: Infinity, l1CapS: Infinity },
  c: { rounds: 5, groups: 10, l1PerRound: 64, groupCapS: Infinity },
  d: { rounds: 4, images: 200, distinct: 20, poolCapS: Infinity },
  e: { rounds: 5, onePerTask: 5000, batched: 5000, poolCapS: Infinity },
  f: { rounds: 4, seconds: 20 },
  g: { items: 10_000, budgetS: Infinity },
};

/** The issue's counts under time caps: about 260 s of scenarios at most. */
export const DEFAULT_PLAN: Plan = {
  warmUp: { l1: 32, canvases: 16 },
  a: { rounds: 4, serial: 200, parallelPerRound: 160, serialCapS: 3, parallelCapS: 3 },
  b: { rounds: 5, chains: 500, l1PerRound: 150, chainCapS: 5, l1CapS: 2.5 },
  c: { rounds: 3, groups: 10, l1PerRound: 48, groupCapS: 4 },
  d: { rounds: 4, images: 200, distinct: 20, poolCapS: 6 },
  e: { rounds: 5, onePerTask: 5000, batched: 5000, poolCapS: 4 },
  f: { rounds: 3, seconds: 6 },
  g: { items: 10_000, budgetS: 60 },
};

export const QUICK_PLAN: Plan = {
  warmUp: { l1: 16, canvases: 8 },
  a: { rounds: 2, serial: 20, parallelPerRound: 32, serialCapS: 2, parallelCapS: 2 },
  b: { rounds: 2, chains: 64, l1PerRound: 32, chainCapS: 2, l1CapS: 1 },
  c: { rounds: 2, groups: 2, l1PerRound: 32, groupCapS: 2 },
  d: { rounds: 2, images: 12, distinct: 4, poolCapS: 2 },
  e: { rounds: 2, onePerTask: 400, batched: 400, poolCapS: 2 },
  f: { rounds: 2, seconds: 2 },
  g: { items: 1_000, budgetS: 15 },
};

/** Seconds as the load generator's durationMs (undefined: no cap). */
export function capMs(seconds: number): number | undefined {
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

/** Differences from the issue's list that no cap decides (fewer rounds, shorter load). */
export function fixedReductions(plan: Plan): string[] {
  const lines: string[] = [];
  if (plan.c.rounds < ISSUE_COUNTS.c.rounds) lines.push(`(c) ${plan.c.rounds} rounds, so ${plan.c.rounds} chains of 100 (each takes ~100 steps in sequence)`);
  if (plan.f.seconds < ISSUE_COUNTS.f.seconds) lines.push(`(f) ${plan.f.seconds} s of start-only load per variant instead of ${ISSUE_COUNTS.f.seconds} s`);
  return lines;
}
