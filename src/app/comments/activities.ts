/** Small database steps of the domain workflows, on the default pool. */
import mongoose from 'mongoose';
import { Comment, type CommentStatus } from './model';
import { EmailLog } from '../email/model';
import { User } from '../users/model';
import { deleteFiles, findFile, uploadFiles } from '../avatars/store';
import { appendToList } from './lists';
import { recordMentions } from './mention-inbox';
import type { DigestPageInput, EmailResult, ThumbnailResult } from '../task-inputs';
import { ErrorType, permanentFailure } from '../../errors';

const oid = (id: string) => new mongoose.Types.ObjectId(id);

/**
 * pending → `to`; a comment already there stays (a retried step); any other state is an
 * error. Read and written by `_id` alone: on the embedded database any other filter reads
 * every comment. Only the comment's own workflow moves it, one step at a time, so the
 * read-then-write has no competing writer.
 */
async function transition(commentId: string, to: CommentStatus, extra: Record<string, unknown> = {}) {
  const comment = await Comment.findById(commentId).lean();
  if (!comment) throw permanentFailure(ErrorType.NotFound, `no comment ${commentId}`);
  if (comment.status === to) return { comment, moved: false };
  if (comment.status !== 'pending') throw permanentFailure(ErrorType.InvalidArguments, `comment ${commentId} is ${comment.status}; cannot mark it ${to}`);
  const updated = await Comment.findOneAndUpdate({ _id: oid(commentId) }, { $set: { status: to, ...extra } }, { returnDocument: 'after' }).lean();
  if (!updated) throw permanentFailure(ErrorType.NotFound, `no comment ${commentId}`);
  return { comment: updated, moved: true };
}

export async function publishComment(commentId: string): Promise<{ status: CommentStatus; mentions: string[] }> {
  const { comment } = await transition(commentId, 'published', { publishedAt: new Date() });
  const author = String(comment.author);
  // Sorted: the email group's member order (and so each step's id and idempotency key) is stable.
  const mentions = [...new Set(comment.mentions.map(String))].filter((id) => id !== author).sort();
  // A retry after a crash here finds the comment published and files it again (readers skip repeats).
  await appendToList('published', commentId);
  await recordMentions(commentId, mentions, comment.publishedAt ?? new Date());
  return { status: comment.status, mentions };
}

export async function markSpam(commentId: string): Promise<{ status: CommentStatus }> {
  const { comment } = await transition(commentId, 'spam');
  await appendToList('spam', commentId);
  return { status: comment.status };
}

export async function recordOutcome(deliveries: Array<{ ok: boolean; value?: unknown }>, commentId: string): Promise<{ sent: number; duplicates: number; failed: number }> {
  const sent = deliveries.filter((d) => d.ok && (d.value as EmailResult | undefined)?.status === 'sent').length;
  const duplicates = deliveries.filter((d) => d.ok && (d.value as EmailResult | undefined)?.status === 'duplicate').length;
  const outcome = { sent, duplicates, failed: deliveries.length - sent - duplicates };
  await Comment.updateOne({ _id: oid(commentId) }, { $set: { outcome: { ...outcome, recordedAt: new Date() } } });
  return outcome;
}

/**
 * Points the user at this upload unless a newer upload got there first (workflows can
 * finish out of order), then deletes whichever files lost: the replaced avatar's, or
 * this upload's own when it was too late.
 */
export async function setAvatar(thumbnails: ThumbnailResult[], userId: string, originalId: string): Promise<{ applied: boolean }> {
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
export async function discardUpload(userId: string, originalId: string): Promise<{ deleted: number }> {
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

/** Users with published mentions after their last digest, and the period's end (now). */
export async function planDigest(): Promise<{ until: string; users: Array<{ userId: string; since: string | null }> }> {
  const until = new Date();
  const mentioned: mongoose.Types.ObjectId[] = await Comment.distinct('mentions', { status: 'published', publishedAt: mongoose.trusted({ $lte: until }) });
  const users = await User.find({ _id: mongoose.trusted({ $in: mentioned }) }, { lastDigestAt: 1 }).sort({ _id: 1 }).lean();
  const due: Array<{ userId: string; since: string | null }> = [];
  for (const user of users) {
    const since = user.lastDigestAt ?? null;
    const window = since ? { $gt: since, $lte: until } : { $lte: until };
    const any = await Comment.exists({ mentions: user._id, status: 'published', publishedAt: mongoose.trusted(window) });
    if (any) due.push({ userId: String(user._id), since: since ? since.toISOString() : null });
  }
  return { until: until.toISOString(), users: due };
}

/**
 * One page of the digest plan: up to `limit` users after `after` in id order, of whom those
 * mentioned (lastMentionedAt, kept by publishComment) since their last digest are due.
 * `next` is where the following page starts, null after the last user. Pages keep the
 * workflow's history small whatever the number of users.
 */
export async function planDigestPage({ after, until, limit }: DigestPageInput): Promise<{ users: Array<{ userId: string; since: string | null }>; next: string | null }> {
  const end = new Date(until);
  const filter = after ? { _id: mongoose.trusted({ $gt: oid(after) }) } : {};
  const page = await User.find(filter, { lastDigestAt: 1, lastMentionedAt: 1 }).sort({ _id: 1 }).limit(limit).lean();
  const users = page
    .filter((u) => u.lastMentionedAt && (!u.lastDigestAt || (u.lastMentionedAt > u.lastDigestAt && u.lastDigestAt < end)))
    .map((u) => ({ userId: String(u._id), since: u.lastDigestAt ? u.lastDigestAt.toISOString() : null }));
  return { users, next: page.length === limit ? String(page[page.length - 1]._id) : null };
}

/**
 * Moves lastDigestAt to the end of the period the digest actually covered, read from the
 * email log (a duplicate send reports the earlier period, not the one asked for now), and
 * only from the period's start: a replayed step cannot move it twice or backwards.
 */
export async function markDigested(sent: EmailResult, userId: string): Promise<{ lastDigestAt: string | null; advanced: boolean }> {
  const row = await EmailLog.findById(sent.key).lean();
  const meta = row?.meta as { since?: string | null; until?: string } | undefined;
  if (!row || row.state !== 'sent' || !meta?.until) throw permanentFailure(ErrorType.NotFound, `no sent digest under ${sent.key}`);
  // Checked on the row, written by `_id` alone (cheap on the embedded database); only this
  // user's digest step moves lastDigestAt, so nothing writes between the two.
  const user = await User.findById(userId, { lastDigestAt: 1 }).lean();
  if (!user) throw permanentFailure(ErrorType.NotFound, `no user ${userId}`);
  const current = user.lastDigestAt?.toISOString() ?? null;
  const fromStart = meta.since ? current === new Date(meta.since).toISOString() : current === null;
  if (!fromStart) return { lastDigestAt: current, advanced: false };
  await User.updateOne({ _id: oid(userId) }, { $set: { lastDigestAt: new Date(meta.until) } });
  return { lastDigestAt: new Date(meta.until).toISOString(), advanced: true };
}
