import { Router, type Request, type Response } from 'express';
import { receiveFiles } from '../core/http/uploads.ts';
import { requireRole } from '../accounts/guards.ts';
import { Invalid } from '../core/errors.ts';
import type { CourierAdminService } from './courier-admin.service.ts';
import { RATE_CARD_COLUMNS } from './rate-card-csv.ts';

const csvUpload = receiveFiles(
  'file',
  { fileSize: 256 * 1024, files: 1 },
  'validation.rateCardTooLarge',
);

/** The rate card's CSV file, or a field error saying it is missing. */
function receiveCsv(req: Request, res: Response): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    csvUpload(req, res, (err?: unknown) => {
      if (err) return reject(err);
      if (!req.file)
        return reject(new Invalid('errors.invalid', [{ field: 'file', code: 'validation.csv' }]));
      resolve(req.file.buffer);
    }),
  );
}

export function courierAdminRoutes(services: { couriers: CourierAdminService }): Router {
  const router = Router();
  const { couriers } = services;
  router.use('/admin/couriers', requireRole('admin'));

  const renderPage = async (req: Request, res: Response, extra: Record<string, unknown> = {}) => {
    res.render('admin/couriers', {
      title: req.t('couriers.admin.title'),
      couriers: await couriers.list(req.actor, req.locale, req.t),
      columns: RATE_CARD_COLUMNS.join(','),
      ...extra,
    });
  };

  router.get('/admin/couriers', async (req, res) => {
    await renderPage(req, res, { saved: req.query.saved === '1' });
  });

  /** A bad capacity or cut-off shows the page again with the problem beside the courier. */
  const change =
    (action: (req: Request) => Promise<void>) => async (req: Request, res: Response) => {
      try {
        await action(req);
        res.redirect(303, '/admin/couriers?saved=1');
      } catch (error) {
        if (!(error instanceof Invalid)) throw error;
        res.status(400);
        await renderPage(req, res, {
          failedCode: req.params.code,
          error: error.fields.map((f) => req.t(f.code)).join(' ') || req.t(error.code),
        });
      }
    };

  router.post(
    '/admin/couriers/:code/active',
    change((req) => couriers.setActive(req.actor, { ...req.body, code: req.params.code })),
  );
  router.post(
    '/admin/couriers/:code/schedule',
    change((req) => couriers.updateSchedule(req.actor, { ...req.body, code: req.params.code })),
  );

  router.post('/admin/couriers/rate-cards', async (req, res) => {
    const csv = (await receiveCsv(req, res)).toString('utf8');
    const report = await couriers.importRateCards(req.actor, csv);
    res.status(report.applied ? 200 : 400).render('admin/courier-import', {
      title: req.t('couriers.import.title'),
      report: {
        ...report,
        couriers: report.couriers.join(', '),
        courierCount: report.couriers.length,
        errors: report.errors.map((e) => ({ ...e, message: req.t(e.code, e.params ?? {}) })),
      },
    });
  });

  return router;
}
