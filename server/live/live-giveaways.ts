// Lucky bags (福袋) in a live room: the console starts one with one of the session's products (or
// a coupon) as the prize, buyers enter by tapping or commenting the keyword. The giveaways
// themselves (entries, the draw, the prizes) belong to server/promotions/; this part knows the
// session, its offers and who may steer it.
import type { Actor } from '../accounts/actor.ts';
import { Conflict, NotFound } from '../core/errors.ts';
import type { EnterGiveawayInput, StartGiveawayInput } from '../promotions/giveaway-terms.ts';
import { productById, skuById } from '../catalogue/catalogue-reads.ts';
import {
  asPromotionSession,
  controlledSession,
  findSession,
  offerOf,
  type LiveDeps,
  type SessionCache,
} from './live-sessions.ts';

export class LiveGiveaways {
  private readonly deps: LiveDeps;
  private readonly sessions: SessionCache;

  constructor(deps: LiveDeps, sessions: SessionCache) {
    this.deps = deps;
    this.sessions = sessions;
  }

  async start(actor: Actor | undefined, input: StartGiveawayInput) {
    const session = await controlledSession(actor, input.sessionId);
    // A rehearsal never touches stock: no prizes there.
    if (session.rehearsalOf) throw new Conflict('errors.notInRehearsal');
    let prizeSku;
    if (input.prize === 'sku') {
      const offer = offerOf(session, input.offerId!);
      const sku = await skuById(offer.skuId);
      const product = sku ? await productById(sku.productId) : null;
      if (!sku || !product) throw new NotFound('errors.productUnavailable');
      prizeSku = { skuId: String(sku._id), title: product.title, spec: sku.spec };
    }
    return this.deps.giveaways.start(actor!, asPromotionSession(session), input, prizeSku);
  }

  /** The streamer draws now, before the time is up (立即开奖). */
  async drawNow(actor: Actor | undefined, input: EnterGiveawayInput) {
    const session = await controlledSession(actor, input.sessionId);
    const views = await this.deps.giveaways.roomGiveaways(String(session._id));
    if (!views.some((g) => g.giveawayId === input.giveawayId))
      throw new NotFound('errors.giveawayNotFound');
    await this.deps.giveaways.draw(input.giveawayId, { now: true });
    return (await this.deps.giveaways.roomGiveaways(String(session._id), actor!.id)).find(
      (g) => g.giveawayId === input.giveawayId,
    );
  }

  /** A buyer's tap on 参与, read through the session cache as a buy is. */
  async enter(actor: Actor | undefined, input: EnterGiveawayInput) {
    const session = await this.sessions.get(input.sessionId, () => findSession(input.sessionId));
    return this.deps.giveaways.enter(actor, asPromotionSession(session), input.giveawayId);
  }

  /** A comment that is the open giveaway's keyword enters it (once). */
  enterByComment(actor: Actor, sessionId: string, text: string) {
    return this.deps.giveaways.enterByComment(actor, sessionId, text);
  }

  roomGiveaways(sessionId: string, buyerId?: string) {
    return this.deps.giveaways.roomGiveaways(sessionId, buyerId);
  }

  sessionEnded(sessionId: string) {
    return this.deps.giveaways.sessionEnded(sessionId);
  }
}
