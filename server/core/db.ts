import mongoose from 'mongoose';
import type { Logger } from './logger.ts';

/** Connects the shared Mongoose connection; models are registered on it. */
/**
 * Each process keeps few connections: FerretDB serves every connection's updates from one
 * PostgreSQL pool and deadlocks when concurrent updates reach its size (DESIGN), and the hot path
 * group-commits, so a handful of connections carry a rush.
 */
export async function connectMongo(
  uri: string,
  dbName: string,
  logger: Logger,
  poolSize: number,
): Promise<typeof mongoose> {
  mongoose.set('strictQuery', true);
  mongoose.connection.on('disconnected', () => logger.warn('MongoDB disconnected'));
  mongoose.connection.on('reconnected', () => logger.info('MongoDB reconnected'));
  await mongoose.connect(uri, {
    dbName,
    serverSelectionTimeoutMS: 5000,
    // /readyz reads the driver's monitor: a store that went away shows within a few seconds.
    heartbeatFrequencyMS: 2000,
    maxPoolSize: poolSize,
    directConnection: !uri.startsWith('mongodb+srv'),
  });
  await Promise.all(Object.values(mongoose.models).map((model) => model.init()));
  return mongoose;
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => (clearTimeout(timer), resolve(v)),
      (e: unknown) => (clearTimeout(timer), reject(e instanceof Error ? e : new Error(String(e)))),
    );
  });
}
