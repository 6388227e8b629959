/**
 * The behaviour changes of workflow code that replay must tell apart (`patched`; old
 * histories in tests/replay). Each `patched` id a run meets costs it a marker event and a
 * TemporalChangeVersion search-attribute upsert (a visibility write on the server). So a run
 * started since BASELINE records BASELINE alone, once, and that implies every change listed
 * here; runs recorded before it still find their own markers.
 *
 * To add a change: give it an id below, and move BASELINE to a new id only when the new
 * change is on for every new run (the old BASELINE then joins the list, as an id old runs may
 * carry).
 */
import { patched } from '@temporalio/workflow';

export const PATCHES = {
  /** Light tasks run as local activities. */
  localActivities: 'orchestra-local-activities',
  /** Rate-limited tasks (catalog maxPerSecond) run on their own queue. */
  rateLimitedQueues: 'orchestra-rate-limited-queues',
  /** Consecutive light steps of a chain run as one local activity. */
  lightChains: 'orchestra-light-chains',
  /** A run records its final state tree in its memo when it closes. */
  finalStateMemo: 'orchestra-final-state-memo',
  /** avatarUploaded makes every size in one media.thumbnails step. */
  avatarOnePass: 'avatar-one-pass',
  /** digest plans users page by page. */
  digestPages: 'digest-pages',
} as const;

/** Every change in PATCHES, for runs started since it. */
const BASELINE = 'orchestra-baseline-2026-12';

/** Whether this run has the change: new runs always (through BASELINE), old ones if they recorded it. */
export function hasChange(change: keyof typeof PATCHES): boolean {
  return patched(BASELINE) || patched(PATCHES[change]);
}
