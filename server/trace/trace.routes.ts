// The public trace page: no sign-in, server-rendered, small (no scripts, the map is inline SVG).
import { Router } from 'express';
import { inspectionWithReport } from '../hub/hub-reads.ts';
import type { TraceService } from './trace-service.ts';
import { serveDocument, type StoredDocument } from './uploads.ts';

export function traceRoutes(services: { trace: TraceService }, dataDir: string): Router {
  const router = Router();

  // Inspection reports are public: the trace page links them for anyone holding the parcel.
  router.get(
    '/documents/:id',
    serveDocument(dataDir, async (_actor, id) => {
      const report = (await inspectionWithReport(id))?.report;
      return report?.path ? (report as StoredDocument) : undefined;
    }),
  );

  router.get('/t/:code', async (req, res) => {
    const page = await services.trace.page(
      req.ip ?? 'unknown',
      String(req.params.code),
      req.locale,
    );
    res.set('cache-control', 'no-store'); // every scan is counted
    res.render('trace/page', {
      title: req.t('trace.title'),
      page,
      repeated: page.scans > 1,
    });
  });

  return router;
}
