import { randomBytes } from 'node:crypto';
import type { CourierAdminService } from '../hub/courier-admin.service.ts';
import { Router, type Request, type Response } from 'express';
import { AppError, Invalid, Unauthenticated } from '../core/errors.ts';
import { pickLocalized } from '../core/localized-text.ts';
import type { OrderService } from './order-service.ts';
import type { CartService } from './cart-service.ts';
import type { StockReservations } from '../stock/stock-reservations.ts';
import type { AddressBook } from '../accounts/address-book.ts';
import type { TrackingService } from '../hub/tracking-service.ts';
import type { PaymentService } from '../payments/payment-service.ts';
import type { HubService } from '../hub/hub-service.ts';
import { cartView } from './cart-view.ts';
import { parseInput } from '../core/validation.ts';
import { shipToOf } from './address.schema.ts';
import { ADDRESS_FIELDS, addressInput, checkoutPlacement } from './order-input.ts';
import { ORDER_STATUSES, type Order } from './order.model.ts';
import { publicOrderView } from './order-view.ts';
import { noteText } from '../core/i18n/notes.ts';
import { DIVISIONS } from './china-divisions.ts';

function addressFromForm(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, body[f]]));
}

/** What the buyer's order pages call: the order core, and the services that report on an order. */
interface OrderRouteDeps {
  orders: OrderService;
  carts: CartService;
  stock: StockReservations;
  addresses: AddressBook;
  tracking: TrackingService;
  payments: PaymentService;
  hub: HubService;
  couriers: CourierAdminService;
}

export function orderRoutes(services: OrderRouteDeps, payTimeoutS: number): Router {
  const router = Router();
  const { orders, carts, stock } = services;

  // ---- cart ----
  router.get('/cart', async (req, res) => {
    const cart = await cartView(req.locale, await carts.lines(req.cartOwner()), stock);
    res.render('orders/cart', { title: req.t('nav.cart'), cart });
  });

  router.post('/cart/add', async (req, res) => {
    await carts.add(req.cartOwner(), req.body);
    // Back to the page the buy came from: a product page, or a replay's chapter.
    const from = req.body?.from;
    const back =
      typeof from === 'string' && /^\/live\/[0-9a-f]{24}\/replay$/.test(from)
        ? `${from}?added=1`
        : typeof req.body?.productSlug === 'string' &&
            /^[a-z0-9-]{3,80}$/.test(req.body.productSlug)
          ? `/p/${req.body.productSlug}?added=1`
          : '/cart';
    res.redirect(303, back);
  });

  router.post('/cart/update', async (req, res) => {
    await carts.set(req.cartOwner(), req.body);
    res.redirect(303, '/cart');
  });

  router.post('/api/cart', async (req, res) => {
    await carts.add(req.cartOwner(), req.body);
    res.json({ lines: await carts.lines(req.cartOwner()) });
  });

  // ---- checkout ----
  const renderCheckout = async (
    req: Request,
    res: Response,
    extra: Record<string, unknown> = {},
  ) => {
    const actor = req.actor!;
    const cart = await cartView(req.locale, await carts.lines({ userId: actor.id }), stock);
    const book = await services.addresses.list(actor.id);
    res.render('orders/checkout', {
      title: req.t('checkout.title'),
      cart,
      address: extra.address ?? book[0] ?? { phone: '' },
      // The address book (the default first, then those of earlier orders): one tap fills the form.
      savedAddresses: book.map((a, i) => ({ address: a, isDefault: i === 0 })),
      idempotencyKey: extra.idempotencyKey ?? randomBytes(16).toString('base64url'),
      payMinutes: Math.max(1, Math.round(payTimeoutS / 60)),
      couriers: await services.couriers.activeChoices(req.locale),
      ...extra,
    });
  };

  router.get('/checkout', async (req, res) => {
    if (!req.actor) throw new Unauthenticated();
    await renderCheckout(req, res);
  });

  router.post('/checkout', async (req, res) => {
    const actor = req.actor;
    if (!actor) throw new Unauthenticated();
    const body = (req.body ?? {}) as Record<string, unknown>;
    const address = addressFromForm(body);
    const key = typeof body.idempotencyKey === 'string' ? body.idempotencyKey : '';
    // The form carries one key per checkout page; without it a retry could not be recognised.
    if (!/^[A-Za-z0-9_-]{16,40}$/.test(key)) {
      throw new Invalid('errors.invalid', [
        { field: 'idempotencyKey', code: 'validation.idempotencyKey' },
      ]);
    }
    const cart = await cartView(req.locale, await carts.lines({ userId: actor.id }), stock);
    if (cart.groups.length === 0) return res.redirect(303, '/cart');
    const preferredCourier =
      typeof body.preferredCourier === 'string' && body.preferredCourier !== ''
        ? body.preferredCourier
        : undefined;
    if (preferredCourier && !(await services.couriers.isActive(preferredCourier)))
      throw new Invalid('errors.invalid', [
        { field: 'preferredCourier', code: 'validation.courier' },
      ]);

    const placed: Order[] = [];
    try {
      for (const group of cart.groups) {
        const placement = checkoutPlacement({
          idempotencyKey: `${key}-${group.shopId}`.slice(0, 64),
          lines: group.lines.map((l) => ({ skuId: l.skuId, quantity: l.quantity })),
          address,
          ...(preferredCourier ? { preferredCourier } : {}),
        });
        const order = await orders.placeOrder(actor, placement);
        placed.push(order);
        await carts.remove(
          { userId: actor.id },
          group.lines.map((l) => l.skuId),
        );
      }
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      const fields =
        error instanceof Invalid
          ? Object.fromEntries(
              error.fields.map((f) => [f.field.replace(/^address\./, ''), req.t(f.code)]),
            )
          : {};
      res.status(error.status);
      return renderCheckout(req, res, {
        address,
        idempotencyKey: key,
        error: req.t(error.code, error.params),
        fields,
        placed: placed.map((o) => o.orderNo),
      });
    }
    // Remember the address for next time (the first address is the default).
    // The order holds the address as validated (trimmed), so that is the one remembered.
    await services.addresses.remember(actor.id, placed[0]!.address!);
    res.redirect(303, placed.length === 1 ? `/orders/${placed[0]!.orderNo}` : '/orders');
  });

  // ---- orders ----
  router.get('/orders', async (req, res) => {
    const list = await orders.listBuyerOrders(req.actor);
    res.render('orders/list', {
      title: req.t('nav.orders'),
      orders: list.map((o) => viewModel(o, req.locale)),
    });
  });

  router.get('/orders/:orderNo', async (req, res) => {
    const order = await orders.getOrder(req.actor, req.params.orderNo);
    const statusLabels = Object.fromEntries(
      ORDER_STATUSES.map((s) => [s, req.t(`orderStatus.${s}`)]),
    );
    res.render('orders/detail', {
      title: `${req.t('orders.order')} ${order.orderNo}`,
      order: viewModel(order, req.locale),
      statusLabels,
      tracking: await services.tracking.trackingForOrder(order, req.locale, req.t),
      moneyBack: await services.payments.moneyBack(order.orderNo),
    });
  });

  // An unpaid order gets (or corrects) its address, then goes to payment; a paid one the hub could
  // not deliver gets a corrected address, and its parcel goes on.
  router.post('/orders/:orderNo/address', async (req, res) => {
    const order = await orders.getOrder(req.actor, String(req.params.orderNo));
    if (order.status === 'pending_payment') {
      const address = parseInput(addressInput, addressFromForm(req.body ?? {}));
      const updated = await orders.setAddress(req.actor, order.orderNo, address);
      await services.addresses.remember(req.actor!.id, address);
      // A prize (¥0) is sent once it has an address: nothing to pay.
      res.redirect(
        303,
        updated.status === 'pending_payment'
          ? `/orders/${order.orderNo}/pay`
          : `/orders/${order.orderNo}`,
      );
      return;
    }
    await services.hub.fixHeldAddress(req.actor, order.orderNo, addressFromForm(req.body ?? {}));
    res.redirect(303, `/orders/${req.params.orderNo}?addressFixed=1`);
  });

  // The live room's address sheet: a first-time buyer's order gets its address, which also
  // becomes the buyer's default for the next buy.
  router.post('/api/orders/:orderNo/address', async (req, res) => {
    const address = parseInput(addressInput, (req.body as { address?: unknown })?.address);
    const order = await orders.setAddress(req.actor, String(req.params.orderNo), address);
    await services.addresses.remember(req.actor!.id, address);
    res.json({ ...publicOrderView(order), shipTo: shipToOf(order.address) });
  });

  // One cancel for the page and the API: an unpaid order is dropped, a paid one not yet picked
  // is refunded in full (the state table refuses anything later).
  const cancel = async (req: Request): Promise<Order> => {
    const order = await orders.getOrder(req.actor, String(req.params.orderNo));
    return order.status === 'pending_payment'
      ? orders.cancelUnpaidOrder(req.actor, order.orderNo)
      : services.payments.cancelPaidOrder(req.actor, order.orderNo);
  };

  router.post('/orders/:orderNo/cancel', async (req, res) => {
    await cancel(req);
    res.redirect(303, `/orders/${req.params.orderNo}`);
  });

  router.post('/api/orders', async (req, res) => {
    if (!req.actor) throw new Unauthenticated();
    const order = await orders.placeOrder(req.actor, checkoutPlacement(req.body));
    res.status(201).json(publicOrderView(order));
  });

  // Each timeline entry also comes as `text`, in the asker's language (the order page re-reads
  // this when the order changes).
  // China's divisions for the address picker (public/js/address-picker.js); the same for all.
  const divisions = JSON.stringify(DIVISIONS);
  router.get('/divisions.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=86400');
    res.type('json').send(divisions);
  });

  router.get('/api/orders/:orderNo', async (req, res) => {
    const view = publicOrderView(await orders.getOrder(req.actor, req.params.orderNo));
    res.json({
      ...view,
      timeline: view.timeline.map((entry) => ({
        ...entry,
        text: noteText(entry.reason, entry.params ?? undefined, req.locale, (key, params) =>
          req.t(key, params as Record<string, unknown>),
        ),
      })),
    });
  });

  // The order page re-reads this when the order changes, to show new tracking events.
  router.get('/api/orders/:orderNo/tracking', async (req, res) => {
    const order = await orders.getOrder(req.actor, req.params.orderNo);
    const tracking = await services.tracking.trackingForOrder(order, req.locale, req.t);
    res.json({ tracking: tracking ?? null });
  });

  router.post('/api/orders/:orderNo/cancel', async (req, res) => {
    res.json(publicOrderView(await cancel(req)));
  });

  return router;
}

function viewModel(order: Order, locale: string) {
  const view = publicOrderView(order);
  return {
    ...view,
    createdAt: (order as Order & { createdAt?: Date }).createdAt,
    lines: view.lines.map((l) => ({
      ...l,
      title: pickLocalized(l.title, locale),
      spec: pickLocalized(l.spec, locale),
    })),
    pending: order.status === 'pending_payment',
    needsAddress: order.status === 'pending_payment' && !order.address,
    isPrize: order.channel === 'giveaway',
    cancellable:
      order.status === 'pending_payment' || order.status === 'paid' || order.status === 'routed',
  };
}
