// Lucky bags (福袋): the streamer starts one in a live session (a prize, a number of winners, how
// to enter, how long); buyers enter by tapping 参与 or commenting the keyword, counted once each
// in Redis; at the end the server draws the winners with a seeded, recorded, reproducible draw
// and gives each a ¥0 order (a SKU) or a coupon. See docs/promotions.md, "Lucky bags".
import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Actor } from '../accounts/actor.ts';
import { Conflict, NotFound, SoldOut, Unauthenticated } from '../core/errors.ts';
import type { LocalizedText } from '../core/localized-text.ts';
import type { Logger } from '../core/logger.ts';
import { maskName } from '../core/masking.ts';
import type { Realtime } from '../core/realtime.ts';
import { RedisLocks } from '../core/redis-lock.ts';
import type { RedisKeys } from '../core/redis.ts';
import { rooms } from '../core/rooms.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import { CoalescedPushes } from '../core/coalesced-pushes.ts';
import type { PromotionSession } from './promotion-session.ts';
import type { Coupons } from './coupons.ts';
import { draw, entryToken, seedCommitment } from './giveaway-draw.ts';
import { GiveawayEntries } from './giveaway-entries.ts';
import { GiveawayEntryListModel, GiveawayModel, type Giveaway } from './giveaway.model.ts';
import { sameKeyword, type StartGiveawayInput } from './giveaway-terms.ts';
import { giveawayView, type GiveawayView } from './giveaway-view.ts';

export const GIVEAWAYS_QUEUE = 'giveaways';
export const DRAW_JOB = 'draw';
export const SWEEP_JOB = 'sweep';

/** What a prize order needs from the order side: one unit at ¥0, placed like any order. */
export interface PrizeOrders {
  /** Resolves with the order, or throws SoldOut when the SKU has no unit left. */
  placePrizeOrder(winner: Actor, key: string, skuId: string): Promise<{ orderNo: string }>;
}

export interface GiveawaysDeps {
  redis: Redis;
  keys: RedisKeys;
  logger: Logger;
  realtime: Realtime;
  coupons: Coupons;
  prizes: PrizeOrders;
  /** Draw jobs wait here until their giveaway ends (workers/giveaways.ts). */
  queue: Queue;
}

/** The session a giveaway belongs to, as the live domain knows it. */
export type GiveawaySession = PromotionSession;

/** The prize SKU as the live domain found it among the session's offers. */
export interface PrizeSku {
  skuId: string;
  title: LocalizedText;
  spec: LocalizedText;
}

type GiveawayDoc = Giveaway & { giveawayId: string };

/** Entry counts are pushed to the room at most this often per giveaway. */
const ROOM_PUSH_MS = 500;

export class Giveaways {
  private readonly deps: GiveawaysDeps;
  private readonly entries: GiveawayEntries;
  private readonly locks: RedisLocks;
  /** A session's giveaways: every comment in a rush asks whether it is a keyword. */
  private readonly bySession = new TtlCache<GiveawayDoc[]>(1000, 1000, {
    staleWhileRevalidate: true,
  });
  private readonly pushes = new CoalescedPushes(ROOM_PUSH_MS);

  constructor(deps: GiveawaysDeps) {
    this.deps = deps;
    this.entries = new GiveawayEntries(deps.redis, deps.keys);
    this.locks = new RedisLocks(deps.redis, deps.keys);
  }

  /** The console starts a lucky bag; one at a time per session. */
  async start(
    actor: Actor,
    session: GiveawaySession,
    input: StartGiveawayInput,
    prizeSku?: PrizeSku,
  ): Promise<GiveawayView> {
    if (!session.live) throw new Conflict('errors.sessionNotLive');
    return this.locks.hold(
      'giveaway-start',
      session.id,
      async () => {
        const open = await GiveawayModel.exists({ sessionId: session.id, status: 'open' });
        if (open) throw new Conflict('errors.giveawayStillOpen');
        const giveawayId = randomBytes(5).toString('hex');
        const coupon = input.coupon
          ? await this.deps.coupons.createPrize(actor, session, giveawayId, {
              ...input.coupon,
              total: input.winners,
            })
          : undefined;
        const seed = randomBytes(32).toString('hex');
        const endsAt = new Date(Date.now() + input.durationS * 1000);
        const doc = await GiveawayModel.create({
          giveawayId,
          sessionId: session.id,
          shopId: session.shopId,
          prize: prizeSku
            ? { kind: 'sku', skuId: prizeSku.skuId, title: prizeSku.title, spec: prizeSku.spec }
            : {
                kind: 'coupon',
                couponId: coupon!.couponId,
                offFen: input.coupon!.offFen,
                minFen: input.coupon!.minFen,
              },
          winners: input.winners,
          entry: input.entry,
          keyword: input.keyword,
          endsAt,
          seed,
          seedHash: seedCommitment(seed),
          createdBy: actor.id,
        });
        await this.entries.open(giveawayId, endsAt);
        await this.deps.queue.add(
          DRAW_JOB,
          { giveawayId },
          {
            jobId: `draw-${giveawayId}`,
            delay: input.durationS * 1000,
            attempts: 5,
            backoff: { type: 'exponential', delay: 2000 },
          },
        );
        this.bySession.forget(session.id);
        this.pushNow(session.id);
        return this.viewOf(doc.toObject() as GiveawayDoc, actor.id);
      },
      'errors.tryAgain',
    );
  }

  /** A buyer taps 参与: one entry each; a second tap is told so, an entry after the end too. */
  async enter(actor: Actor | undefined, session: GiveawaySession, giveawayId: string) {
    if (!actor) throw new Unauthenticated('errors.signInToEnter');
    if (!session.live) throw new Conflict('errors.sessionNotLive');
    const find = async () =>
      (await this.sessionGiveaways(session.id)).find((g) => g.giveawayId === giveawayId);
    let giveaway = await find();
    if (!giveaway) {
      // Started a moment ago on another process: read the session's giveaways afresh.
      this.bySession.forget(session.id);
      giveaway = await find();
    }
    if (!giveaway) throw new NotFound('errors.giveawayNotFound');
    if (giveaway.status !== 'open') throw new Conflict('errors.giveawayDrawn');
    const outcome = await this.enterOnce(giveaway, actor);
    if (outcome.kind === 'already') throw new Conflict('errors.giveawayAlreadyEntered');
    if (outcome.kind !== 'ok') throw new Conflict('errors.giveawayDrawn');
    this.pushSoon(session.id, giveawayId);
    return { giveawayId, entries: outcome.entries, token: entryToken(giveawayId, actor.id) };
  }

  /**
   * A comment in the room: if it is the keyword of the session's open giveaway, it enters (once;
   * repeats and floods count once). Answers the entry if this comment was a new one.
   */
  async enterByComment(
    actor: Actor,
    sessionId: string,
    text: string,
  ): Promise<{ giveawayId: string; token: string } | null> {
    const open = (await this.sessionGiveaways(sessionId)).find(
      (g) =>
        g.status === 'open' &&
        g.entry === 'keyword' &&
        g.keyword &&
        sameKeyword(text, g.keyword) &&
        g.endsAt.getTime() > Date.now(),
    );
    if (!open) return null;
    const outcome = await this.enterOnce(open, actor);
    if (outcome.kind !== 'ok') return null;
    this.pushSoon(sessionId, open.giveawayId);
    return { giveawayId: open.giveawayId, token: entryToken(open.giveawayId, actor.id) };
  }

  private async enterOnce(giveaway: GiveawayDoc, actor: Actor) {
    const { giveawayId } = giveaway;
    let outcome = await this.entries.enter(giveawayId, actor.id, actor.displayName);
    if (outcome.kind === 'missing') {
      // Redis lost it (a wipe): open it again from MongoDB; entries made before are lost.
      await this.entries.open(giveawayId, giveaway.endsAt);
      outcome = await this.entries.enter(giveawayId, actor.id, actor.displayName);
    }
    return outcome;
  }

  /** One giveaway as the room shows it, read afresh (the console's answer to 立即开奖). */
  async view(giveawayId: string, buyerId?: string): Promise<GiveawayView> {
    const g = await this.giveaway(giveawayId);
    if (!g) throw new NotFound('errors.giveawayNotFound');
    return this.viewOf(g, buyerId);
  }

  /** The room's giveaways (the latest three), with whether this buyer entered or won. */
  async roomGiveaways(sessionId: string, buyerId?: string): Promise<GiveawayView[]> {
    const giveaways = (await this.sessionGiveaways(sessionId)).slice(-3);
    return Promise.all(giveaways.map((g) => this.viewOf(g, buyerId)));
  }

  private async viewOf(g: GiveawayDoc, buyerId?: string): Promise<GiveawayView> {
    const open = g.status === 'open';
    const [entries, entered] = await Promise.all([
      open ? this.entries.count(g.giveawayId) : Promise.resolve(g.entryCount ?? 0),
      buyerId ? this.entries.hasEntered(g.giveawayId, buyerId) : Promise.resolve(false),
    ]);
    return giveawayView(g, { entries, entered, buyerId });
  }

  /**
   * Draws a giveaway whose time is up (or `now`, from the console or the session's end). Safe to
   * call again at any step: the draw is recorded before any prize is given, and each prize is
   * given under its own idempotent key.
   */
  async draw(giveawayId: string, opts: { now?: boolean } = {}): Promise<GiveawayDoc | null> {
    return this.locks.hold(
      'giveaway-draw',
      giveawayId,
      async () => {
        let g = await this.giveaway(giveawayId);
        if (!g || g.status === 'drawn') return g;
        if (g.status === 'open') {
          if (!opts.now && g.endsAt.getTime() > Date.now()) return g;
          g = await this.recordDraw(g);
        }
        return this.givePrizes(g);
      },
      'errors.tryAgain',
    );
  }

  /** Closes entries, draws from them and records the draw; no prize is given yet. */
  private async recordDraw(g: GiveawayDoc): Promise<GiveawayDoc> {
    await this.entries.close(g.giveawayId);
    const buyers = await this.entries.entrants(g.giveawayId);
    const byToken = new Map(buyers.map((b) => [entryToken(g.giveawayId, b), b]));
    const record = draw(g.seed, [...byToken.keys()], g.winners);
    const drawnBuyers = record.drawn.map((t) => byToken.get(t)!);
    const names = await this.entries.names(g.giveawayId, drawnBuyers);
    // The list first: a record whose giveaway says drawn always has its entries.
    await GiveawayEntryListModel.updateOne(
      { _id: g.giveawayId },
      { $setOnInsert: { entries: record.entries } },
      { upsert: true },
    );
    await GiveawayModel.updateOne(
      { giveawayId: g.giveawayId, status: 'open' },
      {
        $set: {
          status: 'drawing',
          entryCount: record.entries.length,
          entriesHash: record.entriesHash,
          drawn: record.drawn,
          results: record.drawn.map((token, i) => ({
            token,
            buyerId: drawnBuyers[i],
            name: maskName(names[i] ?? '?'),
          })),
          drawnAt: new Date(),
        },
      },
    );
    return (await this.giveaway(g.giveawayId))!;
  }

  /** Gives each drawn winner the prize, in drawn order, until it runs out. */
  private async givePrizes(g: GiveawayDoc): Promise<GiveawayDoc> {
    const results = [];
    let runOut = false;
    for (const r of g.results ?? []) {
      const winner: Actor = { id: String(r.buyerId), role: 'buyer', displayName: r.name };
      let orderNo: string | undefined;
      if (!runOut) {
        try {
          if (g.prize.kind === 'sku')
            orderNo = (
              await this.deps.prizes.placePrizeOrder(
                winner,
                `giveaway-${g.giveawayId}`,
                String(g.prize.skuId),
              )
            ).orderNo;
          else await this.deps.coupons.grantPrize(g.prize.couponId!, winner.id);
        } catch (error) {
          // The prize ran out (or its product was taken off sale): fewer winners, never oversold.
          if (!(error instanceof SoldOut) && !(error instanceof NotFound)) throw error;
          runOut = true;
        }
      }
      results.push({
        ...r,
        outcome: runOut ? 'out_of_stock' : 'won',
        ...(orderNo ? { orderNo } : {}),
      });
    }
    const shortBy = results.filter((r) => r.outcome === 'out_of_stock').length;
    await GiveawayModel.updateOne(
      { giveawayId: g.giveawayId, status: 'drawing' },
      { $set: { status: 'drawn', results, shortBy } },
    );
    const drawn = (await this.giveaway(g.giveawayId))!;
    this.bySession.forget(String(drawn.sessionId));
    this.pushNow(String(drawn.sessionId));
    for (const r of results.filter((w) => w.outcome === 'won'))
      this.deps.realtime.toRoom(rooms.user(String(r.buyerId)), 'giveaway:won', {
        giveawayId: g.giveawayId,
        sessionId: String(drawn.sessionId),
        orderNo: r.orderNo ?? null,
      });
    return drawn;
  }

  /** Draws every giveaway whose time is up and that was not drawn (a lost job, a restart). */
  async drawDue(): Promise<number> {
    const due = await GiveawayModel.find(
      { status: { $in: ['open', 'drawing'] }, endsAt: { $lte: new Date() } },
      { giveawayId: 1 },
    ).lean();
    // One bag that cannot be drawn now (busy, a failure) does not hold up the others.
    for (const g of due) await this.drawOrLog(g.giveawayId, false);
    return due.length;
  }

  /** The session has ended: its open giveaways are drawn now, before its coupons close. */
  async sessionEnded(sessionId: string): Promise<void> {
    const open = await GiveawayModel.find(
      { sessionId, status: { $in: ['open', 'drawing'] } },
      { giveawayId: 1 },
    ).lean();
    for (const g of open) await this.drawOrLog(g.giveawayId, true);
  }

  private async drawOrLog(giveawayId: string, now: boolean) {
    try {
      await this.draw(giveawayId, { now });
    } catch (error) {
      this.deps.logger.warn(
        { err: error, giveawayId },
        'lucky bag not drawn yet; the sweep retries',
      );
    }
  }

  private giveaway(giveawayId: string): Promise<GiveawayDoc | null> {
    return GiveawayModel.findOne({ giveawayId }).lean().exec() as Promise<GiveawayDoc | null>;
  }

  private sessionGiveaways(sessionId: string): Promise<GiveawayDoc[]> {
    return this.bySession.get(
      sessionId,
      () =>
        GiveawayModel.find({ sessionId }).sort({ createdAt: 1 }).lean().exec() as Promise<
          GiveawayDoc[]
        >,
    );
  }

  /** Tells the room the entry count, at most twice a second per giveaway. */
  private pushSoon(sessionId: string, giveawayId: string) {
    this.pushes.soon(giveawayId, () => this.pushNow(sessionId));
  }

  private pushNow(sessionId: string) {
    this.roomGiveaways(sessionId)
      .then((giveaways) =>
        this.deps.realtime.toRoom(rooms.live(sessionId), 'live:giveaways', {
          sessionId,
          giveaways,
        }),
      )
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: error, sessionId }, 'giveaways not pushed to the room'),
      );
  }
}
