/**
 * /comments: the API stores a pending comment and starts its commentPosted workflow
 * (`comment-<id>`); the workers score it, publish it or mark it spam, and email mentions.
 */
import { Router } from '@koa/router';
import mongoose from 'mongoose';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Comment, COMMENT_STATUSES, commentWorkflowId, type CommentStatus } from '../../db/models/comment';
import { User } from '../../db/models/user';
import { isObjectId } from '../../domain/ids';
import { isHeaderSafe } from '../../domain/mail-safety';
import { mentionedNames } from '../../domain/mentions';
import { startCommentPosted } from '../../domain/workflow-starts';
import type { AppContext } from '../context';
import { badRequest, HttpProblem, notFound } from '../problem';
import { readBody } from './domain-input';
import { requires } from '../auth';

// Newlines and tabs are text; other control characters (NUL, escapes) are not.
const CONTROL_BUT_WHITESPACE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

const NewComment = z.strictObject({
  authorId: z.string().refine(isObjectId, 'must be a user id: 24 lowercase hex digits'),
  text: z
    .string()
    .max(5000)
    .refine((s) => s.trim().length > 0, 'must not be empty')
    .refine((s) => !CONTROL_BUT_WHITESPACE.test(s), 'must not contain control characters'),
});

type CommentRow = {
  _id: mongoose.Types.ObjectId;
  author: mongoose.Types.ObjectId;
  text: string;
  mentions: mongoose.Types.ObjectId[];
  status: string;
  spamScore?: number | null;
  workflowId: string;
  createdAt: Date;
  publishedAt?: Date | null;
  outcome?: { sent?: number | null; duplicates?: number | null; failed?: number | null } | null;
};

export function commentRoutes(app: AppContext): Router {
  const router = new Router({ prefix: '/comments' });
  const { config, client } = app;

  router.post('/', requires('write'), async (ctx) => {
    const key = ctx.get('idempotency-key');
    if (key && (key.length > 200 || !isHeaderSafe(key))) throw badRequest([{ path: 'headers.idempotency-key', message: 'must be at most 200 printable characters' }]);
    const input = await readBody(ctx, NewComment, config.api.maxBodyBytes);
    if (!(await User.exists({ _id: input.authorId }))) {
      throw new HttpProblem(422, 'Unprocessable Content', 'The author does not exist; nothing was written.', [{ path: 'authorId', message: 'no user with this id' }]);
    }
    // A name several users share mentions each of them: names are not handles.
    const names = mentionedNames(input.text);
    const mentioned = names.length ? await User.find({ nameKey: mongoose.trusted({ $in: names }) }, { _id: 1 }).lean() : [];
    const _id = new mongoose.Types.ObjectId();
    const workflowId = commentWorkflowId(_id);
    const requestKey = key ? `${input.authorId}:${key}` : randomUUID();
    let comment: CommentRow;
    let created = true;
    try {
      comment = (await Comment.create({ _id, author: input.authorId, text: input.text, mentions: mentioned.map((u) => u._id), workflowId, requestKey })).toObject() as CommentRow;
    } catch (error) {
      if ((error as { code?: number }).code !== 11000) throw error;
      // The same Idempotency-Key again: answer with the comment it created (and make sure its workflow runs).
      const existing = await Comment.findOne({ requestKey }).lean<CommentRow>();
      if (!existing) throw error;
      comment = existing;
      created = false;
    }
    try {
      await startCommentPosted(client, comment.workflowId, String(comment._id));
    } catch (error) {
      // Nothing will process it: take it back, so the client's retry starts clean.
      if (created) await Comment.deleteOne({ _id: comment._id });
      throw error;
    }
    ctx.status = 202;
    ctx.set('Location', `/comments/${comment._id}`);
    ctx.body = { ...view(comment), existing: !created, links: { self: `/comments/${comment._id}`, workflow: `/workflows/${encodeURIComponent(comment.workflowId)}` } };
  });

  router.get('/', requires('read'), async (ctx) => {
    const status = ctx.query.status;
    const limit = ctx.query.limit === undefined ? 50 : Number(ctx.query.limit);
    const issues = [];
    if (status !== undefined && !COMMENT_STATUSES.includes(status as CommentStatus)) issues.push({ path: 'query.status', message: `must be one of ${COMMENT_STATUSES.join(', ')}` });
    if (!Number.isInteger(limit) || limit < 1 || limit > 200) issues.push({ path: 'query.limit', message: 'must be an integer from 1 to 200' });
    if (issues.length) throw badRequest(issues, 'The query is not valid.');
    const filter = status === undefined ? {} : { status: status as CommentStatus };
    const rows = await Comment.find(filter).sort({ createdAt: -1 }).limit(limit).lean<CommentRow[]>();
    ctx.body = { items: rows.map(view) };
  });

  router.get('/:id', requires('read'), async (ctx) => {
    const row = isObjectId(ctx.params.id) ? await Comment.findById(ctx.params.id).lean<CommentRow>() : null;
    if (!row) throw notFound(`no comment with id ${ctx.params.id}`);
    ctx.body = view(row);
  });

  return router;
}

function view(c: CommentRow) {
  return {
    id: String(c._id),
    authorId: String(c.author),
    text: c.text,
    status: c.status,
    spamScore: c.spamScore ?? null,
    mentions: c.mentions.map(String),
    workflowId: c.workflowId,
    createdAt: c.createdAt.toISOString(),
    publishedAt: c.publishedAt ? c.publishedAt.toISOString() : null,
    emails: c.outcome ? { sent: c.outcome.sent ?? 0, duplicates: c.outcome.duplicates ?? 0, failed: c.outcome.failed ?? 0 } : null,
  };
}
