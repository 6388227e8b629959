/** Warm-up: a little of every kind of work, so JIT, caches and connections are warm before anything counts. */
import type { BenchContext } from './context';
import { closedLoop } from './load';
import { rawRun } from './orchestra';
import { runL1, runL2 } from './references';

export async function warmUp(ctx: BenchContext): Promise<void> {
  const noop = { canvas: { task: 'noop' } };
  const { l1, canvases } = ctx.plan.warmUp;
  await runL1(ctx.client, ctx.refs, l1);
  await runL2(ctx.refs, 500);
  await closedLoop({ concurrency: 8, count: canvases }, async () => void (await rawRun(ctx.client, noop)));
  await closedLoop({ concurrency: 8, count: canvases }, async () => void (await ctx.api.run(noop)));
  await closedLoop(
    { concurrency: 8, count: canvases / 2 },
    async () => void (await ctx.api.run({ canvas: { chain: [{ task: 'noop' }, { task: 'noop' }, { task: 'noop' }] } })),
  );
  await ctx.api.run({ canvas: { group: Array.from({ length: 100 }, () => ({ task: 'noop' })) } });
}
