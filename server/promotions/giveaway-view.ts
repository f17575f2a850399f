// A lucky bag as the room shows it: the prize, how to enter, the count, and once drawn, the
// winners with masked names. Both languages of a title travel, as the room's pushes go to
// everyone in it; the page picks its own.
import { entryToken } from './giveaway-draw.ts';
import type { Giveaway } from './giveaway.model.ts';

export interface GiveawayView {
  giveawayId: string;
  sessionId: string;
  status: 'open' | 'drawing' | 'drawn';
  prize:
    | { kind: 'sku'; title: { zh: string; en: string }; spec: { zh: string; en: string } }
    | { kind: 'coupon'; offFen: number; minFen: number };
  winners: number;
  entry: 'tap' | 'keyword';
  keyword: string | null;
  endsAt: number;
  entries: number;
  seedHash: string;
  result: {
    winners: { name: string; token: string }[];
    shortBy: number;
  } | null;
  /** For a signed-in buyer: their entry token, whether they entered, and what they won. */
  mine: { token: string; entered: boolean; won: boolean; orderNo: string | null } | null;
}

const text = (t: { zh?: string | null; en?: string | null } | null | undefined) => ({
  zh: t?.zh ?? '',
  en: t?.en || t?.zh || '',
});

export function giveawayView(
  g: Giveaway & { giveawayId: string },
  seen: { entries: number; entered: boolean; buyerId?: string | undefined },
): GiveawayView {
  const winners = (g.results ?? []).filter((r) => r.outcome === 'won');
  const token = seen.buyerId ? entryToken(g.giveawayId, seen.buyerId) : null;
  const mineWon = token ? winners.find((w) => w.token === token) : undefined;
  const drawnMine = token ? (g.drawn ?? []).includes(token) : false;
  return {
    giveawayId: g.giveawayId,
    sessionId: String(g.sessionId),
    status: g.status,
    prize:
      g.prize.kind === 'sku'
        ? { kind: 'sku', title: text(g.prize.title), spec: text(g.prize.spec) }
        : { kind: 'coupon', offFen: g.prize.offFen ?? 0, minFen: g.prize.minFen ?? 0 },
    winners: g.winners,
    entry: g.entry,
    keyword: g.keyword ?? null,
    endsAt: g.endsAt.getTime(),
    entries: seen.entries,
    seedHash: g.seedHash,
    result:
      g.status === 'drawn'
        ? {
            winners: winners.map((w) => ({ name: w.name, token: w.token })),
            shortBy: g.shortBy ?? 0,
          }
        : null,
    mine: token
      ? {
          token,
          entered: seen.entered || drawnMine,
          won: Boolean(mineWon),
          orderNo: mineWon?.orderNo ?? null,
        }
      : null,
  };
}
