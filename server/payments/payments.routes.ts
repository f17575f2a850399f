import { requireRole } from '../accounts/guards.ts';
import express, { Router, type Request } from 'express';
import { Invalid } from '../core/errors.ts';
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
  services: { payments: PaymentService; orders: OrderService },
  publishableKey: string | undefined,
): Router {
  const router = Router();
  const { payments } = services;

  router.get('/orders/:orderNo/pay', async (req, res) => {
    // An order placed without an address asks for it on its own page first.
    const order = await services.orders.getOrder(req.actor, String(req.params.orderNo));
    if (!order.address && order.status === 'pending_payment') {
      res.redirect(303, `/orders/${order.orderNo}`);
      return;
    }
    const started = await payments.startPayment(req.actor, req.params.orderNo);
    res.render('payments/pay', {
      title: req.t('payments.title'),
      payment: started,
      local: payments.mode === 'stripe-mock',
      methods: PAYMENT_METHODS,
      publishableKey,
    });
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
