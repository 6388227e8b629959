/** `@name` mentions in a comment's text. */

/** Most distinct names one comment may mention: bounds the email fan-out per comment. */
export const MAX_MENTIONS = 20;

// A mention starts a word: "@bob" but not "x@bob" (an email address).
const MENTION = /(?<![\p{L}\p{N}_.@-])@([\p{L}\p{N}_][\p{L}\p{N}_.-]{0,99})/gu;

/** The distinct lowercased names the text mentions, in order of first appearance. */
export function mentionedNames(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(MENTION)) {
    // A sentence may end right after a name: "thanks @bob." mentions bob.
    names.add(match[1].replace(/[.-]+$/, '').toLowerCase());
    if (names.size >= MAX_MENTIONS) break;
  }
  return [...names];
}
