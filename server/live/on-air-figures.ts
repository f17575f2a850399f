// Every room on air as the county sees it: viewers, units sold and placed value from the live
// counters in Redis (no order is read), so the county's page costs the rush nothing.
import type { LocalizedText } from '../core/localized-text.ts';
import type { LiveDeps } from './live-sessions.ts';
import { LiveSessionModel } from './live-session.model.ts';

export interface OnAirRoom {
  sessionId: string;
  shopId: string;
  title: LocalizedText;
  startedAt?: Date;
  viewers: number;
  /** Units sold (placed and not given back) and the units offered. */
  sold: number;
  allotment: number;
  /** The value of the units sold at their live prices, in fen. */
  placedFen: number;
}

export async function onAirRooms(deps: Pick<LiveDeps, 'redis' | 'keys' | 'stock'>) {
  // Rehearsals are not on air: the county never counts them.
  const sessions = await LiveSessionModel.find(
    { status: 'live', rehearsalOf: { $exists: false } },
    { shopId: 1, title: 1, startedAt: 1, offers: 1 },
  ).lean();
  return Promise.all(
    sessions.map(async (s): Promise<OnAirRoom> => {
      const sessionId = String(s._id);
      const counters = await Promise.all(
        s.offers.map((o) => deps.stock.counters(sessionId, o.offerId)),
      );
      let sold = 0;
      let allotment = 0;
      let placedFen = 0;
      s.offers.forEach((offer, i) => {
        const c = counters[i];
        sold += c?.sold ?? 0;
        allotment += c?.allotment ?? offer.allotment;
        placedFen += (c?.sold ?? 0) * offer.livePriceFen;
      });
      const viewers = Number(
        (await deps.redis.get(deps.keys.key('live', sessionId, 'viewers'))) ?? 0,
      );
      return {
        sessionId,
        shopId: String(s.shopId),
        title: s.title,
        ...(s.startedAt ? { startedAt: s.startedAt } : {}),
        viewers,
        sold,
        allotment,
        placedFen,
      };
    }),
  );
}
