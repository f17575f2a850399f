import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Server as SocketServer } from 'socket.io';
import type { Runtime } from '../runtime.ts';
import { PrerequisiteError } from '../errors.ts';
import { connectRedis } from '../redis.ts';
import { createApp } from './app.ts';

export interface WebServer {
  http: http.Server;
  io: SocketServer;
  port: number;
  /** Stop accepting, let in-flight requests finish, close sockets. */
  close(): Promise<void>;
}

export async function startWebServer(
  runtime: Runtime,
  { port = runtime.config.PORT } = {},
): Promise<WebServer> {
  const { config, logger } = runtime;
  let accepting = true;
  const app = createApp({
    config,
    logger,
    i18n: runtime.i18n,
    redis: runtime.redis,
    keys: runtime.keys,
    accepting: () => accepting,
  });
  const server = http.createServer(app);
  // Once shutdown starts, every response asks the client not to reuse the connection.
  server.on('request', (_req, res: http.ServerResponse) => {
    if (!accepting) res.setHeader('connection', 'close');
  });

  // Rooms are shared across web processes through Redis streams (survives Redis reconnects).
  const adapterRedis = connectRedis(runtime.redisUrl, logger, 'socket.io');
  const io = new SocketServer(server, {
    adapter: createAdapter(adapterRedis, { streamName: runtime.keys.key('socket.io') }),
    serveClient: true,
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000 },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.HOST, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: NodeJS.ErrnoException) => {
    adapterRedis.disconnect();
    if (error.code === 'EADDRINUSE') {
      throw new PrerequisiteError(
        `port ${port} is already in use: stop the other program or set PORT`,
      );
    }
    throw error;
  });
  const boundPort = (server.address() as AddressInfo).port;
  logger.info({ url: `http://localhost:${boundPort}` }, 'web server listening');

  return {
    http: server,
    io,
    port: boundPort,
    async close() {
      accepting = false;
      io.local.disconnectSockets(true);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await io.close().catch(() => {});
      await adapterRedis.quit().catch(() => adapterRedis.disconnect());
    },
  };
}
