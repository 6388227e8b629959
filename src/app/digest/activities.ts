/** The digest workflow's database steps on the default pool: who is due, a page at a time, and moving lastDigestAt. */
import mongoose from 'mongoose';
import { Comment } from '../comments/model';
import { EmailLog } from '../email/model';
import { User } from '../users/model';
import type { DigestPageInput, EmailResult } from '../../tasks/inputs';
import { ErrorType, permanentFailure } from '../../workflows/errors';

const oid = (id: string) => new mongoose.Types.ObjectId(id);

/** Users with published mentions after their last digest, and the period's end (now). */
export async function planDigest(): Promise<{ until: string; users: Array<{ userId: string; since: string | null }> }> {
  const until = new Date();
  const mentioned: mongoose.Types.ObjectId[] = await Comment.distinct('mentions', { status: 'published', publishedAt: mongoose.trusted({ $lte: until }) });
  const users = await User.find({ _id: mongoose.trusted({ $in: mentioned }) }, { lastDigestAt: 1 })
    .sort({ _id: 1 })
    .lean();
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
export async function planDigestPage({
  after,
  until,
  limit,
}: DigestPageInput): Promise<{ users: Array<{ userId: string; since: string | null }>; next: string | null }> {
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
