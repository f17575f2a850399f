// Pushes to a live room that follow a burst of changes (a thousand claims, a flood of entries):
// at most one per key per interval, sent after the interval, so the room sees the latest count
// without a write per change to every viewer.
export class CoalescedPushes {
  private readonly intervalMs: number;
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor(intervalMs: number) {
    this.intervalMs = intervalMs;
  }

  /** Runs `push` once, `intervalMs` from the first call for `key` since the last push. */
  soon(key: string, push: () => void) {
    if (this.pending.has(key)) return;
    const timer = setTimeout(() => {
      this.pending.delete(key);
      push();
    }, this.intervalMs);
    timer.unref();
    this.pending.set(key, timer);
  }
}
