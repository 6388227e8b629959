/**
 * Request rate limits (token buckets): a valid API key gets its own bucket,
 * RATE_LIMIT_PER_MINUTE sustained and RATE_LIMIT_BURST at once. Requests without a valid
 * key (none, or a wrong one) share one bucket per client address with the tighter
 * RATE_LIMIT_ANONYMOUS_PER_MINUTE, and are counted before any route answers them 401, so
 * a flood of guessed keys is throttled too. Development mode (no keys) buckets by address
 * at the per-key rate. Over a limit: 429 with Retry-After. A request that does the work
 * of many (POST /workflows/batch) is charged the rest with `chargeRequests` once its size
 * is known. The buckets live in this process: with N API replicas the cluster-wide limit
 * is N times this.
 */
import type { Context, Next } from 'koa';
import { callerOf } from './auth';
import { HttpProblem } from './problem';

interface Bucket {
  tokens: number;
  updated: number;
}

export interface RateLimits {
  perMinute: number;
  burst: number;
  anonymousPerMinute: number;
}

class Buckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillPerMs: number;

  constructor(
    readonly perMinute: number,
    private readonly burst: number,
  ) {
    this.refillPerMs = perMinute / 60_000;
  }

  /**
   * Takes `cost` tokens for `who`, or answers how many seconds until they are there (taking
   * none). A cost above the burst can never be met at once: it waits for a full bucket.
   */
  take(who: string, now: number, cost = 1): number | undefined {
    const bucket = this.buckets.get(who) ?? { tokens: this.burst, updated: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.updated) * this.refillPerMs);
    bucket.updated = now;
    this.buckets.set(who, bucket);
    if (this.buckets.size > 10_000) for (const [k, b] of this.buckets) if (now - b.updated > 60_000) this.buckets.delete(k);
    const needed = Math.min(cost, this.burst);
    if (bucket.tokens < needed) return Math.max(1, Math.ceil((needed - bucket.tokens) / this.refillPerMs / 1000));
    bucket.tokens -= cost;
    return undefined;
  }
}

/** Where the request's charge function waits on ctx.state for a route that does the work of many. */
const CHARGE = 'rateLimitCharge';

/**
 * Charges the request `count` more requests against the caller's limit (a batch of N starts
 * counts N in all): a 429 when the caller has not that many left, before any work is done.
 * A no-op when the limit is off.
 */
export function chargeRequests(ctx: Context, count: number): void {
  const charge = ctx.state[CHARGE] as ((count: number) => void) | undefined;
  if (charge && count > 0) charge(count);
}

function tooMany(perMinute: number, anonymous: boolean, retryAfter: number): HttpProblem {
  // Says which setting raises the limit: a local load test meets it first (README, Performance).
  const setting = anonymous ? 'RATE_LIMIT_ANONYMOUS_PER_MINUTE' : 'RATE_LIMIT_PER_MINUTE and RATE_LIMIT_BURST; 0 turns it off';
  return new HttpProblem(
    429,
    'Too Many Requests',
    `Over ${perMinute} requests a minute${anonymous ? ' without a valid API key from this address' : ''}; retry in ${retryAfter} s. The limit is set by ${setting}.`,
    undefined,
    { 'Retry-After': String(retryAfter) },
  );
}

/** Runs after `identify` (which refuses nothing) and before the routes' own scope checks. */
export function rateLimit({ perMinute, burst, anonymousPerMinute }: RateLimits) {
  const keyed = new Buckets(perMinute, burst);
  const anonymous = new Buckets(anonymousPerMinute, Math.max(1, Math.min(burst, anonymousPerMinute)));
  return async (ctx: Context, next: Next): Promise<void> => {
    if (ctx.path === '/health' || ctx.path === '/ready') return next();
    const caller = callerOf(ctx);
    const [buckets, who] = caller.kind === 'key' ? [keyed, `key:${caller.id}`] : caller.kind === 'dev' ? [keyed, `ip:${ctx.ip}`] : [anonymous, `ip:${ctx.ip}`];
    if (buckets.perMinute <= 0) return next();
    const charge = (cost: number) => {
      const retryAfter = buckets.take(who, Date.now(), cost);
      if (retryAfter !== undefined) throw tooMany(buckets.perMinute, caller.kind === 'anonymous', retryAfter);
    };
    charge(1);
    ctx.state[CHARGE] = charge;
    return next();
  };
}
