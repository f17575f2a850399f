// An unpaid order raced by everyone who may close it at once, on connections of their own as
// separate web and worker processes would be: order-state.lua decides the transition once
// (invariant 5), whether Redis still knows the order's state or has to be told it from MongoDB.
import { expect } from 'chai';
import { Server } from 'socket.io';
import type { Actor } from '../../server/accounts/actor.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { createServices, type Services } from '../../server/app/services.ts';
import { realtimeFrom } from '../../server/core/realtime.ts';
import type { Redis } from '../../server/core/redis.ts';
import { OrderModel, type OrderStatus } from '../../server/orders/order.model.ts';
import {
  OrderStateMachine,
  type TransitionActor,
  type TransitionResult,
} from '../../server/orders/order-states.ts';
import { note, type TimelineNote } from '../../server/orders/timeline.ts';
import {
  createBuyers,
  pausedAt,
  separateRedisConnections,
  skuWithStock,
} from '../support/fixtures.ts';
import { DEMO_ADDRESS } from '../support/http-client.ts';
import { eventually } from '../support/processes.ts';
import { getRuntime } from '../support/root-hooks.ts';

const ORDERS = 8;
const RACERS_PER_ORDER = 60;

interface Closer {
  to: OrderStatus;
  actor: TransitionActor;
  reason: TimelineNote;
}

describe('an order closed by several actors at once (order-state.lua)', function () {
  this.timeout(120_000);
  let services: Services;
  let io: Server;
  let buyer: Actor;
  let connections: Redis[] = [];
  let machines: OrderStateMachine[] = [];
  let close = async () => {};

  before(async () => {
    io = new Server();
    services = createServices(getRuntime(), realtimeFrom(io));
    const [email] = await createBuyers(1);
    const user = (await UserModel.findOne({ email }).lean())!;
    buyer = { id: String(user._id), role: 'buyer', displayName: user.displayName };
    ({ connections, close } = separateRedisConnections(6));
    machines = connections.map((c) => new OrderStateMachine(c, getRuntime().keys));
  });
  after(async () => {
    await close();
    await services.close();
    await io.close().catch(() => {}); // no HTTP server to close
  });

  /** Unpaid orders, each noted in Redis as waiting for payment. */
  async function unpaidOrders(count: number): Promise<string[]> {
    const sku = await skuWithStock(count);
    const orderNos: string[] = [];
    for (let i = 0; i < count; i++) {
      const placed = await services.orders.placeOrder(buyer, {
        idempotencyKey: `state-race-${sku.code}-${i}`,
        lines: [{ skuId: String(sku._id), quantity: 1 }],
        address: DEMO_ADDRESS,
      });
      orderNos.push(placed.orderNo);
    }
    const { redis, keys } = getRuntime();
    for (const orderNo of orderNos)
      await eventually(
        async () => (await redis.get(keys.key('order-state', orderNo))) === 'pending_payment',
      );
    return orderNos;
  }

  /** The payment webhook, its reconciliation, the unpaid timeout and the buyer, over and over. */
  const closers = (): Closer[] => [
    {
      to: 'paid',
      actor: { kind: 'system', id: 'payments' },
      reason: note('paidWith', { method: 'card' }),
    },
    { to: 'expired', actor: { kind: 'system', id: 'order-expiry' }, reason: note('notPaidInTime') },
    { to: 'cancelled', actor: { kind: 'buyer', id: buyer.id }, reason: note('cancelledByBuyer') },
  ];

  async function race(orderNo: string) {
    const everyone = closers();
    const racers = Array.from(
      { length: RACERS_PER_ORDER },
      (_, i) => everyone[i % everyone.length]!,
    );
    const results = await Promise.all(
      racers.map((r, i) =>
        machines[i % machines.length]!.transition(
          orderNo,
          'pending_payment',
          r.to,
          r.actor,
          r.reason,
        ),
      ),
    );
    return { racers, results };
  }

  /** What each order's race decided: how many won, what the losers saw, what MongoDB keeps. */
  async function decided(
    orderNo: string,
    { racers, results }: { racers: Closer[]; results: TransitionResult[] },
  ) {
    const winners = results.flatMap((r, i) => (r.won ? [racers[i]!] : []));
    const seenByLosers = new Set(results.flatMap((r) => (r.won ? [] : [r.current])));
    const stored = (await OrderModel.findOne({ orderNo }).lean())!;
    return {
      winners: winners.length,
      winnerIsSeenByEveryLoser:
        winners.length > 0 && [...seenByLosers].every((s) => s === winners[0]!.to),
      storedIsTheWinners: winners.length > 0 && stored.status === winners[0]!.to,
      timelineEntriesLeavingUnpaid: stored.timeline.filter((t) => t.from === 'pending_payment')
        .length,
    };
  }

  const once = {
    winners: 1,
    winnerIsSeenByEveryLoser: true,
    storedIsTheWinners: true,
    timelineEntriesLeavingUnpaid: 1,
  };

  it('order-state: of 60 transitions racing from pending_payment on 6 connections, exactly one wins and every loser sees the winner', async () => {
    const orderNos = await unpaidOrders(ORDERS);
    const raced = await Promise.all(orderNos.map((orderNo) => race(orderNo)));
    const outcomes = await Promise.all(orderNos.map((orderNo, i) => decided(orderNo, raced[i]!)));
    expect(outcomes).to.deep.equal(orderNos.map(() => once));
  });

  it('order-state: after Redis forgot the state (a wipe), 60 racing transitions still have exactly one winner', async () => {
    const orderNos = await unpaidOrders(ORDERS);
    const { redis, keys } = getRuntime();
    await redis.del(...orderNos.map((orderNo) => keys.key('order-state', orderNo)));
    const raced = await Promise.all(orderNos.map((orderNo) => race(orderNo)));
    const outcomes = await Promise.all(orderNos.map((orderNo, i) => decided(orderNo, raced[i]!)));
    expect(outcomes).to.deep.equal(orderNos.map(() => once));
  });

  it('order-state: the same payment reported 30 times at once (webhook retries) is decided once', async () => {
    const [orderNo] = await unpaidOrders(1);
    const payment = closers()[0]!;
    const racers = Array.from({ length: 30 }, () => payment);
    const results = await Promise.all(
      racers.map((r, i) =>
        machines[i % machines.length]!.transition(
          orderNo!,
          'pending_payment',
          r.to,
          r.actor,
          r.reason,
        ),
      ),
    );
    expect(await decided(orderNo!, { racers, results })).to.deep.equal(once);
  });

  it('order-state: a payment retried while the first payment’s win is still being written loses to it', async () => {
    const [orderNo] = await unpaidOrders(1);
    const payment = closers()[0]!;
    // The first payment has won in Redis; its process pauses before writing MongoDB.
    const slow = pausedAt(connections[0]!, 'decideOrderState', (verdict) => verdict === 'won');
    const first = new OrderStateMachine(slow.connection, getRuntime().keys).transition(
      orderNo!,
      'pending_payment',
      payment.to,
      payment.actor,
      payment.reason,
    );
    await slow.reached;
    // The retry (the webhook again, or the reconciliation job) arrives on another process.
    const retry = await machines[1]!.transition(
      orderNo!,
      'pending_payment',
      payment.to,
      payment.actor,
      payment.reason,
    );
    slow.letGo();
    const results = [await first, retry];
    expect(await decided(orderNo!, { racers: [payment, payment], results })).to.deep.equal(once);
  });
});
