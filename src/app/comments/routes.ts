/**
 * /comments: the API stores a pending comment and starts its commentPosted workflow
 * (`comment-<id>`); the workers score it, publish it or mark it spam, and email mentions.
 */
import { Router } from '@koa/router';
import mongoose from 'mongoose';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Comment, COMMENT_STATUSES, commentWorkflowId } from './model';
import { User } from '../users/model';
import { isObjectId } from '../ids';
import { isHeaderSafe } from '../email/mail-safety';
import { listNewComment, walkList } from './lists';
import { sweepPendingCommentsSoon } from './recovery';
import { mentionedNames } from './mentions';
import { resolveMentions } from '../users/names';
import { startCommentPosted, type Started } from '../starts';
import type { HttpContext } from '../../http/context';
import { badRequest, HttpProblem, notFound } from '../../http/problem';
import { readBody } from '../http-input';
import { requires } from '../../http/auth';
import { readQuery } from '../../http/query';
import { json, problem, type RouteDoc } from '../../http/route-docs';

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

const ListQuery = z.object({
  status: z.enum(COMMENT_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.coerce.number().int().min(1).optional().meta({ description: 'nextCursor of the previous page.' }),
});
const COMMENT = {
  json: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      authorId: { type: 'string' },
      text: { type: 'string' },
      status: { enum: [...COMMENT_STATUSES] },
      spamScore: { type: ['number', 'null'] },
      mentions: { type: 'array', items: { type: 'string' } },
      workflowId: { type: 'string' },
      createdAt: { type: 'string' },
      publishedAt: { type: ['string', 'null'] },
      emails: { type: ['object', 'null'] },
    },
  },
};

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

export function commentRoutes(app: HttpContext): Router {
  const router = new Router({ prefix: '/comments' });
  const { config, client } = app;

  const postDoc: RouteDoc = {
    summary: 'Post a comment: stored pending, then its commentPosted workflow screens it for spam, publishes it and emails mentions',
    headers: { 'Idempotency-Key': { description: 'The same key (per author) answers with the comment it created.' } },
    body: NewComment,
    responses: {
      202: json(COMMENT, 'Accepted (existing: true for a repeated Idempotency-Key).'),
      400: problem('Invalid; paths say where.'),
      422: problem('The author does not exist.'),
    },
  };
  router.post('/', requires('write', postDoc), async (ctx) => {
    const key = ctx.get('idempotency-key');
    if (key && (key.length > 200 || !isHeaderSafe(key)))
      throw badRequest([{ path: 'headers.idempotency-key', message: 'must be at most 200 printable characters' }]);
    const input = await readBody(ctx, NewComment, config.api.maxBodyBytes);
    let posted: { comment: CommentRow; created: boolean };
    try {
      posted = await postComment(app, input, key);
    } catch (error) {
      // A database that stopped answering may still apply what this request had sent: a
      // sweep gives any comment left without its run one once the database answers (./recovery).
      if (!(error instanceof HttpProblem)) sweepPendingCommentsSoon(client);
      throw error;
    }
    const { comment, created } = posted;
    ctx.status = 202;
    ctx.set('Location', `/comments/${comment._id}`);
    ctx.body = {
      ...view(comment),
      existing: !created,
      links: { self: `/comments/${comment._id}`, workflow: `/workflows/${encodeURIComponent(comment.workflowId)}` },
    };
  });

  router.get(
    '/',
    requires('read', {
      summary: 'Comments, newest first',
      query: ListQuery,
      responses: {
        200: json(
          { json: { type: 'object', properties: { items: { type: 'array', items: COMMENT.json }, nextCursor: { type: ['string', 'null'] } } } },
          'A page.',
        ),
        400: problem('Invalid query.'),
      },
    }),
    async (ctx) => {
      const { status, limit, cursor } = readQuery(ctx, ListQuery);
      // Newest first, from the keyed list of the status (see comment-lists.ts); a comment
      // that has left the status since it was listed is skipped.
      const items: CommentRow[] = [];
      const next = await walkList(status ?? 'all', cursor, limit, async (ids) => {
        const rows = await Promise.all(ids.map((id) => Comment.findById(id).lean<CommentRow>()));
        const wanted = rows.filter((row): row is CommentRow => row !== null && (status === undefined || row.status === status));
        items.push(...wanted);
        return wanted.length;
      });
      ctx.body = { items: items.map(view), nextCursor: next === null ? null : String(next) };
    },
  );

  router.get(
    '/:id',
    requires('read', {
      summary: 'A comment: status, spam score, mentions, emails sent',
      responses: { 200: json(COMMENT, 'The comment.'), 404: problem('Unknown id.') },
    }),
    async (ctx) => {
      const row = isObjectId(ctx.params.id) ? await Comment.findById(ctx.params.id).lean<CommentRow>() : null;
      if (!row) throw notFound(`no comment with id ${ctx.params.id}`);
      ctx.body = view(row);
    },
  );

  return router;
}

/** Stores the comment (or finds the one its Idempotency-Key made), files it in its lists, and starts its run. */
async function postComment(
  { config, client }: HttpContext,
  input: z.infer<typeof NewComment>,
  key: string,
): Promise<{ comment: CommentRow; created: boolean }> {
  if (!(await User.exists({ _id: input.authorId }))) {
    throw new HttpProblem(422, 'Unprocessable Content', 'The author does not exist; nothing was written.', [
      { path: 'authorId', message: 'no user with this id' },
    ]);
  }
  // A name several users share mentions each of them (names are not handles), up to
  // MENTION_MAX_RECIPIENTS people per comment in all, the author never among them.
  const mentioned = await resolveMentions(mentionedNames(input.text), input.authorId, config.domain.mentions.maxRecipients);
  const _id = new mongoose.Types.ObjectId();
  const workflowId = commentWorkflowId(_id);
  const requestKey = key ? `${input.authorId}:${key}` : randomUUID();
  let comment: CommentRow;
  let created = true;
  try {
    comment = (await Comment.create({ _id, author: input.authorId, text: input.text, mentions: mentioned, workflowId, requestKey })).toObject() as CommentRow;
    await listNewComment(String(_id));
  } catch (error) {
    if ((error as { code?: number }).code !== 11000) throw error;
    // The same Idempotency-Key again: answer with the comment it created (and make sure its workflow runs).
    const existing = await Comment.findOne({ requestKey }).lean<CommentRow>();
    if (!existing) throw error;
    comment = existing;
    created = false;
  }
  let started: Started;
  try {
    started = await startCommentPosted(client, comment.workflowId, String(comment._id));
  } catch (error) {
    // Nothing will process it: take it back, so the client's retry starts clean.
    if (created) await Comment.deleteOne({ _id: comment._id });
    throw error;
  }
  // A repeat that found its comment without a run: the first request failed between the
  // two, perhaps before the lists too (readers skip a repeated entry).
  if (!created && !started.existing) await listNewComment(String(comment._id));
  return { comment, created };
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
