import express, { Router, type ErrorRequestHandler } from 'express';
import { errorHandler } from '../../core/http/error-handler.ts';
import { Invalid } from '../../core/errors.ts';
import type { TrackingService } from '../tracking-service.ts';

/**
 * Where couriers post tracking events. The signature covers the raw bytes, so this is mounted
 * before the JSON parser and the CSRF check (like the Stripe webhook). The answer says how many
 * events applied, which were seen before and which were refused, and why.
 */
export function courierEventsRoute(services: { tracking: TrackingService }): Router {
  const router = Router();
  router.post(
    '/couriers/:code/events',
    express.raw({ type: 'application/json', limit: '256kb' }),
    async (req, res) => {
      if (!Buffer.isBuffer(req.body)) throw new Invalid('errors.courierEventsContentType');
      const summary = await services.tracking.receiveEvents(req.params.code, req.headers, req.body);
      res.json(summary);
    },
  );
  // A courier's system reads JSON, whatever it put in its Accept header.
  const answerInJson: ErrorRequestHandler = (err, req, res, next) => {
    req.headers.accept = 'application/json';
    errorHandler(err, req, res, next);
  };
  router.use('/couriers/:code/events', answerInJson);
  return router;
}
