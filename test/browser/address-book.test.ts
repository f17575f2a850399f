// The address book at checkout: a buyer with more than one address picks one with a tap, the
// form (province, city and county lists included) follows, and the order goes there.
import { expect } from 'chai';
import { UserModel } from '../../server/accounts/user.model.ts';
import { OrderModel } from '../../server/orders/order.model.ts';
import { BUYER_PASSWORD, createBuyers, skuWithStock } from '../support/fixtures.ts';
import { DEMO_ADDRESS } from '../support/http-client.ts';
import { phoneContext, signIn, webAndBrowser } from './browser.ts';

describe('browser: the address book at checkout', function () {
  this.timeout(120_000);
  const env = webAndBrowser();

  it('offers the saved addresses, masked phone and all, and one tap fills the form', async () => {
    const sku = await skuWithStock(10, 3880);
    const [login] = await createBuyers(1);
    const home = {
      ...DEMO_ADDRESS,
      recipient: '申大娘',
      phone: '13912345678',
      province: '山西省',
      city: '长治市',
      county: '平顺县',
      township: '青羊镇',
      detail: '西沟村 12 号',
    };
    await UserModel.updateOne({ email: login }, { $set: { addresses: [DEMO_ADDRESS, home] } });

    const context = await phoneContext(env.browser, env.base);
    const page = await context.newPage();
    await signIn(page, login!, '/checkout', BUYER_PASSWORD);
    // The cart holds one line, put there through the API as the product page does.
    const added = await page.request.post('/api/cart', {
      data: { skuId: String(sku._id), quantity: 1 },
      headers: {
        'x-csrf-token': await page.locator('input[name=_csrf]').first().inputValue(),
      },
    });
    expect(added.status()).to.equal(200);
    await page.goto('/checkout');
    const book = page.locator('[data-testid=saved-addresses]');
    expect(await book.locator('input[type=radio]').count()).to.equal(2);
    expect(await book.textContent()).to.include('139****5678');
    expect(await book.textContent()).not.to.include('13912345678');

    await page.locator('select[name=county] option[value="朝阳区"]').waitFor({ state: 'attached' });
    await book.locator('input[type=radio]').nth(1).check();
    expect(await page.inputValue('input[name=recipient]')).to.equal('申大娘');
    expect(await page.inputValue('select[name=city]')).to.equal('长治市');
    expect(await page.inputValue('select[name=county]')).to.equal('平顺县');
    await Promise.all([page.waitForNavigation(), page.click('[data-testid=place-order]')]);
    expect(
      page.url(),
      (await page.locator('.alert, .field-error').allTextContents()).join(' | '),
    ).to.match(/\/orders(\/CB\d{14})?$/);
    const order = (await OrderModel.findOne({
      buyerId: (await UserModel.findOne({ email: login }).lean())!._id,
    }).lean())!;
    expect(order.address).to.deep.include({
      recipient: '申大娘',
      county: '平顺县',
      phone: '13912345678',
    });
    await context.close();
  });
});
