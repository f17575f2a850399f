// The composition root: every domain service, built once per process from the runtime.
import { Queue } from 'bullmq';
import { AccountService } from '../accounts/account-service.ts';
import { AddressBook } from '../accounts/address-book.ts';
import { CourierAdminService } from '../hub/courier-admin.service.ts';
import { CourierAdapters } from '../hub/couriers/courier-adapters.ts';
import { LocalCourierAdapter } from '../hub/couriers/local-courier.ts';
import { ParcelLocks } from '../hub/parcel-lock.ts';
import { TrackingService } from '../hub/tracking-service.ts';
import { HubService } from '../hub/hub-service.ts';
import { HubReceiving } from '../hub/receiving-service.ts';
import { TraceService } from '../trace/trace-service.ts';
import { storeDocument } from '../trace/uploads.ts';
import { RoutingMemory } from '../hub/routing-memory.ts';
import { HubRouting } from '../hub/routing-service.ts';
import { HUB_ROUTING_QUEUE } from '../hub/routing-jobs.ts';
import { StudioService } from '../catalogue/studio.service.ts';
import { ShopService } from '../catalogue/shop.service.ts';
import type { Realtime } from '../core/realtime.ts';
import { connectRedisForQueues } from '../core/redis.ts';
import type { Runtime } from '../core/runtime.ts';
import { CartService } from '../orders/cart-service.ts';
import { OrderStateMachine } from '../orders/order-states.ts';
import { OrderNumbers } from '../orders/order-numbers.ts';
import { OrderService } from '../orders/order-service.ts';
import { OrderEventBus } from '../orders/order-events.ts';
import { routeOrdersAsTheyChange } from '../hub/order-routing-listener.ts';
import { publicOrderView } from '../orders/order-view.ts';
import type { Order } from '../orders/order-reads.ts';
import { StockReservations } from '../stock/stock-reservations.ts';
import { ORDER_EXPIRY_QUEUE } from '../orders/order-writer.ts';
import { STRIPE_EVENTS_QUEUE } from '../payments/stripe-event-inbox.ts';
import { LIVE_HOLDS_QUEUE } from '../live/live-counters.ts';
import { LiveService } from '../live/live-service.ts';
import { LiveStock } from '../live/live-stock.ts';
import { Coupons } from '../promotions/coupons.ts';
import { Giveaways, GIVEAWAYS_QUEUE } from '../promotions/giveaways.ts';
import { PrizeOrders } from '../orders/prize-orders.ts';
import { PaymentService } from '../payments/payment-service.ts';
import { StripeGateway } from '../payments/stripe-gateway.ts';
import { CertificationService } from '../trace/certification.service.ts';
import { COUNTY_FIGURES_QUEUE, CountyFigures } from '../county/county-figures.ts';
import { CountyNow } from '../county/county-now.ts';
import { CountyView } from '../county/county-view.ts';
import { rooms } from '../core/rooms.ts';

export interface Services {
  accounts: AccountService;
  addresses: AddressBook;
  stock: StockReservations;
  orderStates: OrderStateMachine;
  orders: OrderService;
  carts: CartService;
  studio: StudioService;
  shops: ShopService;
  couriers: CourierAdminService;
  courierAdapters: CourierAdapters;
  tracking: TrackingService;
  hub: HubService;
  receiving: HubReceiving;
  trace: TraceService;
  routing: HubRouting;
  payments: PaymentService;
  live: LiveService;
  coupons: Coupons;
  giveaways: Giveaways;
  certifications: CertificationService;
  county: CountyFigures;
  countyView: CountyView;
  /** Pushes to open pages; also closes a signed-out person's sockets. */
  realtime: Realtime;
  queues: {
    orderExpiry: Queue;
    stripeEvents: Queue;
    liveHolds: Queue;
    hubRouting: Queue;
    countyFigures: Queue;
    giveaways: Queue;
  };
  close(): Promise<void>;
}

const SHOP_PING_MS = 500;

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
  const hubRouting = new Queue(HUB_ROUTING_QUEUE, queueOptions);
  const countyFigures = new Queue(COUNTY_FIGURES_QUEUE, queueOptions);
  const giveawayQueue = new Queue(GIVEAWAYS_QUEUE, queueOptions);
  const stock = new StockReservations(redis, keys);
  // A shop's open order list reloads when told something changed: in a rush that is hundreds of
  // orders a second, so each process tells a shop at most twice a second.
  const shopPings = new Map<string, NodeJS.Timeout>();
  const pingShop = (shopId: string) => {
    if (shopPings.has(shopId)) return;
    const timer = setTimeout(() => {
      shopPings.delete(shopId);
      realtime.toRoom(rooms.shop(shopId), 'order:changed', { shopId });
    }, SHOP_PING_MS);
    timer.unref();
    shopPings.set(shopId, timer);
  };
  // Who hears that an order changed: the buyer's open pages and the shop's console here; the
  // hub's routing subscribes once it is built, below.
  const orderEvents = new OrderEventBus(logger);
  orderEvents.subscribe((order) => {
    realtime.toRoom(rooms.user(String(order.buyerId)), 'order:changed', publicOrderView(order));
    pingShop(String(order.shopId));
  });
  // The county's figures hear of every changed order, placement, handover and scan.
  const county = new CountyFigures({ redis, keys, logger });
  orderEvents.subscribe(county.orderListener());
  const orderStates = new OrderStateMachine(redis, keys);
  stock
    .startLease()
    .catch((error: unknown) =>
      logger.warn({ err: error }, 'stock lease not started; retrying with the heartbeat'),
    );
  const addresses = new AddressBook(redis, keys);
  const orders: OrderService = new OrderService({
    stock,
    numbers: new OrderNumbers(redis, keys),
    states: orderStates,
    expiryQueue: orderExpiry,
    logger,
    payTimeoutMs: config.ORDER_PAY_TIMEOUT_S * 1000,
    writeBatch: {
      maxBatch: config.ORDER_BATCH_MAX,
      maxWaitMs: config.ORDER_BATCH_WAIT_MS,
      maxFlushes: config.ORDER_BATCH_FLUSHES,
    },
    events: orderEvents,
    // The live domain is built next; it gets its units back through this hook.
    onLiveUnitsReturned: (order: Order): Promise<void> => live.unitsReturned(order),
    onOrdersPlaced: (orderNos) => county.noteOrders(orderNos),
  });
  // Live coupons: the payment side withdraws an intent made for an old total (built below).
  const coupons = new Coupons({
    redis,
    keys,
    logger,
    realtime,
    orders: orders.unpaid,
    withdrawOpenIntent: (orderNo) => payments.withdrawOpenIntent(orderNo),
  });
  orderEvents.subscribe(coupons.orderListener());
  // Lucky bags: a SKU prize is a ¥0 order, placed like any order and sent without payment.
  const giveaways = new Giveaways({
    redis,
    keys,
    logger,
    realtime,
    coupons,
    prizes: new PrizeOrders(orders, (buyerId) => addresses.defaultAddress(buyerId)),
    queue: giveawayQueue,
  });
  const live: LiveService = new LiveService({
    redis,
    keys,
    stock: new LiveStock(redis, keys, stock),
    orders,
    addresses,
    realtime,
    holdQueue: liveHolds,
    coupons,
    giveaways,
    logger,
  });
  const payments: PaymentService = new PaymentService({
    gateway: new StripeGateway(runtime.services.stripe),
    orders,
    states: orderStates,
    stock,
    events: orderEvents,
    queue: stripeEvents,
    logger,
  });
  const courierAdapters = new CourierAdapters(
    new LocalCourierAdapter({ redis, keys, masterSecret: runtime.services.courierEventsSecret }),
  );
  const parcelLocks = new ParcelLocks(redis, keys);
  const tracking = new TrackingService({
    adapters: courierAdapters,
    states: orderStates,
    events: orderEvents,
    locks: parcelLocks,
    logger,
    parcelsChanged: (parcelNos) => county.noteParcels(parcelNos),
  });
  const routing: HubRouting = new HubRouting({
    queue: hubRouting,
    states: orderStates,
    events: orderEvents,
    adapterFor: (code) => courierAdapters.adapterFor(code),
    logger,
    consolidationWindowMs: config.HUB_CONSOLIDATION_WINDOW_S * 1000,
    locks: parcelLocks,
    memory: new RoutingMemory(redis, keys),
    parcelsChanged: (parcelNos) => county.noteParcels(parcelNos),
  });
  orderEvents.subscribe(routeOrdersAsTheyChange(routing, logger));
  const hub = new HubService({
    states: orderStates,
    events: orderEvents,
    stock,
    payments,
    realtime,
    adapterFor: (code) => courierAdapters.adapterFor(code),
    locks: parcelLocks,
    firstScanOverdue: (hubId) => tracking.parcelsAwaitingFirstScan(hubId),
    parcelsChanged: (parcelNos) => county.noteParcels(parcelNos),
    publicUrl: config.PUBLIC_URL,
  });
  const accounts = new AccountService(redis, keys, {
    addresses,
    signUpsPerIpHour: config.SIGN_UPS_PER_IP_HOUR,
  });
  return {
    accounts,
    addresses,
    stock,
    orderStates,
    orders,
    carts: new CartService(redis, keys),
    studio: new StudioService(),
    shops: new ShopService(accounts),
    couriers: new CourierAdminService({ logger }),
    courierAdapters,
    tracking,
    hub,
    routing,
    receiving: new HubReceiving({
      stock,
      realtime,
      storeReport: (file) => storeDocument(config.DATA_DIR, file, 'report'),
    }),
    trace: new TraceService(redis, keys, (code) => county.noteCodes([code])),
    payments,
    live,
    coupons,
    giveaways,
    certifications: new CertificationService({ dataDir: config.DATA_DIR }),
    county,
    countyView: new CountyView({
      now: new CountyNow({ onAirRooms: () => live.onAirRooms() }),
      awaitingFirstScan: () => tracking.parcelsAwaitingFirstScan(),
    }),
    realtime,
    queues: {
      orderExpiry,
      stripeEvents,
      liveHolds,
      hubRouting,
      countyFigures,
      giveaways: giveawayQueue,
    },
    async close() {
      live.stopCrowds();
      await orders.drain();
      stock.stopLease();
      await orderExpiry.close();
      await stripeEvents.close();
      await liveHolds.close();
      await hubRouting.close();
      await county.flushNotes();
      await countyFigures.close();
      await giveawayQueue.close();
      await queueConnection.quit().catch(() => queueConnection.disconnect());
    },
  };
}
