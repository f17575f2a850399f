import { requireRole } from '../accounts/guards.ts';
import express, { Router, type Request, type Response } from 'express';
import { AppError, Invalid } from '../core/errors.ts';
import { noteParams } from '../core/i18n/notes.ts';
import { publicOrderView } from '../orders/order-view.ts';
import type { Coupons } from '../promotions/coupons.ts';
import type { PaymentService } from './payment-service.ts';
import type { OrderService } from '../orders/order-service.ts';
import { PAYMENT_METHODS } from './payment-service.ts';

/**
 * Stripe's webhook: the raw body is needed for the signature, so this is mounted before the
 * JSON parser and the CSRF check. Bad or missing signature → 400 and nothing changes.
 */
export function stripeWebhookRoute(services: { payments: PaymentService }): Router {
  const router = Router();
  router.post(
    '/webhooks/stripe',
    express.raw({ type: () => true, limit: '1mb' }),
    async (req, res) => {
      const signature = req.headers['stripe-signature'];
      let outcome: 'queued' | 'duplicate';
      try {
        outcome = await services.payments.acceptWebhook(
          req.body as Buffer,
          typeof signature === 'string' ? signature : undefined,
        );
      } catch (error) {
        // A bad signature or a body that is no event: 400 from the error handler, noted here.
        if (error instanceof Invalid)
          req.log.warn({ code: error.code }, 'refused a Stripe webhook');
        throw error;
      }
      res.json({ received: true, outcome });
    },
  );
  return router;
}

export function paymentRoutes(
  services: { payments: PaymentService; orders: OrderService; coupons: Coupons },
  publishableKey: string | undefined,
): Router {
  const router = Router();
  const { payments } = services;

  /** The pay page: the amount, the buyer's coupons for this order, and the ways to pay. */
  const renderPayPage = async (req: Request, res: Response, couponError?: AppError) => {
    // An order placed without an address asks for it on its own page first.
    const order = await services.orders.getOrder(req.actor, String(req.params.orderNo));
    if (!order.address && order.status === 'pending_payment') {
      res.redirect(303, `/orders/${order.orderNo}`);
      return;
    }
    const started = await payments.startPayment(req.actor, order.orderNo);
    const coupons = await services.coupons.forOrder(req.actor, order);
    res.status(couponError?.status ?? 200).render('payments/pay', {
      title: req.t('payments.title'),
      payment: started,
      order: {
        itemsTotalFen: order.itemsTotalFen,
        discountFen: order.discountFen ?? 0,
        couponId: order.couponId,
      },
      coupons: coupons.map((c) => ({
        ...c,
        text: req.t(c.label.code, noteParams(c.label.params, req.locale)),
        useUntil: c.useUntil,
      })),
      couponError: couponError
        ? req.t(couponError.code, noteParams(couponError.params, req.locale))
        : '',
      local: payments.mode === 'stripe-mock',
      methods: PAYMENT_METHODS,
      publishableKey,
    });
  };

  router.get('/orders/:orderNo/pay', async (req, res) => {
    await renderPayPage(req, res);
  });

  // The pay page's coupon forms: put one of the buyer's coupons on the order, or take it off.
  // A refusal (too late, under the threshold, another shop's…) shows on the pay page itself.
  const couponForm =
    (change: (req: Request) => Promise<unknown>) => async (req: Request, res: Response) => {
      try {
        await change(req);
      } catch (error) {
        // Not theirs, not signed in, or broken: the usual error page. Anything else the buyer
        // can act on is shown beside the coupons.
        if (
          !(error instanceof AppError) ||
          [401, 403, 404].includes(error.status) ||
          error.status >= 500
        )
          throw error;
        await renderPayPage(req, res, error);
        return;
      }
      res.redirect(303, `/orders/${encodeURIComponent(String(req.params.orderNo))}/pay`);
    };
  router.post(
    '/orders/:orderNo/coupon',
    couponForm((req) =>
      services.coupons.apply(
        req.actor,
        String(req.params.orderNo),
        (req.body as { couponId?: unknown } | undefined)?.couponId,
      ),
    ),
  );
  router.post(
    '/orders/:orderNo/coupon/remove',
    couponForm((req) => services.coupons.remove(req.actor, String(req.params.orderNo))),
  );
  router.post('/api/orders/:orderNo/coupon', async (req, res) => {
    const couponId = (req.body as { couponId?: unknown } | undefined)?.couponId;
    const order = await services.coupons.apply(req.actor, String(req.params.orderNo), couponId);
    res.json(publicOrderView(order));
  });
  router.post('/api/orders/:orderNo/coupon/remove', async (req, res) => {
    res.json(publicOrderView(await services.coupons.remove(req.actor, String(req.params.orderNo))));
  });

  // Development and CI only: completes the payment through the real webhook endpoint.
  router.post('/orders/:orderNo/pay/local', async (req, res) => {
    const method = typeof req.body?.method === 'string' ? req.body.method : '';
    const { payload, signature } = await payments.buildLocalPaymentEvent(
      req.actor,
      req.params.orderNo,
      method,
    );
    const delivered = await fetch(`http://127.0.0.1:${localPort(req)}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      body: payload,
    });
    if (!delivered.ok) throw new Invalid('errors.paymentNotDelivered');
    res.redirect(303, `/orders/${req.params.orderNo}`);
  });

  router.post('/api/orders/:orderNo/payment', async (req, res) => {
    res.status(201).json(await payments.startPayment(req.actor, req.params.orderNo));
  });

  // The county admin's tool; hub staff report a short pick on the parcel, which calls this too.
  router.get('/admin/payments', requireRole('admin'), async (req, res) => {
    res.render('admin/payments', {
      title: req.t('admin.payments'),
      payments: await payments.problems(req.actor),
    });
  });

  router.post('/api/orders/:orderNo/refund-short-pick', requireRole('admin'), async (req, res) => {
    const lines = Array.isArray(req.body?.lines) ? req.body.lines : [];
    res.json(await payments.refundShortPick(req.actor, String(req.params.orderNo), lines));
  });

  return router;
}

function localPort(req: Request): number {
  return req.socket.localPort ?? 3000;
}
