// The streamer's console: scheduling a session, going live and ending, pinning and flash sales,
// allotments, announcements and moderation, and the console's numbers.
import { randomBytes } from 'node:crypto';
import { Types } from 'mongoose';
import type { Actor } from '../accounts/actor.ts';
import { Conflict, Invalid } from '../core/errors.ts';
import { RedisLocks } from '../core/redis-lock.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import { parseInput } from '../core/validation.ts';
import {
  liveSessionOrders,
  PAID_STATUSES,
  STOCK_HOLDING_STATUSES,
  type OrderStatus,
} from '../orders/order-reads.ts';
import type { LiveChat } from './live-chat.ts';
import type { LiveCounters } from './live-counters.ts';
import {
  scheduleInput,
  type AllotmentInput,
  type AnnounceInput,
  type DeleteMessageInput,
  type FlashInput,
  type MuteInput,
  type OfferRef,
  type SessionRef,
} from './live-input.ts';
import { LiveSessionModel, type LiveOffer } from './live-session.model.ts';
import {
  controlledSession,
  offerOf,
  ownShopId,
  type LiveDeps,
  type SessionDoc,
} from './live-sessions.ts';
import type { RoomUpdates } from './room-updates.ts';
import type { Rehearsals } from './rehearsals.ts';
import { skuOnSaleInShop } from '../catalogue/catalogue-reads.ts';

const HOLDING = STOCK_HOLDING_STATUSES;
const PAID = PAID_STATUSES;

export class LiveConsole {
  private readonly deps: LiveDeps;
  private readonly counters: LiveCounters;
  private readonly updates: RoomUpdates;
  private readonly chat: LiveChat;
  private readonly rehearsals: Rehearsals;
  private readonly locks: RedisLocks;
  private readonly dashboards = new TtlCache<Awaited<ReturnType<LiveConsole['computeDashboard']>>>(
    1000,
  );

  constructor(
    deps: LiveDeps,
    counters: LiveCounters,
    updates: RoomUpdates,
    chat: LiveChat,
    rehearsals: Rehearsals,
  ) {
    this.deps = deps;
    this.counters = counters;
    this.updates = updates;
    this.chat = chat;
    this.rehearsals = rehearsals;
    this.locks = new RedisLocks(deps.redis, deps.keys);
  }

  async schedule(actor: Actor | undefined, raw: unknown): Promise<string> {
    const shopId = ownShopId(actor);
    const input = parseInput(scheduleInput, raw);
    const offers = [];
    for (const [i, o] of input.offers.entries()) {
      const sku = await skuOnSaleInShop(shopId, o.sku_code);
      if (!sku)
        throw new Invalid('errors.invalid', [
          { field: `offers.${i}.sku_code`, code: 'validation.skuNotInShop' },
        ]);
      offers.push({
        offerId: randomBytes(4).toString('hex'),
        skuId: sku._id,
        livePriceFen: o.live_price_yuan,
        allotment: o.allotment,
        perBuyerLimit: o.per_buyer_limit,
        pinOrder: i,
      });
    }
    const session = await LiveSessionModel.create({
      shopId,
      title: { zh: input.title_zh, en: input.title_en || input.title_zh },
      scheduledAt: input.scheduled_at,
      streamUrl: input.stream_url || undefined,
      offers,
    });
    return String(session._id);
  }

  async goLive(actor: Actor | undefined, input: SessionRef) {
    const { sessionId } = input;
    const session = await controlledSession(actor, sessionId);
    if (session.status === 'ended') throw new Conflict('errors.sessionEnded');
    await LiveSessionModel.updateOne(
      { _id: session._id },
      { $set: { status: 'live', startedAt: new Date() } },
    );
    await this.counters.syncWindows(sessionId);
    this.updates.markDirty(sessionId);
  }

  async end(actor: Actor | undefined, input: SessionRef) {
    const { sessionId } = input;
    const session = await controlledSession(actor, sessionId);
    const endedAt = new Date();
    await LiveSessionModel.updateOne({ _id: session._id }, { $set: { status: 'ended', endedAt } });
    await this.counters.syncWindows(sessionId);
    try {
      // Lucky bags still open are drawn now; one that cannot be (busy) is left to the sweep.
      await this.deps.giveaways.sessionEnded(sessionId);
    } finally {
      // Claims stop; claimed coupons stay usable for the hours the streamer chose.
      await this.deps.coupons.sessionEnded(sessionId, endedAt);
    }
    this.updates.markDirty(sessionId);
  }

  async pin(actor: Actor | undefined, input: OfferRef, pinned: boolean) {
    const { sessionId, offerId } = input;
    // Two tablets may steer one session: each change reads and writes the offers under a lock.
    return this.consoleLock(sessionId, async () => {
      const session = await controlledSession(actor, sessionId);
      offerOf(session, offerId);
      // One pinned product at a time (上链接): pinning one unpins the rest.
      const offers = session.offers.map((o) => ({
        ...o,
        pinned: pinned ? o.offerId === offerId : o.offerId === offerId ? false : o.pinned,
      }));
      await this.saveOffers(session, offers);
      if (pinned) await this.noteMoment(session, { kind: 'pin', offerId });
    });
  }

  async openFlash(actor: Actor | undefined, input: FlashInput) {
    const { sessionId, offerId, durationS } = input;
    // Two tablets may steer one session: each change reads and writes the offers under a lock.
    return this.consoleLock(sessionId, async () => {
      const session = await controlledSession(actor, sessionId);
      offerOf(session, offerId);
      const now = new Date();
      const offers = session.offers.map((o) =>
        o.offerId === offerId
          ? { ...o, pinned: true, flashStartsAt: now, flashDurationS: durationS }
          : { ...o, pinned: false },
      );
      await this.saveOffers(session, offers);
      await this.noteMoment(session, { kind: 'flash', offerId });
    });
  }

  async closeFlash(actor: Actor | undefined, input: OfferRef) {
    const { sessionId, offerId } = input;
    // Two tablets may steer one session: each change reads and writes the offers under a lock.
    return this.consoleLock(sessionId, async () => {
      const session = await controlledSession(actor, sessionId);
      const offers = session.offers.map((o) =>
        o.offerId === offerId ? { ...o, pinned: false } : o,
      );
      await this.saveOffers(session, offers);
    });
  }

  /** Kept for the replay's chapters: what was shown on air, and when. */
  private async noteMoment(
    session: SessionDoc,
    moment: { kind: 'pin' | 'flash' | 'announce'; offerId?: string; text?: string },
  ) {
    if (session.status !== 'live') return;
    await LiveSessionModel.updateOne(
      { _id: session._id },
      { $push: { moments: { ...moment, at: new Date() } } },
    );
  }

  private consoleLock<T>(sessionId: string, work: () => Promise<T>): Promise<T> {
    return this.locks.hold('live-console-lock', sessionId, work, 'errors.tryAgain');
  }

  /** FerretDB v1 has no positional ($) update: offers are written whole, then Redis follows. */
  private async saveOffers(session: SessionDoc, offers: LiveOffer[]) {
    await LiveSessionModel.updateOne({ _id: session._id }, { $set: { offers } });
    await this.counters.syncWindows(String(session._id));
    this.updates.markDirty(String(session._id));
  }

  async setAllotment(actor: Actor | undefined, input: AllotmentInput) {
    const { sessionId, offerId, allotment } = input;
    // Two tablets may steer one session: each change reads and writes the offers under a lock.
    return this.consoleLock(sessionId, async () => {
      const session = await controlledSession(actor, sessionId);
      offerOf(session, offerId);
      await this.counters.ensureCounters(session);
      const result = await this.deps.stock.setAllotment(sessionId, offerId, allotment);
      if (!result.ok)
        throw new Invalid(
          'errors.allotmentBelowSold',
          [{ field: 'allotment', code: 'validation.allotmentBelowSold' }],
          { sold: result.out },
        );
      // FerretDB v1 has no positional ($) update: write the offers array whole.
      const offers = session.offers.map((o) => (o.offerId === offerId ? { ...o, allotment } : o));
      await LiveSessionModel.updateOne({ _id: session._id }, { $set: { offers } });
      this.updates.markDirty(sessionId);
    });
  }

  async announce(actor: Actor | undefined, input: AnnounceInput) {
    const { sessionId, text } = input;
    const session = await controlledSession(actor, sessionId);
    await this.noteMoment(session, { kind: 'announce', text });
    await this.chat.postMessage(sessionId, {
      userId: actor!.id,
      name: actor!.displayName,
      text,
      kind: 'announce',
    });
  }

  async deleteMessage(actor: Actor | undefined, input: DeleteMessageInput) {
    const { sessionId, messageId } = input;
    await controlledSession(actor, sessionId);
    await this.chat.removeMessage(sessionId, messageId);
  }

  async mute(actor: Actor | undefined, input: MuteInput) {
    const { sessionId, userId } = input;
    await controlledSession(actor, sessionId);
    await LiveSessionModel.updateOne(
      { _id: sessionId },
      { $addToSet: { mutedUserIds: new Types.ObjectId(userId) } },
    );
  }

  /** The console's numbers: viewers, orders, paid vs unpaid, GMV in fen, sell-through per offer. */
  async dashboard(actor: Actor | undefined, sessionId: string) {
    const session = await controlledSession(actor, sessionId);
    // Every open console asks each second; they share one computation per second.
    return this.dashboards.get(sessionId, () => this.computeDashboard(session));
  }

  private async computeDashboard(session: SessionDoc) {
    const sessionId = String(session._id);
    const figures = session.rehearsalOf
      ? await this.rehearsals.figures(sessionId)
      : await this.orderFigures(session);
    const offers = [];
    for (const offer of session.offers) {
      const c = await this.deps.stock.counters(sessionId, offer.offerId);
      const sold = c?.sold ?? 0;
      offers.push({
        offerId: offer.offerId,
        allotment: c?.allotment ?? offer.allotment,
        sold,
        remaining: c?.remaining ?? 0,
        closesAt: c?.state === 'open' ? (c.closesAt ?? null) : null,
        sellThrough: offer.allotment ? Math.round((sold / offer.allotment) * 100) : 0,
      });
    }
    return {
      viewers: Number(
        (await this.deps.redis.get(this.deps.keys.key('live', sessionId, 'viewers'))) ?? 0,
      ),
      ...figures,
      offers,
      serverNow: Date.now(),
    };
  }

  /** A session's orders in MongoDB, summed: all, unpaid, paid, and GMV in fen. */
  private async orderFigures(session: SessionDoc) {
    // Summed here rather than by $group: FerretDB v1 does not group on a compound key.
    const orders = await liveSessionOrders(session._id, ['status', 'lines']);
    const rows = orders.map((o) => ({
      _id: { status: o.status },
      orders: 1,
      fen: o.lines.reduce((s, l) => s + l.lineTotalFen, 0),
    }));
    const sum = (statuses: OrderStatus[], field: 'orders' | 'fen') =>
      rows
        .filter((r) => statuses.includes(r._id.status as OrderStatus))
        .reduce((s, r) => s + r[field], 0);
    return {
      orders: sum(HOLDING, 'orders'),
      unpaid: { orders: sum(['pending_payment'], 'orders'), fen: sum(['pending_payment'], 'fen') },
      paid: { orders: sum(PAID, 'orders'), fen: sum(PAID, 'fen') },
      gmvFen: sum(HOLDING, 'fen'),
    };
  }
}
