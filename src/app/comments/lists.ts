/**
 * Newest-first lists of comments (all, and one per status) as numbered pages of ids,
 * stored under keys (`comment_lists`, `_id` = `<list>:<page>`, and `<list>:head` holding
 * the count). Listing is then a few lookups by `_id` whatever the number of comments: the
 * embedded database cannot use the {status, createdAt} index, and sorting 100,000 comments
 * per request is what it would do instead.
 *
 * An entry is added when a comment enters a list and never removed: a comment that leaves
 * 'pending' stays in that list and readers skip it (they read each comment anyway). A
 * retried step may add an entry twice; readers skip the repeat.
 */
import mongoose from 'mongoose';

export const COMMENT_LISTS_COLLECTION = 'comment_lists';
export const LIST_PAGE_SIZE = 100;
export type CommentList = 'all' | 'pending' | 'published' | 'spam';

interface Entry {
  seq: number;
  id: string;
}

interface ListDocument {
  _id: string;
  count?: number;
  entries?: Entry[];
}

function lists() {
  const db = mongoose.connection.db;
  if (!db) throw new Error('the database is not connected');
  return db.collection<ListDocument>(COMMENT_LISTS_COLLECTION);
}

const headId = (list: CommentList) => `${list}:head`;
const pageId = (list: CommentList, page: number) => `${list}:${page}`;
const pageOf = (seq: number) => Math.floor((seq - 1) / LIST_PAGE_SIZE);

/** Adds a comment at the head of a list. */
export async function appendToList(list: CommentList, commentId: string): Promise<void> {
  const head = await lists().findOneAndUpdate({ _id: headId(list) }, { $inc: { count: 1 } }, { upsert: true, returnDocument: 'after' });
  const seq = head?.count ?? 1;
  await lists().updateOne({ _id: pageId(list, pageOf(seq)) }, { $push: { entries: { seq, id: commentId } } }, { upsert: true });
}

/** Files a new comment at the head of 'all' and 'pending' (twice is harmless: readers skip repeats). */
export async function listNewComment(commentId: string): Promise<void> {
  await appendToList('all', commentId);
  await appendToList('pending', commentId);
}

/** The documents of a list holding `ids` in this order (oldest first): what a bulk loader writes. */
export function listDocuments(list: CommentList, ids: string[]): ListDocument[] {
  const pages = new Map<number, Entry[]>();
  ids.forEach((id, i) => {
    const seq = i + 1;
    const page = pages.get(pageOf(seq)) ?? [];
    page.push({ seq, id });
    pages.set(pageOf(seq), page);
  });
  return [{ _id: headId(list), count: ids.length }, ...[...pages].map(([page, entries]) => ({ _id: pageId(list, page), entries }))];
}

/**
 * Entries of a list older than `before` (a position; undefined: from the newest), newest
 * first, passed to `accept` until it has taken `limit` or `maxEntries` were examined.
 * Returns the position to continue from, or null at the list's start.
 */
export async function walkList(
  list: CommentList,
  before: number | undefined,
  limit: number,
  accept: (ids: string[]) => Promise<number>,
  maxEntries = 20 * LIST_PAGE_SIZE,
): Promise<number | null> {
  // A position past the head (a cursor the API never issued) starts at the head: each page
  // below is one read, so starting at 10^20 would read pages for ever.
  const head = ((await lists().findOne({ _id: headId(list) }))?.count ?? 0) + 1;
  let from = before === undefined ? head : Math.min(before, head);
  let taken = 0;
  let examined = 0;
  const seen = new Set<string>();
  while (from > 1 && taken < limit && examined < maxEntries) {
    const page = await lists().findOne({ _id: pageId(list, pageOf(from - 1)) });
    const entries = (page?.entries ?? []).filter((e) => e.seq < from).sort((a, b) => b.seq - a.seq);
    if (entries.length === 0) {
      from = pageOf(from - 1) * LIST_PAGE_SIZE + 1; // an empty page: skip to the one before
      examined += LIST_PAGE_SIZE; // and count it, so a walk over empty pages is bounded too
      continue;
    }
    // Ask for as many as are still missing, in one batch (the reader fetches them in parallel).
    const fresh = entries.filter((e) => !seen.has(e.id));
    const batch = fresh.slice(0, Math.min(limit - taken, maxEntries - examined));
    for (const e of batch) seen.add(e.id);
    examined += Math.max(batch.length, 1);
    from = (batch.length ? batch : entries)[(batch.length ? batch : entries).length - 1].seq;
    if (batch.length) taken += await accept(batch.map((e) => e.id));
  }
  return from > 1 ? from : null;
}
