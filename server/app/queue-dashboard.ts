// The BullMQ dashboard for the county admin at /admin/queues: every queue the services own.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Queue } from 'bullmq';
import { requireRole } from '../accounts/guards.ts';
import { Forbidden } from '../core/errors.ts';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * The dashboard's own buttons (retry, clean, pause) call its JSON API with fetch and no CSRF
 * token, so it sits before the CSRF check; writes must come from a page of this site instead.
 */
function sameOriginWrites(publicUrl: string) {
  const trusted = new URL(publicUrl).origin;
  return (req: Request, _res: Response, next: NextFunction) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const site = req.headers['sec-fetch-site'];
    const origin = req.headers.origin;
    const ownOrigin = `${req.protocol}://${req.get('host')}`;
    const sameOrigin =
      site !== undefined
        ? site === 'same-origin'
        : origin !== undefined && (origin === ownOrigin || origin === trusted);
    next(sameOrigin ? undefined : new Forbidden('errors.csrf'));
  };
}

export function queueDashboard(queues: Record<string, Queue>, publicUrl: string): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: Object.values(queues).map((queue) => new BullMQAdapter(queue)),
    // @bull-board/express pins its own copy of @bull-board/api one patch behind; same shape.
    serverAdapter: serverAdapter as unknown as Parameters<
      typeof createBullBoard
    >[0]['serverAdapter'],
    options: { uiConfig: { boardTitle: 'Cunbo queues', hideDocsLink: true } },
  });
  const router = Router();
  router.use(
    QUEUE_DASHBOARD_PATH,
    requireRole('admin'),
    sameOriginWrites(publicUrl),
    serverAdapter.getRouter() as Router,
  );
  return router;
}
