import { expect } from 'chai';
import { heartbeatAgeMs } from '../../server/core/heartbeat.ts';
import { childEnv, eventually, runEntry } from '../support/processes.ts';
import { getRuntime } from '../support/root-hooks.ts';
import { startWebServer } from '../../server/app/web-server.ts';

describe('the worker process', () => {
  it('starts with `npm run worker`, processes queue jobs, and stops cleanly on SIGTERM', async () => {
    const { redis, keys } = getRuntime();
    await redis.del(keys.key('workers', 'last-heartbeat'));
    const worker = runEntry('workers/main.ts', childEnv());

    const age = await eventually(async () => {
      const ms = await heartbeatAgeMs(redis, keys);
      return ms !== null && ms >= 0 ? ms : undefined;
    });
    expect(age).to.be.below(10_000);

    const web = await startWebServer(getRuntime(), { port: 0 });
    try {
      const ready = (await (await fetch(`http://127.0.0.1:${web.port}/readyz`)).json()) as {
        workerHeartbeatAgeMs: number | null;
      };
      expect(ready.workerHeartbeatAgeMs).to.be.a('number').below(10_000);
    } finally {
      await web.close();
    }

    worker.child.kill('SIGTERM');
    expect(await worker.exited).to.deep.equal({ code: 0, signal: null });
    expect(worker.output()).not.to.match(/\n\s+at /);
  });
});
