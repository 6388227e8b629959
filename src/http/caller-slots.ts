/**
 * What each caller holds open at once, against a cap: event streams (./run-events) and
 * result waits (GET /workflows/:id/result). A caller is a key (`key:<id>`), or in development
 * mode a client address (`ip:<address>`).
 */
export class CallerSlots {
  private readonly held = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Takes one of the caller's slots: its release (safe to call twice), or undefined when all are held. */
  take(caller: string): (() => void) | undefined {
    const mine = this.held.get(caller) ?? 0;
    if (mine >= this.max) return undefined;
    this.held.set(caller, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(caller) ?? 1) - 1;
      if (left > 0) this.held.set(caller, left);
      else this.held.delete(caller);
    };
  }

  /** Slots the caller holds now. */
  of(caller: string): number {
    return this.held.get(caller) ?? 0;
  }
}
