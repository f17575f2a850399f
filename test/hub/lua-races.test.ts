// The counts routing keeps in Redis, raced by hub workers on connections of their own: the first
// readers of a day count it from MongoDB at once while the others book parcels
// (recount-bookings.lua, count-booking.lua), the first readers of a SKU count its promised units
// (remember-counts.lua keeps one count) while the others add to it (add-if-counted.lua), and no
// booking or promised unit is lost or counted twice.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Types } from 'mongoose';
import type { Redis } from '../../server/core/redis.ts';
import { BatchAllocationModel } from '../../server/hub/batch.model.ts';
import { ParcelModel } from '../../server/hub/parcel.model.ts';
import { RoutingMemory } from '../../server/hub/routing-memory.ts';
import { pausedAt, separateRedisConnections } from '../support/fixtures.ts';
import { DEMO_ADDRESS } from '../support/http-client.ts';
import { getRuntime } from '../support/root-hooks.ts';

describe('routing counts raced by several hub workers (count-booking.lua, recount-bookings.lua, add-if-counted.lua, remember-counts.lua)', function () {
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

  const newParcelNo = () => `RACE-${randomBytes(5).toString('hex')}`;

  /** A routed parcel as ParcelClosing writes it to MongoDB. */
  const routedParcel = (parcelNo: string, courierCode: string, shipDate: string) => ({
    parcelNo,
    hubId,
    buyerId: new Types.ObjectId(),
    addressKey: `race:${parcelNo}`,
    address: DEMO_ADDRESS,
    status: 'routed' as const,
    openUntil: new Date(),
    courierCode,
    shipDate,
  });

  /** `count` parcels already booked with `courierCode` for `shipDate`, in MongoDB. */
  async function booked(courierCode: string, shipDate: string, count: number) {
    await ParcelModel.insertMany(
      Array.from({ length: count }, () => routedParcel(newParcelNo(), courierCode, shipDate)),
    );
  }

  async function writeParcel(parcelNo: string, courierCode: string, shipDate: string) {
    await ParcelModel.create(routedParcel(parcelNo, courierCode, shipDate));
  }

  /** A parcel closed on process `on`, as ParcelClosing closes it: counted, written, counted again. */
  async function closeParcel(on: number, courierCode: string, shipDate: string) {
    const parcelNo = newParcelNo();
    await memory(on).booked(courierCode, shipDate, parcelNo);
    await writeParcel(parcelNo, courierCode, shipDate);
    await memory(on).booked(courierCode, shipDate, parcelNo);
  }

  it('recount-bookings + count-booking: 120 parcels closing on 8 workers, each reading the day then booking, count every booking once', async () => {
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
        await memory(i + 3).booked(couriers[i % couriers.length]!, shipDate, newParcelNo());
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

  it('recount-bookings: parcels booked while a wiped day is counted again from MongoDB are all counted, and the courier is never booked past its capacity', async () => {
    // STO has 6 parcels on the day and room for 12. The day was counted, and a closer has just
    // counted its parcel when Redis is wiped, before that parcel is written.
    const shipDate = '2099-12-30';
    const capacity = 12;
    await booked('sto', shipDate, 6);
    await memory(0).bookings([shipDate]);
    const straddling = newParcelNo();
    await memory(5).booked('sto', shipDate, straddling);
    const { redis, keys } = getRuntime();
    for (const key of await redis.keys(`${keys.key('{hub}', 'booked', shipDate)}*`))
      await redis.del(key);

    // A worker reads the day, finds no counts, reads MongoDB, and stops before it stores them.
    const slow = pausedAt(connections[0]!, 'recountBookings');
    const recounting = new RoutingMemory(slow.connection, keys).bookings([shipDate]);
    await slow.reached;
    // Meanwhile that parcel is written, and three more close on other workers (their batches
    // read the day before the wipe).
    await Promise.all([
      (async () => {
        await writeParcel(straddling, 'sto', shipDate);
        await memory(5).booked('sto', shipDate, straddling);
      })(),
      ...[1, 2, 3].map((on) => closeParcel(on, 'sto', shipDate)),
    ]);
    slow.letGo();
    await recounting;

    // Then one worker closes parcels one batch at a time while its count of the day shows room.
    let more = 0;
    while (((await memory(4).bookings([shipDate])).sto?.[shipDate] ?? 0) < capacity) {
      await closeParcel(4, 'sto', shipDate);
      more++;
    }

    const inMongo = await ParcelModel.countDocuments({ courierCode: 'sto', shipDate });
    const counted = (await memory(6).bookings([shipDate])).sto?.[shipDate];
    expect({ counted, inMongo, more }).to.deep.equal({
      counted: capacity,
      inMongo: capacity,
      more: capacity - 6 - 4,
    });
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
