/** One structured log line per request, with a request id (X-Request-Id in and out). */
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import { logger } from '../logging';

export async function requestLog(ctx: Context, next: Next): Promise<void> {
  const requestId = /^[\w.-]{1,100}$/.test(ctx.get('x-request-id')) ? ctx.get('x-request-id') : randomUUID();
  ctx.set('X-Request-Id', requestId);
  const log = logger().child({ requestId });
  ctx.state.log = log;
  const started = process.hrtime.bigint();
  try {
    await next();
  } finally {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // ip: the client as TRUST_PROXY says to read it (the socket's peer, or the Nth X-Forwarded-For entry from the right).
    const fields = {
      method: ctx.method,
      path: ctx.path,
      status: ctx.status,
      ms: Math.round(ms * 10) / 10,
      ip: ctx.ip,
      key: ctx.state.apiKeyId,
      workflowId: ctx.state.workflowId,
    };
    if (ctx.status >= 500) log.error(fields, 'request failed');
    else log.info(fields, 'request');
  }
}
