/**
 * A new comment: score it for spam; spam is marked and stops there; anything else is
 * published, every mentioned user gets one email (a settled group: one bad address does
 * not stop the others), and the outcome is recorded on the comment.
 */
import { chain, group, runCanvas, task, withConcurrency } from '../builders';

export type SpamVerdict = { spam: boolean; probability: number };
export type Deliveries = { sent: number; duplicates: number; failed: number };
export type CommentOutcome = { status: 'spam' | 'published'; probability: number; emails: Deliveries | null };

/** Mention emails in flight at once for one comment. */
const EMAIL_CONCURRENCY = 10;

export async function commentPosted(commentId: string): Promise<CommentOutcome> {
  const verdict = await runCanvas<SpamVerdict>(task('spam.detect', { commentId }), { name: 'spam' });
  if (verdict.spam) {
    await runCanvas(task('comments.markSpam', commentId), { name: 'markSpam' });
    return { status: 'spam', probability: verdict.probability, emails: null };
  }
  const published = await runCanvas<{ status: string; mentions: string[] }>(task('comments.publish', commentId), { name: 'publish' });
  // Each email step's activity id (notify.chain[0].group[i]) is part of its idempotency key.
  const emails = published.mentions.map((userId) => task('email.send', { template: 'mention', commentId, userId }));
  const record = task('comments.recordOutcome', commentId);
  const notify =
    emails.length === 0 ? task('comments.recordOutcome', [], commentId) : chain(withConcurrency(group(...emails), EMAIL_CONCURRENCY, true), record);
  const deliveries = await runCanvas<Deliveries>(notify, { name: 'notify' });
  return { status: 'published', probability: verdict.probability, emails: deliveries };
}
