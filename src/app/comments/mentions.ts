/** `@name` mentions in a comment's text. */

// A mention starts a word: "@bob" but not "x@bob" (an email address).
const MENTION = /(?<![\p{L}\p{N}_.@-])@([\p{L}\p{N}_][\p{L}\p{N}_.-]{0,99})/gu;

/**
 * The distinct lowercased names the text mentions, in order of first appearance. Not
 * bounded here: the email fan-out is bounded per comment in recipients (MENTION_MAX_RECIPIENTS),
 * since one name may stand for many users.
 */
export function mentionedNames(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(MENTION)) {
    // A sentence may end right after a name: "thanks @bob." mentions bob.
    names.add(match[1].replace(/[.-]+$/, '').toLowerCase());
  }
  return [...names];
}
