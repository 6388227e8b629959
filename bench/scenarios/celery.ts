/**
 * (h) Orchestra and Celery side by side, in the same run on the same machine: Celery 5 with
 * Redis (bench/celery), prefork concurrency 2 and acks_late, against Orchestra through its
 * API as a user calls it. Four workloads, each run on both sides in every round, in
 * alternating order: chain(add(4, 5), add(6), mul(7)) serially (p50 after warm-up), 300
 * such chains at concurrency 32, a group of 5,000 no-ops, and 5,000 no-op items in chunks
 * of 100. Orchestra runs the shape its validator accepts: a group past the node limit
 * becomes a map, and without `chunks` the items run as a batched map or a plain map; the
 * table says which ran. Skipped, with the reason, without python3 or redis-server.
 */
import { validateCanvasRequest } from '../../src/canvas/validate';
import path from 'node:path';
import { loadConfig, projectRoot } from '../../src/config';
import { waitForPollers } from '../../src/devservices/stack';
import { PYTHON_POOL } from '../../src/workflows/tasks/pools';
import { celeryAvailability, ensureVenv, REDIS_PERSISTENCE_TEXT, startCelery, type CelerySide } from '../celery/side';
import { waitForQuiet, type BenchContext } from '../context';
import { closedLoop } from '../load';
import type { CanvasRequestJson } from '../orchestra';
import { CpuPerUnit, cpuDelta, cpuSnapshot, peakRssMiB, resetPeakRss, type CpuSnapshot } from '../procstat';
import { ScenarioBuilder, type ScenarioResult } from '../report';
import { interleave, Series } from '../rounds';
import { median, ratios, spread } from '../stats';

const CHAIN: CanvasRequestJson = {
  canvas: {
    chain: [
      { task: 'add', args: [4, 5] },
      { task: 'add', args: [6] },
      { task: 'mul', args: [7] },
    ],
  },
};
const CHAIN_RESULT = 105;
const CONCURRENCY = 32;

/** Whether POST /workflows would take this request: the same validator the API runs. */
export function accepts(request: CanvasRequestJson): boolean {
  return validateCanvasRequest(request).ok;
}

interface Shape {
  label: string;
  request: CanvasRequestJson;
  /** Throws unless the result is what the workload computes. */
  check: (result: unknown) => void;
}

/** A group of `size` no-ops, or a map of them when a group that large is refused (the node limit). */
export function groupShape(size: number): Shape {
  const items = Array.from({ length: size }, (_, i) => i);
  const flat = (result: unknown) => {
    if (!Array.isArray(result) || result.length !== size || result.some((v, i) => v !== i)) throw new Error(`expected 0..${size - 1} in order`);
  };
  const group = { canvas: { group: items.map((i) => ({ task: 'noop', args: [i] })) } };
  if (accepts(group)) return { label: 'group', request: group, check: flat };
  return { label: `map (a group of ${size} is over the request's node limit)`, request: { canvas: { map: { task: 'noop', items } } }, check: flat };
}

/**
 * `items` no-op items in chunks of `size`: the `chunks` node when the validator knows it,
 * else a map with `batchSize`, else a plain map (one activity per item).
 */
export function chunksShape(items: number, size: number): Shape {
  const values = Array.from({ length: items }, (_, i) => i);
  const chunks = { canvas: { chunks: { task: 'noop', items: values.map((v) => [v]), size } } };
  if (accepts(chunks)) {
    return {
      label: '',
      request: chunks,
      check: (result) => {
        if (
          !Array.isArray(result) ||
          result.length !== Math.ceil(items / size) ||
          !result.every(Array.isArray) ||
          (result as unknown[][]).flat().some((v, i) => v !== i)
        ) {
          throw new Error(`expected ${Math.ceil(items / size)} lists of results in order`);
        }
      },
    };
  }
  const flat = (result: unknown) => {
    if (!Array.isArray(result) || result.length !== items || result.some((v, i) => v !== i)) throw new Error(`expected 0..${items - 1} in order`);
  };
  const batched = { canvas: { map: { task: 'noop', items: values, batchSize: size } } };
  if (accepts(batched)) return { label: `map with batchSize ${size} (no \`chunks\` yet)`, request: batched, check: flat };
  return {
    label: 'map, one activity per item (not available yet: `chunks`, `batchSize`)',
    request: { canvas: { map: { task: 'noop', items: values } } },
    check: flat,
  };
}

export async function celery(ctx: BenchContext): Promise<ScenarioResult> {
  const out = new ScenarioBuilder('h', `Orchestra through the API vs Celery 5 + Redis (prefork 2, acks_late), same workloads, same run`);
  const tools = celeryAvailability();
  if (!tools.ok) return out.skipped(tools.reason);
  let venv: string;
  try {
    venv = ensureVenv(tools.python3, loadConfig().cacheDir, ctx.log);
  } catch (error) {
    return out.skipped(`no Celery venv: ${(error as Error).message}`);
  }
  const start = (persistence: CelerySide['persistence']) =>
    startCelery({ python3: tools.python3, redisServer: tools.redisServer, venv, persistence, log: ctx.log });
  // Durable to durable is the comparison (Orchestra's default survives a killed process);
  // the volatile Redis is a variant, run on the chain workloads for the second ratio.
  const durable = await start('durable');
  try {
    const volatile = await start('volatile');
    try {
      return await compare(ctx, durable, volatile, out);
    } finally {
      await volatile.stop();
    }
  } finally {
    await durable.stop();
  }
}

async function compare(ctx: BenchContext, celery: CelerySide, volatile: CelerySide, out: ScenarioBuilder): Promise<ScenarioResult> {
  const p = ctx.plan.h;
  const group = groupShape(p.group);
  const chunked = chunksShape(p.chunkItems, p.chunkSize);
  out.note(
    `Celery: ${celery.versions}; worker: prefork, concurrency 2, acks_late, prefetch multiplier 4 (Celery's default); without gossip, mingle and heartbeat. ` +
      `Celery's figures are with ${REDIS_PERSISTENCE_TEXT.durable} (Celery's durable setup); the variant rows with ${REDIS_PERSISTENCE_TEXT.volatile}.`,
  );
  const s = {
    serial: { o: new Series(), c: new Series() },
    chains: { o: new Series(), c: new Series() },
    /** The chain workloads against the volatile Redis (Orchestra's side is the same series). */
    serialVolatile: new Series(),
    chainsVolatile: new Series(),
    group: { o: new Series(), c: new Series() },
    chunks: { o: new Series(), c: new Series() },
  };
  const cpu = { orchestrator: new Series(), orchestraAll: new Series(), celeryAll: new Series() };
  /** Orchestra's CPU per chain at concurrency 32, by process, so the gap to Celery has names. */
  const cpuByProcess = new CpuPerUnit();
  const owned = ctx.system.owned;
  const sum = (d: CpuSnapshot) => Object.values(d).reduce<number>((a, v) => a + (v ?? 0), 0);

  const celerySerialP50 = async (side: CelerySide): Promise<number> => {
    const cap = Number.isFinite(p.serialCapS) ? p.serialCapS : 1e9;
    const r = await side.run<{ latenciesMs: number[] }>('chain-serial', ['--warmup', 3, '--count', p.serial, '--cap-seconds', cap]);
    return median(r.latenciesMs);
  };

  // Both sides warm before anything counts.
  await celery.run('chain-serial', ['--warmup', p.warmUp, '--count', 1]);
  await volatile.run('chain-serial', ['--warmup', p.warmUp, '--count', 1]);
  for (let i = 0; i < p.warmUp; i++) await runChain(ctx);

  const timed = async (request: CanvasRequestJson, check: (r: unknown) => void): Promise<number> => {
    const started = performance.now();
    check(await ctx.api.result(await ctx.api.start(request), 300));
    return performance.now() - started;
  };

  await interleave(
    p.rounds,
    [
      { name: 'Celery chain of 3, serial', run: async () => void s.serial.c.push(await celerySerialP50(celery)) },
      { name: `Celery chain of 3, serial (${REDIS_PERSISTENCE_TEXT.volatile})`, run: async () => void s.serialVolatile.push(await celerySerialP50(volatile)) },
      {
        name: 'Orchestra chain of 3, serial',
        run: async () => {
          await waitForQuiet(ctx);
          const latencies: number[] = [];
          const started = performance.now();
          while (latencies.length < p.serial && (latencies.length === 0 || performance.now() - started < p.serialCapS * 1000)) {
            const t0 = performance.now();
            await runChain(ctx);
            latencies.push(performance.now() - t0);
          }
          if (latencies.length < p.serial) out.note(`a round ran ${latencies.length} serial Orchestra chains (cap ${p.serialCapS} s), not ${p.serial}`);
          s.serial.o.push(median(latencies));
        },
      },
      {
        name: `Celery ${p.chains} chains at ${CONCURRENCY}`,
        run: async () => {
          const before = cpuSnapshot(celery.pids());
          const r = await celery.run<{ completed: number; perSecond: number }>('chains', ['--concurrency', CONCURRENCY, '--count', p.chains]);
          cpu.celeryAll.push(sum(cpuDelta(before, cpuSnapshot(celery.pids()))) / r.completed);
          s.chains.c.push(r.perSecond);
        },
      },
      {
        name: `Celery ${p.chains} chains at ${CONCURRENCY} (${REDIS_PERSISTENCE_TEXT.volatile})`,
        run: async () =>
          void s.chainsVolatile.push((await volatile.run<{ perSecond: number }>('chains', ['--concurrency', CONCURRENCY, '--count', p.chains])).perSecond),
      },
      {
        name: `Orchestra ${p.chains} chains at ${CONCURRENCY}`,
        run: async () => {
          await waitForQuiet(ctx);
          const pids = ctx.system.pids();
          const before = cpuSnapshot(pids);
          const r = await closedLoop({ concurrency: CONCURRENCY, count: p.chains }, () => runChain(ctx));
          if (r.errors) throw new Error(`chains: ${r.errors} failed, e.g. ${r.errorSamples[0]}`);
          const delta = cpuDelta(before, cpuSnapshot(pids));
          if (owned && delta['worker-orchestrator'] !== undefined) cpu.orchestrator.push(delta['worker-orchestrator'] / r.completed);
          if (owned) cpu.orchestraAll.push(sum(delta) / r.completed);
          cpuByProcess.add(delta, r.completed);
          s.chains.o.push(r.perSecond);
        },
      },
      {
        name: `Celery group of ${p.group}`,
        run: async () => void s.group.c.push((await celery.run<{ itemsPerSecond: number }>('group', ['--size', p.group])).itemsPerSecond),
      },
      {
        name: `Orchestra ${group.label} of ${p.group}`,
        run: async () => {
          await waitForQuiet(ctx);
          s.group.o.push(p.group / ((await timed(group.request, group.check)) / 1000));
        },
      },
      {
        name: `Celery ${p.chunkItems} items in chunks of ${p.chunkSize}`,
        run: async () =>
          void s.chunks.c.push((await celery.run<{ itemsPerSecond: number }>('chunks', ['--items', p.chunkItems, '--size', p.chunkSize])).itemsPerSecond),
      },
      {
        name: `Orchestra ${p.chunkItems} items, ${chunked.label || `chunks of ${p.chunkSize}`}`,
        run: async () => {
          await waitForQuiet(ctx);
          s.chunks.o.push(p.chunkItems / ((await timed(chunked.request, chunked.check)) / 1000));
        },
      },
    ],
    ctx.log,
  );

  await pythonChains(ctx, celery, out);
  await bigBatchedMap(ctx, out);

  const row = (workload: string, shape: string, unit: string, pair: { o: Series; c: Series }, goal?: { text: string; test: (ratio: number) => boolean }) => {
    const perRound = ratios(pair.o.values, pair.c.values);
    const r = spread(perRound);
    out.comparison.push({
      workload,
      orchestraShape: shape,
      unit,
      orchestra: median(pair.o.values),
      other: median(pair.c.values),
      ratio: r,
      goal: goal && { text: goal.text, met: goal.test(r.median) },
    });
    return perRound;
  };
  const chainCpu = owned ? `per chain of 3 at ${CONCURRENCY}: ${cpuByProcess.describe(0.05, 1)}` : undefined;
  out.goal(
    'chain of 3 serial p50, Orchestra ÷ Celery',
    row('chain(add(4,5), add(6), mul(7)), serial p50', '', 'ms', s.serial, { text: '≤ 3×', test: (x) => x <= 3 }),
    { text: '≤ 3×', test: (x) => x <= 3 },
    chainCpu,
  );
  out.goal(
    `chains of 3 per second at ${CONCURRENCY}, Orchestra ÷ Celery`,
    row(`${p.chains} chains of 3 at concurrency ${CONCURRENCY}`, '', 'chains/s', s.chains, { text: '≥ 0.5×', test: (x) => x >= 0.5 }),
    { text: '≥ 0.5×', test: (x) => x >= 0.5 },
    chainCpu,
  );
  const volatileAnchor = `Celery with ${REDIS_PERSISTENCE_TEXT.volatile} (variant)`;
  out.add(
    `chain of 3 serial p50, Orchestra ÷ ${volatileAnchor}`,
    '×',
    row(`chain(add(4,5), add(6), mul(7)), serial p50, against ${volatileAnchor}`, '', 'ms', { o: s.serial.o, c: s.serialVolatile }),
    true,
  );
  out.add(
    `chains of 3 per second at ${CONCURRENCY}, Orchestra ÷ ${volatileAnchor}`,
    '×',
    row(`${p.chains} chains of 3 at concurrency ${CONCURRENCY}, against ${volatileAnchor}`, '', 'chains/s', { o: s.chains.o, c: s.chainsVolatile }),
    true,
  );
  out.add(
    `${p.group} no-ops items/s, Orchestra ÷ Celery`,
    '×',
    row(`group of ${p.group.toLocaleString('en-US')} no-ops`, group.label === 'group' ? '' : group.label, 'items/s', s.group),
    true,
  );
  out.add(
    `${p.chunkItems} items in chunks of ${p.chunkSize}, items/s, Orchestra ÷ Celery`,
    '×',
    row(`${p.chunkItems.toLocaleString('en-US')} no-op items in chunks of ${p.chunkSize}`, chunked.label, 'items/s', s.chunks, {
      text: '≥ 1.0×',
      test: (x) => x >= 1,
    }),
    true,
  );
  out.add('Orchestra chain of 3, serial p50', 'ms', s.serial.o.values);
  out.add('Celery chain of 3, serial p50', 'ms', s.serial.c.values);
  out.add(`${volatileAnchor}: chain of 3, serial p50`, 'ms', s.serialVolatile.values);
  out.add(`Orchestra chains of 3 at ${CONCURRENCY}`, 'chains/s', s.chains.o.values);
  out.add(`Celery chains of 3 at ${CONCURRENCY}`, 'chains/s', s.chains.c.values);
  out.add(`${volatileAnchor}: chains of 3 at ${CONCURRENCY}`, 'chains/s', s.chainsVolatile.values);
  out.add(`Orchestra ${group.label === 'group' ? 'group' : 'map'} of ${p.group}`, 'items/s', s.group.o.values);
  out.add(`Celery group of ${p.group}`, 'items/s', s.group.c.values);
  out.add(`Orchestra ${p.chunkItems} items${chunked.label ? `, ${chunked.label}` : ` in chunks of ${p.chunkSize}`}`, 'items/s', s.chunks.o.values);
  out.add(`Celery ${p.chunkItems} items in chunks of ${p.chunkSize}`, 'items/s', s.chunks.c.values);
  if (owned) {
    out.add('orchestrator pool CPU per chain of 3 (goal ≤ 23 ms, half of 46)', 'ms/chain', cpu.orchestrator.values, true);
    out.add('Orchestra CPU per chain of 3, all processes', 'ms/chain', cpu.orchestraAll.values);
    out.note(`Orchestra CPU per chain of 3 at ${CONCURRENCY}, by process (medians): ${cpuByProcess.describe(0.05, 1)}.`);
  } else {
    out.note('Orchestra CPU per chain: not measured (--url: the processes are not ours).');
  }
  out.add('Celery CPU per chain of 3, worker (all prefork processes) + Redis', 'ms/chain', cpu.celeryAll.values);
  out.note(
    `Orchestra through POST /workflows + GET /workflows/:id/result (what a user does); Celery through apply_async().get() from a Python client in its own process, ` +
      `${CONCURRENCY} client threads for the concurrent chains. Serial p50 over up to ${p.serial} chains a round after ${p.warmUp} warm-up chains on each side.`,
  );
  out.note(
    `serial chain p50 per round: Orchestra ${s.serial.o.values.map((v) => v.toFixed(0)).join(', ')} ms (Celery ${s.serial.c.values.map((v) => v.toFixed(1)).join(', ')} ms).`,
  );
  return out.done();
}

const PY_NOOP_CHAIN: CanvasRequestJson = {
  canvas: {
    chain: [
      { task: 'py.noop', args: [1] },
      { task: 'py.noop', args: [] },
      { task: 'py.noop', args: [] },
    ],
  },
};

/**
 * Issue 20's row: a chain of three Python no-ops, the same function (bench/celery/tasks.py,
 * py.noop) run by Celery's worker and served unchanged by Orchestra's Python pool, each
 * side's serial p50 per round. Printed, not a goal.
 */
async function pythonChains(ctx: BenchContext, celery: CelerySide, out: ScenarioBuilder): Promise<void> {
  if (!ctx.system.owned) return void out.note('Python chain row: skipped (--url: the bench starts the Python pool only in a system it owns).');
  process.env.ORCHESTRA_PYTHON_APP = 'tasks:app';
  process.env.PYTHONPATH = path.join(projectRoot, 'bench', 'celery');
  ctx.system.spawn('worker-python', 'src/workers/main.ts', ['--pool', PYTHON_POOL]);
  try {
    await waitForPollers(loadConfig(), 180_000, [PYTHON_POOL]);
  } catch (error) {
    return void out.note(`Python chain row: skipped, the Python pool did not poll (${(error as Error).message}).`);
  }
  const count = 50;
  const serial = async (): Promise<number> => {
    const latencies: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const result = await ctx.api.run(PY_NOOP_CHAIN);
      if (result !== 1) throw new Error(`chain of py.noop returned ${JSON.stringify(result)}, not 1`);
      latencies.push(performance.now() - t0);
    }
    return median(latencies);
  };
  for (let i = 0; i < 5; i++) await ctx.api.run(PY_NOOP_CHAIN);
  const pair = { o: new Series(), c: new Series() };
  await interleave(
    ctx.plan.h.rounds,
    [
      {
        name: 'Celery chain of 3 py.noop, serial',
        run: async () => void pair.c.push(median((await celery.run<{ latenciesMs: number[] }>('noop-chain-serial', ['--count', count])).latenciesMs)),
      },
      {
        name: 'Orchestra chain of 3 py.noop (Python pool), serial',
        run: async () => {
          await waitForQuiet(ctx);
          pair.o.push(await serial());
        },
      },
    ],
    ctx.log,
  );
  const perRound = ratios(pair.o.values, pair.c.values);
  out.comparison.push({
    workload: 'chain of 3 Python no-ops (py.noop), serial p50',
    orchestraShape: 'the Python pool serving the same Celery module',
    unit: 'ms',
    orchestra: median(pair.o.values),
    other: median(pair.c.values),
    ratio: spread(perRound),
  });
  out.add('Python chain of 3 no-ops serial p50, Orchestra ÷ Celery (same Python code)', '×', perRound, true);
  out.add('Orchestra chain of 3 py.noop (Python pool), serial p50', 'ms', pair.o.values);
  out.add('Celery chain of 3 py.noop, serial p50', 'ms', pair.c.values);
}

/** Issue 12's scale goal: a map of 100,000 light items with batchSize, ≥ 3,000 items/s, orchestrator RSS under 600 MiB. */
const BIG_MAP = { items: 100_000, batchSize: 1_000 };

async function bigBatchedMap(ctx: BenchContext, out: ScenarioBuilder): Promise<void> {
  await waitForQuiet(ctx);
  const orchestrator = ctx.system.owned ? ctx.system.pids()['worker-orchestrator'] : undefined;
  if (orchestrator !== undefined) resetPeakRss(orchestrator);
  const items = new Array<number>(BIG_MAP.items).fill(0);
  const started = performance.now();
  const result = await ctx.api.result(await ctx.api.start({ canvas: { map: { task: 'noop', items, batchSize: BIG_MAP.batchSize } } }), 600);
  const seconds = (performance.now() - started) / 1000;
  if (!Array.isArray(result) || result.length !== BIG_MAP.items)
    throw new Error(`the big map returned ${Array.isArray(result) ? result.length : typeof result} items`);
  out.add(
    `Orchestra map of ${BIG_MAP.items.toLocaleString('en-US')} no-op items, batchSize ${BIG_MAP.batchSize} (goal ≥ 3,000 items/s)`,
    'items/s',
    [BIG_MAP.items / seconds],
    true,
  );
  const peak = orchestrator === undefined ? undefined : peakRssMiB(orchestrator);
  if (peak !== undefined) out.add('orchestrator peak RSS during that map (goal < 600 MiB)', 'MiB', [peak], true);
}

async function runChain(ctx: BenchContext): Promise<void> {
  const result = await ctx.api.run(CHAIN);
  if (result !== CHAIN_RESULT) throw new Error(`chain returned ${JSON.stringify(result)}, not ${CHAIN_RESULT}`);
}
