// A lucky bag's public record (/giveaways/:id): the giveaway, its entry tokens, and whether
// drawing again from them gives the same winners.
import { NotFound } from '../core/errors.ts';
import { verifyDraw } from './giveaway-draw.ts';
import { GiveawayEntryListModel, GiveawayModel } from './giveaway.model.ts';

export async function giveawayRecord(giveawayId: string) {
  const g = await GiveawayModel.findOne({ giveawayId }).lean();
  if (!g) throw new NotFound('errors.giveawayNotFound');
  if (g.status === 'open') return { giveaway: g, entries: [], drawn: false as const };
  const entries = (await GiveawayEntryListModel.findById(giveawayId).lean())?.entries ?? [];
  const verdict = verifyDraw({
    seed: g.seed,
    seedHash: g.seedHash,
    entriesHash: g.entriesHash ?? '',
    entries,
    drawn: g.drawn ?? [],
  });
  return { giveaway: g, entries, drawn: true as const, verdict };
}
