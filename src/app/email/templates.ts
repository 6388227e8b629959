/**
 * The emails the domain sends, as plain text and HTML. Every piece of user-written text
 * (names, comment text) is escaped in the HTML part; headers are checked by mail-safety.
 */
import { escapeHtml } from './mail-safety';

export interface Rendered {
  to: string;
  toName?: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Person {
  name: string;
  email: string;
}

const EXCERPT = 500;

function excerpt(text: string): string {
  return text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text;
}

/** Subjects are one line: anything odd in a name is folded to a space rather than sent. */
function oneLine(text: string, max = 80): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').slice(0, max);
}

export function mentionEmail(input: { recipient: Person; author: Person; text: string; commentId: string }): Rendered {
  const { recipient, author, text, commentId } = input;
  const quoted = excerpt(text);
  return {
    to: recipient.email,
    toName: recipient.name,
    subject: `${oneLine(author.name)} mentioned you in a comment`,
    text: `Hi ${recipient.name},\n\n${author.name} mentioned you:\n\n${quoted}\n\n(comment ${commentId})\n`,
    html:
      `<p>Hi ${escapeHtml(recipient.name)},</p>` +
      `<p>${escapeHtml(author.name)} mentioned you:</p>` +
      `<blockquote style="white-space: pre-wrap">${escapeHtml(quoted)}</blockquote>` +
      `<p style="color:#666">comment ${escapeHtml(commentId)}</p>`,
  };
}

export interface DigestItem {
  author: string;
  text: string;
  at: Date;
}

export function digestEmail(input: { recipient: Person; items: DigestItem[]; since: Date | null; until: Date }): Rendered {
  const { recipient, items, until } = input;
  const count = `${items.length} comment${items.length === 1 ? '' : 's'}`;
  const lines = items.map((i) => `- ${i.at.toISOString()} ${i.author}: ${excerpt(i.text)}`);
  const rows = items.map(
    (i) =>
      `<li><b>${escapeHtml(i.author)}</b> <small>${i.at.toISOString()}</small><br><span style="white-space: pre-wrap">${escapeHtml(excerpt(i.text))}</span></li>`,
  );
  return {
    to: recipient.email,
    toName: recipient.name,
    subject: `Your digest: ${count} mentioned you`,
    text: `Hi ${recipient.name},\n\n${count} mentioned you up to ${until.toISOString()}:\n\n${lines.join('\n')}\n`,
    html: `<p>Hi ${escapeHtml(recipient.name)},</p><p>${count} mentioned you up to ${until.toISOString()}:</p><ul>${rows.join('')}</ul>`,
  };
}
