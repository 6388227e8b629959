/**
 * (c) Fan-out: a group of 100 no-op tasks through the API, against two yardsticks measured
 * in the same rounds: 100 × L1's cost per workflow (the server's price of 100 one-activity
 * workflows at saturation) and a chain of the same 100 tasks one after another.
 */
import type { BenchContext } from '../context';
import { runL1 } from '../references';
import { ScenarioBuilder, type ScenarioResult } from '../report';
import { interleave, Series } from '../rounds';
import { median, ratios } from '../stats';

const SIZE = 100;
const GROUP = { canvas: { group: Array.from({ length: SIZE }, () => ({ task: 'noop' })) } };
const CHAIN = { canvas: { chain: Array.from({ length: SIZE }, () => ({ task: 'noop', immutable: true })) } };

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

export async function fanOut(ctx: BenchContext): Promise<ScenarioResult> {
  const out = new ScenarioBuilder('c', `fan-out: a group of ${SIZE} no-op tasks vs ${SIZE} × L1's per-workflow cost and vs a chain of ${SIZE}`);
  const { rounds, groups, l1PerRound, groupCapS } = ctx.plan.c;
  const groupsPerRound = Math.ceil(groups / rounds);
  const s = { group: new Series(), chain: new Series(), l1: new Series() };
  const groupSamples: number[] = [];
  await interleave(
    rounds,
    [
      {
        name: `groups of ${SIZE}`,
        run: async () => {
          const times: number[] = [];
          const started = performance.now();
          // At least one a round; more up to the round's share, while the cap allows.
          while (times.length < groupsPerRound && (times.length === 0 || performance.now() - started < groupCapS * 1000)) {
            times.push(await timed(() => ctx.api.run(GROUP)));
          }
          groupSamples.push(...times);
          s.group.push(median(times));
        },
      },
      { name: `chain of ${SIZE}`, run: async () => s.chain.push(await timed(() => ctx.api.run(CHAIN))) },
      { name: `L1 ×${l1PerRound}`, run: async () => s.l1.push((await runL1(ctx.client, ctx.refs, l1PerRound)).msPerWorkflow) },
    ],
    ctx.log,
  );
  const hundredL1 = s.l1.values.map((ms) => ms * SIZE);
  ctx.shared.fanOutActivitiesPerSecond = SIZE / (median(groupSamples) / 1000);
  out.ran(`groups of ${SIZE}`, groupSamples.length, groups);
  out.add(`group of ${SIZE} ÷ (${SIZE} × L1 per-workflow cost)`, '×', ratios(s.group.values, hundredL1), true);
  out.add(`group of ${SIZE} ÷ chain of ${SIZE}`, '×', ratios(s.group.values, s.chain.values), true);
  out.add(`group of ${SIZE}, latency`, 'ms', s.group.values);
  out.add(`chain of ${SIZE}, latency`, 'ms', s.chain.values);
  out.add(`${SIZE} × L1 per-workflow cost`, 'ms', hundredL1);
  out.add(
    `chain of ${SIZE}, per step`,
    'ms',
    s.chain.values.map((ms) => ms / SIZE),
  );
  out.note(
    `each round's figure is the median of its groups; ${s.chain.values.length} chains of ${SIZE}; all through POST /workflows + GET result; ` +
      `p50 over every group: ${median(groupSamples).toFixed(0)} ms. L1's per-workflow cost is 1 / (L1 workflows/s at concurrency 32), measured in each round.`,
  );
  return out.done();
}
