/**
 * (a) What the REST API adds to a run: a no-op canvas started and awaited through the raw
 * client (client.workflow.start of 'canvas' + handle.result()) versus through the API
 * (POST /workflows, then GET /workflows/:id/result). Serial latency, then throughput at 32.
 */
import { capMs } from '../counts';
import type { BenchContext } from '../context';
import { closedLoop, type LoadResult } from '../load';
import { cpuDelta, cpuSnapshot } from '../procstat';
import { rawRun, type CanvasRequestJson } from '../orchestra';
import { ScenarioBuilder, type ScenarioResult } from '../report';
import { interleave, Series } from '../rounds';
import { percentile, ratios } from '../stats';

const NOOP: CanvasRequestJson = { canvas: { task: 'noop' } };

export async function apiOverhead(ctx: BenchContext): Promise<ScenarioResult> {
  const out = new ScenarioBuilder('a', 'API overhead: no-op canvas, raw client vs POST /workflows + GET /workflows/:id/result');
  const { rounds, serial, serialCapS, parallelPerRound } = ctx.plan.a;
  const serialPerRound = Math.ceil(serial / rounds);
  const s = { rawP50: new Series(), rawP99: new Series(), apiP50: new Series(), apiP99: new Series(), rawRate: new Series(), apiRate: new Series() };
  const samples = { raw: [] as number[], api: [] as number[] };
  const parallelRuns = { raw: 0, api: 0 };
  /** CPU ms per run at concurrency 32, by process, per round: what the API's way costs each process. */
  const cpu: Record<'raw' | 'api', Record<string, Series>> = { raw: {}, api: {} };
  const watched = Object.fromEntries(
    Object.entries(ctx.system.pids()).filter(([name]) => ['temporal', 'worker-orchestrator', 'worker-default', 'api'].includes(name)),
  );
  const check = (what: string, r: LoadResult): LoadResult => {
    if (r.errors) throw new Error(`${what}: ${r.errors} errors, e.g. ${r.errorSamples[0]}`);
    return r;
  };
  const serially = async (variant: 'raw' | 'api', run: () => Promise<unknown>, p50: Series, p99: Series) => {
    const r = check(
      `${variant} serial`,
      await closedLoop({ concurrency: 1, count: serialPerRound, durationMs: capMs(serialCapS) }, async () => void (await run())),
    );
    p50.push(percentile(r.latenciesMs, 50));
    p99.push(percentile(r.latenciesMs, 99));
    samples[variant].push(...r.latenciesMs);
  };
  const at32 = async (variant: 'raw' | 'api', run: () => Promise<unknown>, rate: Series) => {
    const before = cpuSnapshot(watched);
    const r = check(`${variant} at 32`, await closedLoop({ concurrency: 32, count: parallelPerRound }, async () => void (await run())));
    for (const [name, ms] of Object.entries(cpuDelta(before, cpuSnapshot(watched))))
      if (ms !== undefined) (cpu[variant][name] ??= new Series()).push(ms / r.completed);
    rate.push(r.perSecond);
    parallelRuns[variant] += r.completed;
  };
  const raw = () => rawRun(ctx.client, NOOP);
  const api = () => ctx.api.run(NOOP);
  await interleave(
    rounds,
    [
      { name: 'raw serial', run: () => serially('raw', raw, s.rawP50, s.rawP99) },
      { name: 'API serial', run: () => serially('api', api, s.apiP50, s.apiP99) },
      { name: 'raw at 32', run: () => at32('raw', raw, s.rawRate) },
      { name: 'API at 32', run: () => at32('api', api, s.apiRate) },
    ],
    ctx.log,
  );
  out.add('API ÷ raw, serial p50 latency', '×', ratios(s.apiP50.values, s.rawP50.values), true);
  out.add('API ÷ raw, serial p99 latency', '×', ratios(s.apiP99.values, s.rawP99.values), true);
  out.add('API ÷ raw, throughput at concurrency 32', '×', ratios(s.apiRate.values, s.rawRate.values), true);
  out.add('raw serial p50', 'ms', s.rawP50.values);
  out.add('API serial p50', 'ms', s.apiP50.values);
  out.add('raw serial p99', 'ms', s.rawP99.values);
  out.add('API serial p99', 'ms', s.apiP99.values);
  out.add('raw at 32', 'workflows/s', s.rawRate.values);
  out.add('API at 32', 'workflows/s', s.apiRate.values);
  for (const name of Object.keys(cpu.api)) {
    if (!cpu.raw[name]) continue;
    out.add(`CPU per run at 32, API ÷ raw: ${name}`, '×', ratios(cpu.api[name].values, cpu.raw[name].values), name === 'worker-orchestrator');
    out.add(`CPU per run at 32 through the API: ${name}`, 'ms/run', cpu.api[name].values);
    out.add(`CPU per run at 32 through the raw client: ${name}`, 'ms/run', cpu.raw[name].values);
  }
  out.ran('serial start+result calls each way', Math.min(samples.raw.length, samples.api.length), serial);
  out.note(
    `over every serial call: p50 ${percentile(samples.raw, 50).toFixed(1)} vs ${percentile(samples.api, 50).toFixed(1)} ms, ` +
      `p99 ${percentile(samples.raw, 99).toFixed(1)} vs ${percentile(samples.api, 99).toFixed(1)} ms (raw vs API, ${samples.raw.length} and ${samples.api.length} calls); ` +
      `at concurrency 32: ${parallelRuns.raw} raw and ${parallelRuns.api} API runs.`,
  );
  return out.done();
}
