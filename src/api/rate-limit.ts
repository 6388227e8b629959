/**
 * Per-key request rate limit (a token bucket per API key, or per client address when
 * there is none): RATE_LIMIT_PER_MINUTE sustained, RATE_LIMIT_BURST at once. Over it: 429
 * with Retry-After. The buckets live in this process: with N API replicas the cluster-wide
 * limit is N times this.
 */
import type { Context, Next } from 'koa';
import { HttpProblem } from './problem';

interface Bucket {
  tokens: number;
  updated: number;
}

export function rateLimit(perMinute: number, burst: number) {
  const buckets = new Map<string, Bucket>();
  const refillPerMs = perMinute / 60_000;
  return async (ctx: Context, next: Next): Promise<void> => {
    if (perMinute <= 0 || ctx.path === '/health' || ctx.path === '/ready') return next();
    const who = (ctx.state.apiKeyId as string | undefined) ?? `ip:${ctx.ip}`;
    const now = Date.now();
    const bucket = buckets.get(who) ?? { tokens: burst, updated: now };
    bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.updated) * refillPerMs);
    bucket.updated = now;
    buckets.set(who, bucket);
    if (bucket.tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / refillPerMs / 1000));
      throw new HttpProblem(429, 'Too Many Requests', `Over ${perMinute} requests a minute; retry in ${retryAfter} s.`, undefined, { 'Retry-After': String(retryAfter) });
    }
    bucket.tokens -= 1;
    if (buckets.size > 10_000) for (const [k, b] of buckets) if (now - b.updated > 60_000) buckets.delete(k);
    return next();
  };
}
