// The one socket dispatcher: every event passes the same steps in the same order — who is
// asking (from the HTTP session), flood limits per socket and per person, the handler, and an
// acknowledgement {ok:true,data} or {ok:false,code,message} with the message in their language.
import { noteParams } from '../i18n/notes.ts';
import type { i18n, TFunction } from 'i18next';
import type { Request } from 'express';
import { RateLimiterMemory, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Server, Socket } from 'socket.io';
import type { z } from 'zod';
import { AppError, Invalid, TooManyRequests } from '../errors.ts';
import { isLocale, type Locale } from '../i18n/index.ts';
import type { Logger } from '../logger.ts';
import { parseInput } from '../validation.ts';
import { controlCharacterRefusal } from './input-guard.ts';

/** Whoever the HTTP session says is asking (the accounts domain puts them on the request). */
type Actor = NonNullable<Request['actor']>;

export interface SocketContext {
  actor: Actor | undefined;
  socket: Socket;
  locale: Locale;
  t: TFunction;
}

export interface SocketEvent<I = unknown> {
  name: string;
  /** Events per 10 seconds, per socket and per signed-in person. */
  perTenSeconds: number;
  /** The event's input schema: validated here, before the handler, so handlers get typed input. */
  input?: z.ZodType<I>;
  handle(ctx: SocketContext, input: I): Promise<unknown>;
}

/** Declares an event whose input the dispatcher validates against `input`. */
export function validatedEvent<S extends z.ZodType>(
  event: Omit<SocketEvent<z.output<S>>, 'input'> & { input: S },
): SocketEvent {
  return event as unknown as SocketEvent;
}

export type Ack =
  | { ok: true; data: unknown }
  | { ok: false; code: string; message: string; fields?: { field: string; message: string }[] };

export function createSocketDispatcher(io: Server, deps: { i18n: i18n; logger: Logger }) {
  const events: SocketEvent[] = [];
  const perSocket = new Map<string, RateLimiterAbstract>();
  const perUser = new Map<string, RateLimiterAbstract>();

  const limiterFor = (event: SocketEvent) => {
    if (!perSocket.has(event.name)) {
      perSocket.set(
        event.name,
        new RateLimiterMemory({ points: event.perTenSeconds, duration: 10 }),
      );
      // Per person, counted by each web process: flood control need not be exact across
      // processes (a person's sockets spread over P processes get up to P times the limit), and
      // a Redis round trip before every event was a fifth of a live buy's latency in a rush.
      perUser.set(
        event.name,
        new RateLimiterMemory({ points: event.perTenSeconds * 2, duration: 10 }),
      );
    }
    return { socket: perSocket.get(event.name)!, user: perUser.get(event.name)! };
  };

  const toAck = (error: unknown, locale: Locale): Ack => {
    const t = deps.i18n.getFixedT(locale);
    if (error instanceof AppError) {
      return {
        ok: false,
        code: error.code,
        message: t(error.code, noteParams(error.params, locale)),
        ...(error instanceof Invalid && error.fields.length
          ? {
              fields: error.fields.map((f) => ({
                field: f.field,
                message: t(f.code, f.params ?? {}),
              })),
            }
          : {}),
      };
    }
    deps.logger.error({ err: error }, 'socket handler failed');
    return { ok: false, code: 'errors.internal', message: t('errors.internal') };
  };

  io.on('connection', (socket) => {
    const request = socket.request as Request;
    const cookieLang = /(?:^|;\s*)lang=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
    const locale: Locale = isLocale(cookieLang) ? cookieLang : 'zh-CN';
    for (const event of events) {
      socket.on(event.name, async (...args: unknown[]) => {
        // The acknowledgement is the last argument: an emit with no payload still gets its answer
        // (the missing input is then refused like any bad input).
        const ack = typeof args.at(-1) === 'function' ? args.pop() : undefined;
        const input = args[0];
        const reply = ack ? (ack as (a: Ack) => void) : () => {};
        // The session may have changed (signed in elsewhere in this browser): read it each time.
        const actor = request.session?.actor;
        try {
          const limits = limiterFor(event);
          await limits.socket.consume(socket.id).catch(() => {
            throw new TooManyRequests();
          });
          if (actor) {
            await limits.user.consume(actor.id).catch(() => {
              throw new TooManyRequests();
            });
          }
          const refusal = controlCharacterRefusal(input);
          if (refusal) throw refusal;
          const data = await event.handle(
            { actor, socket, locale, t: deps.i18n.getFixedT(locale) },
            event.input ? parseInput(event.input, input) : input,
          );
          reply({ ok: true, data: data ?? null });
        } catch (error) {
          reply(toAck(error, locale));
        }
      });
    }
  });

  return {
    register(...more: SocketEvent[]) {
      events.push(...more);
    },
    toAck,
  };
}
