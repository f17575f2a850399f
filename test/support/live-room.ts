// Live-room fixtures: a live session with one pinned offer, and signed-in buyers' sockets.
import { randomBytes } from 'node:crypto';
import { io as connect, type Socket } from 'socket.io-client';
import { UserModel } from '../../server/accounts/user.model.ts';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { LiveSessionModel } from '../../server/live/live-session.model.ts';
import { BUYER_PASSWORD, createBuyers, ensureDemoCounty, skuWithStock } from './fixtures.ts';
import { Client, DEMO_ADDRESS } from './http-client.ts';
import { TIMEOUTS } from './timeouts.ts';

export type Ack = { ok: boolean; data?: unknown; code?: string; message?: string };

export async function liveSession(allotment: number, perBuyerLimit = 3, stock = 100) {
  await ensureDemoCounty();
  const sku = await skuWithStock(stock, 3880);
  const shop = (await ShopModel.findOne({ slug: 'xigou-pepper' }).lean())!;
  const offerId = randomBytes(4).toString('hex');
  const session = await LiveSessionModel.create({
    shopId: shop._id,
    title: { zh: '测试直播', en: 'Test live' },
    scheduledAt: new Date(),
    status: 'live',
    offers: [
      { offerId, skuId: sku._id, livePriceFen: 2990, allotment, perBuyerLimit, pinned: true },
    ],
  });
  return { sessionId: String(session._id), offerId, sku };
}

/**
 * A signed-in buyer with a delivery address (or, `withAddress: false`, one who never gave one),
 * and their socket to a web process.
 */
export async function buyerSocket(
  base: string,
  login?: string,
  password = BUYER_PASSWORD,
  { withAddress = true } = {},
) {
  const email = login ?? (await createBuyers(1))[0]!;
  await UserModel.updateOne(email.includes('@') ? { email } : { phone: email }, {
    $set: { addresses: withAddress ? [DEMO_ADDRESS] : [] },
  });
  const client = new Client(base);
  await client.signIn(email, password);
  const socket = connect(base, {
    transports: ['websocket'],
    extraHeaders: { cookie: client.cookieHeader() },
    reconnection: false,
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  return { socket, client, email };
}

export const ask = (socket: Socket, event: string, payload: unknown) =>
  socket.timeout(TIMEOUTS.socketAck).emitWithAck(event, payload) as Promise<Ack>;
