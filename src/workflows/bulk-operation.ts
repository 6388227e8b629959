/**
 * A bulk cancel or retry (POST /workflows/bulk/:action): the action on every run the
 * operation's query matches, a page at a time, at most `perSecond` runs a second. A
 * workflow, so an API or worker that dies mid-operation loses nothing: the run resumes at
 * the page it was on. Each page's action may run twice (a retried activity) without harm:
 * a run already cancelled, or already retried, is skipped. Progress is its query's answer
 * (GET /operations/:id), and its result when it ends.
 */
import { continueAsNew, defineQuery, proxyActivities, setHandler, sleep } from '@temporalio/workflow';
import { BULK_MAX_ERRORS, BULK_PAGE_ACTIVITY, BULK_PROGRESS_QUERY, type BulkInput, type BulkPage, type BulkProgress } from './language/bulk';

export const bulkProgressQuery = defineQuery<BulkProgress>(BULK_PROGRESS_QUERY);

const { [BULK_PAGE_ACTIVITY]: bulkPage } = proxyActivities<Record<string, (input: BulkInput, pageToken: string | null) => Promise<BulkPage>>>({
  // A page lists and acts on up to pageSize runs, one server call or a few each.
  startToCloseTimeout: '5 minutes',
  // Each run acted on heartbeats: a page cut off by a dead worker is retried within this.
  heartbeatTimeout: '20s',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 20 },
});

/** Pages per run before continuing as new: a page adds a few events, so histories stay small. */
const PAGES_PER_RUN = 100;

export async function bulkOperation(input: BulkInput, carried?: BulkProgress): Promise<BulkProgress> {
  const progress: BulkProgress = carried ?? {
    action: input.action,
    matched: input.matched,
    done: 0,
    failed: 0,
    skipped: 0,
    errors: [],
    pages: 0,
    nextPageToken: null,
  };
  setHandler(bulkProgressQuery, () => progress);
  let pagesThisRun = 0;
  do {
    const started = Date.now();
    const page = await bulkPage(input, progress.nextPageToken);
    progress.done += page.done;
    progress.failed += page.failed;
    progress.skipped += page.skipped;
    progress.errors = [...progress.errors, ...page.errors].slice(0, BULK_MAX_ERRORS);
    progress.pages++;
    progress.nextPageToken = page.nextPageToken;
    pagesThisRun++;
    if (!progress.nextPageToken) break;
    // The rate: a page of pageSize runs takes at least pageSize / perSecond seconds.
    const pause = (input.pageSize / input.perSecond) * 1000 - (Date.now() - started);
    if (pause > 0) await sleep(pause);
    if (pagesThisRun >= PAGES_PER_RUN) await continueAsNew<typeof bulkOperation>(input, progress);
  } while (progress.nextPageToken);
  return progress;
}
