/**
 * (d) Thumbnails: 200 images of 1–2 megapixels to the three avatar sizes, through the
 * media pool (media.thumbnail: original from GridFS, sharp, WebP back to GridFS; one
 * canvas per image, a group of the three sizes) versus the same sharp call (the media
 * module's own render()) in this process, at the pool's concurrency.
 */
import { createHash, randomBytes } from 'node:crypto';
import type sharpConstructor from 'sharp';
import { loadConfig, poolConcurrency } from '../../src/config';
import { POOLS } from '../../src/workflows/tasks/pools';
import { getTask } from '../../src/tasks/registry';
import type { BenchContext } from '../context';
import { closedLoop } from '../load';
import { cpuDelta, cpuSnapshot } from '../procstat';
import { ScenarioBuilder, type ScenarioResult } from '../report';
import { interleave, Series } from '../rounds';
import { ratios } from '../stats';

interface Original {
  userId: string;
  originalId: string;
  bytes: Buffer;
  width: number;
  height: number;
}

export async function thumbnails(ctx: BenchContext): Promise<ScenarioResult> {
  const { rounds, images, distinct, directPerRound } = ctx.plan.d;
  const out = new ScenarioBuilder('d', `thumbnails: ${images} images of 1–2 MP to the three sizes, media pool vs sharp in one process`);
  if (!getTask('media.thumbnail')) return out.skipped('no media.thumbnail task in src/tasks/registry.ts');
  const mongodbUri = process.env.MONGODB_URI;
  if (!mongodbUri) return out.skipped("the originals go to GridFS first: set MONGODB_URI to the running system's database");
  let media: typeof import('../../src/app/avatars/activities');
  let sharpModule: typeof sharpConstructor;
  try {
    media = await import('../../src/app/avatars/activities');
    sharpModule = (await import('sharp')).default;
  } catch (error) {
    return out.skipped(`sharp or the media module does not load: ${(error as Error).message}`);
  }
  const { connectDatabase, disconnectDatabase } = await import('../../src/db/mongo');
  const { putFile } = await import('../../src/app/avatars/store');
  const { originalFileId } = await import('../../src/app/ids');
  const { sizes, maxInputPixels } = loadConfig().domain.avatar;
  const lanes = poolConcurrency('media', POOLS.media.concurrency);

  await connectDatabase(mongodbUri);
  try {
    const originals: Original[] = [];
    for (let i = 0; i < distinct; i++) originals.push(await makeOriginal(sharpModule, i, originalFileId));
    for (const o of originals) await putFile(o.originalId, `${o.originalId}.jpg`, o.bytes, { userId: o.userId, contentType: 'image/jpeg', bench: true });
    const megapixels = originals.map((o) => (o.width * o.height) / 1e6);
    out.note(
      `${distinct} distinct synthetic JPEG originals (${Math.min(...megapixels).toFixed(1)}–${Math.max(...megapixels).toFixed(1)} MP, ` +
        `${Math.round(Math.min(...originals.map((o) => o.bytes.length)) / 1024)}–${Math.round(Math.max(...originals.map((o) => o.bytes.length)) / 1024)} KiB), ` +
        `each used several times: the pool reads every original from GridFS again and sharp's cache is off, so each image costs the full work; ` +
        `sizes ${sizes.join(', ')}; direct runs ${lanes} at once, the media pool's concurrency.`,
    );

    const perRound = Math.ceil(images / rounds);
    const pool = new Series();
    const direct = new Series();
    const cpuPerImage: Record<string, Series> = {};
    let pooled = 0;
    const pick = (round: number, i: number) => originals[(round * perRound + i) % originals.length];
    const watched = Object.fromEntries(
      Object.entries(ctx.system.pids()).filter(([name]) => ['temporal', 'ferretdb', 'worker-media', 'worker-orchestrator', 'api'].includes(name)),
    );
    const viaPool = (o: Original) =>
      ctx.api.run({ canvas: { group: sizes.map((size) => ({ task: 'media.thumbnail', args: [{ userId: o.userId, originalId: o.originalId, size }] })) } });
    const direct1 = async (o: Original) => {
      for (const size of sizes) await media.render(o.bytes, size, maxInputPixels);
    };
    await viaPool(originals[0]); // warm-up: the media pool's first task loads sharp and opens GridFS
    await direct1(originals[0]);
    await interleave(
      rounds,
      [
        {
          name: 'media pool',
          run: async (round) => {
            const before = cpuSnapshot(watched);
            // Two images at a time keep the pool's two slots busy (each image is three tasks).
            const r = await closedLoop({ concurrency: 2, count: perRound }, async (i) => void (await viaPool(pick(round, i))));
            for (const [name, ms] of Object.entries(cpuDelta(before, cpuSnapshot(watched))))
              if (ms !== undefined) (cpuPerImage[name] ??= new Series()).push(ms / r.completed);
            if (r.errors) throw new Error(`media pool: ${r.errors} failed, e.g. ${r.errorSamples[0]}`);
            pool.push(r.perSecond);
            pooled += r.completed;
          },
        },
        {
          name: 'sharp direct',
          run: async (round) => {
            const r = await closedLoop({ concurrency: lanes, count: directPerRound }, async (i) => direct1(pick(round, i)));
            if (r.errors) throw new Error(`sharp direct: ${r.errors} failed, e.g. ${r.errorSamples[0]}`);
            direct.push(r.perSecond);
          },
        },
      ],
      ctx.log,
    );
    out.add('media pool ÷ sharp direct, images/s', '×', ratios(pool.values, direct.values), true);
    for (const [name, series] of Object.entries(cpuPerImage)) out.add(`CPU per image through the pool: ${name}`, 'ms/image', series.values);
    out.ran('images through the media pool (each to 3 sizes)', pooled, images);
    out.note(`sharp direct: ${directPerRound} images a round; CPU per image is utime+stime from /proc over the pool's rounds.`);
    out.add('media pool', 'images/s', pool.values);
    out.add('sharp direct', 'images/s', direct.values);
    return out.done();
  } finally {
    await disconnectDatabase().catch(() => undefined);
  }
}

/** A smooth synthetic photo: a small random image upscaled (bicubic) to 1–2 MP, as JPEG. */
async function makeOriginal(sharp: typeof sharpConstructor, index: number, originalFileId: (userId: string, digestHex: string) => string): Promise<Original> {
  const width = 1200 + ((index * 97) % 500);
  const megapixels = 1 + ((index * 37) % 100) / 100;
  const height = Math.round((megapixels * 1e6) / width);
  const small = await sharp({
    create: { width: 48, height: 36, channels: 3, background: { r: 90, g: 140, b: 200 }, noise: { type: 'gaussian', mean: 128, sigma: 80 } },
  })
    .png()
    .toBuffer();
  const bytes = await sharp(small).resize(width, height, { kernel: 'cubic', fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
  const userId = randomBytes(12).toString('hex');
  const originalId = originalFileId(userId, createHash('sha256').update(bytes).digest('hex'));
  return { userId, originalId, bytes, width, height };
}
