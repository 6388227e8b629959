/**
 * (b) Chains of three no-op tasks through the API at concurrency 32, interleaved with L1
 * (the minimal one-activity workflow on the raw client and a minimal worker). Also the CPU
 * each process spends per workflow, from /proc, which is steadier than wall time.
 */
import type { BenchContext } from '../context';
import { eventCount } from '../histories';
import { closedLoop } from '../load';
import { cpuDelta, cpuSnapshot, type CpuSnapshot } from '../procstat';
import { minimalWorkflowEvents, runL1 } from '../references';
import { ScenarioBuilder, type ScenarioResult } from '../report';
import { interleave, Series } from '../rounds';
import { median, ratios } from '../stats';

const CHAIN = { canvas: { chain: [{ task: 'noop' }, { task: 'noop' }, { task: 'noop' }] } };

/** Processes of the system proper, whose CPU a chain costs. */
const SYSTEM_PROCESSES = ['temporal', 'worker-orchestrator', 'worker-default', 'worker-ml', 'worker-email', 'worker-media', 'api', 'ferretdb'];

export async function chains(ctx: BenchContext): Promise<ScenarioResult> {
  const out = new ScenarioBuilder('b', 'chains of 3 no-op tasks through the API at concurrency 32, vs L1 (minimal workflow, raw client, minimal worker)');
  const { rounds, chains: total, l1PerRound } = ctx.plan.b;
  const chainsPerRound = Math.ceil(total / rounds);
  const done = { chains: 0, l1: 0 };
  const s = { l1Rate: new Series(), l1Events: new Series(), chainRate: new Series(), chainEvents: new Series() };
  const cpuPerChain: Record<string, Series> = {};
  const cpuPerL1: Record<string, Series> = {};
  let eventsPerChain: number | undefined;
  const record = (into: Record<string, Series>, delta: CpuSnapshot, runs: number) => {
    for (const [name, ms] of Object.entries(delta)) if (ms !== undefined) (into[name] ??= new Series()).push(ms / runs);
  };
  const pids = () => ctx.system.pids();

  await interleave(
    rounds,
    [
      {
        name: 'L1',
        run: async () => {
          const before = cpuSnapshot(pick(pids(), ['temporal', 'minimal-worker']));
          const r = await runL1(ctx.client, ctx.refs, l1PerRound);
          record(cpuPerL1, cpuDelta(before, cpuSnapshot(pick(pids(), ['temporal', 'minimal-worker']))), r.load.completed);
          done.l1 += r.load.completed;
          s.l1Rate.push(r.workflowsPerSecond);
          s.l1Events.push(r.eventsPerSecond);
        },
      },
      {
        name: 'chains of 3',
        run: async () => {
          const ids: string[] = [];
          const before = cpuSnapshot(pick(pids(), SYSTEM_PROCESSES));
          const r = await closedLoop({ concurrency: 32, count: chainsPerRound }, async () => {
            const id = await ctx.api.start(CHAIN);
            ids.push(id);
            await ctx.api.result(id);
          });
          record(cpuPerChain, cpuDelta(before, cpuSnapshot(pick(pids(), SYSTEM_PROCESSES))), r.completed);
          if (r.errors) throw new Error(`chains: ${r.errors} failed, e.g. ${r.errorSamples[0]}`);
          done.chains += r.completed;
          eventsPerChain ??= await eventCount(ctx.client, ids[0]);
          s.chainRate.push(r.perSecond);
          s.chainEvents.push(r.perSecond * eventsPerChain);
        },
      },
    ],
    ctx.log,
  );
  ctx.shared.l1WorkflowsPerSecond = median(s.l1Rate.values);
  ctx.shared.l1MsPerWorkflow = 1000 / ctx.shared.l1WorkflowsPerSecond;

  out.add('chain events/s ÷ L1 events/s', '×', ratios(s.chainEvents.values, s.l1Events.values), true);
  out.add('chain workflows/s ÷ L1 workflows/s', '×', ratios(s.chainRate.values, s.l1Rate.values));
  out.add('L1 workflows/s (minimal workflow, concurrency 32)', 'workflows/s', s.l1Rate.values);
  out.add('L1 history events/s', 'events/s', s.l1Events.values);
  out.add('chains workflows/s', 'workflows/s', s.chainRate.values);
  out.add('chains history events/s', 'events/s', s.chainEvents.values);
  out.ran('chains of 3 at concurrency 32', done.chains, total);
  out.note(`L1 runs: ${done.l1}; history events per workflow: L1 ${minimalWorkflowEvents() ?? '?'}, chain of 3 ${eventsPerChain ?? '?'}.`);

  if (ctx.system.owned) {
    const total = (per: Record<string, Series>, names: string[]) =>
      per[names[0]]?.values.map((_, i) => names.reduce((sum, n) => sum + (per[n]?.values[i] ?? 0), 0)) ?? [];
    const chainTotal = total(cpuPerChain, Object.keys(cpuPerChain));
    const l1Total = total(cpuPerL1, Object.keys(cpuPerL1));
    out.add('CPU per workflow, chain of 3 ÷ L1 (all processes)', '×', ratios(chainTotal, l1Total), true);
    out.add('CPU per chain: all processes', 'ms/workflow', chainTotal);
    for (const name of SYSTEM_PROCESSES) if (cpuPerChain[name]) out.add(`CPU per chain: ${name}`, 'ms/workflow', cpuPerChain[name].values);
    out.add('CPU per L1 workflow: all processes', 'ms/workflow', l1Total);
    for (const name of Object.keys(cpuPerL1)) out.add(`CPU per L1 workflow: ${name}`, 'ms/workflow', cpuPerL1[name].values);
    out.note("CPU is utime+stime from /proc/<pid>/stat over each round, divided by the round's workflows (a chain: 3 activities; L1: 1).");
  } else {
    out.note('CPU per workflow: not measured (--url: the processes are not ours).');
  }
  return out.done();
}

function pick(pids: Record<string, number>, names: readonly string[]): Record<string, number> {
  return Object.fromEntries(names.filter((n) => pids[n] !== undefined).map((n) => [n, pids[n]]));
}
