import { Router } from 'express';
import { requireRole } from './guards.ts';
import type { AdminService } from './admin.service.ts';

export function adminRoutes(services: { admin: AdminService }): Router {
  const router = Router();
  router.use('/admin', requireRole('admin'));

  router.get('/admin/shops', async (req, res) => {
    res.render('admin/shops', {
      title: req.t('admin.shops'),
      shops: await services.admin.shops(req.actor, req.locale),
    });
  });

  router.get('/admin/payments', async (req, res) => {
    res.render('admin/payments', {
      title: req.t('admin.payments'),
      payments: await services.admin.paymentProblems(req.actor),
    });
  });

  router.post('/admin/shops/:id/approve', async (req, res) => {
    await services.admin.setShopStatus(req.actor, req.params.id, 'approved');
    res.redirect(303, '/admin/shops');
  });

  router.post('/admin/shops/:id/suspend', async (req, res) => {
    await services.admin.setShopStatus(req.actor, req.params.id, 'suspended');
    res.redirect(303, '/admin/shops');
  });

  return router;
}
