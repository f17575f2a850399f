import { Router } from 'express';
import type { Redis } from 'ioredis';
import { pingMongoConnection } from '../db.ts';
import { pingRedisConnection, type RedisKeys } from '../redis.ts';
import { heartbeatAgeMs } from '../../../workers/heartbeat.ts';

export interface Readiness {
  /** False once shutdown begins, so a load balancer stops sending traffic. */
  accepting: () => boolean;
  redis: Redis;
  keys: RedisKeys;
}

const CHECK_TIMEOUT_MS = 1000;

export function healthRoutes({ accepting, redis, keys }: Readiness): Router {
  const router = Router();

  // Alive: the process answers. Nothing else is checked.
  router.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  // Ready: the stores a request needs are reachable. 503 names what is down.
  router.get('/readyz', async (_req, res) => {
    const [mongo, redisUp] = await Promise.all([
      pingMongoConnection(CHECK_TIMEOUT_MS),
      pingRedisConnection(redis, CHECK_TIMEOUT_MS),
    ]);
    const down = [
      ...(mongo ? [] : ['mongodb']),
      ...(redisUp ? [] : ['redis']),
      ...(accepting() ? [] : ['shutting-down']),
    ];
    // Informational: how long since any worker processed a job (null: none has yet).
    // Web processes stay ready without workers; operators alert on this figure.
    const workerHeartbeatAgeMs = redisUp
      ? await heartbeatAgeMs(redis, keys).catch(() => null)
      : null;
    res.status(down.length === 0 ? 200 : 503).json({
      ok: down.length === 0,
      checks: { mongodb: mongo ? 'up' : 'down', redis: redisUp ? 'up' : 'down' },
      ...(down.length > 0 ? { down } : {}),
      workerHeartbeatAgeMs,
    });
  });

  return router;
}
