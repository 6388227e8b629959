/** The comment workflow's database steps on the default pool: publish, mark as spam, record the mail outcome. */
import mongoose from 'mongoose';
import { Comment, type CommentStatus } from './model';
import { appendToList } from './lists';
import { recordMentions } from './mention-inbox';
import type { EmailResult } from '../../tasks/inputs';
import { ErrorType, permanentFailure } from '../../workflows/errors';

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

export async function recordOutcome(
  deliveries: Array<{ ok: boolean; value?: unknown }>,
  commentId: string,
): Promise<{ sent: number; duplicates: number; failed: number }> {
  const sent = deliveries.filter((d) => d.ok && (d.value as EmailResult | undefined)?.status === 'sent').length;
  const duplicates = deliveries.filter((d) => d.ok && (d.value as EmailResult | undefined)?.status === 'duplicate').length;
  const outcome = { sent, duplicates, failed: deliveries.length - sent - duplicates };
  await Comment.updateOne({ _id: oid(commentId) }, { $set: { outcome: { ...outcome, recordedAt: new Date() } } });
  return outcome;
}
