/**
 * Thumbnails on the media pool. media.thumbnails (what avatarUploaded runs) makes every
 * size in one pass: the original is read once, each size is rendered and written, and a
 * retried attempt skips the sizes an earlier attempt already stored. media.thumbnail (one
 * size) stays for histories recorded before. The pixel limit makes sharp refuse a
 * decompression bomb from its header, before decoding.
 */
import { Context } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { loadConfig } from '../../config';
import { findFile, noteDerived, putFile, readFile } from './store';
import { isUsersAvatarFile, thumbnailFileId } from '../ids';
import type { ThumbnailInput, ThumbnailResult, ThumbnailsInput } from '../task-inputs';
import { ErrorType, permanentFailure } from '../../errors';

// One libvips thread per running thumbnail: the pool's concurrency (≈ cores) then bounds the
// CPU in use, and the cache would only hold originals that are never read twice.
sharp.concurrency(1);
sharp.cache(false);

/**
 * Originals recently read, by id. An upload's id carries its content's SHA-256, so the bytes
 * under an id never change, and the sizes of one upload (usually run by the same worker, at
 * about the same time) read it from the database once. In-flight reads are shared too.
 */
const recentOriginals = new Map<string, Promise<Buffer>>();
const RECENT_ORIGINALS = 4;

function readOriginal(id: string, onChunk: (bytes: number) => void): Promise<Buffer> {
  let read = recentOriginals.get(id);
  if (!read) {
    read = readFile(id, onChunk);
    recentOriginals.set(id, read);
    read.catch(() => recentOriginals.delete(id));
    while (recentOriginals.size > RECENT_ORIGINALS) recentOriginals.delete(recentOriginals.keys().next().value!);
  }
  return read;
}

export async function thumbnail({ userId, originalId, size }: ThumbnailInput): Promise<ThumbnailResult> {
  const ctx = Context.current();
  const { maxInputPixels, maxBytes } = loadConfig().domain.avatar;
  if (!isUsersAvatarFile(userId, originalId)) throw permanentFailure(ErrorType.InvalidArguments, `${originalId} is not an upload of user ${userId}`);
  const stored = await findFile(originalId);
  if (!stored) throw permanentFailure(ErrorType.NotFound, `no upload ${originalId}`);
  if (stored.length > maxBytes) throw permanentFailure(ErrorType.ImageRejected, `upload ${originalId} is ${stored.length} bytes; the limit is ${maxBytes}`);
  ctx.heartbeat({ stage: 'reading' });
  const original = await readOriginal(originalId, (bytes) => ctx.heartbeat({ stage: 'reading', bytes }));
  ctx.heartbeat({ stage: 'resizing' });
  const beat = setInterval(() => ctx.heartbeat({ stage: 'resizing' }), 2_000);
  let output: { data: Buffer; info: { width: number; height: number } };
  try {
    output = await render(original, size, maxInputPixels);
  } catch (error) {
    // Anything sharp refuses is the image's fault (too large, not decodable): retrying cannot help.
    throw permanentFailure(ErrorType.ImageRejected, `upload ${originalId} rejected: ${(error as Error).message}`);
  } finally {
    clearInterval(beat);
  }
  ctx.heartbeat({ stage: 'writing' });
  return store(userId, originalId, size, output);
}

async function store(userId: string, originalId: string, size: number, output: { data: Buffer; info: { width: number; height: number } }): Promise<ThumbnailResult> {
  const fileId = thumbnailFileId(originalId, size);
  const sha256 = createHash('sha256').update(output.data).digest('hex');
  await noteDerived(originalId, fileId);
  const { width, height } = output.info;
  await putFile(fileId, `${fileId}.webp`, output.data, { userId, originalId, size, contentType: 'image/webp', sha256, width, height });
  return { size, fileId, bytes: output.data.length, width, height };
}

/** A thumbnail an earlier attempt already wrote for this upload, as media.thumbnails reports it. */
async function alreadyStored(originalId: string, size: number): Promise<ThumbnailResult | null> {
  const fileId = thumbnailFileId(originalId, size);
  const file = await findFile(fileId);
  const meta = file?.metadata as { originalId?: string; width?: number; height?: number } | undefined;
  if (!file || meta?.originalId !== originalId || meta.width === undefined || meta.height === undefined) return null;
  return { size, fileId, bytes: file.length, width: meta.width, height: meta.height };
}

export async function thumbnails({ userId, originalId, sizes }: ThumbnailsInput): Promise<ThumbnailResult[]> {
  const ctx = Context.current();
  const { maxInputPixels, maxBytes } = loadConfig().domain.avatar;
  if (!isUsersAvatarFile(userId, originalId)) throw permanentFailure(ErrorType.InvalidArguments, `${originalId} is not an upload of user ${userId}`);
  const stored = await findFile(originalId);
  if (!stored) throw permanentFailure(ErrorType.NotFound, `no upload ${originalId}`);
  if (stored.length > maxBytes) throw permanentFailure(ErrorType.ImageRejected, `upload ${originalId} is ${stored.length} bytes; the limit is ${maxBytes}`);
  const wanted = [...new Set(sizes)];
  const results = new Map<number, ThumbnailResult>();
  // A retried attempt: the thumbnail ids are deterministic, so what is stored is done.
  for (const size of wanted) {
    const done = ctx.info.attempt > 1 ? await alreadyStored(originalId, size) : null;
    if (done) results.set(size, done);
  }
  const todo = wanted.filter((size) => !results.has(size));
  if (todo.length > 0) {
    ctx.heartbeat({ stage: 'reading' });
    const original = await readFile(originalId, (bytes) => ctx.heartbeat({ stage: 'reading', bytes }));
    const beat = setInterval(() => ctx.heartbeat({ stage: 'resizing', done: results.size }), 2_000);
    try {
      for (const size of todo) {
        let output: { data: Buffer; info: { width: number; height: number } };
        try {
          output = await render(original, size, maxInputPixels);
        } catch (error) {
          throw permanentFailure(ErrorType.ImageRejected, `upload ${originalId} rejected: ${(error as Error).message}`);
        }
        results.set(size, await store(userId, originalId, size, output));
        ctx.heartbeat({ stage: 'writing', done: results.size });
      }
    } finally {
      clearInterval(beat);
    }
  }
  return wanted.map((size) => results.get(size)!);
}

/** The image work itself, also what bench/thumbnails.ts calls directly for its baseline. */
export function render(original: Buffer, size: number, maxInputPixels: number): Promise<{ data: Buffer; info: { width: number; height: number; format: string } }> {
  return sharp(original, { limitInputPixels: maxInputPixels, failOn: 'error' })
    .rotate() // honour EXIF orientation before cropping
    .resize(size, size, { fit: 'cover', position: 'centre' })
    .webp({ quality: 82 })
    .toBuffer({ resolveWithObject: true });
}
