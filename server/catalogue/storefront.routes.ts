import { Router } from 'express';
import { pickLocalized } from '../core/localized-text.ts';
import type { LiveService } from '../live/live-service.ts';
import type { StockReservations } from '../stock/stock-reservations.ts';
import { PRODUCT_CATEGORIES } from './product.model.ts';
import {
  listProductCards,
  listVillageCards,
  productPage,
  searchProducts,
  shopPage,
} from './storefront.service.ts';

export function storefrontRoutes(services: {
  live: LiveService;
  stock: StockReservations;
}): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    const [products, villages, sessions] = await Promise.all([
      listProductCards(req.locale),
      listVillageCards(req.locale),
      services.live.listForHome(req.locale),
    ]);
    res.render('home', {
      title: req.t('site.tagline'),
      products,
      villages,
      categories: PRODUCT_CATEGORIES,
      liveNow: sessions.filter((s) => s.status === 'live'),
      upcoming: sessions.filter((s) => s.status === 'scheduled'),
    });
  });

  router.get('/search', async (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q : '';
    const category = typeof req.query.category === 'string' ? req.query.category : undefined;
    const result = await searchProducts(req.locale, q, category);
    res.render('catalogue/search', {
      title: q || req.t('nav.search'),
      ...result,
      categories: PRODUCT_CATEGORIES,
    });
  });

  router.get('/p/:slug', async (req, res) => {
    const product = await productPage(req.locale, req.params.slug, services.stock, (skuIds) =>
      services.live.sessionOnAirPinning(skuIds),
    );
    const added = req.query.added === '1';
    // 在回放中看讲解: the replays that showed this product, from the moment it was shown.
    const replays = (await services.live.replaysForSkus(product.skus.map((s) => s.id))).map(
      (r) => ({ ...r, title: pickLocalized(r.title, req.locale) }),
    );
    res.render('catalogue/product', { title: product.title, product, added, replays });
  });

  router.get('/s/:slug', async (req, res) => {
    const shop = await shopPage(req.locale, req.params.slug);
    const replays = (await services.live.replaysForShop(shop.id)).map((r) => ({
      ...r,
      title: pickLocalized(r.title, req.locale),
    }));
    res.render('catalogue/shop', { title: shop.name, shop, replays });
  });

  return router;
}
