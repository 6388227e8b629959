/**
 * Thumbnail throughput: images per second through the media pool (a `canvas` run per image,
 * a group of media.thumbnail steps, one per avatar size: Temporal round trips, GridFS in and
 * out, sharp in the worker process) versus the same sharp work (media.render) called
 * directly in this process on in-memory buffers, at the pool's concurrency; and in between,
 * the activity's own code in this process (GridFS and sharp without Temporal), which says
 * where the difference goes. All in one run, alternating, so the ratios are what to read.
 *
 *   npx tsx bench/thumbnails.ts [--images 60] [--megapixels 2]
 *
 * It starts its own Temporal dev server, FerretDB, and the orchestrator and media pools as
 * processes in a temporary folder, and stops them at the end.
 */
import { Client, Connection } from '@temporalio/client';
import { MockActivityEnvironment, TestWorkflowEnvironment } from '@temporalio/testing';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { loadConfig, poolConcurrency } from '../src/config';
import { connectDatabase, disconnectDatabase } from '../src/db/mongo';
import { freePort, ManagedProcess, provision, waitForPort } from '../src/devservices/processes';
import { devServerDynamicConfigArgs, ferretDb, waitForPollers, workerPool, type StackLayout } from '../src/devservices/stack';
import { putFile } from '../src/app/avatars/store';
import { originalFileId } from '../src/app/ids';
import { POOLS, WORKFLOW_TASK_QUEUE } from '../src/workflows/tasks/pools';
import { SEARCH_ATTRIBUTE_KEYS } from '../src/temporal/search-attributes';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** A photo-like JPEG (smooth gradients plus noise, so it neither compresses to nothing nor is pure noise). */
async function photo(width: number, height: number, seed: number): Promise<Buffer> {
  const noise = await sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } })
    .png()
    .toBuffer();
  const gradient = Buffer.from(
    `<svg width="${width}" height="${height}"><defs><linearGradient id="g" x2="1" y2="1"><stop offset="0" stop-color="hsl(${seed * 37},80%,50%)"/><stop offset="1" stop-color="hsl(${seed * 37 + 120},80%,40%)"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/></svg>`,
  );
  return sharp(gradient)
    .composite([{ input: noise, blend: 'soft-light' }])
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** Runs `jobs` with at most `lanes` at once; answers the wall time in ms. */
async function timed(count: number, lanes: number, job: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) await job(next++);
    }),
  );
  return performance.now() - started;
}

async function main(): Promise<void> {
  const images = arg('images', 60);
  const megapixels = arg('megapixels', 2);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'orchestra-thumbs-'));
  const layout: StackLayout = { dataDir, logDir: path.join(dataDir, 'logs'), echo: false };
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: provision('temporal') },
      searchAttributes: [...SEARCH_ATTRIBUTE_KEYS],
      ui: false,
      extraArgs: ['--log-level', 'error', ...devServerDynamicConfigArgs()],
    },
  });
  const ferretPort = await freePort();
  Object.assign(process.env, {
    ORCHESTRA_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: env.address,
    MONGODB_URI: `mongodb://127.0.0.1:${ferretPort}/orchestra-bench`,
    LOG_LEVEL: 'warn',
    TEMPORAL_LOG_LEVEL: 'WARN',
    BUILTIN_SCHEDULES: 'off',
    WORKER_METRICS_ADDRESS: 'off',
  });
  const processes: ManagedProcess[] = [];
  try {
    processes.push(ferretDb(provision('ferretdb'), ferretPort, layout));
    await waitForPort(ferretPort, 30_000, processes[0]);
    const config = loadConfig();
    processes.push(workerPool('orchestrator', config, layout), workerPool('media', config, layout));
    await waitForPollers(config, 180_000, ['orchestrator', 'media']);
    await connectDatabase(config.mongodbUri);

    const { sizes, maxInputPixels } = config.domain.avatar;
    const lanes = poolConcurrency('media', POOLS.media.concurrency);
    const width = Math.round(Math.sqrt(megapixels * 1e6 * (4 / 3)));
    const height = Math.round((width * 3) / 4);
    const distinct = Math.min(images, 10);
    const originals: Array<{ userId: string; originalId: string; bytes: Buffer }> = [];
    for (let i = 0; i < distinct; i++) {
      const bytes = await photo(width, height, i);
      const userId = randomBytes(12).toString('hex');
      const originalId = originalFileId(userId, randomBytes(16).toString('hex'));
      await putFile(originalId, `${originalId}.jpg`, bytes, { userId, contentType: 'image/jpeg', receivedAt: new Date() });
      originals.push({ userId, originalId, bytes });
    }
    const kib = Math.round(originals.reduce((s, o) => s + o.bytes.length, 0) / originals.length / 1024);
    console.log(
      `${images} images of ${width}×${height} (${megapixels} MP JPEG, ~${kib} KiB; ${distinct} distinct, reused), sizes ${sizes.join('/')}, ${lanes} at a time, ${os.cpus().length} cores`,
    );

    // The same work the activity does, without Temporal or GridFS (sharp's cache is off in both).
    const { avatarActivities, render } = await import('../src/app/avatars/activities');
    const { thumbnail } = avatarActivities({ limits: config.domain.avatar });
    const direct = async (i: number) => {
      const o = originals[i % distinct];
      await Promise.all(sizes.map((size) => render(o.bytes, size, maxInputPixels)));
    };
    // The activity's own code in this process (GridFS in and out, sharp), without Temporal.
    const activityEnv = new MockActivityEnvironment();
    const inProcess = async (i: number) => {
      const o = originals[i % distinct];
      await Promise.all(sizes.map((size) => activityEnv.run(thumbnail, { userId: o.userId, originalId: o.originalId, size })));
    };
    const client = new Client({ connection: await Connection.connect({ address: env.address }) });
    const runIds: string[] = [];
    const viaPool = async (i: number) => {
      const o = originals[i % distinct];
      const group = sizes.map((size) => ({ task: 'media.thumbnail', args: [{ userId: o.userId, originalId: o.originalId, size }] }));
      const workflowId = `thumbs-${i}-${randomBytes(4).toString('hex')}`;
      runIds.push(workflowId);
      await client.workflow.execute('canvas', { taskQueue: WORKFLOW_TASK_QUEUE, workflowId, args: [{ canvas: { group } }] });
    };
    // Warm-up (workflow cache, connections, sharp's first load), then rounds that alternate the
    // two ways, so a neighbour's load on this shared machine falls on both alike.
    await timed(Math.min(4, images), lanes, direct);
    await timed(Math.min(4, images), lanes, viaPool);
    const rounds = arg('rounds', 3);
    const perRound = Math.ceil(images / rounds);
    const rate = (count: number, ms: number) => (count / ms) * 1000;
    const totals = { direct: 0, inProcess: 0, pool: 0 };
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const directMs = await timed(perRound, lanes, direct);
      const inProcessMs = await timed(perRound, lanes, inProcess);
      totals.inProcess += inProcessMs;
      // Enough runs in flight that the pool's slots never wait on the orchestrator.
      const poolMs = await timed(perRound, lanes * 4, viaPool);
      totals.direct += directMs;
      totals.pool += poolMs;
      ratios.push(rate(perRound, poolMs) / rate(perRound, directMs));
      console.log(
        `round ${r + 1}: direct ${rate(perRound, directMs).toFixed(2)}, activity code in-process ${rate(perRound, inProcessMs).toFixed(2)}, pool ${rate(perRound, poolMs).toFixed(2)} images/s`,
      );
    }
    console.log(`where a pool run's time goes (means over the last round's runs): ${await breakdown(client, runIds.slice(-perRound))}`);
    await client.connection.close();
    const total = perRound * rounds;
    console.log(
      `sharp directly, in this process: ${rate(total, totals.direct).toFixed(2)} images/s (${(rate(total, totals.direct) * sizes.length).toFixed(1)} thumbnails/s)`,
    );
    console.log(`activity code in this process:   ${rate(total, totals.inProcess).toFixed(2)} images/s (GridFS on FerretDB + sharp, no Temporal)`);
    console.log(
      `through the media pool:           ${rate(total, totals.pool).toFixed(2)} images/s (${(rate(total, totals.pool) * sizes.length).toFixed(1)} thumbnails/s)`,
    );
    console.log(
      `pool / direct: ${(rate(total, totals.pool) / rate(total, totals.direct)).toFixed(2)} (per round: ${ratios.map((x) => x.toFixed(2)).join(', ')}); ` +
        `activity code / direct: ${(rate(total, totals.inProcess) / rate(total, totals.direct)).toFixed(2)}; pool / activity code: ${(rate(total, totals.pool) / rate(total, totals.inProcess)).toFixed(2)}`,
    );
  } finally {
    await disconnectDatabase().catch(() => undefined);
    for (const p of processes.reverse()) await p.stop(10_000);
    await env.teardown();
  }
}

/** Mean queue wait (scheduled → started) and run time (started → completed) of the thumbnail activities, and the whole run. */
async function breakdown(client: Client, workflowIds: string[]): Promise<string> {
  const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t?.seconds ?? 0) * 1000 + (t?.nanos ?? 0) / 1e6;
  let wait = 0;
  let work = 0;
  let runs = 0;
  let activities = 0;
  for (const id of workflowIds) {
    const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const at = new Map(events.map((e) => [Number(e.eventId), ms(e.eventTime)]));
    runs += ms(events[events.length - 1]?.eventTime) - ms(events[0]?.eventTime);
    for (const e of events) {
      const done = e.activityTaskCompletedEventAttributes;
      if (!done) continue;
      const started = at.get(Number(done.startedEventId)) ?? 0;
      wait += started - (at.get(Number(done.scheduledEventId)) ?? 0);
      work += ms(e.eventTime) - started;
      activities++;
    }
  }
  return `run ${(runs / workflowIds.length).toFixed(0)} ms; per thumbnail activity: queued ${(wait / activities).toFixed(0)} ms, running ${(work / activities).toFixed(0)} ms`;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
