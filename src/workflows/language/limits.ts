/** The documented limits of one canvas request (docs/canvas.md, "Limits"). */
export const LIMITS = {
  /**
   * Nodes written in one request, counting every task, chain, group, chord and map:
   * enough for a group of 2,500 written-out tasks within the byte limit.
   */
  maxNodes: 5_000,
  /** Nesting depth of chains, groups and chords. */
  maxDepth: 32,
  /** Request body size; far under Temporal's 2 MB payload limit. */
  maxRequestBytes: 512 * 1024,
  /** Members of one group, or items of one map (static or produced at run time). */
  maxFanOut: 50_000,
  /** Items of one batched map or `chunks` node: they travel as data, one activity a batch. */
  maxBatchedItems: 1_000_000,
  /** Items in one batch (a `chunks` size or a map's `batchSize`). */
  maxBatchSize: 10_000,
  /** maxConcurrency a group or map may ask for. */
  maxConcurrency: 1_000,
  /** maxConcurrency when a group or map does not say. */
  defaultConcurrency: 200,
  /** Fan-outs larger than this run in child workflows of at most this many members each. */
  inlineFanOut: 500,
  /**
   * Activities one workflow run schedules itself before further fan-outs go to children:
   * about 9,000 events, under Temporal's 10,240-event warning, and quick to replay.
   */
  activitiesPerRun: 2_500,
  /** Activities one workflow run keeps pending at once (Temporal's cap is 2,000). */
  pendingActivitiesPerRun: 1_000,
  /** Fan-outs above this size show counts in the live state instead of one entry per member. */
  detailedStateMembers: 100,
} as const;
