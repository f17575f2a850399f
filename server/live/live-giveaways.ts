// Lucky bags (福袋) in a live room: the console starts one with one of the session's products (or
// a coupon) as the prize, buyers enter by tapping or commenting the keyword. The giveaways
// themselves (entries, the draw, the prizes) belong to server/promotions/; this part knows the
// session, its offers and who may steer it.
import type { Actor } from '../accounts/actor.ts';
import { Conflict, Invalid, NotFound } from '../core/errors.ts';
import { readCommentOrder } from './comment-order.ts';
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
    // A keyword that reads as an order (扣1, 要3斤) would enter buyers instead of selling to them.
    if (input.keyword && readCommentOrder(input.keyword, ''))
      throw new Invalid('errors.invalid', [
        { field: 'keyword', code: 'validation.giveawayKeywordIsOrder' },
      ]);
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
    // Only a bag of this session: another's is not found, and never drawn from here.
    const bag = await this.deps.giveaways.view(input.giveawayId);
    if (bag.sessionId !== String(session._id)) throw new NotFound('errors.giveawayNotFound');
    await this.deps.giveaways.draw(input.giveawayId, { now: true });
    return this.deps.giveaways.view(input.giveawayId, actor!.id);
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
