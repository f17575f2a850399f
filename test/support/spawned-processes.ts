// Every process the suite starts is registered here, so that none outlives the run: what a test
// left running is stopped after it, and the run fails if anything is still alive at its end
// (root-hooks.ts). A setup step that throws midway cannot leave an orphan behind.
import type { ChildProcess } from 'node:child_process';
import type { ManagedProcess } from '../../server/core/local-services/processes.ts';
import { TIMEOUTS } from './timeouts.ts';

interface Spawned {
  label: string;
  pid: number;
  alive(): boolean;
  stop(): Promise<void>;
}

const spawned = new Set<Spawned>();
/** What was started since the current test began (its beforeEach hooks included). */
let startedInTest: Set<Spawned> | undefined;

function register(entry: Spawned): Spawned {
  spawned.add(entry);
  startedInTest?.add(entry);
  return entry;
}

/**
 * Registers a child process; returns how to stop it: SIGTERM, then SIGKILL if it lingers,
 * resolving once it is gone.
 */
export function trackChild(child: ChildProcess, label: string): () => Promise<void> {
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const exited = new Promise<void>((resolve) =>
    gone() ? resolve() : child.once('exit', () => resolve()),
  );
  const stop = async () => {
    if (gone()) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), TIMEOUTS.processExit);
    await exited;
    clearTimeout(killer);
  };
  const entry = register({
    label: `${label} (pid ${child.pid})`,
    pid: child.pid ?? -1,
    alive: () => !gone(),
    stop,
  });
  void exited.then(() => spawned.delete(entry));
  return stop;
}

/** Registers a helper server (redis-server, FerretDB) started through local-services. */
export function trackServer<P extends ManagedProcess>(server: P): P {
  register({
    label: `${server.name} (pid ${server.pid})`,
    pid: server.pid,
    alive: () => isAlive(server.pid),
    stop: () => server.stop(),
  });
  return server;
}

export function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function stopAlive(which: Iterable<Spawned>): Promise<string[]> {
  const alive = [...which].filter((s) => s.alive());
  await Promise.all(alive.map((s) => s.stop().catch(() => {})));
  return alive.map((s) => s.label);
}

/** Call as a test begins: from here on, what is started belongs to it. */
export function beginTest(): void {
  startedInTest = new Set();
}

/** Call as a test ends: stops what it started and left running, and names those. */
export function endTest(): Promise<string[]> {
  const leftovers = startedInTest ?? [];
  startedInTest = undefined;
  return stopAlive(leftovers);
}

/** Stops every process the suite started that is still alive, and names those. */
export function stopAllSpawned(): Promise<string[]> {
  return stopAlive(spawned);
}

/** Processes the suite started that are alive now. */
export function stillAlive(): string[] {
  return [...spawned].filter((s) => s.alive()).map((s) => s.label);
}

// Mocha's --exit, or a crash: whatever is left goes down with the suite.
process.once('exit', () => {
  for (const s of spawned)
    if (s.alive())
      try {
        process.kill(s.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
});
