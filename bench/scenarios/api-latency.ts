/**
 * (f) Start-only latency: POST /workflows at concurrency 32, against L2 (a trivial Koa
 * route under the same load generator) and against raw client starts of the same canvas.
 * When the system is ours, the orchestrator pool is paused (SIGSTOP) during the rounds, so
 * only the start path runs (HTTP, validation, the client, the server's start), as it would
 * in a cluster where workers run on other machines; the runs it started wait, then run on
 * SIGCONT. Their canvas is a no-op behind a one-hour delay, so that costs one workflow task each.
 */
import { waitForQuiet, type BenchContext } from '../context';
import { closedLoop, type LoadResult } from '../load';
import { rawStart, type CanvasRequestJson } from '../orchestra';
import { runL2 } from '../references';
import { ScenarioBuilder, type ScenarioResult } from '../report';
import { interleave, Series } from '../rounds';
import { percentile, ratios } from '../stats';

const DELAYED_NOOP: CanvasRequestJson = { canvas: { task: 'noop', options: { delay: '1h' } } };
const PAUSED = 'worker-orchestrator';

interface Stats {
  p50: Series;
  p99: Series;
  rate: Series;
}

function stats(): Stats {
  return { p50: new Series(), p99: new Series(), rate: new Series() };
}

function record(into: Stats, r: LoadResult, what: string): void {
  if (r.errors) throw new Error(`${what}: ${r.errors} errors, e.g. ${r.errorSamples[0]}`);
  into.p50.push(percentile(r.latenciesMs, 50));
  into.p99.push(percentile(r.latenciesMs, 99));
  into.rate.push(r.perSecond);
}

export async function apiLatency(ctx: BenchContext): Promise<ScenarioResult> {
  const { rounds, seconds } = ctx.plan.f;
  const roundMs = (seconds * 1000) / rounds;
  const out = new ScenarioBuilder(
    'f',
    `API start latency: POST /workflows (start only) at concurrency 32, ${rounds} × ${roundMs / 1000} s, vs L2 and vs raw client starts`,
  );
  const l2 = stats();
  const api = stats();
  const raw = stats();
  const started: string[] = [];
  const paused = ctx.system.owned && ctx.system.signal(PAUSED, 'SIGSTOP');
  let quietMs = 0;
  const settle = async () => {
    if (!paused) quietMs += await waitForQuiet(ctx);
  };
  try {
    await interleave(
      rounds,
      [
        { name: 'L2 trivial Koa', run: async () => record(l2, await runL2(ctx.refs, roundMs), 'L2') },
        {
          name: 'POST /workflows',
          run: async () => {
            record(
              api,
              await closedLoop({ concurrency: 32, durationMs: roundMs }, async () => void started.push(await ctx.api.start(DELAYED_NOOP))),
              'POST /workflows',
            );
            await settle();
          },
        },
        {
          name: 'raw client start',
          run: async () => {
            record(
              raw,
              await closedLoop({ concurrency: 32, durationMs: roundMs }, async () => void started.push(await rawStart(ctx.client, DELAYED_NOOP))),
              'raw start',
            );
            await settle();
          },
        },
      ],
      ctx.log,
    );
  } finally {
    if (paused) ctx.system.signal(PAUSED, 'SIGCONT');
  }
  out.add('POST /workflows ÷ L2, p50 latency', '×', ratios(api.p50.values, l2.p50.values), true);
  out.add('POST /workflows ÷ L2, p99 latency', '×', ratios(api.p99.values, l2.p99.values), true);
  out.add('POST /workflows ÷ raw start, p50 latency', '×', ratios(api.p50.values, raw.p50.values), true);
  out.add('POST /workflows ÷ raw start, p99 latency', '×', ratios(api.p99.values, raw.p99.values), true);
  out.add('POST /workflows ÷ raw start, starts/s', '×', ratios(api.rate.values, raw.rate.values));
  out.add('L2 requests/s (trivial Koa route, concurrency 32)', 'requests/s', l2.rate.values);
  out.add('L2 p50', 'ms', l2.p50.values);
  out.add('L2 p99', 'ms', l2.p99.values);
  out.add('POST /workflows starts/s', 'starts/s', api.rate.values);
  out.add('POST /workflows p50', 'ms', api.p50.values);
  out.add('POST /workflows p99', 'ms', api.p99.values);
  out.add('raw starts/s', 'starts/s', raw.rate.values);
  out.add('raw start p50', 'ms', raw.p50.values);
  out.add('raw start p99', 'ms', raw.p99.values);
  out.note(
    paused
      ? `the orchestrator pool was paused during the rounds, so only the start path ran; ${started.length.toLocaleString('en-US')} runs of {"task": "noop", "options": {"delay": "1h"}} started.`
      : `the started runs' first workflow tasks ran meanwhile (not our processes to pause); waiting for quiet between rounds took ${(quietMs / 1000).toFixed(1)} s.`,
  );
  if (!ctx.system.owned) {
    // Not our system: do not leave thousands of sleeping runs in it.
    await closedLoop(
      { concurrency: 32, count: started.length },
      async (i) => void (await ctx.client.workflow.getHandle(started[i]).terminate('orchestra benchmark cleanup')),
    );
    out.note('the started runs were terminated afterwards (--url).');
  }
  return out.done();
}
