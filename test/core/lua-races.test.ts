// The Redis lock raced by holders on connections of their own, as separate web and worker
// processes would be: redis-lock-release.lua lets go of a lock only for the holder that took it.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { Unavailable } from '../../server/core/errors.ts';
import type { Redis } from '../../server/core/redis.ts';
import { RedisLocks } from '../../server/core/redis-lock.ts';
import { separateRedisConnections } from '../support/fixtures.ts';
import { getRuntime } from '../support/root-hooks.ts';

const KIND = 'lock-race';
const BUSY = 'errors.tryAgain';

describe('the Redis lock under a race (redis-lock-release.lua)', function () {
  this.timeout(60_000);
  let connections: Redis[] = [];
  let locks: RedisLocks[] = [];
  let close = async () => {};

  before(() => {
    ({ connections, close } = separateRedisConnections(6));
    locks = connections.map((c) => new RedisLocks(c, getRuntime().keys));
  });
  after(() => close());

  it('redis-lock-release: 60 holders of one lock on 6 connections never overlap, and no read-change-write is lost', async () => {
    const id = randomBytes(4).toString('hex');
    const { redis, keys } = getRuntime();
    const documentKey = keys.key('lock-race-document', id);
    let inside = 0;
    let mostInside = 0;
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        locks[i % locks.length]!.hold(
          KIND,
          id,
          async () => {
            mostInside = Math.max(mostInside, ++inside);
            // Read on one connection, write on another: a second holder would slip in between.
            const read = Number((await connections[i % connections.length]!.get(documentKey)) ?? 0);
            await connections[(i + 1) % connections.length]!.set(documentKey, read + 1);
            inside--;
            return 'done' as const;
          },
          BUSY,
        ).catch((error: unknown) => {
          // Waiting longer than the lock allows is answered 503 "try again": not a failure here.
          if (error instanceof Unavailable && error.code === BUSY) return 'busy' as const;
          throw error;
        }),
      ),
    );
    const done = outcomes.filter((o) => o === 'done').length;
    expect(mostInside, 'holders inside at once').to.equal(1);
    expect(done + outcomes.filter((o) => o === 'busy').length).to.equal(60);
    expect(done).to.be.above(0);
    expect(Number(await redis.get(documentKey)), 'increments that landed').to.equal(done);
    expect(await redis.exists(keys.key(KIND, id)), 'the lock is free again').to.equal(0);
  });

  it('redis-lock-release: a holder that outlived its lock does not release the lock the next holder took', async () => {
    const id = randomBytes(4).toString('hex');
    const { redis, keys } = getRuntime();
    const lockKey = keys.key(KIND, id);
    const [first, second, third] = locks;
    const thirdConnection = connections[2]!;
    let secondInside = false;
    let thirdCameInWhileSecondHeld: boolean | undefined;
    let secondEntered!: () => void;
    const secondIsIn = new Promise<void>((resolve) => (secondEntered = resolve));
    let letSecondGo!: () => void;
    const secondMayLeave = new Promise<void>((resolve) => (letSecondGo = resolve));
    let secondHolding: Promise<void> | undefined;

    await first!.hold(
      KIND,
      id,
      async () => {
        // The first holder stalls past its lock's expiry (a long pause, a slow disk): the lock
        // lapses, and a second holder takes it while the first is still at work.
        await redis.pexpire(lockKey, 1);
        secondHolding = second!.hold(
          KIND,
          id,
          async () => {
            secondInside = true;
            secondEntered();
            await secondMayLeave;
            secondInside = false;
          },
          BUSY,
        );
        await secondIsIn;
      },
      BUSY,
    );
    // The first holder has let go with its stale token: the second holder's lock stands.
    expect(await redis.exists(lockKey), 'the second holder still holds the lock').to.equal(1);

    const thirdHolding = third!.hold(
      KIND,
      id,
      async () => {
        thirdCameInWhileSecondHeld = secondInside;
      },
      BUSY,
    );
    // The third holder's first try went out before this answer on its own connection.
    await thirdConnection.ping();
    letSecondGo();
    await Promise.all([secondHolding, thirdHolding]);
    expect(thirdCameInWhileSecondHeld, 'the third holder came in while the second held').to.equal(
      false,
    );
    expect(await redis.exists(lockKey)).to.equal(0);
  });
});
