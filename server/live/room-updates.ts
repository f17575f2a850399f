// What reaches a live room on its own: the viewer count, and the coalesced state pushes (counters,
// viewers and the latest purchases) that follow every change.
import { findSession, type LiveDeps, type SessionCache } from './live-sessions.ts';
import { rooms } from '../core/rooms.ts';

const FLUSH_MS = 250;
/** A room this big (on one process) is pushed once a second: each push is a write per viewer. */
const BIG_ROOM = 500;
const BIG_ROOM_FLUSH_MS = 1000;
/** Purchases the room's feed shows (public/js/live-room.js keeps as many). */
const FEED_SHOWN = 5;

const VIEWERS_TTL_S = 7 * 24 * 3600;

export class RoomUpdates {
  private readonly deps: LiveDeps;
  private readonly sessions: SessionCache;
  private readonly dirty = new Map<string, { feed: unknown[]; timer: NodeJS.Timeout }>();

  constructor(deps: LiveDeps, sessions: SessionCache) {
    this.deps = deps;
    this.sessions = sessions;
  }

  async viewerJoined(sessionId: string, delta: 1 | -1) {
    const key = this.deps.keys.key('live', sessionId, 'viewers');
    // A viewer leaving a room whose count is gone (a discarded rehearsal) makes no new key.
    if (delta < 0 && (await this.deps.redis.exists(key)) === 0) return;
    const n = await this.deps.redis.incrby(key, delta);
    if (n < 0) await this.deps.redis.set(key, 0, 'KEEPTTL');
    // A count nobody touches for a week goes with its session's other keys.
    await this.deps.redis.expire(key, VIEWERS_TTL_S);
    this.markDirty(sessionId);
  }

  /** Room updates are coalesced: at most one state push per session every 250 ms per process. */
  markDirty(sessionId: string, purchase?: unknown) {
    const pending = this.dirty.get(sessionId);
    if (pending) {
      // The room shows the last few purchases; a rush makes hundreds between two pushes, and
      // each push goes to every viewer: send only what is shown.
      if (purchase) pending.feed.push(purchase);
      if (pending.feed.length > FEED_SHOWN) pending.feed.shift();
      return;
    }
    const entry = {
      feed: purchase ? [purchase] : [],
      timer: setTimeout(() => {
        this.dirty.delete(sessionId);
        void this.pushState(sessionId, entry.feed).catch(() => {});
      }, this.pushInterval(sessionId)),
    };
    entry.timer.unref();
    this.dirty.set(sessionId, entry);
  }

  private pushInterval(sessionId: string): number {
    return this.deps.realtime.localRoomSize(rooms.live(sessionId)) > BIG_ROOM
      ? BIG_ROOM_FLUSH_MS
      : FLUSH_MS;
  }

  private async pushState(sessionId: string, feed: unknown[]) {
    // Through the one-second cache: the counters, which move, come from Redis.
    const session = await this.sessions.get(sessionId, () => findSession(sessionId));
    const offers = [];
    for (const offer of session.offers) {
      const c = await this.deps.stock.counters(sessionId, offer.offerId);
      offers.push({
        offerId: offer.offerId,
        pinned: offer.pinned,
        remaining: c?.remaining ?? 0,
        sold: c?.sold ?? 0,
        open: c?.state === 'open' && (!c.closesAt || c.closesAt > Date.now()),
        closesAt: c?.closesAt ?? null,
      });
    }
    const viewers = Number(
      (await this.deps.redis.get(this.deps.keys.key('live', sessionId, 'viewers'))) ?? 0,
    );
    this.deps.realtime.toRoom(rooms.live(sessionId), 'live:state', {
      status: session.status,
      offers,
      viewers,
      feed,
      serverNow: Date.now(),
    });
  }
}
