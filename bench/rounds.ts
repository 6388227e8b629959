/**
 * Interleaving: every compared thing runs once per round, in the given order on even
 * rounds and reversed on odd ones (A B, B A, A B...), so a drift in the machine's load
 * during the run falls on both sides alike. Each step records its own per-round figures.
 */
export interface Step {
  name: string;
  run: (round: number) => Promise<void>;
}

export async function interleave(rounds: number, steps: readonly Step[], log: (line: string) => void): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? steps : [...steps].reverse();
    for (const step of order) {
      const started = performance.now();
      await step.run(round);
      log(`  round ${round + 1}/${rounds} ${step.name}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
  }
}

/** Per-round values of one figure, filled as the rounds run. */
export class Series {
  readonly values: number[] = [];
  push(value: number): void {
    this.values.push(value);
  }
}
