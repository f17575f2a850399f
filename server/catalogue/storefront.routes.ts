import { Router } from 'express';
import { listProductCards, listVillageCards } from './storefront.service.ts';

export function storefrontRoutes(): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const [products, villages] = await Promise.all([
      listProductCards(req.locale),
      listVillageCards(req.locale),
    ]);
    res.render('home', { title: req.t('site.tagline'), products, villages });
  });

  return router;
}
