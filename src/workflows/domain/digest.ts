/**
 * The digest (run daily by the built-in schedule): every user with published mentions
 * since their last digest gets one email listing them, then their lastDigestAt moves to
 * the end of that period. The email's idempotency key is the user and the period's start,
 * so a re-run for the same period sends nothing twice.
 */
import { chain, group, runCanvas, task, withConcurrency } from '../builders';

export type DigestPlan = { until: string; users: Array<{ userId: string; since: string | null }> };
export type DigestOutcome = { until: string; users: number; failed: number };

const DIGEST_CONCURRENCY = 20;

export async function digest(): Promise<DigestOutcome> {
  const plan = await runCanvas<DigestPlan>(task('digest.plan'), { name: 'plan' });
  if (plan.users.length === 0) return { until: plan.until, users: 0, failed: 0 };
  const perUser = plan.users.map(({ userId, since }) =>
    chain(
      task('email.send', { template: 'digest', userId, since, until: plan.until }, `digest:${userId}:${since ?? 'first'}`),
      task('users.markDigested', userId),
    ),
  );
  const settled = await runCanvas<Array<{ ok: boolean }>>(withConcurrency(group(...perUser), DIGEST_CONCURRENCY, true), { name: 'send' });
  return { until: plan.until, users: plan.users.length, failed: settled.filter((s) => !s.ok).length };
}
