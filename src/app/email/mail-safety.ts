/**
 * What may go into an email's headers. Checked at the API edge and again just before
 * sending, because header injection (a CR/LF in a name or subject) turns one message
 * into whatever the attacker writes.
 */

/**
 * A deliberately plain address shape: local@domain.tld with no spaces, quotes, angle
 * brackets, commas or control characters. Stricter than RFC 5322, which is the point.
 */
export const EMAIL_PATTERN =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Control characters, including CR and LF, plus the Unicode line and paragraph separators. */
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/;

export function isEmailAddress(value: string): boolean {
  return value.length <= 254 && EMAIL_PATTERN.test(value);
}

/** True when the text can sit in a header (a display name, a subject) as it is. */
export function isHeaderSafe(value: string): boolean {
  return !CONTROL.test(value);
}

/** Why a message's headers are unsafe, or undefined when they are fine. */
export function headerProblem(message: { to: string; toName?: string; subject: string }): string | undefined {
  if (!isEmailAddress(message.to)) return `recipient ${JSON.stringify(message.to.slice(0, 100))} is not an email address`;
  if (message.toName !== undefined && !isHeaderSafe(message.toName)) return 'recipient name contains control characters (CR/LF)';
  if (!isHeaderSafe(message.subject)) return 'subject contains control characters (CR/LF)';
  if (message.subject.length > 200) return 'subject is longer than 200 characters';
  return undefined;
}

/** Escapes text for an HTML body: user-written text never becomes markup. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
