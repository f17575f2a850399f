import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import mongoose from 'mongoose';
import type { Config } from '../config.ts';
import { PrerequisiteError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { ensureGoTool } from './go-tools.ts';
import {
  ensureWritableDir,
  findExecutable,
  isPortOpen,
  startServer,
  type ManagedProcess,
} from './processes.ts';
import { redact } from './redis.ts';

const execFileAsync = promisify(execFile);

export interface MongoService {
  uri: string;
  source: 'configured' | 'mongod' | 'ferretdb';
  process?: ManagedProcess;
}

/**
 * MONGODB_URI, else a local mongod, else FerretDB built and started by the project (on the
 * machine's PostgreSQL when there is one, else on SQLite).
 */
export async function resolveMongo(config: Config, logger: Logger): Promise<MongoService> {
  if (config.MONGODB_URI) {
    if (!(await pingMongo(config.MONGODB_URI, 5000))) {
      throw new PrerequisiteError(
        `MongoDB at MONGODB_URI (${redact(config.MONGODB_URI)}) does not answer: start it or fix MONGODB_URI`,
      );
    }
    return { uri: config.MONGODB_URI, source: 'configured' };
  }

  const mongod = findExecutable('mongod');
  if (mongod) {
    const uri = `mongodb://127.0.0.1:${config.MONGOD_PORT}/`;
    if (await pingMongo(uri)) return { uri, source: 'mongod' };
    await assertPortFree(config.MONGOD_PORT, 'MONGOD_PORT');
    const dbPath = ensureWritableDir(path.join(config.DATA_DIR, 'mongod'), 'MongoDB data');
    logger.info({ port: config.MONGOD_PORT }, 'starting the local mongod');
    const process = await startServer({
      name: 'mongod',
      command: mongod,
      args: ['--dbpath', dbPath, '--port', String(config.MONGOD_PORT), '--bind_ip', '127.0.0.1'],
      logFile: path.join(config.DATA_DIR, 'logs', 'mongod.log'),
      ready: () => pingMongo(uri),
    });
    return { uri, source: 'mongod', process };
  }

  const uri = ferretUri(config.FERRETDB_PORT);
  if (await pingMongo(uri)) return { uri, source: 'ferretdb' };
  await assertPortFree(config.FERRETDB_PORT, 'FERRETDB_PORT');
  const binary = await ensureFerretDB(config, logger);
  const backend = await chooseFerretBackend(config, logger);
  const process = await spawnFerretDB(
    binary,
    config.FERRETDB_PORT,
    backend,
    config.FERRETDB_POOL_SIZE,
    path.join(config.DATA_DIR, 'logs', 'ferretdb.log'),
  );
  logger.info(
    { port: config.FERRETDB_PORT, backend: backend.handler },
    `started FerretDB (${backend.handler})`,
  );
  return { uri, source: 'ferretdb', process };
}

/** The FerretDB binary, built into TOOLS_DIR by `go install` the first time. */
export function ensureFerretDB(config: Config, logger: Logger): Promise<string> {
  return ensureGoTool(
    config.TOOLS_DIR,
    path.join(config.DATA_DIR, 'logs'),
    'ferretdb',
    logger,
    'set MONGODB_URI to a MongoDB server',
  );
}

export type FerretBackend =
  { handler: 'postgresql'; url: string } | { handler: 'sqlite'; dataDir: string };

/**
 * FerretDB keeps its data in PostgreSQL when the machine has one (with the lookup indexes the
 * runtime adds, see ferretdb-lookups.ts, it finds documents by field through an index; its SQLite
 * backend reads the whole collection), else in SQLite under the data folder. FERRETDB_BACKEND
 * forces either.
 */
export async function chooseFerretBackend(config: Config, logger: Logger): Promise<FerretBackend> {
  const sqlite = { handler: 'sqlite' as const, dataDir: path.join(config.DATA_DIR, 'ferretdb') };
  if (config.FERRETDB_BACKEND === 'sqlite') return sqlite;
  const problem = await ensurePostgresDatabase(config.FERRETDB_POSTGRESQL_URL);
  if (!problem) return { handler: 'postgresql', url: config.FERRETDB_POSTGRESQL_URL };
  if (config.FERRETDB_BACKEND === 'postgresql') {
    throw new PrerequisiteError(
      `FerretDB cannot use PostgreSQL at ${redact(config.FERRETDB_POSTGRESQL_URL)}: ${problem} (fix FERRETDB_POSTGRESQL_URL or set FERRETDB_BACKEND=sqlite)`,
    );
  }
  logger.info({ reason: problem }, 'FerretDB on SQLite: no usable local PostgreSQL');
  return sqlite;
}

/**
 * Runs one SQL text with the machine's psql (stopping at the first error); its output is what
 * it printed, unaligned and without headers. Rejects with psql's stderr when it fails, or when
 * psql is not installed.
 */
export async function runPsql(
  url: string,
  sql: string,
  timeoutMs: number,
): Promise<{ stdout: string }> {
  const psql = findExecutable('psql');
  if (!psql) throw new Error('psql (the PostgreSQL client) is not installed');
  return execFileAsync(psql, ['-d', url, '-v', 'ON_ERROR_STOP=1', '-tAc', sql], {
    timeout: timeoutMs,
    env: { ...process.env, PGCONNECT_TIMEOUT: '5' },
  });
}

/** Creates the database named in the URL if it is missing. Returns why not, or undefined. */
async function ensurePostgresDatabase(url: string): Promise<string | undefined> {
  const parsed = new URL(url);
  if (!(await isPortOpen(Number(parsed.port || 5432), parsed.hostname)))
    return 'nothing listens there';
  if (!findExecutable('psql')) return 'psql (the PostgreSQL client) is not installed';
  const database = parsed.pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const run = (sql: string) => runPsql(admin.toString(), sql, 10_000);
  try {
    const { stdout } = await run(`SELECT 1 FROM pg_database WHERE datname = '${database}'`);
    if (stdout.trim() !== '1') await run(`CREATE DATABASE "${database}"`);
    return undefined;
  } catch (error) {
    return String((error as { stderr?: string }).stderr || error)
      .trim()
      .split('\n')[0];
  }
}

export function ferretUri(port: number): string {
  return `mongodb://127.0.0.1:${port}/`;
}

export function spawnFerretDB(
  binary: string,
  port: number,
  backend: FerretBackend,
  poolSize: number,
  logFile: string,
): Promise<ManagedProcess> {
  const storage =
    backend.handler === 'postgresql'
      ? [`--postgresql-url=${withPoolSize(backend.url, poolSize)}`]
      : [`--sqlite-url=file:${ensureWritableDir(backend.dataDir, 'FerretDB data')}/`];
  return startServer({
    name: 'ferretdb',
    command: binary,
    args: [`--handler=${backend.handler}`, ...storage, `--listen-addr=127.0.0.1:${port}`],
    logFile,
    ready: () => pingMongo(ferretUri(port)),
  });
}

/** FerretDB v1 opens up to `pool_max_conns` PostgreSQL connections (50 when unset). */
export function withPoolSize(url: string, poolSize: number): string {
  const parsed = new URL(url);
  parsed.searchParams.set('pool_max_conns', String(poolSize));
  return parsed.toString();
}

async function assertPortFree(port: number, key: string): Promise<void> {
  if (await isPortOpen(port)) {
    throw new PrerequisiteError(
      `port ${port} is taken by a program that does not answer as MongoDB: free it or set ${key}`,
    );
  }
}

export async function pingMongo(uri: string, timeoutMs = 1000): Promise<boolean> {
  const connection = mongoose.createConnection(uri, {
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    directConnection: !uri.startsWith('mongodb+srv'),
  });
  connection.on('error', () => {});
  try {
    await connection.asPromise();
    await connection.db?.admin().ping();
    return true;
  } catch {
    return false;
  } finally {
    await connection.close(true).catch(() => {});
  }
}
