/**
 * Avatar files in GridFS, so the API and the media pool share images through the database
 * and need no shared disk. Originals live in the bucket `avatars`, thumbnails in
 * `thumbnails`; the id says which (see ids.ts). Writing an id again replaces the file.
 *
 * Two buckets because on FerretDB's SQLite backend a GridFS read or delete scans its whole
 * chunks collection (no pushdown for `files_id`): serving a 3 KB thumbnail must not pay
 * for every stored original. On MongoDB the {files_id, n} index makes both cheap anyway.
 */
import mongoose from 'mongoose';
import type { Readable } from 'node:stream';
import { AVATAR_BUCKET, THUMBNAIL_BUCKET, isThumbnailFileId } from './ids';

export interface StoredFile {
  _id: string;
  length: number;
  filename: string;
  uploadDate: Date;
  metadata?: Record<string, unknown>;
}

type BucketName = typeof AVATAR_BUCKET | typeof THUMBNAIL_BUCKET;

function database(): mongoose.mongo.Db {
  const db = mongoose.connection.db;
  if (!db) throw new Error('the database is not connected');
  return db;
}

const bucketOf = (id: string): BucketName => (isThumbnailFileId(id) ? THUMBNAIL_BUCKET : AVATAR_BUCKET);

let cached: { db: mongoose.mongo.Db; buckets: Map<BucketName, mongoose.mongo.GridFSBucket> } | undefined;

/** One bucket object per connection: a bucket checks its indexes before its first write, so a new one per call pays that on every upload. */
function bucket(name: BucketName): mongoose.mongo.GridFSBucket {
  const db = database();
  if (cached?.db !== db) cached = { db, buckets: new Map() };
  let found = cached.buckets.get(name);
  if (!found) cached.buckets.set(name, (found = new mongoose.mongo.GridFSBucket(db, { bucketName: name })));
  return found;
}

const files = (name: BucketName) => database().collection<StoredFile>(`${name}.files`);
const chunks = (name: BucketName) => database().collection<{ files_id: string }>(`${name}.chunks`);
const asId = (id: string) => id as unknown as mongoose.mongo.ObjectId; // GridFS takes any _id; ours are strings

/** The ids of an upload's original and of every thumbnail made from it. */
export async function uploadFiles(originalId: string): Promise<string[]> {
  const thumbs = await files(THUMBNAIL_BUCKET).find({ 'metadata.originalId': originalId }, { projection: { _id: 1 } }).toArray();
  const original = await findFile(originalId);
  return [...(original ? [originalId] : []), ...thumbs.map((t) => t._id)];
}

export async function findFile(id: string): Promise<StoredFile | null> {
  return files(bucketOf(id)).findOne({ _id: id });
}

/**
 * Writes `bytes` under `id`, replacing any file there. The files document is written last
 * by GridFS, so readers see the old file, no file, or the whole new one, never a partial one.
 * Chunks are only swept when needed (a file was there, or a crashed write left chunks that
 * the unique {files_id, n} index now trips over): the sweep is the expensive part.
 */
export async function putFile(id: string, filename: string, bytes: Buffer, metadata: Record<string, unknown>): Promise<void> {
  if (await findFile(id)) await deleteFiles([id]);
  try {
    await upload(id, filename, bytes, metadata);
  } catch (error) {
    if ((error as { code?: number }).code !== 11000) throw error;
    await deleteFiles([id]);
    await upload(id, filename, bytes, metadata);
  }
}

function upload(id: string, filename: string, bytes: Buffer, metadata: Record<string, unknown>): Promise<void> {
  const stream = bucket(bucketOf(id)).openUploadStreamWithId(asId(id), filename, { metadata });
  return new Promise<void>((resolve, reject) => {
    stream.once('finish', () => resolve());
    stream.once('error', reject);
    stream.end(bytes);
  });
}

/** Updates a stored file's metadata fields (e.g. when an identical upload arrives again). */
export async function touchFile(id: string, metadata: Record<string, unknown>): Promise<void> {
  const set = Object.fromEntries(Object.entries(metadata).map(([k, v]) => [`metadata.${k}`, v]));
  await files(bucketOf(id)).updateOne({ _id: id }, { $set: set });
}

/** Reads a whole file; `onChunk` lets a long read report progress (activity heartbeats). */
export async function readFile(id: string, onChunk?: (bytesSoFar: number) => void): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of openDownload(id)) {
    parts.push(part as Buffer);
    size += (part as Buffer).length;
    onChunk?.(size);
  }
  return Buffer.concat(parts);
}

export function openDownload(id: string): Readable {
  return bucket(bucketOf(id)).openDownloadStream(asId(id));
}

/** Deletes files and their chunks; ids that are not there are skipped. */
export async function deleteFiles(ids: string[]): Promise<void> {
  for (const name of [AVATAR_BUCKET, THUMBNAIL_BUCKET] as const) {
    const mine = ids.filter((id) => bucketOf(id) === name);
    if (mine.length === 0) continue;
    await files(name).deleteMany({ _id: { $in: mine } });
    await chunks(name).deleteMany({ files_id: { $in: mine } });
  }
}

/** Ids of files in a bucket stored before `before`, oldest first, at most `limit`. */
export async function filesStoredBefore(name: BucketName, before: Date, limit: number): Promise<string[]> {
  const rows = await files(name).find({ uploadDate: { $lt: before } }, { projection: { _id: 1 } }).sort({ uploadDate: 1 }).limit(limit).toArray();
  return rows.map((row) => row._id);
}
