/** The domain's models, and index creation at process start (autoIndex is not relied on). */
import { Comment } from './comments/model';
import { EmailLog } from './email/model';
import { User } from './users/model';
import mongoose from 'mongoose';
import { CHUNKS_COLLECTION, FILES_COLLECTION } from './avatars/store';
import { COMMENT_LISTS_COLLECTION } from './comments/lists';
import { INBOX_COLLECTION } from './comments/mention-inbox';
import { USER_NAMES_COLLECTION } from './users/names';

const KEYED_COLLECTIONS = [FILES_COLLECTION, CHUNKS_COLLECTION, COMMENT_LISTS_COLLECTION, INBOX_COLLECTION, USER_NAMES_COLLECTION];

export { Comment, COMMENT_STATUSES, commentWorkflowId, type CommentStatus, type CommentDocument } from './comments/model';
export { EmailLog, type EmailState } from './email/model';
export { User, nameKeyOf, type UserDocument } from './users/model';

let ready: Promise<void> | undefined;

/** The collections read only by `_id` (keyed shapes of the domain's queries), created up front. */
async function ensureKeyedCollections(): Promise<void> {
  const db = mongoose.connection.db;
  if (!db) throw new Error('the database is not connected');
  const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  for (const name of KEYED_COLLECTIONS) if (!existing.has(name)) await db.createCollection(name).catch(() => undefined);
}

/**
 * Creates every index the schemas declare (and so the collections); call after connecting.
 * Memoized, but forgotten after a failure so that a database that was down at start is
 * tried again on the next call instead of failing every call after.
 */
export function initModels(): Promise<void> {
  ready ??= Promise.all([User.createIndexes(), Comment.createIndexes(), EmailLog.createIndexes(), ensureKeyedCollections()]).then(
    () => undefined,
    (error: unknown) => {
      ready = undefined;
      throw error;
    },
  );
  return ready;
}
