import { expect } from 'chai';
import { spawnRedis } from '../../server/core/local-services/redis.ts';
import { findExecutable, type ManagedProcess } from '../../server/core/local-services/processes.ts';
import {
  childEnv,
  eventually,
  runEntry,
  waitForHttp,
  type RunningProcess,
} from '../support/processes.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { trackServer } from '../support/spawned-processes.ts';
import { freePort } from '../support/test-env.ts';
import { startWebServer, type WebServer } from '../../server/app/web-server.ts';
import path from 'node:path';

describe('health and readiness', () => {
  let web: WebServer;
  let base: string;
  before(async () => {
    web = await startWebServer(getRuntime(), { port: 0 });
    base = `http://127.0.0.1:${web.port}`;
  });
  after(() => web.close());

  it('answers /healthz while the process is alive', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ ok: true });
  });

  it('answers /readyz 200 when MongoDB and Redis are reachable', async () => {
    const res = await fetch(`${base}/readyz`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.include({ ok: true, checks: { mongodb: 'up', redis: 'up' } });
  });

  it('tags every response with a request id, keeping a sane one the client sent', async () => {
    const mine = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'buyer-retry-42' } });
    expect(mine.headers.get('x-request-id')).to.equal('buyer-retry-42');
    const generated = await fetch(`${base}/healthz`, { headers: { 'x-request-id': '<script>' } });
    expect(generated.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
  });

  describe('when Redis goes away and comes back', function () {
    this.timeout(120_000); // a web process to start, on a machine that may be busy
    let redis: ManagedProcess | undefined;
    let app: RunningProcess | undefined;
    let redisPort: number;
    const redisLog = () =>
      path.join(getRuntime().config.DATA_DIR, 'logs', `redis-test-${redisPort}.log`);
    const binary = findExecutable('redis-server', ['/usr/sbin', '/usr/local/bin']);

    before(async function () {
      if (!binary) throw new Error('redis-server is needed for this test');
      redisPort = await freePort();
      redis = trackServer(await spawnRedis(binary, redisPort, redisLog()));
    });
    after(async () => {
      await app?.stop();
      await redis?.stop();
    });

    it('turns /readyz 503 naming redis, then 200 again without a restart', async () => {
      const port = await freePort();
      app = runEntry(
        'server/web.ts',
        childEnv({ PORT: String(port), REDIS_URL: `redis://127.0.0.1:${redisPort}` }),
      );
      const ready = `http://127.0.0.1:${port}/readyz`;
      await waitForHttp(ready);
      expect((await fetch(ready)).status).to.equal(200);

      await redis!.stop();
      const down = await eventually(async () => {
        const res = await fetch(ready);
        return res.status === 503
          ? ((await res.json()) as { down: string[]; checks: object })
          : undefined;
      });
      expect(down.down).to.deep.equal(['redis']);
      expect(down.checks).to.deep.equal({ mongodb: 'up', redis: 'down' });
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).to.equal(200);

      redis = trackServer(await spawnRedis(binary!, redisPort, redisLog()));
      await eventually(async () => (await fetch(ready)).status === 200);
      expect(app.child.exitCode).to.equal(null); // same process throughout
    });
  });
});
