// Live sessions: the streamer's controls, the buyer's one-tap and comment-to-order buying,
// chat and moderation, the waitlist, and the numbers on the console. Transport-free: the socket
// dispatcher and the HTTP routes both call these.
import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { Types } from 'mongoose';
import type { Actor } from '../accounts/actor.ts';
import { ProductModel } from '../catalogue/product.model.ts';
import { ShopModel } from '../catalogue/shop.model.ts';
import { SkuModel } from '../catalogue/sku.model.ts';
import { VillageModel } from '../catalogue/village.model.ts';
import {
  AppError,
  Conflict,
  Forbidden,
  Invalid,
  NotFound,
  SoldOut,
  Unauthenticated,
} from '../core/errors.ts';
import { pickLocalized } from '../core/localized-text.ts';
import type { Realtime } from '../core/realtime.ts';
import type { RedisKeys } from '../core/redis.ts';
import { parseInput } from '../core/validation.ts';
import {
  OrderModel,
  PAID_STATUSES,
  STOCK_HOLDING_STATUSES,
  type Order,
  type OrderStatus,
} from '../orders/order.model.ts';
import type { OrderService, Placement, ReservationStep } from '../orders/order-service.ts';
import type { AddressBook } from '../accounts/address-book.ts';
import { readCommentOrder } from './comment-order.ts';
import {
  allotmentInput,
  announceInput,
  type BuyInput,
  chatInput,
  deleteMessageInput,
  flashInput,
  muteInput,
  offerRef,
  scheduleInput,
  sessionRef,
} from './live-input.ts';
import { LiveSessionModel, type LiveOffer, type LiveSession } from './live-session.model.ts';
import { HOLD_SECONDS, type LiveStock } from './live-stock.ts';
import { RedisLocks } from '../core/redis-lock.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import { nextBatchToShip } from '../hub/batch-allocation.ts';
import { maskName } from '../core/masking.ts';
import { shipToOf } from '../orders/address.schema.ts';

interface TraceCard {
  village: string;
  producer: string;
  harvestDate: string;
  inspection: 'passed' | 'failed' | null;
  station: string;
}

export const HOLD_EXPIRE_JOB = 'expire-hold';
const HOLDING = STOCK_HOLDING_STATUSES;
const PAID = PAID_STATUSES;
const CHAT_KEEP = 50;
const FLUSH_MS = 250;
/** A room this big (on one process) is pushed once a second: each push is a write per viewer. */
const BIG_ROOM = 500;
const BIG_ROOM_FLUSH_MS = 1000;
/** Purchases the room's feed shows (public/js/live-room.js keeps as many). */
const FEED_SHOWN = 5;

type SessionDoc = LiveSession & { _id: Types.ObjectId };

export interface ChatMessage {
  id: string;
  userId: string;
  name: string;
  text: string;
  at: number;
  kind: 'chat' | 'announce';
}

export interface LiveDeps {
  redis: Redis;
  keys: RedisKeys;
  stock: LiveStock;
  orders: OrderService;
  addresses: AddressBook;
  realtime: Realtime;
  holdQueue: Queue;
}

/** How long after its start a session that never went live is still listed as coming. */
const STALE_SCHEDULE_MS = 2 * 3600 * 1000;

export class LiveService {
  private readonly deps: LiveDeps;
  private readonly dirty = new Map<string, { feed: unknown[]; timer: NodeJS.Timeout }>();
  private readonly sessions = new TtlCache<SessionDoc>(1000, 1000, { staleWhileRevalidate: true });
  private readonly traceCards = new TtlCache<TraceCard | null>(60_000);
  private readonly locks: RedisLocks;
  private readonly dashboards = new TtlCache<Awaited<ReturnType<LiveService['computeDashboard']>>>(
    1000,
  );
  private readonly roomCatalogues = new TtlCache<Awaited<ReturnType<LiveService['roomCatalogue']>>>(
    1000,
    1000,
    { staleWhileRevalidate: true },
  );
  /** One rebuild of a session's counters at a time per process (after a Redis wipe). */
  private readonly rebuilds = new TtlCache<void>(500);

  constructor(deps: LiveDeps) {
    this.deps = deps;
    this.locks = new RedisLocks(deps.redis, deps.keys);
  }

  // ---------- reading ----------

  async session(sessionId: string): Promise<SessionDoc> {
    if (!Types.ObjectId.isValid(sessionId)) throw new NotFound('errors.sessionNotFound');
    const session = await LiveSessionModel.findById(sessionId).lean();
    if (!session) throw new NotFound('errors.sessionNotFound');
    return session as SessionDoc;
  }

  private offer(session: SessionDoc, offerId: string): LiveOffer {
    const offer = session.offers.find((o) => o.offerId === offerId);
    if (!offer) throw new NotFound('errors.offerNotFound');
    return offer;
  }

  /** Everything a live room shows; also sent again after every reconnect. */
  async roomState(sessionId: string, locale: string) {
    // Thousands of viewers join a room within seconds: what changes rarely is read through
    // one-second caches; counters, chat and viewers come from Redis.
    const session = await this.sessions.get(sessionId, () => this.session(sessionId));
    await this.ensureCountersExist(session);
    const { skus, products, shop, village } = await this.roomCatalogues.get(
      String(session._id),
      () => this.roomCatalogue(session),
    );
    const offers = [];
    for (const offer of [...session.offers].sort((a, b) => a.pinOrder - b.pinOrder)) {
      const sku = skus.find((s) => String(s._id) === String(offer.skuId));
      const product = sku && products.find((p) => String(p._id) === String(sku.productId));
      const counters = await this.deps.stock.counters(String(session._id), offer.offerId);
      offers.push({
        offerId: offer.offerId,
        title: pickLocalized(product?.title, locale),
        spec: pickLocalized(sku?.spec, locale),
        photo: product?.photos[0],
        productSlug: product?.slug,
        livePriceFen: offer.livePriceFen,
        listPriceFen: sku?.priceFen,
        perBuyerLimit: offer.perBuyerLimit,
        allotment: offer.allotment,
        pinned: offer.pinned,
        remaining: counters?.remaining ?? 0,
        sold: counters?.sold ?? 0,
        open: counters?.state === 'open' && (!counters.closesAt || counters.closesAt > Date.now()),
        closesAt: counters?.closesAt ?? null,
        ...(offer.pinned && sku ? { trace: await this.traceCard(sku._id, locale) } : {}),
      });
    }
    return {
      sessionId: String(session._id),
      title: pickLocalized(session.title, locale),
      status: session.status,
      streamUrl: session.streamUrl ?? '',
      isHls: /\.m3u8(\?|$)/.test(session.streamUrl ?? ''),
      scheduledAt: session.scheduledAt,
      scheduledAtMs: session.scheduledAt.getTime(),
      shop: {
        slug: shop?.slug,
        name: pickLocalized(shop?.name, locale),
        village: pickLocalized(village?.name, locale),
      },
      offers,
      pinned: offers.find((o) => o.pinned) ?? null,
      chat: await this.recentChat(String(session._id)),
      viewers: Number(
        (await this.deps.redis.get(this.deps.keys.key('live', String(session._id), 'viewers'))) ??
          0,
      ),
      serverNow: Date.now(),
    };
  }

  private async roomCatalogue(session: SessionDoc) {
    const skus = await SkuModel.find({ _id: { $in: session.offers.map((o) => o.skuId) } }).lean();
    const products = await ProductModel.find({ _id: { $in: skus.map((s) => s.productId) } }).lean();
    const shop = await ShopModel.findById(session.shopId).lean();
    const village = shop && (await VillageModel.findById(shop.villageId).lean());
    return { skus, products, shop, village };
  }

  /**
   * The pinned product's small trace card: village, harvest and inspection of the batch now being
   * shipped. Cached for a minute: every viewer who joins asks for the same card.
   */
  private traceCard(skuId: Types.ObjectId, locale: string) {
    return this.traceCards.get(`${String(skuId)}:${locale}`, async () => {
      const batch = await nextBatchToShip(skuId);
      if (!batch) return null;
      const village = batch.villageId ? await VillageModel.findById(batch.villageId).lean() : null;
      return {
        village: village ? pickLocalized(village.name, locale) : '',
        producer: batch.producer,
        harvestDate: batch.harvestDate.toISOString(),
        inspection: batch.qc?.result ?? null,
        station: batch.qc?.station ?? '',
      };
    });
  }

  /**
   * The home page's rooms: up to twelve on air, and the next twelve to come. A session whose
   * start passed more than two hours ago without going live is no longer offered.
   */
  async listForHome(locale: string) {
    const [onAir, next] = await Promise.all([
      LiveSessionModel.find({ status: 'live' }).sort({ scheduledAt: -1 }).limit(12).lean(),
      LiveSessionModel.find({
        status: 'scheduled',
        scheduledAt: { $gte: new Date(Date.now() - STALE_SCHEDULE_MS) },
      })
        .sort({ scheduledAt: 1 })
        .limit(12)
        .lean(),
    ]);
    const sessions = [...onAir, ...next];
    const shops = await ShopModel.find({
      _id: { $in: sessions.map((s) => s.shopId) },
      status: 'approved',
    }).lean();
    return sessions
      .filter((s) => shops.some((sh) => String(sh._id) === String(s.shopId)))
      .map((s) => ({
        id: String(s._id),
        title: pickLocalized(s.title, locale),
        status: s.status,
        scheduledAt: s.scheduledAt,
        shopName: pickLocalized(
          shops.find((sh) => String(sh._id) === String(s.shopId))?.name,
          locale,
        ),
      }));
  }

  async listForShop(actor: Actor | undefined, locale: string) {
    const shopId = this.ownShopId(actor);
    const sessions = await LiveSessionModel.find({ shopId })
      .sort({ scheduledAt: -1 })
      .limit(50)
      .lean();
    return sessions.map((s) => ({
      id: String(s._id),
      title: pickLocalized(s.title, locale),
      status: s.status,
      scheduledAt: s.scheduledAt,
    }));
  }

  // ---------- the streamer's controls ----------

  private ownShopId(actor: Actor | undefined): string {
    if (!actor) throw new Unauthenticated();
    if (actor.role !== 'streamer' || !actor.shopId) throw new Forbidden();
    return actor.shopId;
  }

  private async controlled(actor: Actor | undefined, sessionId: string): Promise<SessionDoc> {
    if (!actor) throw new Unauthenticated();
    const session = await this.session(sessionId);
    const mine =
      actor.role === 'admin' ||
      (actor.role === 'streamer' && actor.shopId === String(session.shopId));
    if (!mine) throw new Forbidden('errors.notYourSession');
    return session;
  }

  async schedule(actor: Actor | undefined, raw: unknown): Promise<string> {
    const shopId = this.ownShopId(actor);
    const input = parseInput(scheduleInput, raw);
    const offers = [];
    for (const [i, o] of input.offers.entries()) {
      const sku = await SkuModel.findOne({ code: o.sku_code, shopId, active: true }).lean();
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

  async goLive(actor: Actor | undefined, raw: unknown) {
    const { sessionId } = parseInput(sessionRef, raw);
    const session = await this.controlled(actor, sessionId);
    if (session.status === 'ended') throw new Conflict('errors.sessionEnded');
    await LiveSessionModel.updateOne(
      { _id: session._id },
      { $set: { status: 'live', startedAt: new Date() } },
    );
    await this.syncWindows(sessionId);
    this.markDirty(sessionId);
  }

  async end(actor: Actor | undefined, raw: unknown) {
    const { sessionId } = parseInput(sessionRef, raw);
    const session = await this.controlled(actor, sessionId);
    await LiveSessionModel.updateOne(
      { _id: session._id },
      { $set: { status: 'ended', endedAt: new Date() } },
    );
    await this.syncWindows(sessionId);
    this.markDirty(sessionId);
  }

  async pin(actor: Actor | undefined, raw: unknown, pinned: boolean) {
    const { sessionId, offerId } = parseInput(offerRef, raw);
    // Two tablets may steer one session: each change reads and writes the offers under a lock.
    return this.consoleLock(sessionId, async () => {
      const session = await this.controlled(actor, sessionId);
      this.offer(session, offerId);
      // One pinned product at a time (上链接): pinning one unpins the rest.
      const offers = session.offers.map((o) => ({
        ...o,
        pinned: pinned ? o.offerId === offerId : o.offerId === offerId ? false : o.pinned,
      }));
      await this.saveOffers(session, offers);
    });
  }

  async openFlash(actor: Actor | undefined, raw: unknown) {
    const { sessionId, offerId, durationS } = parseInput(flashInput, raw);
    // Two tablets may steer one session: each change reads and writes the offers under a lock.
    return this.consoleLock(sessionId, async () => {
      const session = await this.controlled(actor, sessionId);
      this.offer(session, offerId);
      const now = new Date();
      const offers = session.offers.map((o) =>
        o.offerId === offerId
          ? { ...o, pinned: true, flashStartsAt: now, flashDurationS: durationS }
          : { ...o, pinned: false },
      );
      await this.saveOffers(session, offers);
    });
  }

  async closeFlash(actor: Actor | undefined, raw: unknown) {
    const { sessionId, offerId } = parseInput(offerRef, raw);
    // Two tablets may steer one session: each change reads and writes the offers under a lock.
    return this.consoleLock(sessionId, async () => {
      const session = await this.controlled(actor, sessionId);
      const offers = session.offers.map((o) =>
        o.offerId === offerId ? { ...o, pinned: false } : o,
      );
      await this.saveOffers(session, offers);
    });
  }

  private consoleLock<T>(sessionId: string, work: () => Promise<T>): Promise<T> {
    return this.locks.hold('live-console-lock', sessionId, work, 'errors.tryAgain');
  }

  /** FerretDB v1 has no positional ($) update: offers are written whole, then Redis follows. */
  private async saveOffers(session: SessionDoc, offers: LiveOffer[]) {
    await LiveSessionModel.updateOne({ _id: session._id }, { $set: { offers } });
    await this.syncWindows(String(session._id));
    this.markDirty(String(session._id));
  }

  async setAllotment(actor: Actor | undefined, raw: unknown) {
    const { sessionId, offerId, allotment } = parseInput(allotmentInput, raw);
    // Two tablets may steer one session: each change reads and writes the offers under a lock.
    return this.consoleLock(sessionId, async () => {
      const session = await this.controlled(actor, sessionId);
      this.offer(session, offerId);
      await this.ensureCounters(session);
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
      this.markDirty(sessionId);
    });
  }

  async announce(actor: Actor | undefined, raw: unknown) {
    const { sessionId, text } = parseInput(announceInput, raw);
    await this.controlled(actor, sessionId);
    await this.postMessage(sessionId, {
      userId: actor!.id,
      name: actor!.displayName,
      text,
      kind: 'announce',
    });
  }

  async deleteMessage(actor: Actor | undefined, raw: unknown) {
    const { sessionId, messageId } = parseInput(deleteMessageInput, raw);
    await this.controlled(actor, sessionId);
    const key = this.deps.keys.key('live', sessionId, 'chat');
    for (const item of await this.deps.redis.lrange(key, 0, -1)) {
      if ((JSON.parse(item) as ChatMessage).id === messageId)
        await this.deps.redis.lrem(key, 1, item);
    }
    this.deps.realtime.toRoom(`live:${sessionId}`, 'live:chat-deleted', { messageId });
  }

  async mute(actor: Actor | undefined, raw: unknown) {
    const { sessionId, userId } = parseInput(muteInput, raw);
    await this.controlled(actor, sessionId);
    await LiveSessionModel.updateOne(
      { _id: sessionId },
      { $addToSet: { mutedUserIds: new Types.ObjectId(userId) } },
    );
  }

  // ---------- the buyer ----------

  /**
   * One tap (or one 扣1) in the live room. The reservation script decides everything, and it
   * looks at the buy's key first: a resend of a buy that succeeded gets its order back whatever
   * the counters say now. Sold-out answers never touch MongoDB.
   */
  async buy(actor: Actor | undefined, input: BuyInput, channel: 'live' | 'comment' = 'live') {
    if (!actor) throw new Unauthenticated('errors.signInToBuy');
    // Read through a one-second cache: in a rush every buyer asks about the same session.
    const session = await this.sessions.get(input.sessionId, () => this.session(input.sessionId));
    const offer = this.offer(session, input.offerId);
    const placement: Placement = {
      idempotencyKey: `live-${input.clientKey}`,
      lines: [{ skuId: String(offer.skuId), quantity: input.quantity }],
      resend: input.resend === true,
    };
    const step: ReservationStep = {
      channel,
      unitPriceFen: offer.livePriceFen,
      live: { sessionId: input.sessionId, offerId: input.offerId },
      reserve: async (placementKey, orderNo, lines) => {
        const reserve = () =>
          this.deps.stock.buy(
            input.sessionId,
            input.offerId,
            actor.id,
            placementKey,
            orderNo,
            lines[0]!.skuId,
            lines[0]!.quantity,
          );
        let outcome = await reserve();
        if (outcome.kind === 'missing_offer') {
          // Counters lost (a Redis wipe): rebuild them from MongoDB, one rebuild per process.
          await this.rebuildCounters(input.sessionId);
          outcome = await reserve();
        }
        if (outcome.kind === 'closed' && session.status !== 'live')
          throw new Conflict('errors.sessionNotLive');
        return outcome;
      },
      // A first-time buyer has none yet: the order is placed anyway and asks for it.
      deliverTo: () => this.deps.addresses.defaultAddress(actor.id),
    };
    const order = await this.deps.orders.placeOrder(actor, placement, step);
    this.markDirty(input.sessionId, {
      name: maskName(actor.displayName),
      quantity: input.quantity,
      offerId: input.offerId,
      at: Date.now(),
    });
    return {
      orderNo: order.orderNo,
      payBy: order.payBy,
      totalFen: order.totalFen,
      quantity: order.lines.reduce((sum, l) => sum + l.quantity, 0),
      needsAddress: !order.address,
      // Where it goes, as the buyer may check it at a glance (and change it in the room).
      shipTo: shipToOf(order.address),
    };
  }

  /** Recreates a session's offer counters from MongoDB; concurrent callers share one rebuild. */
  private rebuildCounters(sessionId: string): Promise<void> {
    return this.rebuilds.get(sessionId, async () => {
      await this.ensureCounters(await this.session(sessionId));
    });
  }

  async joinWaitlist(actor: Actor | undefined, raw: unknown) {
    if (!actor) throw new Unauthenticated('errors.signInToBuy');
    const { sessionId, offerId } = parseInput(offerRef, raw);
    const session = await this.session(sessionId);
    this.offer(session, offerId);
    await this.ensureCounters(session);
    return { position: await this.deps.stock.joinWaitlist(sessionId, offerId, actor.id) };
  }

  /**
   * A chat message. While a product is pinned, a message such as 扣1 or 要3斤 from a signed-in
   * buyer also places an order; the answer goes to them alone.
   */
  async chat(actor: Actor | undefined, raw: unknown) {
    if (!actor) throw new Unauthenticated('errors.signInToChat');
    const { sessionId, text } = parseInput(chatInput, raw);
    const session = await this.session(sessionId);
    // Mutes are kept on the session in MongoDB, so a Redis wipe does not lift them.
    if ((session.mutedUserIds ?? []).some((id) => String(id) === actor.id))
      throw new Forbidden('errors.muted');
    const message = await this.postMessage(sessionId, {
      userId: actor.id,
      name: actor.displayName,
      text,
      kind: 'chat',
    });
    const pinned = session.offers.find((o) => o.pinned);
    if (!pinned || session.status !== 'live') return { message };
    const sku = await SkuModel.findById(pinned.skuId).lean();
    const spec = sku?.spec.zh ?? '';
    const asked = readCommentOrder(text, spec);
    if (!asked) return { message };
    // A weight is answered with the packs it became (要3斤 = 6 袋 × 250g), whatever happens next.
    const note =
      asked.kind === 'count'
        ? undefined
        : asked.kind === 'weight'
          ? {
              code: 'live.weightAsPacks',
              params: { asked: asked.asked, packs: asked.quantity, spec },
            }
          : {
              code: asked.reason === 'noWeight' ? 'live.weightNoSize' : 'live.weightTooMuch',
              params: { asked: asked.asked, spec },
            };
    if (asked.kind === 'unfit') return { message, note };
    try {
      const order = await this.buy(
        actor,
        {
          sessionId,
          offerId: pinned.offerId,
          quantity: asked.quantity,
          clientKey: `comment-${message.id}`,
        },
        'comment',
      );
      return { message, order, note };
    } catch (error) {
      // The message stands; the buyer alone learns why no order was made.
      if (!(error instanceof AppError)) throw error;
      return { message, note, orderError: { code: error.code, params: error.params } };
    }
  }

  // ---------- counters, waitlist, returns ----------

  /**
   * Creates the Redis counters of every offer from MongoDB when they are missing, with the
   * placement keys of the orders already placed, so a resend still finds its order.
   */
  async ensureCounters(session: SessionDoc) {
    const sessionId = String(session._id);
    let created = false;
    for (const offer of session.offers) {
      if (await this.deps.stock.exists(sessionId, offer.offerId)) continue;
      const orders = await OrderModel.find(
        { 'live.sessionId': session._id, 'live.offerId': offer.offerId, status: { $in: HOLDING } },
        { buyerId: 1, lines: 1, orderNo: 1, idempotencyKey: 1 },
      ).lean();
      const buyers = new Map<string, number>();
      let sold = 0;
      for (const o of orders) {
        const qty = o.lines.reduce((s, l) => s + l.quantity, 0);
        sold += qty;
        buyers.set(String(o.buyerId), (buyers.get(String(o.buyerId)) ?? 0) + qty);
      }
      const made = await this.deps.stock.create(
        sessionId,
        offer.offerId,
        offer.allotment,
        sold,
        offer.perBuyerLimit,
        buyers,
      );
      if (made) await this.deps.stock.rememberPlacements(orders);
      created = true;
    }
    // The SKU counters too, before the first buy: a rush must not find them missing at once.
    if (created)
      await this.deps.stock.ensureSkuCounters(session.offers.map((o) => String(o.skuId)));
    if (created) await this.syncWindows(sessionId);
  }

  /** Open or close each offer in Redis to match the session in MongoDB. */
  private async syncWindows(sessionId: string) {
    this.sessions.forget(sessionId);
    const session = (await LiveSessionModel.findById(sessionId).lean()) as SessionDoc;
    await this.ensureCountersExist(session);
    for (const offer of session.offers) {
      const open = session.status === 'live' && offer.pinned;
      const opensAt = offer.flashStartsAt?.getTime();
      const closesAt =
        opensAt && offer.flashDurationS ? opensAt + offer.flashDurationS * 1000 : undefined;
      await this.deps.stock.setWindow(
        sessionId,
        offer.offerId,
        open ? 'open' : 'closed',
        opensAt,
        closesAt,
      );
      await this.deps.stock.setLimit(sessionId, offer.offerId, offer.perBuyerLimit);
    }
  }

  private async ensureCountersExist(session: SessionDoc) {
    for (const offer of session.offers) {
      if (!(await this.deps.stock.exists(String(session._id), offer.offerId)))
        return this.ensureCounters(session);
    }
  }

  /** Called by the order core when a live order's units come back (expired, cancelled). */
  async unitsReturned(order: Order) {
    if (!order.live?.sessionId || !order.live.offerId) return;
    const sessionId = String(order.live.sessionId);
    const quantity = order.lines.reduce((s, l) => s + l.quantity, 0);
    const { heldFor } = await this.deps.stock.giveBack(
      sessionId,
      order.live.offerId,
      order.orderNo,
      String(order.buyerId),
      quantity,
      order.live.epoch ?? '',
    );
    if (heldFor) await this.offerHold(sessionId, order.live.offerId, heldFor, quantity);
    this.markDirty(sessionId);
  }

  async expireHold(sessionId: string, offerId: string, buyerId: string) {
    const { heldFor } = await this.deps.stock.expireHold(sessionId, offerId, buyerId);
    if (heldFor)
      await this.offerHold(
        sessionId,
        offerId,
        heldFor,
        await this.deps.stock.hold(sessionId, offerId, heldFor),
      );
    this.markDirty(sessionId);
  }

  private async offerHold(sessionId: string, offerId: string, buyerId: string, quantity: number) {
    const until = Date.now() + HOLD_SECONDS * 1000;
    this.deps.realtime.toRoom(`user:${buyerId}`, 'live:waitlist-offer', {
      sessionId,
      offerId,
      quantity,
      until,
    });
    await this.deps.holdQueue.add(
      HOLD_EXPIRE_JOB,
      { sessionId, offerId, buyerId },
      {
        delay: HOLD_SECONDS * 1000,
        jobId: `hold-${sessionId}-${offerId}-${buyerId}-${until}`,
        removeOnComplete: 1000,
      },
    );
  }

  // ---------- chat, room updates, console ----------

  private async postMessage(
    sessionId: string,
    m: Omit<ChatMessage, 'id' | 'at'>,
  ): Promise<ChatMessage> {
    const message: ChatMessage = { ...m, id: randomBytes(5).toString('hex'), at: Date.now() };
    const key = this.deps.keys.key('live', sessionId, 'chat');
    await this.deps.redis
      .multi()
      .rpush(key, JSON.stringify(message))
      .ltrim(key, -CHAT_KEEP, -1)
      .expire(key, 7 * 24 * 3600)
      .exec();
    this.deps.realtime.toRoom(`live:${sessionId}`, 'live:chat', message);
    return message;
  }

  async recentChat(sessionId: string): Promise<ChatMessage[]> {
    return (await this.deps.redis.lrange(this.deps.keys.key('live', sessionId, 'chat'), 0, -1)).map(
      (m) => JSON.parse(m) as ChatMessage,
    );
  }

  async viewerJoined(sessionId: string, delta: 1 | -1) {
    const key = this.deps.keys.key('live', sessionId, 'viewers');
    const n = await this.deps.redis.incrby(key, delta);
    if (n < 0) await this.deps.redis.set(key, 0);
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
    return this.deps.realtime.localRoomSize(`live:${sessionId}`) > BIG_ROOM
      ? BIG_ROOM_FLUSH_MS
      : FLUSH_MS;
  }

  private async pushState(sessionId: string, feed: unknown[]) {
    // Through the one-second cache: the counters, which move, come from Redis.
    const session = await this.sessions.get(sessionId, () => this.session(sessionId));
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
    this.deps.realtime.toRoom(`live:${sessionId}`, 'live:state', {
      status: session.status,
      offers,
      viewers,
      feed,
      serverNow: Date.now(),
    });
  }

  /** The console's numbers: viewers, orders, paid vs unpaid, GMV in fen, sell-through per offer. */
  async dashboard(actor: Actor | undefined, sessionId: string) {
    const session = await this.controlled(actor, sessionId);
    // Every open console asks each second; they share one computation per second.
    return this.dashboards.get(sessionId, () => this.computeDashboard(session));
  }

  private async computeDashboard(session: SessionDoc) {
    const sessionId = String(session._id);
    // Summed here rather than by $group: FerretDB v1 does not group on a compound key.
    const orders = await OrderModel.find(
      { 'live.sessionId': session._id },
      { status: 1, lines: 1 },
    ).lean();
    const rows = orders.map((o) => ({
      _id: { status: o.status },
      orders: 1,
      fen: o.lines.reduce((s, l) => s + l.lineTotalFen, 0),
    }));
    const sum = (statuses: OrderStatus[], field: 'orders' | 'fen') =>
      rows
        .filter((r) => statuses.includes(r._id.status as OrderStatus))
        .reduce((s, r) => s + r[field], 0);
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
      orders: sum(HOLDING, 'orders'),
      unpaid: { orders: sum(['pending_payment'], 'orders'), fen: sum(['pending_payment'], 'fen') },
      paid: { orders: sum(PAID, 'orders'), fen: sum(PAID, 'fen') },
      gmvFen: sum(HOLDING, 'fen'),
      offers,
      serverNow: Date.now(),
    };
  }

  /** A sold-out answer for a buyer is just the SoldOut error; re-exported for the dispatcher. */
  static isSoldOut(error: unknown): boolean {
    return error instanceof SoldOut;
  }
}
