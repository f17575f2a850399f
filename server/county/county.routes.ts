// /county: the county e-commerce centre's view across every room, village, courier and batch
// (hub staff see the logistics half), its monthly report as CSV tables and a PDF, and the
// socket event that refreshes the page's "now" numbers every few seconds.
import { Router, type Request } from 'express';
import { z } from 'zod';
import { requireRole } from '../accounts/guards.ts';
import { chinaDay } from '../core/china-time.ts';
import { Invalid } from '../core/errors.ts';
import { formErrorLocals } from '../core/http/form-errors.ts';
import { validatedEvent, type SocketEvent } from '../core/http/socket-dispatcher.ts';
import { parseRange, RANGE_KINDS, SORT_KEYS } from './county-range.ts';
import { REPORT_TABLES, reportCsv, reportPdf } from './county-report.ts';
import type { CountyView } from './county-view.ts';

const REFRESH_MS = 4_000;

export function countyRoutes(services: { countyView: CountyView }): Router {
  const router = Router();
  const { countyView } = services;
  router.use('/county', requireRole('hub_staff'));

  const render = async (req: Request, query: unknown) => {
    const range = parseRange(query);
    const page = await countyView.page(req.actor, range, req.locale, req.t);
    return {
      title: req.t('county.title'),
      page,
      isCounty: page.audience === 'county',
      rangeKinds: RANGE_KINDS.map((kind) => ({ kind, selected: kind === range.kind })),
      sortKeys: SORT_KEYS.map((key) => ({ key, selected: key === range.sort })),
      month: chinaDay(new Date()).slice(0, 7),
      tables: REPORT_TABLES,
      refreshMs: REFRESH_MS,
      // The page script fills these templates ({{name}}) as the numbers refresh.
      labels: Object.fromEntries(
        (
          [
            ['oldest', 'county.funnel.oldest'],
            ['refreshed', 'county.now.refreshed'],
            ['vsYesterday', 'county.now.vsYesterday'],
            ['vsLastWeek', 'county.now.vsLastWeek'],
            ['noRooms', 'county.rooms.none'],
          ] as const
        ).map(([name, key]) => [name, req.t(key, {})]),
      ),
    };
  };

  router.get('/county', async (req, res) => {
    try {
      res.render('county/index', await render(req, req.query));
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      // A range that cannot be read shows the default month, with the reason on top.
      res.status(error.status).render('county/index', {
        ...(await render(req, {})),
        ...formErrorLocals(req, error, { values: req.query }),
      });
    }
  });

  router.get('/county/report/:month/:table.csv', async (req, res) => {
    const csv = await reportCsv(
      req.actor,
      String(req.params.month),
      String(req.params.table),
      req.locale,
      req.t,
    );
    res
      .type('text/csv; charset=utf-8')
      .attachment(`cunbo-${req.params.month}-${req.params.table}.csv`)
      .send(csv);
  });

  router.get('/county/report/:month.pdf', async (req, res) => {
    const pdf = await reportPdf(req.actor, String(req.params.month), req.locale, req.t);
    res.type('application/pdf').attachment(`cunbo-${req.params.month}.pdf`).send(pdf);
  });

  return router;
}

/** The page's numbers that move, asked for every few seconds while /county is open. */
export function countySocketEvents(countyView: CountyView): SocketEvent[] {
  return [
    validatedEvent({
      name: 'county:now',
      perTenSeconds: 10,
      input: z.object({}).strict(),
      handle: ({ actor, locale }) => countyView.live(actor, locale),
    }),
  ];
}
