/**
 * What the API remembers of closed runs (their outcome and final state never change), bounded
 * by bytes rather than by count: one run's state can be a few hundred bytes or, for a large
 * map, megabytes. The least recently read run is forgotten first.
 */
export class ClosedRunCache<V> {
  /** Map order is recency: a read moves its entry to the end, eviction takes from the front. */
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private total = 0;

  constructor(private readonly maxBytes: number) {}

  get(runId: string): V | undefined {
    const entry = this.entries.get(runId);
    if (!entry) return undefined;
    this.entries.delete(runId);
    this.entries.set(runId, entry);
    return entry.value;
  }

  /** Remembers a value; one larger than the whole budget is not kept (it would evict everything). */
  set(runId: string, value: V): void {
    const bytes = approximateBytes(value);
    this.forget(runId);
    if (bytes > this.maxBytes) return;
    this.entries.set(runId, { value, bytes });
    this.total += bytes;
    for (const oldest of this.entries.keys()) {
      if (this.total <= this.maxBytes) break;
      this.forget(oldest);
    }
  }

  /** Approximate bytes held: the UTF-8 length of each value's JSON. */
  get bytes(): number {
    return this.total;
  }

  get size(): number {
    return this.entries.size;
  }

  private forget(runId: string): void {
    const entry = this.entries.get(runId);
    if (!entry) return;
    this.entries.delete(runId);
    this.total -= entry.bytes;
  }
}

/** The JSON the API would answer with is what the entry costs, near enough. */
function approximateBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}
