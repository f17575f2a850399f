import { expect } from 'chai';
import { OrderModel } from '../../server/orders/order.model.ts';
import { DEMO_ORDER_NO } from '../../server/seed/demo-delivered-parcel.ts';
import mongoose from 'mongoose';
import { UserModel } from '../../server/accounts/user.model.ts';
import { verifyPassword } from '../../server/accounts/passwords.ts';
import { ProductModel } from '../../server/catalogue/product.model.ts';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { SkuModel } from '../../server/catalogue/sku.model.ts';
import { VillageModel } from '../../server/catalogue/village.model.ts';
import { startWebServer, type WebServer } from '../../server/app/web-server.ts';
import { CourierModel } from '../../server/hub/courier.model.ts';
import { HubModel } from '../../server/hub/hub.model.ts';
import { sellableStockBySku } from '../../server/stock/stock-ledger.ts';
import { StockMovementModel } from '../../server/stock/stock-movement.model.ts';
import { DEMO_PASSWORD, DEMO_PRODUCTS } from '../../server/seed/demo-county.ts';
import {
  barcodeFor,
  isDatabaseEmpty,
  resetDatabase,
  seedDemoCounty,
} from '../../server/seed/seed-demo-county.ts';
import { getRuntime } from '../support/root-hooks.ts';

describe('demo county seeding', () => {
  before(async () => {
    await resetDatabase();
  });

  it('fills an empty database with a believable county', async () => {
    expect(await isDatabaseEmpty()).to.equal(true);
    const { created } = await seedDemoCounty(getRuntime().logger, {
      dataDir: getRuntime().config.DATA_DIR,
    });
    expect(created).to.deep.include({ Hub: 1, Courier: 13, Village: 12 });
    expect(created.Product).to.be.at.least(20);
    expect(await isDatabaseEmpty()).to.equal(false);

    const hub = await HubModel.findOne({ code: 'PS-HUB' }).lean();
    expect(hub?.bins).to.have.length(80);
    expect(await CourierModel.countDocuments({ 'coverage.reachesVillages': true })).to.be.at.least(
      2,
    );
    expect(await VillageModel.countDocuments({ 'county.zh': '平顺县' })).to.equal(12);
    for (const title of ['平顺大红袍花椒', '花椒芽菜辣酱', '沁州黄小米', '平顺潞党参', '连翘茶']) {
      expect(await ProductModel.countDocuments({ 'title.zh': title }), title).to.equal(1);
    }
  });

  it('prices every SKU in integer fen with a valid EAN-13 barcode', async () => {
    const skus = await SkuModel.find().lean();
    expect(skus.length).to.be.at.least(30);
    for (const sku of skus) {
      expect(Number.isSafeInteger(sku.priceFen), sku.code).to.equal(true);
      expect(sku.barcode).to.equal(barcodeFor(sku.code));
      const digits = [...sku.barcode].map(Number);
      const sum = digits.slice(0, 12).reduce((acc, d, i) => acc + d * (i % 2 === 0 ? 1 : 3), 0);
      expect((10 - (sum % 10)) % 10).to.equal(digits[12]);
    }
  });

  it('receives the opening stock at the hub through the ledger, less the delivered demo parcel', async () => {
    const skus = await SkuModel.find().lean();
    const balances = await sellableStockBySku(skus.map((s) => s._id));
    const expected = new Map(DEMO_PRODUCTS.flatMap((p) => p.skus.map((s) => [s.code, s.stock])));
    // 陈晓's delivered order of two bags holds two units of the premium 250 g pepper.
    expected.set('HJ-DHP-TJ-250', expected.get('HJ-DHP-TJ-250')! - 2);
    for (const sku of skus)
      expect(balances.get(String(sku._id)), sku.code).to.equal(expected.get(sku.code));
    expect(await StockMovementModel.countDocuments({ kind: { $ne: 'received' } })).to.equal(1);
    expect((await OrderModel.findOne({ orderNo: DEMO_ORDER_NO }).lean())!.status).to.equal(
      'delivered',
    );
  });

  it('gives each role a demo login with the documented password', async () => {
    for (const role of ['admin', 'hub_staff', 'buyer', 'streamer'] as const) {
      const user = await UserModel.findOne({ role }).lean();
      expect(user, role).to.not.equal(null);
      expect(await verifyPassword(user!.passwordHash, DEMO_PASSWORD)).to.equal(true);
    }
    const streamer = await UserModel.findOne({ phone: '13900000001' }).lean();
    const shop = await ShopModel.findOne({ slug: 'xigou-pepper' }).lean();
    expect(String(streamer?.shopId)).to.equal(String(shop?._id));
    expect(String(shop?.ownerId)).to.equal(String(streamer?._id));
  });

  it('is idempotent: a second run creates nothing and changes no balance', async () => {
    const before = await StockMovementModel.countDocuments();
    const { created } = await seedDemoCounty(getRuntime().logger, {
      dataDir: getRuntime().config.DATA_DIR,
    });
    expect(created).to.deep.equal({});
    expect(await StockMovementModel.countDocuments()).to.equal(before);
    expect(await mongoose.connection.db!.collection('products').countDocuments()).to.equal(
      DEMO_PRODUCTS.length,
    );
  });

  describe('the storefront home page', () => {
    let web: WebServer;
    before(async () => {
      web = await startWebServer(getRuntime(), { port: 0 });
    });
    after(() => web.close());

    it('lists the seeded products of approved shops with prices in yuan', async () => {
      const html = await (await fetch(`http://127.0.0.1:${web.port}/`)).text();
      expect(html).to.include('平顺大红袍花椒');
      expect(html).to.include('¥38.80'); // 特级 250g, the cheapest Dahongpao SKU
      expect(html).to.include('西沟村');
      expect(html).not.to.include('岳家寨荆条蜜'); // its shop is still awaiting approval
      const cards = html.match(/class="card"/g) ?? [];
      expect(cards.length).to.equal(DEMO_PRODUCTS.length - 1);
    });

    it('speaks English when asked', async () => {
      const html = await (await fetch(`http://127.0.0.1:${web.port}/?lang=en`)).text();
      expect(html).to.include('Pingshun Dahongpao Sichuan Pepper');
      expect(html).to.include('<html lang="en">');
    });
  });
});
