// The county admin's review of shops: a shop's products are public only once it is approved.
import { Router } from 'express';
import { requireRole } from '../accounts/guards.ts';
import type { ShopService } from './shop.service.ts';

export function shopReviewRoutes(services: { shops: ShopService }): Router {
  const router = Router();
  router.use('/admin/shops', requireRole('admin'));

  router.get('/admin/shops', async (req, res) => {
    res.render('admin/shops', {
      title: req.t('admin.shops'),
      shops: await services.shops.forReview(req.actor, req.locale),
    });
  });

  router.post('/admin/shops/:id/approve', async (req, res) => {
    await services.shops.setStatus(req.actor, req.params.id, 'approved');
    res.redirect(303, '/admin/shops');
  });

  router.post('/admin/shops/:id/suspend', async (req, res) => {
    await services.shops.setStatus(req.actor, req.params.id, 'suspended');
    res.redirect(303, '/admin/shops');
  });

  return router;
}
