// Shoppable replays (回放): once a session has ended and its streamer has set the recording, the
// pins, flash sales and announcements it made on air become chapters ("00:12:40 大红袍花椒 特级
// 250g") that seek the video, each product with a buy button at the shop's regular price (the
// live price ended with the session). Replays are listed on the shop and product pages.
import type { Actor } from '../accounts/actor.ts';
import { Conflict, NotFound } from '../core/errors.ts';
import { pickLocalized, type LocalizedText } from '../core/localized-text.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import { z } from 'zod';
import { objectIdSchema, parseInput, plainText } from '../core/validation.ts';
import { productsByIds, shopById, skusByIds } from '../catalogue/catalogue-reads.ts';
import { LiveSessionModel } from './live-session.model.ts';
import { controlledSession, findSession } from './live-sessions.ts';

export const recordingInput = z.object({
  sessionId: objectIdSchema,
  url: plainText('validation.replayUrl', { max: 500 }).refine(
    (v) => v === '' || /^https:\/\/\S+$/.test(v),
    'validation.replayUrl',
  ),
});
export type RecordingInput = z.output<typeof recordingInput>;

/** "00:12:40": hours, minutes and seconds into the recording. */
export const chapterTime = (seconds: number) =>
  [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60), seconds % 60]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');

const PLAYS_IN_PAGE = /\.(m3u8|mp4|webm)(\?|$)/;

type ReplayLink = { sessionId: string; title: LocalizedText; seconds: number; time: string };

export class Replays {
  /** Product pages are viewed far more often than replays are made: read through 30 s. */
  private readonly bySkus = new TtlCache<ReplayLink[]>(30_000, 1000);

  /** The streamer (or the admin) sets or clears the recording of an ended session. */
  async setRecording(actor: Actor | undefined, raw: unknown) {
    const input = parseInput(recordingInput, raw);
    const session = await controlledSession(actor, input.sessionId);
    if (session.status !== 'ended') throw new Conflict('errors.replayBeforeEnd');
    await LiveSessionModel.updateOne(
      { _id: session._id },
      input.url ? { $set: { replayUrl: input.url } } : { $unset: { replayUrl: 1 } },
    );
    return { replayUrl: input.url || null };
  }

  /** The replay page: the recording and its chapters. */
  async page(sessionId: string, locale: string) {
    const session = await findSession(sessionId);
    if (session.status !== 'ended' || !session.replayUrl)
      throw new NotFound('errors.replayNotFound');
    const started = (session.startedAt ?? session.scheduledAt).getTime();
    const skuIds = session.offers.map((o) => o.skuId);
    const skus = await skusByIds(skuIds);
    const products = await productsByIds(skus.map((s) => s.productId));
    const shop = await shopById(session.shopId);
    const chapters = (session.moments ?? [])
      .slice()
      .sort((a, b) => a.at.getTime() - b.at.getTime())
      .map((m) => {
        const seconds = Math.max(0, Math.floor((m.at.getTime() - started) / 1000));
        const base = { seconds, time: chapterTime(seconds), kind: m.kind };
        if (m.kind === 'announce') return { ...base, text: m.text ?? '' };
        const offer = session.offers.find((o) => o.offerId === m.offerId);
        const sku = offer && skus.find((s) => String(s._id) === String(offer.skuId));
        const product = sku && products.find((p) => String(p._id) === String(sku.productId));
        if (!sku || !product) return { ...base, gone: true };
        return {
          ...base,
          title: pickLocalized(product.title, locale),
          spec: pickLocalized(sku.spec, locale),
          photo: product.photos[0],
          skuId: String(sku._id),
          productSlug: product.slug,
          priceFen: sku.priceFen,
          // Taken off sale (or the product archived) since: the chapter stays, the buy goes.
          gone: !sku.active || product.status !== 'active',
        };
      });
    return {
      sessionId,
      title: pickLocalized(session.title, locale),
      shop: shop ? { name: pickLocalized(shop.name, locale), slug: shop.slug } : null,
      replayUrl: session.replayUrl,
      playsInPage: PLAYS_IN_PAGE.test(session.replayUrl),
      endedAt: session.endedAt,
      chapters,
    };
  }

  /**
   * Replays that show one of these SKUs (a product page: 在回放中看讲解), with the moment each
   * was first shown. Ended sessions are many but small; FerretDB v1 matches arrays by scanning
   * anyway, so the match is made here.
   */
  forSkus(skuIds: string[], limit = 3): Promise<ReplayLink[]> {
    return this.bySkus.get([...skuIds].sort().join(','), () => this.findForSkus(skuIds, limit));
  }

  private async findForSkus(skuIds: string[], limit: number): Promise<ReplayLink[]> {
    const wanted = new Set(skuIds);
    const sessions = await LiveSessionModel.find(
      { status: 'ended', replayUrl: { $exists: true } },
      { title: 1, offers: 1, moments: 1, startedAt: 1, scheduledAt: 1, endedAt: 1 },
    )
      .sort({ endedAt: -1 })
      .limit(200)
      .lean();
    const found = [];
    for (const s of sessions) {
      const offers = new Set(
        s.offers.filter((o) => wanted.has(String(o.skuId))).map((o) => o.offerId),
      );
      const moment = (s.moments ?? []).find((m) => m.offerId && offers.has(m.offerId));
      if (!moment) continue;
      const started = (s.startedAt ?? s.scheduledAt).getTime();
      const seconds = Math.max(0, Math.floor((moment.at.getTime() - started) / 1000));
      found.push({ sessionId: String(s._id), title: s.title, seconds, time: chapterTime(seconds) });
      if (found.length >= limit) break;
    }
    return found;
  }

  /** A shop's replays, newest first. */
  async forShop(shopId: string, limit = 6) {
    const sessions = await LiveSessionModel.find(
      { shopId, status: 'ended', replayUrl: { $exists: true } },
      { title: 1, endedAt: 1, moments: 1 },
    )
      .sort({ endedAt: -1 })
      .limit(limit)
      .lean();
    return sessions.map((s) => ({
      sessionId: String(s._id),
      title: s.title,
      endedAt: s.endedAt,
      chapters: (s.moments ?? []).filter((m) => m.kind !== 'announce').length,
    }));
  }
}
