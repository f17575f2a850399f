import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Server as SocketServer } from 'socket.io';
import { createSessions } from '../accounts/sessions.ts';
import { createServices, type Services } from './services.ts';
import { PrerequisiteError } from '../core/errors.ts';
import { realtimeFrom, socketStreamName } from '../core/realtime.ts';
import { connectRedis } from '../core/redis.ts';
import type { Runtime } from '../core/runtime.ts';
import { createApp } from './http-app.ts';
import { attachSocketHandlers } from './sockets.ts';
import { createSocketDispatcher } from '../core/http/socket-dispatcher.ts';
import { liveSocketEvents } from '../live/live.socket.ts';
import { countySocketEvents } from '../county/county.routes.ts';

export interface WebServer {
  http: http.Server;
  io: SocketServer;
  port: number;
  services: Services;
  /** Stop accepting, let in-flight requests finish, close sockets. */
  close(): Promise<void>;
}

export async function startWebServer(
  runtime: Runtime,
  { port = runtime.config.PORT } = {},
): Promise<WebServer> {
  const { config, logger } = runtime;
  let accepting = true;
  // The handler is bound before socket.io attaches, so socket.io sees /socket.io/ requests first.
  const bound: { app?: ReturnType<typeof createApp> } = {};
  const server = http.createServer((req, res) => {
    // Once shutdown starts, every response asks the client not to reuse the connection.
    if (!accepting) res.setHeader('connection', 'close');
    bound.app!(req, res);
  });

  // Rooms are shared across web processes through Redis streams (survives Redis reconnects).
  const adapterRedis = connectRedis(runtime.redisUrl, logger, 'socket.io');
  const io = new SocketServer(server, {
    adapter: createAdapter(adapterRedis, { streamName: socketStreamName(runtime.keys) }),
    serveClient: true,
    connectionStateRecovery: { maxDisconnectionDuration: 2 * 60 * 1000 },
  });
  const services = createServices(runtime, realtimeFrom(io));
  const sessions = createSessions({
    redis: runtime.redis,
    keys: runtime.keys,
    secret: runtime.services.sessionSecret,
    secureCookies: config.PUBLIC_URL.startsWith('https:'),
    findActor: (userId) => services.accounts.findActor(userId),
  });
  bound.app = createApp({
    config,
    logger,
    i18n: runtime.i18n,
    redis: runtime.redis,
    keys: runtime.keys,
    services,
    sessions,
    accepting: () => accepting,
  });
  attachSocketHandlers(io, sessions);
  createSocketDispatcher(io, { i18n: runtime.i18n, logger }).register(
    ...liveSocketEvents(services.live),
    ...countySocketEvents(services.countyView),
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, config.HOST, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch(async (error: NodeJS.ErrnoException) => {
    adapterRedis.disconnect();
    await services.close();
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
    services,
    async close() {
      accepting = false;
      io.local.disconnectSockets(true);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await io.close().catch(() => {});
      await services.close();
      await adapterRedis.quit().catch(() => adapterRedis.disconnect());
    },
  };
}
