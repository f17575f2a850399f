/**
 * A small per-process cache for reads on the hot path (a live rush reads the same session,
 * SKU and shop thousands of times a second). Entries live `ttlMs`; decisions that must be
 * exact are never taken from it — they are taken in Redis.
 */
export class TtlCache<V> {
  private readonly entries = new Map<
    string,
    { value: Promise<V>; until: number; refreshing?: boolean }
  >();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly staleWhileRevalidate: boolean;

  /**
   * `staleWhileRevalidate`: once an entry has expired, keep answering with it while a single
   * reload runs in the background (for reads whose exact value is decided elsewhere anyway).
   */
  constructor(ttlMs: number, maxEntries = 1000, { staleWhileRevalidate = false } = {}) {
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
    this.staleWhileRevalidate = staleWhileRevalidate;
  }

  get(key: string, load: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.value;
    if (hit && this.staleWhileRevalidate && !hit.refreshing) {
      // Answer from the old value while one reload runs: a rush never waits on a refresh.
      hit.refreshing = true;
      load().then(
        (fresh) =>
          this.entries.set(key, { value: Promise.resolve(fresh), until: Date.now() + this.ttlMs }),
        () => this.entries.delete(key), // the next read loads (and fails) in the open
      );
      return hit.value;
    }
    if (hit?.refreshing) return hit.value;
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const value = load();
    this.entries.set(key, { value, until: now + this.ttlMs });
    value.catch(() => this.entries.delete(key));
    return value;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }
}
