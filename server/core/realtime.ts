// Pushing updates to people's open pages. Rooms: `user:<id>`, `shop:<id>`, `live:<sessionId>`.
// Web processes emit through their own socket.io server; workers through a headless one. Both
// go through the Redis streams adapter, so every web process delivers to its own sockets.
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Server } from 'socket.io';
import { connectRedis, type RedisKeys } from './redis.ts';
import type { Logger } from './logger.ts';

export interface Realtime {
  toRoom(room: string, event: string, payload: unknown): void;
  /** Closes every socket in the room, in every web process (after a sign-out). */
  disconnectRoom(room: string): void;
  /** How many of this process's own sockets are in the room. */
  localRoomSize(room: string): number;
}

export function socketStreamName(keys: RedisKeys): string {
  return keys.key('socket.io');
}

export function realtimeFrom(io: Server): Realtime {
  return {
    toRoom: (room, event, payload) => void io.to(room).emit(event, payload),
    disconnectRoom: (room) => io.in(room).disconnectSockets(true),
    localRoomSize: (room) => io.of('/').adapter.rooms.get(room)?.size ?? 0,
  };
}

/** For processes without an HTTP server (workers): emits reach every web process's sockets. */
export function createHeadlessRealtime(redisUrl: string, keys: RedisKeys, logger: Logger) {
  const redis = connectRedis(redisUrl, logger, 'realtime');
  const io = new Server({ adapter: createAdapter(redis, { streamName: socketStreamName(keys) }) });
  return {
    realtime: realtimeFrom(io),
    async close() {
      await io.close().catch(() => {});
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
