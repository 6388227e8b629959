/**
 * Accepted work that a crash cut off: a comment is stored before its workflow starts, so
 * an API killed between the two leaves it pending with no run. On every API start the
 * pending comments get their run (the id is derived from the comment, so a run that
 * exists is found, not doubled).
 */
import type { Client } from '@temporalio/client';
import mongoose from 'mongoose';
import { Comment } from '../models';
import { logger } from '../../logging';
import { startCommentPosted } from '../starts';

/** Comments younger than this may still be mid-request in another API process. */
const SETTLE_MS = 30_000;
const BATCH = 1000;

export async function resumePendingComments(client: Client, settleMs = SETTLE_MS): Promise<{ resumed: number; running: number }> {
  const before = new Date(Date.now() - settleMs);
  const pending = await Comment.find({ status: 'pending', createdAt: mongoose.trusted({ $lt: before }) }, { _id: 1, workflowId: 1 })
    .sort({ createdAt: 1 })
    .limit(BATCH)
    .lean();
  let resumed = 0;
  for (const comment of pending) {
    const started = await startCommentPosted(client, comment.workflowId, String(comment._id));
    if (!started.existing) resumed++;
  }
  if (resumed) logger().warn({ resumed, pending: pending.length }, 'started the runs of comments a crash had left without one');
  return { resumed, running: pending.length - resumed };
}
