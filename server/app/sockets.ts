// socket.io connections share the HTTP session; each signed-in person joins their own room.
import type { Request, Response, NextFunction } from 'express';
import type { Server } from 'socket.io';
import type { Sessions } from '../accounts/sessions.ts';
import { rooms } from '../core/rooms.ts';

export function attachSocketHandlers(io: Server, sessions: Sessions): void {
  for (const middleware of sessions.middleware) {
    io.engine.use((req: Request, res: Response, next: NextFunction) => middleware(req, res, next));
  }
  io.on('connection', (socket) => {
    const actor = (socket.request as Request).actor;
    if (!actor) return;
    void socket.join(rooms.user(actor.id));
    // So that signing out closes this browser's sockets, and "everywhere" closes them all.
    const sessionId = (socket.request as Request).sessionID;
    if (sessionId) void socket.join(rooms.session(sessionId));
    if (actor.role === 'streamer' && actor.shopId) void socket.join(rooms.shop(actor.shopId));
    if (actor.role === 'hub_staff' && actor.hubId) void socket.join(rooms.hub(actor.hubId));
  });
}
