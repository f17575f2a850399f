import { Router, type NextFunction, type Request, type Response } from 'express';
import { requireRole } from '../accounts/guards.ts';
import { Invalid } from '../core/errors.ts';
import type { CertificationService } from './certification.service.ts';
import { CERTIFICATION_KINDS } from './certification.model.ts';
import { receiveDocument, serveDocument } from './uploads.ts';

const fieldErrors = (req: Request, error: Invalid) =>
  Object.fromEntries(error.fields.map((f) => [f.field, req.t(f.code)]));

export function certificationRoutes(
  services: { certifications: CertificationService },
  dataDir: string,
): Router {
  const router = Router();
  const { certifications } = services;

  const renderStudioPage = async (
    req: Request,
    res: Response,
    extra: { values?: Record<string, unknown>; error?: Invalid; submitted?: boolean } = {},
  ) => {
    const { certifications: list, products } = await certifications.listForShop(
      req.actor,
      req.locale,
    );
    const values = extra.values ?? {};
    const chosen = new Set([values.product_ids ?? []].flat().map(String));
    res.status(extra.error ? 400 : 200).render('studio/certifications', {
      title: req.t('certification.studioTitle'),
      certifications: list,
      products: products.map((p) => ({ ...p, checked: chosen.has(p.id) })),
      kinds: CERTIFICATION_KINDS,
      values,
      submitted: extra.submitted,
      ...(extra.error
        ? { error: req.t(extra.error.code), fields: fieldErrors(req, extra.error) }
        : {}),
    });
  };

  router.get('/studio/certifications', requireRole('streamer'), async (req, res) => {
    await renderStudioPage(req, res, { submitted: req.query.submitted === '1' });
  });

  // Multipart: the CSRF token comes in the query string (the form's action carries it).
  router.post(
    '/studio/certifications',
    requireRole('streamer'),
    receiveDocument('certificate'),
    async (req: Request, res: Response) => {
      await certifications.submit(req.actor, req.body, req.file);
      res.redirect(303, '/studio/certifications?submitted=1');
    },
    // Bad fields or a refused file (also multer's size limit): the form again, with the reasons.
    async (error: unknown, req: Request, res: Response, next: NextFunction) => {
      if (!(error instanceof Invalid)) return next(error);
      await renderStudioPage(req, res, { values: req.body ?? {}, error });
    },
  );

  const renderQueue = async (req: Request, res: Response, error?: Invalid) => {
    const queue = await certifications.reviewQueue(req.actor, req.locale);
    res.status(error ? 400 : 200).render('admin/certifications', {
      title: req.t('certification.queueTitle'),
      ...queue,
      ...(error
        ? { error: req.t(error.code), fields: fieldErrors(req, error), errorFor: req.params.id }
        : {}),
    });
  };

  router.get('/admin/certifications', requireRole('admin'), async (req, res) => {
    await renderQueue(req, res);
  });

  router.post('/admin/certifications/:id/review', requireRole('admin'), async (req, res) => {
    try {
      await certifications.review(req.actor, String(req.params.id), req.body);
    } catch (error) {
      if (!(error instanceof Invalid)) throw error;
      return renderQueue(req, res, error);
    }
    res.redirect(303, '/admin/certifications');
  });

  router.get('/documents/:id', serveDocument(dataDir, certifications.certificateDocument));

  return router;
}
