/**
 * Tokenizer for the spam classifier. It accepts either a raw RFC 822 email (headers + body)
 * or plain text, and turns it into lowercase word tokens plus a few marker tokens
 * (`__url__`, `__money__`, ...) that carry signal the plain words lose.
 *
 * Routing headers (Received, Message-Id, list names...) are dropped on purpose: in the corpus
 * they identify the mailing list a message came from, which a model would memorise instead
 * of learning what spam reads like, and they are absent when the caller passes plain text.
 */

/** Bump when the token stream changes, so saved models trained on the old stream are rejected. */
export const TOKENIZER_VERSION = 1;

/** Upper bound on tokens per message: keeps time and memory bounded for huge inputs. */
export const DEFAULT_MAX_TOKENS = 3000;

/** Only this many characters are looked at; the regexes below are linear, but input size is not. */
const MAX_INPUT_CHARS = 200_000;

const MIN_WORD = 2;
const MAX_WORD = 24;

// "From " mbox line or a "Name: value" line at the very start means the text carries headers.
const HEADER_START = /^(?:From \S|[A-Za-z][A-Za-z0-9-]*:[ \t])/;

/** Splits an email into its Subject and body; plain text comes back as the body unchanged. */
export function splitEmail(text: string): { subject: string; contentType: string; body: string } {
  if (!HEADER_START.test(text)) return { subject: '', contentType: '', body: text };
  const match = /\r?\n[ \t]*\r?\n/.exec(text);
  const head = match ? text.slice(0, match.index) : text;
  const body = match ? text.slice(match.index + match[0].length) : '';
  // Unfold continuation lines (RFC 5322 §2.2.3) before picking fields out.
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const field = (name: string): string =>
    new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(unfolded)?.[1] ?? '';
  return { subject: field('Subject'), contentType: field('Content-Type'), body };
}

/** Undoes the transfer encodings and markup that would otherwise shred words. */
function cleanBody(body: string, out: string[]): string {
  let text = body;
  // Base64 blocks (attachments, encoded parts) are not words; drop them whole.
  text = text.replace(/^[A-Za-z0-9+/]{40,}={0,2}[ \t]*$/gm, ' ');
  // Quoted-printable: soft line breaks and =XX escapes.
  text = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
  if (/<(?:html|body|font|table|td|br|p|a|div|img)\b[^>]*>/i.test(text)) {
    out.push('__html__');
    // Keep link targets (they become __url__ tokens), drop every other tag and comment.
    text = text
      .replace(/<!--[\s\S]*?-->/g, ' ')
      .replace(/<(?:style|script)\b[\s\S]*?<\/(?:style|script)>/gi, ' ')
      .replace(/<a\b[^>]*?href\s*=\s*["']?([^"'\s>]+)[^>]*>/gi, ' $1 ')
      .replace(/<[^>]{0,2000}>/g, ' ')
      .replace(/&nbsp;/gi, ' ')
      .replace(/&amp;/gi, '&')
      .replace(/&#?\w{1,8};/g, ' ');
  }
  return text;
}

/**
 * Marker tokens matched before words. Order matters: URLs before emails before money before
 * plain numbers, and each match is blanked out so its pieces are not counted again as words.
 */
const MARKERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(?:https?:\/\/|www\.)[^\s"'<>()]+/gi, '__url__'],
  [/\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g, '__email__'],
  [/\$\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s?(?:usd|dollars)\b/gi, '__money__'],
  [/\$/g, '__dollar__'],
  [/!{2,}/g, '__bang__'],
  [/\b\d[\d,.]*\b/g, '__num__'],
];

const WORD = /[\p{L}][\p{L}\p{N}'_-]*/gu;

/**
 * Turns text into tokens: subject words, body words, and markers. Words are lowercased,
 * 2..24 characters long; a word written in capitals (e.g. "FREE") also yields `__caps__`.
 */
export function tokenize(text: string, maxTokens: number = DEFAULT_MAX_TOKENS): string[] {
  const tokens: string[] = [];
  const { subject, contentType, body } = splitEmail(text.slice(0, MAX_INPUT_CHARS));
  if (/text\/html/i.test(contentType)) tokens.push('__html__');
  let rest = `${subject}\n${cleanBody(body, tokens)}`;

  for (const [pattern, marker] of MARKERS) {
    rest = rest.replace(pattern, () => {
      if (tokens.length < maxTokens) tokens.push(marker);
      return ' ';
    });
  }
  for (const match of rest.matchAll(WORD)) {
    if (tokens.length >= maxTokens) break;
    const word = match[0].replace(/['_-]+$/, '');
    if (word.length < MIN_WORD || word.length > MAX_WORD) continue;
    const lower = word.toLowerCase();
    // Shouting is a spam tell; only count words long enough not to be acronyms.
    if (word.length >= 4 && word === word.toUpperCase() && word !== lower) tokens.push('__caps__');
    tokens.push(lower);
  }
  return tokens.slice(0, maxTokens);
}
