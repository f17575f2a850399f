// A live room's chat: messages kept in a short Redis list and sent to the room, and comment-to-order
// (扣1, 要3斤) for a signed-in buyer while a product is pinned.
import { randomBytes } from 'node:crypto';
import type { Actor } from '../accounts/actor.ts';
import { AppError, Forbidden, NotFound, Unauthenticated } from '../core/errors.ts';
import { isSimulatedBuyer } from './rehearsal-crowd.ts';
import { isShopPerson } from './rehearsals.ts';
import { readCommentOrder } from './comment-order.ts';
import type { LiveBuying } from './live-buying.ts';
import type { LiveGiveaways } from './live-giveaways.ts';
import type { ChatInput } from './live-input.ts';
import { findSession, type LiveDeps } from './live-sessions.ts';
import { rooms } from '../core/rooms.ts';
import { skuById } from '../catalogue/catalogue-reads.ts';

const CHAT_KEEP = 50;

export interface ChatMessage {
  id: string;
  userId: string;
  name: string;
  text: string;
  at: number;
  kind: 'chat' | 'announce';
}

export class LiveChat {
  private readonly deps: LiveDeps;
  private readonly buying: LiveBuying;
  private readonly giveaways: LiveGiveaways;

  constructor(deps: LiveDeps, buying: LiveBuying, giveaways: LiveGiveaways) {
    this.deps = deps;
    this.buying = buying;
    this.giveaways = giveaways;
  }

  /**
   * A chat message. While a product is pinned, a message such as 扣1 or 要3斤 from a signed-in
   * buyer also places an order; the answer goes to them alone.
   */
  async chat(actor: Actor | undefined, input: ChatInput) {
    if (!actor) throw new Unauthenticated('errors.signInToChat');
    const { sessionId, text } = input;
    const session = await findSession(sessionId);
    // Mutes are kept on the session in MongoDB, so a Redis wipe does not lift them.
    if ((session.mutedUserIds ?? []).some((id) => String(id) === actor.id))
      throw new Forbidden('errors.muted');
    // A rehearsal's room is its shop's and its simulated crowd's alone.
    if (session.rehearsalOf && !isShopPerson(actor, session) && !isSimulatedBuyer(actor.id))
      throw new NotFound('errors.sessionNotFound');
    const message = await this.postMessage(sessionId, {
      userId: actor.id,
      name: actor.displayName,
      text,
      kind: 'chat',
    });
    if (session.status !== 'live') return { message };
    // The open lucky bag's keyword enters it (once, however often it is sent).
    const entered = await this.giveaways.enterByComment(actor, sessionId, text);
    if (entered) return { message, enteredGiveaway: entered };
    const pinned = session.offers.find((o) => o.pinned);
    if (!pinned) return { message };
    const sku = await skuById(pinned.skuId);
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
      const order = await this.buying.buy(
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

  async postMessage(sessionId: string, m: Omit<ChatMessage, 'id' | 'at'>): Promise<ChatMessage> {
    const message: ChatMessage = { ...m, id: randomBytes(5).toString('hex'), at: Date.now() };
    const key = this.deps.keys.key('live', sessionId, 'chat');
    await this.deps.redis
      .multi()
      .rpush(key, JSON.stringify(message))
      .ltrim(key, -CHAT_KEEP, -1)
      .expire(key, 7 * 24 * 3600)
      .exec();
    this.deps.realtime.toRoom(rooms.live(sessionId), 'live:chat', message);
    return message;
  }

  async recentChat(sessionId: string): Promise<ChatMessage[]> {
    return (await this.deps.redis.lrange(this.deps.keys.key('live', sessionId, 'chat'), 0, -1)).map(
      (m) => JSON.parse(m) as ChatMessage,
    );
  }

  /** Takes a message out of the room's chat, for everyone in the room. */
  async removeMessage(sessionId: string, messageId: string) {
    const key = this.deps.keys.key('live', sessionId, 'chat');
    for (const item of await this.deps.redis.lrange(key, 0, -1)) {
      if ((JSON.parse(item) as ChatMessage).id === messageId)
        await this.deps.redis.lrem(key, 1, item);
    }
    this.deps.realtime.toRoom(rooms.live(sessionId), 'live:chat-deleted', { messageId });
  }
}
