// What a live room shows a viewer (offers, counters, the pinned product's trace card, chat), and
// the lists of rooms on the home page and in the streamer's studio.
import type { Types } from 'mongoose';
import type { Actor } from '../accounts/actor.ts';
import { pickLocalized } from '../core/localized-text.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import { nextBatchToShip } from '../hub/batch-allocation.ts';
import type { LiveChat } from './live-chat.ts';
import type { LiveCounters } from './live-counters.ts';
import { LiveSessionModel } from './live-session.model.ts';
import {
  findSession,
  ownShopId,
  type LiveDeps,
  type SessionCache,
  type SessionDoc,
} from './live-sessions.ts';
import {
  productsByIds,
  shopById,
  shopsByIds,
  skusByIds,
  villageById,
} from '../catalogue/catalogue-reads.ts';

interface TraceCard {
  village: string;
  producer: string;
  harvestDate: string;
  inspection: 'passed' | 'failed' | null;
  station: string;
}

/** How long after its start a session that never went live is still listed as coming. */
const STALE_SCHEDULE_MS = 2 * 3600 * 1000;

export class RoomView {
  private readonly deps: LiveDeps;
  private readonly sessions: SessionCache;
  private readonly counters: LiveCounters;
  private readonly chat: LiveChat;
  private readonly traceCards = new TtlCache<TraceCard | null>(60_000);
  private readonly roomCatalogues = new TtlCache<Awaited<ReturnType<RoomView['roomCatalogue']>>>(
    1000,
    1000,
    { staleWhileRevalidate: true },
  );

  constructor(deps: LiveDeps, sessions: SessionCache, counters: LiveCounters, chat: LiveChat) {
    this.deps = deps;
    this.sessions = sessions;
    this.counters = counters;
    this.chat = chat;
  }

  /** Everything a live room shows; also sent again after every reconnect. */
  async roomState(sessionId: string, locale: string) {
    // Thousands of viewers join a room within seconds: what changes rarely is read through
    // one-second caches; counters, chat and viewers come from Redis.
    const session = await this.sessions.get(sessionId, () => findSession(sessionId));
    await this.counters.ensureCountersExist(session);
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
      replayUrl: session.replayUrl ?? '',
      /** A rehearsal (彩排): the scheduled session it practises. */
      rehearsalOf: session.rehearsalOf ? String(session.rehearsalOf) : null,
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
      chat: await this.chat.recentChat(String(session._id)),
      viewers: Number(
        (await this.deps.redis.get(this.deps.keys.key('live', String(session._id), 'viewers'))) ??
          0,
      ),
      serverNow: Date.now(),
    };
  }

  private async roomCatalogue(session: SessionDoc) {
    const skus = await skusByIds(session.offers.map((o) => o.skuId));
    const products = await productsByIds(skus.map((s) => s.productId));
    const shop = await shopById(session.shopId);
    const village = shop && (await villageById(shop.villageId));
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
      const village = batch.villageId ? await villageById(batch.villageId) : null;
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
   * The session on air right now with one of these SKUs pinned (the product page's "watch
   * live"). Sessions on air are few; FerretDB v1 has no $elemMatch, so the match is made here.
   */
  async sessionOnAirPinning(skuIds: string[]): Promise<string | undefined> {
    const wanted = new Set(skuIds);
    const onAir = await LiveSessionModel.find(
      { status: 'live', rehearsalOf: { $exists: false } },
      { offers: 1 },
    ).lean();
    const found = onAir.find((s) => s.offers.some((o) => o.pinned && wanted.has(String(o.skuId))));
    return found ? String(found._id) : undefined;
  }

  /**
   * The home page's rooms: up to twelve on air, and the next twelve to come. A session whose
   * start passed more than two hours ago without going live is no longer offered.
   */
  async listForHome(locale: string) {
    const [onAir, next] = await Promise.all([
      // Rehearsals are their shop's alone.
      LiveSessionModel.find({ status: 'live', rehearsalOf: { $exists: false } })
        .sort({ scheduledAt: -1 })
        .limit(12)
        .lean(),
      LiveSessionModel.find({
        status: 'scheduled',
        scheduledAt: { $gte: new Date(Date.now() - STALE_SCHEDULE_MS) },
      })
        .sort({ scheduledAt: 1 })
        .limit(12)
        .lean(),
    ]);
    const sessions = [...onAir, ...next];
    const shops = await shopsByIds(
      sessions.map((s) => s.shopId),
      { approved: true },
    );
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
    const shopId = ownShopId(actor);
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
}
