/**
 * email.send on the email pool: renders the message (templates load their data by id),
 * reserves it in the email log, hands it to a pooled SMTP transport, marks it sent.
 * ./ledger.ts explains how a retried or re-executed step sends nothing twice.
 */
import { Context } from '@temporalio/activity';
import nodemailer, { type Transporter } from 'nodemailer';
import type { DomainConfig } from '../../config';
import { Comment } from '../comments/model';
import { User } from '../users/model';
import * as ledger from './ledger';
import { digestEmail, mentionEmail, type Rendered } from './templates';
import { mentionsOf } from '../comments/mention-inbox';
import { headerProblem } from './mail-safety';
import type { EmailMessage, EmailResult } from '../../tasks/inputs';
import { ErrorType, permanentFailure, transientFailure } from '../../workflows/errors';

/** What email.send needs: the sender settings and one pooled SMTP transport per process. */
export interface EmailDeps {
  settings: DomainConfig['email'];
  transport: Transporter;
}

/** A pooled transport to SMTP_URL: connections are reused across sends; close() at shutdown. */
export function createEmailTransport(smtpUrl: string): Transporter {
  const url = new URL(smtpUrl);
  return nodemailer.createTransport({
    pool: true,
    maxConnections: 5,
    host: url.hostname,
    port: Number(url.port || (url.protocol === 'smtps:' ? 465 : 587)),
    secure: url.protocol === 'smtps:',
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
    // Bounded waits: a hung server fails the attempt (and the retry policy takes over)
    // instead of holding it past the email log's lease. Idle pooled sockets close too.
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 15_000,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
}

function fromDomain(from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from;
  return address.split('@')[1] ?? 'orchestra.local';
}

async function send({ settings: config, transport }: EmailDeps, message: EmailMessage, idempotencyKey?: string): Promise<EmailResult> {
  const ctx = Context.current();
  const { workflowExecution, activityId } = ctx.info;
  if (!idempotencyKey && !workflowExecution) throw permanentFailure(ErrorType.InvalidArguments, 'email.send outside a workflow needs an idempotencyKey');
  const key = idempotencyKey ?? `${workflowExecution!.workflowId}/${activityId}`;
  const { rendered, meta } = await render(message);
  const problem = headerProblem(rendered);
  if (problem) throw permanentFailure(ErrorType.InvalidEmail, problem);

  const from = config.from;
  const reservation = await ledger.reserve(key, { to: rendered.to, subject: rendered.subject, meta }, fromDomain(from), config.leaseMs);
  if (reservation.kind === 'sent') return { key, status: 'duplicate', messageId: reservation.messageId };
  if (reservation.kind === 'failed') throw permanentFailure(ErrorType.SmtpPermanent, `already failed for good: ${reservation.error}`);
  if (reservation.kind === 'busy') {
    throw transientFailure(ErrorType.EmailInFlight, `another attempt holds ${key} until ${reservation.leaseUntil.toISOString()}`);
  }
  const { token, messageId } = reservation;
  ctx.heartbeat({ key, stage: 'reserved', attempts: reservation.attempts });

  // While this attempt lives it renews its lease with each heartbeat; once it dies, the lease
  // runs out and a later attempt may take the message over.
  const alive = (stage: string) => {
    ctx.heartbeat({ key, stage });
    void ledger.renew(key, token, config.leaseMs).catch(() => undefined);
  };
  const holdMs = 'holdMs' in message ? (message.holdMs ?? 0) : 0;
  try {
    for (let waited = 0; waited < holdMs; waited += 1000) {
      await ctx.sleep(Math.min(1000, holdMs - waited)); // rejects at once when cancelled
      alive('holding');
    }
  } catch (error) {
    await ledger.release(key, token, 'cancelled before sending');
    throw error;
  }

  const beat = setInterval(() => alive('sending'), 2_000);
  try {
    await transport.sendMail({
      from,
      to: rendered.toName ? { name: rendered.toName, address: rendered.to } : rendered.to,
      subject: rendered.subject,
      text: rendered.text,
      ...(rendered.html ? { html: rendered.html } : {}),
      messageId,
      disableFileAccess: true,
      disableUrlAccess: true,
    });
  } catch (error) {
    throw await failure(key, token, error);
  } finally {
    clearInterval(beat);
  }
  await ledger.markSent(key, token);
  return { key, status: 'sent', messageId };
}

interface SmtpError {
  code?: string;
  responseCode?: number;
  command?: string;
  syscall?: string;
  message?: string;
}

/**
 * Sorts an SMTP failure, and settles the email log row to match: 5xx and bad envelopes are
 * permanent; 4xx and unreachable servers are transient with nothing delivered (the lease
 * is released); a connection lost mid-transaction is transient but unknown (the lease
 * stays, so only its expiry lets the message go again).
 */
async function failure(key: string, token: string, error: unknown): Promise<Error> {
  const e = error as SmtpError;
  const text = `${e.code ?? 'Error'}${e.responseCode ? ` ${e.responseCode}` : ''}: ${e.message ?? String(error)}`;
  if (e.responseCode !== undefined && e.responseCode >= 500) {
    await ledger.markFailed(key, token, text);
    return permanentFailure(ErrorType.SmtpPermanent, text);
  }
  if (e.responseCode === undefined && (e.code === 'EENVELOPE' || e.code === 'EMESSAGE')) {
    await ledger.markFailed(key, token, text);
    return permanentFailure(ErrorType.SmtpPermanent, text);
  }
  const neverConnected = e.syscall === 'connect' || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|Connection timeout|Greeting never received/.test(e.message ?? '');
  if ((e.responseCode !== undefined && e.responseCode >= 400) || neverConnected) await ledger.release(key, token, text);
  else await ledger.noteError(key, token, text);
  return transientFailure(ErrorType.SmtpTransient, text);
}

/** Turns a message into headers and bodies; templates read what they need by id. */
async function render(message: EmailMessage): Promise<{ rendered: Rendered; meta?: Record<string, unknown> }> {
  if (!('template' in message)) {
    return { rendered: { to: message.to, toName: message.toName, subject: message.subject, text: message.text } };
  }
  const recipient = await findUser(message.userId);
  if (message.template === 'mention') {
    const comment = await Comment.findById(message.commentId).lean();
    if (!comment) throw permanentFailure(ErrorType.NotFound, `no comment ${message.commentId}`);
    if (comment.status !== 'published') throw permanentFailure(ErrorType.InvalidArguments, `comment ${message.commentId} is ${comment.status}, not published`);
    const author = await findUser(String(comment.author));
    return { rendered: mentionEmail({ recipient, author, text: comment.text, commentId: message.commentId }) };
  }
  const since = message.since === null ? null : new Date(message.since);
  const until = new Date(message.until);
  const items = await mentionsOf(message.userId, since, until);
  return { rendered: digestEmail({ recipient, items, since, until }), meta: { since: message.since, until: message.until, comments: items.length } };
}

async function findUser(id: string): Promise<{ name: string; email: string }> {
  const user = await User.findById(id, { name: 1, email: 1 }).lean();
  if (!user) throw permanentFailure(ErrorType.NotFound, `no user ${id}`);
  return user;
}

/** email.send bound to its transport and settings. */
export function emailActivities(deps: EmailDeps) {
  return { send: (message: EmailMessage, idempotencyKey?: string) => send(deps, message, idempotencyKey) };
}
