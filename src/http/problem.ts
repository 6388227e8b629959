/**
 * Errors the API answers with, as RFC 9457 problem details. Validation problems carry
 * `errors: [{path, message}]` with the JSON path of each.
 */
import type { Context, Next } from 'koa';
import type { Issue } from '../canvas/validate';

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: Issue[],
    readonly headers: Record<string, string> = {},
  ) {
    super(detail ?? title);
  }
}

export const badRequest = (errors: Issue[], detail = 'The request is not valid; nothing was started.') => new HttpProblem(400, 'Bad Request', detail, errors);
export const notFound = (detail: string) => new HttpProblem(404, 'Not Found', detail);
export const conflict = (detail: string) => new HttpProblem(409, 'Conflict', detail);
/** Over a per-caller cap (open streams, result waits): 429 with when to try again. */
export const tooManyRequests = (detail: string, retryAfterSeconds: number) =>
  new HttpProblem(429, 'Too Many Requests', detail, undefined, { 'Retry-After': String(retryAfterSeconds) });

/** Turns any thrown error into problem details; unexpected ones become a logged 500. */
export async function problemDetails(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
    if (ctx.status === 404 && ctx.body === undefined) throw notFound(`no route for ${ctx.method} ${ctx.path}`);
  } catch (error) {
    const problem = error instanceof HttpProblem ? error : internal(ctx, error);
    ctx.status = problem.status;
    ctx.set(problem.headers);
    ctx.type = 'application/problem+json';
    ctx.body = {
      type: 'about:blank',
      title: problem.title,
      status: problem.status,
      ...(problem.detail ? { detail: problem.detail } : {}),
      ...(problem.errors ? { errors: problem.errors } : {}),
      instance: ctx.path,
    };
  }
}

function internal(ctx: Context, error: unknown): HttpProblem {
  const status = (error as { status?: number }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new HttpProblem(status, (error as Error).message || 'Client Error');
  }
  console.error(`${ctx.method} ${ctx.path} failed:`, error);
  return new HttpProblem(500, 'Internal Server Error', 'The server failed to answer; the error is in its log.');
}
