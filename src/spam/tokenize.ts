/**
 * Tokenizer for the spam classifier. It accepts either a raw RFC 822 email (headers + body)
 * or plain text, and turns it into lowercase word tokens plus a few marker tokens
 * (`__url__`, `__money__`, ...) that carry signal the plain words lose.
 *
 * Routing headers (Received, Message-Id, list names...) are dropped on purpose: in the corpus
 * they identify the mailing list a message came from, which a model would memorise instead
 * of learning what spam reads like, and they are absent when the caller passes plain text.
 */

/**
 * Bump when the token stream changes, so saved models trained on the old stream are rejected
 * (the ml pool then retrains at start). 2: linear-time scanning, input capped at MAX_INPUT_CHARS.
 */
export const TOKENIZER_VERSION = 2;

/** Upper bound on tokens per message: keeps time and memory bounded for huge inputs. */
export const DEFAULT_MAX_TOKENS = 3000;

/**
 * Only the first 100,000 characters of a text are classified (the rest is ignored): every
 * step below is linear, but a spam.detect input has no size limit of its own. 99% of the
 * training corpus is under 34,000 characters.
 */
export const MAX_INPUT_CHARS = 100_000;

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
  const field = (name: string): string => new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(unfolded)?.[1] ?? '';
  return { subject: field('Subject'), contentType: field('Content-Type'), body };
}

/**
 * An HTML tag name that marks a body as HTML. Tested as "such a tag start, then a '>' somewhere
 * after it": equivalent to /<name\b[^>]*>/ but linear (that pattern rescans the rest of the
 * text from every '<a' when no '>' follows).
 */
const HTML_TAG_START = /<(?:html|body|font|table|td|br|p|a|div|img)\b/i;

function looksLikeHtml(text: string): boolean {
  const start = HTML_TAG_START.exec(text);
  return start !== null && text.indexOf('>', start.index) >= 0;
}

/** Undoes the transfer encodings and markup that would otherwise shred words. */
function cleanBody(body: string, out: string[]): string {
  let text = body;
  // Base64 blocks (attachments, encoded parts) are not words; drop them whole.
  text = text.replace(/^[A-Za-z0-9+/]{40,}={0,2}[ \t]*$/gm, ' ');
  // Quoted-printable: soft line breaks and =XX escapes.
  text = text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  if (looksLikeHtml(text)) {
    out.push('__html__');
    text = stripMarkup(text)
      .replace(/&nbsp;/gi, ' ')
      .replace(/&amp;/gi, '&')
      .replace(/&#?\w{1,8};/g, ' ');
  }
  return text;
}

/** Tags longer than this are left as text (a stray '<' in prose is not a tag). */
const MAX_TAG_CHARS = 2000;

/**
 * Removes comments, <style>/<script> blocks and tags in one left-to-right pass, keeping each
 * link's target as text (it becomes a __url__ token). A hand-written scan rather than
 * regexes: /<!--[\s\S]*?-->/ and friends rescan to the end of the text from every opener
 * that has no closer, which is quadratic; here each closer is searched for at most once past
 * any position (see NextMatch).
 */
function stripMarkup(html: string): string {
  const commentEnd = new NextMatch(html, /-->/g);
  const blockEnd = new NextMatch(html, /<\/(?:style|script)>/gi);
  const tagEnd = new NextMatch(html, />/g);
  const parts: string[] = [];
  let copied = 0;
  let lt = html.indexOf('<');
  while (lt >= 0) {
    let end = -1;
    let replacement = ' ';
    if (html.startsWith('<!--', lt)) end = commentEnd.after(lt + 4);
    if (end < 0 && startsAt(BLOCK_START, html, lt)) end = blockEnd.after(lt + 1);
    if (end < 0) {
      const gt = tagEnd.after(lt + 1) - 1; // the index of the '>', or -2
      const href = gt >= 0 && startsAt(LINK_START, html, lt) ? HREF.exec(html.slice(lt, gt)) : null;
      if (href) replacement = ` ${href[1]} `;
      if (href || (gt >= 0 && gt - lt - 1 <= MAX_TAG_CHARS)) end = gt + 1;
    }
    if (end >= 0) {
      parts.push(html.slice(copied, lt), replacement);
      copied = end;
    }
    lt = html.indexOf('<', Math.max(lt + 1, copied));
  }
  parts.push(html.slice(copied));
  return parts.join('');
}

const BLOCK_START = /<(?:style|script)\b/iy;
const LINK_START = /<a\b/iy;
const HREF = /href\s*=\s*["']?([^"'\s>]+)/i;

/** Whether a sticky pattern matches exactly at `index`. */
function startsAt(pattern: RegExp, text: string, index: number): boolean {
  pattern.lastIndex = index;
  return pattern.test(text);
}

/**
 * The end of the first match of a global pattern at or after a position, for positions that
 * only increase: a found match is reused until the scan passes it, and once none is found none
 * is searched for again, so the text is searched through once in all.
 */
class NextMatch {
  private start = -1;
  private end = -1;
  private exhausted = false;

  constructor(
    private readonly text: string,
    private readonly pattern: RegExp,
  ) {}

  /** The index just past the first match starting at or after `index`, or -1 if none. */
  after(index: number): number {
    if (this.exhausted) return -1;
    if (this.start >= index) return this.end;
    this.pattern.lastIndex = index;
    const match = this.pattern.exec(this.text);
    if (!match) {
      this.exhausted = true;
      return -1;
    }
    this.start = match.index;
    this.end = match.index + match[0].length;
    return this.end;
  }
}

/**
 * Marker tokens matched before words. Order matters: URLs before emails before money before
 * plain numbers, and each match is blanked out so its pieces are not counted again as words.
 */
const MARKERS: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(?:https?:\/\/|www\.)[^\s"'<>()]+/gi, '__url__'],
  // Starts only where a run of address characters starts: from any later start in the same run
  // the match would end at the same '@' or not at all, and trying each one is quadratic.
  [/(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b/g, '__email__'],
  // The same for "1,000 usd": only the first digit of a run of digits and commas starts a match.
  [/\$\s?\d[\d,]*(?:\.\d+)?|\b(?<!\d,*)\d[\d,]*(?:\.\d+)?\s?(?:usd|dollars)\b/gi, '__money__'],
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
    const word = trimTrailingPunctuation(match[0]);
    if (word.length < MIN_WORD || word.length > MAX_WORD) continue;
    const lower = word.toLowerCase();
    // Shouting is a spam tell; only count words long enough not to be acronyms.
    if (word.length >= 4 && word === word.toUpperCase() && word !== lower) tokens.push('__caps__');
    tokens.push(lower);
  }
  return tokens.slice(0, maxTokens);
}

/** Drops trailing ' _ - from a word; a loop, since /['_-]+$/ is quadratic on "a----…--b". */
function trimTrailingPunctuation(word: string): string {
  let end = word.length;
  while (end > 0 && "'_-".includes(word[end - 1]!)) end--;
  return word.slice(0, end);
}
