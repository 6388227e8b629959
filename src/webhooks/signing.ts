/**
 * How a webhook is signed (README, "Completion webhooks"), Stripe's scheme:
 * `Orchestra-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The
 * timestamp inside the signature lets a receiver refuse an old request replayed at it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Orchestra-Signature';

export function signatureOf(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The Orchestra-Signature header's value for a body sent at `timestamp` (unix seconds). */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${signatureOf(secret, timestamp, body)}`;
}

/** What a receiver does: whether the header signs this body with this secret (within `toleranceSeconds` of now). */
export function verifySignature(secret: string, header: string, body: string, toleranceSeconds = 300, now = Date.now()): boolean {
  const fields = new Map(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = Number(fields.get('t'));
  const given = Buffer.from(fields.get('v1') ?? '', 'hex');
  if (!Number.isInteger(timestamp) || Math.abs(now / 1000 - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(signatureOf(secret, timestamp, body), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * An API key's signing secret, derived from the server's WEBHOOK_SIGNING_SECRET: the API
 * answers it to the key (GET /webhooks/signing-secret) and the delivering worker derives
 * the same, so no secret travels in a run's history unless the request gave its own.
 */
export function keySigningSecret(serverSecret: string, keyId: string): string {
  return `whsec_${createHmac('sha256', serverSecret).update(`orchestra-webhook-key:${keyId}`).digest('base64url')}`;
}
