// Live sessions, as the rest of the app sees them (`services.live`): one object that builds the
// parts (room view, console, buying, chat, counters, room updates) around one process's shared
// state and hands each call to its part. Transport-free: sockets and HTTP routes both call these.
import { onAirRooms, type OnAirRoom } from './on-air-figures.ts';
import type { Actor } from '../accounts/actor.ts';
import { Conflict, SoldOut } from '../core/errors.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import type { Order } from '../orders/order-reads.ts';
import { LiveBuying } from './live-buying.ts';
import { LiveChat, type ChatMessage } from './live-chat.ts';
import { LiveConsole } from './live-console.ts';
import { LiveCounters } from './live-counters.ts';
import { LiveCoupons } from './live-coupons.ts';
import { LiveGiveaways } from './live-giveaways.ts';
import type { ClaimCouponInput, DropCouponInput } from '../promotions/coupon-terms.ts';
import type { EnterGiveawayInput, StartGiveawayInput } from '../promotions/giveaway-terms.ts';
import type {
  AllotmentInput,
  AnnounceInput,
  BuyInput,
  ChatInput,
  DeleteMessageInput,
  FlashInput,
  MuteInput,
  OfferRef,
  SessionRef,
} from './live-input.ts';
import { controlledSession, findSession, type LiveDeps, type SessionDoc } from './live-sessions.ts';
import { rooms } from '../core/rooms.ts';
import { RoomUpdates } from './room-updates.ts';
import { RoomView } from './room-view.ts';
import { Replays } from './replays.ts';
import { Rehearsals } from './rehearsals.ts';
import { RehearsalCrowds, type CrowdInput } from './rehearsal-crowd.ts';

// What the workers and the composition root import from here.
export { HOLD_EXPIRE_JOB } from './live-counters.ts';
export type { ChatMessage, LiveDeps, OnAirRoom };

export class LiveService {
  private readonly view: RoomView;
  private readonly controls: LiveConsole;
  private readonly buying: LiveBuying;
  private readonly messages: LiveChat;
  private readonly counters: LiveCounters;
  private readonly updates: RoomUpdates;
  private readonly coupons: LiveCoupons;
  private readonly giveaways: LiveGiveaways;
  private readonly replays = new Replays();
  private readonly rehearsals: Rehearsals;
  private readonly crowds: RehearsalCrowds;

  private readonly deps: LiveDeps;
  /** The sessions a rush reads through, shared by every part. */
  private readonly sessions: TtlCache<SessionDoc>;

  constructor(deps: LiveDeps) {
    this.deps = deps;
    // One of each per process, shared by every part: the sessions a rush reads through, the
    // counters, and the pending room pushes.
    const sessions = new TtlCache<SessionDoc>(1000, 1000, { staleWhileRevalidate: true });
    this.sessions = sessions;
    this.updates = new RoomUpdates(deps, sessions);
    this.counters = new LiveCounters(deps, sessions, this.updates);
    this.rehearsals = new Rehearsals(deps, this.counters, this.updates);
    this.buying = new LiveBuying(deps, sessions, this.counters, this.updates, this.rehearsals);
    this.giveaways = new LiveGiveaways(deps, sessions);
    this.messages = new LiveChat(deps, this.buying, this.giveaways);
    this.controls = new LiveConsole(
      deps,
      this.counters,
      this.updates,
      this.messages,
      this.rehearsals,
    );
    // A rehearsal's simulated buyers use the room's own paths.
    this.crowds = new RehearsalCrowds(
      {
        chat: (actor, input) => this.messages.chat(actor, input),
        buy: (actor, input) => this.buying.buy(actor, input),
        setViewers: async (sessionId, viewers) => {
          await deps.redis.set(deps.keys.key('live', sessionId, 'viewers'), viewers, 'EX', 3600);
          this.updates.markDirty(sessionId);
        },
        pretendPaid: (sessionId, orderNo) => this.rehearsals.pretendPaid(sessionId, orderNo),
        pretendLapsed: (sessionId, orderNo) => this.rehearsals.pretendLapsed(sessionId, orderNo),
        state: this.rehearsals.crowdState,
      },
      deps.logger,
    );
    this.view = new RoomView(deps, sessions, this.counters, this.messages);
    this.coupons = new LiveCoupons(deps, sessions);
  }

  // ---------- reading ----------

  session(sessionId: string): Promise<SessionDoc> {
    return findSession(sessionId);
  }

  /** Every room on air with its viewers and sales from the live counters (the county's view). */
  onAirRooms(): Promise<OnAirRoom[]> {
    return onAirRooms(this.deps);
  }

  /**
   * Everything a live room shows; also sent again after every reconnect. A rehearsal's room is
   * for its shop's people alone: anyone else finds nothing.
   */
  async roomState(sessionId: string, locale: string, actor?: Actor) {
    const state = await this.view.roomState(sessionId, locale);
    if (state.rehearsalOf)
      this.rehearsals.assertVisible(
        actor,
        await this.sessions.get(sessionId, () => findSession(sessionId)),
      );
    return state;
  }

  listForHome(locale: string) {
    return this.view.listForHome(locale);
  }

  sessionOnAirPinning(skuIds: string[]): Promise<string | undefined> {
    return this.view.sessionOnAirPinning(skuIds);
  }

  listForShop(actor: Actor | undefined, locale: string) {
    return this.view.listForShop(actor, locale);
  }

  /** An ended session's replay: the recording and its chapters. */
  replayPage(sessionId: string, locale: string) {
    return this.replays.page(sessionId, locale);
  }

  /** Replays that show one of these SKUs (a product page), at the moment each was shown. */
  replaysForSkus(skuIds: string[]) {
    return this.replays.forSkus(skuIds);
  }

  replaysForShop(shopId: string) {
    return this.replays.forShop(shopId);
  }

  /** The streamer sets the recording of an ended session (its VOD playlist or watch link). */
  setRecording(actor: Actor | undefined, raw: unknown) {
    return this.replays.setRecording(actor, raw);
  }

  // ---------- the streamer's controls ----------

  schedule(actor: Actor | undefined, raw: unknown): Promise<string> {
    return this.controls.schedule(actor, raw);
  }

  /** Going on air ends the session's rehearsal, if one is running. */
  async goLive(actor: Actor | undefined, input: SessionRef) {
    const session = await controlledSession(actor, input.sessionId);
    if (session.rehearsalOf) throw new Conflict('errors.rehearsalNotOnAir');
    await this.controls.goLive(actor, input);
    const rehearsalId = await this.rehearsals.runningFor(input.sessionId);
    if (rehearsalId) await this.endRehearsal(actor, rehearsalId);
  }

  /** Ends a session; ending a rehearsal discards it and everything it made. */
  async end(actor: Actor | undefined, input: SessionRef) {
    const session = await controlledSession(actor, input.sessionId);
    if (session.rehearsalOf) return this.endRehearsal(actor, input.sessionId);
    return this.controls.end(actor, input);
  }

  // ---------- rehearsals (彩排) ----------

  /** Opens (or finds) the rehearsal of a scheduled session: its own console and room. */
  openRehearsal(actor: Actor | undefined, input: SessionRef) {
    return this.rehearsals.open(actor, input);
  }

  runningRehearsal(sessionId: string) {
    return this.rehearsals.runningFor(sessionId);
  }

  /** Switches the simulated buyers of a rehearsal on (or retunes them). */
  async startCrowd(actor: Actor | undefined, input: CrowdInput) {
    await this.rehearsalControlled(actor, input.sessionId);
    return this.crowds.start(input);
  }

  async stopCrowd(actor: Actor | undefined, input: SessionRef) {
    await this.rehearsalControlled(actor, input.sessionId);
    const ran = this.crowds.status(input.sessionId);
    await this.crowds.stop(input.sessionId);
    return { ...ran, running: false };
  }

  private async rehearsalControlled(actor: Actor | undefined, sessionId: string) {
    const session = await controlledSession(actor, sessionId);
    if (!session.rehearsalOf) throw new Conflict('errors.notRehearsal');
    return session;
  }

  private async endRehearsal(actor: Actor | undefined, rehearsalId: string) {
    const session = await this.rehearsalControlled(actor, rehearsalId);
    await this.crowds.stop(rehearsalId);
    await this.rehearsals.discard(session);
    this.deps.realtime.toRoom(rooms.live(rehearsalId), 'live:rehearsal-ended', {
      sessionId: String(session.rehearsalOf),
    });
    return { discarded: true, sessionId: String(session.rehearsalOf) };
  }

  /** Stops this process's simulated crowds (at shutdown). */
  stopCrowds() {
    this.crowds.stopAll();
  }

  pin(actor: Actor | undefined, input: OfferRef, pinned: boolean) {
    return this.controls.pin(actor, input, pinned);
  }

  openFlash(actor: Actor | undefined, input: FlashInput) {
    return this.controls.openFlash(actor, input);
  }

  closeFlash(actor: Actor | undefined, input: OfferRef) {
    return this.controls.closeFlash(actor, input);
  }

  setAllotment(actor: Actor | undefined, input: AllotmentInput) {
    return this.controls.setAllotment(actor, input);
  }

  announce(actor: Actor | undefined, input: AnnounceInput) {
    return this.controls.announce(actor, input);
  }

  deleteMessage(actor: Actor | undefined, input: DeleteMessageInput) {
    return this.controls.deleteMessage(actor, input);
  }

  mute(actor: Actor | undefined, input: MuteInput) {
    return this.controls.mute(actor, input);
  }

  /** The console's numbers: viewers, orders, paid vs unpaid, GMV in fen, sell-through per offer. */
  dashboard(actor: Actor | undefined, sessionId: string) {
    return this.controls.dashboard(actor, sessionId);
  }

  /** Drops coupons in the session: N of them, first come, first served, one per buyer. */
  dropCoupons(actor: Actor | undefined, input: DropCouponInput) {
    return this.coupons.drop(actor, input);
  }

  /** Starts a lucky bag (福袋) in the session: a prize, winners, how to enter, how long. */
  startGiveaway(actor: Actor | undefined, input: StartGiveawayInput) {
    return this.giveaways.start(actor, input);
  }

  drawGiveawayNow(actor: Actor | undefined, input: EnterGiveawayInput) {
    return this.giveaways.drawNow(actor, input);
  }

  // ---------- the buyer ----------

  enterGiveaway(actor: Actor | undefined, input: EnterGiveawayInput) {
    return this.giveaways.enter(actor, input);
  }

  roomGiveaways(sessionId: string, buyerId?: string) {
    return this.giveaways.roomGiveaways(sessionId, buyerId);
  }

  claimCoupon(actor: Actor | undefined, input: ClaimCouponInput) {
    return this.coupons.claim(actor, input);
  }

  roomCoupons(sessionId: string, buyerId?: string) {
    return this.coupons.roomCoupons(sessionId, buyerId);
  }

  /** One tap (or one 扣1) in the live room: see LiveBuying.buy. */
  buy(actor: Actor | undefined, input: BuyInput, channel: 'live' | 'comment' = 'live') {
    return this.buying.buy(actor, input, channel);
  }

  joinWaitlist(actor: Actor | undefined, input: OfferRef) {
    return this.buying.joinWaitlist(actor, input);
  }

  /** A chat message; while a product is pinned, 扣1 or 要3斤 also places an order. */
  chat(actor: Actor | undefined, input: ChatInput) {
    return this.messages.chat(actor, input);
  }

  recentChat(sessionId: string): Promise<ChatMessage[]> {
    return this.messages.recentChat(sessionId);
  }

  // ---------- counters, waitlist, returns ----------

  ensureCounters(session: SessionDoc) {
    return this.counters.ensureCounters(session);
  }

  /** Called by the order core when a live order's units come back (expired, cancelled). */
  unitsReturned(order: Order) {
    return this.counters.unitsReturned(order);
  }

  expireHold(sessionId: string, offerId: string, buyerId: string) {
    return this.counters.expireHold(sessionId, offerId, buyerId);
  }

  // ---------- room updates ----------

  viewerJoined(sessionId: string, delta: 1 | -1) {
    return this.updates.viewerJoined(sessionId, delta);
  }

  markDirty(sessionId: string, purchase?: unknown) {
    this.updates.markDirty(sessionId, purchase);
  }

  /** A sold-out answer for a buyer is just the SoldOut error; re-exported for the dispatcher. */
  static isSoldOut(error: unknown): boolean {
    return error instanceof SoldOut;
  }
}
