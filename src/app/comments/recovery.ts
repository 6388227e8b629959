/**
 * Accepted work that a crash or an outage cut off: a comment is stored before its workflow
 * starts, so an API killed between the two, or a request that failed there (the database
 * stopped answering after the write was sent, Temporal unreachable and the take-back
 * failing too), leaves it pending with no run and perhaps out of its lists. On every API
 * start, and SWEEP_DELAY_MS after a POST /comments that failed, the pending comments older
 * than SETTLE_MS get their run (the id is derived from the comment, so a run that exists is
 * found, not doubled) and their place in the lists.
 */
import type { Client } from '@temporalio/client';
import mongoose from 'mongoose';
import { Comment } from '../models';
import { logger } from '../../logging';
import { startCommentPosted } from '../starts';
import { listNewComment } from './lists';

/** Comments younger than this may still be mid-request in another API process. */
const SETTLE_MS = 30_000;
const BATCH = 1000;
/** After a failed request: once what it stored has settled. */
export const SWEEP_DELAY_MS = SETTLE_MS + 5000;

export async function resumePendingComments(client: Client, settleMs = SETTLE_MS): Promise<{ resumed: number; running: number }> {
  const before = new Date(Date.now() - settleMs);
  const pending = await Comment.find({ status: 'pending', createdAt: mongoose.trusted({ $lt: before }) }, { _id: 1, workflowId: 1 })
    .sort({ createdAt: 1 })
    .limit(BATCH)
    .lean();
  let resumed = 0;
  for (const comment of pending) {
    const started = await startCommentPosted(client, comment.workflowId, String(comment._id));
    if (started.existing) continue;
    // Its request died before the run, perhaps before the lists too (readers skip repeats).
    await listNewComment(String(comment._id));
    resumed++;
  }
  if (resumed) logger().warn({ resumed, pending: pending.length }, 'started the runs of comments a crash or an outage had left without one');
  return { resumed, running: pending.length - resumed };
}

let sweep: NodeJS.Timeout | undefined;

/**
 * Runs resumePendingComments once, `delayMs` from now (one sweep pending at a time, however
 * many requests failed); a sweep that fails (the database still away) is scheduled again.
 */
export function sweepPendingCommentsSoon(client: Client, delayMs = SWEEP_DELAY_MS): void {
  if (sweep) return;
  sweep = setTimeout(() => {
    resumePendingComments(client).then(
      () => (sweep = undefined),
      (error: unknown) => {
        sweep = undefined;
        logger().warn({ err: error }, 'could not sweep pending comments yet; trying again');
        sweepPendingCommentsSoon(client, delayMs);
      },
    );
  }, delayMs);
  sweep.unref();
}
