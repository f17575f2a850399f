// Every socket.io room, named in one place. A room is joined in server/app/sockets.ts (by who is
// signed in) or by the live room's join event, and written to through Realtime.toRoom.
export const rooms = {
  /** Every socket of one person: their orders change, a waitlist unit is held for them. */
  user: (userId: string) => `user:${userId}`,
  /** Every socket of one browser session: signing out closes them. */
  session: (sessionId: string) => `session:${sessionId}`,
  /** A shop's streamer and assistants: the shop's orders change. */
  shop: (shopId: string) => `shop:${shopId}`,
  /** A hub's staff: its screens refresh. */
  hub: (hubId: string) => `hub:${hubId}`,
  /** Everyone watching one live session, buyers and console alike. */
  live: (sessionId: string) => `live:${sessionId}`,
} as const;
