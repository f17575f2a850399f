import path from 'node:path';
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

export interface MongoService {
  uri: string;
  source: 'configured' | 'mongod' | 'ferretdb';
  process?: ManagedProcess;
}

/** MONGODB_URI, else a local mongod, else FerretDB (SQLite) built and started by the project. */
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
  const binary = await ensureGoTool(
    config.TOOLS_DIR,
    path.join(config.DATA_DIR, 'logs'),
    'ferretdb',
    logger,
    'set MONGODB_URI to a MongoDB server',
  );
  const process = await spawnFerretDB(
    binary,
    config.FERRETDB_PORT,
    path.join(config.DATA_DIR, 'ferretdb'),
    path.join(config.DATA_DIR, 'logs', 'ferretdb.log'),
  );
  logger.info({ port: config.FERRETDB_PORT }, 'started FerretDB (SQLite)');
  return { uri, source: 'ferretdb', process };
}

export function ferretUri(port: number): string {
  return `mongodb://127.0.0.1:${port}/`;
}

export function spawnFerretDB(
  binary: string,
  port: number,
  dataDir: string,
  logFile: string,
): Promise<ManagedProcess> {
  ensureWritableDir(dataDir, 'FerretDB data');
  return startServer({
    name: 'ferretdb',
    command: binary,
    args: ['--handler=sqlite', `--sqlite-url=file:${dataDir}/`, `--listen-addr=127.0.0.1:${port}`],
    logFile,
    ready: () => pingMongo(ferretUri(port)),
  });
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
