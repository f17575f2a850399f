// Liveness and readiness. /readyz must answer fast and tell the truth during the busiest minute
// of a live session: a load balancer that hears 503 takes the process out of rotation. So its
// checks never wait behind the rush's queries (MongoDB's state comes from the driver's own
// monitoring connection, not from a query in the shared pool), and their result is kept for a
// second, with concurrent probes sharing one check.
import { Router } from 'express';
import type { Redis } from 'ioredis';
import mongoose from 'mongoose';
import { heartbeatAgeMs } from '../heartbeat.ts';
import { pingRedisConnection, type RedisKeys } from '../redis.ts';

export interface Readiness {
  /** False once shutdown begins, so a load balancer stops sending traffic. */
  accepting: () => boolean;
  redis: Redis;
  keys: RedisKeys;
}

interface Checked {
  mongodb: boolean;
  redis: boolean;
  workerHeartbeatAgeMs: number | null;
}

/** How long a check's result is reused. */
export const READINESS_CACHE_MS = 1000;
/** A Redis PING slower than this counts as down (Redis answers in microseconds when up). */
const REDIS_TIMEOUT_MS = 2000;

/**
 * MongoDB as the driver sees it: connected, and its monitor's last heartbeat to the server did
 * not fail. The monitor has a connection of its own, so a pool busy with a rush does not matter.
 */
class MongoMonitor {
  private client: ReturnType<typeof mongoose.connection.getClient> | undefined;
  private heartbeatFailed = false;

  up(): boolean {
    if (mongoose.connection.readyState !== mongoose.ConnectionStates.connected) return false;
    const client = mongoose.connection.getClient();
    if (client !== this.client) {
      this.client = client;
      this.heartbeatFailed = false;
      client.on('serverHeartbeatFailed', () => (this.heartbeatFailed = true));
      client.on('serverHeartbeatSucceeded', () => (this.heartbeatFailed = false));
    }
    return !this.heartbeatFailed;
  }
}

export function healthRoutes({ accepting, redis, keys }: Readiness): Router {
  const router = Router();
  const mongo = new MongoMonitor();
  let cached: { at: number; checked: Promise<Checked> } | undefined;

  const check = async (): Promise<Checked> => {
    const redisUp = await pingRedisConnection(redis, REDIS_TIMEOUT_MS);
    return {
      mongodb: mongo.up(),
      redis: redisUp,
      // Informational: how long since any worker processed a job (null: none has yet).
      // Web processes stay ready without workers; operators alert on this figure.
      workerHeartbeatAgeMs: redisUp ? await heartbeatAgeMs(redis, keys).catch(() => null) : null,
    };
  };

  // Alive: the process answers. Nothing else is checked.
  router.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });

  // Ready: the stores a request needs are reachable. 503 names what is down.
  router.get('/readyz', async (_req, res) => {
    if (!cached || Date.now() - cached.at > READINESS_CACHE_MS)
      cached = { at: Date.now(), checked: check() };
    const checked = await cached.checked;
    const down = [
      ...(checked.mongodb ? [] : ['mongodb']),
      ...(checked.redis ? [] : ['redis']),
      ...(accepting() ? [] : ['shutting-down']),
    ];
    res.status(down.length === 0 ? 200 : 503).json({
      ok: down.length === 0,
      checks: {
        mongodb: checked.mongodb ? 'up' : 'down',
        redis: checked.redis ? 'up' : 'down',
      },
      ...(down.length > 0 ? { down } : {}),
      workerHeartbeatAgeMs: checked.workerHeartbeatAgeMs,
    });
  });

  return router;
}
