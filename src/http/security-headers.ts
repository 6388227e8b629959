/**
 * Headers on every answer: `X-Content-Type-Options: nosniff` (a browser must not read a JSON
 * answer or an upload as HTML or script), and `Content-Security-Policy: frame-ancestors 'none'`
 * with `X-Frame-Options: DENY` for older browsers (no page may frame /docs, /ui or an answer).
 * Set before the route runs, so a route with a policy of its own (the dashboard's, which
 * forbids framing too) replaces it.
 */
import type { Context, Next } from 'koa';

export const DEFAULT_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
};

export async function securityHeaders(ctx: Context, next: Next): Promise<void> {
  ctx.set(DEFAULT_SECURITY_HEADERS);
  await next();
}
