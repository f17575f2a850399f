import { expect } from 'chai';
import sharp from 'sharp';
import type { Actor } from '../../server/accounts/actor.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { storeProductPhoto } from '../../server/catalogue/photos.ts';
import { ProductModel } from '../../server/catalogue/product.model.ts';
import { ShopModel } from '../../server/catalogue/shop.model.ts';
import { ShopService } from '../../server/catalogue/shop.service.ts';
import { AccountService } from '../../server/accounts/account-service.ts';
import { SkuModel } from '../../server/catalogue/sku.model.ts';
import { StudioService } from '../../server/catalogue/studio.service.ts';
import { yuanToFen } from '../../server/core/validation.ts';
import { Forbidden, Invalid, NotFound } from '../../server/core/errors.ts';
import { createBuyers, ensureDemoCounty } from '../support/fixtures.ts';
import { getRuntime } from '../support/root-hooks.ts';
import path from 'node:path';

async function actorFor(phoneOrEmail: string): Promise<Actor> {
  const user = (await UserModel.findOne(
    phoneOrEmail.includes('@') ? { email: phoneOrEmail } : { phone: phoneOrEmail },
  ).lean())!;
  return {
    id: String(user._id),
    role: user.role,
    displayName: user.displayName,
    ...(user.shopId ? { shopId: String(user.shopId) } : {}),
  };
}

const HEADER =
  'product_slug,title_zh,title_en,description_zh,description_en,category,village_code,sku_code,spec_zh,spec_en,price_yuan,weight_grams,barcode';

describe('the streamer studio', () => {
  const studio = new StudioService();
  let shops: ShopService;
  before(async () => {
    await ensureDemoCounty();
    shops = new ShopService(new AccountService(getRuntime().redis, getRuntime().keys));
  });

  it('turns yuan into integer fen exactly', () => {
    expect(yuanToFen('38.80')).to.equal(3880);
    expect(yuanToFen('38.8')).to.equal(3880);
    expect(yuanToFen('0.07')).to.equal(7);
    expect(yuanToFen('19.99')).to.equal(1999); // 19.99 * 100 is 1998.9999… in floating point
    for (const bad of ['', '1.234', '-1', '1e3', 'abc', '12.'])
      expect(yuanToFen(bad), bad).to.equal(undefined);
  });

  it('imports good CSV rows and reports each bad one by row and field', async () => {
    const streamer = await actorFor('13900000002');
    const csv = [
      HEADER,
      'hongti-black-millet,黑小米,Black Millet,黑小米熬粥,Black millet porridge,grain,PS-HONGTIGUAN,XM-HEI-1KG,1kg,1 kg,36.80,1050,6901111100011',
      'hongti-black-millet,黑小米,Black Millet,黑小米熬粥,,grain,PS-HONGTIGUAN,XM-HEI-2500,2.5kg,,79.90,2600,6901111100028',
      'bad-row,,No Chinese title,,,candy,nowhere,x,,,-5,0,12',
      'hongti-oats,莜麦面,Naked Oat Flour,莜麦面,,noodles,PS-HONGTIGUAN,ZL-YM-1KG,1kg,,12.345,1050,6901111100035',
    ].join('\n');
    const report = await studio.importCsv(streamer, csv);
    expect(report.imported).to.equal(2);
    const rows = [...new Set(report.errors.map((e) => e.row))];
    expect(rows).to.deep.equal([4, 5]);
    const row4 = report.errors.filter((e) => e.row === 4).map((e) => e.field);
    expect(row4).to.include.members([
      'title_zh',
      'description_zh',
      'category',
      'village_code',
      'sku_code',
      'spec_zh',
      'price_yuan',
      'weight_grams',
      'barcode',
    ]);
    expect(report.errors.find((e) => e.row === 5)).to.deep.include({
      field: 'price_yuan',
      code: 'validation.price',
    });

    const product = (await ProductModel.findOne({ slug: 'hongti-black-millet' }).lean())!;
    expect(await SkuModel.find({ productId: product._id }).countDocuments()).to.equal(2);
    expect((await SkuModel.findOne({ code: 'XM-HEI-2500' }).lean())!.priceFen).to.equal(7990);
    expect(await ProductModel.exists({ slug: 'hongti-oats' })).to.equal(null);

    // Importing the same file again updates instead of duplicating.
    const again = await studio.importCsv(streamer, csv);
    expect(again.imported).to.equal(2);
    expect(await SkuModel.find({ productId: product._id }).countDocuments()).to.equal(2);
  });

  it("does not let one shop touch another shop's products", async () => {
    const pepper = (await ProductModel.findOne({ slug: 'dahongpao-sichuan-pepper' }).lean())!;
    const millet = await actorFor('13900000002');
    const err = await studio.archiveProduct(millet, String(pepper._id)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(NotFound);
    const csv = `${HEADER}\ndahongpao-sichuan-pepper,花椒,Pepper,抢别人的,,pepper,PS-XIGOU,HJ-STEAL-1,1kg,,1.00,100,6901111100042`;
    const report = await studio.importCsv(millet, csv);
    expect(report.imported).to.equal(0);
    expect(report.errors[0]).to.deep.include({
      field: 'product_slug',
      code: 'validation.slugTaken',
    });
    expect((await ProductModel.findById(pepper._id).lean())!.status).to.equal('active');
    const buyer = await actorFor('13800000001');
    expect(await studio.overview(buyer, 'zh-CN').catch((e: unknown) => e)).to.be.instanceOf(
      Forbidden,
    );
  });

  it('accepts only real JPEG, PNG or WebP photos up to 5 MB', async () => {
    const dir = path.join(getRuntime().config.DATA_DIR, 'uploads-test');
    const png = await sharp({
      create: { width: 800, height: 800, channels: 3, background: '#b3261e' },
    })
      .png()
      .toBuffer();
    const stored = await storeProductPhoto(dir, png);
    expect(stored.url).to.match(/\.webp$/);
    const svgPretendingToBePng = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    );
    const notAPhoto = await storeProductPhoto(dir, svgPretendingToBePng).catch((e: unknown) => e);
    expect(notAPhoto).to.be.instanceOf(Invalid);
    expect((notAPhoto as Invalid).fields[0]!.code).to.equal('validation.photoType');
    const huge = await storeProductPhoto(dir, Buffer.alloc(5 * 1024 * 1024 + 1)).catch(
      (e: unknown) => e,
    );
    expect((huge as Invalid).fields[0]!.code).to.equal('validation.photoTooLarge');
  });

  it('lets a buyer open a shop (pending) and its owner invite an assistant', async () => {
    const [ownerLogin, helperLogin] = await createBuyers(2);
    const owner = await shops.openShop(await actorFor(ownerLogin!), {
      name_zh: '北耽车小米铺',
      village_code: 'PS-BEIDANCHE',
      story_zh: '我家三代人都在旱垣上种小米。',
    });
    expect(owner.role).to.equal('streamer');
    const shop = (await ShopModel.findById(owner.shopId).lean())!;
    expect(shop.status).to.equal('pending');

    await shops.inviteAssistant(owner, { login: helperLogin });
    const helper = (await UserModel.findOne({ email: helperLogin }).lean())!;
    expect(helper).to.deep.include({ role: 'streamer', shopRole: 'assistant' });
    expect(String(helper.shopId)).to.equal(String(shop._id));

    // An assistant cannot invite further people; a stranger's login is explained.
    const assistant = await actorFor(helperLogin!);
    expect(
      await shops.inviteAssistant(assistant, { login: '13800000001' }).catch((e: unknown) => e),
    ).to.be.instanceOf(Forbidden);
    const unknown = await shops
      .inviteAssistant(owner, { login: 'nobody@nowhere.test' })
      .catch((e: unknown) => e);
    expect((unknown as Invalid).fields[0]!.code).to.equal('validation.noSuchUser');
  });
});
