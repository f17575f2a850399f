// Live-room socket events. Each is one call into LiveService; the dispatcher does the rest.
import { validatedEvent, type SocketEvent } from '../core/http/socket-dispatcher.ts';
import { buyInput } from './live-input.ts';
import { Invalid } from '../core/errors.ts';
import type { LiveService } from './live-service.ts';
import { rooms } from '../core/rooms.ts';

function sessionIdOf(input: unknown): string {
  const id = (input as { sessionId?: unknown } | null)?.sessionId;
  if (typeof id !== 'string' || !/^[a-f0-9]{24}$/.test(id))
    throw new Invalid('errors.invalid', [{ field: 'sessionId', code: 'validation.id' }]);
  return id;
}

export function liveSocketEvents(live: LiveService): SocketEvent[] {
  const control = (
    name: string,
    run: (actor: Parameters<LiveService['goLive']>[0], input: unknown) => Promise<unknown>,
  ): SocketEvent => ({
    name,
    perTenSeconds: 30,
    handle: ({ actor }, input) => run(actor, input),
  });

  return [
    {
      name: 'live:join',
      perTenSeconds: 10,
      async handle({ socket, actor, locale }, input) {
        const sessionId = sessionIdOf(input);
        const state = await live.roomState(sessionId, locale);
        const joined = (socket.data.liveRooms ??= new Set<string>()) as Set<string>;
        if (!joined.has(sessionId)) {
          joined.add(sessionId);
          await socket.join(rooms.live(sessionId));
          await live.viewerJoined(sessionId, 1);
          socket.once('disconnect', () => void live.viewerJoined(sessionId, -1).catch(() => {}));
        }
        return { ...state, me: actor ? { id: actor.id, name: actor.displayName } : null };
      },
    },
    validatedEvent({
      name: 'live:buy',
      perTenSeconds: 10,
      input: buyInput,
      handle: ({ actor }, input) => live.buy(actor, input),
    }),
    {
      name: 'live:chat',
      perTenSeconds: 8,
      async handle({ actor, t }, input) {
        const result = await live.chat(actor, input);
        const failed = result.orderError;
        const note = result.note ? t(result.note.code, result.note.params) : null;
        return {
          message: result.message,
          order: result.order ?? null,
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
    },
    {
      name: 'live:waitlist',
      perTenSeconds: 5,
      handle: ({ actor }, input) => live.joinWaitlist(actor, input),
    },
    control('live:go-live', (a, i) => live.goLive(a, i)),
    control('live:end', (a, i) => live.end(a, i)),
    control('live:pin', (a, i) => live.pin(a, i, true)),
    control('live:unpin', (a, i) => live.pin(a, i, false)),
    control('live:flash', (a, i) => live.openFlash(a, i)),
    control('live:flash-close', (a, i) => live.closeFlash(a, i)),
    control('live:allotment', (a, i) => live.setAllotment(a, i)),
    control('live:announce', (a, i) => live.announce(a, i)),
    control('live:delete-message', (a, i) => live.deleteMessage(a, i)),
    control('live:mute', (a, i) => live.mute(a, i)),
    control('live:dashboard', (a, i) => live.dashboard(a, sessionIdOf(i))),
  ];
}
