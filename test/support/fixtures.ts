// Small, explicit fixtures on top of the demo county.
import { randomBytes } from 'node:crypto';
import { hashPassword } from '../../server/accounts/passwords.ts';
import { UserModel } from '../../server/accounts/user.model.ts';
import { ProductModel } from '../../server/catalogue/product.model.ts';
import { SkuModel } from '../../server/catalogue/sku.model.ts';
import { connectRedis, type Redis } from '../../server/core/redis.ts';
import { HubModel } from '../../server/hub/hub.model.ts';
import { recordMovement } from '../../server/stock/stock-ledger.ts';
import { isDatabaseEmpty, seedDemoCounty } from '../../server/seed/seed-demo-county.ts';
import { getRuntime } from './root-hooks.ts';

export async function ensureDemoCounty(): Promise<void> {
  if (await isDatabaseEmpty())
    // Without the 2,000 past orders: the suite's timing-sensitive tests count orders by $in,
    // which FerretDB answers by reading them all (the county's own tests make their history).
    await seedDemoCounty(getRuntime().logger, {
      dataDir: getRuntime().config.DATA_DIR,
      history: false,
    });
}

/** A fresh SKU of the Dahongpao pepper with exactly `stock` units received at the hub. */
export async function skuWithStock(stock: number, priceFen = 3880) {
  await ensureDemoCounty();
  const product = (await ProductModel.findOne({ slug: 'dahongpao-sichuan-pepper' }).lean())!;
  const hub = (await HubModel.findOne().lean())!;
  const tag = randomBytes(4).toString('hex').toUpperCase();
  const sku = await SkuModel.create({
    code: `T-${tag}`,
    productId: product._id,
    shopId: product.shopId,
    spec: { zh: `测试 ${tag}`, en: `Test ${tag}` },
    priceFen,
    weightGrams: 300,
    barcode: `69${String(parseInt(tag, 16)).padStart(11, '0').slice(0, 11)}`,
  });
  if (stock > 0) {
    await recordMovement({
      movementId: `test:received:${sku.code}`,
      skuId: sku._id,
      hubId: hub._id,
      kind: 'received',
      delta: stock,
    });
  }
  return sku;
}

export const BUYER_PASSWORD = 'buyer-pass-2026';

/** `count` buyer accounts that can sign in with BUYER_PASSWORD. */
export async function createBuyers(
  count: number,
  tag = randomBytes(3).toString('hex'),
): Promise<string[]> {
  const passwordHash = await hashPassword(BUYER_PASSWORD);
  const docs = Array.from({ length: count }, (_, i) => ({
    email: `buyer-${tag}-${i}@test.cunbo`,
    displayName: `买家${i}`,
    passwordHash,
    role: 'buyer' as const,
  }));
  await UserModel.insertMany(docs);
  return docs.map((d) => d.email);
}

/**
 * `count` Redis connections of their own, as that many web or worker processes would hold, so a
 * race is decided by Redis and not by the order of one connection's pipeline.
 */
export function separateRedisConnections(count: number): {
  connections: Redis[];
  close: () => Promise<void>;
} {
  const { redisUrl, logger } = getRuntime();
  const connections = Array.from({ length: count }, (_, i) =>
    connectRedis(redisUrl, logger, `race-${i}`),
  );
  return {
    connections,
    close: async () => {
      await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
    },
  };
}

/**
 * A process's connection that stops at the script `command`, as if the process were paused there
 * (a busy event loop, a slow network): before the command goes out or, with `afterReply`, once a
 * reply it accepts is back. `reached` settles when it stops; `letGo()` lets it carry on.
 */
export function pausedAt(
  connection: Redis,
  command: string,
  afterReply?: (reply: unknown) => boolean,
): { connection: Redis; reached: Promise<void>; letGo: () => void } {
  let stopped!: () => void;
  const reached = new Promise<void>((resolve) => (stopped = resolve));
  let letGo!: () => void;
  const gate = new Promise<void>((resolve) => (letGo = resolve));
  const paused = new Proxy(connection, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const call = (args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(target, args);
      if (property !== command) return (...args: unknown[]) => call(args);
      return async (...args: unknown[]) => {
        if (!afterReply) {
          stopped();
          await gate;
          return call(args);
        }
        const reply = await call(args);
        if (afterReply(reply)) {
          stopped();
          await gate;
        }
        return reply;
      };
    },
  });
  return { connection: paused, reached, letGo };
}
