/**
 * The behaviour changes of workflow code that replay must tell apart (`patched`; old
 * histories in tests/replay). Each `patched` id a run meets costs it a marker event and a
 * TemporalChangeVersion search-attribute upsert (a visibility write on the server). So a run
 * started since BASELINE records BASELINE alone, once, and that implies every change listed
 * here; runs recorded before it still find their own markers.
 *
 * To add a change: give it an id below, move BASELINE to a new id, and add the old BASELINE
 * to EARLIER_BASELINES with the changes it implied (the list as it was): runs that recorded
 * it replay with exactly those, and no change added since.
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
  /** A wait node names its event in the OrchestraWaitingFor search attribute while it waits (./waiting-for.ts). */
  waitingForAttribute: 'orchestra-waiting-for-attribute',
} as const;

export type Change = keyof typeof PATCHES;

/** Every change in PATCHES, for runs started since it. */
const BASELINE = 'orchestra-baseline-2027-01';

/**
 * Baselines that runs started before BASELINE may carry, each with the changes it implied
 * when it was the baseline. Never edit an entry: recorded histories depend on it.
 */
const EARLIER_BASELINES: ReadonlyArray<{ id: string; implies: readonly Change[] }> = [
  {
    id: 'orchestra-baseline-2026-12',
    implies: ['localActivities', 'rateLimitedQueues', 'lightChains', 'finalStateMemo', 'avatarOnePass', 'digestPages'],
  },
];

/**
 * Whether this run has the change: new runs always (through BASELINE); runs that recorded an
 * earlier baseline if that baseline implied it; older runs if they recorded the change itself.
 * Checked in this order, so a new run records BASELINE alone.
 */
export function hasChange(change: Change): boolean {
  return patched(BASELINE) || EARLIER_BASELINES.some((baseline) => baseline.implies.includes(change) && patched(baseline.id)) || patched(PATCHES[change]);
}
