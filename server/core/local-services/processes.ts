// Starting and stopping the helper servers the project runs for itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, openSync, closeSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PrerequisiteError } from '../errors.ts';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** A folder we can write to, created if needed; otherwise one clear line. */
export function ensureWritableDir(dir: string, what: string): string {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
    return dir;
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new PrerequisiteError(
      `${what} folder ${dir} is not writable (${reason}): fix its permissions or point DATA_DIR/TOOLS_DIR elsewhere`,
    );
  }
}

/** Full path of an executable on PATH (or in extra folders), or undefined. */
export function findExecutable(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function waitUntil(
  check: () => Promise<boolean>,
  {
    timeoutMs,
    intervalMs = 200,
    abort,
  }: { timeoutMs: number; intervalMs?: number; abort?: () => string | undefined },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const reason = abort?.();
    if (reason) throw new PrerequisiteError(reason);
    if (await check()) return;
    if (Date.now() > deadline) throw new PrerequisiteError(`timed out after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * Spawn a server with its output in a log file, and wait until `ready()` says it answers.
 * If it exits first, the error names its log file.
 */
export async function startServer(opts: {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  ready: () => Promise<boolean>;
  timeoutMs?: number;
}): Promise<ManagedProcess> {
  mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const log = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(opts.command, opts.args, { stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
  let exited: string | undefined;
  let spawnError: string | undefined;
  child.once('error', (error) => (spawnError = error.message));
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    });
  });

  try {
    await waitUntil(opts.ready, {
      timeoutMs: opts.timeoutMs ?? 30_000,
      abort: () =>
        spawnError
          ? `could not start ${opts.name}: ${spawnError}`
          : exited
            ? `${opts.name} exited at start (${exited}); see ${opts.logFile}`
            : undefined,
    });
  } catch (error) {
    child.kill('SIGKILL');
    if (error instanceof PrerequisiteError && error.message.startsWith('timed out')) {
      throw new PrerequisiteError(`${opts.name} did not answer in time; see ${opts.logFile}`);
    }
    throw error;
  }

  return {
    name: opts.name,
    pid: child.pid ?? -1,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exitedPromise;
      clearTimeout(killer);
    },
  };
}
