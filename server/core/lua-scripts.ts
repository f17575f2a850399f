import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * Defines each `.lua` file beside a service as a command on the Redis client (once per client;
 * ioredis sends EVALSHA and falls back to EVAL after a script flush).
 * `folder` is the service's own folder: `new URL('.', import.meta.url)`.
 */
export function loadLuaScripts(redis: Redis, folder: URL, scripts: Record<string, string>): void {
  for (const [name, file] of Object.entries(scripts)) {
    if (name in redis) continue;
    redis.defineCommand(name, { lua: readFileSync(new URL(file, folder), 'utf8') });
  }
}
