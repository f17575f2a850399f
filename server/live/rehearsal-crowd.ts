// Simulated buyers for a rehearsal (彩排): N viewers, comments at a rate (a share of them 扣1),
// and buys per minute, run once a second in the process that started them. They go through
// the room's own paths (the chat with comment-to-order, the one-tap buy), so the console's
// counters, dashboard, waitlist and flash countdown move as they would on air; a rehearsal's
// buys never leave its namespace (rehearsals.ts). Some of them pay, pretend money; the rest let
// their orders lapse, and the units go back or to the waitlist. Also `npm run rehearse`.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Actor } from '../accounts/actor.ts';
import type { Logger } from '../core/logger.ts';
import { objectIdSchema, wholeNumber } from '../core/validation.ts';
import { findSession } from './live-sessions.ts';

export const crowdInput = z.object({
  sessionId: objectIdSchema,
  viewers: wholeNumber('validation.crowdViewers', { min: 0, max: 5000 }),
  commentsPerMinute: wholeNumber('validation.crowdComments', { min: 0, max: 600 }),
  /** Of the comments, the share (%) that are 扣1. */
  kouShare: wholeNumber('validation.crowdShare', { min: 0, max: 100 }),
  buysPerMinute: wholeNumber('validation.crowdBuys', { min: 0, max: 3000 }),
});
export type CrowdInput = z.output<typeof crowdInput>;

/** A crowd stops by itself after this long, or when the rehearsal ends. */
const LONGEST_MS = 30 * 60_000;
const TICK_MS = 1000;
/** Of a simulated buyer's orders, this share is paid (pretend), after 2–8 s; the rest lapse. */
const PAYING_SHARE = 0.7;
const LAPSE_AFTER_MS = 20_000;

const CHATTER = [
  '主播好',
  '这个香不香',
  '包邮吗',
  '多少钱一斤',
  '已关注',
  '上次买的很好',
  '支持平顺',
];

/** What the crowd asks of the live service: the room's own entry points. */
export interface CrowdRoom {
  chat(actor: Actor, input: { sessionId: string; text: string }): Promise<{ order?: unknown }>;
  buy(
    actor: Actor,
    input: { sessionId: string; offerId: string; quantity: number; clientKey: string },
  ): Promise<{ orderNo: string }>;
  setViewers(sessionId: string, viewers: number): Promise<void>;
  pretendPaid(sessionId: string, orderNo: string): Promise<void>;
  pretendLapsed(sessionId: string, orderNo: string): Promise<void>;
  /**
   * The crowd's state in Redis, in the rehearsal's namespace: its settings and the running
   * process's last beat, so any process can retune or stop a crowd another one runs.
   */
  state: {
    read(sessionId: string): Promise<CrowdState | null>;
    /** `onlyIfThere`: a beat never brings back a crowd that was stopped meanwhile. */
    write(sessionId: string, state: CrowdState, ttlS: number, onlyIfThere?: boolean): Promise<void>;
    clear(sessionId: string): Promise<void>;
  };
}

export interface CrowdState {
  settings: CrowdInput;
  beat: number;
}

/** A crowd whose process has not beaten for this long is taken over by the next start. */
const BEAT_STALE_MS = 5000;

interface Running {
  settings: CrowdInput;
  timer: NodeJS.Timeout;
  until: number;
  /** Fractions of a comment or a buy carried to the next second. */
  owed: { comments: number; buys: number };
  figures: { comments: number; buys: number; refused: number };
  followUps: Set<NodeJS.Timeout>;
  /** The tick under way, awaited by stop (a discard must not race a buy). */
  ticking: Promise<void> | null;
}

/**
 * The simulated buyer number `i` of a rehearsal. Its id starts ffffffff, a creation time no real
 * ObjectId has before 2106, so it can never be a real account.
 */
export function simulatedBuyer(sessionId: string, i: number): Actor {
  const id = `ffffffff${sessionId.slice(-6)}${i.toString(16).padStart(10, '0')}`;
  return { id, role: 'buyer', displayName: `彩排观众${i + 1}` };
}

export const isSimulatedBuyer = (actorId: string) => actorId.startsWith('ffffffff');

export class RehearsalCrowds {
  private readonly room: CrowdRoom;
  private readonly logger: Logger;
  private readonly running = new Map<string, Running>();

  constructor(room: CrowdRoom, logger: Logger) {
    this.room = room;
    this.logger = logger;
  }

  /** Starts (or retunes) the crowd of a rehearsal, wherever it runs. */
  async start(input: CrowdInput) {
    const { sessionId } = input;
    const current = await this.room.state.read(sessionId);
    const elsewhere =
      !this.running.has(sessionId) && current && Date.now() - current.beat < BEAT_STALE_MS;
    await this.room.state.write(
      sessionId,
      { settings: input, beat: current?.beat ?? Date.now() },
      LONGEST_MS / 1000,
    );
    await this.room.setViewers(sessionId, input.viewers);
    const existing = this.running.get(sessionId);
    if (existing) existing.settings = input;
    // Running on another process: it reads the new settings at its next tick.
    if (existing || elsewhere) return { running: true, ...input, ...existing?.figures };
    const run: Running = {
      settings: input,
      until: Date.now() + LONGEST_MS,
      owed: { comments: 0, buys: 0 },
      figures: { comments: 0, buys: 0, refused: 0 },
      followUps: new Set(),
      ticking: null,
      timer: setInterval(() => {
        if (run.ticking) return; // a slow second: skip a beat rather than pile up
        run.ticking = this.tick(sessionId)
          .catch((error: unknown) =>
            this.logger.warn({ err: error, sessionId }, 'rehearsal crowd tick failed'),
          )
          .finally(() => (run.ticking = null));
      }, TICK_MS),
    };
    run.timer.unref();
    this.running.set(sessionId, run);
    return this.status(sessionId);
  }

  /** Stops the crowd, wherever it runs (the one here at once, another at its next tick). */
  async stop(sessionId: string) {
    await this.room.state.clear(sessionId);
    await this.stopHere(sessionId);
    await this.room.state.clear(sessionId);
    await this.room.setViewers(sessionId, 0).catch(() => {});
  }

  private async stopHere(sessionId: string) {
    const run = this.running.get(sessionId);
    if (!run) return;
    clearInterval(run.timer);
    for (const t of run.followUps) clearTimeout(t);
    this.running.delete(sessionId);
    await run.ticking;
  }

  /** At shutdown: this process's crowds stop; their state lapses, another start takes over. */
  stopAll() {
    for (const sessionId of [...this.running.keys()]) void this.stopHere(sessionId);
  }

  status(sessionId: string) {
    const run = this.running.get(sessionId);
    return run ? { running: true, ...run.settings, ...run.figures } : { running: false };
  }

  /** One second of the crowd: its viewers, its comments, its buys. */
  async tick(sessionId: string) {
    const run = this.running.get(sessionId);
    if (!run) return;
    const state = await this.room.state.read(sessionId);
    // Stopped from another process, or its time is up.
    if (!state || Date.now() > run.until) return void this.stopHere(sessionId);
    run.settings = state.settings;
    await this.room.state.write(
      sessionId,
      { ...state, beat: Date.now() },
      Math.max(1, Math.ceil((run.until - Date.now()) / 1000)),
      true,
    );
    const session = await findSession(sessionId).catch(() => null);
    if (!session || !session.rehearsalOf || session.status !== 'live')
      return void this.stopHere(sessionId);
    const s = run.settings;
    const viewers = Math.max(1, s.viewers);
    const anyone = () => simulatedBuyer(sessionId, Math.floor(Math.random() * viewers));
    run.owed.comments += s.commentsPerMinute / 60;
    run.owed.buys += s.buysPerMinute / 60;
    const work: Promise<void>[] = [];
    // Viewers come and go a little, as in a real room.
    work.push(
      this.room.setViewers(
        sessionId,
        Math.max(0, s.viewers + Math.round((Math.random() - 0.5) * s.viewers * 0.04)),
      ),
    );
    for (; run.owed.comments >= 1; run.owed.comments--) {
      const kou = Math.random() * 100 < s.kouShare;
      const text = kou ? '扣1' : CHATTER[Math.floor(Math.random() * CHATTER.length)]!;
      const who = anyone();
      run.figures.comments++;
      work.push(
        this.room.chat(who, { sessionId, text }).then((r) => {
          const order = r.order as { orderNo?: string } | undefined;
          if (order?.orderNo) this.followUp(sessionId, run, order.orderNo);
        }),
      );
    }
    const pinned = session.offers.find((o) => o.pinned);
    for (; run.owed.buys >= 1; run.owed.buys--) {
      if (!pinned) continue;
      const who = anyone();
      work.push(
        this.room
          .buy(who, {
            sessionId,
            offerId: pinned.offerId,
            quantity: 1,
            clientKey: randomBytes(9).toString('base64url'),
          })
          .then((order) => {
            run.figures.buys++;
            this.followUp(sessionId, run, order.orderNo);
          })
          .catch(() => {
            // Sold out, over the limit, the flash sale over: counted, as the console would see.
            run.figures.refused++;
          }),
      );
    }
    await Promise.allSettled(work);
  }

  /** The simulated buyer pays a few seconds later, or lets the order lapse. */
  private followUp(sessionId: string, run: Running, orderNo: string) {
    const pays = Math.random() < PAYING_SHARE;
    const timer = setTimeout(
      () => {
        run.followUps.delete(timer);
        const done = pays
          ? this.room.pretendPaid(sessionId, orderNo)
          : this.room.pretendLapsed(sessionId, orderNo);
        void done.catch(() => {});
      },
      pays ? 2000 + Math.random() * 6000 : LAPSE_AFTER_MS,
    );
    timer.unref();
    run.followUps.add(timer);
  }
}
