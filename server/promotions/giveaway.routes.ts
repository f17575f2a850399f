// /giveaways/:giveawayId: a lucky bag's public draw record. Anyone may check a draw: the seed
// commitment shown from the start, the seed, the entry tokens and their hash, the drawn order and
// the winners (masked), with the server's own check of drawing again from the record.
import { Router } from 'express';
import { NotFound } from '../core/errors.ts';
import { formatFen } from '../core/http/views.ts';
import { pickLocalized } from '../core/localized-text.ts';
import { giveawayIdSchema } from './giveaway-terms.ts';
import { giveawayRecord } from './giveaway-records.ts';

export function giveawayRoutes(): Router {
  const router = Router();

  router.get('/giveaways/:giveawayId', async (req, res) => {
    const id = giveawayIdSchema.safeParse(req.params.giveawayId);
    if (!id.success) throw new NotFound('errors.giveawayNotFound');
    const { giveaway: g, entries, ...check } = await giveawayRecord(id.data);
    const prize =
      g.prize.kind === 'sku'
        ? req.t('giveaways.prizeSku', {
            title: pickLocalized(g.prize.title ?? undefined, req.locale),
            spec: pickLocalized(g.prize.spec ?? undefined, req.locale),
          })
        : req.t('giveaways.prizeCoupon', {
            off: formatFen(g.prize.offFen ?? 0),
            min: formatFen(g.prize.minFen ?? 0),
          });
    res.render('promotions/giveaway-record', {
      title: req.t('giveaways.recordPage.title'),
      giveaway: {
        giveawayId: g.giveawayId,
        sessionId: String(g.sessionId),
        prize,
        winners: g.winners,
        seedHash: g.seedHash,
        drawnAt: g.drawnAt,
        ...(check.drawn
          ? {
              seed: g.seed,
              entryCount: g.entryCount ?? 0,
              entriesHash: g.entriesHash,
              entries: entries.join('\n'),
              results: (g.results ?? []).map((r, i) => ({
                rank: i + 1,
                token: r.token,
                name: r.name,
                outcome: r.outcome,
              })),
            }
          : {}),
      },
      drawn: check.drawn,
      verified: check.drawn && check.verdict.ok,
      problem: check.drawn && !check.verdict.ok ? check.verdict.problem : undefined,
    });
  });

  return router;
}
