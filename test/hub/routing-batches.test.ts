// A rush of paid orders reaches the hub at once: the routing worker serves them in batches. The
// hub worker still sees one parcel per buyer and address, every unit promised once, first expiry
// first out across the whole batch, and a courier's daily capacity counted within a batch too.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { Actor } from '../../server/accounts/actor.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { BatchAllocationModel, BatchModel } from '../../server/hub/batch.model.ts';
import { shipDateFor } from '../../server/hub/courier-choice.ts';
import { CourierModel } from '../../server/hub/courier.model.ts';
import { HubModel } from '../../server/hub/hub.model.ts';
import { ParcelModel } from '../../server/hub/parcel.model.ts';
import { OrderModel, type Order } from '../../server/orders/order.model.ts';
import { createBuyers, skuWithStock } from '../support/fixtures.ts';
import { DEMO_ADDRESS } from '../support/http-client.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { inProcessWeb } from '../support/web-scene.ts';
import { note } from '../../server/orders/timeline.ts';

const PAID_BY_TEST = { kind: 'system' as const, id: 'test-payments' };

describe('the hub routes a rush of paid orders in batches', function () {
  this.timeout(120_000);
  const scene = inProcessWeb();
  const services = () => scene.web.services;

  async function buyers(count: number): Promise<Actor[]> {
    const emails = await createBuyers(count);
    const users = await UserModel.find({ email: { $in: emails } }).lean();
    return users.map((u) => ({ id: String(u._id), role: 'buyer', displayName: u.displayName }));
  }

  /** A street of the test's own, so no other test's parcel can share it. */
  const street = (address = DEMO_ADDRESS) => ({
    ...address,
    detail: `批量路 ${randomBytes(3).toString('hex')} 号`,
  });

  /** A SKU whose units sit in two inspected batches: the earlier-expiring one holds `early`. */
  async function skuInTwoBatches(early: number, late: number) {
    const sku = await skuWithStock(early + late);
    const hub = (await HubModel.findOne().lean())!;
    const batch = (tag: string, quantity: number, expiresAt: string) =>
      BatchModel.create({
        batchNo: `T-${sku.code}-${tag}`,
        hubId: hub._id,
        skuId: sku._id,
        producer: '西沟花椒专业合作社',
        harvestDate: new Date('2026-09-01T00:00:00+08:00'),
        expiresAt: new Date(expiresAt),
        quantity,
        binCode: hub.bins[0]!.code,
        qc: { result: 'passed' },
        receivedBy: 'test',
        receivedAt: new Date(),
      });
    await batch('LATE', late, '2027-12-31T00:00:00+08:00');
    if (early > 0) await batch('EARLY', early, '2027-03-31T00:00:00+08:00');
    return sku;
  }

  async function paid(actor: Actor, skuId: string, address: typeof DEMO_ADDRESS) {
    const order = await services().orders.placeOrder(actor, {
      idempotencyKey: `batch-${randomBytes(6).toString('hex')}`,
      lines: [{ skuId, quantity: 1 }],
      address,
    });
    const result = await services().orderStates.transition(
      order.orderNo,
      'pending_payment',
      'paid',
      PAID_BY_TEST,
      note('paidWith', { method: 'card' }),
    );
    expect(result.won).to.equal(true);
    return order;
  }

  const parcelsOf = (orders: Order[]) =>
    ParcelModel.find({ orderNos: { $in: orders.map((o) => o.orderNo) } }).lean();

  it('puts each buyer’s orders to one address in one parcel, and takes units first expiry first out across the batch', async () => {
    const sku = await skuInTwoBatches(3, 10);
    const skuId = String(sku._id);
    const [first, ...others] = await buyers(4);
    const home = street();
    const office = street({ ...DEMO_ADDRESS, county: '海淀区' });
    const firstHome = [
      await paid(first!, skuId, home),
      await paid(first!, skuId, home),
      await paid(first!, skuId, { ...home, detail: ` ${home.detail.replace('号', ' 号')}` }),
    ];
    const firstOffice = await paid(first!, skuId, office);
    const single = await Promise.all(others.map((b) => paid(b, skuId, street())));
    const all = [...firstHome, firstOffice, ...single];

    // All at once, as the worker's jobs arrive in a rush.
    const outcomes = await Promise.all(all.map((o) => services().routing.routeOrder(o.orderNo)));
    expect(outcomes.every((o) => o.startsWith('in parcel '))).to.equal(true);
    // A retry of every job changes nothing.
    await Promise.all(all.map((o) => services().routing.routeOrder(o.orderNo)));

    const parcels = await parcelsOf(all);
    expect(parcels).to.have.length(5);
    const home1 = parcels.find((p) => p.orderNos.includes(firstHome[0]!.orderNo))!;
    expect(home1.orderNos.slice().sort()).to.deep.equal(firstHome.map((o) => o.orderNo).sort());
    expect(home1.lines).to.have.length(3);
    for (const order of [firstOffice, ...single]) {
      const holding = parcels.filter((p) => p.orderNos.includes(order.orderNo));
      expect(holding, order.orderNo).to.have.length(1);
      expect(holding[0]!.orderNos).to.deep.equal([order.orderNo]);
    }
    for (const order of all)
      expect((await OrderModel.findOne({ orderNo: order.orderNo }).lean())!.parcelNo).to.equal(
        parcels.find((p) => p.orderNos.includes(order.orderNo))!.parcelNo,
      );

    // Seven units: the three of the early batch, then four of the late one; each once.
    const allocations = await BatchAllocationModel.find({ skuId: sku._id }).lean();
    const from = (tag: string) =>
      allocations.filter((a) => a.batchNo.endsWith(tag)).reduce((sum, a) => sum + a.quantity, 0);
    expect([from('EARLY'), from('LATE')]).to.deep.equal([3, 4]);
    for (const order of all)
      expect(
        allocations.filter((a) => a.orderNo === order.orderNo).reduce((s, a) => s + a.quantity, 0),
        order.orderNo,
      ).to.equal(1);
    const lineUnits = parcels.flatMap((p) =>
      p.lines.flatMap((l) => l.allocations.map((a) => a.quantity)),
    );
    expect(lineUnits.reduce((s, q) => s + q, 0)).to.equal(7);

    // When the window closes, every parcel gets a courier and a waybill, and its orders move on.
    const later = new Date(Date.now() + 10 * 60_000);
    await Promise.all(parcels.map((p) => services().routing.closeParcel(p.parcelNo, later)));
    const routed = await parcelsOf(all);
    expect(routed.every((p) => p.status === 'routed' && p.courierCode && p.waybillNo)).to.equal(
      true,
    );
    expect(new Set(routed.map((p) => p.waybillNo)).size).to.equal(5);
    const statuses = await OrderModel.find(
      { orderNo: { $in: all.map((o) => o.orderNo) } },
      { status: 1, timeline: 1 },
    ).lean();
    expect(statuses.map((o) => o.status)).to.deep.equal(Array(7).fill('routed'));
    for (const o of statuses) expect(o.timeline.filter((t) => t.to === 'routed')).to.have.length(1);
  });

  it('finds a buyer’s open parcel from one batch to the next; after a Redis wipe it opens another and loses nothing', async () => {
    const sku = await skuInTwoBatches(0, 10);
    const [buyer] = await buyers(1);
    const home = street();
    const first = await paid(buyer!, String(sku._id), home);
    expect(await services().routing.routeOrder(first.orderNo)).to.match(/^in parcel /);
    // A later batch: Redis remembers the parcel still collecting this buyer's orders.
    const second = await paid(buyer!, String(sku._id), home);
    expect(await services().routing.routeOrder(second.orderNo)).to.match(/^in parcel /);
    let parcels = await parcelsOf([first, second]);
    expect(parcels).to.have.length(1);
    expect(parcels[0]!.orderNos).to.deep.equal([first.orderNo, second.orderNo]);

    // Redis forgets: the next order travels in a parcel of its own, and still travels.
    const { redis, keys } = getRuntime();
    for (const key of await redis.keys(keys.key('{hub}', 'open-parcel', '*'))) await redis.del(key);
    const third = await paid(buyer!, String(sku._id), home);
    expect(await services().routing.routeOrder(third.orderNo)).to.match(/^in parcel /);
    parcels = await parcelsOf([first, second, third]);
    expect(parcels).to.have.length(2);
    const later = new Date(Date.now() + 10 * 60_000);
    await Promise.all(parcels.map((p) => services().routing.closeParcel(p.parcelNo, later)));
    const statuses = await OrderModel.find(
      { orderNo: { $in: [first, second, third].map((o) => o.orderNo) } },
      { status: 1 },
    ).lean();
    expect(statuses.map((o) => o.status)).to.deep.equal(['routed', 'routed', 'routed']);
  });

  it('promises each unit of a batch once, counting in Redis, and counts again from the allocations after a wipe', async () => {
    const sku = await skuInTwoBatches(0, 4);
    const skuId = String(sku._id);
    const { redis, keys } = getRuntime();
    const useKey = keys.key('{hub}', 'batch-use', skuId);
    const promised = async () =>
      Object.entries(await redis.hgetall(useKey))
        .filter(([field]) => field !== '_counted')
        .reduce((sum, [, n]) => sum + Number(n), 0);
    const inAllocations = async () =>
      (await BatchAllocationModel.find({ skuId: sku._id }).lean()).reduce(
        (sum, a) => sum + a.quantity,
        0,
      );
    const orders = await Promise.all((await buyers(4)).map((b) => paid(b, skuId, street())));
    const route = (some: Order[]) =>
      Promise.all(some.map((o) => services().routing.routeOrder(o.orderNo)));

    await route(orders.slice(0, 2));
    expect([await promised(), await inAllocations()]).to.deep.equal([2, 2]);
    // Redis forgets, and a unit of the batch is gone (say, written off): the next batch counts
    // the allocations again and takes only the one unit left.
    await redis.del(useKey);
    await BatchModel.updateOne({ batchNo: `T-${sku.code}-LATE` }, { $set: { quantity: 3 } });
    const late = orders.slice(2);
    await route(late);
    expect([await promised(), await inAllocations()]).to.deep.equal([3, 3]);
    const short = await parcelsOf(late);
    expect(short.flatMap((p) => p.lines.flatMap((l) => l.allocations))).to.have.length(1);
    // An order taken out of its parcel gives its unit back, in MongoDB and in the count.
    expect(await services().routing.unrouteOrder(orders[0]!.orderNo)).to.equal('parcel cancelled');
    expect([await promised(), await inAllocations()]).to.deep.equal([2, 2]);
  });

  describe('a courier with room for one more parcel today', () => {
    const closeAt = new Date(Date.now() + 10 * 60_000);
    let saved: number | undefined;
    let shipDate = '';
    // Village addresses in Shanxi: China Post is the cheapest courier that reaches them.
    const village = {
      ...DEMO_ADDRESS,
      province: '山西省',
      city: '长治市',
      county: '平顺县',
      township: '青羊镇',
      village: '西沟村',
    };
    const bookedInRedis = async () => {
      const { redis, keys } = getRuntime();
      return Number(await redis.hget(keys.key('{hub}', 'booked', shipDate), 'chinapost'));
    };

    before(async () => {
      const chinapost = (await CourierModel.findOne({ code: 'chinapost' }).lean())!;
      saved = chinapost.dailyCapacity;
      shipDate = shipDateFor(closeAt, chinapost.pickupCutoff);
      const booked = await ParcelModel.countDocuments({ courierCode: 'chinapost', shipDate });
      await CourierModel.updateOne({ code: 'chinapost' }, { $set: { dailyCapacity: booked + 1 } });
    });
    after(async () => {
      if (saved !== undefined)
        await CourierModel.updateOne({ code: 'chinapost' }, { $set: { dailyCapacity: saved } });
    });

    it('gives it to one of two parcels closing in the same batch, never both', async () => {
      const sku = await skuInTwoBatches(0, 10);
      const pair = await buyers(2);
      const orders = await Promise.all(pair.map((b) => paid(b, String(sku._id), street(village))));
      await Promise.all(orders.map((o) => services().routing.routeOrder(o.orderNo)));
      const parcels = await parcelsOf(orders);
      expect(parcels).to.have.length(2);

      await Promise.all(parcels.map((p) => services().routing.closeParcel(p.parcelNo, closeAt)));
      const closed = await parcelsOf(orders);
      const takenBy = closed.filter((p) => p.courierCode === 'chinapost');
      expect(takenBy, 'parcels given to China Post').to.have.length(1);
      expect(await bookedInRedis(), 'the count Redis keeps').to.equal(
        await ParcelModel.countDocuments({ courierCode: 'chinapost', shipDate }),
      );
      const other = closed.find((p) => p.courierCode !== 'chinapost')!;
      expect(other.courierChoice?.reason.rejected ?? []).to.deep.include({
        courierCode: 'chinapost',
        code: 'capacity_full',
        shipDate,
      });
    });

    it('counts the day again from MongoDB after a Redis wipe, and still books no more than the room left', async () => {
      const { redis, keys } = getRuntime();
      const booked = await ParcelModel.countDocuments({ courierCode: 'chinapost', shipDate });
      await CourierModel.updateOne({ code: 'chinapost' }, { $set: { dailyCapacity: booked + 1 } });
      await redis.del(keys.key('{hub}', 'booked', shipDate));
      const sku = await skuInTwoBatches(0, 10);
      const pair = await buyers(2);
      const orders = await Promise.all(pair.map((b) => paid(b, String(sku._id), street(village))));
      await Promise.all(orders.map((o) => services().routing.routeOrder(o.orderNo)));
      // One after the other: two batches, the second counting what the first booked.
      for (const parcel of await parcelsOf(orders))
        await services().routing.closeParcel(parcel.parcelNo, closeAt);
      const closed = await parcelsOf(orders);
      expect(closed.filter((p) => p.courierCode === 'chinapost')).to.have.length(1);
      expect(await bookedInRedis()).to.equal(booked + 1);
    });
  });
});
