import { Router } from 'express';

/**
 * Mounted only when NODE_ENV=test: a request that stays in flight for a given time, so the
 * graceful-shutdown test can prove that SIGTERM lets in-flight requests finish. Each answer says
 * how many others are still waiting, so the test can signal once its requests all are.
 */
export function testOnlyRoutes(): Router {
  const router = Router();
  let waiting = 0;
  router.get('/__test/slow', async (req, res) => {
    const ms = Math.min(Number(req.query.ms) || 0, 5000);
    waiting++;
    await new Promise((resolve) => setTimeout(resolve, ms));
    waiting--;
    res.json({ waitedMs: ms, othersWaiting: waiting });
  });
  return router;
}
