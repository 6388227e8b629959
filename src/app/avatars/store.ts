/**
 * Avatar files (originals and thumbnails) in the database, so the API and the media pool
 * share images without a shared disk. Every read and write is a lookup by `_id`, the one
 * query that is cheap on both MongoDB and the embedded database (FerretDB on SQLite pushes
 * down nothing else: a GridFS read there scanned the whole chunks collection, 343 ms with
 * 30 files stored). So:
 *   - `avatar_files`: one document per file, `_id` = the file id (see ids.ts); a file of at
 *     most INLINE_MAX bytes (every thumbnail) carries its bytes in it: one lookup per read;
 *   - `avatar_chunks`: larger files in CHUNK_SIZE pieces under the deterministic ids
 *     `<fileId>:<n>`, read one by one by `_id`.
 * A file document is written `complete: false` first, then the chunks, then marked
 * complete: readers see the old file, no file, or the whole new one, and the orphan cleanup
 * finds a crashed write through its file document and removes its chunks by their ids.
 */
import mongoose from 'mongoose';
import { Readable } from 'node:stream';

export interface StoredFile {
  _id: string;
  length: number;
  filename: string;
  uploadDate: Date;
  metadata?: Record<string, unknown>;
}

interface FileDocument extends StoredFile {
  complete: boolean;
  /** How many chunk documents hold the bytes (0 when they are inline). */
  chunks: number;
  data?: mongoose.mongo.Binary;
  /** Files made from this one (an original's thumbnails), so a failed upload can take them too. */
  derived?: string[];
}

export const FILES_COLLECTION = 'avatar_files';
export const CHUNKS_COLLECTION = 'avatar_chunks';
/** Largest file stored inside its own document. */
export const INLINE_MAX = 64 * 1024;
export const CHUNK_SIZE = 255 * 1024;

function database(): mongoose.mongo.Db {
  const db = mongoose.connection.db;
  if (!db) throw new Error('the database is not connected');
  return db;
}

const files = () => database().collection<FileDocument>(FILES_COLLECTION);
const chunks = () => database().collection<{ _id: string; data: mongoose.mongo.Binary }>(CHUNKS_COLLECTION);
export const chunkId = (fileId: string, n: number) => `${fileId}:${n}`;

function visible(doc: FileDocument | null): StoredFile | null {
  if (!doc || !doc.complete) return null;
  return { _id: doc._id, length: doc.length, filename: doc.filename, uploadDate: doc.uploadDate, metadata: doc.metadata };
}

/** The ids of an upload's original and of every thumbnail made from it. */
export async function uploadFiles(originalId: string): Promise<string[]> {
  const original = await files().findOne({ _id: originalId }, { projection: { data: 0 } });
  return original ? [originalId, ...(original.derived ?? [])] : [];
}

export async function findFile(id: string): Promise<StoredFile | null> {
  return visible(await files().findOne({ _id: id }, { projection: { data: 0 } }));
}

/** Notes that each of `derivedIds` was made from `originalId` (before writing it, so a crash leaves it findable). */
export async function noteDerived(originalId: string, ...derivedIds: string[]): Promise<void> {
  await files().updateOne({ _id: originalId }, { $addToSet: { derived: { $each: derivedIds } } });
}

/** Writes `bytes` under `id`, replacing any file there. */
export async function putFile(id: string, filename: string, bytes: Buffer, metadata: Record<string, unknown>): Promise<void> {
  const before = await files().findOne({ _id: id }, { projection: { data: 0 } });
  const inline = bytes.length <= INLINE_MAX;
  const count = inline ? 0 : Math.ceil(bytes.length / CHUNK_SIZE);
  const doc: FileDocument = {
    _id: id,
    length: bytes.length,
    filename,
    uploadDate: new Date(),
    metadata,
    complete: inline,
    chunks: count,
    derived: before?.derived ?? [],
  };
  if (inline) doc.data = new mongoose.mongo.Binary(bytes);
  await files().replaceOne({ _id: id }, doc as Omit<FileDocument, '_id'>, { upsert: true });
  for (let n = 0; n < count; n++) {
    const data = new mongoose.mongo.Binary(bytes.subarray(n * CHUNK_SIZE, (n + 1) * CHUNK_SIZE));
    await chunks().replaceOne({ _id: chunkId(id, n) }, { data }, { upsert: true });
  }
  for (let n = count; n < (before?.chunks ?? 0); n++) await chunks().deleteOne({ _id: chunkId(id, n) });
  if (!inline) await files().updateOne({ _id: id }, { $set: { complete: true } });
}

/** Updates a stored file's metadata fields (e.g. when an identical upload arrives again). */
export async function touchFile(id: string, metadata: Record<string, unknown>): Promise<void> {
  const set = Object.fromEntries(Object.entries(metadata).map(([k, v]) => [`metadata.${k}`, v]));
  await files().updateOne({ _id: id }, { $set: set });
}

/** The bytes of a complete file, piece by piece; `undefined` for no (complete) file. */
async function* pieces(id: string): AsyncGenerator<Buffer> {
  const doc = await files().findOne({ _id: id });
  if (!doc || !doc.complete) throw Object.assign(new Error(`no file ${id}`), { code: 'ENOENT' });
  if (doc.chunks === 0) {
    yield Buffer.from(doc.data?.buffer ?? Buffer.alloc(0));
    return;
  }
  let size = 0;
  for (let n = 0; n < doc.chunks; n++) {
    const chunk = await chunks().findOne({ _id: chunkId(id, n) });
    if (!chunk) throw new Error(`file ${id} is missing chunk ${n}`);
    const part = Buffer.from(chunk.data.buffer);
    size += part.length;
    yield part;
  }
  if (size !== doc.length) throw new Error(`file ${id} has ${size} bytes in its chunks, not ${doc.length}`);
}

/** Reads a whole file; `onChunk` lets a long read report progress (activity heartbeats). */
export async function readFile(id: string, onChunk?: (bytesSoFar: number) => void): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of pieces(id)) {
    parts.push(part);
    size += part.length;
    onChunk?.(size);
  }
  return Buffer.concat(parts);
}

export function openDownload(id: string): Readable {
  return Readable.from(pieces(id), { objectMode: false });
}

/** Deletes files and their chunks; ids that are not there are skipped. */
export async function deleteFiles(ids: string[]): Promise<void> {
  for (const id of ids) {
    const doc = await files().findOne({ _id: id }, { projection: { chunks: 1 } });
    if (!doc) continue;
    await files().deleteOne({ _id: id });
    for (let n = 0; n < doc.chunks; n++) await chunks().deleteOne({ _id: chunkId(id, n) });
  }
}

/**
 * Ids of files stored before `before`, oldest first, at most `limit`: the hourly cleanup's
 * candidates. This one query reads the whole (small-document) files collection on the
 * embedded database; it runs once an hour, never on a request.
 */
export async function filesStoredBefore(before: Date, limit: number): Promise<string[]> {
  const rows = await files()
    .find({ uploadDate: { $lt: before } }, { projection: { _id: 1 } })
    .sort({ uploadDate: 1 })
    .limit(limit)
    .toArray();
  return rows.map((row) => row._id);
}
