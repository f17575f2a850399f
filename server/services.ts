// The composition root: every domain service, built once per process from the runtime.
import { Queue } from 'bullmq';
import { AccountService } from './accounts/account-service.ts';
import { AdminService } from './accounts/admin.service.ts';
import { CourierAdminService } from './hub/courier-admin.service.ts';
import { StudioService } from './catalogue/studio.service.ts';
import { ShopService } from './catalogue/shop.service.ts';
import type { Realtime } from './core/realtime.ts';
import { connectRedisForQueues } from './core/redis.ts';
import type { Runtime } from './core/runtime.ts';
import { CartService } from './orders/cart-service.ts';
import { OrderStateMachine } from './orders/order-states.ts';
import { OrderService } from './orders/order-service.ts';
import { publicOrderView } from './orders/order-view.ts';
import type { Order } from './orders/order.model.ts';
import { StockReservations } from './orders/stock-reservations.ts';
import { ORDER_EXPIRY_QUEUE } from '../workers/order-expiry.ts';
import { STRIPE_EVENTS_QUEUE } from '../workers/stripe-events.ts';
import { LIVE_HOLDS_QUEUE } from '../workers/live-holds.ts';
import { LiveService } from './live/live-service.ts';
import { LiveStock } from './live/live-stock.ts';
import { PaymentService } from './payments/payment-service.ts';
import { StripeGateway } from './payments/stripe-gateway.ts';

export interface Services {
  accounts: AccountService;
  stock: StockReservations;
  orderStates: OrderStateMachine;
  orders: OrderService;
  carts: CartService;
  studio: StudioService;
  shops: ShopService;
  admin: AdminService;
  couriers: CourierAdminService;
  payments: PaymentService;
  live: LiveService;
  queues: { orderExpiry: Queue; stripeEvents: Queue; liveHolds: Queue };
  close(): Promise<void>;
}

export function queuePrefix(runtime: Pick<Runtime, 'keys'>): string {
  return runtime.keys.key('bull');
}

export function createServices(runtime: Runtime, realtime: Realtime): Services {
  const { redis, keys, logger, config } = runtime;
  const queueConnection = connectRedisForQueues(runtime.redisUrl, logger, 'producers');
  const queueOptions = { connection: queueConnection, prefix: queuePrefix(runtime) };
  const orderExpiry = new Queue(ORDER_EXPIRY_QUEUE, queueOptions);
  const stripeEvents = new Queue(STRIPE_EVENTS_QUEUE, queueOptions);
  const liveHolds = new Queue(LIVE_HOLDS_QUEUE, queueOptions);
  const stock = new StockReservations(redis, keys);
  const orderEvents = {
    orderChanged(order: Order) {
      const view = publicOrderView(order);
      realtime.toRoom(`user:${String(order.buyerId)}`, 'order:changed', view);
      realtime.toRoom(`shop:${String(order.shopId)}`, 'order:changed', view);
    },
  };
  const orderStates = new OrderStateMachine(redis, keys);
  const orders: OrderService = new OrderService({
    stock,
    states: orderStates,
    expiryQueue: orderExpiry,
    logger,
    payTimeoutMs: config.ORDER_PAY_TIMEOUT_S * 1000,
    events: orderEvents,
    // The live domain is built next; it gets its units back through this hook.
    onLiveUnitsReturned: (order: Order): Promise<void> => live.unitsReturned(order),
  });
  const live: LiveService = new LiveService({
    redis,
    keys,
    stock: new LiveStock(redis, keys, stock),
    orders,
    realtime,
    holdQueue: liveHolds,
  });
  const payments = new PaymentService({
    gateway: new StripeGateway(runtime.services.stripe),
    orders,
    states: orderStates,
    stock,
    events: orderEvents,
    queue: stripeEvents,
    logger,
  });
  return {
    accounts: new AccountService(redis, keys),
    stock,
    orderStates,
    orders,
    carts: new CartService(redis, keys),
    studio: new StudioService(),
    shops: new ShopService(),
    admin: new AdminService(),
    couriers: new CourierAdminService({ logger }),
    payments,
    live,
    queues: { orderExpiry, stripeEvents, liveHolds },
    async close() {
      await orderExpiry.close();
      await stripeEvents.close();
      await liveHolds.close();
      await queueConnection.quit().catch(() => queueConnection.disconnect());
    },
  };
}
