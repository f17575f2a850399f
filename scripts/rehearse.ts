// `npm run rehearse`: a rehearsal (彩排) with simulated buyers, from the command line; the
// project's built-in load generator for demos. Against the running app's database and Redis
// (`npm start` in another terminal), it opens a rehearsal of a scheduled session as the shop's
// streamer, pins its first product, switches the crowd on, prints the console's numbers every
// five seconds as JSON lines, and ends (discards) the rehearsal, unless --keep.
//
//   npm run rehearse -- [--session <id>] [--viewers 200] [--comments 120] [--kou 30]
//                       [--buys 600] [--seconds 60] [--keep]
//
// --comments and --buys are a minute; --kou is the share (%) of comments that are 扣1. Without
// --session it takes the next scheduled session (the demo's 虹梯关新小米 开仓直播). While it runs,
// the printed console address shows the dashboard moving (pushed through Redis to the web
// processes). Real stock, orders and money are never touched (see docs/rehearsal.md).
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Actor } from '../server/accounts/actor.ts';
import { UserModel } from '../server/accounts/user.model.ts';
import { createServices } from '../server/app/services.ts';
import { openRuntime } from '../server/app/runtime.ts';
import { loadConfig } from '../server/core/config.ts';
import { runEntryPoint } from '../server/core/entry.ts';
import { createLogger } from '../server/core/logger.ts';
import { createHeadlessRealtime } from '../server/core/realtime.ts';
import { LiveSessionModel } from '../server/live/live-session.model.ts';
import { OrderModel } from '../server/orders/order.model.ts';

function whole(name: string, raw: string, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    process.stderr.write(`rehearse: --${name} must be a whole number from ${min} to ${max}\n`);
    process.exit(2);
  }
  return n;
}

runEntryPoint(async () => {
  const { values } = parseArgs({
    options: {
      session: { type: 'string' },
      viewers: { type: 'string', default: '200' },
      comments: { type: 'string', default: '120' },
      kou: { type: 'string', default: '30' },
      buys: { type: 'string', default: '600' },
      seconds: { type: 'string', default: '60' },
      keep: { type: 'boolean', default: false },
    },
  });
  const crowd = {
    viewers: whole('viewers', values.viewers, 0, 5000),
    commentsPerMinute: whole('comments', values.comments, 0, 600),
    kouShare: whole('kou', values.kou, 0, 100),
    buysPerMinute: whole('buys', values.buys, 0, 3000),
  };
  const seconds = whole('seconds', values.seconds, 5, 1800);
  const config = loadConfig();
  const logger = createLogger(config, 'cunbo-rehearse');
  const runtime = await openRuntime(config, logger);
  const headless = createHeadlessRealtime(runtime.redisUrl, runtime.keys, logger);
  const services = createServices(runtime, headless.realtime);
  try {
    const session = values.session
      ? await LiveSessionModel.findById(values.session).lean()
      : await LiveSessionModel.findOne({ status: 'scheduled', rehearsalOf: { $exists: false } })
          .sort({ scheduledAt: 1 })
          .lean();
    if (!session) throw new Error('no scheduled session to rehearse (npm run seed makes one)');
    const streamer = await UserModel.findOne({ role: 'streamer', shopId: session.shopId }).lean();
    if (!streamer) throw new Error('the session’s shop has no streamer to rehearse as');
    const actor: Actor = {
      id: String(streamer._id),
      role: 'streamer',
      displayName: streamer.displayName,
      shopId: String(session.shopId),
    };
    const realOrders = await OrderModel.countDocuments({});
    const { rehearsalId } = await services.live.openRehearsal(actor, {
      sessionId: String(session._id),
    });
    const first = session.offers[0];
    if (first)
      await services.live.pin(actor, { sessionId: rehearsalId, offerId: first.offerId }, true);
    await services.live.startCrowd(actor, { sessionId: rehearsalId, ...crowd });
    const line = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);
    line({
      rehearsalId,
      session: session.title.zh,
      console: `${config.PUBLIC_URL}/studio/live/${rehearsalId}`,
      ...crowd,
      seconds,
    });
    const started = Date.now();
    let last;
    while (Date.now() - started < seconds * 1000) {
      await sleep(Math.min(5000, seconds * 1000 - (Date.now() - started)));
      last = await services.live.dashboard(actor, rehearsalId);
      line({
        t: Math.round((Date.now() - started) / 1000),
        viewers: last.viewers,
        orders: last.orders,
        paid: last.paid.orders,
        gmvFen: last.gmvFen,
        sold: last.offers.map((o) => `${o.sold}/${o.allotment}`).join(' '),
      });
    }
    const figures = await services.live.stopCrowd(actor, { sessionId: rehearsalId });
    if (!values.keep) await services.live.end(actor, { sessionId: rehearsalId });
    line({
      done: true,
      kept: values.keep,
      rehearsalOrders: last?.orders ?? 0,
      paid: last?.paid.orders ?? 0,
      ...figures,
      realOrdersBefore: realOrders,
      realOrdersAfter: await OrderModel.countDocuments({}),
    });
  } finally {
    await services.close();
    await headless.close();
    await runtime.close();
  }
});
