// Order numbers come from a day's serial counter in Redis, spread over eight digits: processes
// drawing at once never repeat a number, and a wiped counter starts somewhere new.
import { expect } from 'chai';
import { OrderNumbers } from '../../server/orders/order-numbers.ts';
import { getRuntime } from '../support/root-hooks.ts';

describe('order numbers', () => {
  it('two processes drawing at once never repeat a number within a day', async () => {
    const { redis, keys } = getRuntime();
    const a = new OrderNumbers(redis, keys);
    const b = new OrderNumbers(redis, keys);
    const day = new Date('2026-12-02T10:00:00Z');
    const drawn = await Promise.all(
      Array.from({ length: 3000 }, (_, i) => (i % 2 ? a : b).next(day)),
    );
    expect(new Set(drawn).size).to.equal(3000);
    for (const no of drawn) expect(no).to.match(/^CB261202[0-9]{8}$/);
    // Consecutive numbers do not read as a count of the day's sales.
    const digits = drawn.slice(0, 10).map((no) => Number(no.slice(-8)));
    const steps = digits.slice(1).map((d, i) => Math.abs(d - digits[i]!));
    expect(steps.filter((s) => s === 1)).to.have.length(0);
  });

  it('a new day, or a counter lost with a Redis wipe, starts a new series of the right shape', async () => {
    const { redis, keys } = getRuntime();
    const numbers = new OrderNumbers(redis, keys);
    const today = await numbers.next(new Date('2026-12-03T10:00:00Z'));
    const tomorrow = await numbers.next(new Date('2026-12-04T10:00:00Z'));
    expect(today).to.match(/^CB261203[0-9]{8}$/);
    expect(tomorrow).to.match(/^CB261204[0-9]{8}$/);
    await redis.del(keys.key('{orders}', 'serial', '261205'));
    const afresh = new OrderNumbers(redis, keys);
    const [x, y] = [
      await afresh.next(new Date('2026-12-05T10:00:00Z')),
      await afresh.next(new Date('2026-12-05T10:00:00Z')),
    ];
    expect(x).to.match(/^CB261205[0-9]{8}$/);
    expect(x).to.not.equal(y);
  });
});
