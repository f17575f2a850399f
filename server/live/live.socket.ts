// Live-room socket events: a table of name, flood limit, input schema and one call into
// LiveService. The dispatcher validates each event's input against its schema before the call.
import type { z } from 'zod';
import type { Actor } from '../accounts/actor.ts';
import { validatedEvent, type SocketEvent } from '../core/http/socket-dispatcher.ts';
import { rooms } from '../core/rooms.ts';
import {
  allotmentInput,
  announceInput,
  buyInput,
  chatInput,
  deleteMessageInput,
  flashInput,
  muteInput,
  offerRef,
  sessionRef,
} from './live-input.ts';
import type { LiveService } from './live-service.ts';
import { recordingInput } from './replays.ts';
import { crowdInput } from './rehearsal-crowd.ts';
import { claimCouponInput, dropCouponInput } from '../promotions/coupon-terms.ts';
import { enterGiveawayInput, startGiveawayInput } from '../promotions/giveaway-terms.ts';

export function liveSocketEvents(live: LiveService): SocketEvent[] {
  // A console control: thirty a person per ten seconds (a busy assistant), validated input.
  const control = <S extends z.ZodType>(
    name: string,
    input: S,
    run: (actor: Actor | undefined, input: z.output<S>) => Promise<unknown>,
  ): SocketEvent =>
    validatedEvent({ name, perTenSeconds: 30, input, handle: ({ actor }, i) => run(actor, i) });

  return [
    validatedEvent({
      name: 'live:join',
      perTenSeconds: 10,
      input: sessionRef,
      async handle({ socket, actor, locale }, { sessionId }) {
        const state = await live.roomState(sessionId, locale, actor);
        const joined = (socket.data.liveRooms ??= new Set<string>()) as Set<string>;
        if (!joined.has(sessionId)) {
          joined.add(sessionId);
          await socket.join(rooms.live(sessionId));
          await live.viewerJoined(sessionId, 1);
          socket.once('disconnect', () => void live.viewerJoined(sessionId, -1).catch(() => {}));
        }
        return {
          ...state,
          coupons: await live.roomCoupons(sessionId, actor?.id),
          giveaways: await live.roomGiveaways(sessionId, actor?.id),
          me: actor ? { id: actor.id, name: actor.displayName } : null,
        };
      },
    }),
    validatedEvent({
      name: 'live:buy',
      perTenSeconds: 10,
      input: buyInput,
      handle: ({ actor }, input) => live.buy(actor, input),
    }),
    validatedEvent({
      name: 'live:chat',
      perTenSeconds: 8,
      input: chatInput,
      async handle({ actor, t }, input) {
        const result = await live.chat(actor, input);
        const failed = result.orderError;
        const note = result.note ? t(result.note.code, result.note.params) : null;
        return {
          message: result.message,
          order: result.order ?? null,
          // The lucky bag this comment entered (its keyword), with the buyer's entry token.
          enteredGiveaway: 'enteredGiveaway' in result ? result.enteredGiveaway : null,
          // How a weight became packs, said to the buyer alone (with the refusal, if any).
          note,
          orderError: failed
            ? {
                code: failed.code,
                message: [note, t(failed.code, failed.params)].filter(Boolean).join(' '),
              }
            : null,
        };
      },
    }),
    validatedEvent({
      name: 'live:coupon-claim',
      perTenSeconds: 5,
      input: claimCouponInput,
      handle: ({ actor }, input) => live.claimCoupon(actor, input),
    }),
    validatedEvent({
      name: 'live:giveaway-enter',
      perTenSeconds: 5,
      input: enterGiveawayInput,
      handle: ({ actor }, input) => live.enterGiveaway(actor, input),
    }),
    validatedEvent({
      name: 'live:waitlist',
      perTenSeconds: 5,
      input: offerRef,
      handle: ({ actor }, input) => live.joinWaitlist(actor, input),
    }),
    control('live:go-live', sessionRef, (a, i) => live.goLive(a, i)),
    control('live:end', sessionRef, (a, i) => live.end(a, i)),
    control('live:pin', offerRef, (a, i) => live.pin(a, i, true)),
    control('live:unpin', offerRef, (a, i) => live.pin(a, i, false)),
    control('live:flash', flashInput, (a, i) => live.openFlash(a, i)),
    control('live:flash-close', offerRef, (a, i) => live.closeFlash(a, i)),
    control('live:allotment', allotmentInput, (a, i) => live.setAllotment(a, i)),
    control('live:announce', announceInput, (a, i) => live.announce(a, i)),
    control('live:delete-message', deleteMessageInput, (a, i) => live.deleteMessage(a, i)),
    control('live:mute', muteInput, (a, i) => live.mute(a, i)),
    control('live:coupon-drop', dropCouponInput, (a, i) => live.dropCoupons(a, i)),
    control('live:giveaway-start', startGiveawayInput, (a, i) => live.startGiveaway(a, i)),
    control('live:giveaway-draw', enterGiveawayInput, (a, i) => live.drawGiveawayNow(a, i)),
    validatedEvent({
      name: 'live:recording',
      perTenSeconds: 10,
      input: recordingInput,
      handle: ({ actor }, input) => live.setRecording(actor, input),
    }),
    control('live:rehearsal-open', sessionRef, (a, i) => live.openRehearsal(a, i)),
    control('live:crowd', crowdInput, (a, i) => live.startCrowd(a, i)),
    control('live:crowd-stop', sessionRef, (a, i) => live.stopCrowd(a, i)),
    control('live:dashboard', sessionRef, (a, i) => live.dashboard(a, i.sessionId)),
  ];
}
