/**
 * (f) Start-only latency: POST /workflows at concurrency 32, against L2 (a trivial Koa
 * route under the same load generator) and against raw client starts of the same canvas.
 * The canvas is a no-op behind a one-hour delay: each start costs the workers one
 * workflow task, then the run waits on a timer, so start-only rounds leave no backlog of
 * runs to execute. Between rounds the system is let go quiet.
 */
import { waitForQuiet, type BenchContext } from '../context';
import { closedLoop, type LoadResult } from '../load';
import { rawStart, type CanvasRequestJson } from '../orchestra';
import { runL2 } from '../references';
import { ScenarioBuilder, type ScenarioResult } from '../report';
import { interleave, Series } from '../rounds';
import { percentile, ratios } from '../stats';

const DELAYED_NOOP: CanvasRequestJson = { canvas: { task: 'noop', options: { delay: '1h' } } };

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
  const out = new ScenarioBuilder('f', `API start latency: POST /workflows (start only) at concurrency 32, ${rounds} × ${roundMs / 1000} s, vs L2 and vs raw client starts`);
  const l2 = stats();
  const api = stats();
  const raw = stats();
  const started: string[] = [];
  let quietMs = 0;
  await interleave(
    rounds,
    [
      { name: 'L2 trivial Koa', run: async () => record(l2, await runL2(ctx.refs, roundMs), 'L2') },
      {
        name: 'POST /workflows',
        run: async () => {
          record(api, await closedLoop({ concurrency: 32, durationMs: roundMs }, async () => void started.push(await ctx.api.start(DELAYED_NOOP))), 'POST /workflows');
          quietMs += await waitForQuiet(ctx);
        },
      },
      {
        name: 'raw client start',
        run: async () => {
          record(raw, await closedLoop({ concurrency: 32, durationMs: roundMs }, async () => void started.push(await rawStart(ctx.client, DELAYED_NOOP))), 'raw start');
          quietMs += await waitForQuiet(ctx);
        },
      },
    ],
    ctx.log,
  );
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
    `the canvas is {"task": "noop", "options": {"delay": "1h"}}: each of the ${started.length.toLocaleString('en-US')} starts costs one workflow task, ` +
      `then its run waits; letting the system go quiet between rounds took ${(quietMs / 1000).toFixed(1)} s in all.`,
  );
  if (!ctx.system.owned) {
    // Not our system: do not leave thousands of sleeping runs in it.
    await closedLoop({ concurrency: 32, count: started.length }, async (i) => void (await ctx.client.workflow.getHandle(started[i]).terminate('orchestra benchmark cleanup')));
    out.note('the started runs were terminated afterwards (--url).');
  }
  return out.done();
}
