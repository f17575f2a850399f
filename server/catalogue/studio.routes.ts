import path from 'node:path';
import { IMPORT_COLUMNS } from './studio.service.ts';
import { renderFormErrors } from '../core/http/form-errors.ts';
import { receiveFiles } from '../core/http/uploads.ts';
import { Router, type Request, type Response } from 'express';
import { requireRole } from '../accounts/guards.ts';
import { Invalid } from '../core/errors.ts';
import type { StudioService } from './studio.service.ts';
import type { OrderService } from '../orders/order-service.ts';
import type { ShopService } from './shop.service.ts';
import { MAX_PHOTO_BYTES, storeProductPhoto } from './photos.ts';
import { PRODUCT_CATEGORIES } from './product.model.ts';
import { VillageModel } from './village.model.ts';
import { pickLocalized } from '../core/localized-text.ts';
import { ORDER_STATUSES } from '../orders/order-status.ts';

const photoUpload = receiveFiles(
  'photos',
  { fileSize: MAX_PHOTO_BYTES, files: 6 },
  'validation.photoTooLarge',
);
const csvUpload = receiveFiles('file', { fileSize: 1024 * 1024, files: 1 }, 'validation.upload');

export function studioRoutes(
  services: { studio: StudioService; orders: OrderService; shops: ShopService },
  uploadsDir: string,
): Router {
  const router = Router();
  const { studio } = services;

  // Any signed-in buyer may open a shop; it waits for the county admin's approval.
  router.get('/shops/new', requireRole('buyer'), async (req, res) => {
    res.render('studio/open-shop', {
      title: req.t('studio.openShop'),
      ...(await formOptions(req)),
      values: {},
    });
  });
  router.post('/shops/new', requireRole('buyer'), async (req, res) => {
    try {
      const actor = await services.shops.openShop(req.actor, req.body);
      req.session.actor = actor;
      res.redirect(303, '/studio');
    } catch (error) {
      renderFormErrors(req, res, 'studio/open-shop', error, {
        title: req.t('studio.openShop'),
        ...(await formOptions(req)),
      });
    }
  });

  router.use('/studio', requireRole('streamer'));

  router.post('/studio/assistants', async (req, res) => {
    await services.shops.inviteAssistant(req.actor, req.body);
    res.redirect(303, '/studio?invited=1');
  });

  const formOptions = async (req: Request) => ({
    categories: PRODUCT_CATEGORIES,
    villages: (await VillageModel.find().sort({ code: 1 }).lean()).map((v) => ({
      code: v.code,
      name: pickLocalized(v.name, req.locale),
    })),
  });

  const storePhotos = async (req: Request) => {
    const files = (req.files as Express.Multer.File[] | undefined) ?? [];
    const stored = [];
    for (const file of files)
      stored.push(await storeProductPhoto(path.join(uploadsDir), file.buffer, 'photos'));
    return stored.map((p) => p.url);
  };

  const withFormErrors =
    (view: string, extra: (req: Request) => Promise<Record<string, unknown>>) =>
    async (req: Request, res: Response, error: unknown) =>
      renderFormErrors(req, res, view, error, {
        ...(await extra(req)),
        ...(await formOptions(req)),
      });

  router.get('/studio', async (req, res) => {
    res.render('studio/index', {
      title: req.t('studio.title'),
      ...(await studio.overview(req.actor, req.locale)),
      invited: req.query.invited === '1',
      importColumns: IMPORT_COLUMNS.join(','),
    });
  });

  router.get('/studio/orders', async (req, res) => {
    const { orders, paid, unpaid } = await services.orders.shopOrders(req.actor);
    const statusLabels = Object.fromEntries(
      ORDER_STATUSES.map((s) => [s, req.t(`orderStatus.${s}`)]),
    );
    res.render('studio/orders', {
      title: req.t('studio.orders'),
      paid,
      unpaid,
      statusLabels,
      orders: orders.map((o) => ({
        orderNo: o.orderNo,
        status: o.status,
        totalFen: o.totalFen,
        createdAt: (o as typeof o & { createdAt?: Date }).createdAt,
        items: o.lines
          .map(
            (l) =>
              `${pickLocalized(l.title, req.locale)} ${pickLocalized(l.spec, req.locale)} ×${l.quantity}`,
          )
          .join('，'),
        recipient: o.address?.recipient ?? req.t('orders.addressPending'),
      })),
    });
  });

  router.get('/studio/products/new', async (req, res) => {
    await studio.shopOf(req.actor); // the form is for a shop's own people only
    res.render('studio/product-form', {
      title: req.t('studio.newProduct'),
      ...(await formOptions(req)),
      values: { status: 'active' },
      isNew: true,
    });
  });

  const newFormFailure = withFormErrors('studio/product-form', async (req) => ({
    title: req.t('studio.newProduct'),
    isNew: true,
  }));
  router.post('/studio/products', photoUpload, async (req, res) => {
    try {
      const photos = await storePhotos(req);
      await studio.createProduct(req.actor, req.body, req.body, photos);
      res.redirect(303, '/studio');
    } catch (error) {
      await newFormFailure(req, res, error);
    }
  });

  router.get('/studio/products/:id', async (req, res) => {
    const { product, villageCode, skus } = await studio.productForEdit(req.actor, req.params.id);
    res.render('studio/product-form', {
      title: pickLocalized(product.title, req.locale),
      ...(await formOptions(req)),
      productId: String(product._id),
      skus: skus.map((s) => ({
        code: s.code,
        spec: pickLocalized(s.spec, req.locale),
        priceFen: s.priceFen,
      })),
      values: {
        title_zh: product.title.zh,
        title_en: product.title.en,
        description_zh: product.description.zh,
        description_en: product.description.en,
        category: product.category,
        village_code: villageCode,
        status: product.status,
      },
    });
  });

  const editFailure = withFormErrors('studio/product-form', async (req) => ({
    title: req.t('studio.editProduct'),
    productId: req.params.id,
  }));
  router.post('/studio/products/:id', photoUpload, async (req, res) => {
    try {
      const photos = await storePhotos(req);
      await studio.updateProduct(req.actor, String(req.params.id), req.body, photos);
      res.redirect(303, '/studio');
    } catch (error) {
      await editFailure(req, res, error);
    }
  });

  router.post('/studio/products/:id/archive', async (req, res) => {
    await studio.archiveProduct(req.actor, req.params.id);
    res.redirect(303, '/studio');
  });

  router.post('/studio/products/:id/skus', async (req, res) => {
    await studio.addSku(req.actor, req.params.id, req.body);
    res.redirect(303, `/studio/products/${req.params.id}`);
  });

  router.post('/studio/import', csvUpload, async (req, res) => {
    const file = req.file;
    if (!file) throw new Invalid('errors.invalid', [{ field: 'file', code: 'validation.csv' }]);
    const report = await studio.importCsv(req.actor, file.buffer.toString('utf8'));
    res.status(report.errors.length ? 422 : 200).render('studio/import-report', {
      title: req.t('studio.importReport'),
      report: { ...report, errors: report.errors.map((e) => ({ ...e, message: req.t(e.code) })) },
    });
  });

  return router;
}
