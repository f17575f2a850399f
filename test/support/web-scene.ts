// The usual scene of an integration test: the demo county and an in-process web server (with the
// workers when the story needs routing or payments), closed after the describe block.
import { startWebServer, type WebServer } from '../../server/app/web-server.ts';
import { startWorkers, type Workers } from '../../workers/index.ts';
import { ensureDemoCounty } from './fixtures.ts';
import { getRuntime } from './root-hooks.ts';

export interface WebScene {
  web: WebServer;
  /** http://127.0.0.1:<port> of the in-process web server. */
  base: string;
  workers?: Workers;
}

/** Registers the mocha hooks; read the fields inside tests. */
export function inProcessWeb(
  options: {
    workers?: boolean;
    prepare?: () => Promise<unknown>;
    beforeClose?: (scene: WebScene) => Promise<unknown>;
  } = {},
): WebScene {
  const scene = {} as WebScene;
  before(async () => {
    await ensureDemoCounty();
    await options.prepare?.();
    scene.web = await startWebServer(getRuntime(), { port: 0 });
    if (options.workers) scene.workers = await startWorkers(getRuntime(), scene.web.services);
    scene.base = `http://127.0.0.1:${scene.web.port}`;
  });
  after(async () => {
    if (scene.web) await options.beforeClose?.(scene);
    await scene.workers?.close();
    await scene.web?.close();
  });
  return scene;
}
