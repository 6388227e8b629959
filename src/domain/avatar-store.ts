/**
 * Avatar files in GridFS (bucket `avatars`), so the API and the media pool share images
 * through the database and need no shared disk. Files have deterministic string ids
 * (see ids.ts): writing an id again replaces the file.
 */
import mongoose from 'mongoose';
import type { Readable } from 'node:stream';
import { AVATAR_BUCKET } from './ids';

export interface StoredFile {
  _id: string;
  length: number;
  filename: string;
  uploadDate: Date;
  metadata?: Record<string, unknown>;
}

function database() {
  const db = mongoose.connection.db;
  if (!db) throw new Error('the database is not connected');
  return db;
}

let cached: { db: mongoose.mongo.Db; bucket: mongoose.mongo.GridFSBucket } | undefined;

/** One bucket per connection: a bucket checks its indexes before its first write, so a new one per call pays that on every upload. */
function bucket(): mongoose.mongo.GridFSBucket {
  const db = database();
  if (cached?.db !== db) cached = { db, bucket: new mongoose.mongo.GridFSBucket(db, { bucketName: AVATAR_BUCKET }) };
  return cached.bucket;
}

const files = () => database().collection<StoredFile>(`${AVATAR_BUCKET}.files`);
const chunks = () => database().collection<{ files_id: string }>(`${AVATAR_BUCKET}.chunks`);

/** The ids of an upload's original and of every thumbnail made from it. */
export async function uploadFiles(originalId: string): Promise<string[]> {
  const rows = await files().find({ $or: [{ _id: originalId }, { 'metadata.originalId': originalId }] }, { projection: { _id: 1 } }).toArray();
  return rows.map((r) => r._id);
}

export async function findFile(id: string): Promise<StoredFile | null> {
  return files().findOne({ _id: id });
}

/**
 * Writes `bytes` under `id`, replacing any file (or chunks left by a crashed write) there.
 * The files document is written last by GridFS, so readers see the old file, no file, or
 * the whole new one, never a partial one.
 */
export async function putFile(id: string, filename: string, bytes: Buffer, metadata: Record<string, unknown>): Promise<void> {
  await deleteFiles([id]);
  const upload = bucket().openUploadStreamWithId(id as unknown as mongoose.mongo.ObjectId, filename, { metadata });
  await new Promise<void>((resolve, reject) => {
    upload.once('finish', () => resolve());
    upload.once('error', reject);
    upload.end(bytes);
  });
}

/** Updates a stored file's metadata fields (e.g. when an identical upload arrives again). */
export async function touchFile(id: string, metadata: Record<string, unknown>): Promise<void> {
  const set = Object.fromEntries(Object.entries(metadata).map(([k, v]) => [`metadata.${k}`, v]));
  await files().updateOne({ _id: id }, { $set: set });
}

/** Reads a whole file; `onChunk` lets a long read report progress (activity heartbeats). */
export async function readFile(id: string, onChunk?: (bytesSoFar: number) => void): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of bucket().openDownloadStream(id as unknown as mongoose.mongo.ObjectId)) {
    parts.push(part as Buffer);
    size += (part as Buffer).length;
    onChunk?.(size);
  }
  return Buffer.concat(parts);
}

export function openDownload(id: string): Readable {
  return bucket().openDownloadStream(id as unknown as mongoose.mongo.ObjectId);
}

/** Deletes files and their chunks; ids that are not there are skipped. */
export async function deleteFiles(ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await files().deleteMany({ _id: { $in: ids } });
  await chunks().deleteMany({ files_id: { $in: ids } });
}
