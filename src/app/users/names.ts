/**
 * `@name` → the users of that name, keyed by the normalized name (`user_names`, `_id` =
 * nameKey). Resolving a mention is then one lookup by `_id` per name, the query the
 * embedded database answers from an index; `users.nameKey` cannot be searched there
 * without reading every user.
 */
import mongoose from 'mongoose';

export const USER_NAMES_COLLECTION = 'user_names';

interface NameDocument {
  _id: string;
  users: mongoose.Types.ObjectId[];
}

function names() {
  const db = mongoose.connection.db;
  if (!db) throw new Error('the database is not connected');
  return db.collection<NameDocument>(USER_NAMES_COLLECTION);
}

/** Adds a user under its name key (idempotent). */
export async function addUserName(nameKey: string, userId: mongoose.Types.ObjectId): Promise<void> {
  await names().updateOne({ _id: nameKey }, { $addToSet: { users: userId } }, { upsert: true });
}

/**
 * The users the names mention, in the order of the names, without `exclude` (the author),
 * at most `max` of them: a name many users share mails only as many as the bound allows.
 */
export async function resolveMentions(nameKeys: string[], exclude: string, max: number): Promise<mongoose.Types.ObjectId[]> {
  const found = new Map<string, mongoose.Types.ObjectId>();
  for (const key of nameKeys) {
    if (found.size >= max) break;
    const doc = await names().findOne({ _id: key });
    for (const id of doc?.users ?? []) {
      if (found.size >= max) break;
      if (String(id) !== exclude) found.set(String(id), id);
    }
  }
  return [...found.values()];
}
