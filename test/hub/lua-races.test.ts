// The counts routing keeps in Redis, raced by hub workers on connections of their own: the first
// readers of a day count it from MongoDB at once (remember-counts.lua keeps one count) while the
// others add to it (add-if-counted.lua), and no booking or promised unit is lost or counted twice.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Types } from 'mongoose';
import type { Redis } from '../../server/core/redis.ts';
import { BatchAllocationModel } from '../../server/hub/batch.model.ts';
import { ParcelModel } from '../../server/hub/parcel.model.ts';
import { RoutingMemory } from '../../server/hub/routing-memory.ts';
import { separateRedisConnections } from '../support/fixtures.ts';
import { DEMO_ADDRESS } from '../support/http-client.ts';
import { getRuntime } from '../support/root-hooks.ts';

describe('routing counts raced by several hub workers (add-if-counted.lua, remember-counts.lua)', function () {
  this.timeout(120_000);
  let connections: Redis[] = [];
  let memories: RoutingMemory[] = [];
  let close = async () => {};
  // Parcels of a hub that is not the county's, so no other story sees them.
  const hubId = new Types.ObjectId();
  // Allocations of SKUs made up for the test, likewise.
  const skuIds: Types.ObjectId[] = [];

  before(() => {
    ({ connections, close } = separateRedisConnections(8));
    memories = connections.map((c) => new RoutingMemory(c, getRuntime().keys));
  });
  after(async () => {
    await close();
    await ParcelModel.deleteMany({ hubId });
    await BatchAllocationModel.deleteMany({ skuId: { $in: skuIds } });
  });

  const memory = (i: number) => memories[i % memories.length]!;

  /** `count` parcels already booked with `courierCode` for `shipDate`, in MongoDB. */
  async function booked(courierCode: string, shipDate: string, count: number) {
    await ParcelModel.insertMany(
      Array.from({ length: count }, () => {
        const parcelNo = `RACE-${randomBytes(5).toString('hex')}`;
        return {
          parcelNo,
          hubId,
          buyerId: new Types.ObjectId(),
          addressKey: `race:${parcelNo}`,
          address: DEMO_ADDRESS,
          status: 'routed',
          openUntil: new Date(),
          courierCode,
          shipDate,
        };
      }),
    );
  }

  it('remember-counts + add-if-counted: 120 parcels closing on 8 workers, each reading the day then booking, count every booking once', async () => {
    // A day nobody has counted yet: 7 parcels with China Post and 5 with ZTO in MongoDB.
    const shipDate = '2099-12-31';
    await booked('chinapost', shipDate, 7);
    await booked('zto', shipDate, 5);
    const couriers = ['chinapost', 'zto', 'yto'];

    // Each closing reads the day's bookings (the first ones all count MongoDB at once), then
    // books its parcel, as ParcelClosing does.
    const seen = await Promise.all(
      Array.from({ length: 120 }, async (_, i) => {
        const usage = await memory(i).bookings([shipDate]);
        await memory(i + 3).booked(couriers[i % couriers.length]!, shipDate);
        return usage.chinapost?.[shipDate] ?? 0;
      }),
    );

    expect(await memory(0).bookings([shipDate])).to.deep.equal({
      chinapost: { [shipDate]: 7 + 40 },
      zto: { [shipDate]: 5 + 40 },
      yto: { [shipDate]: 40 },
    });
    // Every reader saw MongoDB's 7 and some of the bookings since, never more than were made.
    expect(
      seen.filter((n) => n < 7 || n > 7 + 40),
      'China Post counts seen',
    ).to.deep.equal([]);
  });

  it('remember-counts + add-if-counted: units promised and given back from a SKU’s batches by 100 workers at once, each counted once', async () => {
    const skuId = new Types.ObjectId();
    skuIds.push(skuId);
    const [early, late] = [new Types.ObjectId(), new Types.ObjectId()];
    // Already promised in MongoDB: 6 units of the early batch, 4 of the late one.
    await BatchAllocationModel.insertMany(
      [
        { batchId: early, quantity: 2 },
        { batchId: early, quantity: 2 },
        { batchId: early, quantity: 2 },
        { batchId: late, quantity: 4 },
      ].map((a, i) => ({
        ...a,
        allocationId: `race:${String(skuId)}:${i}`,
        batchNo: `RACE-${String(a.batchId)}`,
        parcelNo: `RACE-${String(skuId)}-${i}`,
        orderNo: `RACE-${i}`,
        skuId,
      })),
    );

    // Each worker reads what is promised, promises two early units and one late one, then
    // gives one early unit back (its order was cancelled).
    await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        await memory(i).batchUse(String(skuId));
        await memory(i + 1).batchesUsed(
          String(skuId),
          new Map([
            [String(early), 2],
            [String(late), 1],
          ]),
        );
        await memory(i + 2).batchesUsed(String(skuId), new Map([[String(early), -1]]));
      }),
    );

    const used = await memory(0).batchUse(String(skuId));
    expect(Object.fromEntries(used)).to.deep.equal({
      [String(early)]: 6 + 100,
      [String(late)]: 4 + 100,
    });
  });
});
