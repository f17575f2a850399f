import { expect } from 'chai';
import { childEnv, eventually, runEntry, waitForHttp } from '../support/processes.ts';
import { freePort } from '../support/test-env.ts';
import { TIMEOUTS } from '../support/timeouts.ts';

describe('graceful shutdown', function () {
  this.timeout(120_000); // a web process to start, on a machine that may be busy

  it('lets in-flight requests finish on SIGTERM during load, then exits 0 within 10 s', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const web = runEntry('server/web.ts', childEnv({ PORT: String(port) }));
    await waitForHttp(`${base}/healthz`);

    // Buyers keep loading the home page...
    let stop = false;
    const outcomes: string[] = [];
    const load = Array.from({ length: 4 }, async () => {
      while (!stop) {
        try {
          const res = await fetch(`${base}/`);
          await res.text();
          outcomes.push(String(res.status));
        } catch (error) {
          outcomes.push((error as Error & { cause?: { code?: string } }).cause?.code ?? 'error');
        }
      }
    });
    let slow: Promise<{ status: number; body: unknown }>[] = [];
    let signalledAt = 0;
    let results: { status: number; body: unknown }[];
    let exit: Awaited<typeof web.exited>;
    try {
      await eventually(async () => outcomes.includes('200'), TIMEOUTS.eventually, 20);
      // ...while twenty requests are mid-flight when the signal arrives.
      slow = Array.from({ length: 20 }, () =>
        fetch(`${base}/__test/slow?ms=1500`).then(async (res) => ({
          status: res.status,
          body: await res.json(),
        })),
      );
      // The signal goes once the server is serving all twenty, however long they take to arrive.
      await eventually(
        async () => {
          const res = await fetch(`${base}/__test/slow?ms=0`);
          return ((await res.json()) as { othersWaiting: number }).othersWaiting === 20;
        },
        TIMEOUTS.eventually,
        20,
      );
      signalledAt = Date.now();
      web.child.kill('SIGTERM');
      results = await Promise.all(slow);
      exit = await web.exited;
    } finally {
      stop = true; // the load stops with the test, however it ends
      await Promise.all(load);
      await Promise.allSettled(slow);
    }

    expect(results.map((r) => r.status)).to.deep.equal(Array(20).fill(200));
    expect(results.every((r) => (r.body as { waitedMs: number }).waitedMs === 1500)).to.equal(true);
    expect(exit).to.deep.equal({ code: 0, signal: null });
    expect(Date.now() - signalledAt).to.be.below(10_000);
    expect(outcomes.filter((o) => o.startsWith('5'))).to.deep.equal([]); // no 5xx while draining
    expect(outcomes).to.include('200');
    expect(web.output()).not.to.match(/\n\s+at /);
  });
});
