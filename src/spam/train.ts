/**
 * Trains the spam model on the fixed split of the SpamAssassin corpus, reports held-out
 * metrics, and writes the model file.
 *
 *   npx tsx src/spam/train.ts        # writes $SPAM_MODEL_PATH or data/models/spam-model.json
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from '../config';
import { DEFAULT_SEED, DEFAULT_TEST_FRACTION, loadCorpus, splitTrainTest } from './dataset';
import { computeMetrics, type Metrics } from './evaluation';
import { SpamModel, type TrainOptions } from './model';

export interface TrainReport {
  model: SpamModel;
  /** Scores on the held-out part of the split. */
  metrics: Metrics;
  trainSize: number;
  testSize: number;
  trainMs: number;
}

/** Where the model file lives: `SPAM_MODEL_PATH`, else `<project>/data/models/spam-model.json`. */
export function defaultModelPath(): string {
  const fromEnv = process.env.SPAM_MODEL_PATH;
  return path.resolve(fromEnv ? fromEnv : path.join(projectRoot, 'data', 'models', 'spam-model.json'));
}

/** Trains on the seeded split's training part and scores the held-out part. */
export function trainAndEvaluate(options: { seed?: number; testFraction?: number; train?: Partial<TrainOptions> } = {}): TrainReport {
  const { train, test } = splitTrainTest(loadCorpus(), options.seed ?? DEFAULT_SEED, options.testFraction ?? DEFAULT_TEST_FRACTION);
  const started = performance.now();
  const model = SpamModel.train(train, options.train);
  const trainMs = performance.now() - started;
  const predicted = model.predictBatch(test.map((s) => s.text)).map((p) => p.spam);
  const metrics = computeMetrics(
    test.map((s) => s.spam),
    predicted,
  );
  return { model, metrics, trainSize: train.length, testSize: test.length, trainMs };
}

/** Writes via a temporary file and rename, so a concurrent reader never sees half a model. */
export async function saveModel(model: SpamModel, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await writeFile(tmp, JSON.stringify(model.toJSON()));
  await rename(tmp, file);
}

/** Reads a model file; undefined when it is missing, unreadable, or not a valid current model. */
export async function loadModel(file: string): Promise<SpamModel | undefined> {
  try {
    return SpamModel.fromJSON(JSON.parse(await readFile(file, 'utf8')));
  } catch {
    return undefined;
  }
}

/**
 * For worker start-up: use the model file if it is present and valid, otherwise train one
 * (a couple of seconds) and write it for the next start.
 */
export async function loadOrTrainModel(file: string = defaultModelPath()): Promise<SpamModel> {
  const existing = await loadModel(file);
  if (existing) return existing;
  const { model } = trainAndEvaluate();
  await saveModel(model, file);
  return model;
}

async function main(): Promise<void> {
  const report = trainAndEvaluate();
  const file = defaultModelPath();
  await saveModel(report.model, file);
  const { metrics: m } = report;
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  console.log(`trained on ${report.trainSize} emails in ${report.trainMs.toFixed(0)} ms`);
  console.log(`vocabulary: ${report.model.vocabularySize} tokens`);
  console.log(`held-out (${report.testSize} emails):`);
  console.log(`  accuracy  ${pct(m.accuracy)}`);
  console.log(`  precision ${pct(m.precision)}`);
  console.log(`  recall    ${pct(m.recall)}`);
  console.log(`  f1        ${pct(m.f1)}`);
  console.log(`  confusion tp=${m.truePositives} fp=${m.falsePositives} tn=${m.trueNegatives} fn=${m.falseNegatives}`);
  console.log(`model written to ${file}`);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
