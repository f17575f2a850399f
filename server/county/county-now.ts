// The "now" of /county, refreshed every few seconds while the page is open: the rooms on air
// (from the live counters in Redis), today's sales against yesterday and the same weekday last
// week (from the figures), and the order funnel with the oldest order waiting at each stage.
import { shopNamesByIds } from '../catalogue/catalogue-reads.ts';
import { chinaDay, shiftChinaDay } from '../core/china-time.ts';
import { pickLocalized } from '../core/localized-text.ts';
import { TtlCache } from '../core/ttl-cache.ts';
import type { OnAirRoom } from '../live/on-air-figures.ts';
import { oldestOrderIn, type OrderStatus } from '../orders/order-reads.ts';
import { currentFigures, sumFigures } from './county-dashboard.ts';

/** The funnel's stages, as order statuses, in the order an order moves through them. */
export const FUNNEL: OrderStatus[] = [
  'pending_payment',
  'paid',
  'routed',
  'picking',
  'packed',
  'shipped',
  'delivered',
];
const RATE_WINDOW_MS = 60_000;

export interface CountyNowDeps {
  onAirRooms(): Promise<OnAirRoom[]>;
}

export class CountyNow {
  private readonly deps: CountyNowDeps;
  /** Units sold per room at recent reads: a room's buys per minute is the change over a minute. */
  private readonly samples = new Map<string, { at: number; sold: number }[]>();
  /** The oldest order per stage is a sort over every order: read at most every 15 seconds. */
  private readonly oldest = new TtlCache<{ orderNo: string; updatedAt: Date } | null>(15_000, 20, {
    staleWhileRevalidate: true,
  });

  constructor(deps: CountyNowDeps) {
    this.deps = deps;
  }

  async rooms(locale: string, now = Date.now()) {
    const rooms = await this.deps.onAirRooms();
    const shops = new Map(
      (await shopNamesByIds([...new Set(rooms.map((r) => r.shopId))])).map((s) => [
        String(s._id),
        pickLocalized(s.name, locale),
      ]),
    );
    for (const id of this.samples.keys())
      if (!rooms.some((r) => r.sessionId === id)) this.samples.delete(id);
    return rooms
      .map((room) => {
        const history = (this.samples.get(room.sessionId) ?? []).filter(
          (s) => now - s.at <= RATE_WINDOW_MS,
        );
        history.push({ at: now, sold: room.sold });
        this.samples.set(room.sessionId, history);
        const first = history[0]!;
        const minutes = (now - first.at) / 60_000;
        return {
          sessionId: room.sessionId,
          title: pickLocalized(room.title, locale),
          shop: shops.get(room.shopId) ?? '',
          viewers: room.viewers,
          sold: room.sold,
          allotment: room.allotment,
          placedFen: room.placedFen,
          sellThroughPct: room.allotment ? Math.round((room.sold * 100) / room.allotment) : 0,
          buysPerMin: minutes >= 0.05 ? Math.round((room.sold - first.sold) / minutes) : null,
        };
      })
      .sort((a, b) => b.placedFen - a.placedFen);
  }

  /** Today's GMV, orders and paid share, beside yesterday and the same weekday a week ago. */
  async today(now = new Date()) {
    const today = chinaDay(now);
    const days = [today, shiftChinaDay(today, -1), shiftChinaDay(today, -7)] as const;
    const sums = await sumFigures('shop', { from: days[2], to: today }, (_k, day) => day);
    const figure = (day: string) => {
      const n = sums.get(day) ?? {};
      const placed = n.placed ?? 0;
      return {
        day,
        gmvFen: n.gmvFen ?? 0,
        orders: placed,
        paid: n.paid ?? 0,
        paidPct: placed ? Math.round(((n.paid ?? 0) * 100) / placed) : 0,
      };
    };
    const [now_, yesterday, lastWeek] = days.map(figure) as [
      ReturnType<typeof figure>,
      ReturnType<typeof figure>,
      ReturnType<typeof figure>,
    ];
    const change = (a: number, b: number) => (b ? Math.round(((a - b) * 100) / b) : null);
    return {
      ...now_,
      yesterday,
      lastWeek,
      vsYesterdayPct: change(now_.gmvFen, yesterday.gmvFen),
      vsLastWeekPct: change(now_.gmvFen, lastWeek.gmvFen),
    };
  }

  /** Orders at each stage now, and how long the oldest has waited there. */
  async funnel(now = Date.now()) {
    const counts = await currentFigures('status');
    const count = (status: string) =>
      counts.filter((f) => f.keys.status === status).reduce((s, f) => s + (f.n.orders ?? 0), 0);
    return Promise.all(
      FUNNEL.map(async (status) => {
        const n = count(status);
        const oldest =
          n > 0 && status !== 'delivered'
            ? await this.oldest.get(status, () => oldestOrderIn(status))
            : null;
        return {
          status,
          count: n,
          oldestNo: oldest?.orderNo,
          oldestHours: oldest
            ? Math.floor((now - new Date(oldest.updatedAt).getTime()) / 3_600_000)
            : null,
        };
      }),
    );
  }
}
