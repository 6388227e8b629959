/**
 * The avatar workflow's steps. media.thumbnails (what avatarUploaded runs, on the media
 * pool) makes every size in one pass: the original is read once, each size is rendered and
 * written, and a retried attempt skips the sizes an earlier attempt already stored.
 * media.thumbnail (one size) stays for histories recorded before. The pixel limit makes
 * sharp refuse a decompression bomb from its header, before decoding. users.setAvatar and
 * users.discardUpload (default pool) point the user at the upload or tidy it away.
 */
import { Context } from '@temporalio/activity';
import mongoose from 'mongoose';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import type { DomainConfig } from '../../config';
import { deleteFiles, findFile, noteDerived, putFile, readFile, uploadFiles } from './store';
import { User } from '../users/model';
import { isUsersAvatarFile, thumbnailFileId } from '../ids';
import type { ThumbnailInput, ThumbnailResult, ThumbnailsInput } from '../../tasks/inputs';
import { ErrorType, permanentFailure } from '../../workflows/errors';

/** What the image steps need: the upload limits (AVATAR_MAX_BYTES, AVATAR_MAX_INPUT_PIXELS). */
export interface AvatarDeps {
  limits: Pick<DomainConfig['avatar'], 'maxBytes' | 'maxInputPixels'>;
}

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

async function thumbnail({ maxInputPixels, maxBytes }: AvatarDeps['limits'], { userId, originalId, size }: ThumbnailInput): Promise<ThumbnailResult> {
  const ctx = Context.current();
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
  // Noted before it is written, so a crash leaves it findable by the orphan cleanup.
  await noteDerived(originalId, thumbnailFileId(originalId, size));
  return store(userId, originalId, size, output);
}

/** Writes one thumbnail; its id must already be noted on the original (noteDerived). */
async function store(
  userId: string,
  originalId: string,
  size: number,
  output: { data: Buffer; info: { width: number; height: number } },
): Promise<ThumbnailResult> {
  const fileId = thumbnailFileId(originalId, size);
  const sha256 = createHash('sha256').update(output.data).digest('hex');
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

/** How long media.thumbnails runs before it starts heartbeating. */
const SILENT_MS = 2_000;

async function thumbnails({ maxInputPixels, maxBytes }: AvatarDeps['limits'], { userId, originalId, sizes }: ThumbnailsInput): Promise<ThumbnailResult[]> {
  const ctx = Context.current();
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
    // Progress goes out only once the step has run a while: most images take a fraction of
    // a second, and each heartbeat is a write on the Temporal server (the heartbeat timeout
    // is 20 s, so the first beat at 2 s is early enough).
    const startedAt = Date.now();
    let stage: Record<string, unknown> = { stage: 'reading' };
    const report = (progress: Record<string, unknown>) => {
      stage = progress;
      if (Date.now() - startedAt >= SILENT_MS) ctx.heartbeat(progress);
    };
    const beat = setInterval(() => ctx.heartbeat(stage), SILENT_MS);
    try {
      const original = await readFile(originalId, (bytes) => report({ stage: 'reading', bytes }));
      // Noted before any is written, so a crash leaves every one findable by the orphan cleanup.
      await noteDerived(originalId, ...todo.map((size) => thumbnailFileId(originalId, size)));
      for (const size of todo) {
        report({ stage: 'resizing', done: results.size });
        let output: { data: Buffer; info: { width: number; height: number } };
        try {
          output = await render(original, size, maxInputPixels);
        } catch (error) {
          throw permanentFailure(ErrorType.ImageRejected, `upload ${originalId} rejected: ${(error as Error).message}`);
        }
        results.set(size, await store(userId, originalId, size, output));
        report({ stage: 'writing', done: results.size });
      }
    } finally {
      clearInterval(beat);
    }
  }
  return wanted.map((size) => results.get(size)!);
}

/** The image work itself, also what bench/thumbnails.ts calls directly for its baseline. */
export function render(
  original: Buffer,
  size: number,
  maxInputPixels: number,
): Promise<{ data: Buffer; info: { width: number; height: number; format: string } }> {
  return sharp(original, { limitInputPixels: maxInputPixels, failOn: 'error' })
    .rotate() // honour EXIF orientation before cropping
    .resize(size, size, { fit: 'cover', position: 'centre' })
    .webp({ quality: 82 })
    .toBuffer({ resolveWithObject: true });
}

const oid = (id: string) => new mongoose.Types.ObjectId(id);

/**
 * Points the user at this upload unless a newer upload got there first (workflows can
 * finish out of order), then deletes whichever files lost: the replaced avatar's, or
 * this upload's own when it was too late.
 */
async function setAvatar(thumbnails: ThumbnailResult[], userId: string, originalId: string): Promise<{ applied: boolean }> {
  const original = await findFile(originalId);
  if (!original) throw permanentFailure(ErrorType.NotFound, `no upload ${originalId}`);
  const receivedAt = new Date(String(original.metadata?.receivedAt ?? original.uploadDate.toISOString()));
  const avatar = { original: originalId, thumbnails: Object.fromEntries(thumbnails.map((t) => [String(t.size), t.fileId])), uploadedAt: receivedAt };
  // Checked on the row, written by `_id` alone (the embedded database reads every user for
  // any other filter). Two uploads of one user finishing within one round trip could both
  // pass the check; the later write wins and the other's files are left to the orphan cleanup.
  const seen = await User.findById(userId, { avatar: 1 }).lean();
  const newer = seen?.avatar && seen.avatar.uploadedAt > receivedAt;
  const before = seen && !newer ? await User.findOneAndUpdate({ _id: oid(userId) }, { $set: { avatar } }, { returnDocument: 'before' }).lean() : null;
  const mine = [originalId, ...thumbnails.map((t) => t.fileId)];
  if (!before) {
    if (!(await User.exists({ _id: oid(userId) }))) throw permanentFailure(ErrorType.NotFound, `no user ${userId}`);
    const current = await User.findById(userId, { avatar: 1 }).lean();
    const inUse = current?.avatar ? filesOf(current.avatar) : [];
    await deleteFiles(mine.filter((id) => !inUse.includes(id)));
    return { applied: false };
  }
  const replaced = before.avatar ? filesOf(before.avatar) : [];
  await deleteFiles(replaced.filter((id) => !mine.includes(id)));
  return { applied: true };
}

/** After a failed upload: its files go, unless the user's avatar is this very upload (an earlier success). */
async function discardUpload(userId: string, originalId: string): Promise<{ deleted: number }> {
  const user = await User.findById(userId, { avatar: 1 }).lean();
  if (user?.avatar?.original === originalId) return { deleted: 0 };
  const ids = await uploadFiles(originalId);
  await deleteFiles(ids);
  return { deleted: ids.length };
}

function filesOf(avatar: { original: string; thumbnails: Map<string, string> | Record<string, string> }): string[] {
  const thumbs = avatar.thumbnails instanceof Map ? [...avatar.thumbnails.values()] : Object.values(avatar.thumbnails);
  return [avatar.original, ...thumbs];
}

/** The avatar steps bound to their limits, by the name each has in the task catalog's avatar entries. */
export function avatarActivities({ limits }: AvatarDeps) {
  return {
    thumbnail: (input: ThumbnailInput) => thumbnail(limits, input),
    thumbnails: (input: ThumbnailsInput) => thumbnails(limits, input),
    setAvatar,
    discardUpload,
  };
}
