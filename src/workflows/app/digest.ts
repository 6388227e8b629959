/**
 * The digest (run daily by the built-in schedule): every user with published mentions
 * since their last digest gets one email listing them, then their lastDigestAt moves to
 * the end of that period. The email's idempotency key is the user and the period's start,
 * so a re-run for the same period sends nothing twice.
 *
 * Users are planned a page at a time (digest.planPage) and each page's emails are sent
 * before the next page is planned; after every page the run continues as new, carrying
 * only the period's end, the page cursor and the running totals. No run's history holds
 * more than one page, whatever the number of users. Runs recorded before paging replay
 * down the old path (patch `digest-pages`).
 */
import { continueAsNew } from '@temporalio/workflow';
import { hasChange } from '../patches';
import { chain, group, runCanvas, task, withConcurrency } from '../builders';

export type DigestPlan = { until: string; users: Array<{ userId: string; since: string | null }> };
export type DigestOutcome = { until: string; users: number; failed: number };
/** Where a continued run resumes: the period's end, the next page's start, totals so far. */
export type DigestProgress = { until: string; after: string | null; users: number; failed: number; pages: number };

const DIGEST_CONCURRENCY = 20;
/** Users read per plan page (most of them are usually not due). */
export const DIGEST_PAGE_SIZE = 1000;

function sendAll(users: DigestPlan['users'], until: string) {
  const perUser = users.map(({ userId, since }) =>
    chain(task('email.send', { template: 'digest', userId, since, until }, `digest:${userId}:${since ?? 'first'}`), task('users.markDigested', userId)),
  );
  return runCanvas<Array<{ ok: boolean }>>(withConcurrency(group(...perUser), DIGEST_CONCURRENCY, true), { name: 'send' });
}

export async function digest(progress?: DigestProgress): Promise<DigestOutcome> {
  if (!progress && !hasChange('digestPages')) {
    const plan = await runCanvas<DigestPlan>(task('digest.plan'), { name: 'plan' });
    if (plan.users.length === 0) return { until: plan.until, users: 0, failed: 0 };
    const settled = await sendAll(plan.users, plan.until);
    return { until: plan.until, users: plan.users.length, failed: settled.filter((s) => !s.ok).length };
  }
  const state: DigestProgress = progress ?? { until: new Date().toISOString(), after: null, users: 0, failed: 0, pages: 0 };
  const page = await runCanvas<{ users: DigestPlan['users']; next: string | null }>(
    task('digest.planPage', { after: state.after, until: state.until, limit: DIGEST_PAGE_SIZE }),
    { name: 'plan' },
  );
  let failed = 0;
  if (page.users.length > 0) failed = (await sendAll(page.users, state.until)).filter((s) => !s.ok).length;
  const next: DigestProgress = {
    until: state.until,
    after: page.next,
    users: state.users + page.users.length,
    failed: state.failed + failed,
    pages: state.pages + 1,
  };
  if (next.after) await continueAsNew<typeof digest>(next);
  return { until: next.until, users: next.users, failed: next.failed };
}
