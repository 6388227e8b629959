/** Spam scoring on the ml pool: the model is loaded once per process (the pool awaits it before it polls). */
import mongoose from 'mongoose';
import { Comment } from '../app/comments/model';
import { ErrorType, permanentFailure } from '../workflows/errors';
import type { SpamModel } from '../spam/model';
import { loadOrTrainModel } from '../spam/train';

export interface SpamVerdict {
  spam: boolean;
  probability: number;
}

/** What the spam steps need: the model (loaded on first use, then shared) and the threshold. */
export interface SpamDeps {
  model: () => Promise<SpamModel>;
  threshold: number;
}

/** Loads (or trains and saves) the model at `path` on the first call; later calls share it. */
export function spamModelLoader(path: string): () => Promise<SpamModel> {
  let model: Promise<SpamModel> | undefined;
  return () => (model ??= loadOrTrainModel(path));
}

function verdict(m: SpamModel, text: string, threshold: number): SpamVerdict {
  const { probability } = m.predict(text);
  return { spam: probability >= threshold, probability };
}

async function detect({ model, threshold }: SpamDeps, input: { commentId: string } | { text: string }): Promise<SpamVerdict> {
  const m = await model();
  if ('text' in input) return verdict(m, input.text, threshold);
  const comment = await Comment.findById(input.commentId, { text: 1 }).lean();
  if (!comment) throw permanentFailure(ErrorType.NotFound, `no comment ${input.commentId}`);
  const result = verdict(m, comment.text, threshold);
  await Comment.updateOne({ _id: new mongoose.Types.ObjectId(input.commentId) }, { $set: { spamScore: result.probability } });
  return result;
}

/** Many texts in one activity: one task's overhead instead of one per text. */
async function detectBatch({ model, threshold }: SpamDeps, texts: string[]): Promise<SpamVerdict[]> {
  const m = await model();
  return texts.map((text) => verdict(m, text, threshold));
}

/** spam.detect and spam.detectBatch bound to the model and threshold. */
export function spamActivities(deps: SpamDeps) {
  return {
    detect: (input: { commentId: string } | { text: string }) => detect(deps, input),
    detectBatch: (texts: string[]) => detectBatch(deps, texts),
  };
}
