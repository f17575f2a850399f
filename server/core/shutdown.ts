import type { Logger } from './logger.ts';

export type ShutdownStep = readonly [name: string, run: () => Promise<void> | void];

/**
 * Runs the steps in order on SIGTERM/SIGINT (or when called), then exits 0.
 * If they take longer than the timeout the process exits 1 so an orchestrator is not stuck.
 */
export function installShutdown(logger: Logger, timeoutMs: number, steps: () => ShutdownStep[]) {
  let running: Promise<void> | undefined;
  const shutdown = (reason: string): Promise<void> => {
    running ??= (async () => {
      logger.info({ reason }, 'shutting down');
      const force = setTimeout(() => {
        logger.error({ timeoutMs }, 'shutdown took too long; exiting');
        process.exit(1);
      }, timeoutMs);
      force.unref();
      for (const [name, run] of steps()) {
        try {
          await run();
        } catch (error) {
          logger.warn({ err: error, step: name }, 'shutdown step failed');
        }
      }
      clearTimeout(force);
      logger.info('shutdown complete');
    })();
    return running;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    void shutdown(signal).then(() => process.exit(0));
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return shutdown;
}
