/**
 * The ids of the last few thousand messages and interactions seen: Discord may dispatch an event
 * again (a resumed session), and an interaction can be acknowledged only once, so repeats are
 * dropped here before they reach the engine (which also dedupes, across restarts).
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 5000) {}

  /** False when the id was seen already. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }
}
