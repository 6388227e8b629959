/**
 * (e) Spam scoring: messages of the SpamAssassin corpus scored through the ml pool, one
 * message per task (spam.detect over a map) and 100 per task (spam.detectBatch), against
 * the classifier called directly in this process (model.predict, model.predictBatch).
 * The direct throughput is always measured; the pool's only when the tasks exist.
 */
import { loadCorpus } from '../../src/spam/dataset';
import type { SpamModel } from '../../src/spam/model';
import { splitEmail } from '../../src/spam/tokenize';
import { defaultModelPath, loadOrTrainModel } from '../../src/spam/train';
import { getTask } from '../../src/tasks/registry';
import type { BenchContext } from '../context';
import { closedLoop } from '../load';
import { ScenarioBuilder, type ScenarioResult } from '../report';
import { interleave, Series, type Step } from '../rounds';
import { ratios } from '../stats';

const BATCH = 100;
/** Characters of body kept per message: a comment-sized text, and 100 of them fit one request. */
const BODY_CHARS = 2000;

export async function spam(ctx: BenchContext): Promise<ScenarioResult> {
  const { rounds, onePerTask, batched } = ctx.plan.e;
  const total = Math.max(onePerTask, batched);
  const out = new ScenarioBuilder(
    'e',
    `spam: ${onePerTask.toLocaleString('en-US')} messages one per task and ${batched.toLocaleString('en-US')} ${BATCH} per task through the ml pool, vs the classifier in this process`,
  );
  const messages = loadCorpus()
    .slice(0, total)
    .map((email) => {
      const { subject, body } = splitEmail(email.text);
      return `Subject: ${subject}\n\n${body.slice(0, BODY_CHARS)}`;
    });
  const model: SpamModel = await loadOrTrainModel(defaultModelPath());
  const hasTasks = Boolean(getTask('spam.detect') && getTask('spam.detectBatch'));
  /** This round's share of `n` messages, in chunks of BATCH (one canvas or one task each). */
  const chunksOf = (round: number, n: number): string[][] => {
    const perRound = Math.ceil(n / rounds);
    const slice = messages.slice(round * perRound, Math.min(n, (round + 1) * perRound));
    return Array.from({ length: Math.ceil(slice.length / BATCH) }, (_, i) => slice.slice(i * BATCH, (i + 1) * BATCH));
  };
  const single = Math.ceil(onePerTask / rounds);
  const inBatches = Math.ceil(batched / rounds);
  const s = { direct: new Series(), directBatch: new Series(), pool: new Series(), poolBatch: new Series() };
  let mismatches = 0;
  const done = { single: 0, batched: 0 };
  const rate = (n: number, ms: number) => (n / ms) * 1000;

  const steps: Step[] = [
    {
      name: `predict ×${single}`,
      run: async (round) => {
        const batch = chunksOf(round, onePerTask).flat();
        const started = performance.now();
        for (const text of batch) model.predict(text);
        s.direct.push(rate(batch.length, performance.now() - started));
      },
    },
    {
      name: `predictBatch ×${inBatches / BATCH}`,
      run: async (round) => {
        const chunks = chunksOf(round, batched);
        const started = performance.now();
        for (const chunk of chunks) model.predictBatch(chunk);
        s.directBatch.push(rate(chunks.flat().length, performance.now() - started));
      },
    },
  ];
  if (hasTasks) {
    const check = (texts: string[], verdicts: unknown) => {
      const list = verdicts as Array<{ probability: number }>;
      texts.forEach((text, i) => {
        if (Math.abs(model.predict(text).probability - (list[i]?.probability ?? Number.NaN)) > 1e-9) mismatches++;
      });
    };
    steps.push(
      {
        name: `ml pool, 1 per task ×${single}`,
        run: async (round) => {
          const chunks = chunksOf(round, onePerTask);
          const results: unknown[] = [];
          // One canvas already keeps the pool's 2 slots busy (its 100 tasks are all scheduled); 2 overlap the gaps.
          const r = await closedLoop({ concurrency: 2, count: chunks.length }, async (i) => {
            results[i] = await ctx.api.run({ canvas: { map: { task: 'spam.detect', items: chunks[i].map((text) => ({ text })) } } });
          });
          if (r.errors) throw new Error(`spam.detect: ${r.errors} canvases failed, e.g. ${r.errorSamples[0]}`);
          s.pool.push(rate(r.completed * BATCH, r.elapsedMs));
          chunks.forEach((chunk, i) => results[i] !== undefined && check(chunk, results[i]));
          done.single += r.completed * BATCH;
        },
      },
      {
        name: `ml pool, ${BATCH} per task ×${inBatches / BATCH}`,
        run: async (round) => {
          const chunks = chunksOf(round, batched);
          const results: unknown[] = [];
          const r = await closedLoop({ concurrency: 4, count: chunks.length }, async (i) => {
            results[i] = await ctx.api.run({ canvas: { task: 'spam.detectBatch', args: [chunks[i]] } });
          });
          if (r.errors) throw new Error(`spam.detectBatch: ${r.errors} canvases failed, e.g. ${r.errorSamples[0]}`);
          s.poolBatch.push(rate(r.completed * BATCH, r.elapsedMs));
          chunks.forEach((chunk, i) => results[i] !== undefined && check(chunk, results[i]));
          done.batched += r.completed * BATCH;
        },
      },
    );
  }
  if (hasTasks) {
    // Warm-up: the first tasks of each kind on the ml pool.
    const few = messages.slice(0, 10);
    await ctx.api.run({ canvas: { map: { task: 'spam.detect', items: few.map((text) => ({ text })) } } });
    await ctx.api.run({ canvas: { task: 'spam.detectBatch', args: [few] } });
  }
  await interleave(rounds, steps, ctx.log);

  if (hasTasks) {
    out.add('ml pool ÷ direct, 1 message per task', '×', ratios(s.pool.values, s.direct.values), true);
    out.add(`ml pool ÷ direct, ${BATCH} messages per task`, '×', ratios(s.poolBatch.values, s.directBatch.values), true);
    out.add(`ml pool, ${BATCH} per task ÷ 1 per task`, '×', ratios(s.poolBatch.values, s.pool.values));
    out.add('ml pool, 1 per task (spam.detect)', 'messages/s', s.pool.values);
    out.add(`ml pool, ${BATCH} per task (spam.detectBatch)`, 'messages/s', s.poolBatch.values);
    out.note(
      `${mismatches === 0 ? 'every' : `${mismatches} of the`} pool verdict${mismatches === 0 ? ' matched' : 's differed from'} the direct classifier's probability.`,
    );
    out.note(`pool runs: canvases of ${BATCH} messages through the API: a map of spam.detect, 2 at a time; one spam.detectBatch each, 4 at a time.`);
    out.ran('messages one per task through the ml pool', done.single, onePerTask);
    out.ran(`messages ${BATCH} per task through the ml pool`, done.batched, batched);
  } else {
    out.note('ml pool: skipped: spam.detect / spam.detectBatch are not in src/tasks/registry.ts');
  }
  out.add('direct model.predict', 'messages/s', s.direct.values);
  out.add(`direct model.predictBatch (${BATCH} a call)`, 'messages/s', s.directBatch.values);
  out.note(
    `messages: the first ${total.toLocaleString('en-US')} of the corpus, as "Subject: …" plus the first ${BODY_CHARS} characters of the body; ` +
      `direct predict runs over the same messages as one-per-task, predictBatch over the same as the batches.`,
  );
  return out.done();
}
