/**
 * Updates of one document from many connections at once keep every change, as MongoDB's
 * do: the comment lists, the mention inbox and the email ledger rely on `$inc`, `$push` and
 * `findOneAndUpdate` being atomic. FerretDB 1.24 applied them as a read and a separate write,
 * and lost most of them under concurrency (database/provision.sh patches its build).
 */
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import { connectDatabase, disconnectDatabase } from '../../src/db/mongo';
import { appendToList, COMMENT_LISTS_COLLECTION, walkList } from '../../src/app/comments/lists';
import { INBOX_COLLECTION, INBOX_SIZE, recordMentions } from '../../src/app/comments/mention-inbox';

const run = randomBytes(3).toString('hex');
const UPDATES = 200;
const AT_ONCE = 10;

beforeAll(async () => {
  await connectDatabase(process.env.MONGODB_URI!);
});

afterAll(async () => {
  await disconnectDatabase();
});

/** Runs `count` calls of `update`, `AT_ONCE` in flight at a time. */
async function concurrently(count: number, update: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: AT_ONCE }, async () => {
      while (next < count) await update(next++);
    }),
  );
}

function probes() {
  return mongoose.connection.db!.collection<{ _id: string; n?: number; items?: number[] }>('atomicity_probe');
}

test('concurrent $inc and $push to one document keep every update', async () => {
  const _id = `probe-${run}`;
  await concurrently(UPDATES, (i) => probes().updateOne({ _id }, { $inc: { n: 1 }, $push: { items: i } }, { upsert: true }));
  const doc = await probes().findOne({ _id });
  expect(doc?.n).toBe(UPDATES);
  expect(new Set(doc?.items).size).toBe(UPDATES);
});

test('concurrent findOneAndUpdate counters hand out distinct values', async () => {
  const _id = `counter-${run}`;
  const seen: number[] = [];
  await concurrently(UPDATES, async () => {
    const after = await probes().findOneAndUpdate({ _id }, { $inc: { n: 1 } }, { upsert: true, returnDocument: 'after' });
    seen.push(after!.n!);
  });
  expect(new Set(seen).size).toBe(UPDATES);
  expect(Math.max(...seen)).toBe(UPDATES);
});

test('a comment list appended to concurrently lists every comment once, newest first', async () => {
  const list = 'all';
  const ids = Array.from({ length: 120 }, (_, i) => `atomic-${run}-${i}`);
  await concurrently(ids.length, (i) => appendToList(list, ids[i]));
  const listed: string[] = [];
  await walkList(list, undefined, 10_000, async (batch) => {
    listed.push(...batch);
    return batch.length;
  });
  const ours = listed.filter((id) => id.startsWith(`atomic-${run}-`));
  expect(new Set(ours).size).toBe(ids.length);
  expect(ours.length).toBe(ids.length);
  // Each append got its own position in the list: no two share a sequence number.
  const pages = await mongoose.connection
    .db!.collection<{ _id: string; entries?: Array<{ seq: number; id: string }> }>(COMMENT_LISTS_COLLECTION)
    .find({ _id: { $regex: `^${list}:\\d+$` } })
    .toArray();
  const seqs = pages.flatMap((page) => page.entries ?? []).map((entry) => entry.seq);
  expect(new Set(seqs).size).toBe(seqs.length);
});

test("a user's mention inbox keeps every comment filed at once, and only the newest past its size", async () => {
  const userId = new mongoose.Types.ObjectId().toHexString();
  const ids = Array.from({ length: INBOX_SIZE + 20 }, () => new mongoose.Types.ObjectId().toHexString());
  const base = Date.now();
  await concurrently(ids.length, (i) => recordMentions(ids[i], [userId], new Date(base + i)));
  const doc = await mongoose.connection.db!.collection<{ _id: string; byComment?: Record<string, Date> }>(INBOX_COLLECTION).findOne({ _id: userId });
  const filed = Object.keys(doc?.byComment ?? {});
  expect(filed).toHaveLength(INBOX_SIZE);
  expect(new Set(filed)).toEqual(new Set(ids.slice(-INBOX_SIZE)));
});
