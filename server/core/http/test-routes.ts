import { Router } from 'express';

/**
 * Mounted only when NODE_ENV=test: a request that stays in flight for a given time, so the
 * graceful-shutdown test can prove that SIGTERM lets in-flight requests finish.
 */
export function testOnlyRoutes(): Router {
  const router = Router();
  router.get('/__test/slow', async (req, res) => {
    const ms = Math.min(Number(req.query.ms) || 0, 5000);
    await new Promise((resolve) => setTimeout(resolve, ms));
    res.json({ waitedMs: ms });
  });
  return router;
}
