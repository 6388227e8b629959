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
import { createHash, randomUUID } from 'node:crypto';
import { EmailLog } from './model';

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

/*
 * Every read and write names the row by `_id` (= key) alone, the one filter the embedded
 * database answers from an index; conditions such as "only the holder" are checked on the
 * row read, and a takeover is confirmed by reading the row back (last writer wins). Two
 * attempts racing for the same expired lease within one round trip could both send: the
 * same at-least-once case as a crash, with the same Message-ID.
 */
const row = (key: string) => EmailLog.findById(key).lean();

export async function reserve(key: string, envelope: Envelope, domain: string, leaseMs: number): Promise<Reservation> {
  const token = randomUUID();
  const messageId = messageIdFor(key, domain);
  const leaseUntil = new Date(Date.now() + leaseMs);
  try {
    await EmailLog.create({
      _id: key,
      key,
      state: 'sending',
      messageId,
      to: envelope.to,
      subject: envelope.subject,
      token,
      leaseUntil,
      attempts: 1,
      meta: envelope.meta,
    });
    return { kind: 'reserved', token, messageId, attempts: 1 };
  } catch (error) {
    if (!isDuplicateKey(error)) throw error;
  }
  // The row exists: take it over only if its holder's lease has run out.
  const found = await row(key);
  if (!found) return reserve(key, envelope, domain, leaseMs); // deleted meanwhile: start over
  if (found.state === 'sent') return { kind: 'sent', messageId: found.messageId };
  if (found.state === 'failed') return { kind: 'failed', messageId: found.messageId, error: found.lastError ?? 'failed' };
  if (found.leaseUntil >= new Date()) return { kind: 'busy', leaseUntil: found.leaseUntil };
  await EmailLog.updateOne({ _id: key }, { $set: { token, leaseUntil }, $inc: { attempts: 1 } });
  const taken = await row(key);
  if (taken?.token === token) return { kind: 'reserved', token, messageId: taken.messageId, attempts: taken.attempts };
  return { kind: 'busy', leaseUntil: taken?.leaseUntil ?? leaseUntil };
}

/** Runs `write` on the row only while `token` still holds it; says whether it did. */
async function asHolder(key: string, token: string, write: () => Promise<unknown>, sendingOnly = false): Promise<boolean> {
  const found = await row(key);
  if (!found || found.token !== token || (sendingOnly && found.state !== 'sending')) return false;
  await write();
  return true;
}

/** Keeps the reservation while its holder is alive (called with each heartbeat). */
export async function renew(key: string, token: string, leaseMs: number): Promise<void> {
  await asHolder(key, token, () => EmailLog.updateOne({ _id: key }, { $set: { leaseUntil: new Date(Date.now() + leaseMs) } }), true);
}

/** Only the reservation's holder marks it sent: a takeover since means it lost the row. */
export async function markSent(key: string, token: string): Promise<boolean> {
  return asHolder(key, token, () => EmailLog.updateOne({ _id: key }, { $set: { state: 'sent', sentAt: new Date() }, $unset: { lastError: 1 } }));
}

/** Nothing was delivered (the server said no, or never answered): the next attempt may go at once. */
export async function release(key: string, token: string, error: string): Promise<void> {
  await asHolder(key, token, () => EmailLog.updateOne({ _id: key }, { $set: { leaseUntil: new Date(0), lastError: error } }), true);
}

/** Delivery can never succeed (5xx, bad address): later attempts fail the same way. */
export async function markFailed(key: string, token: string, error: string): Promise<void> {
  await asHolder(key, token, () => EmailLog.updateOne({ _id: key }, { $set: { state: 'failed', lastError: error } }));
}

/** The unknown case (the connection broke mid-transaction): keep the lease, note why. */
export async function noteError(key: string, token: string, error: string): Promise<void> {
  await asHolder(key, token, () => EmailLog.updateOne({ _id: key }, { $set: { lastError: error } }));
}
