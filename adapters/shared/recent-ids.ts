/**
 * A bounded set of the latest ids seen: enough to drop a platform's redelivery before it reaches
 * the engine (which also dedupes, across restarts and instances), small enough to keep forever.
 */
export class RecentIds<T> {
  private readonly ids = new Set<T>();

  constructor(private readonly capacity = 5000) {}

  /** Adds the id; false when it was already there. */
  add(id: T): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }

  has(id: T): boolean {
    return this.ids.has(id);
  }

  delete(id: T): void {
    this.ids.delete(id);
  }
}
