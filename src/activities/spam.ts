/** Spam scoring on the ml pool: the model is loaded once per process, at pool start. */
import mongoose from 'mongoose';
import { loadConfig } from '../config';
import { Comment } from '../app/comments/model';
import { ErrorType, permanentFailure } from '../errors';
import type { SpamModel } from '../spam/model';
import { loadOrTrainModel } from '../spam/train';

export interface SpamVerdict {
  spam: boolean;
  probability: number;
}

let model: Promise<SpamModel> | undefined;

/** Loads (or trains and saves) the model; the ml pool awaits this before it polls. */
export function loadSpamModel(path = loadConfig().domain.spam.modelPath): Promise<SpamModel> {
  model ??= loadOrTrainModel(path);
  return model;
}

function verdict(m: SpamModel, text: string, threshold: number): SpamVerdict {
  const { probability } = m.predict(text);
  return { spam: probability >= threshold, probability };
}

export async function detect(input: { commentId: string } | { text: string }): Promise<SpamVerdict> {
  const m = await loadSpamModel();
  const { threshold } = loadConfig().domain.spam;
  if ('text' in input) return verdict(m, input.text, threshold);
  const comment = await Comment.findById(input.commentId, { text: 1 }).lean();
  if (!comment) throw permanentFailure(ErrorType.NotFound, `no comment ${input.commentId}`);
  const result = verdict(m, comment.text, threshold);
  await Comment.updateOne({ _id: new mongoose.Types.ObjectId(input.commentId) }, { $set: { spamScore: result.probability } });
  return result;
}

/** Many texts in one activity: one task's overhead instead of one per text. */
export async function detectBatch(texts: string[]): Promise<SpamVerdict[]> {
  const m = await loadSpamModel();
  const { threshold } = loadConfig().domain.spam;
  return texts.map((text) => verdict(m, text, threshold));
}
