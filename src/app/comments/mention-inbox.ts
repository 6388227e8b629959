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

interface InboxDocument {
  _id: string;
  items: InboxItem[];
}

function inbox() {
  const db = mongoose.connection.db;
  if (!db) throw new Error('the database is not connected');
  return db.collection<InboxDocument>(INBOX_COLLECTION);
}

/**
 * Files a published comment in each mentioned user's inbox and moves their lastMentionedAt
 * (what the digest plan reads). A retried step files it again only if it is not there.
 */
export async function recordMentions(commentId: string, userIds: string[], at: Date): Promise<void> {
  for (const userId of userIds) {
    const current = await inbox().findOne({ _id: userId });
    if (!current?.items.some((item) => item.commentId === commentId)) {
      const items = [...(current?.items ?? []), { commentId, at }].slice(-INBOX_SIZE);
      await inbox().replaceOne({ _id: userId }, { items }, { upsert: true });
    }
    await User.updateOne({ _id: new mongoose.Types.ObjectId(userId) }, { $max: { lastMentionedAt: at } });
  }
}

/** The published comments that mentioned the user in (since, until], oldest first, with their authors' names. */
export async function mentionsOf(userId: string, since: Date | null, until: Date): Promise<Array<{ author: string; text: string; at: Date }>> {
  const doc = await inbox().findOne({ _id: userId });
  const inWindow = (doc?.items ?? []).filter((item) => item.at <= until && (!since || item.at > since)).sort((a, b) => a.at.getTime() - b.at.getTime());
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
