/**
 * Multinomial naive Bayes spam classifier with Laplace smoothing, computed in log space.
 *
 * Counts (not probabilities) are what gets trained and serialized: the per-token weights are
 * derived from them deterministically, so a model read back from JSON predicts bit-for-bit the
 * same as the one that wrote it.
 */
import { DEFAULT_MAX_TOKENS, TOKENIZER_VERSION, tokenize } from './tokenize';

export interface Sample {
  text: string;
  spam: boolean;
}

export interface Prediction {
  spam: boolean;
  /** Probability that the text is spam, in [0, 1]. */
  probability: number;
}

export interface TrainOptions {
  /** Laplace (add-alpha) smoothing. */
  alpha: number;
  /** Tokens seen in fewer training documents than this are dropped (noise, and model size). */
  minDocFreq: number;
  /** Count each token once per document ("binarized" NB): long repetitive mails don't dominate. */
  binary: boolean;
  /** Token cap per document, passed to the tokenizer. */
  maxTokens: number;
}

export const DEFAULT_TRAIN_OPTIONS: Readonly<TrainOptions> = {
  alpha: 1,
  minDocFreq: 2,
  binary: true,
  maxTokens: DEFAULT_MAX_TOKENS,
};

export const MODEL_FORMAT = 'orchestra.spam.naive-bayes';
export const MODEL_VERSION = 1;

/** The on-disk shape. Parallel arrays keep the file compact compared with one object per token. */
export interface SpamModelJSON {
  format: typeof MODEL_FORMAT;
  version: typeof MODEL_VERSION;
  tokenizerVersion: number;
  options: TrainOptions;
  /** Training documents per class. */
  docs: { ham: number; spam: number };
  vocabulary: string[];
  hamCounts: number[];
  spamCounts: number[];
}

/** Index 0 = ham, 1 = spam. */
type Counts = [number, number];

export class SpamModel {
  private readonly weights = new Map<string, number>();
  private readonly bias: number;

  private constructor(
    private readonly options: TrainOptions,
    private readonly docs: { ham: number; spam: number },
    private readonly counts: ReadonlyMap<string, Counts>,
  ) {
    // Log prior odds plus, per token, log P(token|spam) - log P(token|ham). Unknown tokens
    // contribute nothing, which is the usual treatment for words outside the vocabulary.
    const { alpha } = options;
    const totals: Counts = [0, 0];
    for (const c of counts.values()) {
      totals[0] += c[0];
      totals[1] += c[1];
    }
    const size = counts.size;
    const hamDenominator = Math.log(totals[0] + alpha * size);
    const spamDenominator = Math.log(totals[1] + alpha * size);
    for (const [token, [ham, spam]] of counts) {
      const weight = Math.log(spam + alpha) - spamDenominator - (Math.log(ham + alpha) - hamDenominator);
      this.weights.set(token, weight);
    }
    // +1 smoothing on the prior too, so a one-class training set still gives finite scores.
    this.bias = Math.log(docs.spam + 1) - Math.log(docs.ham + 1);
  }

  /** Trains a model from labelled samples. */
  static train(samples: readonly Sample[], options: Partial<TrainOptions> = {}): SpamModel {
    const opts: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...options };
    const raw = new Map<string, Counts>();
    const docFreq = new Map<string, number>();
    const docs = { ham: 0, spam: 0 };
    for (const sample of samples) {
      const label = sample.spam ? 1 : 0;
      if (sample.spam) docs.spam++;
      else docs.ham++;
      const tokens = tokenize(sample.text, opts.maxTokens);
      for (const token of new Set(tokens)) docFreq.set(token, (docFreq.get(token) ?? 0) + 1);
      for (const token of opts.binary ? new Set(tokens) : tokens) {
        let c = raw.get(token);
        if (!c) raw.set(token, (c = [0, 0]));
        c[label]++;
      }
    }
    // Sorted vocabulary: deterministic JSON regardless of Map insertion order.
    const counts = new Map<string, Counts>();
    for (const token of [...raw.keys()].sort()) {
      if ((docFreq.get(token) ?? 0) >= opts.minDocFreq) counts.set(token, raw.get(token) as Counts);
    }
    return new SpamModel(opts, docs, counts);
  }

  /** Log-odds of spam: positive means spam is more likely. */
  score(text: string): number {
    const tokens = tokenize(text, this.options.maxTokens);
    let score = this.bias;
    for (const token of this.options.binary ? new Set(tokens) : tokens) {
      score += this.weights.get(token) ?? 0;
    }
    return score;
  }

  predict(text: string): Prediction {
    const score = this.score(text);
    return { spam: score > 0, probability: sigmoid(score) };
  }

  predictBatch(texts: readonly string[]): Prediction[] {
    return texts.map((text) => this.predict(text));
  }

  get vocabularySize(): number {
    return this.counts.size;
  }

  toJSON(): SpamModelJSON {
    const vocabulary = [...this.counts.keys()];
    return {
      format: MODEL_FORMAT,
      version: MODEL_VERSION,
      tokenizerVersion: TOKENIZER_VERSION,
      options: { ...this.options },
      docs: { ...this.docs },
      vocabulary,
      hamCounts: vocabulary.map((t) => (this.counts.get(t) as Counts)[0]),
      spamCounts: vocabulary.map((t) => (this.counts.get(t) as Counts)[1]),
    };
  }

  /** Rebuilds a model from `toJSON()` output (or its parsed file); throws on anything else. */
  static fromJSON(value: unknown): SpamModel {
    const json = value as Partial<SpamModelJSON> | null;
    const fail = (why: string): never => {
      throw new Error(`invalid spam model: ${why}`);
    };
    if (typeof json !== 'object' || json === null) return fail('not an object');
    if (json.format !== MODEL_FORMAT) return fail(`format is not ${MODEL_FORMAT}`);
    if (json.version !== MODEL_VERSION) return fail(`unsupported version ${String(json.version)}`);
    if (json.tokenizerVersion !== TOKENIZER_VERSION) return fail('trained with another tokenizer version');
    const { options, docs, vocabulary, hamCounts, spamCounts } = json;
    const isCount = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 0;
    if (
      !options ||
      !(options.alpha > 0) ||
      !isCount(options.minDocFreq) ||
      typeof options.binary !== 'boolean' ||
      !(isCount(options.maxTokens) && options.maxTokens > 0)
    ) {
      return fail('bad options');
    }
    if (!docs || !isCount(docs.ham) || !isCount(docs.spam)) return fail('bad document counts');
    if (!Array.isArray(vocabulary) || !Array.isArray(hamCounts) || !Array.isArray(spamCounts)) {
      return fail('missing vocabulary arrays');
    }
    if (hamCounts.length !== vocabulary.length || spamCounts.length !== vocabulary.length) {
      return fail('vocabulary arrays differ in length');
    }
    const counts = new Map<string, Counts>();
    for (let i = 0; i < vocabulary.length; i++) {
      const token = vocabulary[i];
      if (typeof token !== 'string' || !isCount(hamCounts[i]) || !isCount(spamCounts[i])) {
        return fail(`bad entry at ${i}`);
      }
      counts.set(token, [hamCounts[i], spamCounts[i]]);
    }
    const { alpha, minDocFreq, binary, maxTokens } = options;
    return new SpamModel({ alpha, minDocFreq, binary, maxTokens }, { ham: docs.ham, spam: docs.spam }, counts);
  }
}

/** Trains a model; shorthand for `SpamModel.train`. */
export function train(samples: readonly Sample[], options: Partial<TrainOptions> = {}): SpamModel {
  return SpamModel.train(samples, options);
}

/** Logistic function written so that exp() never overflows for large |x|. */
function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
