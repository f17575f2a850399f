// The composition root: every domain service, built once per process from the runtime.
import { Queue } from 'bullmq';
import { AccountService } from './accounts/account-service.ts';
import { AdminService } from './accounts/admin.service.ts';
import { StudioService } from './catalogue/studio.service.ts';
import { ShopService } from './catalogue/shop.service.ts';
import type { Realtime } from './core/realtime.ts';
import { connectRedisForQueues } from './core/redis.ts';
import type { Runtime } from './core/runtime.ts';
import { CartService } from './orders/cart-service.ts';
import { OrderStateMachine } from './orders/order-states.ts';
import { OrderService } from './orders/order-service.ts';
import { publicOrderView } from './orders/order-view.ts';
import { StockReservations } from './orders/stock-reservations.ts';
import { ORDER_EXPIRY_QUEUE } from '../workers/order-expiry.ts';

export interface Services {
  accounts: AccountService;
  stock: StockReservations;
  orderStates: OrderStateMachine;
  orders: OrderService;
  carts: CartService;
  studio: StudioService;
  shops: ShopService;
  admin: AdminService;
  queues: { orderExpiry: Queue };
  close(): Promise<void>;
}

export function queuePrefix(runtime: Pick<Runtime, 'keys'>): string {
  return runtime.keys.key('bull');
}

export function createServices(runtime: Runtime, realtime: Realtime): Services {
  const { redis, keys, logger, config } = runtime;
  const queueConnection = connectRedisForQueues(runtime.redisUrl, logger, 'producers');
  const orderExpiry = new Queue(ORDER_EXPIRY_QUEUE, {
    connection: queueConnection,
    prefix: queuePrefix(runtime),
  });
  const stock = new StockReservations(redis, keys);
  const orderStates = new OrderStateMachine(redis, keys);
  const orders = new OrderService({
    stock,
    states: orderStates,
    expiryQueue: orderExpiry,
    logger,
    payTimeoutMs: config.ORDER_PAY_TIMEOUT_S * 1000,
    events: {
      orderChanged(order) {
        const view = publicOrderView(order);
        realtime.toRoom(`user:${String(order.buyerId)}`, 'order:changed', view);
        realtime.toRoom(`shop:${String(order.shopId)}`, 'order:changed', view);
      },
    },
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
    queues: { orderExpiry },
    async close() {
      await orderExpiry.close();
      await queueConnection.quit().catch(() => queueConnection.disconnect());
    },
  };
}
