import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import Stripe from 'stripe';
import { PrerequisiteError } from '../../server/core/errors.ts';
import { ensureLocalServices } from '../../server/core/local-services/index.ts';
import { ensureGoTool } from '../../server/core/local-services/go-tools.ts';
import { pingMongo } from '../../server/core/local-services/mongo.ts';
import { pingRedis } from '../../server/core/local-services/redis.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { childEnv, runEntry } from '../support/processes.ts';
import { freePort, testConfig, testLogger } from '../support/test-env.ts';

describe('local services bootstrap', () => {
  it('finds or starts Redis, a MongoDB-compatible server and Stripe for the run', async () => {
    const { services } = getRuntime();
    expect(await pingRedis(services.redis.url)).to.equal(true);
    expect(await pingMongo(services.mongo.uri)).to.equal(true);
    expect(services.stripe.webhookSecret).to.match(/^whsec_/);
  });

  it('points the Stripe SDK at stripe-mock when no keys are configured', async () => {
    const { services } = getRuntime();
    const stripe = new Stripe(services.stripe.secretKey, {
      ...services.stripe.api,
      maxNetworkRetries: 0,
    });
    const intent = await stripe.paymentIntents.create({ amount: 6980, currency: 'cny' });
    expect(intent.object).to.equal('payment_intent');
    expect(Number.isInteger(intent.amount)).to.equal(true);
  });

  it('reuses servers that already answer instead of starting second copies', async () => {
    const again = await ensureLocalServices(testConfig(), testLogger);
    const { services } = getRuntime();
    expect(again.mongo.uri).to.equal(services.mongo.uri);
    expect(again.mongo.process).to.equal(undefined);
    expect(again.stripe.process).to.equal(undefined);
    await again.stop(); // stops nothing: it started nothing
    expect(await pingMongo(services.mongo.uri)).to.equal(true);
  });

  it('says in one line when a port is taken by something else', async () => {
    const squatter = net.createServer((socket) => {
      socket.on('error', () => {}); // the probe hangs up on it
      socket.end('not a database\n');
    });
    const port = await freePort();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const config = testConfig({ MONGODB_URI: '', FERRETDB_PORT: String(port) });
      const error = await ensureLocalServices(config, testLogger).then(
        () => undefined,
        (e: unknown) => e,
      );
      // On a machine with mongod installed the MongoDB port is the one checked.
      expect(error).to.be.instanceOf(PrerequisiteError);
      expect((error as Error).message).to.match(
        /port \d+ is taken by a program that does not answer as MongoDB: free it or set (FERRETDB|MONGOD)_PORT/,
      );
    } finally {
      squatter.close();
    }
  });

  it('says what to do when the data folder cannot be written', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cunbo-')), 'a-file');
    writeFileSync(file, 'x');
    const error = await ensureLocalServices(
      testConfig({ DATA_DIR: path.join(file, 'data') }),
      testLogger,
    ).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(PrerequisiteError);
    expect((error as Error).message).to.match(
      /data folder .* is not writable \(ENOTDIR\): fix its permissions or point DATA_DIR/,
    );
  });

  it('says what to do when a tool must be built and there is no Go toolchain', async () => {
    const emptyTools = mkdtempSync(path.join(os.tmpdir(), 'cunbo-tools-'));
    const error = await ensureGoTool(
      emptyTools,
      emptyTools,
      'ferretdb',
      testLogger,
      'set MONGODB_URI to a MongoDB server',
      () => undefined,
    ).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(PrerequisiteError);
    expect((error as Error).message).to.equal(
      'ferretdb is not built yet and no Go toolchain was found: install Go 1.24 or newer, or set MONGODB_URI to a MongoDB server',
    );
  });

  it('stops the web process with one line, no stack trace, when its port is taken', async () => {
    const squatter = net.createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => squatter.listen(port, '0.0.0.0', resolve));
    try {
      const web = runEntry('server/web.ts', childEnv({ PORT: String(port) }));
      const { code } = await web.exited;
      expect(code).to.equal(1);
      expect(web.output().trim().split('\n').at(-1)).to.equal(
        `cunbo: port ${port} is already in use: stop the other program or set PORT`,
      );
      expect(web.output()).not.to.match(/\n\s+at /);
    } finally {
      squatter.close();
    }
  });
});
