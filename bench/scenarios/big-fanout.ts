/**
 * (g) A map of 10,000 no-op items through the API: total time, each pool process's peak
 * RSS (VmHWM, reset just before), and the largest history among the run and its child
 * workflows (listed with the visibility query ParentWorkflowId="<id>").
 */
import { temporal } from '@temporalio/proto';
import type { BenchContext } from '../context';
import { childIdsFromHistory, childIdsFromVisibility } from '../histories';
import { peakRssMiB, resetPeakRss } from '../procstat';
import { ScenarioBuilder, type ScenarioResult } from '../report';

export async function bigFanOut(ctx: BenchContext): Promise<ScenarioResult> {
  const { items: asked, budgetS } = ctx.plan.g;
  const items = sized(asked, budgetS, ctx.shared.fanOutActivitiesPerSecond);
  const out = new ScenarioBuilder('g', `big fan-out: a map of ${items.toLocaleString('en-US')} no-op items through the API`);
  out.ran('map items', items, asked);
  if (items < asked)
    out.note(`sized to about ${budgetS} s at the fan-out rate (c) measured, ${ctx.shared.fanOutActivitiesPerSecond?.toFixed(0)} activities/s.`);
  const workers = Object.entries(ctx.system.pids()).filter(([name]) => name.startsWith('worker-'));
  const wholeRunPeak = Object.fromEntries(workers.map(([name, pid]) => [name, peakRssMiB(pid)]));
  const reset = workers.every(([, pid]) => resetPeakRss(pid));

  const started = performance.now();
  const workflowId = await ctx.api.start({ canvas: { map: { task: 'noop', items: Array.from({ length: items }, (_, i) => i) } } });
  const result = await ctx.api.result(workflowId, 300);
  const totalMs = performance.now() - started;
  if (!Array.isArray(result) || result.length !== items)
    throw new Error(`the map returned ${Array.isArray(result) ? result.length : typeof result} results, not ${items}`);

  out.add('total time', 's', [totalMs / 1000]);
  out.add('activities/s', 'activities/s', [items / (totalMs / 1000)]);
  if (ctx.shared.l1MsPerWorkflow !== undefined) {
    out.add(`total time ÷ (${items} × L1 per-workflow cost from b)`, '×', [totalMs / (items * ctx.shared.l1MsPerWorkflow)], true);
  }
  if (ctx.system.owned) {
    for (const [name, pid] of workers) {
      const peak = peakRssMiB(pid);
      if (peak !== undefined) out.add(`peak RSS during the map: ${name}`, 'MiB', [peak]);
    }
    out.note(
      reset
        ? 'peak RSS is VmHWM from /proc/<pid>/status, reset (clear_refs) just before the map. Peaks over the whole run before it: ' +
            workers.map(([name]) => `${name} ${wholeRunPeak[name]?.toFixed(0) ?? '?'} MiB`).join(', ')
        : 'peak RSS is VmHWM over the whole run (it could not be reset before the map).',
    );
  }

  const fromHistory = await childIdsFromHistory(ctx.client, workflowId);
  const listed = await childIdsFromVisibility(ctx.client, workflowId, fromHistory.length);
  const children = listed.length >= fromHistory.length ? listed : fromHistory;
  const sizes = await Promise.all([workflowId, ...children].map((id) => historySize(ctx, id)));
  const largest = sizes.reduce((a, b) => (b.events > a.events ? b : a));
  out.add('child workflows', 'workflows', [children.length]);
  out.add('largest history: events', 'events', [largest.events]);
  out.add('largest history: size', 'KiB', [largest.bytes / 1024]);
  out.add('parent history: events', 'events', [sizes[0].events]);
  out.note(
    `${children.length} children (visibility listed ${listed.length}, the parent's history names ${fromHistory.length}); ` +
      `largest history ${largest.workflowId === workflowId ? 'is the parent' : `is child ${largest.workflowId}`}; ` +
      `${sizes.reduce((n, s) => n + s.events, 0).toLocaleString('en-US')} events in all.`,
  );
  return out.done();
}

/**
 * The issue's size, or the thousands that fit `budgetS` at `rate`, a group of 100's
 * activities/s (a big map ran at 1.1 to 2.5 times that rate on the 2-core machine).
 */
function sized(asked: number, budgetS: number, rate: number | undefined): number {
  if (rate === undefined || !Number.isFinite(budgetS) || asked <= 1000) return asked;
  const fits = Math.floor((budgetS * rate) / 1000) * 1000;
  return Math.max(1000, Math.min(asked, fits));
}

async function historySize(ctx: BenchContext, workflowId: string): Promise<{ workflowId: string; events: number; bytes: number }> {
  const history = await ctx.client.workflow.getHandle(workflowId).fetchHistory();
  const bytes = temporal.api.history.v1.History.encode(history).finish().length;
  return { workflowId, events: history.events?.length ?? 0, bytes };
}
