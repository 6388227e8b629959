/**
 * Exactly-once bookkeeping for outgoing email, around an SMTP server that cannot be asked
 * "did you get this?". Each logical message has a key; before sending, an attempt reserves
 * the key's row ('sending', with a lease and a token); after the server's 250 it marks the
 * row 'sent'. A later attempt that finds:
 *   - 'sent'     sends nothing and reports a duplicate;
 *   - 'failed'   fails the same permanent way again;
 *   - 'sending' with a live lease: another attempt may be mid-send, so it backs off
 *     (a retryable EmailInFlightError) rather than risk a second copy;
 *   - 'sending' with an expired lease: the holder died (a kill -9, a lost worker) at an
 *     unknown point, so it takes the row over and sends again, with the SAME Message-ID.
 *     A live holder renews its lease with every heartbeat, so only a dead one loses it.
 * The choice in that last case is at-least-once: a message lost to a crash is worse than
 * the rare duplicate, and the duplicate is the same Message-ID, which mail clients collapse.
 * A duplicate needs a crash between the server's 250 and the 'sent' update (one database
 * write); a crash anywhere before the message is handed over costs nothing. Failures the
 * server answered (4xx) or connections that never opened release the lease at once, since
 * nothing was delivered.
 */
import mongoose from 'mongoose';
import { createHash, randomUUID } from 'node:crypto';
import { EmailLog } from '../db/models/email-log';

export interface Envelope {
  to: string;
  subject: string;
  meta?: Record<string, unknown>;
}

export type Reservation =
  | { kind: 'reserved'; token: string; messageId: string; attempts: number }
  | { kind: 'sent'; messageId: string }
  | { kind: 'failed'; messageId: string; error: string }
  | { kind: 'busy'; leaseUntil: Date };

/** The Message-ID of a key: stable across attempts, so a resend is recognisably the same mail. */
export function messageIdFor(key: string, domain: string): string {
  return `<${createHash('sha256').update(key).digest('hex').slice(0, 40)}@${domain}>`;
}

function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: number }).code === 11000;
}

export async function reserve(key: string, envelope: Envelope, domain: string, leaseMs: number): Promise<Reservation> {
  const token = randomUUID();
  const messageId = messageIdFor(key, domain);
  const leaseUntil = new Date(Date.now() + leaseMs);
  try {
    await EmailLog.create({ key, state: 'sending', messageId, to: envelope.to, subject: envelope.subject, token, leaseUntil, attempts: 1, meta: envelope.meta });
    return { kind: 'reserved', token, messageId, attempts: 1 };
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
  // The row exists: take it over only if its holder's lease has run out (one winner).
  const taken = await EmailLog.findOneAndUpdate(
    { key, state: 'sending', leaseUntil: mongoose.trusted({ $lt: new Date() }) },
    { $set: { token, leaseUntil }, $inc: { attempts: 1 } },
    { returnDocument: 'after' },
  ).lean();
  if (taken) return { kind: 'reserved', token, messageId: taken.messageId, attempts: taken.attempts };
  const row = await EmailLog.findOne({ key }).lean();
  if (!row) return reserve(key, envelope, domain, leaseMs); // deleted meanwhile: start over
  if (row.state === 'sent') return { kind: 'sent', messageId: row.messageId };
  if (row.state === 'failed') return { kind: 'failed', messageId: row.messageId, error: row.lastError ?? 'failed' };
  return { kind: 'busy', leaseUntil: row.leaseUntil };
}

/** Keeps the reservation while its holder is alive (called with each heartbeat). */
export async function renew(key: string, token: string, leaseMs: number): Promise<void> {
  await EmailLog.updateOne({ key, token, state: 'sending' }, { $set: { leaseUntil: new Date(Date.now() + leaseMs) } });
}

/** Only the reservation's holder marks it sent: a takeover since means it lost the row. */
export async function markSent(key: string, token: string): Promise<boolean> {
  const result = await EmailLog.updateOne({ key, token }, { $set: { state: 'sent', sentAt: new Date() }, $unset: { lastError: 1 } });
  return result.matchedCount === 1;
}

/** Nothing was delivered (the server said no, or never answered): the next attempt may go at once. */
export async function release(key: string, token: string, error: string): Promise<void> {
  await EmailLog.updateOne({ key, token, state: 'sending' }, { $set: { leaseUntil: new Date(0), lastError: error } });
}

/** Delivery can never succeed (5xx, bad address): later attempts fail the same way. */
export async function markFailed(key: string, token: string, error: string): Promise<void> {
  await EmailLog.updateOne({ key, token }, { $set: { state: 'failed', lastError: error } });
}

/** The unknown case (the connection broke mid-transaction): keep the lease, note why. */
export async function noteError(key: string, token: string, error: string): Promise<void> {
  await EmailLog.updateOne({ key, token }, { $set: { lastError: error } });
}

export async function findByKey(key: string) {
  return EmailLog.findOne({ key }).lean();
}
