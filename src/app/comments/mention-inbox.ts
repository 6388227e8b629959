/**
 * Each user's recent mentions, keyed by the user's id: the digest reads one document per
 * user instead of searching every comment for the user's id (a scan of the whole comments
 * collection on the embedded database, which cannot use the `mentions` index).
 */
import mongoose from 'mongoose';
import { Comment } from './model';
import { User } from '../users/model';

export const INBOX_COLLECTION = 'mention_inbox';
/** Mentions kept per user; a digest lists at most this many. */
export const INBOX_SIZE = 100;

export interface InboxItem {
  commentId: string;
  at: Date;
}

/**
 * `byComment` maps a comment's id to when it mentioned the user: one `$set` a mention, so
 * two comments filed at once both stay (a read followed by a replace lost one), and a
 * retried step sets the same field again. `items` is the earlier shape, still read.
 */
interface InboxDocument {
  _id: string;
  byComment?: Record<string, Date>;
  items?: InboxItem[];
}

function inbox() {
  const db = mongoose.connection.db;
  if (!db) throw new Error('the database is not connected');
  return db.collection<InboxDocument>(INBOX_COLLECTION);
}

function itemsOf(doc: InboxDocument | null): InboxItem[] {
  const filed = Object.entries(doc?.byComment ?? {}).map(([commentId, at]) => ({ commentId, at }));
  const known = new Set(filed.map((item) => item.commentId));
  return [...(doc?.items ?? []).filter((item) => !known.has(item.commentId)), ...filed];
}

/**
 * Files a published comment in each mentioned user's inbox and moves their lastMentionedAt
 * (what the digest plan reads). Past INBOX_SIZE the oldest are dropped, each by its own
 * field, so a concurrent filing is never dropped with them.
 */
export async function recordMentions(commentId: string, userIds: string[], at: Date): Promise<void> {
  for (const userId of userIds) {
    await inbox().updateOne({ _id: userId }, { $set: { [`byComment.${commentId}`]: at } }, { upsert: true });
    await trimInbox(userId);
    await User.updateOne({ _id: new mongoose.Types.ObjectId(userId) }, { $max: { lastMentionedAt: at } });
  }
}

async function trimInbox(userId: string): Promise<void> {
  const doc = await inbox().findOne({ _id: userId });
  const items = itemsOf(doc);
  if (items.length <= INBOX_SIZE && !doc?.items) return;
  const keep = items.sort((a, b) => a.at.getTime() - b.at.getTime()).slice(-INBOX_SIZE);
  const kept = new Set(keep.map((item) => item.commentId));
  const dropped = Object.keys(doc?.byComment ?? {}).filter((id) => !kept.has(id));
  // The earlier shape's items move into byComment once; setting a field a concurrent filing also set is harmless.
  const moved = Object.fromEntries((doc?.items ?? []).filter((item) => kept.has(item.commentId)).map((item) => [`byComment.${item.commentId}`, item.at]));
  const unset = Object.fromEntries([...dropped.map((id) => [`byComment.${id}`, '']), ...(doc?.items ? [['items', '']] : [])]);
  await inbox().updateOne({ _id: userId }, { ...(Object.keys(moved).length ? { $set: moved } : {}), $unset: unset });
}

/** The published comments that mentioned the user in (since, until], oldest first, with their authors' names. */
export async function mentionsOf(userId: string, since: Date | null, until: Date): Promise<Array<{ author: string; text: string; at: Date }>> {
  const doc = await inbox().findOne({ _id: userId });
  const inWindow = itemsOf(doc)
    .filter((item) => item.at <= until && (!since || item.at > since))
    .sort((a, b) => a.at.getTime() - b.at.getTime());
  const items: Array<{ author: string; text: string; at: Date }> = [];
  const names = new Map<string, string>();
  for (const item of inWindow) {
    const comment = await Comment.findById(item.commentId, { author: 1, text: 1, status: 1 }).lean();
    if (!comment || comment.status !== 'published') continue;
    const authorId = String(comment.author);
    if (!names.has(authorId)) names.set(authorId, (await User.findById(authorId, { name: 1 }).lean())?.name ?? 'someone');
    items.push({ author: names.get(authorId)!, text: comment.text, at: item.at });
  }
  return items;
}
